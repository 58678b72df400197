"""MedDRA completeness of AE (TI-AE006): a body system term carries its code. Expected findings are literal."""

from __future__ import annotations

from trialinterop.validate.engine import run_rules
from trialinterop.validate.registry import get_rule
from validate_cases import NA, S1, clean_package, make_dataset, replace_dataset


def _found(package) -> list[tuple[str, str, str, str]]:
    return [(i.where, i.key, i.field, i.value) for i in run_rules(package, rules=[get_rule("TI-AE006")])]


def _ae(bodsys: list[str], bdsycd: list[object] | None):
    records = clean_package().datasets["AE"].frame.to_dict("records")
    for record, name, code in zip(records, bodsys, bdsycd or [None] * len(records), strict=True):
        record["AEBODSYS"] = name
        if bdsycd is not None:
            record["AEBDSYCD"] = code
    return replace_dataset(clean_package(), make_dataset("AE", records))


def test_body_system_without_its_code():
    package = _ae(["Nervous system disorders", "Infections and infestations"], [10029205, NA])
    assert _found(package) == [("AE", f"{S1}, AESEQ=2", "AEBDSYCD", "Infections and infestations")]


def test_every_body_system_uncoded_is_one_finding_each():
    package = _ae(["Nervous system disorders", "Infections and infestations"], [NA, NA])
    assert _found(package) == [
        ("AE", f"{S1}, AESEQ=1", "AEBDSYCD", "Nervous system disorders"),
        ("AE", f"{S1}, AESEQ=2", "AEBDSYCD", "Infections and infestations"),
    ]


def test_coded_or_uncoded_body_system_is_fine():
    assert _found(_ae(["Nervous system disorders", "Infections and infestations"], [10029205, 10021881])) == []
    assert _found(_ae(["", ""], [NA, NA])) == []  # not coded at all (AEDECOD/PR007 and others judge that)


def test_without_the_code_variable_the_rule_leaves_it_to_expected_variable_check():
    # AEBDSYCD absent: TI-PR006 (Expected variable missing) reports the variable once, not this rule per record
    assert _found(_ae(["Nervous system disorders", "Infections and infestations"], None)) == []
    assert _found(clean_package()) == []

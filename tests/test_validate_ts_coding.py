"""TS coding: TSVAL and TSVALCD one to one (TI-TS007), TSVCDREF and TSVCDVER as a pair (TI-TS008).
Expected findings are literal."""

from __future__ import annotations

from trialinterop.validate.engine import run_rules
from trialinterop.validate.registry import get_rule
from validate_cases import STUDY, clean_package, make_dataset, replace_dataset


def _found(package, rule_id: str) -> list[tuple[str, str, str, str, str]]:
    issues = run_rules(package, rules=[get_rule(rule_id)])
    return [(i.where, i.key, i.field, i.value, i.message) for i in issues]


def _ts(*rows: tuple[str, str, str, str, str]):
    """TS of (TSPARMCD, TSVAL, TSVALCD, TSVCDREF, TSVCDVER) rows."""
    records = [
        {"STUDYID": STUDY, "DOMAIN": "TS", "TSSEQ": 1, "TSPARMCD": code, "TSPARM": code.title(), "TSVAL": value,
         "TSVALNF": "", "TSVALCD": valcd, "TSVCDREF": ref, "TSVCDVER": ver}
        for code, value, valcd, ref, ver in rows
    ]  # fmt: skip
    return replace_dataset(clean_package(), make_dataset("TS", records))


TS007 = "TSVAL and TSVALCD are not one to one"
TS008 = "TSVCDREF and TSVCDVER do not come as a pair"


def test_ts007_one_value_two_codes():
    package = _ts(
        ("ADAPT", "N", "C49487", "CDISC", "2025-03-28"),
        ("RANDOM", "N", "C49488", "CDISC", "2025-03-28"),
        ("ADDON", "Y", "C49488", "CDISC", "2025-03-28"),
    )
    assert _found(package, "TI-TS007") == [
        ("TS", "row 1", "TSVALCD", "TSPARMCD=ADAPT: N / C49487", TS007),
        ("TS", "row 2", "TSVALCD", "TSPARMCD=RANDOM: N / C49488", TS007),
        ("TS", "row 3", "TSVALCD", "TSPARMCD=ADDON: Y / C49488", TS007),
    ]


def test_ts007_one_code_two_values():
    package = _ts(("INTTYPE", "DRUG", "C1909", "CDISC", "2025-03-28"), ("TRT", "Drug", "C1909", "CDISC", "2025-03-28"))
    assert _found(package, "TI-TS007") == [
        ("TS", "row 1", "TSVALCD", "TSPARMCD=INTTYPE: DRUG / C1909", TS007),
        ("TS", "row 2", "TSVALCD", "TSPARMCD=TRT: Drug / C1909", TS007),
    ]


def test_ts007_uncoded_codelist_value_beside_its_coded_twin():
    # the pilot's case (CORE-000152/000728): ADDON takes its value from the NY codelist but "N" has no code, while
    # ADAPT and HLTSUBJI code the same "N" as C49487; every record of "N" is reported
    package = _ts(
        ("ADDON", "N", "", "", ""),
        ("ADAPT", "N", "C49487", "CDISC", "2025-03-28"),
        ("HLTSUBJI", "N", "C49487", "CDISC", "2025-03-28"),
    )
    assert _found(package, "TI-TS007") == [
        ("TS", "row 1", "TSVALCD", "TSPARMCD=ADDON: N / ", TS007),
        ("TS", "row 2", "TSVALCD", "TSPARMCD=ADAPT: N / C49487", TS007),
        ("TS", "row 3", "TSVALCD", "TSPARMCD=HLTSUBJI: N / C49487", TS007),
    ]


def test_ts007_other_terminologies_and_free_text_are_not_conflicts():
    # the same value coded in two terminologies (SNOMED, MedDRA) has two codes legitimately; TDIGRP is free text
    # (no CDISC value codelist), so its uncoded copy of a coded value is no conflict
    package = _ts(
        ("ADAPT", "N", "C49487", "CDISC", "2025-03-28"),
        ("INDIC", "Alzheimer's disease", "26929004", "SNOMED", ""),
        ("TDIGRP", "Alzheimer's disease", "10001896", "MedDRA", "27.0"),
        ("TDIGRP", "Alzheimer's disease", "", "", ""),
    )
    assert _found(package, "TI-TS007") == []


def test_ts008_version_without_reference():
    # the pilot's REGID record: the registry went into TSVCDVER
    package = _ts(("REGID", "NCT00987090", "NCT00987090", "", "clinicaltrials.gov"))
    assert _found(package, "TI-TS008") == [
        ("TS", "row 1", "TSVCDREF", "TSPARMCD=REGID: TSVCDVER clinicaltrials.gov", TS008)
    ]


def test_ts008_cdisc_or_meddra_without_version():
    package = _ts(
        ("ADAPT", "N", "C49487", "CDISC", ""),
        ("TDIGRP", "Alzheimer's disease", "10001896", "MedDRA", ""),
        ("STYPE", "INTERVENTIONAL", "C98388", "CDISC", "2025-03-28"),
    )
    assert _found(package, "TI-TS008") == [
        ("TS", "row 1", "TSVCDVER", "TSPARMCD=ADAPT: TSVCDREF CDISC", TS008),
        ("TS", "row 2", "TSVCDVER", "TSPARMCD=TDIGRP: TSVCDREF MedDRA", TS008),
    ]


def test_ts008_unversioned_references_need_no_version():
    package = _ts(
        ("SSTDTC", "2012-07-06", "", "ISO 8601", ""),
        ("FCNTRY", "USA", "USA", "ISO 3166", ""),
        ("TRT", "Xanomeline", "9ORI6L73CJ", "UNII", ""),
        ("INDIC", "Alzheimer's disease", "26929004", "SNOMED", ""),
    )
    assert _found(package, "TI-TS008") == []

"""RELREC links (TI-RL001..TI-RL005): datasets, variables and records it names exist; relations link 2+ records;
dataset-level relations leave IDVARVAL null and give RELTYPE. Expected findings are literal."""

from __future__ import annotations

from trialinterop.validate.engine import run_rules
from trialinterop.validate.registry import get_rule
from validate_cases import S1, S2, STUDY, clean_package, make_dataset, replace_dataset


def _found(package, rule_id: str) -> list[tuple[str, str, str, str]]:
    issues = run_rules(package, rules=[get_rule(rule_id)])
    return [(i.where, i.key, i.field, i.value) for i in issues]


def _relrec(*rows: tuple[str, str, str, str, str, str]):
    """RELREC of (RDOMAIN, USUBJID, IDVAR, IDVARVAL, RELTYPE, RELID) rows beside the clean package (AE: S1 AESEQ 1, 2;
    EX: S1 EXSEQ 1)."""
    records = [
        {"STUDYID": STUDY, "RDOMAIN": d, "USUBJID": s, "IDVAR": var, "IDVARVAL": val, "RELTYPE": t, "RELID": r}
        for d, s, var, val, t, r in rows
    ]
    return replace_dataset(clean_package(), make_dataset("RELREC", records))


GOOD = (
    ("AE", S1, "AESEQ", "1", "", "R1"),
    ("EX", S1, "EXSEQ", "1", "", "R1"),
    ("AE", S1, "AESEQ", "2", "", "R2"),
    ("AE", S1, "AESEQ", "1", "", "R2"),
    ("AE", "", "AETERM", "", "ONE", "D1"),
    ("EX", "", "EXTRT", "", "MANY", "D1"),
)
RULES = ("TI-RL001", "TI-RL002", "TI-RL003", "TI-RL004", "TI-RL005")


def test_consistent_relrec_is_clean():
    package = _relrec(*GOOD)
    assert {rule: _found(package, rule) for rule in RULES} == {rule: [] for rule in RULES}


def test_rl001_unknown_domain():
    package = _relrec(("AE", S1, "AESEQ", "1", "", "R1"), ("CE", S1, "CESEQ", "1", "", "R1"))
    assert _found(package, "TI-RL001") == [("RELREC", f"row 2, {S1}", "RDOMAIN", "CE")]
    # no follow-on findings for the record of the missing dataset
    assert _found(package, "TI-RL002") == []
    assert _found(package, "TI-RL003") == []


def test_rl002_idvar_not_in_dataset():
    package = _relrec(("AE", S1, "AESEQ", "1", "", "R1"), ("AE", S1, "AELNKID", "A1", "", "R1"))
    assert _found(package, "TI-RL002") == [("RELREC", f"row 2, {S1}", "IDVAR", "AE.AELNKID")]
    assert _found(package, "TI-RL003") == []


def test_rl003_no_parent_record():
    package = _relrec(
        ("AE", S1, "AESEQ", "1", "", "R1"),
        ("AE", S1, "AESEQ", "3", "", "R1"),  # S1 has AESEQ 1 and 2
        ("AE", S2, "AESEQ", "1", "", "R2"),  # S2 has no AE
        ("EX", S1, "EXSEQ", "1.0", "", "R2"),  # not the text of EXSEQ 1
    )
    assert _found(package, "TI-RL003") == [
        ("RELREC", f"row 2, {S1}", "IDVARVAL", "AE.AESEQ=3"),
        ("RELREC", f"row 3, {S2}", "IDVARVAL", "AE.AESEQ=1"),
        ("RELREC", f"row 4, {S1}", "IDVARVAL", "EX.EXSEQ=1.0"),
    ]


def test_rl004_relid_on_one_record():
    package = _relrec(
        ("AE", S1, "AESEQ", "1", "", "R1"),
        ("AE", S1, "AESEQ", "2", "", "R1"),
        ("EX", S1, "EXSEQ", "1", "", "R9"),
        ("AE", S2, "AESEQ", "1", "", "R1"),  # the same RELID for another subject is another relation
        ("AE", "", "AETERM", "", "ONE", "D1"),
    )
    assert _found(package, "TI-RL004") == [
        ("RELREC", f"row 3, {S1}", "RELID", "R9"),
        ("RELREC", f"row 4, {S2}", "RELID", "R1"),
        ("RELREC", "row 5, ", "RELID", "D1"),
    ]


def test_rl005_dataset_level_relation():
    package = _relrec(
        ("AE", "", "AETERM", "HEADACHE", "ONE", "D1"),
        ("EX", "", "EXTRT", "", "", "D1"),
        ("AE", S1, "AESEQ", "1", "", "R1"),
        ("AE", S1, "AESEQ", "2", "", "R1"),
    )
    assert _found(package, "TI-RL005") == [
        ("RELREC", "row 1, ", "IDVARVAL", "HEADACHE"),
        ("RELREC", "row 2, ", "RELTYPE", ""),
    ]

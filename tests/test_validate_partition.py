"""Rules run on parts of a package (`validate.partition`, what `validate --engine spark` runs) give the findings of the
whole package, in its order, with its row numbers; every rule declares how it may be split."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from trialinterop.issues import Issue, Severity
from trialinterop.spec import load_spec
from trialinterop.validate.engine import run_rules
from trialinterop.validate.package import load_package
from trialinterop.validate.partition import PartRun, merge_subject, parts_of, run_split, subject_part
from trialinterop.validate.registry import SPLITS, all_rules, rule
from trialinterop.validate.rules._common import record_keys
from validate_cases import clean_package, make_dataset
from validate_cases.cases import CASES

ROOT = Path(__file__).resolve().parents[1]
RULES = all_rules()
SPLIT_RULES = [r for r in RULES if r.split != "package"]


def test_every_rule_declares_a_split() -> None:
    assert len(RULES) == 103
    assert {r.split for r in RULES} == set(SPLITS)
    by_split = {s: sum(r.split == s for r in RULES) for s in SPLITS}
    assert by_split == {"subject": 47, "dataset": 37, "package": 19}


def test_a_rule_with_an_unknown_split_is_refused() -> None:
    with pytest.raises(RuntimeError, match="split 'row' is not one of subject, dataset, package"):
        rule(id="TI-ZZ999", split="row", severity=Severity.ERROR, scope="x", message="x", references=[])(
            lambda ctx: iter(())
        )


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_split_rules_give_the_whole_packages_findings_on_each_failing_case(rule_id: str) -> None:
    case = CASES[rule_id]
    package = case.fail(clean_package())
    spec = load_spec() if case.with_spec else None
    whole = run_rules(package, rules=SPLIT_RULES, spec=spec)
    found, ran_whole = run_split(package, SPLIT_RULES, 3, spec=spec)
    assert ran_whole == []  # no split rule had to fall back to the whole package
    assert found == whole


def _subjects_package():
    """Five subjects over DM, AE and VS, findings planted for several subjects in each (AGE <= 0, AESER=Y without a
    criterion, a malformed date, VSSTRESC missing), records of a subject not next to each other."""
    subjects = [f"S-{n}" for n in range(1, 6)]
    dm = make_dataset(
        "DM",
        [
            {"STUDYID": "T", "DOMAIN": "DM", "USUBJID": s, "AGE": age, "RFSTDTC": "2024-01-0" + str(n + 1)}
            for n, (s, age) in enumerate(zip(subjects, [30, 0, 41, -2, 0], strict=True))
        ],
    )
    ae = make_dataset(
        "AE",
        [
            {
                "STUDYID": "T",
                "DOMAIN": "AE",
                "USUBJID": subjects[n % 5],
                "AESEQ": n // 5 + 1,
                "AETERM": "HEADACHE",
                "AESER": "Y" if n in (1, 3, 6, 9, 12) else "N",
                "AESCAN": "N",
                "AESTDTC": "2024-02-30" if n in (2, 8, 11) else "2024-02-01",
            }
            for n in range(15)
        ],
    )
    vs = make_dataset(
        "VS",
        [
            {
                "STUDYID": "T",
                "DOMAIN": "VS",
                "USUBJID": subjects[(n * 3) % 5],
                "VSSEQ": n + 1,
                "VSTESTCD": "SYSBP",
                "VSTEST": "Systolic Blood Pressure",
                "VSORRES": "120",
                "VSSTRESC": "" if n in (0, 4, 7) else "120",
            }
            for n in range(10)
        ],
    )
    base = clean_package()
    datasets = {**base.datasets, "DM": dm, "AE": ae, "VS": vs}
    return type(base)(datasets=dict(sorted(datasets.items())), define=None, inputs=("seeded",))


def test_findings_of_several_subjects_in_several_parts_come_back_in_the_whole_order() -> None:
    package = _subjects_package()
    whole = run_rules(package, rules=SPLIT_RULES)
    rules_found = {i.rule for i in whole}
    assert {"TI-DM001", "TI-AE001", "TI-DT001", "TI-FN004"} <= rules_found
    assert [i.key for i in whole if i.rule == "TI-DM001"] == ["row 2, S-2", "row 4, S-4", "row 5, S-5"]
    subjects = parts_of(package.datasets["AE"].frame["USUBJID"], 3)
    assert len(set(subjects.tolist())) == 3  # the five subjects fall in three parts
    for parts in (2, 3, 5, 9):
        found, ran_whole = run_split(package, SPLIT_RULES, parts)
        assert ran_whole == []
        assert found == whole


def test_a_part_keeps_the_row_numbers_of_the_whole_dataset() -> None:
    ds = make_dataset(
        "XX",
        [{"STUDYID": "T", "USUBJID": s, "XXVAL": "A"} for s in ("S-1", "S-2", "S-1", "S-2", "S-1")],
    )
    assert parts_of(pd.Series(["S-1", "S-2"]), 3).tolist() == [2, 0]  # CRC-32 of the USUBJID modulo 3
    cut = subject_part(ds, 2, 3)
    assert cut.frame["USUBJID"].tolist() == ["S-1", "S-1", "S-1"]
    assert record_keys(cut, pd.Series([False, True, True])) == ["row 3, S-1", "row 5, S-1"]


def _issue(where: str, key: str) -> Issue:
    return Issue("TI-X", Severity.ERROR, "m", where=where, key=key)


def test_merge_orders_by_call_then_row_and_takes_whole_datasets_once() -> None:
    calls = (("AE", "AESER", ""), ("TA", "ARM", ""), ("VS", "VSORRES", ""))
    first = PartRun(calls, (((0, 4), _issue("AE", "a4")), ((1, 0), _issue("TA", "t0")), ((2, 1), _issue("VS", "v1"))))
    second = PartRun(calls, (((0, 2), _issue("AE", "a2")), ((1, 0), _issue("TA", "t0")), ((2, 0), _issue("VS", "v0"))))
    merged = merge_subject([first, second], whole={"TA"})
    assert [i.key for i in merged or []] == ["a2", "a4", "t0", "v0", "v1"]


def test_a_part_that_skipped_a_call_still_merges() -> None:
    full = PartRun((("AE", "A", ""), ("VS", "B", "")), (((1, 3), _issue("VS", "v3")),))
    skipped = PartRun((("VS", "B", ""),), (((0, 1), _issue("VS", "v1")),))
    assert [i.key for i in merge_subject([full, skipped], whole=()) or []] == ["v1", "v3"]


def test_parts_that_cannot_be_put_back_in_order_are_refused() -> None:
    calls = (("AE", "A", ""), ("VS", "B", ""))
    swapped = PartRun((("VS", "B", ""), ("AE", "A", "")), ())
    assert merge_subject([PartRun(calls, ()), swapped], whole=()) is None
    unordered = PartRun(calls, ((None, _issue("AE", "x")),))  # a finding not made by row_findings
    assert merge_subject([PartRun(calls, ()), unordered], whole=()) is None
    twice = PartRun((("AE", "A", ""), ("AE", "A", "")), ())
    assert merge_subject([twice], whole=()) is None
    assert merge_subject([PartRun(calls, ()), PartRun((), (), failed=True)], whole=()) is None


def _pilot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = importlib.util.spec_from_file_location("pilot_to_xpt", ROOT / "scripts" / "pilot_to_xpt.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write_pilot(tmp_path_factory.mktemp("pilot"))[0].parent


@pytest.mark.slow
def test_split_rules_on_the_cdisc_pilot_give_its_findings(tmp_path_factory: pytest.TempPathFactory) -> None:
    package = load_package([_pilot_dir(tmp_path_factory)])
    whole = run_rules(package, rules=SPLIT_RULES)
    assert len(whole) > 1000  # tests/data/pilot-expected-findings.csv: most pilot findings are of split rules
    found, ran_whole = run_split(package, SPLIT_RULES, 3)
    assert ran_whole == []
    assert found == whole

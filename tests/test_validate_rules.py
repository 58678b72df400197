"""Every registered rule has a passing and a failing case (tests/validate_cases/cases.py); rules without cases fail."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from trialinterop.spec import load_spec
from trialinterop.validate.api import choose_spec
from trialinterop.validate.engine import run_rules
from trialinterop.validate.registry import all_rules
from validate_cases import clean_package
from validate_cases.cases import CASES

RULES = all_rules()


def _findings(package, rule, case):
    spec = load_spec() if case.with_spec else None
    return [i for i in run_rules(package, rules=[rule], spec=spec) if i.rule == rule.id]


def test_clean_package_has_no_findings_beyond_expected_variables():
    # the clean package deliberately omits optional MedDRA and other Expected variables (TI-PR006 only)
    issues = [i for i in run_rules(clean_package()) if i.rule != "TI-PR006"]
    assert issues == []


def test_every_case_names_a_registered_rule():
    assert sorted(set(CASES) - {r.id for r in RULES}) == []


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_passes_on_its_passing_case(rule):
    assert rule.id in CASES, f"{rule.id} has no test cases in tests/validate_cases/cases.py"
    case = CASES[rule.id]
    assert _findings(case.pass_(clean_package()), rule, case) == []


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_fails_on_its_failing_case(rule):
    assert rule.id in CASES, f"{rule.id} has no test cases in tests/validate_cases/cases.py"
    case = CASES[rule.id]
    found = _findings(case.fail(clean_package()), rule, case)
    assert found, f"{rule.id} found nothing in its failing case"
    assert all(i.severity == rule.severity for i in found)


def test_rules_never_change_the_data():
    package = clean_package.__wrapped__()
    before = {name: ds.frame.copy(deep=True) for name, ds in package.datasets.items()}
    run_rules(package)
    for name, ds in package.datasets.items():
        pd.testing.assert_frame_equal(ds.frame, before[name])


def test_study_spec_applies_only_to_this_study():
    other = clean_package()
    choice = choose_spec(other)
    assert choice.spec is None and "is no bundled study" in choice.reason
    ours = CASES["TI-SP001"].pass_(other)
    choice = choose_spec(ours)
    assert choice.spec is not None
    assert choice.reason == "spec: bundled NCT05016804 (DM.STUDYID NCT05016804 is its study)"


def _no_rule_crashed(package):
    crashed = [i.render() for i in run_rules(package) if i.rule == "TI-RUN"]
    assert crashed == []


def test_fhir_only_output_runs_every_rule():
    _no_rule_crashed(dataclasses.replace(clean_package(), datasets={}))


@pytest.mark.parametrize("name", ["DM", "AE", "EX", "TS", "SE", "SUPPAE", "QS"])
def test_empty_datasets_run_every_rule(name):
    import dataclasses

    package = clean_package()
    ds = package.datasets[name]
    empty = dataclasses.replace(ds, frame=ds.frame.iloc[0:0])
    _no_rule_crashed(dataclasses.replace(package, datasets={**package.datasets, name: empty}))


def test_character_data_in_numeric_variables_runs_every_rule():
    package = clean_package()
    ae = package.datasets["AE"]
    frame = ae.frame.assign(AESEQ=["one", "two"], AESTDY=["x", "y"])
    broken = dataclasses.replace(ae, frame=frame)
    _no_rule_crashed(dataclasses.replace(package, datasets={**package.datasets, "AE": broken}))


def test_visits_without_an_sv_dataset_are_one_finding_per_dataset():
    from validate_cases import drop_dataset

    rule = next(r for r in RULES if r.id == "TI-XD002")
    found = run_rules(drop_dataset(clean_package(), "SV"), rules=[rule])
    assert sorted((i.where, i.field) for i in found) == [("IE", "VISITNUM"), ("QS", "VISITNUM"), ("RE", "VISITNUM")]
    assert {i.severity for i in found} == {rule.severity}


def test_subject_dates_compare_r5_progress_and_birth_dates():
    from validate_cases import with_fhir

    rule = next(r for r in RULES if r.id == "TI-FH005")
    package = clean_package()
    dm = package.datasets["DM"]
    frame = dm.frame.assign(RFICDTC=["2022-02-21", "2022-02-25"], BRTHDTC=["1977-05", ""])
    package = dataclasses.replace(package, datasets={**package.datasets, "DM": dataclasses.replace(dm, frame=frame)})
    resources = [
        {"resourceType": "Patient", "id": "p1", "identifier": [{"value": "001"}], "birthDate": "1977-06"},
        {"resourceType": "ResearchSubject", "id": "rs2", "identifier": [{"value": "002"}],
         "progress": [{"startDate": "2022-03-01"}, {"startDate": "2022-02-25"}]},
    ]  # fmt: skip
    found = run_rules(with_fhir(package, resources), rules=[rule])
    assert [(i.key, i.field, i.value) for i in found] == [("NCT05016804-ATG01-001", "BRTHDTC", "1977-05")]

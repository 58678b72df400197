"""Model conformance: variables the SDTM model does not allow for the domain's class (TI-PR008), population flags
kept in SUPPDM (TI-PR009). Expected findings are literal."""

from __future__ import annotations

import dataclasses

from trialinterop.validate.engine import run_rules
from trialinterop.validate.registry import get_rule
from validate_cases import S1, S2, STUDY, clean_package, drop_column, make_dataset, replace_dataset


def _found(package, rule_id: str) -> list[tuple[str, str, str, str, str]]:
    issues = run_rules(package, rules=[get_rule(rule_id)])
    return [(i.where, i.key, i.field, i.value, i.message) for i in issues]


def _with_columns(name: str, **columns: object):
    package = clean_package()
    ds = package.datasets[name]
    return replace_dataset(package, dataclasses.replace(ds, frame=ds.frame.assign(**columns)))


PR008 = "Variable is neither in the domain's SDTMIG table nor allowed by the SDTM model for its class"


def test_pr008_variable_of_another_class_or_unknown():
    package = _with_columns("AE", AETESTCD="X", AEORRES="1", AEFOO="x")
    assert _found(package, "TI-PR008") == [
        ("AE", "", "AETESTCD", "", f"{PR008}: not an SDTM Events variable of AE"),
        ("AE", "", "AEORRES", "", f"{PR008}: not an SDTM Events variable of AE"),
        ("AE", "", "AEFOO", "", f"{PR008}: not an SDTM Events variable of AE"),
    ]


def test_pr008_model_allowed_variables_beyond_the_ig_table():
    # what the CDISC pilot adds: AEDTC/AEDY, VISITNUM/VISIT/VISITDY in CM, MHLLT/MHHLT/MHHLGT/MHSEV, QS timing
    ae = _with_columns("AE", AEDTC="2022-03-05", AEDY=5, VISITNUM=2, AELLT="Headache", AEHLGT="Headaches")
    assert _found(ae, "TI-PR008") == []
    qs = _with_columns("QS", QSTPT="PRE-DOSE", QSTPTNUM=1, QSREPNUM=1, QSLOBXFL="Y")
    assert _found(qs, "TI-PR008") == []


def test_pr008_prefix_is_the_domain_not_the_dataset_name():
    # a split dataset (QSCO) is judged as QS: QSXX is unknown, QSCOXX would be too
    package = _with_columns("QS", QSXX="1")
    split = dataclasses.replace(package.datasets["QS"], name="QSCO", path="qsco.xpt")
    package = replace_dataset(package, split)
    expected = ("QSXX", "", f"{PR008}: not an SDTM Findings variable of QS")
    assert _found(package, "TI-PR008") == [("QS", "", *expected), ("QSCO", "", *expected)]


def test_pr008_special_purpose_and_trial_design_not_judged():
    # SDTMIG 3.4 SV assumption 15a allows EPOCH and TAETORD in SV (CORE-000550 reports SV.EPOCH on the pilot)
    package = _with_columns("SV", TAETORD=1)
    assert _found(package, "TI-PR008") == []
    package = _with_columns("TA", TAFOO="x")
    assert _found(package, "TI-PR008") == []


def _suppdm(*qnams: str):
    records = [
        {"STUDYID": STUDY, "RDOMAIN": "DM", "USUBJID": s, "IDVAR": "", "IDVARVAL": "", "QNAM": q, "QLABEL": q.title(),
         "QVAL": "Y", "QORIG": "Derived", "QEVAL": ""}
        for q in qnams for s in (S1, S2)
    ]  # fmt: skip
    return replace_dataset(clean_package(), make_dataset("SUPPDM", records))


PR009 = "Population flag kept as a supplemental qualifier of DM (population flags belong in ADaM ADSL)"


def test_pr009_population_flags_one_finding_per_qnam():
    package = _suppdm("COMPLT16", "EFFICACY", "ITT", "SAFETY", "SAFFL", "RACEOTH")
    assert _found(package, "TI-PR009") == [
        ("SUPPDM", "", "QNAM", "COMPLT16", f"{PR009}: 2 records"),
        ("SUPPDM", "", "QNAM", "EFFICACY", f"{PR009}: 2 records"),
        ("SUPPDM", "", "QNAM", "ITT", f"{PR009}: 2 records"),
        ("SUPPDM", "", "QNAM", "SAFETY", f"{PR009}: 2 records"),
        ("SUPPDM", "", "QNAM", "SAFFL", f"{PR009}: 2 records"),
    ]


def test_pr009_other_qualifiers_and_other_parents_are_fine():
    package = _suppdm("RACEOTH", "ITTX", "COMPLTX1")
    assert [f[3] for f in _found(package, "TI-PR009")] == ["COMPLTX1"]  # COMPLT* is a completers flag
    other = replace_dataset(
        clean_package(),
        make_dataset("SUPPAE", [{**clean_package().datasets["SUPPAE"].frame.iloc[0].to_dict(), "QNAM": "ITT"}]),
    )
    assert _found(other, "TI-PR009") == []


PR010 = "EPOCH is missing from a subject-level observation dataset with dates"
PR011 = "Study day variable is missing while its date variable is populated"


def test_pr010_dated_observation_dataset_without_epoch_mh_exempt():
    # the pilot's SC (CORE-000701): SCDTC but no EPOCH; one finding per dataset with its record count
    package = drop_column(clean_package(), "QS", "EPOCH")
    records = len(package.datasets["QS"].frame)
    assert _found(package, "TI-PR010") == [("QS", "", "EPOCH", "", f"{PR010}: {records} records, dates in QSDTC")]
    # MH (conditions begun before the study) is exempt, as in CORE-000701
    mh = make_dataset(
        "MH",
        [{"STUDYID": STUDY, "DOMAIN": "MH", "USUBJID": S1, "MHSEQ": 1, "MHTERM": "Raynaud", "MHSTDTC": "2019",
          "MHSTDY": None}],
    )  # fmt: skip
    assert _found(replace_dataset(clean_package(), mh), "TI-PR010") == []


def test_pr010_and_pr011_clean_package_and_undated_dataset():
    assert _found(clean_package(), "TI-PR010") == []
    assert _found(clean_package(), "TI-PR011") == []
    # no date variable: nothing to place in an epoch
    undated = drop_column(drop_column(drop_column(clean_package(), "QS", "EPOCH"), "QS", "QSDTC"), "QS", "QSDY")
    assert _found(undated, "TI-PR010") == []


def test_pr011_date_without_its_study_day():
    # the pilot's MH (CORE-000328): MHSTDTC populated, no MHSTDY
    package = drop_column(clean_package(), "AE", "AESTDY")
    assert _found(package, "TI-PR011") == [("AE", "", "AESTDY", "", f"{PR011}: AESTDTC is populated")]
    # an all-null date needs no study day
    package = drop_column(_all_values(clean_package(), "AE", "AEENDTC", ""), "AE", "AEENDY")
    assert _found(package, "TI-PR011") == []


def _all_values(package, name: str, column: str, value: object):
    ds = package.datasets[name]
    return replace_dataset(package, dataclasses.replace(ds, frame=ds.frame.assign(**{column: value})))

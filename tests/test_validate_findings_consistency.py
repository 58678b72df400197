"""Findings-class consistency rules: derived records and NOT DONE (TI-FN005), baseline flag with a result (TI-FN008),
reason not done (TI-FN009), normal ranges only for numeric results (TI-FN010). Expected findings are literal."""

from __future__ import annotations

from trialinterop.validate.engine import run_rules
from trialinterop.validate.registry import get_rule
from validate_cases import NA, S1, STUDY, clean_package, make_dataset, replace_dataset


def _found(package, rule_id: str) -> list[tuple[str, str, str, str]]:
    issues = run_rules(package, rules=[get_rule(rule_id)])
    return [(i.where, i.key, i.field, i.value) for i in issues]


def _qs(*rows: dict):
    base = {"STUDYID": STUDY, "DOMAIN": "QS", "USUBJID": S1, "QSCAT": "ABC", "QSSTRESN": NA, "QSBLFL": "",
            "QSDRVFL": "", "QSSTAT": "", "QSREASND": "", "VISITNUM": 2, "VISIT": "DAY 1",
            "QSDTC": "2022-03-01"}  # fmt: skip
    records = [{**base, "QSSEQ": n, **row} for n, row in enumerate(rows, start=1)]
    return replace_dataset(clean_package(), make_dataset("QS", records))


def _lb(*rows: dict):
    base = {"STUDYID": STUDY, "DOMAIN": "LB", "USUBJID": S1, "LBTESTCD": "GLUC", "LBTEST": "Glucose",
            "LBORRESU": "mg/dL", "LBORNRLO": "", "LBORNRHI": "", "LBSTRESC": "", "VISITNUM": 2, "VISIT": "DAY 1",
            "LBDTC": "2022-03-01"}  # fmt: skip
    records = [{**base, "LBSEQ": n, **row} for n, row in enumerate(rows, start=1)]
    return replace_dataset(clean_package(), make_dataset("LB", records))


# -- TI-FN005: a null result needs NOT DONE, but only on collected records --------------------------------------------


def test_fn005_null_collected_result_without_status():
    package = _qs(
        {"QSTESTCD": "ITEM1", "QSTEST": "Item 1", "QSORRES": "", "QSSTRESC": ""},
        {"QSTESTCD": "ITEM2", "QSTEST": "Item 2", "QSORRES": "", "QSSTRESC": "", "QSSTAT": "NOT DONE",
         "QSREASND": "REFUSED"},
    )  # fmt: skip
    assert _found(package, "TI-FN005") == [("QS", f"{S1}, QSSEQ=1", "QSORRES", "")]


def test_fn005_derived_record_with_null_result_is_not_asked_for_status():
    package = _qs(
        {"QSTESTCD": "TOTAL", "QSTEST": "Total score", "QSORRES": "", "QSSTRESC": "", "QSDRVFL": "Y"},
        {"QSTESTCD": "ITEM1", "QSTEST": "Item 1", "QSORRES": "3", "QSSTRESC": "3"},
    )  # fmt: skip
    assert _found(package, "TI-FN005") == []


def test_fn005_drvfl_other_than_y_does_not_exempt():
    package = _qs({"QSTESTCD": "TOTAL", "QSTEST": "Total score", "QSORRES": "", "QSSTRESC": "", "QSDRVFL": "N"})
    assert _found(package, "TI-FN005") == [("QS", f"{S1}, QSSEQ=1", "QSORRES", "")]


# -- TI-FN008: --BLFL = Y needs --STRESC ------------------------------------------------------------------------------


def test_fn008_baseline_flag_on_record_without_result():
    package = _qs(
        {"QSTESTCD": "ITEM1", "QSTEST": "Item 1", "QSORRES": "", "QSSTRESC": "", "QSBLFL": "Y", "QSSTAT": "NOT DONE",
         "QSREASND": "REFUSED"},
        {"QSTESTCD": "ITEM2", "QSTEST": "Item 2", "QSORRES": "2", "QSSTRESC": "2", "QSBLFL": "Y"},
    )  # fmt: skip
    assert _found(package, "TI-FN008") == [("QS", f"{S1}, QSSEQ=1", "QSBLFL", "ITEM1")]


def test_fn008_clean_when_baseline_records_have_results_or_no_flag():
    package = _qs(
        {"QSTESTCD": "ITEM1", "QSTEST": "Item 1", "QSORRES": "1", "QSSTRESC": "1", "QSBLFL": "Y"},
        {"QSTESTCD": "ITEM2", "QSTEST": "Item 2", "QSORRES": "", "QSSTRESC": "", "QSSTAT": "NOT DONE",
         "QSREASND": "REFUSED"},
    )  # fmt: skip
    assert _found(package, "TI-FN008") == []


def test_fn008_applies_only_to_findings_class_datasets():
    ae = clean_package().datasets["AE"]
    frame = ae.frame.assign(AEBLFL="Y", AESTRESC="")  # nonsense variables on an Events dataset: not this rule's
    package = replace_dataset(clean_package(), make_dataset("AE", frame.to_dict("records")))
    assert _found(package, "TI-FN008") == []


# -- TI-FN009: NOT DONE needs --REASND --------------------------------------------------------------------------------


def test_fn009_not_done_without_reason():
    package = _qs(
        {"QSTESTCD": "ITEM1", "QSTEST": "Item 1", "QSORRES": "", "QSSTRESC": "", "QSSTAT": "NOT DONE"},
        {"QSTESTCD": "ITEM2", "QSTEST": "Item 2", "QSORRES": "", "QSSTRESC": "", "QSSTAT": "NOT DONE",
         "QSREASND": "REFUSED"},
    )  # fmt: skip
    assert _found(package, "TI-FN009") == [("QS", f"{S1}, QSSEQ=1", "QSREASND", "ITEM1")]


def test_fn009_not_done_in_dataset_without_reasnd_variable():
    records = [
        {"STUDYID": STUDY, "DOMAIN": "VS", "USUBJID": S1, "VSSEQ": 1, "VSTESTCD": "PULSE", "VSTEST": "Pulse Rate",
         "VSORRES": "", "VSSTRESC": "", "VSSTAT": "NOT DONE", "VISITNUM": 2, "VISIT": "DAY 1"},
        {"STUDYID": STUDY, "DOMAIN": "VS", "USUBJID": S1, "VSSEQ": 2, "VSTESTCD": "SYSBP",
         "VSTEST": "Systolic Blood Pressure", "VSORRES": "120", "VSSTRESC": "120", "VSSTAT": "", "VISITNUM": 2,
         "VISIT": "DAY 1"},
    ]  # fmt: skip
    package = replace_dataset(clean_package(), make_dataset("VS", records))
    assert _found(package, "TI-FN009") == [("VS", f"{S1}, VSSEQ=1", "VSREASND", "PULSE")]


def test_fn009_clean_package_and_reasons_given():
    assert _found(clean_package(), "TI-FN009") == []
    package = _qs({"QSTESTCD": "ITEM1", "QSTEST": "Item 1", "QSORRES": "", "QSSTRESC": "", "QSSTAT": "NOT DONE",
                   "QSREASND": "REFUSED TO ANSWER"})  # fmt: skip
    assert _found(package, "TI-FN009") == []


# -- TI-FN010: normal ranges only with a numeric (continuous) result --------------------------------------------------


def test_fn010_non_numeric_result_with_normal_range():
    package = _lb(
        {"LBORRES": "<40", "LBORNRLO": "50", "LBORNRHI": "250", "LBSTRESC": "<2.2204"},
        {"LBTESTCD": "BILI", "LBTEST": "Bilirubin", "LBORRES": "<0.2", "LBORNRLO": "", "LBORNRHI": "1.2",
         "LBSTRESC": "<3.42"},
        {"LBORRES": "95", "LBORNRLO": "50", "LBORNRHI": "250", "LBSTRESC": "95"},
    )  # fmt: skip
    assert _found(package, "TI-FN010") == [
        ("LB", f"{S1}, LBSEQ=1", "LBORRES", "<40 (LBORNRLO 50, LBORNRHI 250)"),
        ("LB", f"{S1}, LBSEQ=2", "LBORRES", "<0.2 (LBORNRHI 1.2)"),
    ]


def test_fn010_numeric_results_and_unranged_text_results_are_fine():
    package = _lb(
        {"LBORRES": "95", "LBORNRLO": "50", "LBORNRHI": "250", "LBSTRESC": "95"},
        {"LBORRES": "-0.5", "LBORNRLO": "-1", "LBORNRHI": "1", "LBSTRESC": "-0.5"},
        {"LBORRES": ".5", "LBORNRLO": "0", "LBORNRHI": "1", "LBSTRESC": "0.5"},
        {"LBTESTCD": "COLOR", "LBTEST": "Color", "LBORRES": "YELLOW", "LBORRESU": "", "LBSTRESC": "YELLOW"},
        {"LBORRES": "", "LBORNRLO": "50", "LBORNRHI": "250", "LBSTRESC": ""},
    )  # fmt: skip
    assert _found(package, "TI-FN010") == []

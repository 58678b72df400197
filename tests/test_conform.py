"""conform(): the spec applied attribute by attribute; every finding is an Issue, nothing is repaired silently."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from test_spec_sample_frames import S1, S2, sample_frames
from trialinterop.definition import bundled_definition
from trialinterop.issues import Severity
from trialinterop.sdtm.conform import (
    ITEMISE_LIMIT,
    Conforming,
    apply_type,
    check_codelist,
    check_known_variables,
    check_length,
    check_present,
    check_required,
    check_supp_labels,
    check_value_level,
    conform,
    conform_dataset,
    drop_empty_permissible,
    select_and_order,
    sort_rows,
)
from trialinterop.spec import load_spec


@pytest.fixture(scope="module")
def spec():
    """NCT05016804's specification (its value-level metadata comes from its study definition)."""
    return load_spec(definition=bundled_definition("NCT05016804"))


def _rules(issues, severity=None):
    return [(i.rule, i.field) for i in issues if severity is None or i.severity == severity]


def test_sample_package_conforms_without_errors(spec) -> None:
    frames, issues = conform(sample_frames(), spec)
    assert [i for i in issues if i.severity >= Severity.WARNING] == []
    assert _rules(issues) == [("TI-CF012", "QSDRVFL")]  # BRTHDTC is Collected: kept though null
    assert list(frames) == ["DM", "AE", "QS", "RE", "TS", "SUPPDM", "SUPPAE"]


def test_columns_follow_spec_order_and_rows_the_keys(spec) -> None:
    frames = sample_frames()
    frames["AE"] = frames["AE"][list(reversed(frames["AE"].columns))]
    conformed, _ = conform(frames, spec)
    assert list(conformed["AE"].columns[:6]) == ["STUDYID", "DOMAIN", "USUBJID", "AESEQ", "AESPID", "AETERM"]
    assert list(conformed["DM"]["USUBJID"]) == [S1, S2]  # input had S2 first; keys STUDYID USUBJID
    # AE keys: STUDYID USUBJID AEDECOD AESTDTC -> Headache before Pyrexia
    assert list(conformed["AE"]["AEDECOD"]) == ["Headache", "Pyrexia"]


def test_types_are_applied(spec) -> None:
    conformed, _ = conform(sample_frames(), spec)
    dm = conformed["DM"]
    assert dm["AGE"].dtype == "float64" and list(dm["AGE"]) == [45.0, 61.0]
    # text is a Categorical of str (one hashing, reused by the writers); nulls are missing codes
    assert isinstance(dm["SEX"].dtype, pd.CategoricalDtype) and list(dm["SEX"].cat.categories) == ["M", "F"]
    assert dm["SEX"].tolist() == ["F", "M"] and dm["DTHFL"].isna().tolist() == [True, True]


def test_dataset_not_in_spec(spec) -> None:
    frames = {"XX": pd.DataFrame({"A": [1]})}
    _, issues = conform(frames, spec)
    assert _rules(issues) == [("TI-CF001", "")]
    assert issues[0].where == "XX"


def test_missing_expected_and_extra_variables_are_errors(spec) -> None:
    dm = sample_frames()["DM"].drop(columns=["AGE", "SITEID", "ETHNIC"]).assign(HEIGHT=[170, 160])
    _, issues = conform_dataset(dm, "DM", spec)
    errors = _rules(issues, Severity.ERROR)
    assert ("TI-CF002", "AGE") in errors and ("TI-CF002", "SITEID") in errors
    assert ("TI-CF003", "HEIGHT") in errors
    assert ("TI-CF002", "ETHNIC") not in errors  # Perm may be absent


def test_num_coercion_failures_are_itemised(spec) -> None:
    dm = sample_frames()["DM"].astype({"AGE": object})
    dm.loc[0, "AGE"] = "sixty"
    conformed, issues = conform_dataset(dm, "DM", spec)
    [issue] = [i for i in issues if i.rule == "TI-CF004"]
    assert (issue.field, issue.value, issue.severity) == ("AGE", "sixty", Severity.ERROR)
    assert issue.key == f"row 1, USUBJID={S2}"
    assert conformed["AGE"].isna().sum() == 1


def test_numbers_in_char_variable_become_text_with_a_warning(spec) -> None:
    ae = sample_frames()["AE"]
    ae["AESPID"] = [1, 2]
    conformed, issues = conform_dataset(ae, "AE", spec)
    assert list(conformed["AESPID"]) == ["1", "2"]
    assert _rules(issues, Severity.WARNING) == [("TI-CF005", "AESPID")]


def test_datetime_objects_in_char_variable_are_errors(spec) -> None:
    ae = sample_frames()["AE"].astype({"AESTDTC": object})
    ae.loc[0, "AESTDTC"] = dt.date(2022, 5, 1)
    _, issues = conform_dataset(ae, "AE", spec)
    assert ("TI-CF013", "AESTDTC") in _rules(issues, Severity.ERROR)


def test_required_null_is_an_error(spec) -> None:
    ae = sample_frames()["AE"]
    ae.loc[1, "AEDECOD"] = None
    _, issues = conform_dataset(ae, "AE", spec)
    assert _rules(issues, Severity.ERROR) == [("TI-CF006", "AEDECOD")]


def test_value_longer_than_the_spec_limit(spec) -> None:
    dm = sample_frames()["DM"]
    dm.loc[0, "SEX"] = "FEMALEXYZ"  # SEX length_limit 8
    _, issues = conform_dataset(dm, "DM", spec)
    assert ("TI-CF007", "SEX") in _rules(issues, Severity.ERROR)


def test_codelists_non_extensible_error_extensible_warning_dictionary_skipped(spec) -> None:
    frames = sample_frames()
    frames["DM"].loc[0, "SEX"] = "X"
    frames["AE"].loc[0, "EPOCH"] = "RUN-IN"
    frames["AE"].loc[0, "AEDECOD"] = "Not a MedDRA term at all"
    _, issues = conform(frames, spec)
    found = {(i.rule, i.field, i.severity, i.value) for i in issues}
    assert ("TI-CF008", "SEX", Severity.ERROR, "X") in found
    assert ("TI-CF009", "EPOCH", Severity.WARNING, "RUN-IN") in found
    assert not any(i.field == "AEDECOD" for i in issues)


def test_value_level_codelist_and_range(spec) -> None:
    qs = sample_frames()["QS"]
    qs.loc[0, "QSORRES"] = "5"  # MRSS0101: MRSS01RS 0..3
    qs.loc[0, "QSSTRESN"] = 5
    qs.loc[2, "QSSTRESN"] = 52  # total 0..51
    _, issues = conform_dataset(qs, "QS", spec)
    found = {(i.rule, i.field, i.value) for i in issues}
    assert ("TI-CF008", "QSORRES", "5") in found
    assert ("TI-CF010", "QSSTRESN", "5") in found
    assert ("TI-CF010", "QSSTRESN", "52") in found


@pytest.mark.parametrize(
    ("usubjid", "dsseq"),
    [([S1] * 2, [1, 2]), (pd.Categorical([S1, S1]), np.array([1.0, 2.0]))],
    ids=["text-and-integers", "categorical-subject-and-float-sequence"],  # the second: row keys from the codes
)
def test_value_level_codelist_depends_on_the_where_clause(spec, usubjid, dsseq) -> None:
    ds = pd.DataFrame(
        {
            "STUDYID": ["NCT05016804"] * 2,
            "DOMAIN": ["DS"] * 2,
            "USUBJID": usubjid,
            "DSSEQ": dsseq,
            "DSTERM": ["Informed consent obtained", "Completed"],
            "DSDECOD": ["INFORMED CONSENT OBTAINED", "INFORMED CONSENT OBTAINED"],
            "DSCAT": ["PROTOCOL MILESTONE", "DISPOSITION EVENT"],
            "DSSTDTC": ["2022-02-10", "2026-03-01"],
            "DSSTDY": [-19, 1462],
        }
    )
    _, issues = conform_dataset(ds, "DS", spec)
    flagged = [(i.rule, i.field, i.key) for i in issues if i.severity >= Severity.WARNING]
    assert flagged == [("TI-CF009", "DSDECOD", f"row 2, USUBJID={S1}, DSSEQ=2")]  # NCOMPLT is extensible


def test_value_without_value_level_entry_is_a_warning(spec) -> None:
    suppae = sample_frames()["SUPPAE"]
    suppae.loc[1, "QNAM"] = "AEXTRA"
    _, issues = conform_dataset(suppae, "SUPPAE", spec)
    assert [(i.rule, i.field) for i in issues] == [("TI-CF011", "QVAL")]


def test_itemised_issues_are_capped_with_a_summary(spec) -> None:
    count = ITEMISE_LIMIT + 5
    dm = pd.concat([sample_frames()["DM"].iloc[[0]]] * count, ignore_index=True)
    dm["USUBJID"] = [f"S{i:03d}" for i in range(count)]
    dm["SEX"] = "X"
    _, issues = conform_dataset(dm, "DM", spec)
    sex = [i for i in issues if i.rule == "TI-CF008"]
    assert len(sex) == ITEMISE_LIMIT + 1
    assert sex[-1].message.startswith("5 more like this (30 in all)")


def test_empty_perm_collected_variable_is_kept_and_derived_one_dropped(spec) -> None:
    conformed, issues = conform_dataset(sample_frames()["DM"], "DM", spec)
    assert "BRTHDTC" in conformed.columns and conformed["BRTHDTC"].isna().all() and issues == []
    qs, issues = conform_dataset(sample_frames()["QS"], "QS", spec)
    assert "QSDRVFL" not in qs.columns
    assert [(i.rule, i.severity, i.field) for i in issues] == [("TI-CF012", Severity.NOTICE, "QSDRVFL")]


def test_empty_perm_variables_can_all_be_kept(spec) -> None:
    conformed, issues = conform_dataset(sample_frames()["QS"], "QS", spec, drop_empty_perm=False)
    assert "QSDRVFL" in conformed.columns and issues == []


def test_supp_label_and_origin_follow_value_level_metadata(spec) -> None:
    suppae = sample_frames()["SUPPAE"]
    suppae.loc[0, "QLABEL"] = "Treatment-Emergent"
    suppae.loc[1, "QORIG"] = "Collected"
    _, issues = conform_dataset(suppae, "SUPPAE", spec)
    assert [(i.rule, i.field, i.value, i.severity) for i in issues] == [
        ("TI-CF014", "QLABEL", "Treatment-Emergent", Severity.WARNING),
        ("TI-CF014", "QORIG", "Collected", Severity.WARNING),
    ]


def test_empty_study_day_kept_beside_its_date(spec) -> None:
    qs = sample_frames()["QS"].assign(QSDY=float("nan"))
    conformed, issues = conform_dataset(qs, "QS", spec)
    assert "QSDY" in conformed.columns and conformed["QSDY"].isna().all()
    assert ("TI-CF012", "QSDY") not in [(i.rule, i.field) for i in issues]
    undated = qs.assign(QSDTC=None)  # QSDTC is Expected: kept though empty, and so is QSDY beside it
    conformed, issues = conform_dataset(undated, "QS", spec)
    assert "QSDTC" in conformed.columns and "QSDY" in conformed.columns
    assert ("TI-CF012", "QSDY") not in [(i.rule, i.field) for i in issues]
    no_date_column = qs.drop(columns=["QSDTC"])
    conformed, _ = conform_dataset(no_date_column, "QS", spec)
    assert "QSDY" not in conformed.columns


# One test per step of conform_dataset, each step used alone on a `Conforming`.


def _found(dataset):
    return [(i.rule, i.severity, i.key, i.field, i.value, i.message) for i in dataset.issues()]


def test_step_check_known_variables(spec) -> None:
    dataset = Conforming(sample_frames()["DM"].assign(HEIGHT=[170, 160]), "DM", spec)
    check_known_variables(dataset)
    assert _found(dataset) == [("TI-CF003", Severity.ERROR, "", "HEIGHT", "", "variable is not in the specification")]


def test_step_check_present(spec) -> None:
    dataset = Conforming(sample_frames()["DM"].drop(columns=["AGE", "ETHNIC"]), "DM", spec)
    assert check_present(dataset, spec.variable("DM", "USUBJID")) is True
    assert check_present(dataset, spec.variable("DM", "AGE")) is False  # Expected
    assert check_present(dataset, spec.variable("DM", "ETHNIC")) is False  # Permissible: no issue
    assert _found(dataset) == [("TI-CF002", Severity.ERROR, "", "AGE", "", "Exp variable AGE is missing")]


def test_step_apply_type(spec) -> None:
    dm = sample_frames()["DM"].astype({"AGE": object})
    dm.loc[0, "AGE"] = "sixty"
    ae = sample_frames()["AE"].assign(AESPID=[7, 8.0])
    dm_dataset, ae_dataset = Conforming(dm, "DM", spec), Conforming(ae, "AE", spec)
    age = apply_type(dm_dataset, spec.variable("DM", "AGE"))
    assert age.dtype == "float64" and age.isna().tolist() == [True, False] and age[1] == 45.0
    sex = apply_type(dm_dataset, spec.variable("DM", "SEX"))
    assert isinstance(sex.dtype, pd.CategoricalDtype) and sex.tolist() == ["M", "F"]
    assert apply_type(ae_dataset, spec.variable("AE", "AESPID")).tolist() == ["7", "8"]
    assert _found(dm_dataset) == [
        ("TI-CF004", Severity.ERROR, f"row 1, USUBJID={S2}", "AGE", "sixty", "value is not a number in a Num variable")
    ]
    assert _found(ae_dataset) == [("TI-CF005", Severity.WARNING, "", "AESPID", "", "2 number(s) converted to text")]
    apply_type(dm_dataset, spec.variable("DM", "AGE"))  # typed once: no second issue
    assert len(dm_dataset.issues()) == 1


def test_step_check_length(spec) -> None:
    dm = sample_frames()["DM"]
    dm.loc[1, "SEX"] = "FEMALEXYZ"  # SEX: length 8
    dataset = Conforming(dm, "DM", spec)
    check_length(dataset, spec.variable("DM", "SEX"))
    assert _found(dataset) == [
        ("TI-CF007", Severity.ERROR, f"row 2, USUBJID={S1}", "SEX", "FEMALEXYZ", "9 bytes, limit 8")
    ]


def test_step_check_codelist(spec) -> None:
    dm = sample_frames()["DM"]
    dm.loc[0, "SEX"] = "X"
    dm.loc[1, "SEX"] = None
    dataset = Conforming(dm, "DM", spec)
    check_codelist(dataset, spec.variable("DM", "SEX"))
    assert _found(dataset) == [("TI-CF008", Severity.ERROR, f"row 1, USUBJID={S2}", "SEX", "X", "not a term of SEX")]


def test_step_check_required(spec) -> None:
    ae = sample_frames()["AE"]
    ae.loc[1, "AEDECOD"] = None
    dataset = Conforming(ae, "AE", spec)
    check_required(dataset, spec.variable("AE", "AEDECOD"))
    check_required(dataset, spec.variable("AE", "AESPID"))  # Permissible: nulls allowed
    assert _found(dataset) == [
        ("TI-CF006", Severity.ERROR, f"row 2, USUBJID={S1}, AESEQ=2", "AEDECOD", "", "Req variable AEDECOD is null")
    ]


def test_step_check_value_level(spec) -> None:
    qs = sample_frames()["QS"]
    qs.loc[2, "QSSTRESN"] = 52  # MRSS0118, the total: 0..51
    dataset = Conforming(qs, "QS", spec)
    check_value_level(dataset)
    assert _found(dataset) == [
        (
            "TI-CF010",
            Severity.ERROR,
            f"row 3, USUBJID={S1}, QSSEQ=3",
            "QSSTRESN",
            "52",
            "outside 0..51 (QSTESTCD=MRSS0118)",
        )
    ]


def test_step_check_supp_labels(spec) -> None:
    suppae = sample_frames()["SUPPAE"]
    suppae.loc[1, "QORIG"] = "Collected"
    dataset = Conforming(suppae, "SUPPAE", spec)
    check_supp_labels(dataset)
    assert _found(dataset) == [
        (
            "TI-CF014",
            Severity.WARNING,
            f"row 2, USUBJID={S1}",
            "QORIG",
            "Collected",
            "QORIG for QNAM AETRTEM should be 'Derived'",
        )
    ]


def test_step_drop_empty_permissible(spec) -> None:
    dataset = Conforming(sample_frames()["QS"].assign(QSDY=float("nan")), "QS", spec)
    drop_empty_permissible(dataset)  # QSDRVFL: Perm, derived, empty; QSDY: empty but beside QSDTC
    assert dataset.dropped == {"QSDRVFL"}
    assert _found(dataset) == [
        ("TI-CF012", Severity.NOTICE, "", "QSDRVFL", "", "Perm variable QSDRVFL has no data and was dropped")
    ]
    assert "QSDRVFL" not in select_and_order(dataset).columns


def test_step_select_and_order(spec) -> None:
    ae = sample_frames()["AE"][["AETERM", "USUBJID", "STUDYID", "AESEQ"]].assign(EXTRA=["a", "b"])
    selected = select_and_order(Conforming(ae, "AE", spec))
    assert list(selected.columns) == ["STUDYID", "USUBJID", "AESEQ", "AETERM"]
    assert selected["AESEQ"].tolist() == [1.0, 2.0] and selected["AETERM"].tolist() == [
        "Headache",
        "Fever after infusion",
    ]


def test_step_sort_rows(spec) -> None:
    frame = pd.DataFrame(
        {
            "STUDYID": ["S"] * 4,
            "USUBJID": ["B", "A", "A", None],
            "AEDECOD": ["Pyrexia", "Pyrexia", "Headache", "Headache"],
            "AESEQ": [1.0, 2.0, 1.0, 1.0],
        }
    )
    ordered = sort_rows(frame, "AE", spec)  # AE keys: STUDYID USUBJID AEDECOD AESTDTC, then AESEQ
    assert ordered.fillna("<null>").to_dict("list") == {
        "STUDYID": ["S"] * 4,
        "USUBJID": ["A", "A", "B", "<null>"],
        "AEDECOD": ["Headache", "Pyrexia", "Pyrexia", "Headache"],
        "AESEQ": [1.0, 2.0, 1.0, 1.0],
    }
    assert list(ordered.index) == [0, 1, 2, 3]

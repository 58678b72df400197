"""Adverse events incomplete at a data cut (no start, seriousness, severity, causality, action or outcome): the
nulls stay null in AE, AESEQ and the dataset sort still work, AETRTEM follows MT.AETRTEM, and conform() reports no
ERROR for the null Expected variables."""

from __future__ import annotations

from test_sdtm_factory import adverse_events, context, records, rows
from trialinterop.ct import load_terminology
from trialinterop.sdtm.build import build_sdtm
from trialinterop.sdtm.conform import conform
from trialinterop.sdtm.domains.ae import build_ae, build_suppae
from trialinterop.source import models as m
from trialinterop.spec import load_spec

S1, S2, S4 = (f"NCT05016804-{s}" for s in ("01-001", "01-002", "02-001"))
INCOMPLETE = (
    m.AdverseEvent("01-001", 3, "NAUSEA"),  # uncoded, nothing but the term
    m.AdverseEvent("01-001", 4, "HEADACHE AGAIN", pt="Headache", pt_code=10019211, end="2022-04"),
    m.AdverseEvent("01-002", 1, "COUGH", severity="MILD"),  # subject never treated
)


def trial() -> m.TrialRecords:
    return records(adverse_events=adverse_events() + INCOMPLETE)


def test_nulls_stay_null_and_sort_last() -> None:
    data = trial()
    ae = build_ae(data, context(data))
    columns = ["USUBJID", "AESEQ", "AESPID", "AEDECOD", "AESTDTC", "AEENDTC", "AESTDY", "EPOCH"]
    assert rows(ae, columns) == [
        (S1, 1, "1", "Headache", "2022-03-10", "2022-03-12", 1, "TREATMENT"),
        (S1, 2, "4", "Headache", None, "2022-04", None, None),
        (S1, 3, "2", "UNCODED", "2022-03-05", "2022-03-06", -5, "SCREENING"),
        (S1, 4, "3", "UNCODED", None, None, None, None),
        (S2, 1, "1", "UNCODED", None, None, None, None),
        (S4, 1, "2", "Fatigue", "2022-02", None, None, None),
        (S4, 2, "1", "Pneumonia", "2022-08-20", "2022-09-01", 201, "FOLLOW-UP"),
    ]
    assert rows(ae[ae.AESTDTC.isna()], ["AETERM", "AESER", "AESEV", "AEREL", "AEACN", "AEOUT"]) == [
        ("HEADACHE AGAIN", None, None, None, None, None),
        ("NAUSEA", None, None, None, None, None),
        ("COUGH", None, "MILD", None, None, None),
    ]


def test_treatment_emergent_flag_without_start() -> None:
    data = trial()
    ctx = context(data)
    supp = build_suppae(data, ctx, ae=build_ae(data, ctx))
    flags = supp[supp.QNAM == "AETRTEM"]
    assert rows(flags, ["USUBJID", "IDVARVAL", "QVAL"]) == [
        (S1, "1", "Y"),
        (S1, "2", "Y"),  # no start, treated subject: cannot be shown to precede RFXSTDTC
        (S1, "3", "N"),
        (S1, "4", "Y"),  # no start, treated subject
        (S2, "1", "N"),  # never treated
        (S4, "1", "Y"),
        (S4, "2", "Y"),
    ]


def test_conform_reports_no_error_for_null_expected_variables() -> None:
    frames = build_sdtm(trial(), load_terminology())
    conformed, issues = conform(frames, load_spec())
    ae_issues = [i for i in issues if i.where in ("AE", "SUPPAE") and i.severity.name in ("ERROR", "REJECT")]
    assert ae_issues == []
    ae = conformed["AE"]
    assert len(ae) == 7
    assert {"AESTDTC", "AESER", "AEREL", "AEACN", "AESEV", "AEOUT"} <= set(ae.columns)
    assert rows(ae, ["USUBJID", "AEDECOD", "AESTDTC", "AESEQ"])[:4] == [
        (S1, "Headache", "2022-03-10", 1),
        (S1, "Headache", None, 2),
        (S1, "UNCODED", "2022-03-05", 3),
        (S1, "UNCODED", None, 4),
    ]


def test_only_undated_events_keep_their_expected_dates() -> None:
    """Only undated AEs (as in an early data cut): AESTDTC/AEENDTC are Expected and stay, all null, without an ERROR;
    so do their empty study days (conform keeps --DY beside its date variable; see test_conform's
    test_empty_study_day_kept_beside_its_date); EPOCH, derived and Permissible, is dropped with a NOTICE."""
    data = records(adverse_events=INCOMPLETE[:1] + INCOMPLETE[2:])
    conformed, issues = conform(build_sdtm(data, load_terminology()), load_spec())
    ae = conformed["AE"]
    assert rows(ae, ["USUBJID", "AESEQ", "AETERM", "AESTDTC", "AEENDTC", "AESER", "AEOUT"]) == [
        (S1, 1, "NAUSEA", None, None, None, None),
        (S2, 1, "COUGH", None, None, None, None),
    ]
    assert [i.severity.name for i in issues if i.where == "AE" and i.severity.name in ("ERROR", "REJECT")] == []
    dropped = [i.field for i in issues if i.where == "AE" and i.rule == "TI-CF012"]
    assert sorted(dropped) == ["EPOCH"]
    assert ae["AESTDY"].isna().all() and ae["AEENDY"].isna().all()

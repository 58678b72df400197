"""Domain builders on tiny hand-made records (tests/test_sdtm_factory.py): literal expected rows."""

from __future__ import annotations

from test_sdtm_factory import context, records, rows
from trialinterop.ct import load_terminology
from trialinterop.sdtm.context import build_context
from trialinterop.sdtm.domains.ae import build_ae, build_suppae, check_uncoded_events
from trialinterop.sdtm.domains.dm import build_dm, build_suppdm
from trialinterop.sdtm.domains.ds import build_ds
from trialinterop.sdtm.domains.ex import build_ex
from trialinterop.sdtm.domains.ie import build_ie
from trialinterop.sdtm.domains.se import build_se
from trialinterop.sdtm.domains.sv import build_sv
from trialinterop.source import models as m

S1, S2, S3, S4 = (f"NCT05016804-{s}" for s in ("01-001", "01-002", "01-003", "02-001"))


def test_dm_reference_dates_and_demographics() -> None:
    dm = build_dm(records(), context())
    assert rows(dm, ["USUBJID", "SUBJID", "RFSTDTC", "RFENDTC", "RFXSTDTC", "RFXENDTC", "RFICDTC", "RFPENDTC"]) == [
        (S1, "01-001", "2022-03-10T10:00", "2022-09-10", "2022-03-10T10:00", "2022-04-20T09:00", "2022-03-01",
         "2022-09-10"),
        (S2, "01-002", None, None, None, None, "2022-02-01", "2022-02-03"),
        (S3, "01-003", None, None, None, None, "2022-02-15", "2022-02-15"),
        (S4, "02-001", "2022-02-01T11:00", "2022-09-01", "2022-02-01T11:00", "2022-02-01T11:00", "2022-01-20",
         "2022-09-01"),
    ]  # fmt: skip


def test_dm_age_race_death_site() -> None:
    dm = build_dm(records(), context())
    assert rows(dm, ["AGE", "AGEU", "SEX", "RACE", "ETHNIC", "DTHDTC", "DTHFL", "SITEID", "COUNTRY", "BRTHDTC"]) == [
        (41, "YEARS", "F", "MULTIPLE", "NOT HISPANIC OR LATINO", None, None, "01", "ATG", "1980-03-11"),  # at RFSTDTC
        (32, "YEARS", "M", "WHITE", None, None, None, "01", "ATG", "1990-01-01"),  # at consent: never treated
        (36, "YEARS", "F", "ASIAN", None, None, None, "01", "ATG", "1985-06-30"),
        (51, "YEARS", "M", "WHITE", "HISPANIC OR LATINO", "2022-09-01", "Y", "02", "ARG", "1970-05"),  # collected
    ]


def test_dm_arms_and_null_reasons() -> None:
    dm = build_dm(records(), context())
    arm = "AlloRx UC-MSC 100 million cells IV"
    assert rows(dm, ["ARMCD", "ARM", "ACTARMCD", "ACTARM", "ARMNRS", "ACTARMUD"]) == [
        ("ALLORX", arm, "ALLORX", arm, None, None),
        (None, None, None, None, "SCREEN FAILURE", None),
        ("ALLORX", arm, None, None, "ASSIGNED, NOT TREATED", None),
        ("ALLORX", arm, "ALLORX", arm, None, None),
    ]


def test_dm_actual_arm_when_any_intervention_of_the_arm_was_given() -> None:
    trial = records(
        exposures=(m.Exposure("01-003", "AUTOLOGOUS T-CELL VACCINE", "2022-02-20", 1, "mL", "SUBCUTANEOUS"),)
    )
    dm = build_dm(trial, context(trial))
    arm = "AlloRx UC-MSC 100 million cells IV"
    assert rows(dm[dm.USUBJID == S3], ["ACTARMCD", "ACTARM", "ARMNRS", "ACTARMUD", "RFXSTDTC"]) == [
        ("ALLORX", arm, None, None, "2022-02-20")
    ]  # the vaccine is an intervention of the arm (Subject.actual_arm empty: the assigned arm)


def test_suppdm_lists_each_race_of_a_multiple_race_subject() -> None:
    supp = build_suppdm(records(), context())
    assert rows(supp, ["RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL", "QORIG"]) == [
        ("DM", S1, None, None, "RACE1", "Race 1", "WHITE", "Collected"),
        ("DM", S1, None, None, "RACE2", "Race 2", "BLACK OR AFRICAN AMERICAN", "Collected"),
    ]


def test_ex_one_row_per_administration_with_protocol_defaults() -> None:
    ex = build_ex(records(), context())
    assert rows(ex, ["USUBJID", "EXSEQ", "EXTRT", "EXDOSE", "EXDOSU", "EXDOSFRM", "EXDOSFRQ", "EXROUTE", "EXLOT"]) == [
        (S1, 1, "ALLORX", 100.0, "10^6 Therapeutic Cells", "INJECTION, SUSPENSION", "ONCE", "INTRAVENOUS", "ALX-1"),
        (S1, 2, "AUTOLOGOUS T-CELL VACCINE", 1.0, "mL", "INJECTION, SUSPENSION", "ONCE", "SUBCUTANEOUS", None),
        (S4, 1, "ALLORX", 100.0, "10^6 Therapeutic Cells", "INJECTION, SUSPENSION", "ONCE", "INTRAVENOUS", None),
    ]
    assert rows(ex, ["EPOCH", "EXSTDTC", "EXENDTC", "EXSTDY", "EXENDY"]) == [
        ("TREATMENT", "2022-03-10T10:00", "2022-03-10T10:45", 1, 1),
        ("FOLLOW-UP", "2022-04-20T09:00", None, 42, None),
        ("TREATMENT", "2022-02-01T11:00", None, 1, None),
    ]


def test_ae_coding_seriousness_and_timing() -> None:
    ae = build_ae(records(), context())
    assert rows(ae, ["USUBJID", "AESEQ", "AESPID", "AETERM", "AEDECOD", "AEPTCD", "AEBODSYS", "AESOC", "AESOCCD"]) == [
        (S1, 1, "1", "HEADACHE", "Headache", 10019211, "Nervous system disorders", "Nervous system disorders",
         10029205),
        (S1, 2, "2", "ITCHY SKIN", "UNCODED", None, None, None, None),
        (S4, 1, "2", "FATIGUE", "Fatigue", 10016256, None, None, None),
        (S4, 2, "1", "PNEUMONIA", "Pneumonia", 10035664, "Infections and infestations",
         "Infections and infestations", 10021881),
    ]  # fmt: skip
    assert rows(ae, ["AESER", "AESDTH", "AESHOSP", "AESMIE", "AESLIFE", "AESEV", "AEOUT", "AETOXGR"]) == [
        ("N", None, None, None, None, "MILD", "RECOVERED/RESOLVED", "1"),
        ("N", None, None, None, None, "MILD", "RECOVERED/RESOLVED", None),
        ("N", None, None, None, None, "MILD", "RECOVERED/RESOLVED", None),
        ("Y", "Y", "Y", "N", None, "SEVERE", "FATAL", None),
    ]
    assert rows(ae, ["EPOCH", "AESTDTC", "AEENDTC", "AESTDY", "AEENDY"]) == [
        ("TREATMENT", "2022-03-10", "2022-03-12", 1, 3),
        ("SCREENING", "2022-03-05", "2022-03-06", -5, -4),
        (None, "2022-02", None, None, None),  # partial start overlapping screening and treatment
        ("FOLLOW-UP", "2022-08-20", "2022-09-01", 201, 213),
    ]


def test_uncoded_events_are_reported() -> None:
    issues = check_uncoded_events(records())
    assert [(i.rule, i.severity.name, i.field, i.value) for i in issues] == [
        ("TI-BLD-AEUNCODED", "WARNING", "AEDECOD", "ITCHY SKIN")
    ]


def test_suppae_treatment_emergent_flag_and_serious_specify() -> None:
    trial, ctx = records(), context()
    supp = build_suppae(trial, ctx, ae=build_ae(trial, ctx))
    assert rows(supp, ["USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QVAL", "QORIG", "QEVAL"]) == [
        (S1, "AESEQ", "1", "AETRTEM", "Y", "Derived", "SPONSOR"),
        (S1, "AESEQ", "2", "AETRTEM", "N", "Derived", "SPONSOR"),
        (S4, "AESEQ", "1", "AETRTEM", "Y", "Derived", "SPONSOR"),  # "2022-02": same month as the infusion
        (S4, "AESEQ", "2", "AETRTEM", "Y", "Derived", "SPONSOR"),
        (S4, "AESEQ", "2", "AESOSP", "Hospitalised, then died", "Collected", None),
    ]


# QS and RE: tests/test_sdtm_findings.py


def test_sv_planned_missed_and_unplanned_visits() -> None:
    sv = build_sv(records(), context())
    subject = sv[sv.USUBJID == S1]
    assert rows(subject, ["VISITNUM", "VISIT", "SVPRESP", "SVOCCUR", "SVREASOC", "SVSTDTC", "SVSTDY", "SVUPDES"]) == [
        (1.0, "SCREENING", "Y", "Y", None, "2022-03-01", -9, None),
        (2.0, "DAY 1", "Y", "Y", None, "2022-03-10", 1, None),
        (3.0, "MONTH 1", "Y", "N", "TRAVEL RESTRICTIONS", None, None, None),
        (3.01, "UNSCHEDULED 3.01", None, None, None, "2022-04-20", 42, "T-cell vaccine"),  # SVOCCUR: planned only
        (4.0, "MONTH 6", "Y", "Y", None, "2022-09-05", 180, None),
    ]
    assert list(sv.USUBJID.unique()) == [S1, S2, S3, S4]


def test_se_elements_per_subject() -> None:
    se = build_se(records(), context())
    assert rows(se, ["USUBJID", "SESEQ", "ETCD", "ELEMENT", "TAETORD", "EPOCH", "SESTDTC", "SEENDTC"]) == [
        (S1, 1, "SCRN", "Screening", 1, "SCREENING", "2022-03-01", "2022-03-10T10:00"),
        (S1, 2, "MSC", "AlloRx 100x10^6 cells IV", 2, "TREATMENT", "2022-03-10T10:00", "2022-03-11"),
        (S1, 3, "FU", "Follow-up", 3, "FOLLOW-UP", "2022-03-11", "2022-09-10"),
        (S2, 1, "SCRN", "Screening", 1, "SCREENING", "2022-02-01", "2022-02-03"),
        (S3, 1, "SCRN", "Screening", 1, "SCREENING", "2022-02-15", "2022-02-15"),
        (S4, 1, "SCRN", "Screening", 1, "SCREENING", "2022-01-20", "2022-02-01T11:00"),
        (S4, 2, "MSC", "AlloRx 100x10^6 cells IV", 2, "TREATMENT", "2022-02-01T11:00", "2022-02-02"),
        (S4, 3, "FU", "Follow-up", 3, "FOLLOW-UP", "2022-02-02", "2022-09-01"),
    ]  # SESEQ chronological (CORE-000535)
    assert rows(se[se.USUBJID == S1], ["SESTDY", "SEENDY"]) == [(-9, 1), (1, 2), (2, 185)]


def test_ds_consent_milestone_for_everyone_and_disposition_events() -> None:
    ds = build_ds(records(), context())
    assert rows(ds, ["USUBJID", "DSSEQ", "DSTERM", "DSDECOD", "DSCAT", "DSSCAT", "EPOCH", "DSSTDTC", "DSSTDY"]) == [
        (S1, 1, "INFORMED CONSENT OBTAINED", "INFORMED CONSENT OBTAINED", "PROTOCOL MILESTONE", None, "SCREENING",
         "2022-03-01", -9),
        (S1, 2, "Completed 48-month follow-up", "COMPLETED", "DISPOSITION EVENT", "STUDY PARTICIPATION", "FOLLOW-UP",
         "2022-09-05", 180),
        (S2, 1, "INFORMED CONSENT OBTAINED", "INFORMED CONSENT OBTAINED", "PROTOCOL MILESTONE", None, "SCREENING",
         "2022-02-01", None),
        (S2, 2, "Screen failure: active infection", "SCREEN FAILURE", "DISPOSITION EVENT", "STUDY PARTICIPATION",
         "SCREENING", "2022-02-03", None),
        (S3, 1, "INFORMED CONSENT OBTAINED", "INFORMED CONSENT OBTAINED", "PROTOCOL MILESTONE", None, "SCREENING",
         "2022-02-15", None),
        (S4, 1, "INFORMED CONSENT OBTAINED", "INFORMED CONSENT OBTAINED", "PROTOCOL MILESTONE", None, "SCREENING",
         "2022-01-20", -12),
        (S4, 2, "Death due to pneumonia", "DEATH", "DISPOSITION EVENT", "STUDY PARTICIPATION", "FOLLOW-UP",
         "2022-09-01", 213),
    ]  # fmt: skip


def test_ie_criterion_not_met() -> None:
    ie = build_ie(records(), context())
    assert rows(
        ie, ["USUBJID", "IESEQ", "IETESTCD", "IETEST", "IECAT", "IEORRES", "IESTRESC", "VISITNUM", "VISIT"]
    ) == [(S2, 1, "EXCL001", "Active infection", "EXCLUSION", "Y", "Y", 1.0, "SCREENING")]
    assert rows(ie, ["EPOCH", "IEDTC", "IEDY"]) == [("SCREENING", "2022-02-01", None)]


def test_spid_follows_the_whole_trial_when_the_records_are_some_of_its_subjects() -> None:
    """Spark builds AE per range of subjects: a range whose AEs have no sponsor id writes them empty (not numbered)
    when another range's AEs have one, as the whole trial's AE does."""
    trial = records()
    assert all(a.sponsor_id is None for a in trial.adverse_events)
    alone = build_ae(trial, context(trial))
    assert alone["AESPID"].tolist() == ["1", "2", "2", "1"]  # the AE numbers (per subject)
    whole = build_context(trial, load_terminology(), spid_domains=frozenset({"AE", "CM"}))
    assert rows(build_ae(trial, whole), ["AESPID"]) == [(None,)] * 4
    none = build_context(trial, load_terminology(), spid_domains=frozenset())
    assert build_ae(trial, none)["AESPID"].tolist() == ["1", "2", "2", "1"]

"""SDTM trial design and subject-level domains of XANAD01 (3 arms, daily patches, an element opened by a visit) on
hand-made records: literal expected rows.

- 1001 (site 701) Placebo: consent 2013-01-03, placebo patches 2013-01-11..13, completed 2013-01-14;
- 1002 (site 701) Xanomeline Low Dose: consent 2013-01-05, 54 mg patches 2013-01-12T08:00 and 2013-01-13T08:00,
  completed 2013-01-15;
- 1003 (site 703) Xanomeline High Dose: consent 2013-01-02, 54 mg 2013-01-10..12, 81 mg 2013-01-13..15, visit 12 on
  2013-01-16, 54 mg 2013-01-16..17, completed 2013-01-20;
- 1004 (site 710) screen failure: consent 2013-03-01, screen failure 2013-03-05;
- 1005 (site 703) enrolled, never assigned to an arm nor treated: consent 2013-02-01;
- 1006 (site 704) assigned Placebo but given one 81 mg patch on 2013-02-10: consent 2013-02-05.
"""

from __future__ import annotations

import dataclasses

from test_sdtm_factory import rows
from trialinterop.ct import load_terminology
from trialinterop.definition import bundled_definition
from trialinterop.definition.model import PlannedVisit, StudyDefinition, SubjectAttribute
from trialinterop.sdtm.build import build_sdtm
from trialinterop.sdtm.context import SdtmContext, build_context
from trialinterop.sdtm.domains.dm import build_dm, build_suppdm
from trialinterop.sdtm.domains.ex import build_ex
from trialinterop.sdtm.domains.se import build_se
from trialinterop.sdtm.domains.trial_design import build_ta, build_te, build_tv
from trialinterop.sdtm.domains.ts import build_ts
from trialinterop.source import models as m

S1, S2, S3, S4, S5, S6 = (
    f"XANAD01-{s}" for s in ("701-1001", "701-1002", "703-1003", "710-1004", "703-1005", "704-1006")
)
PLACEBO, XAN54, XAN81 = "PLACEBO", "XANOMELINE 54 MG", "XANOMELINE 81 MG"


def _patch(subject: str, treatment: str, start: str) -> m.Exposure:
    dose = {PLACEBO: 0, XAN54: 54, XAN81: 81}[treatment]
    return m.Exposure(subject, treatment, start, dose, "mg", "TRANSDERMAL", end=start)


def subjects() -> tuple[m.Subject, ...]:
    return (
        m.Subject("1001", "701", "F", "USA", "2013-01-03", "Y", age=63, race=("WHITE",), arm="Pbo"),
        m.Subject("1002", "701", "M", "USA", "2013-01-05", "Y", age=64, race=("WHITE",), arm="Xan_Lo"),
        m.Subject("1003", "703", "F", "USA", "2013-01-02", "Y", age=71, race=("BLACK OR AFRICAN AMERICAN",),
                  arm="Xan_Hi"),
        m.Subject("1004", "710", "M", "USA", "2013-03-01", "N", age=80, race=("WHITE",)),
        m.Subject("1005", "703", "F", "USA", "2013-02-01", "Y", age=77, race=("WHITE",)),
        m.Subject("1006", "704", "M", "USA", "2013-02-05", "Y", age=59, race=("WHITE",), arm="Pbo"),
    )  # fmt: skip


def exposures() -> tuple[m.Exposure, ...]:
    return (
        *(_patch("1001", PLACEBO, f"2013-01-{d}") for d in (11, 12, 13)),
        *(_patch("1002", XAN54, f"2013-01-{d}T08:00") for d in (12, 13)),
        *(_patch("1003", XAN54, f"2013-01-{d}") for d in (10, 11, 12)),
        *(_patch("1003", XAN81, f"2013-01-{d}") for d in (13, 14, 15)),
        *(_patch("1003", XAN54, f"2013-01-{d}") for d in (16, 17)),
        _patch("1006", XAN81, "2013-02-10"),
    )


def visits() -> tuple[m.Visit, ...]:
    return (
        m.Visit("1003", 1, "Y", "2013-01-02"),
        m.Visit("1003", 3, "Y", "2013-01-10"),
        m.Visit("1003", 4, "Y", "2013-01-13"),
        m.Visit("1003", 12, "Y", "2013-01-16"),
    )


def dispositions() -> tuple[m.Disposition, ...]:
    return (
        m.Disposition("1001", "COMPLETED", "Completed", "2013-01-14"),
        m.Disposition("1002", "COMPLETED", "Completed", "2013-01-15"),
        m.Disposition("1003", "COMPLETED", "Completed", "2013-01-20"),
        m.Disposition("1004", "SCREEN FAILURE", "Screen failure", "2013-03-05"),
    )


def records(definition: StudyDefinition | None = None, **overrides: object) -> m.TrialRecords:
    parts: dict[str, object] = {
        "subjects": subjects(),
        "exposures": exposures(),
        "visits": visits(),
        "dispositions": dispositions(),
    }
    parts.update(overrides)
    return m.TrialRecords(definition or bundled_definition("XANAD01"), **parts)  # type: ignore[arg-type]


def context(trial: m.TrialRecords | None = None) -> SdtmContext:
    return build_context(trial or records(), load_terminology())


def test_dm_arms_of_three_arms_and_every_null_reason() -> None:
    dm = build_dm(records(), context())
    assert rows(dm, ["USUBJID", "SUBJID", "SITEID", "ARMCD", "ARM", "ACTARMCD", "ACTARM", "ARMNRS", "ACTARMUD"]) == [
        (S1, "1001", "701", "Pbo", "Placebo", "Pbo", "Placebo", None, None),
        (S2, "1002", "701", "Xan_Lo", "Xanomeline Low Dose", "Xan_Lo", "Xanomeline Low Dose", None, None),
        (S3, "1003", "703", "Xan_Hi", "Xanomeline High Dose", "Xan_Hi", "Xanomeline High Dose", None, None),
        (S5, "1005", "703", None, None, None, None, "NOT ASSIGNED", None),
        (S6, "1006", "704", "Pbo", "Placebo", None, None, "UNPLANNED TREATMENT",
         "XANOMELINE 81 MG WITHOUT PLACEBO"),
        (S4, "1004", "710", None, None, None, None, "SCREEN FAILURE", None),
    ]  # fmt: skip


def test_dm_reference_dates_over_all_administrations() -> None:
    dm = build_dm(records(), context())
    assert rows(dm, ["USUBJID", "RFSTDTC", "RFENDTC", "RFXSTDTC", "RFXENDTC", "RFICDTC", "RFPENDTC"]) == [
        (S1, "2013-01-11", "2013-01-14", "2013-01-11", "2013-01-13", "2013-01-03", "2013-01-14"),
        (S2, "2013-01-12T08:00", "2013-01-15", "2013-01-12T08:00", "2013-01-13T08:00", "2013-01-05", "2013-01-15"),
        (S3, "2013-01-10", "2013-01-20", "2013-01-10", "2013-01-17", "2013-01-02", "2013-01-20"),
        (S5, None, None, None, None, "2013-02-01", "2013-02-01"),
        (S6, "2013-02-10", "2013-02-10", "2013-02-10", "2013-02-10", "2013-02-05", "2013-02-10"),
        (S4, None, None, None, None, "2013-03-01", "2013-03-05"),
    ]


def test_dm_actual_arm_collected_wins() -> None:
    changed = tuple(dataclasses.replace(s, actual_arm="Xan_Lo") if s.subject_id == "1006" else s for s in subjects())
    trial = records(subjects=changed)
    dm = build_dm(trial, context(trial))
    assert rows(dm[dm.USUBJID == S6], ["ARMCD", "ACTARMCD", "ACTARM", "ARMNRS", "ACTARMUD"]) == [
        ("Pbo", "Xan_Lo", "Xanomeline Low Dose", None, None)
    ]


def test_se_follows_each_arm_including_the_element_opened_by_a_visit() -> None:
    se = build_se(records(), context())
    assert rows(se, ["USUBJID", "SESEQ", "ETCD", "ELEMENT", "TAETORD", "EPOCH", "SESTDTC", "SEENDTC", "SESTDY"]) == [
        (S1, 1, "SCRN", "Screen", 1, "SCREENING", "2013-01-03", "2013-01-11", -8),
        (S1, 2, "PBO", "Placebo", 2, "TREATMENT", "2013-01-11", "2013-01-14", 1),
        (S2, 1, "SCRN", "Screen", 1, "SCREENING", "2013-01-05", "2013-01-12T08:00", -7),
        (S2, 2, "LO", "Low", 2, "TREATMENT", "2013-01-12T08:00", "2013-01-15", 1),
        (S3, 1, "SCRN", "Screen", 1, "SCREENING", "2013-01-02", "2013-01-10", -8),
        (S3, 2, "HIS", "High_Start", 2, "TREATMENT", "2013-01-10", "2013-01-13", 1),
        (S3, 3, "HIM", "High_Middle", 3, "TREATMENT", "2013-01-13", "2013-01-16", 4),
        (S3, 4, "HIE", "High_End", 4, "TREATMENT", "2013-01-16", "2013-01-20", 7),
        (S5, 1, "SCRN", "Screen", 1, "SCREENING", "2013-02-01", "2013-02-01", None),
        (S6, 1, "SCRN", "Screen", 1, "SCREENING", "2013-02-05", "2013-02-10", -5),
        (S4, 1, "SCRN", "Screen", 1, "SCREENING", "2013-03-01", "2013-03-05", None),
    ]


def test_se_without_the_opening_visit_the_element_is_not_entered() -> None:
    trial = records(visits=visits()[:3])  # visit 12 did not take place
    se = build_se(trial, context(trial))
    assert rows(se[se.USUBJID == S3], ["ETCD", "SESTDTC", "SEENDTC"]) == [
        ("SCRN", "2013-01-02", "2013-01-10"),
        ("HIS", "2013-01-10", "2013-01-13"),
        ("HIM", "2013-01-13", "2013-01-20"),
    ]


def test_ex_one_row_per_daily_patch_in_time_order() -> None:
    ex = build_ex(records(), context())
    high = ex[ex.USUBJID == S3]  # EXTRT is the intervention's extrt: the dose is in EXDOSE
    assert rows(high, ["EXSEQ", "EXTRT", "EXDOSE", "EXDOSU", "EXDOSFRM", "EXDOSFRQ", "EXROUTE", "EPOCH"]) == [
        (1, "XANOMELINE", 54.0, "mg", "PATCH", "QD", "TRANSDERMAL", "TREATMENT"),
        (2, "XANOMELINE", 54.0, "mg", "PATCH", "QD", "TRANSDERMAL", "TREATMENT"),
        (3, "XANOMELINE", 54.0, "mg", "PATCH", "QD", "TRANSDERMAL", "TREATMENT"),
        (4, "XANOMELINE", 81.0, "mg", "PATCH", "QD", "TRANSDERMAL", "TREATMENT"),
        (5, "XANOMELINE", 81.0, "mg", "PATCH", "QD", "TRANSDERMAL", "TREATMENT"),
        (6, "XANOMELINE", 81.0, "mg", "PATCH", "QD", "TRANSDERMAL", "TREATMENT"),
        (7, "XANOMELINE", 54.0, "mg", "PATCH", "QD", "TRANSDERMAL", "TREATMENT"),
        (8, "XANOMELINE", 54.0, "mg", "PATCH", "QD", "TRANSDERMAL", "TREATMENT"),
    ]
    assert rows(high, ["EXSTDTC", "EXSTDY"]) == [
        ("2013-01-10", 1), ("2013-01-11", 2), ("2013-01-12", 3), ("2013-01-13", 4), ("2013-01-14", 5),
        ("2013-01-15", 6), ("2013-01-16", 7), ("2013-01-17", 8),
    ]  # fmt: skip
    assert len(ex) == 3 + 2 + 8 + 1
    assert rows(ex[ex.USUBJID == S1], ["EXSEQ", "EXTRT", "EXDOSE", "EXSTDTC", "EPOCH"]) == [
        (1, PLACEBO, 0.0, "2013-01-11", "TREATMENT"),
        (2, PLACEBO, 0.0, "2013-01-12", "TREATMENT"),
        (3, PLACEBO, 0.0, "2013-01-13", "TREATMENT"),
    ]


def test_ta_te_every_arm_with_its_elements() -> None:
    trial, ctx = records(), context()
    assert rows(build_ta(trial, ctx), ["ARMCD", "ARM", "TAETORD", "ETCD", "ELEMENT", "EPOCH"]) == [
        ("Pbo", "Placebo", 1, "SCRN", "Screen", "SCREENING"),
        ("Pbo", "Placebo", 2, "PBO", "Placebo", "TREATMENT"),
        ("Xan_Lo", "Xanomeline Low Dose", 1, "SCRN", "Screen", "SCREENING"),
        ("Xan_Lo", "Xanomeline Low Dose", 2, "LO", "Low", "TREATMENT"),
        ("Xan_Hi", "Xanomeline High Dose", 1, "SCRN", "Screen", "SCREENING"),
        ("Xan_Hi", "Xanomeline High Dose", 2, "HIS", "High_Start", "TREATMENT"),
        ("Xan_Hi", "Xanomeline High Dose", 3, "HIM", "High_Middle", "TREATMENT"),
        ("Xan_Hi", "Xanomeline High Dose", 4, "HIE", "High_End", "TREATMENT"),
    ]
    te = build_te(trial, ctx)
    assert rows(te, ["ETCD", "ELEMENT", "TEDUR"]) == [
        ("SCRN", "Screen", None), ("PBO", "Placebo", "P26W"), ("LO", "Low", "P26W"), ("HIS", "High_Start", "P2W"),
        ("HIM", "High_Middle", "P22W"), ("HIE", "High_End", "P2W"),
    ]  # fmt: skip
    assert rows(te[te.ETCD == "HIE"], ["TESTRL"]) == [
        ("Administration of first dose (from patches supplied at Visit 12)",)
    ]


def test_tv_arm_specific_visit_has_one_row_per_arm() -> None:
    trial = records()
    tv = build_tv(trial, context(trial))
    assert len(tv) == 21 and tv.ARMCD.isna().all()
    original = bundled_definition("XANAD01")
    planned = tuple(
        dataclasses.replace(v, arms=("Xan_Lo", "Xan_Hi")) if v.number == 201 else v for v in original.visits.planned
    )
    restricted = dataclasses.replace(original, visits=dataclasses.replace(original.visits, planned=planned))
    trial = records(restricted)
    tv = build_tv(trial, context(trial))
    assert rows(tv[tv.VISITNUM >= 13], ["VISITNUM", "VISIT", "VISITDY", "ARMCD"]) == [
        (13.0, "WEEK 26", 182, None),
        (101.0, "AE FOLLOW-UP", None, None),
        (201.0, "RETRIEVAL", 168, "Xan_Lo"),
        (201.0, "RETRIEVAL", 168, "Xan_Hi"),
        (501.0, "Rash followup", None, None),
    ]
    assert isinstance(planned[0], PlannedVisit)


def _ts(trial: m.TrialRecords, parmcd: str) -> list[tuple]:
    ts = build_ts(trial, context(trial))
    return rows(ts[parmcd == ts.TSPARMCD], ["TSSEQ", "TSGRPID", "TSVAL", "TSVALNF", "TSVALCD", "TSVCDREF"])


def test_ts_of_a_randomised_placebo_controlled_trial() -> None:
    trial = records()
    assert _ts(trial, "TRT") == [
        (1, "XAN54", "XANOMELINE", None, "9ORI6L73CJ", "UNII"),  # the substance; its dose in DOSE of the group
        (2, "XAN81", "XANOMELINE", None, "9ORI6L73CJ", "UNII"),
    ]
    assert _ts(trial, "COMPTRT") == [(1, "PLACEBO", "Placebo patch", None, None, None)]
    assert _ts(trial, "DOSE") == [(1, "XAN54", "54", None, None, None), (2, "XAN81", "81", None, None, None)]
    assert _ts(trial, "NARMS") == [(1, None, "3", None, None, None)]
    assert _ts(trial, "RANDOM") == [(1, None, "Y", None, "C49488", "CDISC CT")]
    assert _ts(trial, "TBLIND") == [(1, None, "DOUBLE BLIND", None, "C15228", "CDISC CT")]
    assert _ts(trial, "TCNTRL") == [(1, None, "PLACEBO", None, "C49648", "CDISC CT")]
    assert _ts(trial, "TPHASE") == [(1, None, "PHASE II TRIAL", None, "C15601", "CDISC CT")]
    assert _ts(trial, "REGID") == [(1, None, None, "NA", None, None)]  # a sponsor number is no registry id
    assert _ts(trial, "SSTDTC") == [(1, None, "2013-01-02", None, None, None)]
    assert _ts(trial, "ACTSUB") == [(1, None, "5", None, None, None)]
    assert _ts(trial, "SENDTC") == [(1, None, "2013-03-05", None, None, None)]  # COMPLETED: last contact
    assert [v for _, _, v, *_ in _ts(trial, "OBJSEC")] == [
        "To assess dose-dependent improvement in behaviour measured by the Revised Neuropsychiatric Inventory (NPI-X).",
        "To assess dose-dependent improvement in an extended cognitive assessment, the ADAS-Cog (14).",
    ]


def test_suppdm_qualifiers_from_subject_attributes_with_a_qnam() -> None:
    original = bundled_definition("XANAD01")
    attributes = (
        SubjectAttribute("mmse_group", "MMSE Group at Screening", ("LOW", "HIGH"), qnam="MMSEGRP"),
        SubjectAttribute("caregiver", "Caregiver", ("Y", "N")),  # no qnam: not submitted
    )
    definition = dataclasses.replace(original, subjects=dataclasses.replace(original.subjects, attributes=attributes))
    given = {"1001": (("mmse_group", "LOW"), ("caregiver", "Y")), "1003": (("mmse_group", "HIGH"),)}
    people = tuple(dataclasses.replace(s, attributes=given.get(s.subject_id, ())) for s in subjects())
    trial = records(definition, subjects=people)
    supp = build_suppdm(trial, context(trial))
    assert rows(supp, ["RDOMAIN", "USUBJID", "IDVAR", "QNAM", "QLABEL", "QVAL", "QORIG"]) == [
        ("DM", S1, None, "MMSEGRP", "MMSE Group at Screening", "LOW", "Collected"),
        ("DM", S3, None, "MMSEGRP", "MMSE Group at Screening", "HIGH", "Collected"),
    ]


def test_build_sdtm_takes_the_design_from_the_definition() -> None:
    frames = build_sdtm(records(), load_terminology())
    assert set(frames["TA"].ARMCD) == {"Pbo", "Xan_Lo", "Xan_Hi"}
    assert len(frames["SE"]) == 11 and len(frames["EX"]) == 14

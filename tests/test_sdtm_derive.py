"""Derivations shared by the SDTM builders: USUBJID, reference dates, elements, EPOCH, --DY, --SEQ, flags, age."""

from __future__ import annotations

import dataclasses
import functools
from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from test_sdtm_factory import context, records, rows
from trialinterop.definition import bundled_definition
from trialinterop.sdtm.derive import (
    SubjectReference,
    compute_age,
    compute_epoch,
    compute_treatment_emergent,
    compute_visit_name,
    derive_epoch,
    derive_lobxfl,
    derive_seq,
    derive_study_day,
    derive_usubjid,
)
from trialinterop.sdtm.design import Element
from trialinterop.sdtm.reference_dates import compute_event_date
from trialinterop.sdtm.subject_arms import compute_subject_arms
from trialinterop.source import models as m


def test_usubjid_joins_study_and_subject() -> None:
    assert derive_usubjid("NCT05016804", "01-001") == "NCT05016804-01-001"


def test_reference_dates_of_a_treated_subject() -> None:
    ref = context().reference("NCT05016804-01-001")
    assert ref.rfstdtc == "2022-03-10T10:00"
    assert ref.rfxstdtc == "2022-03-10T10:00"
    assert ref.rfxendtc == "2022-04-20T09:00"  # vaccine has no end: its start counts
    assert ref.rficdtc == "2022-03-01"
    assert ref.rfpendtc == "2022-09-10"  # last contact date of the disposition row
    assert ref.rfendtc == "2022-09-10"


def test_reference_dates_of_untreated_subjects_are_null() -> None:
    ctx = context()
    screen_failure = ctx.reference("NCT05016804-01-002")
    never_dosed = ctx.reference("NCT05016804-01-003")
    assert (screen_failure.rfstdtc, screen_failure.rfendtc, screen_failure.rfpendtc) == (None, None, "2022-02-03")
    assert (never_dosed.rfstdtc, never_dosed.rfendtc, never_dosed.rfpendtc) == (None, None, "2022-02-15")


def test_elements_have_no_gaps_and_end_at_end_of_participation() -> None:
    elements = context().reference("NCT05016804-01-001").elements
    assert [(e.etcd, e.epoch, e.taetord, e.start, e.end) for e in elements] == [
        ("SCRN", "SCREENING", 1, "2022-03-01", "2022-03-10T10:00"),
        ("MSC", "TREATMENT", 2, "2022-03-10T10:00", "2022-03-11"),
        ("FU", "FOLLOW-UP", 3, "2022-03-11", "2022-09-10"),
    ]
    screen_failure = context().reference("NCT05016804-01-002").elements
    assert [(e.etcd, e.start, e.end) for e in screen_failure] == [("SCRN", "2022-02-01", "2022-02-03")]


@pytest.mark.parametrize(
    ("dtc", "epoch"),
    [
        ("2022-02-28", None),  # before consent
        ("2022-03-01", "SCREENING"),
        ("2022-03-10T09:59", "SCREENING"),
        ("2022-03-10", "TREATMENT"),  # infusion day, no time: the later element wins
        ("2022-03-10T10:41", "TREATMENT"),
        ("2022-03-11", "FOLLOW-UP"),
        ("2022-09-10", "FOLLOW-UP"),  # last day of participation
        ("2022-09-11", None),
        ("2022-05", "FOLLOW-UP"),  # partial, but certainly inside follow-up
        ("2022-03", None),  # partial and spans three elements
        (None, None),
    ],
)
def test_epoch_from_element_windows(dtc: str | None, epoch: str | None) -> None:
    assert compute_epoch(context().reference("NCT05016804-01-001"), dtc) == epoch


def test_study_day_has_no_day_zero_and_needs_complete_dates() -> None:
    frame = pd.DataFrame(
        {
            "USUBJID": ["NCT05016804-01-001"] * 5 + ["NCT05016804-01-002"],
            "XXDTC": ["2022-03-09", "2022-03-10T08:00", "2022-03-11", "2022-03", None, "2022-02-01"],
        }
    )
    out = derive_study_day(frame, dtc="XXDTC", dy="XXDY", ctx=context())
    assert rows(out, ["XXDY"]) == [(-1,), (1,), (2,), (None,), (None,), (None,)]


def test_seq_follows_key_order_per_subject() -> None:
    frame = pd.DataFrame(
        {
            "USUBJID": ["B", "A", "A", "B", "A"],
            "XXTESTCD": ["T2", "T2", "T1", "T1", "T1"],
            "VISITNUM": [1.0, 1.0, 2.0, 1.0, 1.0],
        }
    )
    out = derive_seq(frame, seq="XXSEQ", order=["XXTESTCD", "VISITNUM"])
    assert rows(out, ["USUBJID", "XXTESTCD", "VISITNUM", "XXSEQ"]) == [
        ("A", "T1", 1.0, 1),
        ("A", "T1", 2.0, 2),
        ("A", "T2", 1.0, 3),
        ("B", "T1", 1.0, 1),
        ("B", "T2", 1.0, 2),
    ]


def test_seq_sorts_visit_numbers_numerically() -> None:
    frame = pd.DataFrame({"USUBJID": ["A"] * 3, "VISITNUM": [10.0, 3.01, 2.0]})
    out = derive_seq(frame, seq="XXSEQ", order=["VISITNUM"])
    assert rows(out, ["VISITNUM", "XXSEQ"]) == [(2.0, 1), (3.01, 2), (10.0, 3)]


def test_last_observation_before_exposure_flag() -> None:
    frame = pd.DataFrame(
        {
            "USUBJID": ["NCT05016804-01-001"] * 5,
            "XXTESTCD": ["A", "A", "A", "B", "B"],
            "XXORRES": ["1", "2", "3", None, "5"],
            "XXDTC": ["2022-03-01", "2022-03-10", "2022-03-10T14:00", "2022-03-05", "2022-03-01"],
            "VISITNUM": [1.0, 2.0, 2.0, 1.0, 1.0],
        }
    )
    out = derive_lobxfl(frame, flag="XXLOBXFL", test="XXTESTCD", result="XXORRES", dtc="XXDTC", ctx=context())
    # A: the date-only infusion-day value is not known to be after the 10:00 infusion; 14:00 is after it.
    # B: the later record is missing, so the earlier non-missing one is flagged.
    assert rows(out, ["XXLOBXFL"]) == [(None,), ("Y",), (None,), (None,), ("Y",)]


@pytest.mark.parametrize(
    ("start", "rfxstdtc", "flag"),
    [
        ("2022-03-09", "2022-03-10T10:00", "N"),
        ("2022-03-10", "2022-03-10T10:00", "Y"),  # same day, time unknown: cannot be shown to be before
        ("2022-03-10T09:00", "2022-03-10T10:00", "N"),
        ("2022-03", "2022-03-10T10:00", "Y"),  # partial: conservative
        ("2022-02", "2022-03-10T10:00", "N"),
        ("2022-02-01", None, "N"),  # never treated
        (None, "2022-03-10T10:00", "Y"),  # no start collected: cannot be shown to be before
        (None, None, "N"),  # no start, never treated
    ],
)
def test_treatment_emergent_flag(start: str | None, rfxstdtc: str | None, flag: str) -> None:
    assert compute_treatment_emergent(start, rfxstdtc) == flag


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [("1980-03-11", "2022-03-10T10:00", 41), ("1980-03-10", "2022-03-10", 42), ("1980-03", "2022-03-10", None)],
)
def test_age_in_completed_years(birth: str, on: str, age: int | None) -> None:
    assert compute_age(birth, on) == age


def test_visit_names_planned_and_unscheduled() -> None:
    study = records().study
    assert compute_visit_name(study, 3.0) == "MONTH 1"
    assert compute_visit_name(study, 3.01) == "UNSCHEDULED 3.01"


def test_unscheduled_visit_name_takes_the_definition_prefix() -> None:
    study = dataclasses.replace(records().study, unscheduled_prefix="UNPLANNED")
    assert compute_visit_name(study, 3.01) == "UNPLANNED 3.01"
    assert compute_visit_name(study, 3.0) == "MONTH 1"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["A", "B", "C"]), st.sampled_from(["T1", "T2"]), st.integers(1, 9)),
        min_size=1,
        max_size=30,
    )
)
def test_seq_is_one_to_n_per_subject_in_key_order(records_: list[tuple[str, str, int]]) -> None:
    frame = pd.DataFrame(records_, columns=["USUBJID", "XXTESTCD", "VISITNUM"])
    out = derive_seq(frame, seq="XXSEQ", order=["XXTESTCD", "VISITNUM"])
    for _, group in out.groupby("USUBJID"):
        assert group["XXSEQ"].tolist() == list(range(1, len(group) + 1))
        keys = list(zip(group["XXTESTCD"], group["VISITNUM"], strict=True))
        assert keys == sorted(keys)


@functools.cache
def _treated_subject() -> SubjectReference:
    return context().reference("NCT05016804-01-001")


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=date(2022, 3, 1), max_value=date(2022, 9, 10)))
def test_every_day_of_participation_has_exactly_one_epoch(day: date) -> None:
    reference = _treated_subject()
    expected = "SCREENING" if day < date(2022, 3, 10) else "TREATMENT" if day == date(2022, 3, 10) else "FOLLOW-UP"
    assert compute_epoch(reference, day.isoformat()) == expected


def test_epoch_of_an_undated_finding_comes_from_its_visit() -> None:
    frame = pd.DataFrame(
        {"USUBJID": ["NCT05016804-01-001"] * 3, "VISITNUM": [3.0, 4.0, 1.0], "XXDTC": [None, None, "2022-03-11"]}
    )
    by_visit = derive_epoch(frame, dtc="XXDTC", ctx=context(), by_visit=True)
    by_date = derive_epoch(frame, dtc="XXDTC", ctx=context())
    # visit 3 was missed (no date), visit 4 took place on 2022-09-05; a record's own date always wins
    assert rows(by_visit, ["EPOCH"]) == [(None,), ("FOLLOW-UP",), ("FOLLOW-UP",)]
    assert rows(by_date, ["EPOCH"]) == [(None,), (None,), ("FOLLOW-UP",)]


def _element(event: str, *, treatment: str | None = "DRUG A", visit: float | None = None) -> Element:
    return Element("E", "Element", "rule", None, None, "TREATMENT", event, treatment=treatment, visit=visit)


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ("consent", "2022-01-01"),
        ("first_dose", "2022-01-05T08:00"),
        ("day_after_first_dose", "2022-01-06"),
        ("last_dose", "2022-01-09T08:00"),
        ("day_after_last_dose", "2022-01-11"),  # the last administration ends on 2022-01-10
    ],
)
def test_element_events_from_the_administrations(event: str, expected: str) -> None:
    given = (
        m.Exposure("S", "DRUG A", "2022-01-09T08:00", 1, "mg", "ORAL", end="2022-01-10T08:00"),
        m.Exposure("S", "DRUG A", "2022-01-05T08:00", 1, "mg", "ORAL"),
        m.Exposure("S", "DRUG B", "2022-01-02", 1, "mg", "ORAL", end="2022-01-20"),  # another treatment
    )
    assert compute_event_date(_element(event), consent="2022-01-01", exposures=given, visit_dates={}) == expected


def test_element_events_that_did_not_happen() -> None:
    assert compute_event_date(_element("first_dose"), consent="2022-01-01", exposures=(), visit_dates={}) is None
    visit = _element("visit", treatment=None, visit=12.0)
    assert compute_event_date(visit, consent="2022-01-01", exposures=(), visit_dates={12.0: "2022-03-01"}) == (
        "2022-03-01"
    )
    assert compute_event_date(visit, consent="2022-01-01", exposures=(), visit_dates={4.0: "2022-02-01"}) is None


def test_usubjid_follows_the_definition_template() -> None:
    template = "{study}-{site}-{subject}"
    assert derive_usubjid("XANAD01", "1015", site_id="701", template=template) == "XANAD01-701-1015"
    assert derive_usubjid("XANAD01", "1015", template=template) == "XANAD01-1015"  # site unknown: the default form


@pytest.mark.parametrize(
    ("subject", "received", "expected"),
    [
        (m.Subject("1", "701", "F", "USA", "2013-01-01", "N", arm="Pbo"), set(), (None, None, "SCREEN FAILURE", None)),
        (m.Subject("1", "701", "F", "USA", "2013-01-01", "Y"), set(), (None, None, "NOT ASSIGNED", None)),
        (
            m.Subject("1", "701", "F", "USA", "2013-01-01", "Y"),
            {"PLACEBO"},
            (None, None, "UNPLANNED TREATMENT", "PLACEBO"),
        ),
        (
            m.Subject("1", "701", "F", "USA", "2013-01-01", "Y", arm="Xan_Hi"),
            set(),
            ("Xan_Hi", None, "ASSIGNED, NOT TREATED", None),
        ),
        (
            m.Subject("1", "701", "F", "USA", "2013-01-01", "Y", arm="Xan_Hi"),
            {"XANOMELINE 81 MG"},
            ("Xan_Hi", "Xan_Hi", None, None),
        ),
        (
            m.Subject("1", "701", "F", "USA", "2013-01-01", "Y", arm="Xan_Lo"),
            {"XANOMELINE 81 MG", "PLACEBO"},
            ("Xan_Lo", None, "UNPLANNED TREATMENT", "PLACEBO AND XANOMELINE 81 MG WITHOUT XANOMELINE 54 MG"),
        ),
        (
            m.Subject("1", "701", "F", "USA", "2013-01-01", "Y", arm="Xan_Lo", actual_arm="Xan_Hi"),
            {"XANOMELINE 81 MG"},
            ("Xan_Lo", "Xan_Hi", None, None),
        ),
    ],
)
def test_arms_of_a_multi_arm_study(subject: m.Subject, received: set[str], expected: tuple) -> None:
    arms = compute_subject_arms(subject, bundled_definition("XANAD01"), received)
    assert (arms.armcd, arms.actarmcd, arms.armnrs, arms.actarmud) == expected


def test_one_arm_study_puts_an_enrolled_subject_without_arm_in_its_arm() -> None:
    subject = m.Subject("01-009", "01", "F", "ATG", "2022-01-01", "Y")
    arms = compute_subject_arms(subject, records().definition, set())
    assert (arms.armcd, arms.actarmcd, arms.armnrs) == ("ALLORX", None, "ASSIGNED, NOT TREATED")


def test_element_opened_by_the_disposition_event() -> None:
    follow_up = _element("disposition", treatment=None)
    kwargs = {"consent": "2022-01-01", "exposures": (), "visit_dates": {}}
    assert compute_event_date(follow_up, disposition="2022-06-30", **kwargs) == "2022-06-30"
    assert compute_event_date(follow_up, **kwargs) is None  # no disposition event yet: not entered

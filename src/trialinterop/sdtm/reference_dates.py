"""Reference dates, arms and element windows of every subject (`SubjectReference`), computed once per context.

Decisions (sdtm.md §7):
- RFSTDTC = RFXSTDTC = start of the first administration of any intervention of the definition; RFXENDTC = latest
  end (else start) of any administration. Null for subjects never treated.
- RFENDTC = end of participation (RFPENDTC) for treated subjects; null for untreated subjects.
- RFPENDTC = last known contact: the latest complete date among consent, visits that took place, disposition and
  last-contact dates, administrations, AE start/end, findings dates, eligibility dates and death.
- Elements (SE): the elements of the arm the subject followed (actual arm, else assigned arm; only the arms' first
  element for a subject in no arm), each opened by its definition event: `consent`; `first_dose` / `last_dose` (the
  first / last start of an administration of the element's intervention); `day_after_first_dose` (the day after the
  first start); `day_after_last_dose` (the day after the latest end, else start); `visit` (the date the planned
  visit took place); `disposition` (the subject's first disposition event, e.g. the end of treatment that opens a
  follow-up). An element whose event did not happen, or happened after the end of participation, was not
  entered. Each element ends where the next entered one starts (no gaps); the last ends at RFPENDTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta

import numpy as np

from trialinterop.definition.model import StudyDefinition
from trialinterop.iso8601 import compare_dtc, to_date
from trialinterop.sdtm.design import Element, TrialDesign
from trialinterop.sdtm.dtc_columns import EPOCH_ORDINAL, dtc_column
from trialinterop.sdtm.subject_arms import compute_subject_arms
from trialinterop.sdtm.subject_reference import SubjectElement, SubjectReference, derive_usubjid
from trialinterop.source.models import Exposure, Subject, TrialRecords


def compute_last_contacts(records: TrialRecords, more: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """RFPENDTC per subject: the latest complete date (date part) of any contact recorded for the subject; one pass
    over all records, dates compared as day numbers. `more`: subject id -> a further contact date (the latest
    findings date of each subject when the findings are not in `records`, e.g. left on Spark's executors)."""
    owners: list[str] = []
    texts: list[str | None] = []

    def add(rows: Iterable, *attributes: str) -> None:
        rows = list(rows)
        for attribute in attributes:
            owners.extend(r.subject_id for r in rows)
            texts.extend(getattr(r, attribute) for r in rows)

    add(records.subjects, "consent_date", "death_date")
    add((v for v in records.visits if v.occurred == "Y"), "visit_date")
    add(records.dispositions, "event_date", "last_contact_date")
    add(records.exposures, "start", "end")
    add(records.adverse_events, "start", "end")
    add(records.findings, "datetime")
    add(records.eligibility, "assessment_date")
    owners.extend((more or {}).keys())
    texts.extend((more or {}).values())
    return latest_complete_dates([s.subject_id for s in records.subjects], owners, texts)


def latest_complete_dates(
    subject_ids: Sequence[str], owners: Sequence[str], texts: Sequence[str | None]
) -> dict[str, str | None]:
    """Subject id -> the latest complete date (ISO 8601 date) among `texts`, each owned by the subject of `owners`."""
    subjects = {subject_id: i for i, subject_id in enumerate(subject_ids)}
    dates = dtc_column(np.array(texts, dtype=object))
    index = np.array([subjects.get(o, -1) for o in owners], dtype=np.int64)
    counted = dates.complete_date & (index >= 0)
    none = np.iinfo(np.int64).min
    latest = np.full(len(subjects), none)
    np.maximum.at(latest, index[counted], dates.day[counted])
    return {
        subject_id: date.fromordinal(day + EPOCH_ORDINAL).isoformat() if day != none else None
        for subject_id, day in zip(subject_ids, latest.tolist(), strict=True)
    }


def _day_after(dtc: str | None) -> str | None:
    day = to_date(dtc)
    return (day + timedelta(days=1)).isoformat() if day else None


def compute_event_date(
    element: Element,
    *,
    consent: str | None,
    exposures: Sequence[Exposure],
    visit_dates: Mapping[float, str],
    disposition: str | None = None,
) -> str | None:
    """The date (or datetime) of the subject event that opens `element`, else None (see the module docstring)."""
    if element.event == "consent":
        return consent
    if element.event == "disposition":
        return disposition
    if element.event == "visit":
        return visit_dates.get(element.visit) if element.visit is not None else None
    given = [e for e in exposures if e.treatment == element.treatment]
    if not given:
        return None
    if element.event == "first_dose":
        return min(e.start for e in given)
    if element.event == "day_after_first_dose":
        return _day_after(min(e.start for e in given))
    if element.event == "last_dose":
        return max(e.start for e in given)
    if element.event == "day_after_last_dose":
        return _day_after(max(e.end or e.start for e in given))
    raise ValueError(f"unknown element event {element.event!r}")


def derive_subject_elements(
    design: TrialDesign, *, arm_code: str | None, starts: Mapping[str, str | None], end_of_participation: str | None
) -> tuple[SubjectElement, ...]:
    """The elements a subject entered (`starts`: ETCD -> date of its opening event), each ending where the next
    starts; the last ends at end of participation. A subject in no arm can only enter the arms' first element."""
    order = design.arms.get(arm_code, ()) if arm_code else ()
    if not order:
        first = next(iter(design.arms.values()), ()) or tuple(e.etcd for e in design.elements[:1])
        order = tuple(first[:1])
    entered: list[tuple[int, str, str]] = []
    for position, etcd in enumerate(order, start=1):
        start = starts.get(etcd)
        if start is None:
            continue
        if end_of_participation and entered and compare_dtc(start, end_of_participation) == 1:
            continue
        entered.append((position, etcd, start))
    elements = []
    for i, (position, etcd, start) in enumerate(entered):
        end = entered[i + 1][2] if i + 1 < len(entered) else end_of_participation
        spec = design.element(etcd)
        elements.append(SubjectElement(etcd, spec.element, spec.epoch, position, start, end))
    return tuple(elements)


def _by_subject(rows: Iterable, subjects: Iterable[Subject]) -> dict[str, list]:
    grouped: dict[str, list] = {s.subject_id: [] for s in subjects}
    for row in rows:
        if row.subject_id in grouped:
            grouped[row.subject_id].append(row)
    return grouped


def subject_usubjid(definition: StudyDefinition, subject: Subject) -> str:
    """The subject's USUBJID under the definition's template."""
    template = definition.subjects.usubjid
    return derive_usubjid(definition.study.id, subject.subject_id, site_id=subject.site_id, template=template)


def derive_reference_dates(
    records: TrialRecords, design: TrialDesign, *, contacts: Mapping[str, str] | None = None
) -> tuple[SubjectReference, ...]:
    """One SubjectReference per subject, in the order of records.subjects; `contacts`: further last-contact dates
    per subject (`compute_last_contacts`)."""
    definition = records.definition
    exposures = _by_subject(records.exposures, records.subjects)
    visits = _by_subject((v for v in records.visits if v.occurred == "Y" and v.visit_date), records.subjects)
    dispositions = _by_subject((d for d in records.dispositions if d.is_disposition), records.subjects)
    last_contacts = compute_last_contacts(records, contacts)
    references = []
    for subject in records.subjects:
        given: list[Exposure] = exposures[subject.subject_id]
        rfxstdtc = min((e.start for e in given), default=None)
        rfxendtc = max((e.end or e.start for e in given), default=None)
        rfpendtc = last_contacts[subject.subject_id]
        arms = compute_subject_arms(subject, definition, {e.treatment for e in given})
        visit_dates = {float(v.visit_num): v.visit_date for v in visits[subject.subject_id]}
        disposition = min((d.event_date for d in dispositions[subject.subject_id]), default=None)
        starts = {
            e.etcd: compute_event_date(
                e, consent=subject.consent_date, exposures=given, visit_dates=visit_dates, disposition=disposition
            )
            for e in design.elements
        }
        references.append(
            SubjectReference(
                usubjid=subject_usubjid(definition, subject),
                subject_id=subject.subject_id,
                enrolled=subject.enrolled == "Y",
                arm_code=arms.armcd,
                actual_arm_code=arms.actarmcd,
                arm_null_reason=arms.armnrs,
                unplanned_arm=arms.actarmud,
                rficdtc=subject.consent_date,
                rfxstdtc=rfxstdtc,
                rfxendtc=rfxendtc,
                rfendtc=rfpendtc if rfxstdtc is not None else None,
                rfpendtc=rfpendtc,
                dthdtc=subject.death_date,
                elements=derive_subject_elements(
                    design, arm_code=arms.followed, starts=starts, end_of_participation=rfpendtc
                ),
            )
        )
    return tuple(references)

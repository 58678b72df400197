"""The version-neutral view of one subject that the FHIR emitters share: its rows grouped, its state in the study,
its arm and its dates, derived once from the records (R4 and R5 only differ in how they spell these facts).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from trialinterop.definition.model import Arm, StudyDefinition
from trialinterop.source import models as m

SubjectState = Literal["on-study", "ineligible", "off-study", "withdrawn"]


@dataclass(frozen=True, slots=True)
class SubjectFacts:
    subject: m.Subject
    offset: str | None
    """UTC offset of the subject's site (definition `sites[].utc_offset`; None when unknown: times are then dropped)."""
    state: SubjectState
    end_date: str | None
    end_reason: m.Disposition | None
    assigned_arm: Arm | None
    actual_arm: Arm | None
    exposures: tuple[m.Exposure, ...]
    adverse_events: tuple[m.AdverseEvent, ...]
    findings: tuple[m.Finding, ...]
    visits: tuple[m.Visit, ...]
    eligibility: tuple[m.EligibilityException, ...]
    visit_nums: frozenset[float]
    """Visits that took place (an Observation links to the Encounter of its visit only when it exists)."""
    dispositions: tuple[m.Disposition, ...] = ()
    medications: tuple[m.ConcomitantMedication, ...] = ()
    medical_history: tuple[m.MedicalHistoryEvent, ...] = ()
    unplanned_elements: tuple[m.UnplannedElement, ...] = ()


def _by_subject(rows: tuple) -> dict[str, list]:
    grouped: dict[str, list] = defaultdict(list)
    for row in rows:
        grouped[row.subject_id].append(row)
    return grouped


def _state(subject: m.Subject, dispositions: list[m.Disposition]) -> tuple[SubjectState, m.Disposition | None]:
    """Screen failure -> ineligible; completed -> off-study; any other disposition -> withdrawn; else on-study."""
    if subject.enrolled == "N":
        failure = next((d for d in dispositions if d.event == "SCREEN FAILURE"), None)
        return "ineligible", failure or (dispositions[-1] if dispositions else None)
    leaving = [d for d in dispositions if d.event != "SCREEN FAILURE"]
    if not leaving:
        return "on-study", None
    last = max(leaving, key=lambda d: d.event_date)
    return ("off-study" if last.event == "COMPLETED" else "withdrawn"), last


def _arms(
    definition: StudyDefinition, subject: m.Subject, exposures: tuple[m.Exposure, ...]
) -> tuple[Arm | None, Arm | None]:
    """(assigned, actual) arm. Assigned: `subject.arm`, or the only arm of a one-arm study for an enrolled subject.
    Actual: `subject.actual_arm`, else the assigned arm when the subject received any of its interventions."""
    assigned = definition.arm(subject.arm) if subject.arm else None
    if assigned is None and subject.arm is None and subject.enrolled == "Y" and len(definition.arms) == 1:
        assigned = definition.arms[0]
    if subject.actual_arm:
        return assigned, definition.arm(subject.actual_arm)
    if assigned is None:
        return None, None
    treatments = {i.treatment for i in definition.interventions if i.code in assigned.interventions}
    return assigned, (assigned if any(e.treatment in treatments for e in exposures) else None)


def subject_facts(records: m.TrialRecords) -> Iterator[SubjectFacts]:
    """One SubjectFacts per subject, in record order."""
    definition = records.definition
    offsets = {site.id: site.utc_offset for site in definition.sites}
    exposures = _by_subject(records.exposures)
    aes = _by_subject(records.adverse_events)
    findings = _by_subject(records.findings)
    visits = _by_subject(records.visits)
    dispositions = _by_subject(records.dispositions)
    eligibility = _by_subject(records.eligibility)
    medications = _by_subject(records.medications)
    history = _by_subject(records.medical_history)
    unplanned = _by_subject(records.unplanned_elements)
    for subject in records.subjects:
        sid = subject.subject_id
        state, reason = _state(subject, [d for d in dispositions.get(sid, []) if d.is_disposition])
        subject_exposures = tuple(exposures.get(sid, ()))
        assigned, actual = _arms(definition, subject, subject_exposures)
        subject_visits = tuple(visits.get(sid, ()))
        yield SubjectFacts(
            subject=subject,
            offset=offsets.get(subject.site_id),
            state=state,
            end_date=reason.event_date if reason is not None and state != "on-study" else None,
            end_reason=reason,
            assigned_arm=assigned,
            actual_arm=actual,
            exposures=subject_exposures,
            adverse_events=tuple(aes.get(sid, ())),
            findings=tuple(findings.get(sid, ())),
            visits=subject_visits,
            eligibility=tuple(eligibility.get(sid, ())),
            visit_nums=frozenset(v.visit_num for v in subject_visits if v.occurred == "Y"),
            dispositions=tuple(dispositions.get(sid, ())),
            medications=tuple(medications.get(sid, ())),
            medical_history=tuple(history.get(sid, ())),
            unplanned_elements=tuple(unplanned.get(sid, ())),
        )

"""The version-neutral view of one subject that the FHIR emitters share: its rows grouped, its state in the study,
its arm and its dates, derived once from the records (R4 and R5 only differ in how they spell these facts).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from trialinterop.fhir import codes
from trialinterop.source import models as m

SubjectState = Literal["on-study", "ineligible", "off-study", "withdrawn"]


@dataclass(frozen=True, slots=True)
class SubjectFacts:
    subject: m.Subject
    offset: str | None
    """UTC offset of the subject's site country (None when unknown: times are then dropped)."""
    state: SubjectState
    end_date: str | None
    end_reason: m.Disposition | None
    assigned_arm: m.Arm | None
    actual_arm: m.Arm | None
    exposures: tuple[m.Exposure, ...]
    adverse_events: tuple[m.AdverseEvent, ...]
    skin_scores: tuple[m.SkinScore, ...]
    spirometry: tuple[m.Spirometry, ...]
    visits: tuple[m.Visit, ...]
    eligibility: tuple[m.EligibilityException, ...]
    visit_nums: frozenset[float]
    """Visits that took place (an Observation links to the Encounter of its visit only when it exists)."""
    dispositions: tuple[m.Disposition, ...] = ()


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


def subject_facts(records: m.TrialRecords) -> Iterator[SubjectFacts]:
    """One SubjectFacts per subject, in record order."""
    study = records.study
    single_arm = study.arms[0] if len(study.arms) == 1 else None
    exposures = _by_subject(records.exposures)
    aes = _by_subject(records.adverse_events)
    skin = _by_subject(records.skin_scores)
    spiro = _by_subject(records.spirometry)
    visits = _by_subject(records.visits)
    dispositions = _by_subject(records.dispositions)
    eligibility = _by_subject(records.eligibility)
    treatment_of = {i.code: i.treatment for i in study.interventions}
    arm_by_treatment = {
        treatment_of[code]: arm for arm in study.arms for code in arm.interventions if code in treatment_of
    }
    for subject in records.subjects:
        sid = subject.subject_id
        state, reason = _state(subject, dispositions.get(sid, []))
        subject_exposures = tuple(exposures.get(sid, ()))
        actual = next(
            (arm_by_treatment[e.treatment] for e in subject_exposures if e.treatment in arm_by_treatment), None
        )
        subject_visits = tuple(visits.get(sid, ()))
        yield SubjectFacts(
            subject=subject,
            offset=codes.COUNTRY_UTC_OFFSET.get(subject.country),
            state=state,
            end_date=reason.event_date if reason is not None and state != "on-study" else None,
            end_reason=reason,
            assigned_arm=single_arm if subject.enrolled == "Y" else None,
            actual_arm=actual,
            exposures=subject_exposures,
            adverse_events=tuple(aes.get(sid, ())),
            skin_scores=tuple(skin.get(sid, ())),
            spirometry=tuple(spiro.get(sid, ())),
            visits=subject_visits,
            eligibility=tuple(eligibility.get(sid, ())),
            visit_nums=frozenset(v.visit_num for v in subject_visits if v.occurred == "Y"),
            dispositions=tuple(dispositions.get(sid, ())),
        )

"""Disposition events of a subject (DS): the sponsor disposition extensions of ResearchSubject when present (every
event, verbatim term, last contact date, visit, collection date, sponsor identifier); else one end-of-participation
event from standard elements.

R5: the NCOMPLT term of `progress.reason`. Without a reason (always in R4, which has no element for it) the term is
assumed from the subject's state, with a warning: `ineligible` SCREEN FAILURE, `off-study` COMPLETED, `withdrawn`
(FHIR: assent or consent withdrawn) WITHDRAWAL BY SUBJECT, and DEATH whenever the Patient's deceasedDateTime falls on
the end date.
"""

from __future__ import annotations

from typing import Any

from trialinterop.ct import Terminology
from trialinterop.fhir import sponsor
from trialinterop.fhir_in.load import FhirInput, Located
from trialinterop.fhir_in.values import cdisc_term, extensions, record_dtc
from trialinterop.source.models import Disposition, UnplannedElement

ONGOING = frozenset({"on-study", "active", "candidate", "eligible"})
BY_STATE = {"ineligible": "SCREEN FAILURE", "off-study": "COMPLETED"}
WITHDRAWN = "WITHDRAWAL BY SUBJECT"


def read_dispositions(
    fhir: FhirInput,
    item: Located,
    subject_id: str,
    *,
    state: str | None,
    progress: dict[str, Any],
    patient: dict[str, Any],
    terms: Terminology,
) -> list[Disposition]:
    """The subject's disposition rows (none while on study)."""
    rows = []
    for extension in extensions(item.resource, sponsor.DISPOSITION):
        facts = {name: values[0] for name, values in sponsor.read_fields(extension).items()}
        if not facts.get("event") or not facts.get("event_date"):
            raise item.fail(f"ResearchSubject.extension({sponsor.DISPOSITION})", "needs event and event_date")
        term = facts.get("term", facts["event"])
        rows.append(
            Disposition(
                subject_id,
                facts["event"],
                term,
                facts["event_date"],
                facts.get("last_contact_date"),
                visit_num=_visit_num(facts.get("visit_num")),
                collection_date=facts.get("collection_date"),
                sponsor_id=facts.get("sponsor_id"),
                category=facts.get("category"),
                origin=item.origin,
            )
        )
    if rows or state is None or state in ONGOING:
        return rows
    r4 = fhir.version == "R4"
    end = (item.resource.get("period") or {}).get("end") if r4 else progress.get("endDate")
    if not end:
        return rows
    end_date = record_dtc(end) or end
    reason = None if r4 else progress.get("reason")
    if reason is not None:
        event = cdisc_term(item, "ResearchSubject.progress.reason", reason, "NCOMPLT", terms)
        return [Disposition(subject_id, event, reason.get("text") or event, end_date, origin=item.origin)]
    event = _assumed_event(state, end_date, patient)
    element = "ResearchSubject.status" if r4 else "ResearchSubject.progress.subjectState"
    fhir.warn(
        item,
        element,
        f"subject {subject_id}: no reason for leaving the study (no sponsor disposition extension"
        f"{'' if r4 else ', no progress.reason'}): "
        f"DSDECOD assumed {event} from state {state!r}"
        + (" and Patient.deceasedDateTime" if event == "DEATH" else "")
        + f", DSTERM {event.capitalize()!r}, no last contact date",
    )
    return [Disposition(subject_id, event, event.capitalize(), end_date, origin=item.origin)]


def _visit_num(value: object) -> float | None:
    """VISITNUM of the disposition extension (valueDecimal; a valueInteger or number text accepted)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _assumed_event(state: str, end_date: str, patient: dict[str, Any]) -> str:
    died = record_dtc(patient.get("deceasedDateTime"))
    if died and state != "ineligible" and died[:10] == end_date[:10]:
        return "DEATH"
    return BY_STATE.get(state, WITHDRAWN)


def read_unplanned_elements(item: Located, subject_id: str) -> list[UnplannedElement]:
    """The subject's unplanned elements (SE ETCD UNPLAN) from the sponsor unplanned-element extensions."""
    rows = []
    for extension in extensions(item.resource, sponsor.UNPLANNED_ELEMENT):
        facts = {name: values[0] for name, values in sponsor.read_fields(extension).items()}
        if not facts.get("start"):
            raise item.fail(f"ResearchSubject.extension({sponsor.UNPLANNED_ELEMENT})", "needs start")
        rows.append(
            UnplannedElement(
                subject_id,
                facts["start"],
                facts.get("end"),
                facts.get("description"),
                facts.get("epoch"),
                origin=item.origin,
            )
        )
    return rows

"""Procedures -> PR records (FHIR-to-CDISC Joint Mapping IG, PR mappings: PRTRT from Procedure.code, PRSTDTC/PRENDTC
from performed[x] (R5 occurrence[x]), PRLOC from bodySite, PRINDC from reasonCode (R5 reason.concept)).

A Procedure that a study administration cites (an intervention's preceding procedure, read with EX) is not read
here. PRTRT = code text, else the first coding display; PRDECOD = the first coding display; PRLOC = the first
bodySite's text or display; PRINDC = the first reason's text or display; the visit when `encounter` is a study
visit. PRSPID numbers the subject's procedures in input order. One naming no procedure, entered in error or not done
(PR holds procedures that took place; PROCCUR is not built) is listed as not mapped (fhir_in.unmapped).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from trialinterop.fhir_in.load import FhirInput, Located
from trialinterop.fhir_in.unmapped import Unmapped
from trialinterop.fhir_in.values import codings, original_dtc
from trialinterop.source import models as m

NOT_TAKEN = {"not-done": "not done (PR holds procedures that took place)"}
"""Procedure.status -> why it is no PR record (entered in error: every resource alike, fhir_in.subjects)."""


def _name(concept: Any) -> str | None:
    text = concept.get("text") if isinstance(concept, dict) else None
    return text or next((c["display"] for c in codings(concept) if c.get("display")), None)


def _display(concept: Any) -> str | None:
    return next((c["display"] for c in codings(concept) if c.get("display")), None)


def _first(items: Any) -> Any:
    return items[0] if isinstance(items, list) and items else None


def read_procedures(
    fhir: FhirInput,
    subject_of: Callable[[Located], str],
    visit_of: Callable[[Located], float | None],
    unmapped: Unmapped,
    cited: set[int],
) -> list[m.Procedure]:
    """The PR records of the group's Procedures but the `cited` ones (id() of the preceding procedures study
    administrations cite, read with EX); see the module docstring."""
    rows: list[m.Procedure] = []
    numbers: dict[str, int] = defaultdict(int)
    r4 = fhir.version == "R4"
    for item in fhir.each("Procedure"):
        if id(item.resource) in cited:
            continue
        with fhir.attempt(item):
            procedure = item.resource
            concept = procedure.get("code")
            status = str(procedure.get("status"))
            if status in NOT_TAKEN:
                unmapped.add_reason(item, f"a Procedure {NOT_TAKEN[status]}", "status")
                continue
            term = _name(concept)
            if not term:
                unmapped.add(item, concept)
                continue
            sid = subject_of(item)
            numbers[sid] += 1
            prefix = "performed" if r4 else "occurrence"
            period = procedure.get(prefix + "Period")
            start = original_dtc(period, "start") if isinstance(period, dict) else None
            start = start or original_dtc(procedure, prefix + "DateTime")
            end = original_dtc(period, "end") if isinstance(period, dict) else None
            reasons = procedure.get("reasonCode") if r4 else [r.get("concept") for r in procedure.get("reason") or []]
            reason = _first(reasons)
            rows.append(
                m.Procedure(
                    subject_id=sid,
                    pr_id=numbers[sid],
                    term=term,
                    decoded=_display(concept),
                    indication=_name(reason),
                    location=_name(_first(procedure.get("bodySite"))),
                    start=start,
                    end=end,
                    visit_num=visit_of(item),
                    origin=item.origin,
                )
            )
            fhir.map_to(item, "PR")
    return rows

"""Where and how a record was collected, as FHIR elements the FHIR-to-CDISC Joint Mapping IG names: the sponsor's
identifier of the record (--SPID) as an identifier in the study's `<domain>spid` system (the IG:
"<Resource>.identifier where assigner = sponsor"; the system says who assigned it), the visit it was collected at
(VISITNUM) as a reference to that visit's Encounter (the IG: VISITNUM from "<Resource>.encounter"). The collection
date (--DTC) goes to each resource's own recorded date (AdverseEvent / Condition.recordedDate,
MedicationStatement.dateAsserted): the callers place it.
"""

from __future__ import annotations

from trialinterop.fhir.build_care import encounter_ref
from trialinterop.fhir.context import Context
from trialinterop.fhir.facts import SubjectFacts
from trialinterop.fhir.text import fhir_text

SPID_KIND = "{domain}spid"
"""Identifier kind (`Context.identifier`) of a record's --SPID: aespid, cmspid, mhspid, dsspid."""
R4_AE_IDENTIFIER = "http://hl7.org/fhir/5.0/StructureDefinition/extension-AdverseEvent.identifier"
"""R4 AdverseEvent.identifier is 0..1 (taken by the record key): the R5 element as its cross-version extension."""


def spid_identifier(ctx: Context, domain: str, value: str | None) -> dict[str, str] | None:
    """The --SPID identifier of a record of `domain` (AE, CM, MH, DS); None when not collected."""
    text = fhir_text(value)
    if text is None:
        return None
    return ctx.identifier(SPID_KIND.format(domain=domain.lower()), text)


def visit_ref(ctx: Context, facts: SubjectFacts, visit_num: float | None) -> dict[str, str] | None:
    """Reference to the Encounter of the visit the record was collected at; None when no visit was collected or the
    visit did not take place (no Encounter)."""
    return None if visit_num is None else encounter_ref(ctx, facts, visit_num)

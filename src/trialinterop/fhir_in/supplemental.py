"""What an AdverseEvent carries that no AE variable holds, kept as supplemental qualifiers (SUPPAE) rather than
dropped: the issue's "unmapped code -> a warning, and the raw value in SUPP--". Also the SUPPEX values of exposures
(`exposure_values`: a route no CDISC ROUTE term maps, EXSRCRT; SUPPCM's CMSRCRT is written by fhir_in.history).

The Joint Mapping IG names no SUPP-- qualifier for these, so the QNAMs are this project's documented choice
(docs/fhir-in.md; value-level metadata in mappings/value_level.csv):

- AESRCCD: `system|code (display)` of each coding of another system than MedDRA ('; '-joined), from
  AdverseEvent.event (R5 code) or the resulting Condition's code;
- AESRCCAT: `system|code` (else the text) of each AdverseEvent.category;
- AESUSPCT: each AdverseEvent.suspectEntity.instance (R5 instanceReference) that resolves to no resource of the input.

The warnings saying so are fhir_in.adverse_events'.
"""

from __future__ import annotations

from typing import Any

from trialinterop.fhir import codes
from trialinterop.fhir_in.load import FhirInput, Located
from trialinterop.fhir_in.values import codings, resulting_references
from trialinterop.source import models as m

QVAL_LIMIT = 200


def unread_ae_values(
    fhir: FhirInput, item: Located, subject_id: str, ae_id: int, concept: Any
) -> list[m.SupplementalValue]:
    """The SUPPAE values of AdverseEvent `item` (its AE record: `subject_id`, `ae_id`; `concept`: its event code)."""
    event = item.resource
    found: dict[str, list[str]] = {}
    for coding in codings(concept):
        if coding.get("system") != codes.MEDDRA:
            found.setdefault("AESRCCD", []).append(
                f"{coding.get('system')}|{coding.get('code')}"
                + (f" ({coding['display']})" if coding.get("display") else "")
            )
    for category in event.get("category") or []:
        shown = "; ".join(f"{c.get('system')}|{c.get('code')}" for c in codings(category))
        text = shown or (category.get("text") if isinstance(category, dict) else None)
        if text:
            found.setdefault("AESRCCAT", []).append(text)
    for suspect in event.get("suspectEntity") or []:
        instance = suspect.get("instance") if isinstance(suspect, dict) else None
        if fhir.version != "R4" and isinstance(suspect, dict):
            instance = suspect.get("instanceReference") or instance
        text = instance.get("reference") if isinstance(instance, dict) else None
        if isinstance(text, str) and not text.startswith("#") and fhir.find(text) is None:
            found.setdefault("AESUSPCT", []).append(text)
    return [
        m.SupplementalValue("AE", subject_id, ae_id, qnam, "; ".join(values)[:QVAL_LIMIT], origin=item.origin)
        for qnam, values in found.items()
    ]


def resulting_concept(fhir: FhirInput, item: Located) -> Any:
    """The AE's event code: AdverseEvent.event (R5 code), else the code of the Condition it resulted in (read without
    marking anything: fhir_in.adverse_events resolves it)."""
    event = item.resource
    concept = event.get("event" if fhir.version == "R4" else "code")
    if concept:
        return concept
    for ref, _ in resulting_references(event, r4=fhir.version == "R4"):
        text = ref.get("reference") if isinstance(ref, dict) else None
        target = fhir.find(text) if isinstance(text, str) else None
        if target is not None:
            return target.resource.get("code")
    return None


def exposure_values(
    exposures: list[m.Exposure], values: list[tuple[m.Exposure, str, m.Origin]], qnam: str
) -> list[m.SupplementalValue]:
    """SUPPEX values (`qnam`) of some of one subject group's `exposures`. An exposure has no record number, so the
    value names it by its position among its subject's exposures (1-based) in the order every engine's assembly
    sorts them (start, treatment; stable: all of a subject's exposures come from its one group);
    sdtm.domains.ex.exposure_seqs gives the EXSEQ of each position."""
    ordered = sorted(range(len(exposures)), key=lambda i: (exposures[i].subject_id, exposures[i].start,
                                                           exposures[i].treatment))  # fmt: skip
    position: dict[int, int] = {}
    counts: dict[str, int] = {}
    for index in ordered:
        subject = exposures[index].subject_id
        counts[subject] = counts.get(subject, 0) + 1
        position[id(exposures[index])] = counts[subject]
    return [
        m.SupplementalValue("EX", exposure.subject_id, position[id(exposure)], qnam, text[:QVAL_LIMIT], origin=origin)
        for exposure, text, origin in values
    ]

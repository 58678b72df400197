"""Sponsor extensions: the record facts that neither R4 nor R5 has an element for, carried so that FHIR -> records
(and so FHIR -> SDTM) loses nothing.

Each is a complex extension under `{base}/StructureDefinition/<name>` (base: the study definition's
`code_systems.base_uri`, see `extension_url`) whose sub-extensions are
named after the record fields (valueString / valueInteger / valueDecimal / valueBoolean; a repeated sub-extension is a
list). They are listed in mappings/fhir.yaml (`sponsor_extensions`). Standard elements are used wherever one exists;
these only fill the gaps (registry design facts, planned-visit timing, arm codes, outcome time frames, intervention
details, MedDRA hierarchy above the PT, criteria answered for non-serious events, disposition events, unplanned
elements, exposure dose form and frequency, concomitant medication ATC class, medical history body system,
demographics collection date, findings the sponsor derived).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from trialinterop.fhir.text import fhir_text

REGISTRY_RECORD = "registry-record"
"""On the protocol PlanDefinition: study type, design, status, titles, summary, eligibility limits, data cut-off."""
PLANNED_VISIT = "planned-visit"
"""On PlanDefinition.action: planned study day, window, start and end rules."""
ARM = "arm"
"""On ResearchStudy.arm (R4) / comparisonGroup (R5): arm code and the codes of its interventions."""
OUTCOME = "outcome"
"""On ResearchStudy.objective: outcome kind, time frame, description."""
INTERVENTION = "intervention"
"""On the study Medication of an intervention: type, description, treatment name, planned dose, route, form..."""
MEDDRA_HIERARCHY = "meddra-hierarchy"
"""On AdverseEvent: HLT, HLGT and SOC names and codes of the coded term; on a medical-history Condition: its LLT, HLT
and HLGT names."""
SERIOUSNESS_ANSWERS = "seriousness-answers"
"""On a non-serious AdverseEvent: seriousness criteria answered (Y/N) and the specify text, when collected; on any
AdverseEvent: the "involves cancer" and "occurred with overdose" answers (AESCAN, AESOD)."""
AE_END = "ae-end"
"""On an R4 AdverseEvent whose resolution date the resolve-date extension cannot give back exactly (e.g. a time known
only to the hour): the end as collected (R5 carries it as originalText on occurrencePeriod.end)."""
DISPOSITION = "disposition"
"""On ResearchSubject, one per disposition event: event (NCOMPLT term), verbatim term, date, last contact date, and
the visit, collection date and sponsor identifier of the record (VISITNUM, DSDTC, DSSPID); category OTHER EVENT for a
DS record that is no disposition."""
UNPLANNED_ELEMENT = "unplanned-element"
"""On ResearchSubject, one per unplanned element (SE ETCD UNPLAN): start, end, description (SEUPDES), epoch."""
DEMOGRAPHICS = "demographics"
"""On Patient: the date the demographics were collected (DMDTC). No Patient element holds it: meta.lastUpdated, which
the Joint Mapping IG names, is the server's instant of the resource's last change, not a collection date."""
EXPOSURE = "exposure"
"""On MedicationAdministration.dosage: collected dose form and frequency."""
CONCOMITANT_MEDICATION = "concomitant-medication"
"""On MedicationStatement (a concomitant medication): the ATC class as collected (CMCLAS, text, no code)."""
MEDICAL_HISTORY = "medical-history"
"""On Condition (a medical history event): the MedDRA body system as collected (MHBODSYS, text, no code)."""

DERIVED_FINDING = "derived-finding"
"""On a findings Observation the sponsor derived (--DRVFL = Y; Observation has no element saying a value was derived
rather than collected, and `derivedFrom` needs the sources): `derived` Y, and `standard_result` true when the value
is the record's standard result (SDTMIG leaves --ORRES null on a derived record, its result is --STRESC alone)."""

Resource = dict[str, Any]


def extension_url(base: str, name: str) -> str:
    """The URL of sponsor extension `name` (one of the names above) under the study's base URI."""
    return f"{base}/StructureDefinition/{name}"


def is_extension(url: object, name: str) -> bool:
    """Whether `url` is sponsor extension `name` under any base (FHIR input need not know the base)."""
    return isinstance(url, str) and url.endswith("/StructureDefinition/" + name)


def _value(value: object) -> Resource:
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int):
        return {"valueInteger": value}
    if isinstance(value, float):
        return {"valueDecimal": value}
    return {"valueString": str(value)}


def fields_extension(url: str, fields: Mapping[str, object]) -> Resource | None:
    """Complex extension with one sub-extension per field (lists/tuples repeat it); None values and blank text are
    left out; None when nothing remains."""
    parts: list[Resource] = []
    for name, value in fields.items():
        values: Iterable[object] = value if isinstance(value, list | tuple) else (value,)
        for item in values:
            if item is None:
                continue
            if isinstance(item, str):
                item = fhir_text(item)
                if item is None:
                    continue
            parts.append({"url": name, **_value(item)})
    return {"url": url, "extension": parts} if parts else None


def with_extension(element: Resource, extension: Resource | None) -> Resource:
    """`element` with `extension` appended to its extension list (unchanged when None)."""
    if extension is not None:
        element.setdefault("extension", []).append(extension)
    return element


def read_fields(extension: Resource) -> dict[str, list[Any]]:
    """Sub-extension values of a complex extension by field name (each a list, in order)."""
    found: dict[str, list[Any]] = {}
    for part in extension.get("extension") or []:
        if not isinstance(part, dict):
            continue
        value = next((v for k, v in part.items() if k.startswith("value")), None)
        found.setdefault(str(part.get("url")), []).append(value)
    return found

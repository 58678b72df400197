"""Where and how a record was collected, read back (the inverse of fhir.collected): --SPID from the identifier in the
study's `<domain>spid` system (R4 AdverseEvent: the R5 identifier's cross-version extension), VISITNUM from the
visit code of the Encounter a resource references.
"""

from __future__ import annotations

from typing import Any

from trialinterop.errors import InputError
from trialinterop.fhir.collected import R4_AE_IDENTIFIER
from trialinterop.fhir_in.load import FhirInput, Located
from trialinterop.fhir_in.values import code_in, extensions, identifier_value


def sponsor_id(resource: dict[str, Any], system: str | None) -> str | None:
    """The value of the identifier in `system` (also as an R4 AdverseEvent's cross-version identifier)."""
    if system is None:
        return None
    found = identifier_value(resource, system)
    if found is not None:
        return found
    for extension in extensions(resource, R4_AE_IDENTIFIER):
        value = extension.get("valueIdentifier")
        if isinstance(value, dict) and value.get("system") == system and isinstance(value.get("value"), str):
            return str(value["value"])
    return None


def visit_number(fhir: FhirInput, item: Located, element: str, visit_system: str | None) -> float | None:
    """VISITNUM of the study visit Encounter that `element` of `item` references; None without a reference, for
    another target (an R4 context may be an EpisodeOfCare) or an Encounter that is no study visit (no visit code of
    the study). A reference that resolves to nothing in the input (an EHR encounter left out of an export) leaves
    VISITNUM blank with a warning naming it: the record itself is still read."""
    ref = item.resource.get(element)
    if not ref or visit_system is None:
        return None
    path = f"{item.type}.{element}"
    try:
        visit = fhir.resolve(ref, item, path)
    except InputError as exc:
        fhir.warn(item, path, f"{exc.issues[0].message}: VISITNUM left blank")
        return None
    if visit.type != "Encounter":
        return None
    code = next((code_in(t, visit_system) for t in visit.resource.get("type") or []), None)
    try:
        return float(code) if code is not None else None
    except ValueError:
        return None

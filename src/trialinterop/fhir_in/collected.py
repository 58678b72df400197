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
    VISITNUM blank with a warning naming it: the record itself is still read. A reference that gives no VISITNUM is
    counted as not mapped in the coverage (FhirInput.leave_out)."""
    ref = item.resource.get(element)
    if not ref:
        return None
    path = f"{item.type}.{element}"
    if visit_system is None:
        fhir.leave_out(item, path, NO_VISITS)
        return None
    try:
        visit = fhir.resolve(ref, item, path)
    except InputError as exc:
        fhir.warn(item, path, f"{exc.issues[0].message}: VISITNUM left blank")
        fhir.leave_out(item, path, UNRESOLVED_VISIT)
        return None
    if visit.type != "Encounter":
        fhir.leave_out(item, path, f"references a {visit.type}, not a study visit Encounter: VISITNUM blank")
        return None
    return study_visit_number(fhir, item, path, visit, visit_system)


NO_VISITS = "the study has no visit CodeSystem: VISITNUM blank"
UNRESOLVED_VISIT = "an Encounter not in the input: VISITNUM blank"
NOT_A_VISIT = "an Encounter that is no study visit (no visit code of the study): VISITNUM blank"


def study_visit_number(
    fhir: FhirInput, item: Located, path: str, visit: Located, visit_system: str | None
) -> float | None:
    """The visit number the Encounter `visit` (referenced by `path` of `item`) is coded with in `visit_system`; None
    (and `path` counted as not mapped) when it has none."""
    code = next((code_in(t, visit_system) for t in visit.resource.get("type") or []), None) if visit_system else None
    try:
        if code is not None:
            return float(code)
    except ValueError:
        pass
    fhir.leave_out(item, path, NOT_A_VISIT)
    return None

"""Small readers of FHIR values shared by the FHIR -> records mapping: codings by system, identifiers, extensions,
ISO 8601 dates back in the records' local-time form, and CDISC terms from their NCI Thesaurus codes.

Every reader that can fail takes the `Located` resource and the element path, so the error names both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from trialinterop.ct import Terminology
from trialinterop.fhir import codes, sponsor
from trialinterop.fhir.dates import original_dtc, record_dtc
from trialinterop.fhir.sponsor import is_extension, read_fields
from trialinterop.fhir_in.load import Located

Resource = dict[str, Any]
K = TypeVar("K")
__all__ = ["original_dtc", "record_dtc"]  # re-exported: the date inverse lives beside fhir.dates.fhir_datetime
SPONSOR_NAMES = frozenset(v for k, v in vars(sponsor).items() if k.isupper() and isinstance(v, str) and "/" not in v)
"""The sponsor extension names of fhir.sponsor (REGISTRY_RECORD = 'registry-record', ...)."""


def codings(concept: Any) -> list[Resource]:
    if not isinstance(concept, dict):
        return []
    return [c for c in concept.get("coding") or [] if isinstance(c, dict)]


def code_in(concept: Any, system: str) -> str | None:
    """The first code of `system` in a CodeableConcept."""
    return next((c.get("code") for c in codings(concept) if c.get("system") == system), None)


def identifier_value(resource: Resource, system: str | None) -> str | None:
    """Value of the identifier with `system` (any system when None); Identifier may be a list (most types) or a
    single object (R4 AdverseEvent)."""
    found = resource.get("identifier")
    items = found if isinstance(found, list) else [found] if isinstance(found, dict) else []
    for item in items:
        if isinstance(item, dict) and (system is None or item.get("system") == system):
            value = item.get("value")
            if isinstance(value, str):
                return value
    return None


_TRAILING_NUMBER = re.compile(r"(\d+)$")


def record_number(item: Located, system: str, what: str) -> int | None:
    """The record's number (AESPID, CMSPID, ...): the number ending its sponsor identifier (`system`; an error when
    that one ends otherwise), else the number ending any other identifier; None when there is none (the caller
    numbers the record in input order). `what` names the number in the error ('AE', 'CM', 'MH')."""
    ident = identifier_value(item.resource, system)
    if ident:
        found = _TRAILING_NUMBER.search(ident)
        if found is None:
            message = f"{what} number expected at the end of the identifier, got {ident!r}"
            raise item.fail(f"{item.type}.identifier", message)
        return int(found.group(1))
    other = identifier_value(item.resource, None)
    found = _TRAILING_NUMBER.search(other) if other else None
    return int(found.group(1)) if found and len(found.group(1)) <= 8 else None


def extensions(element: Any, url: str) -> list[Resource]:
    """Extensions of `element` with `url`, or, for a sponsor extension name (see fhir.sponsor), whose URL is that
    sponsor extension under any base URI."""
    listed = element.get("extension") if isinstance(element, dict) else None
    if not listed:
        return []
    if url in SPONSOR_NAMES:
        return [e for e in listed if isinstance(e, dict) and is_extension(e.get("url"), url)]
    return [e for e in listed if isinstance(e, dict) and e.get("url") == url]


def extension_value(element: Any, url: str) -> Any:
    for found in extensions(element, url):
        return next((v for k, v in found.items() if k.startswith("value")), None)
    return None


ERROR_CODE = "entered-in-error"
ENTERED_IN_ERROR = "entered-in-error (recorded by mistake: no event to map)"
R4_AE_STATUS = "http://hl7.org/fhir/uv/ae-research-backport-ig/StructureDefinition/status"
"""The AE Clinical Research IG R4 backport's modifier extension for R5 AdverseEvent.status."""


def entered_in_error(item: Located) -> str | None:
    """The element that marks a resource entered in error (FHIR's modifier: the record is no valid data), else None:
    `status`, a Condition's `verificationStatus`, or the AE backport's status modifier extension."""
    resource = item.resource
    if resource.get("status") == ERROR_CODE:
        return "status"
    if resource["resourceType"] == "Condition":
        verification = resource.get("verificationStatus")
        if code_in(verification, codes.CONDITION_VERIFICATION_SYSTEM) == ERROR_CODE:
            return "verificationStatus"
    for extension in resource.get("modifierExtension") or ():
        if isinstance(extension, dict) and (extension.get("url"), extension.get("valueCode")) == (
            R4_AE_STATUS,
            ERROR_CODE,
        ):
            return f"modifierExtension({R4_AE_STATUS})"
    return None


R4_RESULTING_EFFECT = "http://hl7.org/fhir/uv/ae-research-backport-ig/StructureDefinition/resultingEffect"
"""The AE Clinical Research IG R4 backport's extension for R5 AdverseEvent.resultingEffect."""


def resulting_references(event: Resource, *, r4: bool) -> list[tuple[Any, str]]:
    """(Reference, element) of each Condition an AdverseEvent resulted in: R5 `resultingEffect`; R4
    `resultingCondition`, then the backport's `resultingEffect` extension (R4 core has no resultingEffect)."""
    if not r4:
        return [(ref, "AdverseEvent.resultingEffect") for ref in event.get("resultingEffect") or []]
    found = [(ref, "AdverseEvent.resultingCondition") for ref in event.get("resultingCondition") or []]
    element = f"AdverseEvent.extension({R4_RESULTING_EFFECT})"
    found += [(e.get("valueReference"), element) for e in extensions(event, R4_RESULTING_EFFECT)]
    return found


def fields(element: Any, url: str) -> dict[str, Any]:
    """Single-valued fields of a sponsor extension (see fhir.sponsor); {} when absent."""
    found = extensions(element, url)
    return {name: values[0] for name, values in read_fields(found[0]).items()} if found else {}


def cdisc_term(item: Located, element: str, concept: Any, codelist: str, terminology: Terminology) -> str:
    """`matching_term`; an error naming the element when no term matches."""
    term = matching_term(concept, codelist, terminology)
    if term is not None:
        return term
    shown = [f"{c.get('system')}|{c.get('code')}" for c in codings(concept)] or [str(concept)]
    raise item.fail(
        element, f"no {codelist} term for {', '.join(shown)} (expected an NCI Thesaurus code of {codelist})"
    )


def matching_term(concept: Any, codelist: str, terminology: Terminology) -> str | None:
    """The CDISC submission value of `codelist` that a CodeableConcept means: by its NCI Thesaurus code, else by a
    display or text equal to a submission value; None when neither matches."""
    terms = terminology.codelist(codelist).terms
    for coding in codings(concept):
        if coding.get("system") == codes.NCI:
            match = next((t.value for t in terms if t.code == coding.get("code")), None)
            if match is not None:
                return match
    candidates = [c.get(key) for c in codings(concept) for key in ("display", "code")]
    if isinstance(concept, dict):
        candidates.append(concept.get("text"))
    for text in candidates:
        if isinstance(text, str) and terminology.has(codelist, text.upper()):
            return text.upper()
    return None


def reverse(table: Mapping[K, Any], code: Any, *, index: int | None = None) -> K | None:
    """The key of `table` whose value (or value[index]) equals `code`, first match."""
    for key, value in table.items():
        if (value if index is None else value[index]) == code:
            return key
    return None

"""Resources that map to nothing, counted by type and code (or reason) so a run that drops them says so.

Without a given definition (rebuilt from FHIR) no instrument is known, so every findings Observation lands here; with
one, an Observation coded with no test, subject attribute, age or eligibility criterion of it does. A Condition or
medication lands here when it names no term (MHTERM / CMTRT) or was entered in error; a subject's Procedure no study
intervention cites, an Encounter that is no study visit, or a resource naming no Patient, with its reason.
"""

from __future__ import annotations

from typing import Any

from trialinterop.definition import bundled_study_ids
from trialinterop.fhir_in.load import Located
from trialinterop.fhir_in.values import codings
from trialinterop.issues import Issue, Severity

RULE = "FHIR-IN-UNMAPPED"
REASON = "reason: "


def _what(count: int, kind: str, label: str) -> str:
    if label.startswith(REASON):
        return f"{count} {kind}(s) not mapped: {label[len(REASON) :]}"
    return f"{count} {kind}(s) coded {label}: not mapped"


def code_label(concept: Any) -> str:
    """'system|code (text)' of the first coding, else the text, else '(no code)'."""
    found = next(iter(codings(concept)), None)
    text = concept.get("text") if isinstance(concept, dict) else None
    if found is None:
        return str(text) if text else "(no code)"
    label = f"{found.get('system') or ''}|{found.get('code') or ''}"
    return f"{label} ({text or found.get('display')})" if text or found.get("display") else label


class Unmapped:
    def __init__(self) -> None:
        self.found: dict[tuple[str, str, str], list[Located]] = {}
        """(resource type, element, code label) -> the resources."""

    def add(self, item: Located, concept: Any, element: str = "code") -> None:
        self.found.setdefault((item.type, element, code_label(concept)), []).append(item)

    def add_reason(self, item: Located, reason: str, element: str = "code") -> None:
        """A resource left out for `reason` (not for its code)."""
        self.found.setdefault((item.type, element, REASON + reason), []).append(item)

    def _counts(self) -> str:
        """'1940 Observation(s)', or per type: '3 Observation(s), 1 Condition(s)'."""
        counts: dict[str, int] = {}
        for (kind, _, _), items in self.found.items():
            counts[kind] = counts.get(kind, 0) + len(items)
        return ", ".join(f"{count} {kind}(s)" for kind, count in counts.items())

    @property
    def total(self) -> int:
        return sum(len(items) for items in self.found.values())

    def issues(self, *, given: bool, severity: Severity = Severity.WARNING) -> list[Issue]:
        """One issue per code (how many Observations, the first one's place), then one saying what would map them;
        none when everything mapped."""
        if not self.found:
            return []
        why = (
            "their codes match no test, subject attribute or criterion of the study definition (add them to it)"
            if given
            else "the study definition rebuilt from FHIR has no instruments (FHIR does not carry them): give --study "
            f"(a definition file or a bundled study id: {', '.join(bundled_study_ids())})"
        )
        kinds = {kind for kind, _, _ in self.found}
        if kinds & {"Condition", "MedicationStatement", "MedicationRequest", "MedicationAdministration"}:
            why += "; a Condition or medication needs a term (text or a coding display), not entered-in-error"
        if kinds - {"Observation", "Condition", "MedicationStatement", "MedicationRequest", "MedicationAdministration"}:
            why += "; the other resources listed have no SDTM domain this tool builds from them"
        found = [
            Issue(RULE, severity, _what(len(items), kind, label), where=items[0].where, field=f"{kind}.{element}")
            for (kind, element, label), items in self.found.items()
        ]
        return [*found, Issue(RULE, severity, f"{self._counts()} not mapped: {why}")]

    def summary(self, *, given: bool) -> str:
        hint = "" if given else "give --study, or "
        return f"{self._counts()} not mapped ({hint}use --no-strict to convert without them)"

"""Observations that map to nothing in the study definition, counted by code so a run that drops them says so.

Without a given definition (rebuilt from FHIR) no instrument is known, so every findings Observation lands here; with
one, an Observation coded with no test, subject attribute, age or eligibility criterion of it does.
"""

from __future__ import annotations

from typing import Any

from trialinterop.definition import bundled_study_ids
from trialinterop.fhir_in.load import Located
from trialinterop.fhir_in.values import codings
from trialinterop.issues import Issue, Severity

RULE = "FHIR-IN-UNMAPPED"


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
        self.found: dict[str, list[Located]] = {}

    def add(self, item: Located, concept: Any) -> None:
        self.found.setdefault(code_label(concept), []).append(item)

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
        found = [
            Issue(RULE, severity, f"{len(items)} Observation(s) coded {label}: not mapped", where=items[0].where,
                  field="Observation.code")
            for label, items in self.found.items()
        ]  # fmt: skip
        return [*found, Issue(RULE, severity, f"{self.total} Observation(s) not mapped: {why}")]

    def summary(self, *, given: bool) -> str:
        hint = "" if given else "give --study, or "
        return f"{self.total} Observation(s) not mapped ({hint}use --no-strict to convert without them)"

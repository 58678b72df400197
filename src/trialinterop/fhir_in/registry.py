"""Registry facts FHIR has no element for (study type, design, titles, eligibility limits, data cut-off...): from the
sponsor registry-record extension on the protocol PlanDefinition, else the standard element named by the caller.

Facts found nowhere that SDTM cannot do without are refused together in one error; any other is assumed (a stated
default) or left unknown, and reported in one warning. Both point to `--study` (a study definition).
"""

from __future__ import annotations

from typing import Any

from trialinterop.fhir import sponsor
from trialinterop.fhir_in.load import FhirInput, Located
from trialinterop.fhir_in.values import extensions

STUDY_OPTION = "give the study definition with --study"


class RegistryFacts:
    def __init__(self, study: Located, plan: Located | None) -> None:
        found = extensions(plan.resource, sponsor.REGISTRY_RECORD) if plan is not None else []
        self.lists: dict[str, list[Any]] | None = sponsor.read_fields(found[0]) if found else None
        """Every value of each field of the extension; None when the input has no registry-record extension."""
        self.given: dict[str, Any] | None = (
            {name: values[0] for name, values in self.lists.items()} if self.lists is not None else None
        )
        """The extension's fields (first value); None when the input has no registry-record extension."""
        self.place = plan if plan is not None else study
        self.assumed: list[str] = []
        self.unknown: list[str] = []
        self.missing: list[str] = []

    def fact(
        self, name: str, standard: Any = None, *, assumed: tuple[Any, str] | None = None, required: bool = False
    ) -> Any:
        """The extension's value, else `standard`; else the `assumed` (value, shown), or None (kept as missing when
        `required`: `require` then refuses the input)."""
        if self.given is not None and name in self.given:
            return self.given[name]
        if standard is not None:
            return standard
        if required:
            self.missing.append(name)
        elif assumed is not None:
            self.assumed.append(f"{name} = {assumed[1]}")
            return assumed[0]
        elif self.given is None:
            self.unknown.append(name)
        return None

    def optional(self, name: str) -> Any:
        """The extension's value of `name`, None when absent (nothing recorded as assumed or unknown)."""
        return (self.given or {}).get(name)

    def all(self, name: str) -> list[Any]:
        """Every value of the repeated field `name` of the extension (none when absent)."""
        return list((self.lists or {}).get(name) or [])

    def require(self) -> None:
        """An InputError naming every required fact not found."""
        if not self.missing:
            return
        where = (
            "the input has no registry record (no sponsor registry-record extension on a protocol PlanDefinition)"
            if self.given is None
            else "the registry-record extension lacks them"
        )
        raise self.place.fail(
            f"PlanDefinition.extension({sponsor.REGISTRY_RECORD})",
            f"registry facts {', '.join(self.missing)} not found: {where}, and no standard element gives them; "
            f"{STUDY_OPTION}",
        )

    def report(self, fhir: FhirInput) -> None:
        """One warning listing the facts assumed and those left unknown (none when nothing was)."""
        if not self.assumed and not self.unknown:
            return
        parts = []
        if self.assumed:
            parts.append("assumed " + ", ".join(self.assumed))
        if self.unknown:
            parts.append("unknown: " + ", ".join(self.unknown))
        fhir.warn(
            self.place,
            f"PlanDefinition.extension({sponsor.REGISTRY_RECORD})",
            f"registry facts not in the input: {'; '.join(parts)}; {STUDY_OPTION}",
        )

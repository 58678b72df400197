"""What every builder needs, gathered once per run: the study definition (and the registry record made from it), the
FHIR release, ids, references and lookups.

Everything trial-specific reaches the builders through here: the sponsor base URI (`definition.code_system_base`)
behind every identifier system, sponsor code system and sponsor extension, the site UTC offsets, the instruments.
References are made only through `Context.ref`, which also records the target, so `bundle` can prove that every
reference resolves inside the output without walking the resources again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from trialinterop.ct import Terminology
from trialinterop.definition.model import CodedValue, StudyDefinition
from trialinterop.definition.registry_record import study_record
from trialinterop.fhir import codes, sponsor
from trialinterop.fhir.ids import resource_id
from trialinterop.fhir.versions import FhirRelease
from trialinterop.source.models import Study

ReferenceStyle = Literal["urn", "relative"]


@dataclass
class Context:
    definition: StudyDefinition
    release: FhirRelease
    terminology: Terminology
    references: ReferenceStyle = "urn"
    referenced: set[str] = field(default_factory=set)
    """Ids of every resource referenced so far."""
    study: Study = field(init=False)
    """The registry record of the definition (titles, arms, interventions, sites, visits as records see them)."""

    def __post_init__(self) -> None:
        self.study = study_record(self.definition)
        self.study_key = self.definition.study.id
        self.base = self.definition.code_system_base
        self.shared_testcds = _shared_testcds(self.definition)

    @property
    def is_r4(self) -> bool:
        return self.release.name == "R4"

    def id(self, resource_type: str, *key: object) -> str:
        return resource_id(resource_type, self.study_key, *key)

    def ref(self, resource_type: str, *key: object) -> dict[str, str]:
        """A Reference to the resource of `resource_type` with natural `key`."""
        rid = resource_id(resource_type, self.study_key, *key)
        self.referenced.add(rid)
        if self.references == "urn":
            return {"reference": "urn:uuid:" + rid}
        return {"reference": f"{resource_type}/{rid}"}

    def identifier(self, kind: str, value: str) -> dict[str, str]:
        return {"system": codes.identifier_system(self.base, self.study_key, kind), "value": value}

    def code_system(self, name: str) -> str:
        """The study's own CodeSystem `name` (e.g. 'visit', 'criteria', 'qstestcd')."""
        return codes.sponsor_code_system(self.base, self.study_key, name)

    def extension(self, name: str) -> str:
        """URL of the sponsor extension `name` (a `sponsor` constant)."""
        return sponsor.extension_url(self.base, name)

    def coding(self, value: CodedValue) -> dict[str, str] | None:
        """A Coding of a coded value of the definition (LOINC, CDISC CT, SNOMED, UNII, ...); None without a code or
        for a system with no FHIR URI (SPONSOR)."""
        system = codes.DEFINITION_SYSTEMS.get(value.system or "")
        if system is None or not value.code:
            return None
        coding = {"system": system, "code": value.code, "display": value.value}
        if value.version:
            coding["version"] = value.version
        return coding

    def nci(self, codelist: str, value: str) -> dict[str, str]:
        """NCI Thesaurus Coding of a CDISC submission value (display = the CDISC decode); a sponsor term with no NCI
        code (a study's own causality terms, say) is coded in the study's code system of that codelist instead."""
        term = self.terminology.term(codelist, value)
        if not term.code:
            return {"system": self.code_system(codelist.lower()), "code": term.value, "display": term.decode or value}
        return {"system": codes.NCI, "code": term.code, "display": term.decode}


def _shared_testcds(definition: StudyDefinition) -> frozenset[str]:
    """Test codes used by more than one instrument (their Observation keys name the instrument too)."""
    seen: set[str] = set()
    shared: set[str] = set()
    for instrument in definition.instruments:
        for test in instrument.tests:
            (shared if test.testcd in seen else seen).add(test.testcd)
    return frozenset(shared)

"""What every builder needs, gathered once per run: the study, the FHIR release, ids, references and lookups.

References are made only through `Context.ref`, which also records the target, so `bundle` can prove that every
reference resolves inside the output without walking the resources again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from trialinterop.ct import Terminology
from trialinterop.fhir import codes
from trialinterop.fhir.ids import resource_id
from trialinterop.fhir.versions import FhirRelease
from trialinterop.source.models import Study

ReferenceStyle = Literal["urn", "relative"]


@dataclass
class Context:
    study: Study
    release: FhirRelease
    terminology: Terminology
    references: ReferenceStyle = "urn"
    referenced: set[str] = field(default_factory=set)
    """Ids of every resource referenced so far."""

    def __post_init__(self) -> None:
        self.study_key = self.study.study_id
        self.site_country = {site.site_id: site.country for site in self.study.sites}

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
        return {"system": codes.identifier_system(self.study_key, kind), "value": value}

    def nci(self, codelist: str, value: str) -> dict[str, str]:
        """NCI Thesaurus Coding of a CDISC submission value (display = the CDISC decode)."""
        term = self.terminology.term(codelist, value)
        return {"system": codes.NCI, "code": term.code, "display": term.decode}

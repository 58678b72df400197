"""The two FHIR releases we emit, and everything that is pinned per release in one place.

R4 output follows FHIR 4.0.1 and is checked with the `fhir.resources.R4B` models (R4B keeps the R4 shapes of every
resource we emit) and with Medplum's R4 definitions; R5 output follows FHIR 5.0.0 (`fhir.resources` default models).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from trialinterop.errors import TrialInteropError

FhirVersionName = Literal["R4", "R5"]


@dataclass(frozen=True, slots=True)
class FhirRelease:
    name: FhirVersionName
    fhir_version: str
    models_package: str
    """Python package of the fhir.resources models used by the tests to prove validity."""
    ae_ig_base: str
    """Canonical base of the HL7 Adverse Event Clinical Research IG for this release (R4 = the backport IG)."""


R4 = FhirRelease(
    "R4", "4.0.1", "fhir.resources.R4B", "http://hl7.org/fhir/uv/ae-research-backport-ig/StructureDefinition"
)
R5 = FhirRelease("R5", "5.0.0", "fhir.resources", "http://hl7.org/fhir/uv/ae-research-ig/StructureDefinition")
RELEASES: dict[str, FhirRelease] = {"R4": R4, "R5": R5}


def release(name: str) -> FhirRelease:
    """The release for 'R4' or 'R5' (case-insensitive); a clear error otherwise."""
    try:
        return RELEASES[name.upper()]
    except KeyError:
        raise TrialInteropError(f"unknown FHIR version {name!r}: choose R4 or R5") from None

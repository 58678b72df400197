"""Codes of other systems read back as CDISC terms (fhir_in.terms, tables in mappings/fhir-in/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from trialinterop.countries import to_alpha3
from trialinterop.fhir_in.load import FhirInput, Located
from trialinterop.fhir_in.terms import cdisc_route, cdisc_unit
from trialinterop.source.models import Origin

SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"


def _input() -> tuple[FhirInput, Located]:
    item = Located({"resourceType": "MedicationStatement", "id": "m"}, "in.json entry[0] (MedicationStatement/m)",
                   Origin("in.json", 1))  # fmt: skip
    return FhirInput(Path("in.json"), "R4", [item]), item


@pytest.mark.parametrize(
    ("concept", "expected"),
    [
        ({"coding": [{"system": SNOMED, "code": "26643006", "display": "Oral Route"}]}, "ORAL"),
        ({"coding": [{"system": SNOMED, "code": "47625008"}]}, "INTRAVENOUS"),
        ({"coding": [{"system": SNOMED, "code": "10547007"}]}, "AURICULAR (OTIC)"),
        ({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration", "code": "PO"}]},
         "ORAL"),
        ({"coding": [{"system": "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl", "code": "C38299"}]},
         "SUBCUTANEOUS"),
        ({"text": "Intramuscular route"}, "INTRAMUSCULAR"),
        ({"text": "oral"}, "ORAL"),
    ],
)  # fmt: skip
def test_routes(concept: dict, expected: str) -> None:
    fhir, item = _input()
    assert cdisc_route(fhir, item, "MedicationStatement.dosage.route", concept) == (expected, None)
    assert fhir.warnings == []


def test_unmapped_route_is_left_out_of_route_and_given_back_as_given() -> None:
    fhir, item = _input()
    concept = {"coding": [{"system": SNOMED, "code": "999", "display": "Through the ear canal"}]}
    assert cdisc_route(fhir, item, "MedicationStatement.dosage.route", concept, "SUPPCM CMSRCRT") == (
        None, "http://snomed.info/sct|999 (Through the ear canal)"
    )  # fmt: skip
    assert [w.render() for w in fhir.warnings] == [
        "WARNING FHIR-IN in.json entry[0] (MedicationStatement/m) MedicationStatement.dosage.route: route "
        "http://snomed.info/sct|999 (Through the ear canal) has no CDISC ROUTE term (mappings/fhir-in/route.csv): "
        "--ROUTE left blank, kept in SUPPCM CMSRCRT"
    ]


def test_a_route_as_given_keeps_every_coding_and_a_text_of_its_own() -> None:
    fhir, item = _input()
    concept = {"coding": [{"system": SNOMED, "code": "999"}, {"system": "urn:x", "code": "EC", "display": "ear"}],
               "text": "into the ear canal"}  # fmt: skip
    given = "http://snomed.info/sct|999; urn:x|EC (ear); into the ear canal"
    assert cdisc_route(fhir, item, "X.route", concept) == (None, given)
    assert cdisc_route(fhir, item, "X.route", {"text": "by magic"}) == (None, "by magic")


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        ({"value": 1, "unit": "milligram", "system": UCUM, "code": "mg"}, "mg"),
        ({"value": 1, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}, "mmHg"),
        ({"value": 1, "unit": "millimetre of mercury", "system": UCUM, "code": "mm[Hg]"}, "mmHg"),
        ({"value": 1, "system": UCUM, "code": "Cel"}, "C"),
        ({"value": 1, "system": UCUM, "code": "10*9/L"}, "10^9/L"),
        ({"value": 1, "system": UCUM, "code": "a"}, "YEARS"),
        ({"value": 1, "unit": "beats/min", "system": UCUM, "code": "/min"}, "beats/min"),
        ({"value": 1}, None),
    ],
)
def test_units(quantity: dict, expected: str | None) -> None:
    fhir, item = _input()
    assert cdisc_unit(fhir, item, "MedicationStatement.dosage.dose", quantity) == expected
    assert fhir.warnings == []


@pytest.mark.parametrize(
    ("quantity", "test", "expected"),
    [
        ({"value": 44, "unit": "beats/minute", "system": UCUM, "code": "/min"}, "8867-4", "beats/min"),
        ({"value": 16, "unit": "breaths/minute", "system": UCUM, "code": "/min"}, "9279-1", "breaths/min"),
        ({"value": 16, "unit": "/min", "system": UCUM, "code": "/min"}, "9279-1", "breaths/min"),
        ({"value": 16, "unit": "/min", "system": UCUM, "code": "/min"}, None, "/min"),
        ({"value": 16, "unit": "/min", "system": UCUM, "code": "/min"}, "8310-5", "/min"),
        ({"value": 120, "system": UCUM, "code": "mm[Hg]"}, "8480-6", "mmHg"),
    ],
)
def test_unit_of_a_test(quantity: dict, test: str | None, expected: str) -> None:
    """`/min` has no VSRESU term: a heart rate is in beats/min, a respiratory rate in breaths/min (table rows)."""
    fhir, item = _input()
    assert cdisc_unit(fhir, item, "Observation.valueQuantity", quantity, test) == expected
    assert fhir.warnings == []


def test_unmapped_unit_is_kept_with_a_warning() -> None:
    fhir, item = _input()
    assert cdisc_unit(fhir, item, "X.dose", {"value": 2, "unit": "puffs", "code": "{puff}"}) == "puffs"
    assert len(fhir.warnings) == 1 and "unit 'puffs' (code '{puff}') has no CDISC UNIT term" in fhir.warnings[0].message


@pytest.mark.parametrize(("given", "alpha3"), [("US", "USA"), ("USA", "USA"), ("us", "USA"), ("Argentina", "ARG"),
                                               ("XX", None), ("", None)])  # fmt: skip
def test_countries(given: str, alpha3: str | None) -> None:
    assert to_alpha3(given) == alpha3

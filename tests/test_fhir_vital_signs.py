"""Which FHIR Vital Signs profiles an Observation declares (trialinterop.fhir.vital_signs)."""

from __future__ import annotations

from trialinterop.fhir.vital_signs import vital_signs_profiles

VS = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}]
BASE = "http://hl7.org/fhir/StructureDefinition/"


def pulse(**changes: object) -> dict:
    resource = {
        "resourceType": "Observation",
        "category": VS,
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "subject": {"reference": "Patient/1"},
        "effectiveDateTime": "2013-12-26T09:30:00-05:00",
        "valueQuantity": {"value": 72, "unit": "beats/min", "system": "http://unitsofmeasure.org", "code": "/min"},
    }
    resource.update(changes)
    return {k: v for k, v in resource.items() if v is not None}


def test_heart_rate_meets_the_base_and_the_heart_rate_profiles() -> None:
    assert vital_signs_profiles(pulse()) == [BASE + "vitalsigns", BASE + "heartrate"]


def test_a_unit_the_specific_profile_does_not_allow_keeps_the_base_profile_only() -> None:
    value = {"value": 1.2, "unit": "Hz", "system": "http://unitsofmeasure.org", "code": "Hz"}
    assert vital_signs_profiles(pulse(valueQuantity=value)) == [BASE + "vitalsigns"]


def test_no_profile_without_what_the_base_profile_demands() -> None:
    assert vital_signs_profiles(pulse(effectiveDateTime=None)) == []
    assert vital_signs_profiles(pulse(effectiveDateTime="2013-12")) == []  # vs-1: at least a day
    assert vital_signs_profiles(pulse(category=None)) == []
    assert vital_signs_profiles(pulse(valueQuantity={"value": 72, "unit": "beats/min"})) == []  # no UCUM code
    assert vital_signs_profiles(pulse(valueQuantity=None, valueString="72")) == []
    assert vital_signs_profiles(pulse(code={"coding": [{"system": "urn:x", "code": "PULSE"}]})) == []


def test_not_done_with_a_data_absent_reason_meets_the_base_profile() -> None:
    absent = {
        "coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "not-performed"}]
    }
    resource = pulse(valueQuantity=None, dataAbsentReason=absent, status="cancelled")
    assert vital_signs_profiles(resource) == [BASE + "vitalsigns"]

"""Concomitant medications (MedicationStatement) and medical history (Condition) of the fixtures, R4 and R5, with
literal expected values; and the dose of an administration given without a collected dose."""

from __future__ import annotations

import dataclasses
from functools import cache

from fhir_support import fixture_records, infusion, small_records
from trialinterop.fhir import build_resources
from trialinterop.fhir.ids import resource_id
from trialinterop.source import models as m

STUDY = "NCT05016804"
SPONSOR = "https://fomr.example.org/fhir"
THO = "http://terminology.hl7.org/CodeSystem/"
NCI = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
PATIENT_01_001 = {"reference": "Patient/" + resource_id("Patient", STUDY, "01-001")}


@cache
def _fixture(version: str) -> tuple[dict, ...]:
    return tuple(build_resources(fixture_records(), version=version, references="relative"))


def _by_id(version: str, resource_type: str, *key: object) -> dict:
    rid = resource_id(resource_type, STUDY, *key)
    return next(r for r in _fixture(version) if r["id"] == rid)


def test_r4_medication_statement_of_a_fixture_medication() -> None:
    assert _by_id("R4", "MedicationStatement", "01-001", 1) == {
        "resourceType": "MedicationStatement",
        "id": resource_id("MedicationStatement", STUDY, "01-001", 1),
        "identifier": [{"system": f"{SPONSOR}/sid/nct05016804-cm", "value": "01-001/1"}],
        "extension": [
            {
                "url": f"{SPONSOR}/StructureDefinition/concomitant-medication",
                "extension": [{"url": "atc_class", "valueString": "ANALGESICS"}],
            }
        ],
        "status": "completed",
        "medicationCodeableConcept": {"text": "PARACETAMOL 500MG", "coding": [{"display": "PARACETAMOL"}]},
        "subject": PATIENT_01_001,
        "effectivePeriod": {"start": "2025-07-28", "end": "2025-08-05"},
        "reasonCode": [{"text": "Headache"}],
        "dosage": [
            {
                "doseAndRate": [{"doseQuantity": {"value": 500.0, "unit": "mg", "system": NCI, "code": "C28253"}}],
                "route": {"coding": [{"system": NCI, "code": "C38288", "display": "ORAL"}], "text": "ORAL"},
                "timing": {"code": {"coding": [{"system": NCI, "code": "C64499", "display": "PRN"}], "text": "PRN"}},
            }
        ],
    }


def test_r5_medication_statement_is_recorded_with_adherence() -> None:
    statement = _by_id("R5", "MedicationStatement", "01-001", 1)
    assert statement["status"] == "recorded"
    assert statement["medication"] == {"concept": {"text": "PARACETAMOL 500MG", "coding": [{"display": "PARACETAMOL"}]}}
    assert statement["reason"] == [{"concept": {"text": "Headache"}}]
    adherence = {"system": "http://hl7.org/fhir/CodeSystem/medication-statement-adherence", "code": "stopped"}
    assert statement["adherence"] == {"code": {"coding": [{**adherence, "display": "Stopped"}]}}
    ongoing = _by_id("R5", "MedicationStatement", "01-002", 1)  # Atorvastatin since 2017-01, ongoing
    assert ongoing["adherence"]["code"]["coding"][0]["code"] == "taking"
    assert ongoing["effectivePeriod"] == {"start": "2017-01"}
    assert _by_id("R4", "MedicationStatement", "01-002", 1)["status"] == "active"


def test_r4_condition_of_a_resolved_medical_history_event() -> None:
    patient = {"reference": "Patient/" + resource_id("Patient", STUDY, "01-002")}
    assert _by_id("R4", "Condition", "01-002", 3) == {
        "resourceType": "Condition",
        "id": resource_id("Condition", STUDY, "01-002", 3),
        "identifier": [{"system": f"{SPONSOR}/sid/nct05016804-mh", "value": "01-002/3"}],
        "extension": [
            {
                "url": f"{SPONSOR}/StructureDefinition/medical-history",
                "extension": [{"url": "body_system", "valueString": "Surgical and medical procedures"}],
            }
        ],
        "clinicalStatus": {
            "coding": [{"system": THO + "condition-clinical", "code": "resolved", "display": "Resolved"}]
        },
        "verificationStatus": {
            "coding": [{"system": THO + "condition-ver-status", "code": "confirmed", "display": "Confirmed"}]
        },
        "category": [
            {
                "coding": [
                    {"system": THO + "condition-category", "code": "problem-list-item", "display": "Problem List Item"}
                ]
            },
            {"text": "GENERAL MEDICAL HISTORY"},
        ],
        "code": {
            "text": "Appendectomy",
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/mdr", "display": "Appendicectomy"}],
        },
        "subject": patient,
        "onsetDateTime": "2018-12",
        "abatementDateTime": "2019-01",
    }


def test_fixture_bundle_holds_one_resource_per_medication_and_history_event() -> None:
    for version in ("R4", "R5"):
        kinds = [r["resourceType"] for r in _fixture(version)]
        assert (kinds.count("MedicationStatement"), kinds.count("Condition")) == (21, 42)


def test_unanswered_ongoing_gives_unknown_status() -> None:
    history = (m.MedicalHistoryEvent("01-001", 1, "Asthma"),)
    medication = (m.ConcomitantMedication("01-001", 1, "Salbutamol"),)
    records = small_records(medical_history=history, medications=medication)
    r4 = {r["resourceType"]: r for r in build_resources(records, version="R4")}
    r5 = {r["resourceType"]: r for r in build_resources(records, version="R5")}
    assert "clinicalStatus" not in r4["Condition"] and "dosage" not in r4["MedicationStatement"]
    assert r4["MedicationStatement"]["status"] == "unknown" and "extension" not in r4["MedicationStatement"]
    assert r5["Condition"]["clinicalStatus"]["coding"][0]["code"] == "unknown"  # 1..1 in R5
    assert "adherence" not in r5["MedicationStatement"]
    assert r4["Condition"]["code"] == {"text": "Asthma"} and r4["Condition"]["category"][1:] == []


def test_administration_without_a_collected_dose_says_why() -> None:
    records = small_records(exposures=(dataclasses.replace(infusion(), dose=None, dose_unit=None),))
    (given,) = [r for r in build_resources(records, version="R4") if r["resourceType"] == "MedicationAdministration"]
    assert given["dosage"]["dose"] == {
        "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown"}]
    }

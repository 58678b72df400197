"""FHIR builders: the registry record, subjects, AEs, observations, with literal expected values."""

from __future__ import annotations

import uuid

import pytest

from fhir_support import infusion, serious_ae, small_records
from trialinterop.errors import TrialInteropError
from trialinterop.fhir import build_resources
from trialinterop.fhir.bundle import iter_references
from trialinterop.fhir.dates import fhir_datetime
from trialinterop.fhir.ids import NAMESPACE, resource_id, uuid5_text
from trialinterop.source import models as m

SUBJECT_SYSTEM = "https://fomr.example.org/fhir/sid/nct05016804-subject"
NCI = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"


def by_type(resources: list[dict], kind: str) -> list[dict]:
    return [r for r in resources if r["resourceType"] == kind]


def main_study(resources: list[dict]) -> dict:
    return next(r for r in by_type(resources, "ResearchStudy") if "partOf" not in r)


@pytest.fixture(scope="module")
def r4() -> list[dict]:
    return list(build_resources(small_records(adverse_events=(serious_ae(),), exposures=(infusion(),)), version="R4"))


@pytest.fixture(scope="module")
def r5() -> list[dict]:
    return list(build_resources(small_records(adverse_events=(serious_ae(),), exposures=(infusion(),)), version="R5"))


def test_research_study_r4_carries_the_registry_record(r4: list[dict]) -> None:
    study = main_study(r4)
    assert {"use": "official", "system": "https://clinicaltrials.gov", "value": "NCT05016804"} in study["identifier"]
    assert study["status"] == "active"
    assert "phase" not in study  # the registry record states no phase
    assert study["condition"][0]["coding"][0] == {
        "system": "http://snomed.info/sct",
        "code": "89155008",
        "display": "Systemic Sclerosis",
    }
    assert study["extension"] == [
        {
            "url": "http://hl7.org/fhir/5.0/StructureDefinition/extension-ResearchStudy.recruitment.targetNumber",
            "valueUnsignedInt": 20,
        }
    ]
    assert study["arm"][0]["name"] == "AlloRx UC-MSC 100 million cells IV"
    assert study["arm"][0]["type"] == {
        "coding": [{"system": "http://hl7.org/fhir/research-study-arm-type", "code": "experimental",
                    "display": "Experimental"}],
        "text": "EXPERIMENTAL",
    }  # fmt: skip
    assert study["category"][0] == {
        "coding": [{"system": "http://hl7.org/fhir/study-design", "code": "SEVCO:01001",
                    "display": "Interventional research"}],
        "text": "Study type: INTERVENTIONAL",
    }  # fmt: skip
    assert [c["text"] for c in study["category"]] == [
        "Study type: INTERVENTIONAL", "Allocation: NA", "Intervention model: SINGLE_GROUP", "Masking: NONE",
    ]  # fmt: skip
    assert "coding" not in study["category"][1]  # allocation NA has no SEVCO code
    assert study["category"][2]["coding"][0]["code"] == "SEVCO:01016"
    assert [o["name"] for o in study["objective"]] == [
        "Safety (adverse events)",
        "Modified Rodnan skin score (mRSS)",
        "Forced vital capacity (FVC)",
    ]
    assert "time frame: Four year follow-up" in study["description"]
    assert [c["text"] for c in study["location"]] == ["Antigua and Barbuda", "Argentina"]
    assert study["primaryPurposeType"]["coding"][0]["code"] == "treatment"


def test_research_study_r5_uses_r5_elements(r5: list[dict]) -> None:
    study = main_study(r5)
    assert study["status"] == "active"
    assert study["progressStatus"][0]["state"]["coding"][0]["code"] == "recruiting"
    assert study["recruitment"]["targetNumber"] == 20
    assert study["recruitment"]["actualNumber"] == 1
    assert study["comparisonGroup"][0]["linkId"] == "ALLORX"
    variables = {v["identifier"][0]["value"]: v for v in by_type(r5, "EvidenceVariable")}
    assert study["comparisonGroup"][0]["intendedExposure"] == [
        {"reference": "EvidenceVariable/" + variables["ALLORX"]["id"]},
        {"reference": "EvidenceVariable/" + variables["TCV"]["id"]},
    ]
    medication = next(m for m in by_type(r5, "Medication") if m["identifier"][0]["value"] == "ALLORX")
    assert variables["ALLORX"]["characteristic"][0]["definitionByTypeAndValue"]["valueReference"] == {
        "reference": "Medication/" + medication["id"]
    }
    assert variables["TCV"]["title"] == "Autologous T-cell vaccine" and variables["TCV"]["status"] == "active"
    assert study["studyDesign"][0]["coding"][0]["code"] == "SEVCO:01001"
    assert study["associatedParty"][0]["role"]["coding"][0]["code"] == "sponsor"
    assert study["outcomeMeasure"][0]["description"].endswith("Time frame: Four year follow-up")
    assert "arm" not in study and "sponsor" not in study and "enrollment" not in study


def test_site_studies_are_part_of_the_main_study(r4: list[dict]) -> None:
    main = main_study(r4)
    sites = [r for r in by_type(r4, "ResearchStudy") if "partOf" in r]
    assert [s["identifier"][0]["value"] for s in sites] == ["01", "02"]
    assert all(s["partOf"][0]["reference"] == "ResearchStudy/" + main["id"] for s in sites)
    locations = by_type(r4, "Location")
    assert [(loc["name"], loc["address"]["country"]) for loc in locations] == [
        ("Medical Surgical Associates Center", "ATG"),
        ("Center for Investigation in Tissue Engineering and Cellular Therapy", "ARG"),
    ]


def test_eligibility_group_has_2_inclusion_and_10_exclusion_criteria_and_the_age(
    r4: list[dict], r5: list[dict]
) -> None:
    for resources in (r4, r5):
        (group,) = by_type(resources, "Group")
        criteria, limits = group["characteristic"][:12], group["characteristic"][12:]
        excluded = [c["exclude"] for c in criteria]
        assert excluded.count(False) == 2 and excluded.count(True) == 10
        assert group["characteristic"][0]["code"]["coding"][0]["code"] == "INCL001"
        assert limits == [  # minimum age P18Y, no maximum; sex ALL gives no characteristic
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "30525-0", "display": "Age"}]},
                "valueRange": {
                    "low": {"value": 18, "unit": "years", "system": "http://unitsofmeasure.org", "code": "a"}
                },
                "exclude": False,
            }
        ]
    assert by_type(r4, "Group")[0]["actual"] is False
    assert by_type(r5, "Group")[0]["membership"] == "definitional"


def test_patient_has_no_name_and_a_sponsor_identifier(r4: list[dict]) -> None:
    first, second = by_type(r4, "Patient")
    assert first["identifier"] == [{"system": SUBJECT_SYSTEM, "value": "01-001"}]
    assert "name" not in first
    assert first["gender"] == "female" and first["birthDate"] == "1970-05"
    race = first["extension"][0]
    assert race["extension"][0]["valueCoding"]["code"] == "2106-3"
    assert second["extension"][0]["extension"][-1] == {"url": "text", "valueString": "OTHER|ASIAN"}


def test_research_subject_states_arms_and_consent(r4: list[dict], r5: list[dict]) -> None:
    enrolled, failed = by_type(r4, "ResearchSubject")
    assert enrolled["status"] == "on-study" and failed["status"] == "ineligible"
    assert enrolled["assignedArm"] == enrolled["actualArm"] == "AlloRx UC-MSC 100 million cells IV"
    assert "assignedArm" not in failed
    assert enrolled["period"] == {"start": "2022-01-10"}
    consent = by_type(r4, "Consent")[0]
    assert consent["dateTime"] == "2022-01-10"
    assert enrolled["consent"]["reference"] == "Consent/" + consent["id"]
    subject5 = by_type(r5, "ResearchSubject")[0]
    assert subject5["progress"][0]["subjectState"]["coding"][0]["code"] == "on-study"
    assert subject5["assignedComparisonGroup"] == "ALLORX"


def test_adverse_event_r4_follows_the_backport_ig(r4: list[dict]) -> None:
    (ae,) = by_type(r4, "AdverseEvent")
    base = "http://hl7.org/fhir/uv/ae-research-backport-ig/StructureDefinition/"
    assert ae["actuality"] == "actual"
    assert ae["event"]["text"] == "PNEUMONIA WITH ADMISSION"
    meddra = "http://terminology.hl7.org/CodeSystem/mdr"
    assert ae["event"]["coding"][0] == {"system": meddra, "code": "10035664", "display": "Pneumonia", "version": "27.1"}
    assert ae["date"] == "2022-01-20T14:05:00-04:00"
    assert ae["seriousness"]["coding"][0]["code"] == "serious"
    criteria = {
        e["extension"][0]["valueCodeableConcept"]["coding"][0]["code"]: e["extension"][1]["valueBoolean"]
        for e in ae["extension"]
        if e["url"] == base + "seriousness-criteria"
    }
    assert criteria == {"C48275": False, "C84266": False, "C83052": True}
    assert ae["severity"]["coding"][0]["code"] == "severe"
    assert {"system": NCI, "code": "C49498", "display": "Recovered or Resolved"} in ae["outcome"]["coding"]
    suspect = next(e for e in ae["extension"] if e["url"] == base + "suspect-entity")
    relatedness = suspect["extension"][1]["extension"][0]["valueCodeableConcept"]["coding"][0]
    assert relatedness["code"] == "C53258"
    grade = next(e for e in ae["extension"] if e["url"] == base + "ae-grade")
    assert grade["valueCodeableConcept"]["coding"][0]["code"] == "C41340"
    resolved = next(e for e in ae["extension"] if e["url"] == base + "resolve-date")
    assert resolved["valueDateTime"] == "2022-02-02"
    assert ae["modifierExtension"] == [{"url": base + "status", "valueCode": "completed"}]


def test_adverse_event_r5_follows_the_ig(r5: list[dict]) -> None:
    (ae,) = by_type(r5, "AdverseEvent")
    assert ae["status"] == "completed" and ae["actuality"] == "actual"
    assert ae["occurrencePeriod"] == {"start": "2022-01-20T14:05:00-04:00", "end": "2022-02-02"}
    assert ae["outcome"][0]["coding"][0]["code"] == "C49498"
    assert ae["suspectEntity"][0]["causality"]["entityRelatedness"]["coding"][0]["code"] == "C53258"
    severity = next(e for e in ae["extension"] if e["url"].endswith("/ae-severity"))
    assert severity["valueCodeableConcept"]["coding"][0]["code"] == "severe"
    study = main_study(r5)
    assert ae["study"] == [{"reference": "ResearchStudy/" + study["id"]}]


def test_non_serious_event_has_no_criteria() -> None:
    event = m.AdverseEvent(
        "01-001", 2, "HEADACHE", "2022-01-16", "N", "MILD", "NOT RELATED", "NOT APPLICABLE", "RECOVERING/RESOLVING"
    )
    (ae,) = by_type(list(build_resources(small_records(adverse_events=(event,)), version="R4")), "AdverseEvent")
    assert not [e for e in ae["extension"] if e["url"].endswith("seriousness-criteria")]
    assert ae["event"] == {"text": "HEADACHE"}  # not MedDRA-coded: verbatim only
    assert ae["modifierExtension"][0]["valueCode"] == "in-progress"
    assert ae["outcome"]["coding"][0]["code"] == "recovering"


def mrss(visit_num: float, scores: tuple[int | None, ...], total: int | None = None) -> tuple[m.Finding, ...]:
    rows = [
        m.Finding("01-001", "MRSS", f"MRSS01{n:02d}", visit_num, datetime="2022-01-05",
                  result=None if score is None else str(score))
        for n, score in enumerate(scores, start=1)
    ]  # fmt: skip
    if total is not None:
        rows.append(m.Finding("01-001", "MRSS", "MRSS0118", visit_num, datetime="2022-01-05", result=str(total)))
    return tuple(rows)


def test_skin_score_gives_17_areas_and_a_derived_total() -> None:
    done = m.Visit("01-001", 1.0, "Y", visit_date="2022-01-05")
    records = small_records(findings=mrss(1.0, (1,) * 16 + (None,)), visits=(done,))
    resources = list(build_resources(records, version="R4"))
    observations = [o for o in by_type(resources, "Observation") if o["code"]["coding"][0]["code"].startswith("MRSS")]
    assert len(observations) == 18
    first, total = observations[0], observations[-1]
    assert first["code"] == {
        "coding": [
            {
                "system": "https://fomr.example.org/fhir/CodeSystem/nct05016804-qstestcd",
                "code": "MRSS0101",
                "display": "MRSS01-Fingers Right",
            }
        ],
        "text": "MRSS01-Fingers Right",
    }
    assert first["category"][0]["coding"][0]["code"] == "survey"  # the definition's fhir_category
    assert first["valueInteger"] == 1 and "bodySite" not in first
    assert first["id"] == resource_id("Observation", "NCT05016804", "01-001", "1/MRSS0101")  # key as before
    assert observations[16]["dataAbsentReason"]["coding"][0]["code"] == "not-performed"
    assert total["code"]["coding"][0]["code"] == "MRSS0118"
    assert "valueInteger" not in total and total["dataAbsentReason"]["coding"][0]["code"] == "unknown"
    assert total["method"] == {"text": "Derived: sum of the 17 component results"}
    assert len(total["hasMember"]) == 17
    encounter = by_type(resources, "Encounter")[0]
    assert total["encounter"] == {"reference": "Encounter/" + encounter["id"]}


def test_complete_skin_score_sums_and_collected_total_wins() -> None:
    derived = by_type(list(build_resources(small_records(findings=mrss(3.0, (2,) * 17)), version="R5")), "Observation")
    total = next(o for o in derived if o["code"]["coding"][0]["code"] == "MRSS0118")
    assert total["valueInteger"] == 34 and total["method"]["text"].startswith("Derived:")
    collected = by_type(
        list(build_resources(small_records(findings=mrss(3.0, (2,) * 17, 33)), version="R5")), "Observation"
    )
    total = next(o for o in collected if o["code"]["coding"][0]["code"] == "MRSS0118")
    assert total["valueInteger"] == 33 and "method" not in total and len(total["hasMember"]) == 17


def test_skin_score_not_done_cancels_every_area_and_the_total() -> None:
    rows = tuple(
        m.Finding("01-001", "MRSS", f"MRSS01{n:02d}", 3.0, status="NOT DONE", reason_not_done="SUBJECT REFUSED")
        for n in range(1, 18)
    )
    observations = by_type(list(build_resources(small_records(findings=rows), version="R4")), "Observation")
    scores = [o for o in observations if o["code"]["coding"][0]["code"].startswith("MRSS")]
    assert len(scores) == 18 and {o["status"] for o in scores} == {"cancelled"}
    assert scores[-1]["dataAbsentReason"] == {
        "coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "not-performed"}],
        "text": "SUBJECT REFUSED",
    }


def test_spirometry_uses_the_definition_codes_and_ucum() -> None:
    fvc = m.Finding("01-001", "FVC", "FVC", 3.0, datetime="2022-02-15T10:00", result="2.5", unit="L",
                    position="SITTING", reference_result="3.1")  # fmt: skip
    percent = m.Finding("01-001", "FVC", "FVCPP", 3.0, datetime="2022-02-15T10:00", result="80.6", unit="%")
    resources = list(build_resources(small_records(findings=(fvc, percent)), version="R5"))
    spirometry = [o for o in by_type(resources, "Observation") if o["code"]["coding"][0]["code"] != "30525-0"]
    fvc_obs, percent_obs = spirometry
    assert fvc_obs["code"] == {
        "coding": [
            {"system": "http://loinc.org", "code": "19868-9",
             "display": "Forced vital capacity [Volume] Respiratory system by Spirometry"},
            {"system": NCI, "code": "C111361", "display": "Forced Vital Capacity"},
        ],
        "text": "Forced Vital Capacity",
    }  # fmt: skip
    assert fvc_obs["valueQuantity"] == {"value": 2.5, "unit": "L", "system": "http://unitsofmeasure.org", "code": "L"}
    assert fvc_obs["effectiveDateTime"] == "2022-02-15T10:00:00-04:00"  # site 01 keeps UTC-4 (the definition)
    assert fvc_obs["category"][0]["coding"][0]["code"] == "exam"
    assert fvc_obs["component"][0]["valueCodeableConcept"]["text"] == "SITTING"
    assert fvc_obs["referenceRange"] == [{"type": {"text": "Reference result"}, "text": "3.1"}]
    assert percent_obs["code"]["coding"][0]["code"] == "19872-1" and percent_obs["valueQuantity"]["code"] == "%"
    assert "component" not in percent_obs  # no position collected: the instrument's default is not repeated
    assert "encounter" not in fvc_obs  # no visit record: nothing to link


def test_numbers_keep_their_collected_form() -> None:
    rows = (
        m.Finding("01-001", "FVC", "FVCPP", 3.0, result="71", unit="%"),
        m.Finding("01-001", "FVC", "FVC", 3.0, result="2.90", unit="L"),
    )
    found = by_type(list(build_resources(small_records(findings=rows), version="R4")), "Observation")
    percent, litres = [o for o in found if o["identifier"][0]["value"].startswith("01-001/3/")]
    assert percent["valueQuantity"] == {"value": 71, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}
    assert litres["valueQuantity"]["value"] == 2.9
    assert litres["valueQuantity"]["_value"] == {
        "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/originalText", "valueString": "2.90"}]
    }


def test_finding_of_a_test_outside_the_definition_is_named() -> None:
    row = m.Finding("01-001", "FVC", "FEV1", 3.0, result="2.0", origin=m.Origin("findings.csv", 7))
    with pytest.raises(TrialInteropError, match=r"findings.csv:7 \(Finding of subject 01-001\).*'FEV1'"):
        list(build_resources(small_records(findings=(row,)), version="R4"))


def test_preceding_procedure_comes_from_the_intervention_definition(r5: list[dict]) -> None:
    vaccine = m.Exposure("01-001", "AUTOLOGOUS T-CELL VACCINE", "2022-02-01T15:20", 1.0, "mL", "SUBCUTANEOUS",
                         preceded_by_date="2022-01-20")  # fmt: skip
    resources = list(build_resources(small_records(exposures=(infusion(), vaccine)), version="R4"))
    (procedure,) = by_type(resources, "Procedure")
    assert procedure["id"] == resource_id("Procedure", "NCT05016804", "01-001", "APHERESIS", "2022-01-20")
    assert procedure["code"] == {
        "coding": [{"system": "http://snomed.info/sct", "code": "127788007", "display": "Apheresis"}],
        "text": "Apheresis (before AUTOLOGOUS T-CELL VACCINE)",
    }
    assert procedure["performedDateTime"] == "2022-01-20"
    administration = next(a for a in by_type(resources, "MedicationAdministration") if "supportingInformation" in a)
    assert administration["supportingInformation"] == [{"reference": "Procedure/" + procedure["id"]}]
    assert not by_type(r5, "Procedure")  # the infusion names no preceding procedure


def test_schedule_timing_uses_the_window_on_each_side(r4: list[dict]) -> None:
    (plan,) = by_type(r4, "PlanDefinition")
    screening, day1, month1 = plan["action"][:3]
    assert "timingRange" not in screening  # no planned day
    assert "window -30/+0 days" in screening["description"]
    day = {"unit": "d", "system": "http://unitsofmeasure.org", "code": "d"}
    assert day1["timingRange"] == {"low": {"value": 1, **day}, "high": {"value": 1, **day}}
    assert month1["timingRange"] == {"low": {"value": 24, **day}, "high": {"value": 38, **day}}


def test_infusion_is_a_medication_administration(r4: list[dict], r5: list[dict]) -> None:
    (admin4,) = by_type(r4, "MedicationAdministration")
    assert admin4["effectivePeriod"] == {"start": "2022-01-15T09:30:00-04:00", "end": "2022-01-15T10:10:00-04:00"}
    assert admin4["dosage"]["dose"] == {
        "value": 100.0,
        "unit": "10^6 Therapeutic Cells",
        "system": NCI,
        "code": "C187973",
    }
    assert admin4["dosage"]["route"]["coding"][0]["code"] == "C38276"
    lot_medication = next(med for med in by_type(r4, "Medication") if "batch" in med)
    assert lot_medication["batch"] == {"lotNumber": "ALX-1"}
    assert admin4["medicationReference"] == {"reference": "Medication/" + lot_medication["id"]}
    (admin5,) = by_type(r5, "MedicationAdministration")
    assert "occurencePeriod" in admin5 and "reference" in admin5["medication"]


@pytest.mark.parametrize(
    ("value", "offset", "expected"),
    [
        ("2022", "-04:00", "2022"),
        ("2022-03", None, "2022-03"),
        ("2022-03-04", "-04:00", "2022-03-04"),
        ("2022-03-04T10", "-03:00", "2022-03-04"),
        ("2022-03-04T10:20", "-03:00", "2022-03-04T10:20:00-03:00"),
        ("2022-03-04T10:20:30", "-04:00", "2022-03-04T10:20:30-04:00"),
        ("2022-03-04T10:20", None, "2022-03-04"),
        ("2022-03-04T10:20:30Z", "-04:00", "2022-03-04T10:20:30Z"),
        ("2022-03-04T10:20:30+01:00", None, "2022-03-04T10:20:30+01:00"),
    ],
)
def test_fhir_datetime(value: str, offset: str | None, expected: str) -> None:
    assert fhir_datetime(value, offset) == expected


@pytest.mark.parametrize(
    "name", ["a", "Patient|NCT05016804|01-001", "Observation|NCT05016804|01-001|3.01/MRSS0118", "é"]
)
def test_fast_uuid5_equals_uuid_module(name: str) -> None:
    assert uuid5_text(name) == str(uuid.uuid5(NAMESPACE, name))


def test_ids_are_deterministic_and_distinct() -> None:
    assert resource_id("Patient", "NCT05016804", "01-001") == resource_id("Patient", "NCT05016804", "01-001")
    assert resource_id("Patient", "NCT05016804", "01-001") != resource_id("ResearchSubject", "NCT05016804", "01-001")


@pytest.mark.parametrize("style", ["urn", "relative"])
def test_every_reference_resolves(style: str) -> None:
    records = small_records(adverse_events=(serious_ae(),), exposures=(infusion(),))
    resources = list(build_resources(records, version="R4", references=style))
    ids = {r["id"] for r in resources}
    prefix = "urn:uuid:" if style == "urn" else ""
    refs = {ref for r in resources for ref in iter_references(r)}
    assert refs, "expected references"
    for ref in refs:
        target = ref.removeprefix(prefix) if style == "urn" else ref.split("/", 1)[1]
        assert target in ids, ref


def test_unknown_version_is_a_clear_error() -> None:
    with pytest.raises(TrialInteropError, match="unknown FHIR version 'R3'"):
        list(build_resources(small_records(), version="R3"))


def test_record_the_builders_cannot_express_is_named() -> None:
    event = m.AdverseEvent(
        "01-001", 7, "RASH", "2022-01-16", "N", "MILD", "NOT RELATED", "NOT APPLICABLE", "GONE",
        origin=m.Origin("adverse_events.csv", 9),
    )  # fmt: skip
    with pytest.raises(TrialInteropError, match=r"adverse_events.csv:9 \(AdverseEvent of subject 01-001\)"):
        list(build_resources(small_records(adverse_events=(event,)), version="R5"))


def test_mapping_file_names_the_systems_the_builders_use() -> None:
    import yaml

    from trialinterop.fhir import codes
    from trialinterop.resources import mappings_dir

    spec = yaml.safe_load((mappings_dir() / "fhir.yaml").read_text(encoding="utf-8"))
    assert spec["code_systems"]["nci"] == codes.NCI
    assert spec["code_systems"]["meddra"] == codes.MEDDRA
    base = "https://fomr.example.org/fhir"  # NCT05016804's code_systems.base_uri
    assert spec["code_systems"]["qstestcd"] == codes.sponsor_code_system(base, "NCT05016804", "qstestcd")
    assert spec["identifier_systems"]["subject"] == codes.identifier_system(base, "NCT05016804", "subject")
    assert spec["identifier_systems"]["study"] == codes.CTGOV


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HEADACHE", "HEADACHE"),
        ("HEAD\u00a0ACHE", "HEAD ACHE"),
        ("a\tb\nc", "a\tb\nc"),
        ("naïve\u2003rash", "naïve rash"),
    ],
)
def test_free_text_becomes_a_valid_fhir_string(raw: str, expected: str) -> None:
    from trialinterop.fhir.text import fhir_string, fhir_text

    assert fhir_string(raw) == expected
    assert fhir_text("\u00a0") is None


def test_subject_attributes_are_observations() -> None:
    subject = m.Subject("01-001", "01", "F", "ATG", "2022-01-10", "Y",
                        attributes=(("severity_group", "SEVERE"), ("methotrexate", "Y")))  # fmt: skip
    records = m.TrialRecords(definition=small_records().definition, subjects=(subject,))
    observations = by_type(list(build_resources(records, version="R4")), "Observation")
    found = {o["code"]["coding"][0]["code"]: o for o in observations}
    system = "https://fomr.example.org/fhir/CodeSystem/nct05016804-subject-characteristic"
    assert found["severity_group"]["code"] == {
        "coding": [{"system": system, "code": "severity_group", "display": "Disease Severity Group"}],
        "text": "Disease Severity Group",
    }
    assert found["severity_group"]["valueCodeableConcept"] == {"text": "SEVERE"}
    assert found["methotrexate"]["valueBoolean"] is True


def test_site_without_offset_keeps_the_date_only() -> None:
    from dataclasses import replace

    definition = small_records().definition
    sites = tuple(replace(site, utc_offset=None) for site in definition.sites)
    records = m.TrialRecords(
        definition=replace(definition, sites=sites), subjects=small_records().subjects, exposures=(infusion(),)
    )
    (admin,) = by_type(list(build_resources(records, version="R4")), "MedicationAdministration")
    assert admin["effectivePeriod"]["start"] == "2022-01-15"
    assert admin["effectivePeriod"]["_start"]["extension"][0]["valueString"] == "2022-01-15T09:30"


def test_identifier_systems_follow_the_definition_base() -> None:
    from dataclasses import replace

    definition = replace(small_records().definition, code_system_base="https://sponsor.example.com/fhir")
    records = m.TrialRecords(definition=definition, subjects=small_records().subjects, adverse_events=(serious_ae(),))
    resources = list(build_resources(records, version="R5"))
    patient = by_type(resources, "Patient")[0]
    assert patient["identifier"][0]["system"] == "https://sponsor.example.com/fhir/sid/nct05016804-subject"
    systems = {ext["url"] for r in resources for ext in r.get("extension", []) if "sponsor.example.com" in ext["url"]}
    assert "https://sponsor.example.com/fhir/StructureDefinition/meddra-hierarchy" in systems
    assert not [r for r in resources if "fomr.example.org" in str(r)]

"""The HL7 AE Clinical Research IG's use case 7 (tests/data/third_party/ae-research-ig, R5, converted by hand from the
IG's FSH; see the README there): as published it is refused with its one problem (no ResearchStudy) and every
resource accounted for; enrolled in a study by resources this test adds, its AdverseEvent maps to AE with its SNOMED
code and unresolvable suspect entity kept in SUPPAE, its Conditions read with the AE and its MedicationRequest to CM."""

from __future__ import annotations

import json
from pathlib import Path

import pyreadstat
from click.testing import CliRunner

from trialinterop.cli import main

EXAMPLE = Path(__file__).resolve().parent / "data" / "third_party" / "ae-research-ig" / "use-case-7-r5.json"
OUTSIDE = "the Patient takes part in no ResearchSubject of this study"


def test_use_case_7_as_published_is_refused_and_fully_accounted_for(tmp_path: Path) -> None:
    out, report = tmp_path / "out", tmp_path / "coverage.json"
    args = ["fhir-to-sdtm", str(EXAMPLE), "-o", str(out), "--study", "nct05016804", "--report", str(report)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "FHIR input refused: 1 problem(s)" in result.output and "no ResearchStudy in the input" in result.output
    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["fhir_version"] == "R5"
    assert document["totals"]["resources"] == 5 and document["totals"]["not_mapped"] == 5
    assert {kind: (r["read"], r["not_mapped"]) for kind, r in document["resources"].items()} == {
        "AdverseEvent": (1, {OUTSIDE: 1}),
        "Condition": (2, {OUTSIDE: 2}),
        "MedicationRequest": (1, {OUTSIDE: 1}),
        "Patient": (1, {OUTSIDE: 1}),
    }


def _enrolled(tmp_path: Path) -> Path:
    bundle = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    state = "http://terminology.hl7.org/CodeSystem/research-subject-state"
    added = [
        {"resourceType": "ResearchStudy", "id": "nct05016804", "status": "active",
         "identifier": [{"system": "https://clinicaltrials.gov", "value": "NCT05016804"}]},
        {"resourceType": "ResearchStudy", "id": "site-01", "status": "active",
         "partOf": [{"reference": "ResearchStudy/nct05016804"}],
         "identifier": [{"system": "https://hospital.example.org/research-sites", "value": "01"}]},
        {"resourceType": "ResearchSubject", "id": "rs-5", "status": "active",
         "identifier": [{"system": "https://hospital.example.org/research-subjects", "value": "01-105"}],
         "study": {"reference": "ResearchStudy/site-01"}, "subject": {"reference": "Patient/ClinicalTrialSubject5"},
         "progress": [{"subjectState": {"coding": [{"system": state, "code": "on-study"}]},
                       "reason": {"text": "informed consent"}, "startDate": "1905-07-01"}]},
    ]  # fmt: skip
    for resource in added:
        bundle["entry"].append({"fullUrl": f"https://x.org/{resource['resourceType']}/{resource['id']}",
                                "resource": resource})  # fmt: skip
    path = tmp_path / "enrolled.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def test_use_case_7_enrolled_maps_the_event_and_keeps_what_ae_cannot_hold(tmp_path: Path) -> None:
    out, report = tmp_path / "out", tmp_path / "coverage.json"
    args = ["fhir-to-sdtm", str(_enrolled(tmp_path)), "-o", str(out), "--study", "nct05016804", "--no-define"]
    result = CliRunner().invoke(main, [*args, "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "AEACN left blank" in result.output
    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["totals"]["resources"] == 8 and document["totals"]["not_mapped"] == 0
    resources = document["resources"]
    assert resources["AdverseEvent"]["mapped"] == {"AE": 1}
    assert resources["Condition"]["mapped"] == {"AE": 2}
    assert resources["MedicationRequest"]["mapped"] == {"CM": 1}
    detected = "no AE variable holds the detection date (SDTMIG 3.4; neither the Joint Mapping IG nor the AE Clinical "
    detected += "Research IG maps it)"
    assert resources["AdverseEvent"]["elements"]["detected"] == {"count": 1, "mapped_to": None,
                                                                 "not_mapped": {detected: 1}}  # fmt: skip
    # given as a Reference: AEACN is blank, so the element counts as not mapped although its row has a target
    assert resources["AdverseEvent"]["elements"]["mitigatingAction"] == {
        "count": 1, "mapped_to": "AE.AEACN;SUPPAE.AESRCACN",
        "not_mapped": {"given as a Reference, not an AEACN term: AEACN blank": 1},
    }  # fmt: skip
    # 11 = AdverseEvent detected, mitigatingAction, recorder, status; MedicationRequest authoredOn, contained,
    # identifier, intent, requester, status; Patient name (mitigatingAction counted as mapped before issue 16 item 5)
    assert document["totals"]["element_kinds_not_mapped"] == 11
    assert document["totals"]["element_occurrences_not_mapped"] == 11
    assert "AdverseEvent elements not mapped: detected 1 (no AE variable holds the detection date" in result.output
    assert "mitigatingAction 1 (given as a Reference, not an AEACN term: AEACN blank), recorder 1" in result.output
    ae, _ = pyreadstat.read_xport(str(out / "ae.xpt"))
    columns = ["AETERM", "AEDECOD", "AESEV", "AESER", "AEREL", "AEOUT", "AESHOSP", "AESLIFE", "AESDTH", "AESTDTC"]
    assert ae[columns].to_dict("records") == [
        {"AETERM": "Serious reportable event associated with product or device", "AEDECOD": "UNCODED",
         "AESEV": "SEVERE", "AESER": "Y", "AEREL": "RELATED", "AEOUT": "RECOVERING/RESOLVING", "AESHOSP": "Y",
         "AESLIFE": "Y", "AESDTH": "N", "AESTDTC": ""}
    ]  # fmt: skip
    supp, _ = pyreadstat.read_xport(str(out / "suppae.xpt"))
    assert dict(zip(supp["QNAM"], supp["QVAL"], strict=True)) == {
        "AESRCCD": "http://snomed.info/sct|370901008 (Serious reportable event associated with product or device)",
        "AESUSPCT": "MedicationAdministration/medadmin0301",
        "AETRTEM": "N",
    }
    cm, _ = pyreadstat.read_xport(str(out / "cm.xpt"))
    assert cm[["CMTRT", "CMINDC", "CMROUTE"]].to_dict("records") == [
        {"CMTRT": "Study Medication for psoriasis", "CMINDC": "Psoriasis", "CMROUTE": "INTRAVENOUS"}
    ]


# --- use case 6B, R4 (the IG's R4 backport) --------------------------------------------------------------------------

EXAMPLE_R4 = EXAMPLE.with_name("use-case-6b-r4.json")
JOINT_MAPPING_R4 = Path(__file__).resolve().parent / "data" / "fhir" / "joint-mapping-ig-r4.json"


def test_use_case_6b_as_published_is_refused_and_fully_accounted_for(tmp_path: Path) -> None:
    out, report = tmp_path / "out", tmp_path / "coverage.json"
    args = ["fhir-to-sdtm", str(EXAMPLE_R4), "-o", str(out), "--study", "nct05016804", "--report", str(report)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "FHIR input refused: 1 problem(s)" in result.output
    assert "the input's study (NCT01234567) is not the study of --study nct05016804" in result.output
    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["fhir_version"] == "R4" and document["totals"]["resources"] == 14
    resources = document["resources"]
    assert resources["Provenance"]["not_mapped"] == {"a resource type fhir-to-sdtm does not read": 2}
    assert resources["MedicationStatement"]["not_mapped"] == {OUTSIDE: 3}
    assert resources["AdverseEvent"]["not_mapped"] == {OUTSIDE: 1}


def test_use_case_6b_enrolled_maps_event_vital_signs_and_medications(tmp_path: Path) -> None:
    """Janet (the IG's Patient) enrolled at the Joint Mapping IG bundle's site 01 by a ResearchSubject this test adds:
    the backport AE reads its resultingEffect extension's Condition with the event, its causality (NCI C53258) and
    outcome (NCI C49498), and its six seriousness criteria, all false; the Observations' encounter given only by
    display leaves VISITNUM blank with a warning (it refused the run before)."""
    bundle = json.loads(JOINT_MAPPING_R4.read_text(encoding="utf-8"))
    bundle["entry"] += json.loads(EXAMPLE_R4.read_text(encoding="utf-8"))["entry"]
    subject = {"resourceType": "ResearchSubject", "id": "rs-janet", "status": "on-study",
               "identifier": [{"system": "https://hospital.example.org/research-subjects", "value": "01-106"}],
               "period": {"start": "2023-03-01"}, "study": {"reference": "ResearchStudy/site-01"},
               "individual": {"reference": "Patient/JanetPatient"}}  # fmt: skip
    bundle["entry"].append({"fullUrl": "https://x.org/ResearchSubject/rs-janet", "resource": subject})
    source, out, report = tmp_path / "enrolled.json", tmp_path / "out", tmp_path / "coverage.json"
    source.write_text(json.dumps(bundle), encoding="utf-8")
    args = ["fhir-to-sdtm", str(source), "-o", str(out), "--study", "nct05016804", "--report", str(report)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "Observation.encounter: Reference with only a display ('GP Visit') does not resolve to any resource of " \
           "the input: VISITNUM left blank" in result.output  # fmt: skip
    resources = json.loads(report.read_text(encoding="utf-8"))["resources"]
    assert resources["Condition"]["mapped"] == {"AE": 3}  # the bundle's two, and Janet's through resultingEffect
    assert resources["MedicationStatement"]["mapped"] == {"CM": 3}
    # example001 doses 1 to 2 tablets (doseRange): no CM variable holds a range here, so it is listed, not dropped
    range_left = (
        "a dose range (doseRange): CMDOSE holds one number and this package has no CMDOSTXT, so CMDOSE is blank"
    )
    assert resources["MedicationStatement"]["elements"]["dosage"]["not_mapped"] == {range_left: 1}
    janet = "NCT05016804-01-106"
    ae, _ = pyreadstat.read_xport(str(out / "ae.xpt"))
    columns = ["AETERM", "AEDECOD", "AESER", "AEREL", "AEOUT", "AESTDTC", "AESDTH", "AESHOSP", "AESDISAB", "AESMIE"]
    assert ae[ae["USUBJID"] == janet][columns].to_dict("records") == [
        {"AETERM": "Serious reportable event associated with product or device", "AEDECOD": "UNCODED", "AESER": "Y",
         "AEREL": "POSSIBLY RELATED", "AEOUT": "RECOVERED/RESOLVED", "AESTDTC": "2023-04-10", "AESDTH": "N",
         "AESHOSP": "N", "AESDISAB": "N", "AESMIE": "N"}
    ]  # fmt: skip
    vs, _ = pyreadstat.read_xport(str(out / "vs.xpt"))
    assert vs[vs["USUBJID"] == janet][["VSTESTCD", "VSORRES", "VSORRESU"]].to_dict("records") == [
        {"VSTESTCD": "DIABP", "VSORRES": "44", "VSORRESU": "mmHg"},
        {"VSTESTCD": "SYSBP", "VSORRES": "109", "VSORRESU": "mmHg"},
        {"VSTESTCD": "WEIGHT", "VSORRES": "20.09414", "VSORRESU": "kg"},
    ]
    cm, _ = pyreadstat.read_xport(str(out / "cm.xpt"))
    pill = cm[(cm["USUBJID"] == janet) & (cm["CMTRT"] == "Little Pink Pill for water retention")]
    assert pill[["CMDOSE", "CMDOSU", "CMROUTE", "CMSTDTC"]].to_dict("records") == [
        {"CMDOSE": 1.0, "CMDOSU": "TABLET", "CMROUTE": "ORAL", "CMSTDTC": "2023-02-01"}
    ]

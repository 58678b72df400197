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

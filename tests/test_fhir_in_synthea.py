"""A Synthea patient (synthetichealth/synthea, Apache-2.0; tests/data/third_party/synthea: the first seven entries of
src/test/resources/flexporter/sample_complete_patient.json, see the README there): as published it is refused with
its one problem (a hospital export names no study) and every resource accounted for; enrolled in the Joint Mapping IG
bundle's study by a ResearchSubject this test adds, its Conditions become MH and its race and ethnicity (US Core OMB
codes, display texts) RACE and ETHNIC terms."""

from __future__ import annotations

import json
from pathlib import Path

import pyreadstat
from click.testing import CliRunner

from trialinterop.cli import main

HERE = Path(__file__).resolve().parent
SYNTHEA = HERE / "data" / "third_party" / "synthea" / "sample_complete_patient_subset.json"
PATIENT = "urn:uuid:d5582579-7193-4866-5560-a01e723b6552"


def test_synthea_patient_as_published_is_refused_and_fully_accounted_for(tmp_path: Path) -> None:
    out, report = tmp_path / "out", tmp_path / "coverage.json"
    args = ["fhir-to-sdtm", str(SYNTHEA), "-o", str(out), "--study", "nct05016804", "--report", str(report)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and not out.exists()
    assert "FHIR input refused: 1 problem(s)" in result.output
    assert "sample_complete_patient_subset.json: no ResearchStudy in the input" in result.output
    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["totals"]["resources"] == 7 and document["totals"]["not_mapped"] == 7
    outside = "the Patient takes part in no ResearchSubject of this study"
    assert {kind: (r["read"], r["not_mapped"]) for kind, r in document["resources"].items()} == {
        "CareTeam": (1, {"a resource type fhir-to-sdtm does not read": 1}),
        "Condition": (2, {outside: 2}),
        "Encounter": (3, {outside: 3}),
        "Patient": (1, {outside: 1}),
    }


def _enrolled(tmp_path: Path) -> Path:
    bundle = json.loads((HERE / "data" / "fhir" / "joint-mapping-ig-r4.json").read_text(encoding="utf-8"))
    bundle["entry"] += json.loads(SYNTHEA.read_text(encoding="utf-8"))["entry"]
    subject = {"resourceType": "ResearchSubject", "id": "rs-synthea", "status": "on-study",
               "identifier": [{"system": "https://hospital.example.org/research-subjects", "value": "01-103"}],
               "period": {"start": "2023-03-01"}, "study": {"reference": "ResearchStudy/site-01"},
               "individual": {"reference": PATIENT}}  # fmt: skip
    bundle["entry"].append({"fullUrl": "https://x.org/ResearchSubject/rs-synthea", "resource": subject})
    path = tmp_path / "enrolled.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def test_synthea_patient_enrolled_maps_to_dm_and_mh_and_lists_its_encounters(tmp_path: Path) -> None:
    source, out, report = _enrolled(tmp_path), tmp_path / "out", tmp_path / "coverage.json"
    refused = CliRunner().invoke(main, ["fhir-to-sdtm", str(source), "-o", str(out), "--study", "nct05016804"])
    assert refused.exit_code == 2, refused.output
    assert "FHIR input refused (3 Encounter(s) not mapped (use --no-strict to convert without them))" in refused.output
    args = ["fhir-to-sdtm", str(source), "-o", str(out), "--study", "nct05016804", "--no-strict", "--no-define"]
    result = CliRunner().invoke(main, [*args, "--report", str(report)])
    assert result.exit_code == 0, result.output
    document = json.loads(report.read_text(encoding="utf-8"))
    # 11 element kinds not mapped: 10 of Patient (name, telecom, Synthea's extensions...), and Condition.encounter:
    # both Synthea Conditions cite an Encounter that is no study visit, so MH VISITNUM is blank (2 occurrences;
    # before issue 16 item 5 the element read as mapped through its MH.VISITNUM row). recordedDate is mapped (MHDTC)
    assert document["totals"] == {"resources": 18, "mapped": 14, "not_mapped": 4, "element_kinds_not_mapped": 11,
                                  "element_occurrences_not_mapped": 12}  # fmt: skip
    assert document["resources"]["Condition"]["elements"]["recordedDate"] == {"count": 2, "mapped_to": "MH.MHDTC"}
    not_a_visit = "an Encounter that is no study visit (no visit code of the study): VISITNUM blank"
    assert document["resources"]["Condition"]["elements"]["encounter"] == {
        "count": 2, "mapped_to": "MH.VISITNUM", "not_mapped": {not_a_visit: 2}
    }  # fmt: skip
    assert f"Condition elements not mapped: encounter 2 ({not_a_visit})" in result.output
    resources = document["resources"]
    assert resources["Condition"]["mapped"] == {"AE": 2, "MH": 2}  # the bundle's two AE conditions, Synthea's two
    assert resources["Encounter"]["not_mapped"] == {
        "an Encounter that is no study visit (no visit code of the study)": 3
    }
    assert resources["CareTeam"]["not_mapped"] == {"a resource type fhir-to-sdtm does not read": 1}
    assert resources["Patient"]["elements"]["telecom"] == {"count": 1, "mapped_to": None}
    dm, _ = pyreadstat.read_xport(str(out / "dm.xpt"))
    row = dm[dm["SUBJID"] == "01-103"]
    assert row[["BRTHDTC", "SEX", "RACE", "ETHNIC", "COUNTRY"]].to_dict("records") == [
        {"BRTHDTC": "1950-10-24", "SEX": "M", "RACE": "WHITE", "ETHNIC": "NOT HISPANIC OR LATINO", "COUNTRY": "ATG"}
    ]
    mh, _ = pyreadstat.read_xport(str(out / "mh.xpt"))
    assert sorted(zip(mh["MHTERM"], mh["MHSTDTC"], strict=True)) == [
        ("Anemia (disorder)", "1985-01-08T11:44:52"),
        ("Prediabetes", "1979-01-02T11:44:52"),
    ]

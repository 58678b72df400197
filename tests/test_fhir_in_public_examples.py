"""The FHIR R4 core examples (npm package hl7.fhir.r4.examples 4.0.1, CC0; tests/data/third_party/fhir-r4-examples)
of one Patient as a collection Bundle: the run is refused with every problem listed, and the coverage report accounts
for each of the nine resources and their elements."""

from __future__ import annotations

import json
from pathlib import Path

import pyreadstat
from click.testing import CliRunner

from trialinterop.cli import main

EXAMPLES = Path(__file__).resolve().parent / "data" / "third_party" / "fhir-r4-examples"


def _bundle(tmp_path: Path) -> Path:
    resources = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(EXAMPLES.glob("*.json"))]
    entries = [{"fullUrl": f"http://hl7.org/fhir/{r['resourceType']}/{r['id']}", "resource": r} for r in resources]
    path = tmp_path / "r4-examples.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}), encoding="utf-8")
    return path


def test_r4_core_examples_are_refused_with_every_problem_and_fully_accounted_for(tmp_path: Path) -> None:
    out, report = tmp_path / "out", tmp_path / "coverage.json"
    args = ["fhir-to-sdtm", str(_bundle(tmp_path)), "-o", str(out), "--study", "nct05016804", "--site", "01"]
    result = CliRunner().invoke(main, [*args, "--report", str(report)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and not out.exists()
    assert "FHIR input refused: 1 problem(s)" in result.output
    assert (
        "r4-examples.json entry[7] (ResearchStudy/example) ResearchStudy.identifier: the input's study (no "
        "identifier) is not the study of --study nct05016804" in result.output
    )
    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["refused"] is True and len(document["problems"]) == 1
    assert document["totals"]["resources"] == 9
    assert document["totals"]["not_mapped"] == 8
    resources = document["resources"]
    assert resources["ResearchSubject"]["not_mapped"] == {
        "a candidate who has not given informed consent (not a study subject)": 1
    }
    assert resources["AdverseEvent"]["not_mapped"] == {"the Patient takes part in no ResearchSubject of this study": 1}
    assert resources["ResearchStudy"]["mapped"] == {"study definition (replaced by --study)": 1}
    narrative = "(narrative: a human-readable rendering of the resource's data)"
    assert resources["ResearchStudy"]["elements"]["text"] == {"count": 1, "mapped_to": narrative}
    assert sum(r["read"] for r in resources.values()) == 9


def _enrolled(tmp_path: Path) -> Path:
    """The Joint Mapping IG bundle (tests/data/fhir) with five of the R4 core examples given to its subject 01-101
    (Patient/pat-1): a Condition, a heart-rate Observation, a MedicationStatement (Tylenol PM, oral), a Procedure and
    an Encounter."""
    bundle = json.loads((Path(__file__).resolve().parent / "data" / "fhir" / "joint-mapping-ig-r4.json").read_text())
    names = ["Condition-example", "Observation-heart-rate", "MedicationStatement-example001", "Procedure-example",
             "Encounter-example"]  # fmt: skip
    for name in names:
        resource = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
        resource["id"] = f"r4-{resource['id']}"
        resource["subject"] = {"reference": "Patient/pat-1"}
        bundle["entry"].append({"fullUrl": f"https://x.org/{resource['resourceType']}/{resource['id']}",
                                "resource": resource})  # fmt: skip
    path = tmp_path / "enrolled.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def test_examples_given_to_an_enrolled_subject_are_mapped_or_listed(tmp_path: Path) -> None:
    source = _enrolled(tmp_path)
    args = ["fhir-to-sdtm", str(source), "-o", str(tmp_path / "a"), "--study", "nct05016804"]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 2, refused.output
    assert (
        "FHIR input refused (1 Encounter(s) not mapped (use --no-strict to convert without them)): 2 problem(s)"
        in refused.output
    )
    assert "Observation(s) coded" not in refused.output and "Procedure(s)" not in refused.output
    for line in (
        "Encounter.type: 1 Encounter(s) not mapped: an Encounter that is no study visit (no visit code of the study)",
    ):
        assert line in refused.output
    out, report = tmp_path / "b", tmp_path / "coverage.json"
    args = ["fhir-to-sdtm", str(source), "-o", str(out), "--study", "nct05016804", "--no-strict", "--no-define"]
    result = CliRunner().invoke(main, [*args, "--report", str(report)])
    assert result.exit_code == 0, result.output
    resources = json.loads(report.read_text(encoding="utf-8"))["resources"]
    assert resources["Condition"]["mapped"] == {"AE": 2, "MH": 1}
    assert resources["MedicationStatement"]["mapped"] == {"CM": 1}
    assert resources["MedicationStatement"]["elements"]["note"] == {"count": 1, "mapped_to": None}
    assert resources["Observation"]["mapped"] == {"VS": 1}
    assert resources["Observation"]["not_mapped"] == {}
    assert resources["Procedure"]["mapped"] == {"PR": 1}
    assert resources["Procedure"]["not_mapped"] == {}
    pr, _ = pyreadstat.read_xport(str(out / "pr.xpt"))  # the appendectomy example
    assert pr[["USUBJID", "PRSPID", "PRTRT", "PRDECOD", "PRSTDTC"]].to_dict("records") == [
        {"USUBJID": "NCT05016804-01-101", "PRSPID": "1", "PRTRT": "Appendectomy", "PRDECOD": "Appendectomy (Procedure)",
         "PRSTDTC": "2013-04-05"}
    ]  # fmt: skip
    assert pr["PRINDC"].tolist() == ["Generalized abdominal pain 24 hours. Localized in RIF with rebound and guarding"]
    cm, _ = pyreadstat.read_xport(str(out / "cm.xpt"))
    assert cm[["USUBJID", "CMTRT", "CMROUTE", "CMINDC"]].to_dict("records") == [
        {"USUBJID": "NCT05016804-01-101", "CMTRT": "Tylenol PM", "CMROUTE": "ORAL", "CMINDC": "Restless Legs"}
    ]
    vs, _ = pyreadstat.read_xport(str(out / "vs.xpt"))  # the heart-rate example: vital-signs category, LOINC 8867-4
    assert vs[["USUBJID", "VSTESTCD", "VSTEST", "VSORRES", "VSORRESU", "VSSTRESN", "VSDTC"]].to_dict("records") == [
        {"USUBJID": "NCT05016804-01-101", "VSTESTCD": "PULSE", "VSTEST": "Pulse Rate", "VSORRES": "44",
         "VSORRESU": "beats/min", "VSSTRESN": 44.0, "VSDTC": "1999-07-02"}
    ]  # fmt: skip
    mh, _ = pyreadstat.read_xport(str(out / "mh.xpt"))
    assert mh[["USUBJID", "MHTERM", "MHSTDTC"]].to_dict("records") == [
        {"USUBJID": "NCT05016804-01-101", "MHTERM": "Burnt Ear", "MHSTDTC": "2012-05-24"}
    ]


def test_r4_core_adverse_event_maps_and_says_what_it_leaves_out(tmp_path: Path) -> None:
    bundle = json.loads((Path(__file__).resolve().parent / "data" / "fhir" / "joint-mapping-ig-r4.json").read_text())
    event = json.loads((EXAMPLES / "AdverseEvent-example.json").read_text(encoding="utf-8"))
    event["subject"] = {"reference": "Patient/pat-1"}
    bundle["entry"].append({"fullUrl": "https://x.org/AdverseEvent/example", "resource": event})
    source, out = tmp_path / "ae.json", tmp_path / "out"
    source.write_text(json.dumps(bundle), encoding="utf-8")
    args = ["fhir-to-sdtm", str(source), "-o", str(out), "--study", "nct05016804", "--no-define"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    for text in (
        "AdverseEvent.event: http://snomed.info/sct|304386008 (O/E - itchy rash): not MedDRA, so no AEDECOD from it "
        "(kept in SUPPAE AESRCCD)",
        "AdverseEvent.category: http://terminology.hl7.org/CodeSystem/adverse-event-category|product-use-error: no "
        "AE variable holds the category (kept in SUPPAE AESRCCAT)",
        "AdverseEvent.suspectEntity.instance: suspect entity 'Medication/example' resolves to no resource of the "
        "input: kept in SUPPAE AESUSPCT",
    ):
        assert text in result.output
    ae, _ = pyreadstat.read_xport(str(out / "ae.xpt"))
    row = ae[ae["AETERM"] == "This was a mild rash on the left forearm"]
    assert row[["AESTDTC", "AESER", "AESEV", "AEREL"]].to_dict("records") == [
        {"AESTDTC": "2017-01-29T12:34:56", "AESER": "N", "AESEV": "MILD", "AEREL": ""}
    ]
    supp, _ = pyreadstat.read_xport(str(out / "suppae.xpt"))
    kept = supp[(supp["USUBJID"] == "NCT05016804-01-101") & (supp["IDVARVAL"] == str(int(row["AESEQ"].iloc[0])))]
    assert kept[["IDVAR", "QNAM", "QLABEL", "QVAL", "QORIG"]].to_dict("records") == [
        {"IDVAR": "AESEQ", "QNAM": "AESRCCAT", "QLABEL": "Adverse Event Category (as Given)",
         "QVAL": "http://terminology.hl7.org/CodeSystem/adverse-event-category|product-use-error",
         "QORIG": "Collected"},
        {"IDVAR": "AESEQ", "QNAM": "AESRCCD", "QLABEL": "Event Code Not MedDRA (as Given)",
         "QVAL": "http://snomed.info/sct|304386008 (O/E - itchy rash)", "QORIG": "Collected"},
        {"IDVAR": "AESEQ", "QNAM": "AESUSPCT", "QLABEL": "Unresolved Suspect Entity", "QVAL": "Medication/example",
         "QORIG": "Collected"},
        {"IDVAR": "AESEQ", "QNAM": "AETRTEM", "QLABEL": "Treatment Emergent Flag", "QVAL": "N", "QORIG": "Derived"},
    ]  # fmt: skip


R5_EXAMPLES = Path(__file__).resolve().parent / "data" / "third_party" / "fhir-r5-examples"


def test_r5_core_examples_are_refused_with_every_problem_and_fully_accounted_for(tmp_path: Path) -> None:
    resources = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(R5_EXAMPLES.glob("*.json"))]
    entries = [{"fullUrl": f"http://hl7.org/fhir/{r['resourceType']}/{r['id']}", "resource": r} for r in resources]
    source, out, report = tmp_path / "r5-examples.json", tmp_path / "out", tmp_path / "coverage.json"
    source.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}), encoding="utf-8")
    args = ["fhir-to-sdtm", str(source), "-o", str(out), "--study", "nct05016804", "--report", str(report)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "FHIR input refused: 2 problem(s)" in result.output
    assert (
        "(ResearchStudy/example-ctgov-study-record) ResearchStudy.identifier: the input's study (112103, NCT05503693, "
        "AP303-PK-01) is not the study of --study nct05016804" in result.output
    )
    assert (
        "(ResearchSubject/example-crossover-placebo-to-drug) ResearchSubject.subject: reference 'cfsb1676546565857' "
        "does not resolve to any resource of the input" in result.output
    )
    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["fhir_version"] == "R5"
    assert document["totals"]["resources"] == 9 == sum(r["read"] for r in document["resources"].values())
    assert document["resources"]["ResearchSubject"]["not_mapped"] == {"a problem stopped it (see the errors)": 1}
    assert document["resources"]["Patient"]["not_mapped"] == {
        "the Patient takes part in no ResearchSubject of this study": 1
    }
    study_elements = document["resources"]["ResearchStudy"]["elements"]
    assert study_elements["outcomeMeasure"] == {"count": 1, "mapped_to": None}
    assert study_elements["identifier"]["mapped_to"] == "DM.STUDYID;DM.SITEID;TS.REGID"

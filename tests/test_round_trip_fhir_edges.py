"""Round trip of the records the generator never makes: times known to the hour or with ':00' seconds, a subject in a
site with no UTC offset, non-serious events with criteria answered, LLTs without a code of their own, what records
read from an SDTM package carry (--SPID texts, visits of CM/DS/EX/MH, collection dates, AESCAN/AESOD, MH MedDRA
levels and severity, --LOC, a record's own normal range),
uncoded events, AEs incomplete at a data cut (no start, seriousness, severity, causality, action or outcome), FVC
missing beside a predicted value. Each must come back equal, and the FHIR carrying it must stay
valid (fhir.resources R4B/R5 models; Medplum's R4 validator when Node is installed)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import pytest

from fhir_support import NODE_DIR, incomplete_ae, infusion, serious_ae, small_records, validate_all
from round_trip_support import canonical
from trialinterop.fhir import build_resources
from trialinterop.fhir.emit import write_fhir
from trialinterop.fhir_in import load_fhir_trial, read_fhir_trial
from trialinterop.source import models as m

AE = serious_ae()
CASES = {
    "AE times to the hour and with seconds": {
        "adverse_events": (dataclasses.replace(AE, start="2022-01-20T14", end="2022-02-02T10:11:00"),)
    },
    "non-serious event with criteria answered N": {
        "adverse_events": (dataclasses.replace(AE, serious="N", hospitalization="N", death="N", life_threatening="N"),)
    },
    "LLT without a code": {"adverse_events": (dataclasses.replace(AE, llt_code=None),)},
    "AEs incomplete at a data cut": {
        "adverse_events": (
            AE,
            incomplete_ae(2),
            incomplete_ae(
                3, end="2022-02-10", severity="MILD", pt="Fatigue", pt_code=10016256, llt="Fatigue", llt_code=10016256
            ),
            incomplete_ae(4, start="2022-01", relationship="NOT RELATED", death="N"),
        ),
        "exposures": (infusion(),),
    },
    "uncoded event keeps its MedDRA version": {
        "adverse_events": (
            dataclasses.replace(AE, llt=None, llt_code=None, pt=None, pt_code=None, soc=None, soc_code=None),
        )
    },
    "exposure with dose form only, hour-only start": {
        "exposures": (dataclasses.replace(infusion(), start="2022-01-15T09", frequency=None, lot=None, end=None),)
    },
    "FVC missing (no value, so no unit), predicted present, seconds": {
        "findings": (
            m.Finding("01-001", "FVC", "FVC", 1, None, "2022-01-10T09:00:00", None, None, reference_result="3.1"),
        )
    },
    "two dispositions, one without last contact": {
        "dispositions": (
            m.Disposition("01-001", "COMPLETED", "Completed", "2024-01-01", "2024-01-02"),
            m.Disposition("02-001", "SCREEN FAILURE", "Screen failure: lab", "2022-02-05"),
        )
    },
    "collection facts: --SPID, VISITNUM, --DTC, AESCAN/AESOD, MH levels and severity, --LOC": {
        "visits": (m.Visit("01-001", 1, "Y", "2022-01-10"), m.Visit("01-001", 2, "Y", "2022-01-15")),
        "adverse_events": (
            dataclasses.replace(AE, sponsor_id="E07", collection_date="2022-01-21", cancer="N", overdose="Y"),
            dataclasses.replace(incomplete_ae(2, serious="N"), sponsor_id="E08", cancer="N"),
        ),
        "exposures": (dataclasses.replace(infusion(), visit_num=2),),
        "medications": (
            m.ConcomitantMedication(
                "01-001", 1, "ASPIRIN", start="2003", visit_num=1, collection_date="2022-01-10", sponsor_id="CM-7"
            ),
        ),
        "medical_history": (
            m.MedicalHistoryEvent(
                "01-001",
                1,
                "RAYNAUD",
                decoded="Raynaud's phenomenon",
                visit_num=1,
                collection_date="2022-01-10T09:30",
                sponsor_id="MH-3",
                llt="Raynaud's phenomenon",
                hlt="Peripheral vasoconstriction, necrosis and vascular insufficiency",
                hlgt="Arteriosclerosis, stenosis, vascular insufficiency and necrosis",
                severity="MODERATE",
            ),
        ),
        "findings": (
            m.Finding(
                "01-001",
                "FVC",
                "FVC",
                1,
                None,
                "2022-01-10T09:00",
                "2.9",
                "L",
                location="LUNG",
                normal_low=2.5,
                normal_high=4.5,
            ),
        ),
        "dispositions": (
            m.Disposition(
                "01-001",
                "COMPLETED",
                "Completed",
                "2024-01-01",
                visit_num=1,
                collection_date="2024-01-02",
                sponsor_id="DS-1",
            ),
        ),
    },
    "derived findings: --DRVFL, a standard result without --ORRES": {
        "findings": (
            m.Finding("01-001", "MRSS", "MRSS0101", 1, None, "2022-01-10", "2", derived="Y"),
            m.Finding("01-001", "MRSS", "MRSS0118", 1, None, "2022-01-10", derived="Y", standard_result="33"),
            m.Finding("01-001", "FVC", "FVC", 1, None, "2022-01-10", derived="Y", standard_result="2.40"),
        )
    },
    "visits unplanned and missed": {
        "visits": (
            m.Visit("01-001", 2.01, "Y", "2022-01-12", None, "Check-up"),
            m.Visit("01-001", 3, "N", None, "Ill"),
        )
    },
}


def _records(tables: dict) -> m.TrialRecords:
    return small_records(**tables)


@pytest.mark.parametrize("version", ["R4", "R5"])
@pytest.mark.parametrize("case", list(CASES))
def test_edge_records_come_back_equal_and_fhir_stays_valid(tmp_path: Path, case: str, version: str) -> None:
    records = _records(CASES[case])
    write_fhir(records, tmp_path / "bundle.json", version=version, form="collection")
    assert canonical(load_fhir_trial(tmp_path / "bundle.json", study=records.definition)) == canonical(records)
    assert validate_all(list(build_resources(records, version=version)), version) == []


@pytest.mark.parametrize("version", ["R4", "R5"])
def test_demographics_collection_date_comes_back(tmp_path: Path, version: str) -> None:
    records = _records({})
    subjects = (dataclasses.replace(records.subjects[0], collection_date="2022-01-10"), *records.subjects[1:])
    records = dataclasses.replace(records, subjects=subjects)
    write_fhir(records, tmp_path / "bundle.json", version=version, form="collection")
    back = load_fhir_trial(tmp_path / "bundle.json", study=records.definition)
    assert back.subjects[0].collection_date == "2022-01-10" and back == records
    patient = next(r for r in build_resources(records, version=version) if r["resourceType"] == "Patient")
    assert patient["extension"][-1] == {
        "url": "https://fomr.example.org/fhir/StructureDefinition/demographics",
        "extension": [{"url": "collection_date", "valueString": "2022-01-10"}],
    }


def test_a_visit_reference_to_nothing_leaves_visitnum_blank_with_a_warning(tmp_path: Path) -> None:
    mh = m.MedicalHistoryEvent("01-001", 1, "RAYNAUD", visit_num=1, collection_date="2022-01-10")
    records = _records({"visits": (m.Visit("01-001", 1, "Y", "2022-01-10"),), "medical_history": (mh,)})
    write_fhir(records, tmp_path / "bundle.json", version="R4", form="collection")
    bundle = json.loads((tmp_path / "bundle.json").read_text(encoding="utf-8"))
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Encounter"]
    (tmp_path / "bundle.json").write_text(json.dumps(bundle), encoding="utf-8")
    trial = read_fhir_trial(tmp_path / "bundle.json", study=records.definition)
    assert trial.records.medical_history == (dataclasses.replace(mh, visit_num=None),)
    (warning,) = [w for w in trial.warnings if w.field == "Condition.encounter"]
    assert warning.message.endswith("does not resolve to any resource of the input: VISITNUM left blank")


def test_subject_at_a_site_without_utc_offset_keeps_its_times(tmp_path: Path) -> None:
    records = _records({"adverse_events": (AE,)})
    definition = records.definition
    sites = tuple(dataclasses.replace(s, utc_offset=None) if s.id == "01" else s for s in definition.sites)
    records = dataclasses.replace(records, definition=dataclasses.replace(definition, sites=sites))
    write_fhir(records, tmp_path / "b.json", version="R4", form="collection")
    bundle = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    (event,) = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "AdverseEvent"]
    assert event["date"] == "2022-01-20"  # FHIR cannot state a time without a zone
    assert event["_date"]["extension"][0]["valueString"] == "2022-01-20T14:05"
    back = load_fhir_trial(tmp_path / "b.json", study=records.definition)
    assert back == records
    assert back.adverse_events[0].start == "2022-01-20T14:05"


@pytest.mark.parametrize("version", ["R4", "R5"])
def test_incomplete_ae_has_no_invented_elements(version: str) -> None:
    records = _records({"adverse_events": (incomplete_ae(2),), "exposures": (infusion(),)})
    (event,) = [r for r in build_resources(records, version=version) if r["resourceType"] == "AdverseEvent"]
    absent = {"date", "occurrencePeriod", "seriousness", "severity", "outcome", "suspectEntity", "mitigatingAction"}
    assert absent & set(event) == set()
    urls = {e["url"].rsplit("/", 1)[-1] for e in event.get("extension", [])}
    assert (
        urls & {"suspect-entity", "mitigating-action", "ae-severity", "seriousness-criteria", "resolve-date"} == set()
    )
    assert event["code" if version == "R5" else "event"] == {"text": "FATIGUE"}
    assert event["subject"] == {"reference": "Patient/" + event["subject"]["reference"].split("/", 1)[1]}


def test_medplum_accepts_the_edge_resources(tmp_path: Path) -> None:
    node = NODE_DIR / "node_modules" / ".bin" / "node"
    if not node.exists():
        pytest.skip("tests/fhir_node/node_modules (Node 22 + Medplum) is absent: run `npm ci --prefix tests/fhir_node`")
    resources = []
    for tables in CASES.values():
        resources += list(build_resources(_records(tables), version="R4"))
    path = tmp_path / "edges.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in resources), encoding="utf-8")
    done = subprocess.run(
        [str(node), "validate.mjs", str(path)], cwd=NODE_DIR, capture_output=True, text=True, timeout=300, check=False
    )
    result = json.loads(done.stdout)
    assert result["invalid"] == []
    assert done.returncode == 0 and result["checked"] == len(resources)

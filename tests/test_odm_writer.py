"""EDC -> records end to end: records exported as ODM 1.3.2 by the mapping read back equal (origin aside)."""

from __future__ import annotations

from pathlib import Path

import odmlib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from trialinterop.definition import bundled_definition
from trialinterop.errors import SpecError
from trialinterop.odm.reader import read_odm
from trialinterop.odm.writer import write_odm
from trialinterop.source import models as m
from trialinterop.source.generate import generate_records
from trialinterop.source.reader import read_records

REPO = Path(__file__).resolve().parents[1]
RECORDS = REPO / "fixtures" / "records"
STUDY = RECORDS / "study.yaml"
MAPPING = REPO / "mappings" / "odm" / "nct05016804.yaml"
BUNDLED_ODM = REPO / "fixtures" / "odm" / "nct05016804-odm.xml"
ODM_NS = "{http://www.cdisc.org/ns/odm/v1.3}"


@pytest.fixture(scope="module")
def records() -> m.TrialRecords:
    return read_records(RECORDS)


def test_bundled_odm_reads_back_as_the_records(records: m.TrialRecords) -> None:
    assert read_odm(BUNDLED_ODM, MAPPING, STUDY) == records


def test_bundled_odm_is_current(tmp_path: Path, records: m.TrialRecords) -> None:
    """fixtures/odm is what write_odm makes of fixtures/records today (regenerate both together)."""
    fresh = write_odm(records, MAPPING, tmp_path / "odm.xml")
    assert fresh.read_bytes() == BUNDLED_ODM.read_bytes()


def test_bundled_odm_content(records: m.TrialRecords) -> None:
    root = etree.parse(str(BUNDLED_ODM)).getroot()
    assert root.get("ODMVersion") == "1.3.2"
    assert root.get("CreationDateTime") == "2026-06-30T00:00:00"
    subjects = root.findall(f"{ODM_NS}ClinicalData/{ODM_NS}SubjectData")
    assert len(subjects) == 20
    assert subjects[0].get("SubjectKey") == "01-001"
    assert subjects[0].find(f"{ODM_NS}SiteRef").get("LocationOID") == "LOC.01"
    unscheduled = root.findall(f".//{ODM_NS}StudyEventData[@StudyEventOID='SE.UNSCHEDULED']")
    assert [e.get("StudyEventRepeatKey") for e in unscheduled] == ["3.01", "3.01", "3.01"]
    headache = root.find(f".//{ODM_NS}ItemData[@ItemOID='IT.AE.PT_CODE'][@Value='10019211']")
    assert headache is not None


def test_bundled_odm_is_schema_valid() -> None:
    xsd = Path(odmlib.__file__).parent / "schemas" / "odm" / "1.3.2" / "ODM1-3-2.xsd"
    assert xsd.is_file(), f"ODM 1.3.2 XSD not shipped with this odmlib ({xsd}); pyproject requires odmlib>=0.2.1"
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    schema = etree.XMLSchema(etree.parse(str(xsd), parser))
    assert schema.validate(etree.parse(str(BUNDLED_ODM))), schema.error_log


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**32), subjects=st.integers(min_value=1, max_value=30))
def test_round_trip_generated_trials(tmp_path_factory: pytest.TempPathFactory, seed: int, subjects: int) -> None:
    trial = generate_records(bundled_definition("NCT05016804"), subjects=subjects, seed=seed)
    path = write_odm(trial, MAPPING, tmp_path_factory.mktemp("odm") / "trial.xml")
    assert read_odm(path, MAPPING, STUDY) == trial


def test_writer_refuses_a_mapping_that_would_lose_fields(tmp_path: Path, records: m.TrialRecords) -> None:
    lossy = tmp_path / "lossy.yaml"
    lossy.write_text(
        MAPPING.read_text(encoding="utf-8").replace("      IT.AE.OUTCOME: outcome\n", ""), encoding="utf-8"
    )
    with pytest.raises(SpecError, match=r"adverse_events.csv field\(s\) outcome have no item"):
        write_odm(records, lossy, tmp_path / "out.xml")
    assert not (tmp_path / "out.xml").exists()

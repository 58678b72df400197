"""EDC -> records end to end: records exported as ODM 1.3.2 by the mapping read back equal (origin aside)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import odmlib
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from trialinterop.definition import bundled_definition
from trialinterop.errors import InputError, SpecError
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
    """fixtures/odm is what write_odm makes of fixtures/records today (`bash scripts/regen_fixtures.sh` regenerates
    both, and the golden SDTM package)."""
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
    assert [e.get("StudyEventRepeatKey") for e in unscheduled] == ["3.01", "3.01"]  # 01-006 and 01-008
    headache = root.find(f".//{ODM_NS}ItemData[@ItemOID='IT.AE.PT_CODE'][@Value='10019211']")
    assert headache is not None
    # concomitant medications and medical history: repeating item groups keyed by cm_id / mh_id
    assert len(root.findall(f".//{ODM_NS}ItemGroupData[@ItemGroupOID='IG.CM']")) == 21
    assert len(root.findall(f".//{ODM_NS}ItemGroupData[@ItemGroupOID='IG.MH']")) == 42
    first = subjects[0]
    cm = first.find(f"{ODM_NS}StudyEventData[@StudyEventOID='SE.COMMON']/{ODM_NS}FormData[@FormOID='F.CM']")
    paracetamol = cm.find(f"{ODM_NS}ItemGroupData[@ItemGroupRepeatKey='1']")
    assert paracetamol.find(f"{ODM_NS}ItemData[@ItemOID='IT.CM.TERM']").get("Value") == "PARACETAMOL 500MG"
    assert paracetamol.find(f"{ODM_NS}ItemData[@ItemOID='IT.CM.FREQUENCY']").get("Value") == "PRN"
    mh = first.find(f"{ODM_NS}StudyEventData[@StudyEventOID='SE.SCREENING']/{ODM_NS}FormData[@FormOID='F.MH']")
    diagnosis = mh.find(f"{ODM_NS}ItemGroupData[@ItemGroupRepeatKey='1']")
    assert diagnosis.find(f"{ODM_NS}ItemData[@ItemOID='IT.MH.CATEGORY']").get("Value") == "PRIMARY DIAGNOSIS"
    assert diagnosis.find(f"{ODM_NS}ItemData[@ItemOID='IT.MH.START']").get("Value") == "2019-09"


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


def _mapping_without(tmp_path: Path, *oids: str) -> Path:
    doc = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    for oid in oids:
        del doc["item_groups"][oid]
    path = tmp_path / "without.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def test_layout_without_cm_and_mh_forms(tmp_path: Path, records: m.TrialRecords) -> None:
    """A mapping without the CM and MH forms still writes and reads: those tables are empty."""
    mapping = _mapping_without(tmp_path, "IG.CM", "IG.MH")
    bare = dataclasses.replace(records, medications=(), medical_history=())
    path = write_odm(bare, mapping, tmp_path / "bare.xml")
    assert b"IG.CM" not in path.read_bytes() and b"IG.MH" not in path.read_bytes()
    assert read_odm(path, mapping, STUDY) == bare


def test_writer_refuses_rows_of_a_table_the_mapping_has_no_form_for(tmp_path: Path, records: m.TrialRecords) -> None:
    mapping = _mapping_without(tmp_path, "IG.CM")
    with pytest.raises(SpecError, match=r"medications.csv has 21 row\(s\) but no item group: export would lose them"):
        write_odm(records, mapping, tmp_path / "out.xml")
    assert not (tmp_path / "out.xml").exists()


def test_cm_and_mh_data_unknown_to_the_mapping_are_reported(tmp_path: Path, records: m.TrialRecords) -> None:
    mapping = _mapping_without(tmp_path, "IG.CM", "IG.MH")
    with pytest.raises(InputError) as caught:
        read_odm(BUNDLED_ODM, mapping, STUDY)
    issues = caught.value.issues
    assert {issue.field for issue in issues} == {"IG.CM", "IG.MH"}
    assert len(issues) == 2  # one per unmapped OID, with its count (21 medications, 42 medical history rows)
    assert issues[0].message.endswith(
        "/FormData[@FormOID='F.MH']/ItemGroupData[@ItemGroupOID='IG.MH'][@ItemGroupRepeatKey='1']: "
        "ItemGroupOID 'IG.MH' is not in the mapping (42 ItemGroupData in the export)"
    )  # 01-001's medical history comes first, at screening
    assert issues[1].message.endswith("ItemGroupOID 'IG.CM' is not in the mapping (21 ItemGroupData in the export)")
    # not strict: skipped, the rest reads as the records
    lenient = read_odm(BUNDLED_ODM, mapping, STUDY, strict=False)
    assert lenient == dataclasses.replace(records, medications=(), medical_history=())

"""The third-party ODM 1.3.2 sample (odmlib's odm-data-snapshot.xml) read with mappings/odm/odm-data-snapshot.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from trialinterop.errors import InputError
from trialinterop.odm.reader import load_odm
from trialinterop.source import models as m

REPO = Path(__file__).resolve().parents[1]
STUDY = REPO / "fixtures" / "records" / "study.json"
MAPPING = REPO / "mappings" / "odm" / "odm-data-snapshot.yaml"

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def snapshot() -> Path:
    path = REPO.parent / "shared" / "data" / "odm" / "odm-data-snapshot.xml"
    if not path.is_file():
        pytest.skip(f"optional third-party sample data not present at {path}")
    return path


def test_subject_demographics(snapshot: Path) -> None:
    records = load_odm(snapshot, MAPPING, STUDY).records
    assert records.subjects == (
        m.Subject(
            subject_id="01-0001",
            site_id="01",
            sex="M",
            country="ATG",
            consent_date="2022-02-19",
            enrolled="Y",
            birth_date="1966-02-10",
            age=56,
            race=("WHITE",),
            ethnicity="HISPANIC OR LATINO",
        ),
    )
    assert records.subjects[0].origin == m.Origin("odm-data-snapshot.xml", 847)


def test_disposition(snapshot: Path) -> None:
    records = load_odm(snapshot, MAPPING, STUDY).records
    assert records.dispositions == (
        m.Disposition("01-0001", "COMPLETED", "COMPLETED THE STUDY PROTOCOL", "2022-02-12", "2022-02-19"),
    )


def test_incomplete_rows_are_reported(snapshot: Path) -> None:
    result = load_odm(snapshot, MAPPING, STUDY)
    assert result.records.adverse_events == ()
    assert [(w.key, w.field) for w in result.warnings] == [
        ("line 1167", "subjects.csv.sex"),
        *[(f"line {line}", "adverse_events.csv.start") for line in (896, 902, 908, 916, 924, 932, 938, 946, 954, 962)],
    ]
    assert result.warnings[0].message == (
        "/ODM/ClinicalData/SubjectData[@SubjectKey='SS_0002']: no value for required subjects.csv field(s) "
        "sex, consent_date; subject SS_0002 skipped with all its rows"
    )
    assert result.warnings[1].message.endswith(
        "ItemGroupData[@ItemGroupOID='IG.AE.AE_ARRAY1'][@ItemGroupRepeatKey='1']: no value for required "
        "adverse_events.csv field(s) start, serious, severity, relationship, action, outcome; row skipped"
    )
    # grade 2 (repeat key 3) did map to a severity: only the fields the sample lacks are missing
    assert result.warnings[3].message.endswith(
        "no value for required adverse_events.csv field(s) start, serious, relationship, action, outcome; row skipped"
    )


def test_strict_policy_lists_every_gap(snapshot: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_odm(snapshot, MAPPING, STUDY, incomplete="error")
    fields = [issue.field for issue in caught.value.issues]
    assert fields.count("adverse_events.csv.start") == 20
    assert fields.count("subjects.csv.sex") == 1
    assert fields.count("disposition.csv.event") == 1


def test_unmapped_vendor_items_fail_in_strict_mode(snapshot: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text(MAPPING.read_text(encoding="utf-8").replace("IT.RACEOTH, ", ""), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_odm(snapshot, mapping, STUDY)
    [issue] = caught.value.issues
    assert (issue.key, issue.field) == ("line 863", "IT.RACEOTH")

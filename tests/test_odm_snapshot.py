"""The third-party ODM 1.3.2 sample (odmlib's odm-data-snapshot.xml, vendored in tests/data/third_party/odm) read
with mappings/odm/odm-data-snapshot.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from trialinterop.errors import InputError
from trialinterop.odm.reader import load_odm
from trialinterop.source import models as m

REPO = Path(__file__).resolve().parents[1]
STUDY = REPO / "fixtures" / "records" / "study.yaml"
MAPPING = REPO / "mappings" / "odm" / "odm-data-snapshot.yaml"


@pytest.fixture(scope="module")
def snapshot(third_party_data: Path) -> Path:
    return third_party_data / "odm" / "odm-data-snapshot.xml"


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


def test_incomplete_adverse_events_load_with_nulls(snapshot: Path) -> None:
    """SS_0001 has ten AE rows (ItemGroupRepeatKey 1-10, lines 896-962) with a term and at most a toxicity grade: no
    start, seriousness, causality, action or outcome. They load as incomplete AEs, nothing filled in."""
    events = load_odm(snapshot, MAPPING, STUDY).records.adverse_events
    assert len(events) == 10
    assert {a.subject_id for a in events} == {"01-0001"}
    assert [a.term for a in events] == [
        "Constipation", "Diarrhea", "Anal Pain", "Dysuria", "Proctitis", "Other", "Urinary frequency",
        "Anal bleeding", "Rectal pain", "Urinary urgency",
    ]  # fmt: skip
    assert events[0] == m.AdverseEvent("01-0001", 1, "Constipation")  # grade "No": not graded
    assert events[0].origin == m.Origin("odm-data-snapshot.xml", 896)
    assert events[2] == m.AdverseEvent("01-0001", 3, "Anal Pain", severity="MODERATE", ctcae_grade=2)
    assert events[2].origin == m.Origin("odm-data-snapshot.xml", 908)


def test_only_the_empty_subject_is_reported(snapshot: Path) -> None:
    result = load_odm(snapshot, MAPPING, STUDY)
    assert len(result.warnings) == 1
    assert (result.warnings[0].key, result.warnings[0].field) == ("line 1167", "subjects.csv.sex")
    assert result.warnings[0].message == (
        "/ODM/ClinicalData/SubjectData[@SubjectKey='SS_0002']: no value for required subjects.csv field(s) "
        "sex; subject SS_0002 skipped with all its rows"  # consent_date is optional: none when the source has none
    )


def test_strict_policy_lists_every_gap(snapshot: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_odm(snapshot, MAPPING, STUDY, incomplete="error")
    assert [(issue.key, issue.field) for issue in caught.value.issues] == [
        ("line 1167", "subjects.csv.sex"),
        ("line 1246", "disposition.csv.event"),
    ]


def test_unmapped_vendor_items_fail_in_strict_mode(snapshot: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text(MAPPING.read_text(encoding="utf-8").replace("IT.RACEOTH, ", ""), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_odm(snapshot, mapping, STUDY)
    [issue] = caught.value.issues
    assert (issue.key, issue.field) == ("line 863", "IT.RACEOTH")

"""No exit 0 with lost data (issue 15): dropped rows fail the run unless allowed, empty exports, duplicate subjects
in a Snapshot and foreign StudyOIDs are errors; the coverage summary is printed with counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from trialinterop.cli import main
from trialinterop.errors import InputError
from trialinterop.odm.reader import load_odm

REPO = Path(__file__).resolve().parents[1]
STUDY = REPO / "fixtures" / "records" / "study.yaml"
SNAPSHOT_MAPPING = REPO / "mappings" / "odm" / "odm-data-snapshot.yaml"
SNAPSHOT = REPO / "tests" / "data" / "third_party" / "odm" / "odm-data-snapshot.xml"


@pytest.fixture()
def strict_loss_mapping(tmp_path: Path) -> Path:
    """The snapshot's mapping without `allow_dropped: true`: skipping SS_0002 is no longer accepted."""
    path = tmp_path / "snapshot.yaml"
    path.write_text(SNAPSHOT_MAPPING.read_text(encoding="utf-8").replace("allow_dropped: true\n", ""), "utf-8")
    return path


def test_dropped_subject_exits_1_and_writes_nothing(strict_loss_mapping: Path, tmp_path: Path) -> None:
    out = tmp_path / "sdtm"
    args = ["to-sdtm", str(SNAPSHOT), "--odm-mapping", str(strict_loss_mapping), "--study", str(STUDY), "-o", str(out)]
    result = CliRunner().invoke(main, [*args, "--no-define"])
    assert result.exit_code == 1, result.output
    assert not out.exists()
    assert "Traceback" not in result.output
    assert (
        "data dropped: 1 of 2 subject(s) skipped; rows skipped: adverse_events.csv 10, disposition.csv 1, "
        "subjects.csv 1; nothing written"
    ) in result.output
    assert "    adverse_events.csv: 10 value(s), 10 row(s)\n" in result.output
    assert "    disposition.csv: 0 value(s), 1 row(s)\n" in result.output
    assert "    subjects skipped: 1 (SS_0002)" in result.output
    allowed = CliRunner().invoke(main, [*args, "--no-define", "--allow-dropped"])
    assert allowed.exit_code == 0, allowed.output
    assert (out / "dm.xpt").exists()


def test_snapshot_coverage_accounts_for_every_value() -> None:
    """odmlib's sample: 165 collected values (ItemData with a value), each in the output or listed as not mapped
    (41 OIDs), decoded to no value or dropped with the skipped subject SS_0002."""
    coverage = load_odm(SNAPSHOT, SNAPSHOT_MAPPING, STUDY).coverage
    assert coverage is not None
    assert (coverage.subjects_read, coverage.subjects_out, coverage.collected) == (2, 1, 165)
    assert sum(coverage.in_output.values()) == 26
    assert (sum(coverage.not_mapped.values()), len(coverage.not_mapped)) == (128, 41)
    assert dict(coverage.no_value) == {"IT.AETOXGR": 1}  # grade "No": not graded
    assert dict(coverage.dropped) == {"adverse_events.csv": 10}
    assert (coverage.superseded, coverage.removed, coverage.unaccounted, coverage.audit_only) == (0, 0, 0, 0)
    assert coverage.not_mapped["IG.AE.AE_ARRAY1/IT.AESPID"] == 19
    assert coverage.in_output["adverse_events.csv.term"] == 10
    assert coverage.render()[0] == (
        "coverage of odm-data-snapshot.xml: 2 subject(s) read, 1 in the output; 165 value(s) collected"
    )


def _odm(tmp_path: Path, body: str, file_type: str = "Snapshot") -> Path:
    path = tmp_path / "export.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" ODMVersion="1.3.2" FileType="{file_type}" FileOID="F" '
        f'CreationDateTime="2024-01-01T00:00:00">\n{body}\n</ODM>\n',
        encoding="utf-8",
    )
    return path


MAPPING = """\
studies: {S: {}}
item_groups:
  IG.DM:
    table: subjects.csv
    row: subject
    defaults: {site_id: "01", enrolled: "Y"}
    items: {IT.SEX: sex, IT.CONSENT: consent_date}
"""
SUBJECT = (
    '<SubjectData SubjectKey="{key}"><FormData FormOID="F"><ItemGroupData ItemGroupOID="IG.DM">'
    '<ItemData ItemOID="IT.SEX" Value="F"/><ItemData ItemOID="IT.CONSENT" Value="2022-01-0{day}"/>'
    "</ItemGroupData></FormData></SubjectData>"
)


def _issues(tmp_path: Path, body: str, mapping: str = MAPPING, file_type: str = "Snapshot") -> list[tuple[str, str]]:
    mapping_path = tmp_path / "m.yaml"
    mapping_path.write_text(mapping, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_odm(_odm(tmp_path, body, file_type), mapping_path, STUDY)
    return [(i.key, i.message) for i in caught.value.issues]


def test_export_without_subjects_is_an_error(tmp_path: Path) -> None:
    body = '<ClinicalData StudyOID="S" MetaDataVersionOID="v1"></ClinicalData>'
    assert _issues(tmp_path, body) == [
        ("line 2", "/ODM: the export holds no subjects (no SubjectData in any ClinicalData)")
    ]


def test_duplicate_subject_key_in_a_snapshot_is_an_error(tmp_path: Path) -> None:
    subjects = SUBJECT.format(key="01-001", day=1) + "\n" + SUBJECT.format(key="01-001", day=2)
    body = f'<ClinicalData StudyOID="S" MetaDataVersionOID="v1">\n{subjects}\n</ClinicalData>'
    assert _issues(tmp_path, body) == [
        (
            "line 5",
            "/ODM/ClinicalData/SubjectData[@SubjectKey='01-001']: SubjectKey '01-001' appears twice in a Snapshot "
            "(first at line 4)",
        )
    ]


def test_foreign_study_oid_is_an_error_and_several_studies_must_be_named(tmp_path: Path) -> None:
    first = f'<ClinicalData StudyOID="S" MetaDataVersionOID="v1">{SUBJECT.format(key="01-001", day=1)}</ClinicalData>'
    second = f'<ClinicalData StudyOID="OTHER" MetaDataVersionOID="v1">{SUBJECT.format(key="01-002", day=2)}'
    body = f"{first}\n{second}</ClinicalData>"
    assert _issues(tmp_path, body) == [
        ("line 4", "/ODM/ClinicalData: StudyOID is not the study's (NCT05016804): name it under 'studies'")
    ]
    # without `studies`, only the study's own id (or the writer's ST.<id>) is accepted
    without = MAPPING.replace("studies: {S: {}}\n", "")
    assert [key for key, _ in _issues(tmp_path, first, without)] == ["line 3"]


def test_check_records_accepts_an_odm_export(strict_loss_mapping: Path) -> None:
    args = ["check-records", str(SNAPSHOT), "--odm-mapping", str(SNAPSHOT_MAPPING), "--study", str(STUDY)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "(NCT05016804): 1 subjects, 0 exposures, 10 adverse_events" in result.output
    assert "  not mapped: 128 (41 OID(s))" in result.output
    lost = CliRunner().invoke(main, [*args[:3], str(strict_loss_mapping), *args[4:]])
    assert lost.exit_code == 1
    assert "subjects skipped: 1 (SS_0002)" in lost.output


def test_to_fhir_refuses_dropped_data_too(strict_loss_mapping: Path, tmp_path: Path) -> None:
    out = tmp_path / "bundle.json"
    args = ["to-fhir", str(SNAPSHOT), "--odm-mapping", str(strict_loss_mapping), "--study", str(STUDY), "-o", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert not out.exists()
    assert (
        "coverage of odm-data-snapshot.xml: 2 subject(s) read, 1 in the output; 165 value(s) collected" in result.output
    )
    allowed = CliRunner().invoke(main, [*args, "--allow-dropped"])
    assert allowed.exit_code == 0, allowed.output
    assert out.exists()

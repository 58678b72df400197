"""The worked examples of docs/odm-mapping.md: vendor-shaped exports (tests/data/edc) read with their mappings.

For each, the run's coverage summary accounts for every collected value (in the output, or listed as not mapped,
decoded to no value, superseded or removed), with the literal counts below, and `to-sdtm` runs end to end.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from trialinterop.cli import main
from trialinterop.odm.coverage import Coverage
from trialinterop.odm.reader import OdmResult, load_odm
from trialinterop.source import models as m

REPO = Path(__file__).resolve().parents[1]
EDC = REPO / "tests" / "data" / "edc"
NCT = str(REPO / "fixtures" / "records" / "study.yaml")
EXAMPLES = {
    "rave": ("rave/rave-audit-stream.xml", NCT),
    "openclinica": ("openclinica/openclinica-full-extract.xml", "XANAD01"),
    "redcap-longitudinal": ("redcap-longitudinal/redcap-longitudinal.xml", "XANAD01"),
    "redcap-classic": ("redcap-classic/redcap-classic.xml", NCT),
}


def _load(name: str) -> OdmResult:
    export, study = EXAMPLES[name]
    return load_odm(EDC / export, EDC / name / "mapping.yaml", study)


def _coverage(result: OdmResult) -> Coverage:
    assert result.coverage is not None
    assert result.coverage.accounted() == result.coverage.collected
    assert result.coverage.unaccounted == 0
    assert not result.coverage.lost
    return result.coverage


@pytest.mark.parametrize(
    ("name", "summary"),
    [
        ("rave", "11 datasets (DM 2, SE 2, SV 3, AE 1, DS 2, TA 3, TE 3, TV 8, TI 12, TS 53, SUPPAE 1)"),
        ("openclinica", "12 datasets (DM 6, SE 6, SV 13, AE 4, DS 9, TA 8, TE 6, TV 21, TI 31, TS 57, SUPPDM 2, "
                        "SUPPAE 4)"),
        ("redcap-longitudinal", "12 datasets (DM 4, SE 4, SV 13, AE 4, DS 4, TA 8, TE 6, TV 21, TI 31, TS 57, "
                                "SUPPDM 2, SUPPAE 4)"),
        ("redcap-classic", "9 datasets (DM 3, SE 3, CM 3, DS 3, TA 3, TE 3, TV 8, TI 12, TS 53)"),
    ],
)  # fmt: skip
def test_to_sdtm_runs_end_to_end(name: str, summary: str, tmp_path: Path) -> None:
    export, study = EXAMPLES[name]
    out = tmp_path / "sdtm"
    args = ["to-sdtm", str(EDC / export), "--odm-mapping", str(EDC / name / "mapping.yaml"), "--study", study]
    result = CliRunner().invoke(main, [*args, "-o", str(out), "--no-define"])
    assert result.exit_code == 0, result.output
    assert f"{out}: {summary}" in result.output
    assert f"coverage of {Path(export).name}:" in result.output  # the coverage summary is printed


def test_rave_audit_stream() -> None:
    """Query (2), comment (1) and review (2) records carry no value and change nothing: the birth date and both visit
    dates they point at survive. The UUID SubjectKeys become 01-101 and 02-201 (mdsol:SubjectName)."""
    result = _load("rave")
    subjects = result.records.subjects
    assert [(s.subject_id, s.site_id, s.country, s.birth_date, s.age, s.consent_date) for s in subjects] == [
        ("01-101", "01", "ATG", "1980-01", 43, "2023-03-15"),  # UN JAN 1980, "43 Years"
        ("02-201", "02", "ARG", "1957-02-14", 66, "2023-05-02"),  # the corrected birth date and age win
    ]
    assert [(v.subject_id, v.visit_num, v.visit_date) for v in result.records.visits] == [
        ("01-101", 1.0, "2023-03-16"),
        ("01-101", 2.0, "2023-04-03"),
        ("02-201", 1.0, "2023-05-02"),
    ]
    assert result.records.adverse_events == (
        m.AdverseEvent("01-101", 1, "Headache", "2023-04", "N", "MODERATE"),  # log line 2 was removed
    )
    coverage = _coverage(result)
    assert (coverage.collected, sum(coverage.in_output.values()), coverage.audit_only) == (43, 23, 5)
    assert (coverage.superseded, coverage.removed) == (9, 2)
    assert dict(coverage.not_mapped) == {"@SubjectData/mdsol:SubjectKeyType": 8, "DM/DM.DMCOMMENT": 1}
    assert coverage.in_output["subjects.csv.subject_id"] == 2
    assert coverage.in_output["visits.csv.visit_date"] == 3


def test_openclinica_sites_attributes_and_multiselect() -> None:
    result = _load("openclinica")
    subjects = result.records.subjects
    assert [(s.subject_id, s.site_id, s.sex, s.birth_date, s.arm, s.race, s.death_date) for s in subjects] == [
        ("1001", "701", "F", "1941-07-12", "Pbo", ("WHITE",), None),
        ("1002", "703", "M", "1938-03-30", "Xan_Lo", ("WHITE", "BLACK OR AFRICAN AMERICAN"), "2014-02-20"),
        ("1003", "704", "F", "1945-11-02", "Xan_Hi", ("ASIAN",), None),
        ("1004", "708", "M", "1950-05-19", None, ("WHITE",), None),
        ("1005", "710", "F", "1947-09-09", "Xan_Lo", ("WHITE",), None),
        ("1006", "710", "M", "1943-12-24", "Xan_Hi", ("BLACK OR AFRICAN AMERICAN",), None),
    ]  # five sites from five site-level ClinicalData, countries from the definition's sites
    assert {s.country for s in subjects} == {"USA"}
    assert len(result.records.visits) == 13
    assert (result.records.visits[2].visit_num, result.records.visits[2].visit_date) == (4.0, "2014-01-27")
    assert [(d.subject_id, d.event) for d in result.records.dispositions] == [
        ("1001", "COMPLETED"),
        ("1002", "DEATH"),
        ("1003", "COMPLETED"),
    ]
    coverage = _coverage(result)
    assert (coverage.collected, sum(coverage.in_output.values()), sum(coverage.not_mapped.values())) == (166, 76, 90)
    assert coverage.in_output["subjects.csv.sex"] == 6
    assert coverage.in_output["subjects.csv.death_date"] == 1
    assert coverage.not_mapped["@StudyEventData/OpenClinica:SubjectAgeAtEvent"] == 13
    assert len(coverage.not_mapped) == 8


def test_redcap_longitudinal_arms_and_repeats() -> None:
    result = _load("redcap-longitudinal")
    assert [(s.subject_id, s.site_id, s.arm, s.race) for s in result.records.subjects] == [
        ("1001", "701", "Pbo", ("WHITE",)),
        ("1002", "703", "Xan_Lo", ("WHITE", "BLACK OR AFRICAN AMERICAN")),
        ("1003", "704", "Xan_Hi", ("ASIAN",)),
        ("1004", "704", None, ("WHITE",)),  # screened only: no arm
    ]
    visits = [(v.subject_id, v.visit_num, v.unplanned_description) for v in result.records.visits]
    assert visits[:6] == [
        ("1001", 1.0, None),
        ("1001", 3.0, None),
        ("1001", 4.0, None),
        ("1001", 4.01, "Week 2 visit repeated"),  # second instance of the week 2 event
        ("1001", 8.1, None),  # telephone contact, instance 1
        ("1001", 9.1, None),  # instance 2
    ]
    assert [(a.subject_id, a.ae_id, a.term) for a in result.records.adverse_events] == [
        ("1001", 1, "Application site erythema"),
        ("1001", 2, "Pruritus"),
        ("1001", 3, "Dizziness"),
        ("1002", 1, "Nausea"),
    ]
    coverage = _coverage(result)
    assert (coverage.collected, sum(coverage.in_output.values()), sum(coverage.not_mapped.values())) == (95, 46, 42)
    assert dict(coverage.no_value) == {"race___1": 1, "race___2": 3, "race___3": 3}


def test_redcap_classic_repeating_instrument() -> None:
    result = _load("redcap-classic")
    assert [(s.subject_id, s.site_id, s.enrolled, s.attributes) for s in result.records.subjects] == [
        ("01-101", "01", "Y", (("severity_group", "SEVERE"),)),
        ("02-201", "02", "Y", (("severity_group", "NON-SEVERE"),)),
        ("02-202", "02", "N", (("severity_group", "NON-SEVERE"),)),
    ]
    assert [(c.subject_id, c.cm_id, c.term, c.dose, c.route) for c in result.records.medications] == [
        ("01-101", 1, "Methotrexate", 15.0, "ORAL"),
        ("01-101", 2, "Omeprazole", 20.0, "ORAL"),
        ("02-201", 1, "Nifedipine", 30.0, "ORAL"),
    ]
    coverage = _coverage(result)
    assert (coverage.collected, sum(coverage.in_output.values()), sum(coverage.not_mapped.values())) == (63, 45, 15)
    assert coverage.not_mapped["enrolment.record_id/weight"] == 3
    assert dict(coverage.no_value) == {"race___1": 1, "race___2": 2}


DOC = REPO / "docs" / "odm-mapping.md"


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_documented_coverage_is_the_runs(name: str) -> None:
    """docs/odm-mapping.md shows each example's coverage summary as the run prints it."""
    text = DOC.read_text(encoding="utf-8")
    block = text.split(f"<!-- coverage: {name} -->\n```text\n", 1)[1].split("```", 1)[0]
    coverage = _load(name).coverage
    assert coverage is not None
    assert block.splitlines() == coverage.render()


def test_documented_commands_name_existing_files() -> None:
    text = DOC.read_text(encoding="utf-8")
    paths = {word for word in text.replace("\\\n", " ").split() if word.startswith(("tests/data/edc/", "fixtures/"))}
    assert len(paths) == 9
    assert all((REPO / path.rstrip("`:,.)")).exists() for path in paths), paths

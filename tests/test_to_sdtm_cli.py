"""`trialinterop to-sdtm`: exit codes, summary, formats, and that bad input or bad output never touches OUT."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from trialinterop.cli import main

RECORDS = Path(__file__).resolve().parents[1] / "fixtures" / "records"


@pytest.fixture
def records(tmp_path: Path) -> Path:
    copy = tmp_path / "records"
    shutil.copytree(RECORDS, copy)
    return copy


@pytest.fixture
def previous_output(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("previous run", encoding="utf-8")
    return out


def _edit_cell(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell; `row` counts the header as row 1, like the reader's messages."""
    with path.open(newline="", encoding="utf-8") as handle:
        table = list(csv.reader(handle))
    table[row - 1][table[0].index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(table)


def _untouched(out: Path) -> bool:
    return sorted(p.name for p in out.iterdir()) == ["keep.txt"] and (out / "keep.txt").read_text() == "previous run"


def test_writes_the_package_and_prints_a_summary(records: Path, tmp_path: Path) -> None:
    out = tmp_path / "package"
    result = CliRunner().invoke(main, ["to-sdtm", str(records), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "DM 20, SE 56, SV 116, CM 21, EX 25, AE 44, DS 30, MH 42, IE 2, QS 1656, RE 184" in result.stdout
    assert "19 files written" in result.stdout
    assert (out / "define.xml").is_file()
    assert "<h1>" in (out / "define.html").read_text(encoding="utf-8")
    assert {p.name for p in out.glob("*.xpt")} >= {"dm.xpt", "ae.xpt", "ts.xpt", "suppae.xpt"}
    assert "TI-BLD-AEUNCODED" in result.stderr  # the uncoded AE of 02-006 is reported, not hidden


def test_json_only_without_define(records: Path, tmp_path: Path) -> None:
    out = tmp_path / "package"
    result = CliRunner().invoke(main, ["to-sdtm", str(records), "-o", str(out), "--format", "json", "--no-define"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert "dm.json" in names
    assert not [n for n in names if n.endswith((".xpt", ".xml"))]


def test_invalid_records_exit_2_naming_file_row_and_field(records: Path, previous_output: Path) -> None:
    _edit_cell(records / "subjects.csv", 3, "sex", "X")
    result = CliRunner().invoke(main, ["to-sdtm", str(records), "-o", str(previous_output)])
    assert result.exit_code == 2
    assert "subjects.csv [row 3] sex" in result.stderr
    assert "Traceback" not in result.output
    assert _untouched(previous_output)


def test_conformance_error_exit_1_and_nothing_written(records: Path, previous_output: Path) -> None:
    _edit_cell(records / "adverse_events.csv", 2, "term", "HEADACHE " * 30)  # 270 bytes > AETERM's 200
    result = CliRunner().invoke(main, ["to-sdtm", str(records), "-o", str(previous_output)])
    assert result.exit_code == 1, result.output
    assert "SDTM package not written" in result.stderr
    assert "TI-CF007 AE" in result.stderr and "AETERM" in result.stderr
    assert _untouched(previous_output)


def test_unknown_format_is_a_usage_error(records: Path, previous_output: Path) -> None:
    result = CliRunner().invoke(main, ["to-sdtm", str(records), "-o", str(previous_output), "--format", "xpt,sas"])
    assert result.exit_code == 2
    assert "xpt,sas" in result.stderr
    assert _untouched(previous_output)


def test_an_arm_unknown_to_the_study_definition_is_refused(tmp_path: Path) -> None:
    records = tmp_path / "records"
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "records", records)
    lines = (records / "subjects.csv").read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("arm")] = "ARMX"
    lines[1] = ",".join(cells)
    (records / "subjects.csv").write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["to-sdtm", str(records), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "subjects.csv [row 2] arm: must be one of ALLORX (value 'ARMX')" in result.output
    assert not (tmp_path / "out").exists()

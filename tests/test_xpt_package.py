"""write_package(): takes conformed datasets and conform's issues, checks, writes everything into a staged folder, or
changes nothing at all; it never conforms itself."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from test_spec_sample_frames import sample_frames
from trialinterop.errors import ConformanceError
from trialinterop.issues import Severity
from trialinterop.sdtm.conform import conform
from trialinterop.spec import load_spec
from trialinterop.writers import package
from trialinterop.writers.package import write_package

WRITERS = Path(__file__).resolve().parents[1] / "src" / "trialinterop" / "writers"


@pytest.fixture(scope="module")
def spec():
    return load_spec()


def _write(frames, out: Path, spec, **options):
    """What the caller does: conform, then hand the conformed datasets and conform's issues to the writer."""
    conformed, issues = conform(frames, spec)
    return write_package(conformed, out, spec=spec, issues=issues, **options)


def _previous_output(out: Path) -> None:
    out.mkdir()
    (out / "dm.xpt").write_bytes(b"previous")
    (out / "keep.txt").write_text("from the last run")


def _unchanged(out: Path) -> bool:
    return (
        sorted(p.name for p in out.iterdir()) == ["dm.xpt", "keep.txt"] and (out / "dm.xpt").read_bytes() == b"previous"
    )


def test_writes_xpt_json_and_define(tmp_path: Path, spec) -> None:
    result = _write(sample_frames(), tmp_path / "sdtm", spec, formats=("xpt", "json"))
    names = ["dm", "ae", "qs", "re", "ts", "suppdm", "suppae"]
    expected = [f"{n}.{ext}" for n in names for ext in ("xpt", "json")] + ["define.xml"]
    assert list(result.files) == expected
    assert sorted(p.name for p in (tmp_path / "sdtm").iterdir()) == sorted(expected)
    assert [(i.rule, i.field) for i in result.issues] == [("TI-CF012", "QSDRVFL")]
    data, meta = pyreadstat.read_xport(str(tmp_path / "sdtm" / "dm.xpt"))
    assert meta.table_name == "DM" and meta.column_names_to_labels["RFSTDTC"] == "Subject Reference Start Date/Time"
    assert "BRTHDTC" in data.columns and data["USUBJID"][0] == "NCT05016804-01-001"


def test_replaces_a_previous_package(tmp_path: Path, spec) -> None:
    out = tmp_path / "sdtm"
    _previous_output(out)
    _write(sample_frames(), out, spec)
    assert not (out / "keep.txt").exists() and (out / "dm.xpt").read_bytes() != b"previous"


def test_conform_error_changes_nothing(tmp_path: Path, spec) -> None:
    out = tmp_path / "sdtm"
    _previous_output(out)
    frames = sample_frames()
    frames["DM"].loc[0, "SEX"] = "X"
    with pytest.raises(ConformanceError) as caught:
        _write(frames, out, spec)
    assert ("TI-CF008", "SEX") in {(i.rule, i.field) for i in caught.value.issues}
    assert _unchanged(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sdtm"]  # no staging folders left


def test_xpt_limit_error_changes_nothing(tmp_path: Path, spec) -> None:
    out = tmp_path / "sdtm"
    _previous_output(out)
    frames = sample_frames()
    frames["AE"].loc[0, "AETERM"] = "Céphalée"  # non-ASCII: SD1029
    with pytest.raises(ConformanceError) as caught:
        _write(frames, out, spec)
    assert [(i.rule, i.where) for i in caught.value.issues if i.severity >= Severity.ERROR] == [("TI-XPT006", "AE")]
    assert _unchanged(out)


def test_failure_mid_package_leaves_previous_output_intact(tmp_path: Path, spec, monkeypatch) -> None:
    out = tmp_path / "sdtm"
    _previous_output(out)
    real = package.write_checked_xpt
    written: list[str] = []

    def fail_on_third(checked, folder, **options):
        if len(written) == 2:
            raise OSError("disk full")
        written.append(checked.member.dataset)
        return real(checked, folder, **options)

    monkeypatch.setattr(package, "write_checked_xpt", fail_on_third)
    with pytest.raises(OSError, match="disk full"):
        _write(sample_frames(), out, spec)
    assert written == ["DM", "AE"]
    assert _unchanged(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sdtm"]


def test_empty_dataset_is_not_written(tmp_path: Path, spec) -> None:
    frames = sample_frames()
    frames["SUPPDM"] = frames["SUPPDM"].iloc[0:0]
    result = _write(frames, tmp_path / "sdtm", spec)
    assert "suppdm.xpt" not in result.files
    assert ("TI-PKG001", "SUPPDM") in {(i.rule, i.where) for i in result.issues}
    assert "suppdm.xpt" not in (tmp_path / "sdtm" / "define.xml").read_text()


def test_json_only_package_points_define_at_json(tmp_path: Path, spec) -> None:
    result = _write(sample_frames(), tmp_path / "sdtm", spec, formats=("json",))
    assert "dm.xpt" not in result.files and "dm.json" in result.files
    assert 'xlink:href="dm.json"' in (tmp_path / "sdtm" / "define.xml").read_text()


def test_unknown_format_is_refused(tmp_path: Path, spec) -> None:
    with pytest.raises(ValueError, match="formats"):
        _write(sample_frames(), tmp_path / "sdtm", spec, formats=("sas7bdat",))


def test_frames_with_unknown_dataset_fail(tmp_path: Path, spec) -> None:
    frames = {**sample_frames(), "XX": pd.DataFrame({"A": ["1"]})}
    with pytest.raises(ConformanceError) as caught:
        _write(frames, tmp_path / "sdtm", spec)
    assert ("TI-CF001", "XX") in {(i.rule, i.where) for i in caught.value.issues}
    assert not (tmp_path / "sdtm").exists()


def test_define_html_on_request(tmp_path: Path, spec) -> None:
    result = _write(sample_frames(), tmp_path / "sdtm", spec, define_html=True)
    assert result.files[-2:] == ("define.xml", "define.html")
    assert (tmp_path / "sdtm" / "define.html").read_text("utf-8").count("<h3 id='IG.") == 7


def test_each_dataset_is_checked_once(tmp_path: Path, spec, monkeypatch) -> None:
    """The package-wide limit check hands its result to the writer: no dataset is checked a second time."""
    from trialinterop.writers import xpt

    checked: list[str] = []
    real = xpt._limit_issues

    def counting(frame, member, *rest):
        checked.append(member.dataset)
        return real(frame, member, *rest)

    monkeypatch.setattr(xpt, "_limit_issues", counting)
    _write(sample_frames(), tmp_path / "sdtm", spec)
    assert sorted(checked) == ["AE", "DM", "QS", "RE", "SUPPAE", "SUPPDM", "TS"]


def test_write_package_does_not_conform(tmp_path: Path, spec) -> None:
    """Unconformed frames are written as given: no TI-CF issue appears, AE keeps the caller's column order."""
    frames = {"AE": sample_frames()["AE"][["AETERM", "STUDYID", "DOMAIN", "USUBJID", "AESEQ", "AEDECOD"]]}
    result = write_package(frames, tmp_path / "sdtm", spec=spec, define=False)
    assert result.issues == ()
    data, _ = pyreadstat.read_xport(str(tmp_path / "sdtm" / "ae.xpt"))
    assert list(data.columns) == ["AETERM", "STUDYID", "DOMAIN", "USUBJID", "AESEQ", "AEDECOD"]


def test_datasets_outside_the_spec_are_refused(tmp_path: Path, spec) -> None:
    with pytest.raises(ValueError, match="not conformed"):
        write_package({"XX": pd.DataFrame({"A": ["1"]})}, tmp_path / "sdtm", spec=spec)
    assert not (tmp_path / "sdtm").exists()


def test_no_writer_imports_the_sdtm_package() -> None:
    """Writers take conformed datasets: none of them imports trialinterop.sdtm, directly or through another module."""
    modules = sorted(f"trialinterop.writers.{p.stem}" for p in WRITERS.glob("*.py") if p.stem != "__init__")
    for path in WRITERS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not [n for n in names if n.startswith("trialinterop.sdtm")], path.name
    loaded = "[n for n in sys.modules if n.startswith('trialinterop.sdtm')]"
    code = f"import sys\nfor m in {modules!r}: __import__(m)\nprint({loaded})"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

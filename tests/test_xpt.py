"""XPORT v5 writer: every limit is checked before writing; a bad frame raises and leaves no file behind."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trialinterop.errors import ConformanceError
from trialinterop.writers.xpt import XptMember, check_xpt_limits, write_xpt


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "STUDYID": ["NCT05016804", "NCT05016804"],
            "USUBJID": ["NCT05016804-01-001", None],
            "AGE": [45.0, math.nan],
        }
    )


MEMBER = XptMember("DM", "Demographics", ("Study Identifier", "Unique Subject Identifier", "Age"))


def test_round_trip_names_labels_types_and_values(tmp_path: Path) -> None:
    path = write_xpt(_frame(), tmp_path, MEMBER)
    assert path.name == "dm.xpt"
    data, meta = pyreadstat.read_xport(str(path))
    assert meta.table_name == "DM" and meta.file_label == "Demographics"
    assert meta.column_names_to_labels == {
        "STUDYID": "Study Identifier",
        "USUBJID": "Unique Subject Identifier",
        "AGE": "Age",
    }
    assert meta.readstat_variable_types == {"STUDYID": "string", "USUBJID": "string", "AGE": "double"}
    assert meta.variable_storage_width["USUBJID"] == 18  # longest value, SD1082
    assert list(data["USUBJID"]) == ["NCT05016804-01-001", ""]
    assert data["AGE"][0] == 45.0 and math.isnan(data["AGE"][1])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dm.xpt"]  # no temp files left


def test_an_independent_reader_agrees(tmp_path: Path) -> None:
    """pandas.read_sas reads v5 only (not v8). Records are kept over 80 bytes here: for shorter records pandas 3.1
    guesses the row count from blank 8-byte blocks in the last card and can drop a row (a pandas heuristic)."""
    frame = _frame().assign(USUBJID=["NCT05016804-01-001" + "A" * 70, "NCT05016804-01-002" + "B" * 70])
    path = write_xpt(frame, tmp_path, MEMBER)
    other = pd.read_sas(path, format="xport", encoding="ascii")
    assert list(other["USUBJID"]) == list(frame["USUBJID"])
    assert other["AGE"][0] == 45.0 and math.isnan(other["AGE"][1])


def test_value_of_exactly_200_bytes_is_written(tmp_path: Path) -> None:
    frame = pd.DataFrame({"AETERM": ["x" * 200]})
    path = write_xpt(frame, tmp_path, XptMember("AE", "Adverse Events", ("Reported Term",)))
    data, _ = pyreadstat.read_xport(str(path))
    assert data["AETERM"][0] == "x" * 200


@pytest.mark.parametrize(
    ("frame", "member", "rule"),
    [
        (_frame(), XptMember("DEMOGRAPH", "Demographics", MEMBER.column_labels), "TI-XPT001"),
        (_frame(), XptMember("dm", "Demographics", MEMBER.column_labels), "TI-XPT001"),
        (_frame(), XptMember("1DM", "Demographics", MEMBER.column_labels), "TI-XPT001"),
        (_frame().rename(columns={"AGE": "age"}), MEMBER, "TI-XPT002"),
        (_frame().rename(columns={"AGE": "AGEINYEAR"}), MEMBER, "TI-XPT002"),
        (_frame().rename(columns={"AGE": "AGE_Y"}), MEMBER, "TI-XPT002"),
        (_frame(), XptMember("DM", "Demographics", ("Study Identifier", "U" * 41, "Age")), "TI-XPT003"),
        (
            _frame(),
            XptMember("DM", "Demographics", ("Study Identifier", "Unique Subject Identifiér", "Age")),
            "TI-XPT003",
        ),
        (_frame(), XptMember("DM", "Demographics", ("Study Identifier", "", "Age")), "TI-XPT003"),
        (_frame(), XptMember("DM", "Demographics", ("Study Identifier", "Age")), "TI-XPT003"),
        (_frame(), XptMember("DM", "D" * 41, MEMBER.column_labels), "TI-XPT004"),
        (_frame(), XptMember("DM", "Démographics", MEMBER.column_labels), "TI-XPT004"),
        (_frame().assign(USUBJID=["x" * 201, None]), MEMBER, "TI-XPT005"),
        (_frame().assign(USUBJID=["é" * 101, None]), MEMBER, "TI-XPT005"),  # 202 bytes
        (_frame().assign(USUBJID=["Müller", None]), MEMBER, "TI-XPT006"),
        (_frame().assign(AGE=[math.inf, 1.0]), MEMBER, "TI-XPT007"),
        (_frame().assign(AGE=[1e80, 1.0]), MEMBER, "TI-XPT007"),
        (_frame().assign(AGE=[1e-80, 1.0]), MEMBER, "TI-XPT007"),
        (_frame().assign(AGE=pd.to_datetime(["2022-01-01", "2022-01-02"])), MEMBER, "TI-XPT008"),
        (_frame().assign(USUBJID=[True, False]), MEMBER, "TI-XPT009"),
        (_frame().assign(USUBJID=[{"a": 1}, None]), MEMBER, "TI-XPT009"),
        (_frame().assign(USUBJID=["abc ", None]), MEMBER, "TI-XPT010"),
    ],
)
def test_each_limit_is_refused_before_writing(tmp_path: Path, frame, member, rule) -> None:
    assert rule in {i.rule for i in check_xpt_limits(frame, member)}
    with pytest.raises(ConformanceError) as caught:
        write_xpt(frame, tmp_path, member)
    assert rule in {i.rule for i in caught.value.issues}
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_the_previous_file(tmp_path: Path) -> None:
    path = write_xpt(_frame(), tmp_path, MEMBER)
    before = path.read_bytes()
    with pytest.raises(ConformanceError):
        write_xpt(_frame().assign(USUBJID=["x" * 201, None]), tmp_path, MEMBER)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dm.xpt"]


def test_all_violations_are_listed_together(tmp_path: Path) -> None:
    frame = _frame().assign(USUBJID=["Müller", "y" * 201], AGE=[math.inf, 1e80])
    issues = check_xpt_limits(frame, XptMember("DM", "D" * 41, MEMBER.column_labels))
    assert sorted({i.rule for i in issues}) == ["TI-XPT004", "TI-XPT005", "TI-XPT006", "TI-XPT007"]
    assert sum(i.rule == "TI-XPT007" for i in issues) == 2


_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60).map(str.rstrip)
_NUMBER = st.one_of(
    st.just(0.0),
    st.floats(min_value=1e-70, max_value=1e70, allow_nan=False),
    st.floats(min_value=-1e70, max_value=-1e-70, allow_nan=False),
)


@settings(max_examples=30, deadline=None)
@given(rows=st.lists(st.tuples(_TEXT, _NUMBER), min_size=1, max_size=8))
def test_round_trip_property(tmp_path_factory, rows) -> None:
    folder = tmp_path_factory.mktemp("xpt")
    frame = pd.DataFrame({"TEXT": [r[0] or None for r in rows], "NUM": [r[1] for r in rows]})
    path = write_xpt(frame, folder, XptMember("PR", "Property", ("Text", "Number")))
    data, _ = pyreadstat.read_xport(str(path))
    assert list(data["TEXT"]) == [r[0] for r in rows]
    assert list(data["NUM"]) == [r[1] for r in rows]


def test_a_checked_frame_is_written_without_a_second_check(tmp_path: Path, monkeypatch) -> None:
    from trialinterop.writers import xpt

    frame = _frame()
    checked = xpt.check_and_prepare(frame, MEMBER)
    assert checked.issues == () and checked.prepared is not None
    calls: list[str] = []
    real = xpt._limit_issues
    monkeypatch.setattr(xpt, "_limit_issues", lambda *args: calls.append("check") or real(*args))
    first = xpt.write_checked_xpt(checked, tmp_path / "a").read_bytes()
    assert calls == []
    second = write_xpt(frame, tmp_path / "b", MEMBER).read_bytes()
    assert calls == ["check"] and first == second


def test_the_checked_snapshot_does_not_follow_changes_to_its_frame(tmp_path: Path) -> None:
    """A frame changed in place after its check: the snapshot writes what was checked, and writing the frame itself
    writes (and reads back) its new values."""
    from trialinterop.writers import xpt

    frame = _frame()
    checked = xpt.check_and_prepare(frame, MEMBER)
    frame.loc[0, "AGE"] = 99.0
    frame.loc[1, "USUBJID"] = "CHANGED"
    snapshot = pyreadstat.read_xport(str(xpt.write_checked_xpt(checked, tmp_path / "a")))[0]
    assert snapshot["AGE"].iloc[0] == 45.0 and list(snapshot["USUBJID"]) == ["NCT05016804-01-001", ""]
    current = pyreadstat.read_xport(str(write_xpt(frame, tmp_path / "b", MEMBER)))[0]
    assert current["AGE"].iloc[0] == 99.0 and list(current["USUBJID"]) == ["NCT05016804-01-001", "CHANGED"]
    with pytest.raises(ValueError, match="read-only"):
        checked.prepared["AGE"].to_numpy()[0] = 1.0


def test_read_back_compares_the_file_with_the_callers_frame(tmp_path: Path, monkeypatch) -> None:
    """If the copy handed to the encoder differed from the caller's frame, the read-back must catch it."""
    from trialinterop.writers import xpt

    real = xpt._prepared
    monkeypatch.setattr(xpt, "_prepared", lambda frame, *rest: real(frame.assign(AGE=[1.0, 2.0]), *rest))
    with pytest.raises(ConformanceError, match="values of AGE differ"):
        write_xpt(_frame(), tmp_path, MEMBER)
    assert list(tmp_path.iterdir()) == []


def test_a_checked_frame_with_issues_is_refused(tmp_path: Path) -> None:
    from trialinterop.writers import xpt

    frame = _frame().assign(USUBJID=["Müller", None])
    checked = xpt.check_and_prepare(frame, MEMBER)
    assert [i.rule for i in checked.issues] == ["TI-XPT006"] and checked.prepared is None
    with pytest.raises(ConformanceError, match="TI-XPT006"):
        xpt.write_checked_xpt(checked, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_xpt_member_has_its_own_module_and_is_re_exported() -> None:
    """The read-back check needs XptMember but not the writer: importing it no longer pulls writers.xpt (no cycle)."""
    import subprocess
    import sys

    from trialinterop.writers import xpt_member

    assert XptMember is xpt_member.XptMember
    code = "import sys, trialinterop.writers.xpt_readback; print('trialinterop.writers.xpt' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"

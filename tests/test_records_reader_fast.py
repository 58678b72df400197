"""The fast records reader: cell conversion pinned on tricky texts, the column-wise pass equal to the row-by-row one,
the fallback reporting exactly, the cell caches, the model construction and the paused garbage collector."""

from __future__ import annotations

import dataclasses
import gc
import shutil
from pathlib import Path

import pytest

from records_support import csv_rows, save_rows
from trialinterop.errors import InputError
from trialinterop.source import cells, construct, reader
from trialinterop.source import models as m
from trialinterop.source.generate import generate_trial
from trialinterop.source.reader import convert_cell, read_records
from trialinterop.source.schema import FieldSpec
from trialinterop.source.writer import write_records

BUNDLED = Path(__file__).resolve().parents[1] / "fixtures" / "records"


def _spec(type_: str, *, required: bool = False, **settings: object) -> FieldSpec:
    return FieldSpec(name="x", type=type_, required=required, description="", **settings)  # type: ignore[arg-type]


def _outcome(text: str, spec: FieldSpec) -> object:
    """The converted value, or ("error", reason)."""
    try:
        return convert_cell(text, spec)
    except ValueError as exc:
        return ("error", str(exc))


NUMBER = _spec("number")
INTEGER = _spec("integer")
SCORE = _spec("integer", minimum=0, maximum=3)


@pytest.mark.parametrize(
    ("text", "spec", "expected"),
    [
        ("1", NUMBER, 1.0),
        (" 1e5 ", NUMBER, 100000.0),
        ("1.", NUMBER, 1.0),
        (".5", NUMBER, 0.5),
        ("+1", NUMBER, 1.0),
        ("-0", NUMBER, -0.0),
        ("1E-2", NUMBER, 0.01),
        ("\u0661\u0662", NUMBER, 12.0),  # Arabic-Indic digits: both the pattern (\d) and float() take them
        ("nan", NUMBER, ("error", "not a number")),
        ("inf", NUMBER, ("error", "not a number")),
        ("-Infinity", NUMBER, ("error", "not a number")),
        ("1_000", NUMBER, ("error", "not a number")),
        ("0x10", NUMBER, ("error", "not a number")),
        ("1e", NUMBER, ("error", "not a number")),
        (".", NUMBER, ("error", "not a number")),
        ("1 2", NUMBER, ("error", "not a number")),
        ("1e400", NUMBER, float("inf")),
        ("3.0", INTEGER, 3),
        ("-0", INTEGER, 0),
        ("3.5", INTEGER, ("error", "not an integer")),
        ("1e400", INTEGER, ("error", "not an integer")),
        ("nan", INTEGER, ("error", "not a integer")),
        ("99999999999999999999", INTEGER, 100000000000000000000),
        ("3", SCORE, 3),
        ("4", SCORE, ("error", "above the maximum 3")),
        ("-1", SCORE, ("error", "below the minimum 0")),
        ("   ", NUMBER, None),
        ("", _spec("number", required=True), ("error", "required value is empty")),
    ],
)
def test_convert_numbers(text: str, spec: FieldSpec, expected: object) -> None:
    result = _outcome(text, spec)
    assert result == expected
    assert type(result) is type(expected)


YN = _spec("string", enum=("Y", "N"))
SUBJECT = _spec("string", required=True, pattern="^[0-9]{2}-[0-9]{3,5}$")
RACE = _spec("list", items=("WHITE", "ASIAN"))


@pytest.mark.parametrize(
    ("text", "spec", "expected"),
    [
        (" Y ", YN, "Y"),
        ("y", YN, ("error", "must be one of Y, N")),
        ("\t", YN, None),
        ("\u00a0", YN, None),  # str.strip() takes non-breaking spaces too
        ("01-001", SUBJECT, "01-001"),
        ("1-1", SUBJECT, ("error", "does not match the pattern ^[0-9]{2}-[0-9]{3,5}$")),
        (" ", SUBJECT, ("error", "required value is empty")),
        ("free text ", _spec("string"), "free text"),
        ("WHITE | ASIAN", RACE, ("WHITE", "ASIAN")),
        ("WHITE", RACE, ("WHITE",)),
        ("WHITE|", RACE, ("error", "'' must be one of WHITE, ASIAN")),
        ("a|b", _spec("list"), ("a", "b")),
        ("2021-02-28", _spec("date"), "2021-02-28"),
        ("2021-02", _spec("date"), "2021-02"),
        ("2021-02", _spec("date", complete=True), ("error", "a complete date (YYYY-MM-DD) is required")),
        ("2021-02-30", _spec("date"), ("error", "no such day: '2021-02-30'")),
        ("2021-13", _spec("date"), ("error", "month out of range in '2021-13'")),
        ("2021-01-01T10:00", _spec("date"), ("error", "a date is expected, not a date/time")),
        ("2021-01-01T10:00", _spec("datetime"), "2021-01-01T10:00"),
        ("2021-01-01T25:00", _spec("datetime"), ("error", "time out of range in '2021-01-01T25:00'")),
        ("yesterday", _spec("datetime"), ("error", "not an ISO 8601 date/time: 'yesterday'")),
        ("x", _spec("colour"), ("error", "unknown type colour in schema")),
        ("", _spec("colour"), None),
    ],
)
def test_convert_text_lists_dates(text: str, spec: FieldSpec, expected: object) -> None:
    assert _outcome(text, spec) == expected


def test_fields_that_convert_alike_share_one_converter() -> None:
    a = FieldSpec(name="a", type="date", required=False, description="one")
    b = FieldSpec(name="b", type="date", required=False, description="two")
    c = FieldSpec(name="c", type="date", required=True, description="one")
    assert cells.cell_converter(a) is cells.cell_converter(b)
    assert cells.cell_converter(a) is not cells.cell_converter(c)


def test_cell_cache_keeps_good_texts_only(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def convert(text: str) -> int:
        calls.append(text)
        return int(text)

    cache = cells.CellCache(convert)
    assert [cache["1"], cache["1"], cache["2"]] == [1, 1, 2]
    for _ in range(2):
        with pytest.raises(ValueError):
            cache["x"]
    assert calls == ["1", "2", "x", "x"]
    monkeypatch.setattr(cells, "CACHE_LIMIT", 2)
    assert cache["3"] == 3
    assert dict(cache) == {"1": 1, "2": 2}


# --- the column-wise pass against the row-by-row one ---------------------------------------------------------------


def _snapshot(records: m.TrialRecords) -> dict[str, object]:
    """Everything a read gives, origins and value types included (dataclass equality ignores origin)."""
    out: dict[str, object] = {"study": records.study}
    for f in dataclasses.fields(records):
        rows = getattr(records, f.name)
        if f.name == "subjects":
            out["attributes"] = [[type(v) for pair in r.attributes for v in pair] for r in rows]
        if isinstance(rows, tuple):
            out[f.name] = [(type(r), r, r.origin, [type(v) for v in dataclasses.astuple(r)]) for r in rows]
    return out


def _exact_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "_fast_rows", lambda _reader, _table: None)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    study = read_records(BUNDLED).definition
    return write_records(generate_trial(study, subjects=60, seed=7), tmp_path_factory.mktemp("gen") / "records")


@pytest.mark.parametrize("chunk_rows", [1, 7, 8192])
@pytest.mark.parametrize("source", ["bundled", "generated"])
def test_fast_pass_equals_row_by_row(
    source: str, chunk_rows: int, generated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = BUNDLED if source == "bundled" else generated
    monkeypatch.setattr(reader, "CHUNK_ROWS", chunk_rows)
    fast = _snapshot(read_records(folder))
    _exact_only(monkeypatch)
    assert fast == _snapshot(read_records(folder))


def test_fast_pass_is_taken_for_a_clean_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_args: object) -> list:
        raise AssertionError("row-by-row pass used")

    monkeypatch.setattr(reader, "_exact_rows", fail)
    assert len(read_records(BUNDLED).subjects) == 20


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return Path(shutil.copytree(BUNDLED, tmp_path / "records"))


def _issues(folder: Path) -> list[tuple[str, str, str, str, str]]:
    with pytest.raises(InputError) as caught:
        read_records(folder)
    return [(i.where, i.key, i.field, i.message, i.value) for i in caught.value.issues]


def test_blank_lines_are_skipped_and_counted(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "CHUNK_ROWS", 3)
    path = folder / "visits.csv"
    rows = csv_rows(path)
    rows[5:5] = [[], [], [" ", " ", "", "", "", ""]]  # two empty lines, one of blank cells: rows 6-8
    rows.append([])
    save_rows(path, rows)
    visits = read_records(folder).visits
    assert [v.origin.row for v in visits][3:6] == [5, 9, 10]
    assert len(visits) == len(rows) - 1 - 4


def test_late_bad_cell_and_duplicate_key_reported_exactly(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "CHUNK_ROWS", 4)
    path = folder / "visits.csv"
    rows = csv_rows(path)
    header = rows[0]
    rows.insert(20, list(rows[2]))  # a copy of row 3 becomes row 21
    rows[29][header.index("visit_date")] = "2021-02-30"
    save_rows(path, rows)
    subject, visit = rows[2][header.index("subject_id")], float(rows[2][header.index("visit_num")])
    assert _issues(folder) == [
        ("visits.csv", "row 21", "subject_id,visit_num", f"duplicate key {(subject, visit)} (first at row 3)", ""),
        ("visits.csv", "row 30", "visit_date", "no such day: '2021-02-30'", "2021-02-30"),
    ]


def test_unreadable_line_after_good_chunks(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "CHUNK_ROWS", 2)
    path = folder / "eligibility.csv"
    path.write_bytes(path.read_bytes() + b"01-001,I1," + b"Y" * 200_000 + b",\n")  # over csv's field size limit
    [issue] = _issues(folder)
    assert issue[:3] == ("eligibility.csv", f"row {len(csv_rows(BUNDLED / 'eligibility.csv')) + 1}", "")
    assert issue[3] == "unreadable CSV: field larger than field limit (131072)"


def test_unknown_visit_and_subject_in_cross_check(folder: Path) -> None:
    path = folder / "findings.csv"
    rows = csv_rows(path)
    header = rows[0]
    rows[2][header.index("subject_id")] = "09-999"
    rows[3][header.index("visit_num")] = "99"
    save_rows(path, rows)
    assert _issues(folder) == [
        ("findings.csv", "row 3", "subject_id", "not in subjects.csv", "09-999"),
        (
            "findings.csv",
            "row 4",
            "visit_num",
            "neither a planned visit of the study definition nor an unplanned visit in visits.csv",
            "99",
        ),
    ]


# --- model construction -------------------------------------------------------------------------------------------


def test_construct_all_makes_ordinary_frozen_instances() -> None:
    origin = m.Origin("visits.csv", 2)
    [visit] = construct.construct_all(m.Visit, [["01-001"], [1.0], ["Y"], ["2021-01-01"], [None], [None], [origin]])
    expected = m.Visit("01-001", 1.0, "Y", "2021-01-01", None, None, origin)
    assert type(visit) is m.Visit
    assert visit == expected and hash(visit) == hash(expected)
    assert visit.origin is origin
    with pytest.raises(dataclasses.FrozenInstanceError):
        visit.occurred = "N"  # type: ignore[misc]


def test_maker_makes_one_ordinary_frozen_instance() -> None:
    make = construct.maker(m.Origin)
    origin = make("Observation.ndjson", 7)
    assert type(origin) is m.Origin and origin == m.Origin("Observation.ndjson", 7)
    assert str(origin) == "Observation.ndjson:7"
    visit = construct.maker(m.Visit)("01-001", 1.0, "Y", visit_date="2021-01-01", reason_not_done=None,
                                     unplanned_description=None, origin=origin)  # fmt: skip
    assert visit == m.Visit("01-001", 1.0, "Y", "2021-01-01", None, None, origin)
    with pytest.raises(dataclasses.FrozenInstanceError):
        visit.occurred = "N"  # type: ignore[misc]


def test_maker_calls_models_it_cannot_twin() -> None:
    assert construct.maker(_NoSlots) is _NoSlots


@dataclasses.dataclass(frozen=True, slots=True)
class _Checked:
    value: int

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError("negative")


@dataclasses.dataclass(frozen=True)
class _NoSlots:
    value: int


def test_construct_all_calls_models_it_cannot_twin() -> None:
    assert construct.unfrozen_twin(_Checked) is None
    assert construct.unfrozen_twin(_NoSlots) is None
    assert construct.construct_all(_NoSlots, [[1, 2]]) == [_NoSlots(1), _NoSlots(2)]
    with pytest.raises(ValueError, match="negative"):
        construct.construct_all(_Checked, [[1, -1]])


# --- garbage collector ------------------------------------------------------------------------------------------


def test_garbage_collector_state_is_restored(folder: Path) -> None:
    assert gc.isenabled()
    read_records(BUNDLED)
    assert gc.isenabled()
    (folder / "subjects.csv").write_text("subject_id\n", encoding="utf-8")
    with pytest.raises(InputError):
        read_records(folder)
    assert gc.isenabled()
    gc.disable()
    try:
        read_records(BUNDLED)
        assert not gc.isenabled()
    finally:
        gc.enable()

"""The native XPORT v5 encoder against the pyreadstat reference: same decoded content through two independent
readers (pyreadstat and pandas.read_sas), same metadata, and the same bytes apart from the header timestamps.

Known reader behaviours, documented here by narrow, explicit checks instead of weakening the comparison:
- XPORT v5 stores no observation count and pads the last 80-byte card with blanks, so trailing observations whose
  bytes are all blank (every variable text and blank) can look like padding. ReadStat before 1.3.8 drops every such
  trailing observation; 1.3.8 and later keep them when an observation is 80 bytes or longer (it cannot be padding).
  The expectation is conditional on the installed release (READSTAT_KEEPS_LONG_BLANK_ROWS). Where the file cannot
  hold the rows unambiguously the writer's read-back check turns that into an error; an SDTM row always has
  STUDYID, so real datasets never hit it.
- pandas 3.1, for a record length <= 80 bytes, guesses the row count by subtracting every blank, 8-byte-aligned
  word of the last card (meant for padding, but data words can be blank too), so it can drop rows or return padding
  as extra blank rows;
- it decodes the IBM zero (all zero bytes) as 16**-65 (about 5.4e-79), not 0;
- it raises StopIteration on a member with no observations.
The same bytes come from pyreadstat, so these are reader behaviours, not encoder faults.

One encoder difference, found by the property test: pyreadstat 1.3.7 saturates every |number| >= 2**249 (about
9.05e74, still inside the IBM range that ends near 7.2e75) to the largest IBM value, which reads back as inf; the
native encoder writes them exactly. The byte comparison therefore draws numbers below 2**249, and the top of the
range is checked separately against both readers.
"""

from __future__ import annotations

import math
import struct
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from trialinterop.writers.xpt_native import ibm_from_ieee, sas_datetime, write_xport_native

CREATED = datetime(2026, 1, 1, 0, 0, 0)
TIMESTAMP_SLOTS = ((80, 64, 80), (160, 0, 16), (400, 64, 80), (480, 0, 16))
"""(record offset, start, end) of the four 16-byte header timestamps: the only bytes allowed to differ."""
PANDAS_IBM_ZERO = 16.0**-65
PYREADSTAT_LIMIT = 2.0**249
BELOW_LIMIT = float(np.nextafter(PYREADSTAT_LIMIT, 0))
IBM_TOP = 7.2e75
BLANK_WORD = b" " * 8


def _write_both(frame: pd.DataFrame, folder: Path, labels: list[str], label: str = "Property") -> tuple[Path, Path]:
    native = folder / "native.xpt"
    reference = folder / "reference.xpt"
    write_xport_native(frame, native, dataset="PR", label=label, column_labels=labels, created=CREATED)
    pyreadstat.write_xport(
        frame, str(reference), file_label=label, column_labels=labels, table_name="PR", file_format_version=5
    )
    return native, reference


def _masked(data: bytes) -> bytes:
    out = bytearray(data)
    for offset, start, end in TIMESTAMP_SLOTS:
        out[offset + start : offset + end] = b"?" * (end - start)
    return bytes(out)


def _expected_text(value: str | None) -> str:
    return "" if value is None else value.rstrip(" ")


READSTAT_KEEPS_LONG_BLANK_ROWS = Version(pyreadstat.__version__) >= Version("1.3.8")
"""pyreadstat 1.3.8 (ReadStat) keeps trailing all-blank observations of 80 bytes or more; earlier releases drop every
trailing all-blank observation. Both drop those shorter than 80 bytes."""


def _record_length(frame: pd.DataFrame) -> int:
    """Bytes per observation as both encoders lay them out: 8 per number, the longest text (at least 1) per text."""
    return sum(
        8 if frame[c].dtype == "float64" else max([1, *(len(v) for v in frame[c] if v is not None)])
        for c in frame.columns
    )


def _filled_row_count(frame: pd.DataFrame) -> int:
    """Rows up to the last one that is not all blank text (every row counts when there is a number column)."""
    if any(frame[c].dtype == "float64" for c in frame.columns):
        return len(frame)  # a number is never 8 blank bytes here (0x2020202020202020 is not generated)
    blank = [all((v is None or not v.strip(" ")) for v in row) for row in frame.itertuples(index=False)]
    count = len(frame)
    while count and blank[count - 1]:
        count -= 1
    return count


def _readstat_row_count(frame: pd.DataFrame) -> int:
    """Rows pyreadstat returns, by release (READSTAT_KEEPS_LONG_BLANK_ROWS)."""
    if READSTAT_KEEPS_LONG_BLANK_ROWS and _record_length(frame) >= 80:
        return len(frame)
    return _filled_row_count(frame)


def _provable_row_count(frame: pd.DataFrame) -> int:
    """Rows a reader can know are there: the data of n rows of L bytes is padded to whole 80-byte cards, so a file
    proves at least the smallest n whose data needs as many cards; trailing blank rows past that may be padding."""
    rows, length = len(frame), _record_length(frame)
    if not rows:
        return 0
    data = -(-rows * length // 80) * 80
    return max((data - 80) // length + 1, _filled_row_count(frame))


def _pandas_row_count(path: Path, record_length: int, rows: int) -> int:
    """The row count pandas 3.1 derives (its heuristic, restated to predict it): exact when records exceed 80 bytes,
    else the data length minus 8 bytes per blank aligned word of the last card, divided by the record length."""
    if record_length > 80:
        return rows
    data = path.read_bytes()
    last_card = data[-80:]
    blank_words = sum(last_card[i : i + 8] == BLANK_WORD for i in range(0, 80, 8))
    data_length = (rows * record_length + 79) // 80 * 80
    return (data_length - 8 * blank_words) // record_length


# --- a few literal facts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "encoded"),
    [
        (1.0, "4110000000000000"),
        (-2.5, "c128000000000000"),
        (0.0, "0000000000000000"),
        (-0.0, "0000000000000000"),  # as ReadStat: no negative zero
        (100.0, "4264000000000000"),
        (0.1, "401999999999999a"),  # 0.1 as a double is 0x3FB999999999999A: its 53 bits, shifted, exactly
        (math.nan, "2e00000000000000"),  # SAS missing "."
        (16.0**-65, "0010000000000000"),  # smallest normalised IBM number
    ],
)
def test_ibm_encoding_literals(number: float, encoded: str) -> None:
    assert ibm_from_ieee(np.array([number])).tobytes().hex() == encoded


@pytest.mark.parametrize("number", [1e80, -1e80, 1e-80, math.inf, -math.inf, 5e-324])
def test_numbers_outside_the_ibm_range_are_refused(number: float, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="IBM"):
        ibm_from_ieee(np.array([1.0, number]))


@pytest.mark.parametrize(
    ("values", "message"),
    [(["Müller"], "ASCII"), (["a\x00b"], "NUL"), ([3], "int value"), ([b"bytes"], "bytes value")],
)
def test_bad_text_is_refused(values: list[object], message: str, tmp_path: Path) -> None:
    frame = pd.DataFrame({"A": pd.Series(values, dtype=object)})
    with pytest.raises(ValueError, match=message):
        write_xport_native(frame, tmp_path / "a.xpt", dataset="PR", label="L", column_labels=["A"], created=CREATED)


@pytest.mark.parametrize("chunk_bytes", [1, 25, 1000])
def test_rows_written_in_chunks_give_the_same_bytes(tmp_path: Path, chunk_bytes: int) -> None:
    frame = pd.DataFrame({"A": [f"value {i}" if i % 3 else None for i in range(50)], "B": np.arange(50) / 7})
    whole, chunked = tmp_path / "whole.xpt", tmp_path / "chunked.xpt"
    options = {"dataset": "PR", "label": "Chunks", "column_labels": ["A", "B"], "created": CREATED}
    write_xport_native(frame, whole, **options)
    write_xport_native(frame, chunked, chunk_bytes=chunk_bytes, **options)
    assert chunked.read_bytes() == whole.read_bytes()
    data, _ = pyreadstat.read_xport(str(chunked))
    assert list(data["A"]) == [f"value {i}" if i % 3 else "" for i in range(50)]
    assert list(data["B"]) == [i / 7 for i in range(50)]


def test_pyreadstat_saturates_the_top_of_the_ibm_range(tmp_path: Path) -> None:
    frame = pd.DataFrame({"B": [1e75]})
    native, reference = _write_both(frame, tmp_path, ["Number"])
    assert reference.read_bytes()[-80:-72].hex() == "7fffffffffffffff"
    assert native.read_bytes()[-80:-72].hex() == "7f235fadd81c2822"
    assert pyreadstat.read_xport(str(native))[0]["B"][0] == 1e75
    assert pyreadstat.read_xport(str(reference))[0]["B"][0] == math.inf


@settings(max_examples=40, deadline=None)
@given(numbers=st.lists(st.floats(min_value=PYREADSTAT_LIMIT, max_value=IBM_TOP), min_size=1, max_size=20))
def test_native_top_of_range_reads_back_exactly(tmp_path_factory, numbers: list[float]) -> None:
    values = [x if i % 2 else -x for i, x in enumerate(numbers)]
    frame = pd.DataFrame({"B": values, "T": ["x" * 80] * len(values)})  # records > 80 bytes: pandas counts exactly
    path = tmp_path_factory.mktemp("top") / "top.xpt"
    write_xport_native(frame, path, dataset="PR", label="Top", column_labels=["B", "T"], created=CREATED)
    assert list(pyreadstat.read_xport(str(path))[0]["B"]) == values
    assert list(pd.read_sas(path, format="xport", encoding="ascii")["B"]) == values


def test_header_timestamp_comes_from_the_parameter(tmp_path: Path) -> None:
    assert sas_datetime(datetime(2026, 3, 7, 9, 5, 1)) == b"07MAR26:09:05:01"
    frame = pd.DataFrame({"A": ["x"], "B": [1.0]})
    first, second = tmp_path / "1.xpt", tmp_path / "2.xpt"
    for path in (first, second):
        write_xport_native(frame, path, dataset="DM", label="Demo", column_labels=["a", "b"], created=CREATED)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes()[80:160].endswith(b"01JAN26:00:00:00")
    _, meta = pyreadstat.read_xport(str(first))
    assert meta.creation_time == CREATED


def test_layout_literals(tmp_path: Path) -> None:
    frame = pd.DataFrame({"AA": ["x", None], "B": [1.0, math.nan]})
    path = tmp_path / "dm.xpt"
    size = write_xport_native(frame, path, dataset="DM", label="Demo", column_labels=["La", "Lb"], created=CREATED)
    data = path.read_bytes()
    assert size == len(data) == 80 * 8 + 320 + 80 + 80  # headers, 2 namestrs padded to 320, OBS header, 1 card
    assert data[:80] == b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!" + b"0" * 30 + b"  "
    assert data[560:640] == b"HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!0000000002" + b"0" * 20 + b"  "
    first = struct.unpack(">hhhh8s40s", data[640:696])
    assert first == (2, 0, 1, 1, b"AA      ", b"La".ljust(40))  # width = longest value, 1 byte
    assert data[-80:] == b"x" + bytes.fromhex("4110000000000000") + b" " + bytes.fromhex("2e00000000000000") + b" " * 62


@pytest.mark.parametrize(
    ("values", "readstat_old", "readstat_new", "pandas_rows"),
    [
        (["x       ", None, None], 1, 1, 1),  # trailing blank observations look like padding to both readers
        (["a", None], 1, 1, 8),  # pandas: 80 bytes minus 9 blank words = 8 one-byte "rows"
        ([None, "x", None, None], 2, 2, 8),
        (["x" * 100, None], 1, 2, 2),  # 100 blank bytes cannot be padding: kept from ReadStat 1.3.8 on
        (["x" * 80, None, None], 1, 3, 2),  # pandas: a blank last card of 80-byte rows is taken as padding
        (["x" * 79, None], 1, 1, 1),
        (["x" * 100, None, "y"], 3, 3, 3),
    ],
)
def test_documented_reader_row_counts(
    tmp_path: Path, values, readstat_old: int, readstat_new: int, pandas_rows: int
) -> None:
    """Literal row counts of the two readers for files both encoders write identically (pyreadstat's by release)."""
    frame = pd.DataFrame({"A": pd.Series(values, dtype=object)})
    native, reference = _write_both(frame, tmp_path, ["Text"])
    assert _masked(native.read_bytes()) == _masked(reference.read_bytes())
    readstat_rows = readstat_new if READSTAT_KEEPS_LONG_BLANK_ROWS else readstat_old
    for path in (native, reference):
        assert len(pyreadstat.read_xport(str(path))[0]) == readstat_rows
        assert len(pd.read_sas(path, format="xport", encoding="ascii")) == pandas_rows


# --- equivalence property -----------------------------------------------------------------------------------------

_PRINTABLE = st.characters(min_codepoint=32, max_codepoint=126)
_TEXT = st.one_of(
    st.none(),
    st.just(""),
    st.text(" ", min_size=1, max_size=5),
    st.text(_PRINTABLE, max_size=12),
    st.text(_PRINTABLE, min_size=190, max_size=200),
)
_NUMBER = st.one_of(
    st.just(math.nan),
    st.just(0.0),
    st.just(-0.0),
    st.integers(-(2**53), 2**53).map(float),
    st.floats(min_value=-BELOW_LIMIT, max_value=BELOW_LIMIT).filter(lambda x: x == 0 or abs(x) >= 5.4e-79),
    st.floats(min_value=5.4e-79, max_value=1e-70),
    st.floats(min_value=1e70, max_value=BELOW_LIMIT).map(lambda x: -x),
)
_LABEL = st.text(_PRINTABLE, max_size=40)


@st.composite
def _frames(draw: st.DrawFn) -> tuple[pd.DataFrame, list[str], str]:
    """1-60 columns, 0-500 rows. Each column draws a small pool of values (hypothesis shrinks those) and a seed that
    spreads the pool over the rows, so large frames stay within hypothesis' data budget."""
    width = draw(st.integers(1, 60))
    rows = draw(st.integers(0, 500))
    columns: dict[str, pd.Series] = {}
    labels = []
    for i in range(width):
        numeric = draw(st.booleans())
        pool = draw(st.lists(_NUMBER if numeric else _TEXT, min_size=1, max_size=6))
        seed = draw(st.integers(0, 2**16))
        picks = np.random.default_rng(seed).integers(0, len(pool), size=rows)
        values = [pool[k] for k in picks]
        columns[f"V{i}"] = pd.Series(values, dtype="float64" if numeric else "object")
        labels.append(draw(_LABEL))
    return pd.DataFrame(columns), labels, draw(_LABEL)


def _same_numbers(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), equal_nan=True))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=_frames())
def test_native_equals_pyreadstat_through_both_readers(tmp_path_factory, case) -> None:
    frame, labels, file_label = case
    folder = tmp_path_factory.mktemp("xpt")
    native, reference = _write_both(frame, folder, labels, file_label)

    # bytes: identical apart from the four header timestamps
    assert _masked(native.read_bytes()) == _masked(reference.read_bytes())

    # pyreadstat reads both the same, and what it reads is the input
    data_n, meta_n = pyreadstat.read_xport(str(native))
    data_r, meta_r = pyreadstat.read_xport(str(reference))
    assert meta_n.table_name == meta_r.table_name == "PR"
    assert meta_n.file_label == meta_r.file_label == (file_label.rstrip(" ") or None)
    assert meta_n.column_names == meta_r.column_names == list(frame.columns)
    assert meta_n.column_labels == meta_r.column_labels
    assert meta_n.readstat_variable_types == meta_r.readstat_variable_types
    assert meta_n.variable_storage_width == meta_r.variable_storage_width
    kept = _readstat_row_count(frame)
    assert len(data_n) == len(data_r) == kept  # == len(frame) unless trailing rows are all blank (documented)
    for column in frame.columns:
        series = frame[column].iloc[:kept]
        if series.dtype == "float64":
            assert meta_n.readstat_variable_types[column] == "double"
            assert meta_n.variable_storage_width[column] == 8
            assert _same_numbers(data_n[column], series)
            assert np.array_equal(data_n[column].to_numpy().view(np.uint64), data_r[column].to_numpy().view(np.uint64))
        else:
            assert meta_n.readstat_variable_types[column] == "string"
            longest = max([1, *(len(v) for v in frame[column] if v is not None)])
            assert meta_n.variable_storage_width[column] == longest
            assert list(data_n[column]) == list(data_r[column]) == [_expected_text(v) for v in series]

    # pandas.read_sas, an independent reader, sees the same in both files
    record_length = sum(meta_n.variable_storage_width.values())
    expected_rows = _pandas_row_count(native, record_length, len(frame)) if len(frame) else 0
    if not expected_rows:
        for path in (native, reference):
            with pytest.raises(StopIteration):  # pandas quirk: no observations (or none it can count)
                pd.read_sas(path, format="xport", encoding="ascii")
        return
    other_n = pd.read_sas(native, format="xport", encoding="ascii")
    other_r = pd.read_sas(reference, format="xport", encoding="ascii")
    assert list(other_n.columns) == list(other_r.columns) == list(frame.columns)
    assert len(other_n) == len(other_r) == expected_rows  # == len(frame) except in the documented quirk
    if record_length > 80:
        assert expected_rows == len(frame)
    shared = min(expected_rows, len(frame))
    for column in frame.columns:
        series = frame[column].iloc[:shared]
        if series.dtype == "float64":
            expected = series.to_numpy(copy=True)
            read = other_n[column].to_numpy(copy=True)[:shared]
            read[(expected == 0) & (read == PANDAS_IBM_ZERO)] = 0.0  # pandas quirk: IBM zero -> 16**-65
            assert _same_numbers(read, expected)
            assert _same_numbers(other_n[column], other_r[column])
        else:
            assert list(other_n[column]) == list(other_r[column])
            assert list(other_n[column])[:shared] == [_expected_text(v) for v in series]
            assert set(list(other_n[column])[shared:]) <= {""}  # padding read as rows: blank only

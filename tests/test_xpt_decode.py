"""The numpy XPORT v5 decoder (`writers.xpt_decode`) against two independent readers, pyreadstat.read_xport and
pandas.read_sas, on files written by both encoders (native and pyreadstat), by SAS itself (the CDISC sample files in
tests/data/third_party) and for the fixture package; and the read-back check built on it, on damaged files.

Expectations are literals or come from the frames written, never from the decoder under test. pandas.read_sas is only
compared where its documented quirks (tests/test_xpt_native.py) do not apply: records longer than 80 bytes, and the
IBM zero it reads as 16**-65.
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

from test_xpt_native import (
    CREATED,
    IBM_TOP,
    PANDAS_IBM_ZERO,
    PYREADSTAT_LIMIT,
    _expected_text,
    _frames,
    _provable_row_count,
    _readstat_row_count,
    _write_both,
)
from trialinterop.errors import ConformanceError
from trialinterop.writers import xpt
from trialinterop.writers.xpt import XptMember, write_xpt
from trialinterop.writers.xpt_decode import decode_xport, fits_a_double, ieee_from_ibm, read_xport
from trialinterop.writers.xpt_native import write_xport_native
from trialinterop.writers.xpt_readback import read_back_issues

MEMBER = XptMember("PR", "Property", ("Text", "Number", "Code"))


def _frame() -> pd.DataFrame:
    """Three observations of 3 + 8 + 11 = 22 bytes: 66 bytes of data in one card, then 14 blanks of padding."""
    return pd.DataFrame({"T": ["ab", None, "xyz"], "N": [1.5, -0.0, 100.0], "C": ["q" * 11, "r", None]})


def _native(tmp_path: Path, frame: pd.DataFrame, name: str = "pr.xpt", labels=("Text", "Number", "Code")) -> Path:
    path = tmp_path / name
    write_xport_native(frame, path, dataset="PR", label="Property", column_labels=list(labels), created=CREATED)
    return path


def _with_numbers(tmp_path: Path, encoded: list[str]) -> Path:
    """A one-variable file whose 8-byte numbers are the given IBM bytes (hex), patched into a native-written file."""
    path = _native(tmp_path, pd.DataFrame({"N": [1.0] * len(encoded)}), "numbers.xpt", ["Number"])
    data = bytearray(path.read_bytes())
    start = len(data) - 80 * ((8 * len(encoded) + 79) // 80)
    for index, text in enumerate(encoded):
        data[start + 8 * index : start + 8 * index + 8] = bytes.fromhex(text)
    path.write_bytes(bytes(data))
    return path


# --- literal facts ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoded", "number"),
    [
        ("4110000000000000", 1.0),
        ("c128000000000000", -2.5),
        ("0000000000000000", 0.0),
        ("4264000000000000", 100.0),
        ("401999999999999a", 0.1),
        ("0010000000000000", 16.0**-65),  # smallest normalised IBM number
        ("7f235fadd81c2822", 1e75),
        ("41ffffffffffffff", 16 - 2**-49),  # 56 fraction bits: the 3 beyond a double's 53 are dropped
        ("4000000000000001", 2.0**-56),  # unnormalised (SAS never writes it): its exact value
        ("7fffffffffffffff", math.inf),  # what ReadStat writes for overflow
        ("ffffffffffffffff", -math.inf),
    ],
)
def test_ibm_decoding_literals(encoded: str, number: float) -> None:
    assert ieee_from_ibm(np.array([int(encoded, 16)], dtype=np.uint64))[0] == number


@pytest.mark.parametrize("encoded", ["2e00000000000000", "5f00000000000000", "4100000000000000", "5a00000000000000",
                                     "8000000000000000", "4000000000000000"])  # fmt: skip
def test_missing_values_literals(encoded: str) -> None:
    """. _ A-Z then zeros are SAS missing values; ReadStat reads any non-zero byte followed by zeros as missing."""
    assert math.isnan(ieee_from_ibm(np.array([int(encoded, 16)], dtype=np.uint64))[0])


@pytest.mark.parametrize(
    ("encoded", "fits"),
    [("4110000000000000", True), ("4264000000000000", True), ("4264000000000001", False), ("41ffffffffffffff", False),
     ("41fffffffffffff8", True), ("411fffffffffffff", True), ("4000000000000001", True), ("2e00000000000000", True)],
)  # fmt: skip
def test_bits_a_double_cannot_hold_are_flagged(encoded: str, fits: bool) -> None:
    assert fits_a_double(np.array([int(encoded, 16)], dtype=np.uint64))[0] == fits


def test_special_numbers_read_as_pyreadstat_reads_them(tmp_path: Path) -> None:
    missing = ["2e00000000000000", "5f00000000000000", "4100000000000000", "5a00000000000000", "8000000000000000"]
    encoded = [
        *missing,
        "4000000000000000",
        "7fffffffffffffff",
        "ffffffffffffffff",
        "41ffffffffffffff",
        "c110000000000000",
    ]
    path = _with_numbers(tmp_path, encoded)
    expected = [math.nan] * 6 + [math.inf, -math.inf, 16 - 2**-49, -1.0]
    assert np.array_equal(read_xport(path).numbers("N"), expected, equal_nan=True)
    assert np.array_equal(pyreadstat.read_xport(str(path))[0]["N"], expected, equal_nan=True)


def test_layout_literals(tmp_path: Path) -> None:
    decoded = read_xport(_native(tmp_path, _frame()))
    assert (decoded.dataset, decoded.label, decoded.created, decoded.modified) == ("PR", "Property", CREATED, CREATED)
    assert [(v.name, v.label, v.numeric, v.length, v.position) for v in decoded.variables] == [
        ("T", "Text", False, 3, 0),
        ("N", "Number", True, 8, 3),
        ("C", "Code", False, 11, 11),
    ]
    assert decoded.rows == 3 and decoded.cells.shape == (3, 22)
    assert decoded.texts("T") == ["ab", "", "xyz"]
    assert decoded.texts("C") == ["q" * 11, "r", ""]
    numbers = decoded.numbers("N")
    assert list(numbers) == [1.5, 0.0, 100.0] and not np.signbit(numbers[1])  # -0.0 is written as +0
    assert decoded.text_bytes("T").tobytes() == b"ab    xyz"  # blank padded as stored
    assert decoded.column("N") is not None and decoded.column("T") == ["ab", "", "xyz"]


def test_numbers_shorter_than_8_bytes(tmp_path: Path) -> None:
    """SAS may store numbers in 3-7 bytes (the low bytes dropped): here a 4-byte variable, patched by hand."""
    path = _native(tmp_path, pd.DataFrame({"N": [1.0, 2.5]}), "short.xpt", ["Number"])
    data = bytearray(path.read_bytes())
    assert data[644:646] == struct.pack(">h", 8)  # nlng of the only NAMESTR record (at byte 640)
    data[644:646] = struct.pack(">h", 4)
    data[-80:] = bytes.fromhex("4110000041280000") + b" " * 72
    path.write_bytes(bytes(data))
    decoded = read_xport(path)
    assert decoded.variable("N").length == 4 and list(decoded.numbers("N")) == [1.0, 2.5]
    assert list(pyreadstat.read_xport(str(path))[0]["N"]) == [1.0, 2.5]


@pytest.mark.parametrize(
    ("values", "rows"),
    [
        (["x       ", None, None], 1),  # 24 bytes: the two blank rows fit in the padding of one card
        (["a", None], 1),
        ([None, "x", None, None], 2),
        ([None, None], 1),  # one card of data proves at least one observation
        (["x" * 100, None], 2),  # a 100-byte row cannot hide in padding shorter than a card
        (["x" * 80, None, None], 3),
        (["x" * 79, None], 2),  # 158 bytes need a second card, which one 79-byte row would not
        (["x" * 100, None, "y"], 3),
        (["ab"] * 40 + [None] * 3, 41),  # 40 rows fill one card exactly, so a second card proves a 41st row
    ],
)
def test_trailing_blank_observations(tmp_path: Path, values, rows: int) -> None:
    """The decoder keeps every trailing blank observation the file length proves (pyreadstat drops some: by release,
    see READSTAT_KEEPS_LONG_BLANK_ROWS), and reads those rows as written."""
    frame = pd.DataFrame({"A": pd.Series(values, dtype=object)})
    native, reference = _write_both(frame, tmp_path, ["Text"])
    for path in (native, reference):
        decoded = read_xport(path)
        assert decoded.rows == rows
        assert decoded.texts("A") == [_expected_text(v) for v in values[:rows]]
        assert len(pyreadstat.read_xport(str(path))[0]) == _readstat_row_count(frame) <= rows


def test_trailing_blank_observation_written_and_read_back(tmp_path: Path) -> None:
    """A row of 80 bytes or more that is all blank is written, read back and kept (no lost row, no mismatch)."""
    frame = pd.DataFrame({"A": ["x" * 90, None, None]})
    path = write_xpt(frame, tmp_path, XptMember("PR", "Property", ("Text",)))
    assert read_xport(path).rows == 3


def test_no_observations(tmp_path: Path) -> None:
    frame = pd.DataFrame({"A": pd.Series([], dtype=object), "B": pd.Series([], dtype="float64")})
    native, reference = _write_both(frame, tmp_path, ["Text", "Number"])
    for path in (native, reference):
        decoded = read_xport(path)
        assert decoded.rows == 0 and decoded.names == ["A", "B"]
        assert decoded.texts("A") == [] and len(decoded.numbers("B")) == 0


# --- damaged and unsupported files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda data: data[:-1], "not a multiple of 80"),
        (lambda data: data[:400], "too short"),
        (lambda data: data[:720], "ends inside the 3 NAMESTR records"),
        (lambda data: b"X" + data[1:], "expected the LIBRARY header"),
        (lambda data: data[:20] + b"LIBV8   " + data[28:], "v8"),
        (lambda data: data[:400] + b"XAS" + data[403:], "not a SAS member header"),
        (lambda data: data[:560] + data[560:].replace(b"NAMESTR ", b"NAMESTX ", 1), "expected the NAMESTR header"),
        (lambda data: data[:644] + struct.pack(">h", 0) + data[646:], "length 0 not valid"),
        (lambda data: data[:640] + struct.pack(">h", 3) + data[642:], "type 3"),
        (lambda data: data[:864] + struct.pack(">i", 4) + data[868:], "position 4, 3 expected"),  # npos of N
        (lambda data: data[:-1] + b"!", "non-blank bytes after the last observation"),
        (lambda data: data[:648] + b"\xff" + data[649:], "not ASCII"),
    ],
)
def test_damaged_files_raise_a_clear_error(tmp_path: Path, damage, message: str) -> None:
    data = damage(_native(tmp_path, _frame()).read_bytes())
    with pytest.raises(ValueError, match=message):
        decode_xport(data)


def test_a_second_member_is_refused(tmp_path: Path) -> None:
    first = _native(tmp_path, pd.DataFrame({"A": ["x" * 100]}), "a.xpt", ["Text"]).read_bytes()
    second = _native(tmp_path, pd.DataFrame({"A": ["y" * 100]}), "b.xpt", ["Text"]).read_bytes()
    assert pyreadstat.read_xport(str(tmp_path / "a.xpt"))[0]["A"][0] == "x" * 100
    with pytest.raises(ValueError, match="more than one member"):
        decode_xport(first + second[240:])  # the second member: its MEMBER header onwards


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.xpt").write_bytes(b"")
    with pytest.raises(ValueError, match="too short"):
        read_xport(tmp_path / "empty.xpt")


def test_every_flipped_data_byte_fails_the_read_back(tmp_path: Path) -> None:
    """Each byte of the observations and their padding, changed in turn, is caught (no NaN here: another missing
    value tag still reads as missing)."""
    frame = xpt._prepared(_frame())
    path = _native(tmp_path, frame)
    good = path.read_bytes()
    assert read_back_issues(path, frame, MEMBER) == []
    data_start = len(good) - 80
    for offset in range(data_start, len(good)):
        damaged = bytearray(good)
        damaged[offset] ^= 0x01
        path.write_bytes(bytes(damaged))
        issues = read_back_issues(path, frame, MEMBER)
        assert issues and {i.rule for i in issues} == {"TI-XPT011"}, offset
        if offset < data_start + 66:  # an observation byte: the column it belongs to is named
            column = "T" if (offset - data_start) % 22 < 3 else "N" if (offset - data_start) % 22 < 11 else "C"
            assert [i.message for i in issues] == [f"read-back mismatch: values of {column} differ"], offset
        else:
            assert "non-blank bytes after the last observation" in issues[0].message


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda data: data[:-80], "read-back mismatch: 0 rows instead of 3"),  # the only card of observations lost
        (
            lambda data: data[:-1],
            "read-back failed: file size 1279 is not a multiple of 80 bytes: truncated or damaged",
        ),
        (lambda data: data[:408] + b"XX" + data[410:], "read-back mismatch: member name 'XX'"),
        (lambda data: data[:512] + b"Qroperty" + data[520:], "read-back mismatch: file label 'Qroperty'"),
        (lambda data: data[:648] + b"U" + data[649:], "read-back mismatch: columns ['U', 'N', 'C']"),
        (lambda data: data[:656] + b"Next" + data[660:], "read-back mismatch: column labels differ"),
    ],
)
def test_damage_gives_ti_xpt011(tmp_path: Path, damage, message: str) -> None:
    frame = xpt._prepared(_frame())
    path = _native(tmp_path, frame)
    path.write_bytes(damage(path.read_bytes()))
    assert [(i.rule, i.message) for i in read_back_issues(path, frame, MEMBER)] == [("TI-XPT011", message)]


def test_write_xpt_refuses_a_file_that_does_not_read_back(tmp_path: Path, monkeypatch) -> None:
    real = xpt.write_xport_native

    def flip_last_value(frame, path, **options):
        size = real(frame, path, **options)
        data = bytearray(Path(path).read_bytes())
        data[-15] ^= 0x02  # the last byte of the last observation (C of row 3; 14 blanks of padding follow)
        Path(path).write_bytes(bytes(data))
        return size

    monkeypatch.setattr(xpt, "write_xport_native", flip_last_value)
    with pytest.raises(ConformanceError) as caught:
        write_xpt(_frame(), tmp_path, MEMBER)
    assert [(i.rule, i.message) for i in caught.value.issues] == [
        ("TI-XPT011", "read-back mismatch: values of C differ")
    ]
    assert list(tmp_path.iterdir()) == []  # nothing left behind


def test_read_back_of_trailing_blank_rows_is_a_mismatch(tmp_path: Path) -> None:
    frame = pd.DataFrame({"A": ["x", None]})
    with pytest.raises(ConformanceError, match="1 rows instead of 2"):
        write_xpt(frame, tmp_path, XptMember("PR", "Property", ("Text",)))


# --- against pyreadstat and pandas ---------------------------------------------------------------------------------


def _agree(path: Path, frame: pd.DataFrame, labels: list[str], file_label: str) -> None:
    """The decoder reads `path` as pyreadstat does, and as the frame written says (and as pandas where it can)."""
    decoded = read_xport(path)
    data, meta = pyreadstat.read_xport(str(path))
    assert decoded.dataset == meta.table_name == "PR"
    assert decoded.label == (meta.file_label or "") == file_label.rstrip(" ")
    assert decoded.names == meta.column_names == list(frame.columns)
    assert [v.label for v in decoded.variables] == [label.rstrip(" ") for label in labels]
    assert [v.label or None for v in decoded.variables] == [meta.column_names_to_labels[c] for c in frame.columns]
    assert decoded.created == meta.creation_time
    kept = _readstat_row_count(frame)
    assert len(data) == kept <= decoded.rows == _provable_row_count(frame)
    assert len(frame) - decoded.rows < 80  # what is not kept fits in padding
    for column in frame.columns:
        variable = decoded.variable(column)
        assert variable.length == meta.variable_storage_width[column]
        if frame[column].dtype == "float64":
            assert variable.numeric and meta.readstat_variable_types[column] == "double"
            numbers = decoded.numbers(column)
            read = data[column].to_numpy()
            assert np.array_equal(numbers[:kept], read, equal_nan=True)
            assert np.array_equal(np.signbit(numbers[:kept]), np.signbit(read))
            assert np.array_equal(numbers, frame[column].to_numpy()[: decoded.rows], equal_nan=True)  # -0.0 == 0.0
        else:
            assert not variable.numeric and meta.readstat_variable_types[column] == "string"
            texts = decoded.texts(column)
            assert texts == [_expected_text(v) for v in frame[column][: decoded.rows]]
            assert texts[:kept] == list(data[column])
    if decoded.cells.shape[1] > 80 and len(frame):  # pandas counts rows exactly only for records over 80 bytes
        other = pd.read_sas(path, format="xport", encoding="ascii")
        assert len(other) == len(frame) == decoded.rows and list(other.columns) == decoded.names
        for column in frame.columns:
            if decoded.variable(column).numeric:
                read = other[column].to_numpy(copy=True)
                expected = decoded.numbers(column)
                read[(expected == 0) & (read == PANDAS_IBM_ZERO)] = 0.0  # pandas reads the IBM zero as 16**-65
                assert np.array_equal(read, expected, equal_nan=True)
            else:
                assert list(other[column]) == decoded.texts(column)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=_frames())
def test_decoder_reads_both_encoders_as_pyreadstat_and_pandas_do(tmp_path_factory, case) -> None:
    frame, labels, file_label = case
    native, reference = _write_both(frame, tmp_path_factory.mktemp("xpt"), labels, file_label)
    _agree(native, frame, labels, file_label)
    _agree(reference, frame, labels, file_label)


@settings(max_examples=25, deadline=None)
@given(numbers=st.lists(st.floats(min_value=PYREADSTAT_LIMIT, max_value=IBM_TOP), min_size=1, max_size=20))
def test_top_of_the_ibm_range(tmp_path_factory, numbers: list[float]) -> None:
    """Both readers see the native file's exact numbers, and pyreadstat's saturated ones as infinities."""
    values = [x if i % 2 else -x for i, x in enumerate(numbers)]
    frame = pd.DataFrame({"B": values})
    native, reference = _write_both(frame, tmp_path_factory.mktemp("top"), ["Number"])
    assert list(read_xport(native).numbers("B")) == list(pyreadstat.read_xport(str(native))[0]["B"]) == values
    saturated = [math.copysign(math.inf, v) for v in values]
    assert list(read_xport(reference).numbers("B")) == list(pyreadstat.read_xport(str(reference))[0]["B"]) == saturated


_CLEAN_TEXT = st.one_of(st.none(), st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=200)).map(
    lambda t: t if t is None else t.rstrip(" ") or None
)
_CLEAN_NUMBER = st.one_of(
    st.just(math.nan),
    st.just(-0.0),
    st.integers(-(2**53), 2**53).map(float),
    st.floats(min_value=5.4e-79, max_value=7.2e75).map(lambda x: -x),
    st.floats(min_value=5.4e-79, max_value=7.2e75),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(_CLEAN_TEXT, _CLEAN_NUMBER, _CLEAN_TEXT), min_size=1, max_size=40))
def test_write_xpt_reads_back_with_both_engines(tmp_path_factory, rows) -> None:
    frame = pd.DataFrame(rows, columns=["T", "N", "C"]).astype({"T": object, "N": "float64", "C": object})
    folder = tmp_path_factory.mktemp("engines")
    native = write_xpt(frame, folder / "native", MEMBER)
    decoded = read_xport(native)
    assert decoded.texts("T") == [t or "" for t, _, _ in rows]
    assert np.array_equal(decoded.numbers("N"), [n for _, n, _ in rows], equal_nan=True)
    if all(abs(n) < PYREADSTAT_LIMIT for _, n, _ in rows if not math.isnan(n)):
        reference = write_xpt(frame, folder / "reference", MEMBER, engine="pyreadstat")
        assert read_xport(reference).texts("C") == [c or "" for _, _, c in rows]
    else:  # pyreadstat saturates numbers from 2**249 up: its file does not read back
        with pytest.raises(ConformanceError, match="values of N differ"):
            write_xpt(frame, folder / "reference", MEMBER, engine="pyreadstat")


def test_categorical_columns_encode_like_text(tmp_path: Path) -> None:
    """The encoder takes a Categorical by its codes; a category no row uses does not widen the variable."""
    categories = pd.CategoricalDtype(["a much longer unused category", "ab", "xyz"])
    frame = pd.DataFrame({"T": pd.Series(["ab", None, "xyz"], dtype=categories), "N": [1.5, -0.0, 100.0],
                          "C": pd.Series(["q" * 11, "r", None], dtype="category")})  # fmt: skip
    assert _native(tmp_path, frame, "cat.xpt").read_bytes() == _native(tmp_path, _frame(), "obj.xpt").read_bytes()
    assert read_back_issues(tmp_path / "cat.xpt", frame, MEMBER) == []
    assert read_back_issues(tmp_path / "obj.xpt", _frame(), MEMBER) == []


# --- SAS-written files and the fixture package ----------------------------------------------------------------------


def test_sas_written_files(third_party_data: Path) -> None:
    decoded = read_xport(third_party_data / "dataset-json" / "dm.xpt")
    assert (decoded.dataset, decoded.label, decoded.rows) == ("DM", "Demographics", 18)
    assert decoded.created == datetime(2020, 8, 21, 9, 14, 29)
    assert [(v.name, v.numeric, v.length) for v in decoded.variables[:4]] == [
        ("STUDYID", False, 12), ("DOMAIN", False, 2), ("USUBJID", False, 8), ("SUBJID", False, 4)]  # fmt: skip
    for name in ("dm", "ae"):
        path = third_party_data / "dataset-json" / f"{name}.xpt"
        decoded = read_xport(path)
        data, meta = pyreadstat.read_xport(str(path))
        other = pd.read_sas(path, format="xport", encoding="ascii")
        assert decoded.names == meta.column_names == list(other.columns)
        assert decoded.rows == len(data) == len(other)
        for column in decoded.names:
            if decoded.variable(column).numeric:
                assert np.array_equal(decoded.numbers(column), data[column], equal_nan=True)
                assert np.array_equal(decoded.numbers(column), other[column], equal_nan=True)
            else:
                assert decoded.texts(column) == list(data[column]) == list(other[column])


@pytest.fixture(scope="module")
def fixture_frames(fixture_records_dir: Path):
    from trialinterop.ct import load_terminology
    from trialinterop.sdtm.build import build_sdtm
    from trialinterop.sdtm.conform import conform
    from trialinterop.source.reader import read_records
    from trialinterop.spec import load_spec

    conformed, _ = conform(build_sdtm(read_records(fixture_records_dir), load_terminology()), load_spec())
    return {name: frame for name, frame in conformed.items() if len(frame)}


@pytest.mark.parametrize("engine", ["native", "pyreadstat"])
def test_fixture_package(tmp_path: Path, fixture_frames, engine: str) -> None:
    from trialinterop.spec import load_spec
    from trialinterop.writers.package import xpt_member

    spec = load_spec()
    for name, frame in fixture_frames.items():
        path = write_xpt(frame, tmp_path, xpt_member(spec, name, frame), engine=engine)
        decoded = read_xport(path)
        data, meta = pyreadstat.read_xport(str(path))
        assert decoded.dataset == meta.table_name == name
        assert decoded.names == meta.column_names == [str(c) for c in frame.columns]
        assert decoded.rows == len(data) == len(frame)
        assert {v.name: v.length for v in decoded.variables} == meta.variable_storage_width
        other = pd.read_sas(path, format="xport", encoding="ascii") if decoded.cells.shape[1] > 80 else None
        for column in decoded.names:
            if decoded.variable(column).numeric:
                expected = frame[column].to_numpy(dtype=np.float64, na_value=np.nan)
                assert np.array_equal(decoded.numbers(column), expected, equal_nan=True), (name, column)
                assert np.array_equal(decoded.numbers(column), data[column], equal_nan=True), (name, column)
                if other is not None:
                    read = other[column].to_numpy(copy=True)
                    read[(expected == 0) & (read == PANDAS_IBM_ZERO)] = 0.0
                    assert np.array_equal(read, expected, equal_nan=True), (name, column)
            else:
                expected = ["" if v is None or v is pd.NA or v != v else v for v in frame[column]]
                assert decoded.texts(column) == list(data[column]) == expected, (name, column)
                if other is not None:
                    assert list(other[column]) == expected, (name, column)

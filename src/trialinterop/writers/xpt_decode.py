"""A numpy SAS XPORT v5 decoder (SAS TS-140), used by the writer's read-back check.

Why hand-written: `pyreadstat.read_xport` builds a Python object for every cell, about 9 s for the 22 million cells
of a 10,000-subject package, several times the cost of writing the files. Here the file is memory-mapped and the
observations of a member are one `np.frombuffer` over its bytes with a structured dtype built from the file's own
NAMESTR records: a text column is a fixed-width byte view, a numeric column is converted from IBM/360 to IEEE doubles
with integer arithmetic on whole arrays, and nothing is built per cell (except by `XportData.texts`, for tests).

Independent of the encoder (`writers.xpt_native`): every layout fact is read from the file (library and member
headers, the variable count of the NAMESTR header, the NAMESTR size of the member header, each variable's name,
label, type, length and position); nothing is shared with the writer, so a mistake in the encoder is not repeated
here. It decodes files written by pyreadstat (ReadStat) the same way.

Where the format leaves a choice the decoder reads what ReadStat/SAS read:
- XPORT v5 stores no observation count: the observations run to the end of the file, whose last 80-byte card is
  padded with blanks. Rows = data bytes // record length (the rest must be blank padding shorter than a card). A
  trailing observation whose every byte is blank is kept wherever the file length proves it is there (always when an
  observation is 80 bytes or longer, as ReadStat 1.3.8 and later read it); only those that could be padding are
  dropped (ReadStat drops every trailing blank observation shorter than 80 bytes, even one the length proves);
- text is ASCII with the trailing blanks removed;
- numbers are 2 to 8 bytes long (missing low bytes are zero). A first byte followed by zero bytes is a missing
  value (NaN) unless all bytes are zero (0.0): SAS writes "." "_" and "A"-"Z" there (its missing values), and
  ReadStat reads any other such byte as missing too. The bytes 7FFFFFFFFFFFFFFF (with either sign), which ReadStat
  writes for overflow, are +-infinity. A normalised IBM fraction has up to 56 significant bits, a double 53: the
  extra bits are dropped (truncation, as ReadStat does). An unnormalised fraction (leading hex digit 0, which SAS
  never writes) is read at its exact value, where ReadStat returns a wrong number.

One member per file (what the writers produce); XPORT v8, a second member (a MEMBER header card among the
observations) and any structural damage (a truncated file, a header out of place, inconsistent variable positions,
non-blank bytes after the last observation) raise a ValueError that says what is wrong.
"""

from __future__ import annotations

import mmap
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import numpy as np

CARD = 80
_HEADER = re.compile(rb"HEADER RECORD\*{7}(?P<kind>[A-Z0-9 ]{8})HEADER RECORD!{7}(?P<numbers>[0-9 ]{30})  ")
_MEMBER_HEADER = b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!"
_STAMP = re.compile(r"(\d\d)([A-Z]{3})(\d\d):(\d\d):(\d\d):(\d\d)")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_BLANK = 0x20

_NAMESTR_FIELDS = [
    ("ntype", ">i2"),
    ("nhfun", ">i2"),
    ("nlng", ">i2"),
    ("nvar0", ">i2"),
    ("nname", "S8"),
    ("nlabel", "S40"),
    ("nform", "S8"),
    ("nfl", ">i2"),
    ("nfd", ">i2"),
    ("nfj", ">i2"),
    ("nfill", "V2"),
    ("niform", "S8"),
    ("nifl", ">i2"),
    ("nifd", ">i2"),
    ("npos", ">i4"),
]
"""The first 88 bytes of a NAMESTR record (TS-140); the rest (52 bytes, or 48 in the VAX/VMS 136-byte form) is
unused."""

_FRACTION = np.uint64((1 << 56) - 1)
_FIRST_BYTES = np.arange(256)
_SCALE = np.where(_FIRST_BYTES & 0x80, -1.0, 1.0) * np.ldexp(1.0, 4 * ((_FIRST_BYTES & 0x7F) - 64) - 56)
"""Per first byte (sign and excess-64 hex exponent): the factor turning the 56-bit integer fraction into the value
(a power of two, so the product is exact)."""
_KEEP = np.array([((1 << 56) - 1) & ~((1 << max(0, digit.bit_length() - 1)) - 1) for digit in range(16)], np.uint64)
"""Per leading hex digit of the fraction: the mask keeping its first 53 significant bits (digit 8-15: 56 bits, drop
3; 4-7: drop 2; 2-3: drop 1; 1: none; 0, unnormalised: at most 52 bits, none)."""


@dataclass(frozen=True, slots=True)
class XportVariable:
    """One NAMESTR record: name and label (trailing blanks removed), type, length and offset in the observation."""

    name: str
    label: str
    numeric: bool
    length: int
    position: int
    format: str


@dataclass(frozen=True)
class XportData:
    """A decoded member: header facts, the variables, and the observations as views over the file's bytes."""

    dataset: str
    label: str
    created: datetime | None
    modified: datetime | None
    variables: tuple[XportVariable, ...]
    observations: np.ndarray
    """Structured array, one field per variable: text as `S<length>` (blank padded), numbers as big-endian
    unsigned integers of the IBM bytes (`>u8`, or `V<length>` for shorter numbers)."""
    cells: np.ndarray
    """The same bytes as a (rows, record length) uint8 array."""
    mapping: mmap.mmap | None = field(default=None, repr=False, compare=False)
    """The file's memory mapping (`read_xport`), for `let_go`."""

    def let_go(self) -> None:
        """Drop the file pages read so far from this process's resident memory: they stay in the page cache and are
        read again when touched. A check that walks a large file chunk by chunk calls it after each chunk, so that
        the whole file (QS: 28 MB at 2,000 subjects) is not resident at once. Nothing for bytes not mapped."""
        if self.mapping is not None:
            _release(self.mapping)

    @property
    def rows(self) -> int:
        return len(self.observations)

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.variables]

    def variable(self, name: str) -> XportVariable:
        for variable in self.variables:
            if variable.name == name:
                return variable
        raise KeyError(name)

    def text_bytes(self, name: str, start: int = 0, stop: int | None = None) -> np.ndarray:
        """(rows, length) uint8 view of a column's bytes as stored (text blank padded), rows start:stop."""
        variable = self.variable(name)
        return self.cells[start:stop, variable.position : variable.position + variable.length]

    def texts(self, name: str) -> list[str]:
        """A text column as Python strings, trailing blanks removed (for tests and small members)."""
        stripped = np.strings.rstrip(self.observations[name], b" ")
        try:
            return [value.decode("ascii") for value in stripped.tolist()]
        except UnicodeDecodeError:
            raise ValueError(f"{name}: text is not ASCII") from None

    def numbers(self, name: str, start: int = 0, stop: int | None = None) -> np.ndarray:
        """A numeric column as IEEE doubles (missing values NaN), rows start:stop."""
        return ieee_from_ibm(self.ibm_bits(name, start, stop))

    def ibm_bits(self, name: str, start: int = 0, stop: int | None = None) -> np.ndarray:
        """A numeric column's stored IBM floats as uint64 (shorter numbers padded with zero bytes), rows start:stop."""
        variable = self.variable(name)
        if not variable.numeric:
            raise ValueError(f"{name} is a text variable")
        if variable.length == 8:
            return self.observations[name][start:stop].astype(np.uint64)
        stored = self.text_bytes(name, start, stop)
        padded = np.zeros((len(stored), 8), dtype=np.uint8)
        padded[:, : variable.length] = stored
        return padded.view(">u8").ravel().astype(np.uint64)

    def column(self, name: str) -> list[str] | np.ndarray:
        return self.numbers(name) if self.variable(name).numeric else self.texts(name)


def ieee_from_ibm(bits: np.ndarray) -> np.ndarray:
    """IEEE doubles from IBM/360 long floats given as uint64 (the 8 big-endian bytes read as one integer)."""
    bits = np.asarray(bits, dtype=np.uint64)
    first = (bits >> np.uint64(56)).astype(np.intp)
    fraction = bits & _FRACTION
    digit = (fraction >> np.uint64(52)).astype(np.intp)
    values = (fraction & _KEEP.take(digit)).astype(np.float64)
    values *= _SCALE.take(first)
    special = (fraction == 0) | (fraction == _FRACTION)  # missing values, and the overflow marker
    if special.any():
        where = np.flatnonzero(special)
        head, tail = first[where], fraction[where]
        values[where[(tail == 0) & (head != 0)]] = np.nan
        overflow = (tail == _FRACTION) & ((head & 0x7F) == 0x7F)
        values[where[overflow]] = np.where(head[overflow] & 0x80, -np.inf, np.inf)
    return values


def fits_a_double(bits: np.ndarray) -> np.ndarray:
    """Per IBM float (uint64): True when no fraction bit is lost to a double's 53 (what a double was written as
    always satisfies; `ieee_from_ibm` drops the others silently, as ReadStat does)."""
    fraction = np.asarray(bits, dtype=np.uint64) & _FRACTION
    return (fraction & ~_KEEP.take((fraction >> np.uint64(52)).astype(np.intp))) == 0


def _header(card: bytes, kind: str, offset: int) -> bytes:
    """The 30 digits of a header card of `kind`; ValueError when the card is not that header."""
    found = _HEADER.fullmatch(card)
    if found is None or found["kind"].rstrip() != kind.encode("ascii"):
        if found is not None and found["kind"].rstrip() in (b"LIBV8", b"MEMBV8", b"NAMSTV8", b"OBSV8"):
            raise ValueError("SAS XPORT v8 file: only v5 is read")
        raise ValueError(f"byte {offset}: expected the {kind} header record, found {card[:48]!r}")
    return found["numbers"]


def _text(raw: bytes, what: str) -> str:
    try:
        return raw.decode("ascii").rstrip(" ")
    except UnicodeDecodeError:
        raise ValueError(f"{what} is not ASCII: {raw!r}") from None


def _stamp(raw: bytes) -> datetime | None:
    """`ddMMMyy:hh:mm:ss`; years 60-99 are 19xx, 00-59 20xx (as ReadStat); None when blank or unreadable."""
    found = _STAMP.fullmatch(raw.decode("ascii", "replace"))
    if found is None or found[2] not in _MONTHS:
        return None
    day, month, year, hour, minute, second = found.groups()
    full_year = int(year) + (1900 if int(year) >= 60 else 2000)
    try:
        return datetime(full_year, _MONTHS.index(month) + 1, int(day), int(hour), int(minute), int(second))
    except ValueError:
        return None


SCAN_CARDS = 16384
"""Cards (80 bytes) scanned per step for a second MEMBER header: 1.3 MB."""


def read_xport(path: str | Path) -> XportData:
    """Decode the single member of an XPORT v5 file; ValueError on anything that is not a sound v5 file.

    The file is memory-mapped, not copied: the arrays of the result are views of the mapping, which is released
    when the last of them is garbage-collected."""
    with open(path, "rb") as handle:
        if not os.fstat(handle.fileno()).st_size:
            return decode_xport(b"")
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    data = decode_xport(np.frombuffer(mapped, dtype=np.uint8), let_go=lambda: _release(mapped))
    return replace(data, mapping=mapped)


def _release(mapping: mmap.mmap) -> None:
    """Drop the pages of `mapping` this process has touched from its resident memory (see `XportData.let_go`)."""
    advice = getattr(mmap, "MADV_DONTNEED", None)  # Linux and the BSDs; elsewhere pages stay as they were
    if advice is not None and not mapping.closed:
        mapping.madvise(advice)


def decode_xport(data: np.ndarray | bytes, *, let_go: Callable[[], None] | None = None) -> XportData:
    """`read_xport` over bytes already in memory (a uint8 array or bytes). `let_go` is called after each chunk of
    the scan for a second member (memory-mapped data: its pages need not stay resident; see `XportData.let_go`)."""
    buffer = np.frombuffer(data, dtype=np.uint8) if isinstance(data, bytes | bytearray) else data
    size = len(buffer)
    if size % CARD:
        raise ValueError(f"file size {size} is not a multiple of 80 bytes: truncated or damaged")
    if size < 8 * CARD:
        raise ValueError(f"file of {size} bytes is too short for the XPORT v5 headers")

    def card(index: int) -> bytes:
        return buffer[index * CARD : (index + 1) * CARD].tobytes()

    _header(card(0), "LIBRARY", 0)
    first_real = card(1)
    if first_real[:24] != b"SAS     SAS     SASLIB  ":
        raise ValueError(f"byte 80: not a SAS library header ({first_real[:24]!r})")
    member_numbers = _header(card(3), "MEMBER", 240)
    namestr_size = int(member_numbers[-4:])
    if namestr_size not in (136, 140):
        raise ValueError(f"NAMESTR records of {namestr_size} bytes (140, or 136 on VAX/VMS, expected)")
    _header(card(4), "DSCRPTR", 320)
    descriptor = card(5)
    if descriptor[:8] != b"SAS     " or descriptor[16:24] != b"SASDATA ":
        raise ValueError(f"byte 400: not a SAS member header ({descriptor[:24]!r})")
    dataset = _text(descriptor[8:16], "dataset name")
    second = card(6)
    label = _text(second[32:72], "dataset label")
    count_digits = _header(card(7), "NAMESTR", 560)[6:10]
    if not count_digits.isdigit():
        raise ValueError(f"byte 560: unreadable variable count {count_digits!r}")
    count = int(count_digits)

    start = 8 * CARD
    namestr_bytes = count * namestr_size
    obs_header = start + namestr_bytes + (-namestr_bytes % CARD)
    if obs_header + CARD > size:
        raise ValueError(f"file ends inside the {count} NAMESTR records: truncated")
    layout = np.dtype({"names": [n for n, _ in _NAMESTR_FIELDS], "formats": [f for _, f in _NAMESTR_FIELDS],
                       "itemsize": namestr_size})  # fmt: skip
    namestrs = np.frombuffer(buffer, dtype=layout, count=count, offset=start)
    padding = buffer[start + namestr_bytes : obs_header]
    if ((padding != _BLANK) & (padding != 0)).any():  # blanks (ReadStat) or NULs
        raise ValueError(f"byte {start + namestr_bytes}: unexpected bytes after the NAMESTR records")
    _header(buffer[obs_header : obs_header + CARD].tobytes(), "OBS", obs_header)

    variables = _variables(namestrs)
    record_length = sum(v.length for v in variables)
    data_start = obs_header + CARD
    data_length = size - data_start
    rows = data_length // record_length if record_length else 0
    rest = buffer[data_start + rows * record_length :]
    if len(rest) >= CARD:
        raise ValueError(f"{len(rest)} bytes after the last whole observation: damaged or more than one member")
    if (rest != _BLANK).any():
        raise ValueError(f"byte {data_start + rows * record_length}: non-blank bytes after the last observation")
    cells = buffer[data_start : data_start + rows * record_length].reshape(rows, record_length)
    if rows and (cells[-1] == _BLANK).all():
        rows = _rows_told_from_padding(cells, record_length, data_length)
        cells = cells[:rows]
    if rows and _has_member_header(buffer, data_start, data_start + rows * record_length, let_go):
        raise ValueError("more than one member in the file: only single-member files are read")
    dtype = np.dtype(
        {
            "names": [v.name for v in variables],
            "formats": [_field_format(v) for v in variables],
            "offsets": [v.position for v in variables],
            "itemsize": record_length,
        }
    )
    observations = np.frombuffer(buffer, dtype=dtype, count=rows, offset=data_start) if rows else np.zeros(0, dtype)
    return XportData(
        dataset=dataset,
        label=label,
        created=_stamp(first_real[64:80]),
        modified=_stamp(card(2)[:16]),
        variables=variables,
        observations=observations,
        cells=cells,
    )


def _variables(namestrs: np.ndarray) -> tuple[XportVariable, ...]:
    variables = []
    position = 0
    seen: set[str] = set()
    names = namestrs.dtype.names
    if names is None:
        raise ValueError("NAMESTR records must be a structured array")
    for number, record in enumerate(namestrs.tolist(), start=1):
        fields = dict(zip(names, record, strict=True))
        name = _text(fields["nname"], f"name of variable {number}")
        if fields["ntype"] not in (1, 2):
            raise ValueError(f"variable {number} ({name!r}): type {fields['ntype']} (1 numeric or 2 text expected)")
        numeric = fields["ntype"] == 1
        length = fields["nlng"]
        if not (2 <= length <= 8 if numeric else 1 <= length <= 32767):
            raise ValueError(f"variable {number} ({name!r}): length {length} not valid for its type")
        if fields["npos"] != position:
            raise ValueError(f"variable {number} ({name!r}): position {fields['npos']}, {position} expected")
        if not name or name in seen:
            raise ValueError(f"variable {number}: empty or repeated name {name!r}")
        seen.add(name)
        label = _text(fields["nlabel"], f"label of {name}")
        variables.append(
            XportVariable(name, label, numeric, length, position, _text(fields["nform"], f"format of {name}"))
        )
        position += length
    return tuple(variables)


def _field_format(variable: XportVariable) -> str:
    if not variable.numeric:
        return f"S{variable.length}"
    return ">u8" if variable.length == 8 else f"V{variable.length}"


def _rows_told_from_padding(cells: np.ndarray, record_length: int, data_length: int) -> int:
    """Observations that are really there when the last ones are all blank: the last non-blank one, and at least as
    many as the data length proves. The data ends in padding shorter than a card, so n observations take
    data_length - CARD < n * record_length <= data_length; the smallest such n is certain. A record of CARD bytes or
    more can never hide in padding, so then every observation counts."""
    proven = (data_length - CARD) // record_length + 1 if data_length else 0
    filled = np.flatnonzero((cells != _BLANK).any(axis=1))
    return max(proven, int(filled[-1]) + 1 if len(filled) else 0)


def _has_member_header(buffer: np.ndarray, start: int, stop: int, let_go: Callable[[], None] | None = None) -> bool:
    """True when a card inside the observation bytes is a MEMBER header (a second member follows): the first 8 bytes
    of every card are compared at once, chunk by chunk (`let_go` after each), and the few candidates in full."""
    cards = (stop - start) // CARD
    magic = np.frombuffer(_MEMBER_HEADER[:8], dtype=np.uint64)[0]
    for first in range(0, cards, SCAN_CARDS):
        count = min(SCAN_CARDS, cards - first)
        begin = start + first * CARD
        words = buffer[begin : begin + count * CARD].view(np.uint64).reshape(count, CARD // 8)[:, 0]
        for index in np.flatnonzero(words == magic).tolist():
            offset = begin + index * CARD
            if buffer[offset : offset + len(_MEMBER_HEADER)].tobytes() == _MEMBER_HEADER:
                return True
        if let_go is not None:
            let_go()
    return False

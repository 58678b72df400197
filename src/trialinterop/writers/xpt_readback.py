"""The read-back check of a written XPORT file: decoded from its own headers by `writers.xpt_decode` (independent
of the encoder) and compared, column by column and chunk by chunk, with the frame that was meant to be written.

Hand-written rather than pyreadstat.read_xport, which builds a Python object per cell (about 9 s for the 22 million
cells of a 10,000-subject package): here text is compared as stored bytes and numbers as decoded doubles.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from trialinterop.issues import Issue, Severity
from trialinterop.writers.xpt_decode import XportData, XportVariable, fits_a_double, ieee_from_ibm, read_xport
from trialinterop.writers.xpt_member import XptMember


def read_back_issues(path: Path, frame: pd.DataFrame, member: XptMember) -> list[Issue]:
    """Compare a written file, as `writers.xpt_decode` decodes it from its own headers, with what was meant to be
    written (member name, labels, names, types, row count, every value). A file that cannot be decoded is one issue."""
    where = member.dataset
    try:
        decoded = read_xport(path)
    except ValueError as error:
        return [Issue("TI-XPT011", Severity.ERROR, f"read-back failed: {error}", where)]
    decoded.let_go()  # decoding checked every card; the comparison reads the file again chunk by chunk
    problems: list[str] = []
    if decoded.dataset != member.dataset:
        problems.append(f"member name {decoded.dataset!r}")
    if decoded.label != member.label:
        problems.append(f"file label {decoded.label!r}")
    if decoded.names != [str(c) for c in frame.columns]:
        problems.append(f"columns {decoded.names}")
    else:
        if [v.label for v in decoded.variables] != list(member.column_labels):
            problems.append("column labels differ")
        if decoded.rows != len(frame):
            problems.append(f"{decoded.rows} rows instead of {len(frame)}")
        else:
            problems += [f"values of {column} differ" for column in _differing_columns(frame, decoded)]
    return [Issue("TI-XPT011", Severity.ERROR, f"read-back mismatch: {p}", where) for p in problems]


READ_BACK_CHUNK = 1024 * 1024
"""Observation bytes compared per step: every column is compared over one chunk of rows while it is in the CPU
cache, instead of each column walking the whole file."""


def _differing_columns(frame: pd.DataFrame, decoded: XportData) -> list[str]:
    """Columns whose decoded values are not the meant ones (NaN = NaN; None = ''; -0.0 = 0.0): numbers compared as
    decoded doubles (and no stored bit may be lost in decoding), text as stored bytes (`_TextColumn`), chunk by chunk
    so the observations compared stay in the CPU cache across columns."""
    texts: list[_TextColumn] = []
    numbers: list[tuple[str, np.ndarray]] = []
    differ: set[str] = set()
    for column in frame.columns:
        name = str(column)
        variable = decoded.variable(name)
        meant = frame[column]
        if pd.api.types.is_numeric_dtype(meant) and variable.numeric:
            numbers.append((name, meant.to_numpy(dtype=np.float64, na_value=np.nan)))
            continue
        text = None if pd.api.types.is_numeric_dtype(meant) or variable.numeric else _TextColumn.of(meant, variable)
        if text is None:
            differ.add(name)
        else:
            texts.append(text)
    step = max(1, min(decoded.rows, READ_BACK_CHUNK // max(1, decoded.cells.shape[1])))
    for start in range(0, decoded.rows, step):
        stop = min(decoded.rows, start + step)
        read = decoded.cells[start:stop]
        for text in list(texts):
            if not text.matches(read, start, stop):
                differ.add(text.name)
                texts.remove(text)
        for name, values in list(numbers):
            bits = decoded.ibm_bits(name, start, stop)  # a bit beyond a double's precision is damage too
            same = np.array_equal(values[start:stop], ieee_from_ibm(bits), equal_nan=True)
            if not (same and fits_a_double(bits).all()):
                differ.add(name)
                numbers.remove((name, values))
        decoded.let_go()  # the chunk's file pages: not resident beyond their comparison
    return [str(c) for c in frame.columns if str(c) in differ]


class _TextColumn:
    """A text column's meant bytes, compared with the stored bytes without building them row by row.

    The distinct meant texts are encoded once into a table (blank padded to the variable's length; '' last, for
    nulls) and the rows hold codes into it. The variable's bytes are covered by machine words of the largest size
    s in 1, 2, 4, 8 that fits (the last word may overlap the one before it): for each word the table gives one
    integer per distinct text, picked by the row codes, and compared with the integers read from the file."""

    def __init__(self, name: str, position: int, codes: np.ndarray, table: np.ndarray) -> None:
        self.name, self.position, self.codes = name, position, codes
        width = table.shape[1]
        self.size = 1 << (min(width, 8).bit_length() - 1)
        offsets = list(range(0, width - self.size + 1, self.size))
        if offsets[-1] != width - self.size:
            offsets.append(width - self.size)
        self.words = [
            (offset, np.ascontiguousarray(table[:, offset : offset + self.size]).view(f"<u{self.size}").ravel())
            for offset in offsets
        ]

    @classmethod
    def of(cls, meant: pd.Series, variable: XportVariable) -> _TextColumn | None:
        """None when no file could hold the meant texts unchanged in this variable (too long, not ASCII, ...)."""
        if isinstance(meant.dtype, pd.CategoricalDtype):
            codes, uniques = meant.cat.codes.to_numpy(), meant.cat.categories.to_numpy(dtype=object)
        else:
            codes, uniques = pd.factorize(meant.to_numpy(dtype=object))
        texts = [*uniques.tolist(), ""]  # nulls are written as blanks and read back as ''
        if not _writable(texts, variable.length):
            used = np.zeros(len(texts), dtype=bool)
            used[codes] = True  # a category no row uses cannot spoil the comparison (code -1 marks '')
            texts = [text if use else "" for text, use in zip(texts, used.tolist(), strict=True)]
            if not _writable(texts, variable.length):
                return None
        table = np.array(texts, dtype=f"S{variable.length}").view(np.uint8).reshape(len(texts), variable.length)
        table = np.where(table == 0, np.uint8(0x20), table)  # numpy pads with NUL, XPORT with blanks
        return cls(variable.name, variable.position, codes, table)

    def matches(self, read: np.ndarray, start: int, stop: int) -> bool:
        """Rows start:stop as read (`read`: their observations, uint8 (rows, record length)) hold the meant bytes."""
        codes = self.codes[start:stop]
        for offset, words in self.words:
            first = self.position + offset
            stored = read[:, first : first + self.size].view(f"<u{self.size}")[:, 0]
            if not np.array_equal(words.take(codes, mode="wrap"), stored):  # code -1 (null): the last text, ''
                return False
        return True


def _writable(texts: list[object], length: int) -> bool:
    """Every text is a str that reads back unchanged from `length` bytes: ASCII, no NUL, no trailing blank."""
    if pd.api.types.infer_dtype(texts, skipna=False) != "string" or max(map(len, texts)) > length:  # type: ignore[arg-type]  # str checked by infer_dtype first
        return False
    joined = "\x00".join(texts)  # type: ignore[arg-type]  # all str: checked above
    return joined.isascii() and joined.count("\x00") == len(texts) - 1 and " \x00" not in joined + "\x00"

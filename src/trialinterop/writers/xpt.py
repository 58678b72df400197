"""SAS XPORT v5 writer: check every v5 limit first, write to a temporary file, read it back, then rename.

pyreadstat does the encoding but silently truncates long labels, writes 201-byte values and non-ASCII bytes,
turns 1e80 into inf and leaves 0-byte files when a name is too long (see shared/reference/xpt-and-validation.md), so
this module checks those limits itself and raises `ConformanceError` listing every violation instead of writing a
bad file.

Two encoders, selected by `engine`: "native" (default; `writers.xpt_native`, numpy-vectorised, several times
faster, byte-identical to pyreadstat apart from the header timestamps, which come from `created`) and "pyreadstat"
(the reference; its header carries the clock time). Both go through the same limit checks and read-back check.

The read-back decodes the written file with `writers.xpt_decode`, a numpy decoder independent of the encoder
(pyreadstat.read_xport builds a Python object per cell: about 9 s for the 22 million cells of a 10,000-subject
package), and compares it column-wise with the frame. Each text column is hashed once per write (pandas.factorize,
in the limit check); the codes serve the encoder and the comparison, so a 840,000-row column is never walked value by
value again.
"""

from __future__ import annotations

import itertools
import math
import tempfile
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyreadstat

from trialinterop.atomic import staged_file
from trialinterop.errors import ConformanceError
from trialinterop.issues import Issue, Severity
from trialinterop.spec.tables import NAME_PATTERN
from trialinterop.text_columns import is_categorical, text_codes
from trialinterop.writers.xpt_member import XptMember  # re-exported here for older imports
from trialinterop.writers.xpt_native import encode_xport_part, write_xport_native, write_xport_parts
from trialinterop.writers.xpt_readback import read_back_issues

Engine = Literal["native", "pyreadstat"]
ENGINES: tuple[str, ...] = ("native", "pyreadstat")
DEFAULT_CREATED = datetime(1960, 1, 1)
"""Header timestamp of the native engine when the caller gives none (the SAS epoch: deterministic, not the clock)."""

MAX_LABEL = 40
MAX_CHAR_BYTES = 200
IBM_MAX = 7.2e75
IBM_MIN = 5.4e-79
ITEMISE_LIMIT = 25

Factorized = tuple[np.ndarray, np.ndarray]
"""(codes, distinct values) of a text column: row i holds values[codes[i]], or null where the code is -1."""


def _label_issues(text: str, what: str, where: str, field: str, rule: str) -> list[Issue]:
    found = []
    if not isinstance(text, str) or not text:
        found.append(Issue(rule, Severity.ERROR, f"{what} is empty", where, field=field))
        return found
    if not text.isascii():
        found.append(Issue(rule, Severity.ERROR, f"{what} must be ASCII", where, field=field, value=text))
    if len(text.encode("utf-8")) > MAX_LABEL:
        found.append(
            Issue(rule, Severity.ERROR, f"{what} is longer than {MAX_LABEL} bytes", where, field=field, value=text)
        )
    return found


def check_xpt_limits(frame: pd.DataFrame, member: XptMember) -> list[Issue]:
    """Every XPORT v5 limit this data would break (empty list = safe to write)."""
    return _limit_issues(frame, member, None)


def _limit_issues(frame: pd.DataFrame, member: XptMember, factorized: dict[str, Factorized] | None) -> list[Issue]:
    """`check_xpt_limits`; with a `factorized` dict, each clean text column's (codes, distinct values) is kept there
    for the encoder and the read-back check, so a column is hashed once per write."""
    where = member.dataset
    issues: list[Issue] = []
    if not NAME_PATTERN.match(member.dataset):
        issues.append(Issue("TI-XPT001", Severity.ERROR, "dataset name must be 1-8 upper-case letters/digits starting "
                            "with a letter (SD1457)", where, value=member.dataset))  # fmt: skip
    issues += _label_issues(member.label, "dataset label", where, "", "TI-XPT004")
    if len(member.column_labels) != len(frame.columns):
        issues.append(Issue("TI-XPT003", Severity.ERROR, f"{len(frame.columns)} columns but "
                            f"{len(member.column_labels)} labels", where))  # fmt: skip
    if not len(frame.columns):
        issues.append(Issue("TI-XPT002", Severity.ERROR, "dataset has no variables", where))
    if frame.columns.duplicated().any():
        issues.append(Issue("TI-XPT002", Severity.ERROR, "duplicate variable names", where))
    for column, label in zip(frame.columns, member.column_labels, strict=False):
        if not isinstance(column, str) or not NAME_PATTERN.match(column):
            issues.append(Issue("TI-XPT002", Severity.ERROR, "variable name must be 1-8 upper-case letters/digits "
                                "starting with a letter (SD1474)", where, field=str(column)))  # fmt: skip
        issues += _label_issues(label, "variable label", where, str(column), "TI-XPT003")
    for column in frame.columns:
        issues += _column_issues(frame[column], where, str(column), factorized)
    return issues


def _column_issues(
    series: pd.Series, where: str, column: str, factorized: dict[str, Factorized] | None = None
) -> list[Issue]:
    if pd.api.types.is_datetime64_any_dtype(series) or isinstance(series.dtype, pd.PeriodDtype):
        return [Issue("TI-XPT008", Severity.ERROR, "date/time column: SDTM dates must be ISO 8601 text", where,
                      field=column)]  # fmt: skip
    issues: list[Issue] = []
    counts: dict[str, int] = {}

    def add(rule: str, message: str, row: int, value: str) -> None:
        counts[rule] = counts.get(rule, 0) + 1
        if counts[rule] <= ITEMISE_LIMIT:
            issues.append(Issue(rule, Severity.ERROR, message, where, f"row {row + 1}", column, value[:60]))

    if pd.api.types.is_bool_dtype(series):
        return [Issue("TI-XPT009", Severity.ERROR, "boolean column: use Y/N text or numbers", where, field=column)]
    numeric = pd.api.types.is_numeric_dtype(series)
    if _column_is_clean(series, numeric, column, factorized):
        return []
    for row, value in enumerate(series):
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            continue
        if numeric:
            number = float(value)
            if math.isinf(number) or (number != 0 and not IBM_MIN <= abs(number) <= IBM_MAX):
                add("TI-XPT007", "number not finite or outside the IBM float range", row, repr(value))
        elif isinstance(value, str):
            encoded = value.encode("utf-8")
            if len(encoded) > MAX_CHAR_BYTES:
                add("TI-XPT005", f"value is {len(encoded)} bytes (at most {MAX_CHAR_BYTES})", row, value)
            if not value.isascii():
                add("TI-XPT006", "non-ASCII characters (SD1029)", row, value)
            if value != value.rstrip(" "):
                add("TI-XPT010", "trailing blanks would be lost in XPORT", row, value)
        else:
            add("TI-XPT009", f"{type(value).__name__} value in a text column", row, repr(value))
    for rule, count in counts.items():
        if count > ITEMISE_LIMIT:
            issues.append(Issue(rule, Severity.ERROR, f"{count - ITEMISE_LIMIT} more like this", where, field=column))
    return issues


def _column_is_clean(
    series: pd.Series, numeric: bool, column: str = "", factorized: dict[str, Factorized] | None = None
) -> bool:
    """Vectorised proof that a column breaks no limit (True); False sends it to the row-by-row itemising check.

    Text is checked per distinct value: found with a set (Python's cached string hashes make that nearly twice as
    fast as pandas.unique), or with pandas.factorize when `factorized` asks to keep the codes for writing."""
    if numeric:
        try:
            numbers = np.abs(series.to_numpy(dtype=np.float64, na_value=np.nan))
        except (TypeError, ValueError):
            return False
        numbers = numbers[~np.isnan(numbers)]
        return bool(np.all((numbers == 0) | ((numbers >= IBM_MIN) & (numbers <= IBM_MAX))))
    objects = None if is_categorical(series) else series.to_numpy(dtype=object)
    try:
        if objects is None:  # a Categorical: its codes and the categories some row uses
            codes, values = text_codes(series)
        elif factorized is None:
            distinct = set(objects)
            distinct.discard(None)
            values = np.fromiter(distinct, dtype=object, count=len(distinct))
            if len(values) and pd.api.types.infer_dtype(values, skipna=False) != "string":
                values = values[~pd.isna(values)]  # other nulls (NaN, pd.NA, ...)
        else:
            codes, values = pd.factorize(objects)  # nulls get code -1 and are not among the values
    except TypeError:  # unhashable values
        return False
    if len(values) and pd.api.types.infer_dtype(values, skipna=False) != "string":
        return False
    joined = "\x00".join(values) + "\x00"
    if not (joined.isascii() and max(map(len, values), default=0) <= MAX_CHAR_BYTES and " \x00" not in joined):
        return False
    if factorized is not None:
        factorized[column] = (codes, values)
    return True


def _prepared(frame: pd.DataFrame, factorized: dict[str, Factorized] | None = None) -> pd.DataFrame:
    """Numbers as float64 and text as a Categorical of str (code -1 = null, written blank), which the native encoder
    and the read-back check take as they are; `factorized` supplies codes already computed by the limit check. Every
    array is the snapshot's own and read-only (`from_codes` copies the codes)."""
    columns: dict[Hashable, np.ndarray | pd.Categorical] = {}
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_numeric_dtype(series):
            numbers = series.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
            numbers.flags.writeable = False
            columns[column] = numbers
        else:
            found = (factorized or {}).get(str(column))
            codes, values = found if found is not None else pd.factorize(series.to_numpy(dtype=object))
            categories = pd.Index(values, dtype=object)
            columns[column] = pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories))
    return pd.DataFrame(columns, copy=False)  # no copy into consolidated blocks


def _as_objects(prepared: pd.DataFrame) -> pd.DataFrame:
    """Text columns as object str/None, which pyreadstat maps to $ variables (numbers stay 8-byte floats)."""
    columns = {}
    for column in prepared.columns:
        series = prepared[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            values = series.to_numpy(dtype=object, copy=True)
            values[series.cat.codes.to_numpy() < 0] = None
            columns[column] = pd.Series(values, dtype="object")
        else:
            columns[column] = series
    return pd.DataFrame(columns)


@dataclass(frozen=True, eq=False)
class CheckedXpt:
    """One dataset checked against every XPORT v5 limit for one member, and, when nothing breaks a limit, a snapshot
    of it in the form the encoders take (`prepared`: its own read-only arrays, so a change to the frame it was made
    from cannot reach it). `write_package` checks every dataset before writing any and hands these to
    `write_checked_xpt`, so a column is not examined twice and what is written is exactly what was checked."""

    member: XptMember
    issues: tuple[Issue, ...]
    prepared: pd.DataFrame | None


def check_and_prepare(frame: pd.DataFrame, member: XptMember) -> CheckedXpt:
    """`check_xpt_limits`, keeping what the check computed (each text column's codes) in an immutable snapshot."""
    factorized: dict[str, Factorized] = {}
    issues = tuple(_limit_issues(frame, member, factorized))
    return CheckedXpt(member, issues, None if issues else _prepared(frame, factorized))


def write_xpt(frame: pd.DataFrame, out_dir: str | Path, member: XptMember, *, engine: Engine = "native") -> Path:
    """Write `<out_dir>/<dataset lower>.xpt` (v5); ConformanceError (and no file) when a limit would break or the
    written file does not read back as `frame`. `engine` picks the encoder: "native" (header timestamp from
    `member.created`) or the reference "pyreadstat"."""
    return _write(check_and_prepare(frame, member), out_dir, engine=engine, meant=frame)


def write_checked_xpt(checked: CheckedXpt, out_dir: str | Path, *, engine: Engine = "native") -> Path:
    """Write the snapshot `checked` (from `check_and_prepare`) without checking it again; read back against it."""
    return _write(checked, out_dir, engine=engine, meant=None)


def _write(checked: CheckedXpt, out_dir: str | Path, *, engine: Engine, meant: pd.DataFrame | None) -> Path:
    """Encode `checked.prepared` to a staged file, compare the file with `meant` (the caller's frame) or else with the
    snapshot itself, and move it into place only when they agree."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    member = checked.member
    if checked.issues or checked.prepared is None:
        raise ConformanceError(checked.issues, summary=f"{member.dataset}: not written as XPORT v5")
    prepared = checked.prepared
    destination = Path(out_dir) / member.file_name
    with staged_file(destination) as temp:
        if engine == "native":
            write_xport_native(
                prepared,
                temp,
                dataset=member.dataset,
                label=member.label,
                column_labels=member.column_labels,
                created=member.created or DEFAULT_CREATED,
            )
        else:
            pyreadstat.write_xport(
                _as_objects(prepared),
                str(temp),
                file_label=member.label,
                column_labels=list(member.column_labels),
                table_name=member.dataset,
                file_format_version=5,
            )
        mismatches = read_back_issues(temp, prepared if meant is None else meant, member)
        if mismatches:
            raise ConformanceError(mismatches, summary=f"{member.dataset}: XPORT read-back failed")
    return destination


@dataclass(frozen=True)
class XptPart:
    """A part of a dataset encoded for XPORT (`encode_xpt_part`): the limit issues of its rows, else the member's
    headers and its observations."""

    issues: tuple[Issue, ...]
    header: bytes = b""
    observations: bytes = b""


def encode_xpt_part(frame: pd.DataFrame, member: XptMember, widths: Mapping[str, int]) -> XptPart:
    """A part of a dataset (its rows in the dataset's order) checked against the XPORT limits as `write_xpt` checks a
    whole frame (row numbers in issues are the part's own), encoded with the whole dataset's text `widths` by the
    native encoder and read back; the parts' observations, concatenated in order after one header, are the file
    `write_xpt` writes for the whole frame (`write_xpt_parts`)."""
    checked = check_and_prepare(frame, member)
    if checked.issues or checked.prepared is None:
        return XptPart(checked.issues)
    header, observations = encode_xport_part(
        checked.prepared,
        dataset=member.dataset,
        label=member.label,
        column_labels=member.column_labels,
        created=member.created or DEFAULT_CREATED,
        widths=widths,
    )
    with tempfile.TemporaryDirectory() as folder:  # read back as a file of its own (the decoder reads files)
        path = Path(folder) / member.file_name
        with open(path, "wb") as handle:
            write_xport_parts(handle, header, [observations])
        mismatches = read_back_issues(path, checked.prepared, member)
    if mismatches:
        raise ConformanceError(mismatches, summary=f"{member.dataset}: XPORT read-back failed")
    return XptPart((), header, observations)


def write_xpt_parts(out_dir: str | Path, member: XptMember, parts: Iterable[XptPart]) -> Path | None:
    """Write `<out_dir>/<dataset lower>.xpt` from the parts of `encode_xpt_part`, in order (every part carries the
    same header: the whole dataset's widths, which is checked). None, and no file, when a part breaks an XPORT limit
    (the caller then checks the whole dataset, whose issues number the rows of the whole) or there are no parts."""
    destination = Path(out_dir) / member.file_name
    headers: list[bytes] = []

    def observations() -> Iterator[bytes]:
        for part in parts:
            if part.issues:
                raise _PartNotClean
            if headers and part.header != headers[0]:
                raise ValueError(f"{member.dataset}: the parts' XPORT headers differ")
            headers.append(part.header)
            yield part.observations

    blocks = observations()
    try:
        first = next(blocks, None)
        if first is None:
            return None
        with staged_file(destination) as temp, open(temp, "wb") as handle:
            write_xport_parts(handle, headers[0], itertools.chain([first], blocks))
    except _PartNotClean:
        return None
    return destination


class _PartNotClean(Exception):
    """A part breaks an XPORT limit: the file is not written from parts."""


def member_for(dataset: str, label: str, frame: pd.DataFrame, labels: Sequence[tuple[str, str]]) -> XptMember:
    """Labels in frame column order from (variable, label) pairs; unknown columns get an empty label (an issue)."""
    by_name = dict(labels)
    return XptMember(dataset, label, tuple(by_name.get(str(c), "") for c in frame.columns))

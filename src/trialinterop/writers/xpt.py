"""SAS XPORT v5 writer: check every v5 limit first, write to a temporary file, read it back, then rename.

pyreadstat does the encoding but silently truncates long labels, writes 201-byte values and non-ASCII bytes,
turns 1e80 into inf and leaves 0-byte files when a name is too long (see shared/reference/xpt-and-validation.md), so
this module checks those limits itself and raises `ConformanceError` listing every violation instead of writing a
bad file.

Two encoders, selected by `engine`: "native" (default; `writers.xpt_native`, numpy-vectorised, several times
faster, byte-identical to pyreadstat apart from the header timestamps, which come from `created`) and "pyreadstat"
(the reference; its header carries the clock time). Both go through the same limit checks and read-back check.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
from trialinterop.writers.xpt_native import write_xport_native

Engine = Literal["native", "pyreadstat"]
ENGINES: tuple[str, ...] = ("native", "pyreadstat")
DEFAULT_CREATED = datetime(1960, 1, 1)
"""Header timestamp of the native engine when the caller gives none (the SAS epoch: deterministic, not the clock)."""

MAX_LABEL = 40
MAX_CHAR_BYTES = 200
IBM_MAX = 7.2e75
IBM_MIN = 5.4e-79
ITEMISE_LIMIT = 25


@dataclass(frozen=True, slots=True)
class XptMember:
    """What goes into one transport file: upper-case dataset name, its label, a label per column, and the header
    timestamp (native engine; None = DEFAULT_CREATED)."""

    dataset: str
    label: str
    column_labels: tuple[str, ...]
    created: datetime | None = None

    @property
    def file_name(self) -> str:
        return f"{self.dataset.lower()}.xpt"


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
        issues += _column_issues(frame[column], where, str(column))
    return issues


def _column_issues(series: pd.Series, where: str, column: str) -> list[Issue]:
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
    if _column_is_clean(series, numeric):
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


def _column_is_clean(series: pd.Series, numeric: bool) -> bool:
    """Vectorised proof that a column breaks no limit (True); False sends it to the row-by-row itemising check."""
    if numeric:
        try:
            numbers = np.abs(series.to_numpy(dtype=np.float64, na_value=np.nan))
        except (TypeError, ValueError):
            return False
        numbers = numbers[~np.isnan(numbers)]
        return bool(np.all((numbers == 0) | ((numbers >= IBM_MIN) & (numbers <= IBM_MAX))))
    try:
        values = pd.unique(series.to_numpy(dtype=object))  # the checks below hold per distinct value
    except TypeError:  # unhashable values
        return False
    values = values[~pd.isna(values)]
    if not len(values):
        return True
    if pd.api.types.infer_dtype(values, skipna=False) != "string":
        return False
    joined = "\x00".join(values) + "\x00"
    return joined.isascii() and max(map(len, values)) <= MAX_CHAR_BYTES and " \x00" not in joined


def _prepared(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as object str/None and numbers as float64, which pyreadstat maps to $ and 8-byte numerics."""
    columns = {}
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_numeric_dtype(series):
            columns[column] = series.astype("float64")
        else:
            values = series.to_numpy(dtype=object, copy=True)
            values[pd.isna(values)] = None
            columns[column] = pd.Series(values, dtype="object", index=series.index)
    return pd.DataFrame(columns, index=frame.index).reset_index(drop=True)


def read_back_issues(path: Path, frame: pd.DataFrame, member: XptMember) -> list[Issue]:
    """Compare a written file, as pyreadstat decodes it, with what was meant to be written (names, labels, types,
    every value). Columns are read as plain lists (`output_format="dict"`): no DataFrame is built for the check."""
    data, meta = pyreadstat.read_xport(str(path), output_format="dict")
    where = member.dataset
    problems: list[str] = []
    if meta.table_name != member.dataset:
        problems.append(f"member name {meta.table_name!r}")
    if (meta.file_label or "") != member.label:
        problems.append(f"file label {meta.file_label!r}")
    if list(data) != list(frame.columns):
        problems.append(f"columns {list(data)}")
    else:
        labels = [meta.column_names_to_labels.get(c) for c in frame.columns]
        if labels != list(member.column_labels):
            problems.append("column labels differ")
        rows = len(next(iter(data.values()))) if data else 0
        if rows != len(frame):
            problems.append(f"{rows} rows instead of {len(frame)}")
        else:
            for column in frame.columns:
                if not _same_values(frame[column], data[column], meta.readstat_variable_types[column]):
                    problems.append(f"values of {column} differ")
    return [Issue("TI-XPT011", Severity.ERROR, f"read-back mismatch: {p}", where) for p in problems]


def _same_values(meant: pd.Series, read: list[object], kind: str) -> bool:
    """Every value equal (NaN = NaN; None = ''; -0.0 = 0.0)."""
    if pd.api.types.is_numeric_dtype(meant):
        if kind != "double":
            return False
        expected = meant.to_numpy(dtype=np.float64, na_value=np.nan)
        found = np.array(read, dtype=np.float64) if len(read) else np.zeros(0)
        return bool(np.array_equal(expected, found, equal_nan=True))
    if kind != "string":
        return False
    expected = meant.to_numpy(dtype=object, copy=True)
    expected[pd.isna(expected)] = ""
    found = read if None not in read else ["" if v is None else v for v in read]
    return expected.tolist() == found


def write_xpt(
    frame: pd.DataFrame,
    out_dir: str | Path,
    member: XptMember,
    *,
    engine: Engine = "native",
) -> Path:
    """Write `<out_dir>/<dataset lower>.xpt` (v5); ConformanceError (and no file) when a limit would break.

    `engine` picks the encoder: "native" (header timestamp from `member.created`) or the reference "pyreadstat".
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    issues = check_xpt_limits(frame, member)
    if issues:
        raise ConformanceError(issues, summary=f"{member.dataset}: not written as XPORT v5")
    prepared = _prepared(frame)
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
                prepared,
                str(temp),
                file_label=member.label,
                column_labels=list(member.column_labels),
                table_name=member.dataset,
                file_format_version=5,
            )
        mismatches = read_back_issues(temp, prepared, member)
        if mismatches:
            raise ConformanceError(mismatches, summary=f"{member.dataset}: XPORT read-back failed")
    return destination


def member_for(dataset: str, label: str, frame: pd.DataFrame, labels: Sequence[tuple[str, str]]) -> XptMember:
    """Labels in frame column order from (variable, label) pairs; unknown columns get an empty label (an issue)."""
    by_name = dict(labels)
    return XptMember(dataset, label, tuple(by_name.get(str(c), "") for c in frame.columns))

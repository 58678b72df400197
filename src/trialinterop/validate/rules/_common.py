"""Vectorised helpers shared by the rule modules: blank masks, record keys, findings from a row mask."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextvars import ContextVar

import numpy as np
import pandas as pd

from trialinterop.validate.package import Dataset
from trialinterop.validate.registry import Finding

TRIAL_DESIGN = frozenset({"TA", "TE", "TV", "TI", "TS", "TD", "TM"})
SHOWN_CHARS = 80

CALLS: ContextVar[list[tuple[str, str, str]] | None] = ContextVar("row_findings_calls", default=None)
"""While `validate.partition` records a rule's run: (dataset, field, detail) of each `row_findings` call in turn."""


def text(series: pd.Series) -> pd.Series:
    """Values as Python strings ("" for missing); numbers rendered without a trailing .0 when integral."""
    if pd.api.types.is_numeric_dtype(series):
        values = series.astype(float)
        integral = values.notna() & np.isfinite(values) & (values == values.round())
        out = values.astype(object).where(values.notna(), "").astype(str).astype(object)
        out[integral] = values[integral].astype("int64").astype(str)
        out[values.isna()] = ""
        return out
    if series.dtype == object and pd.api.types.infer_dtype(series.to_numpy(), skipna=False) == "string":
        return series  # already all Python strings, no missing value (the usual case: readers fill "")
    # object dtype, not pandas' Arrow-backed "str": its isin() walks the lookup values in Python (slow on 1M keys)
    filled = series.astype(object).where(series.notna(), "")
    if pd.api.types.infer_dtype(filled.to_numpy(), skipna=False) == "string":
        return filled
    return filled.astype(str).astype(object)


def blank(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series):
        return series.isna()
    return where_values(series, lambda v: v is None or v != v or not str(v).strip())


def where_values(series: pd.Series, predicate) -> pd.Series:
    """Mask of the records whose value satisfies `predicate`, evaluated once per distinct value (values repeat);
    missing values (None, NaN) are one value for this."""
    values = series.to_numpy()
    try:
        codes, uniques = pd.factorize(values)  # missing -> -1
    except TypeError:  # unhashable values
        return series.map(lambda v: bool(predicate(v)))
    bad = [code for code, value in enumerate(uniques.tolist()) if predicate(value)]
    mask = np.isin(codes, bad) if bad else np.zeros(len(codes), dtype=bool)
    missing = np.flatnonzero(codes < 0)
    if len(missing) and predicate(values[missing[0]]):
        mask |= codes < 0
    return pd.Series(mask, index=series.index)


def distinct_counts(series: pd.Series) -> tuple[list[object], np.ndarray]:
    """The distinct present values of a column and how many records hold each."""
    codes, uniques = pd.factorize(series.to_numpy())
    return uniques.tolist(), np.bincount(codes[codes >= 0], minlength=len(uniques))


def shown(value: object) -> str:
    value = "" if value is None else str(value)
    return value if len(value) <= SHOWN_CHARS else value[: SHOWN_CHARS - 3] + "..."


def seq_name(ds: Dataset) -> str | None:
    name = f"{ds.domain}SEQ"
    return name if name in ds.frame.columns else None


def record_keys(ds: Dataset, mask: pd.Series | np.ndarray) -> list[str]:
    """Stable keys for the selected records: "USUBJID, --SEQ=n" when possible, else "row n" (1-based)."""
    frame = ds.frame
    rows = np.flatnonzero(np.asarray(mask, dtype=bool))
    numbers = rows if ds.positions is None else ds.positions[rows]
    seq = seq_name(ds)
    if "USUBJID" in frame.columns and seq:
        subjects = text(frame["USUBJID"].iloc[rows]).tolist()
        seqs = text(frame[seq].iloc[rows]).tolist()
        return [f"{s}, {seq}={q}" for s, q in zip(subjects, seqs, strict=True)]
    if "USUBJID" in frame.columns and ds.domain != "SUPPQUAL":
        subjects = text(frame["USUBJID"].iloc[rows]).tolist()
        return [f"row {r + 1}, {s}" for r, s in zip(numbers, subjects, strict=True)]
    return [f"row {r + 1}" for r in numbers]


def row_findings(
    ds: Dataset, mask: pd.Series, field: str = "", *, values: pd.Series | None = None, detail: str = ""
) -> Iterator[Finding]:
    """One finding per selected record; `values` (default: the field's column) supplies the value shown.

    While `CALLS` records (`validate.partition`), each finding carries (this call's number, its row in the whole
    dataset), by which findings of a rule run on parts of a package are put back in the whole package's order."""
    calls = CALLS.get()
    call = -1
    if calls is not None:
        call = len(calls)
        calls.append((ds.name, field, detail))
    mask = mask.fillna(False).astype(bool)
    if not mask.any():
        return
    keys = record_keys(ds, mask)
    if values is None and field in ds.frame.columns:
        values = ds.frame[field]
    shown_values = text(values[mask]).tolist() if values is not None else [""] * len(keys)
    if calls is None:
        for key, value in zip(keys, shown_values, strict=True):
            yield Finding(ds.name, key, field, shown(value), detail)
        return
    rows = np.flatnonzero(np.asarray(mask, dtype=bool))
    numbers = (rows if ds.positions is None else ds.positions[rows]).tolist()
    for key, value, row in zip(keys, shown_values, numbers, strict=True):
        yield Finding(ds.name, key, field, shown(value), detail, (call, int(row)))


def subject_datasets(datasets: list[Dataset]) -> list[Dataset]:
    return [ds for ds in datasets if "USUBJID" in ds.frame.columns and ds.domain not in TRIAL_DESIGN]


_VAR_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,7}$")


def valid_name(name: str) -> bool:
    return bool(_VAR_NAME.match(name))

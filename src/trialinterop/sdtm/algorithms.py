"""Mapping verbs in the manner of pharmaverse sdtm.oak: each sets one target variable on a frame, optionally `where=`.

`assign` copies a source column, `hardcode` writes a constant, `assign_ct`/`hardcode_ct` do the same through a
codelist (a collected value is replaced by its submission value; a hard-coded value must be a term), `assign_dtc`
keeps an ISO 8601 value as text after checking it. Verbs return a new frame and never modify their input, so a
builder reads as a chain of `.pipe(...)` calls. Hand-written because sdtm.oak is R-only; each verb is a few lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields, is_dataclass
from operator import attrgetter
from typing import Any

import pandas as pd

from trialinterop.ct import Terminology
from trialinterop.distinct import map_distinct
from trialinterop.errors import SpecError
from trialinterop.iso8601 import is_valid_dtc


def records_frame(records: Iterable[Any], *, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """One row per dataclass record (the `origin` field left out); `columns` fixes the columns of an empty frame."""
    rows = [r for r in records if is_dataclass(r)]
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns or ()})
    names = [f.name for f in fields(rows[0]) if f.name != "origin"]
    getters = [attrgetter(name) for name in names]
    return pd.DataFrame(
        {name: pd.Series([get(r) for r in rows], dtype=object) for name, get in zip(names, getters, strict=True)}
    )


def _mask(frame: pd.DataFrame, where: pd.Series | None) -> pd.Series:
    if where is None:
        return pd.Series(True, index=frame.index)
    return where.reindex(frame.index).fillna(False).astype(bool)


def _set(frame: pd.DataFrame, variable: str, values: Any, where: pd.Series | None) -> pd.DataFrame:
    out = frame.copy(deep=False)  # copy-on-write (pandas 3): new columns never reach `frame`
    if variable not in out.columns:
        out[variable] = pd.Series([None] * len(out), index=out.index, dtype=object)
    else:
        out[variable] = out[variable].astype(object)
    mask = _mask(out, where)
    if isinstance(values, pd.Series):
        values = values.astype(object).where(values.notna(), None)
        out.loc[mask, variable] = values[mask]
    else:
        out.loc[mask, variable] = values
    return out


def hardcode(frame: pd.DataFrame, variable: str, value: Any, *, where: pd.Series | None = None) -> pd.DataFrame:
    """Set `variable` to one constant value (on the rows selected by `where`)."""
    return _set(frame, variable, value, where)


def assign(frame: pd.DataFrame, variable: str, source: str, *, where: pd.Series | None = None) -> pd.DataFrame:
    """Copy column `source` into `variable`; missing values stay missing (None)."""
    return _set(frame, variable, frame[source], where)


def hardcode_ct(
    frame: pd.DataFrame,
    variable: str,
    value: str,
    *,
    codelist: str,
    terminology: Terminology,
    where: pd.Series | None = None,
) -> pd.DataFrame:
    """Set a constant that must be a term of `codelist` (SpecError otherwise: a defect of the mapping)."""
    term = terminology.term(codelist, value)
    return _set(frame, variable, term.value, where)


def submission_value(value: Any, *, codelist: str, terminology: Terminology) -> Any:
    """The submission value for a collected value: exact term, else a case-insensitive match of a term or its decode.

    A value found nowhere is returned unchanged (the validator reports it against the codelist).
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    cl = terminology.codelist(codelist)
    text = str(value)
    if cl.find(text) is not None:
        return text
    folded = text.strip().casefold()
    for term in cl.terms:
        if folded in (term.value.casefold(), term.decode.casefold()):
            return term.value
    return text


def assign_ct(
    frame: pd.DataFrame,
    variable: str,
    source: str,
    *,
    codelist: str,
    terminology: Terminology,
    where: pd.Series | None = None,
) -> pd.DataFrame:
    """Copy `source` into `variable` through `codelist` (see `submission_value`)."""
    mapped = map_distinct(lambda v: submission_value(v, codelist=codelist, terminology=terminology), frame[source])
    return _set(frame, variable, pd.Series(mapped, index=frame.index, dtype=object), where)


def assign_dtc(frame: pd.DataFrame, variable: str, source: str, *, where: pd.Series | None = None) -> pd.DataFrame:
    """Copy an ISO 8601 date/datetime kept as text; SpecError names the row when a value is not ISO 8601."""
    valid = map_distinct(lambda v: not (isinstance(v, str) and v and not is_valid_dtc(v)), frame[source])
    if not all(valid):
        index = frame.index[valid.index(False)]
        value = frame[source][index]
        raise SpecError(f"{source} row {index}: {value!r} is not an ISO 8601 date/time")
    return _set(frame, variable, frame[source], where)


def assign_map(
    frame: pd.DataFrame, variable: str, source: str, mapping: Mapping[Any, Any], *, where: pd.Series | None = None
) -> pd.DataFrame:
    """Copy `source` into `variable` through a fixed mapping; values not in the mapping become None."""
    mapped = frame[source].map(lambda v: mapping.get(v) if v is not None else None)
    return _set(frame, variable, mapped.astype(object), where)

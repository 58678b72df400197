"""Conform a dataset held in parts (Spark's executors) so that the parts, concatenated, are the dataset
`conform_dataset` makes of the whole frame, and the writers and define.xml need only small facts of the whole.

Each part is a range of subjects (USUBJID), conformed alone by `conform_part` (the single-machine steps, without
dropping the empty Permissible variables, which is a fact of the whole). What the whole dataset's result depends on
is reduced per part (`PartFacts`) and merged (`merge_facts`): the rows, the variables with data (then the same
`permissible_drops` decides the drops), each text column's longest value (the XPT and Dataset-JSON lengths), the
first and last USUBJID (the parts must follow each other in the dataset's key order) and a small `define_sample`
from which define.xml and the CDISC terms used (`spec.with_data_terms`) read what they read of the whole dataset.

Exactness: the parts merge only when no part has an issue (the whole dataset's issues number its rows, itemise 25
per rule and count the rest: a part's issues do not say that) and the parts are in key order (the keys before
USUBJID have one value, each part's USUBJIDs come after the previous part's). Otherwise `merge_facts` says no and
the caller conforms the whole frame (as one machine does).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from trialinterop.define.lengths import value_length
from trialinterop.issues import Issue
from trialinterop.sdtm.conform import conform_own, drop_notices, permissible_drops
from trialinterop.spec import Spec, VariableSpec
from trialinterop.text_columns import is_categorical, text_codes, with_nulls
from trialinterop.writers.lengths import char_length, max_bytes

SUBJECT = "USUBJID"


@dataclass(frozen=True)
class PartFacts:
    """What the whole dataset's conform, writers and define.xml need of one conformed part."""

    rows: int
    columns: tuple[str, ...]
    issues: tuple[Issue, ...]
    filled: frozenset[str]
    """The columns with at least one value."""
    lengths: dict[str, int]
    """Text column -> its longest value in UTF-8 bytes (at least 1): `writers.lengths.char_length`."""
    lead: dict[str, frozenset[object]]
    """The distinct values (None for missing) of each dataset key before USUBJID."""
    first: str | None
    last: str | None
    """USUBJID of the first and of the last row (None: missing, or no USUBJID column)."""
    sample: pd.DataFrame


@dataclass(frozen=True)
class Merged:
    """The parts' facts merged: the dataset's rows, its columns (empty Permissible variables dropped), the issues
    (the drops' notices), its text lengths and its `define_sample`."""

    rows: int
    columns: tuple[str, ...]
    issues: tuple[Issue, ...]
    lengths: dict[str, int]
    sample: pd.DataFrame


def conform_part(frame: pd.DataFrame, name: str, spec: Spec) -> tuple[pd.DataFrame, PartFacts]:
    """A part of dataset `name` conformed as `conform_each` conforms a frame (the CDISC terms its own data use join
    the codelists: a check reads one value at a time, so a value gives the same result in any part), without
    dropping empty Permissible variables, and its facts."""
    conformed, issues = conform_own(frame, name, spec, drop_empty_perm=False)
    return conformed, part_facts(conformed, issues, name, spec)


def part_facts(frame: pd.DataFrame, issues: Sequence[Issue], name: str, spec: Spec) -> PartFacts:
    """The facts of a conformed part (rows in the dataset's key order)."""
    keys = spec.dataset(name).keys
    lead_keys = keys[: keys.index(SUBJECT)] if SUBJECT in keys else ()
    subjects = with_nulls(frame[SUBJECT]) if SUBJECT in frame.columns and len(frame) else None
    return PartFacts(
        rows=len(frame),
        columns=tuple(str(c) for c in frame.columns),
        issues=tuple(issues),
        filled=frozenset(str(c) for c in frame.columns if frame[c].notna().any()),
        lengths={str(c): char_length(frame[c]) for c in frame.columns if not _numeric(frame[c])},
        lead={k: frozenset(_key(v) for v in _distinct(frame[k])) for k in lead_keys if k in frame.columns},
        first=None if subjects is None else subjects[0],
        last=None if subjects is None else subjects[-1],
        sample=define_sample(frame, name, spec),
    )


def merge_facts(facts: Sequence[PartFacts], name: str, spec: Spec, *, drop_empty_perm: bool = True) -> Merged | None:
    """The facts of the whole dataset from its parts' (in order), or None when the parts do not make the whole
    dataset exactly (see the module docstring): an issue in a part, parts with other columns, or parts not in key
    order."""
    if not facts or any(f.issues for f in facts) or len({f.columns for f in facts}) != 1:
        return None
    keys = spec.dataset(name).keys
    if SUBJECT not in keys or SUBJECT not in facts[0].columns:
        return None
    for key in keys[: keys.index(SUBJECT)]:
        if len(frozenset().union(*(f.lead.get(key, frozenset()) for f in facts))) > 1:
            return None
    filled = [f for f in facts if f.rows]
    if any(f.first is None or f.last is None for f in filled):
        return None
    for before, after in itertools.pairwise(filled):
        if not before.last < after.first:  # type: ignore[operator]  # both str (checked above)
            return None
    columns = facts[0].columns
    with_data = frozenset().union(*(f.filled for f in facts))
    drops = (
        permissible_drops(spec.variables(name), columns, lambda variable: variable not in with_data)
        if drop_empty_perm
        else []
    )
    kept = tuple(c for c in columns if c not in drops)
    lengths = {c: max(f.lengths[c] for f in facts) for c in kept if c in facts[0].lengths}
    sample = define_sample(pd.concat([f.sample[list(kept)] for f in facts], ignore_index=True), name, spec)
    return Merged(sum(f.rows for f in facts), kept, tuple(drop_notices(name, drops)), lengths, sample)


def define_sample(frame: pd.DataFrame, name: str, spec: Spec) -> pd.DataFrame:
    """A small frame with `frame`'s columns from which define.xml and `spec.with_data_terms` read what they read of
    the whole (both read sets of values: lengths and digits are maxima, has-no-data and the terms used are sets):
    of the value-level columns (each where-variable with the variables it selects), whole rows: for each value of
    each where-variable, the rows with the longest, the most digits and the most decimals of each selected variable
    (`_value_level_rows`); every distinct value of the other columns that are numbers, coded or numbers as text, and
    the longest value (by UTF-8 bytes) of each other text column; other cells null. A sample of samples is a sample
    of the whole."""
    entries = spec.value_level(name)
    grouped = [c for c in frame.columns if c in {e.variable for e in entries} | {e.where_variable for e in entries}]
    variables = {v.name: v for v in spec.variables(name)}
    pieces: list[pd.DataFrame] = []
    if grouped:
        wheres = [c for c in grouped if c in {e.where_variable for e in entries}]
        rows = _value_level_rows(frame, grouped, wheres, variables)
        pieces.append(pd.DataFrame({c: _plain(frame[c].take(rows)) for c in grouped}))
    for column in frame.columns:
        if column in grouped:
            continue
        series = frame[column]
        variable = variables.get(str(column))
        values = _distinct(series)
        plain_text = variable is not None and not variable.codelist and variable.data_type not in ("integer", "float")
        if plain_text and not _numeric(series):
            texts = [v for v in values if isinstance(v, str)]
            values = [max(texts, key=lambda v: max_bytes([v]))] if texts else [None]
        dtype = np.float64 if _numeric(series) else object
        pieces.append(pd.DataFrame({column: pd.Series(values, dtype=dtype)}))
    if not pieces:
        return frame.iloc[:0]
    sample = pd.concat(pieces, ignore_index=True)
    return sample[list(frame.columns)]


def _value_level_rows(
    frame: pd.DataFrame, grouped: list[str], wheres: list[str], variables: dict[str, VariableSpec]
) -> np.ndarray:
    """Positions of the rows of `frame` that keep, for every value (missing too) of each where-variable, the largest
    of each measure define.xml takes of the other value-level columns (`define.lengths.value_length`: bytes as text,
    digits, decimals), one row per value of each where-variable, and one row per value of a coded column."""
    keep: set[int] = set()
    for where in wheres or grouped[:1]:
        groups = pd.Series(text_codes(frame[where])[0] if not _numeric(frame[where]) else pd.factorize(frame[where])[0])
        keep.update(groups.drop_duplicates().index.tolist())  # every value of the where-variable occurs
        for column in grouped:
            if column == where:
                continue
            codes, values = _codes(frame[column])
            if not len(values):
                continue
            for measure in _measures(values):
                per_row = pd.Series(np.append(measure, -1)[codes])  # code -1 (missing) picks -1
                keep.update(per_row.groupby(groups.to_numpy()).idxmax().tolist())
            variable = variables.get(column)
            if variable is not None and variable.codelist:  # the terms used: every value
                keep.update(pd.Series(codes).drop_duplicates().index.tolist())
    return np.array(sorted(keep), dtype=np.intp)


def _codes(series: pd.Series) -> tuple[np.ndarray, list[object]]:
    """(code per row, -1 for missing; the distinct present values)."""
    if _numeric(series):
        codes, uniques = pd.factorize(series.to_numpy(dtype=np.float64, na_value=np.nan))
        return np.asarray(codes, dtype=np.intp), uniques.tolist()
    codes, uniques = text_codes(series)
    return np.asarray(codes, dtype=np.intp), uniques.tolist()


def _measures(values: list[object]) -> list[np.ndarray]:
    """Per distinct value: its length as text, its digits and its decimals, as `value_length` counts them."""
    lengths = [value_length([v], "text")[0] for v in values]
    digits = [value_length([v], "float") for v in values]
    return [
        np.array([n or 0 for n in lengths], dtype=np.int64),
        np.array([d[0] or 0 for d in digits], dtype=np.int64),
        np.array([d[1] or 0 for d in digits], dtype=np.int64),
    ]


def concat_parts(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Conformed parts (same columns) as one frame, part after part (text columns stay categorical)."""
    columns = {}
    for column in parts[0].columns:
        series = [part[column] for part in parts]
        if all(is_categorical(s) for s in series):
            columns[column] = pd.Series(union_categoricals(series, ignore_order=True), name=column)
        else:
            columns[column] = pd.concat(series, ignore_index=True)
    return pd.DataFrame(columns, index=pd.RangeIndex(sum(map(len, parts))))


def _key(value: object) -> object:
    """NaN as None (NaN is not equal to itself)."""
    return None if isinstance(value, float) and np.isnan(value) else value


def _numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _plain(series: pd.Series) -> pd.Series:
    """Numbers as float64, anything else as objects with None for missing."""
    if _numeric(series):
        return series.astype(np.float64).reset_index(drop=True)
    return pd.Series(with_nulls(series), dtype=object)


def _distinct(series: pd.Series) -> list[object]:
    """The distinct values, missing as None (numbers: NaN), in order of first appearance."""
    if _numeric(series):
        return pd.unique(series.to_numpy(dtype=np.float64, na_value=np.nan)).tolist()
    codes, uniques = text_codes(series)
    return [*uniques.tolist(), *([None] if (codes < 0).any() else [])]

"""Compare one dataset present in both packages: metadata, record pairing by key, values. Vectorised throughout.

Pairing: the key values of both datasets are numbered together (one group id per distinct key, missing values
included), each record gets its order within its key group, and records pair on (group, order): duplicate keys
are compared by order of appearance, and reported. Without keys, records pair by row position.

Values: numeric variables are equal when both are missing, equal, or (with a tolerance t > 0) when
|a - b| <= t * max(|a|, |b|); character values are equal when equal after removing trailing blanks (SAS pads
them; XPT readers differ on keeping them); a variable that is character on one side and numeric on the other is
compared as text (numbers without a trailing ".0"). Key variables count as compared and equal in matched records.
A length declared on one side only (Dataset-JSON numeric columns declare none) is not a difference.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from trialinterop.compare.keys import ResolvedKeys
from trialinterop.compare.model import (
    AttributeDifference,
    DatasetComparison,
    DuplicateKeys,
    UnmatchedRow,
    VariableCounts,
)
from trialinterop.validate.package import Dataset, Variable

DUPLICATE_EXAMPLES = 3
Key = tuple[tuple[str, str], ...]


def format_value(value: object) -> str:
    """A value as text for keys and reports: missing -> "", 3.0 -> "3", 0.625 -> "0.625"."""
    if value is None:
        return ""
    if isinstance(value, float | np.floating):
        number = float(value)
        if math.isnan(number):
            return ""
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)
    if isinstance(value, int | np.integer):
        return str(int(value))
    return str(value)


def plain_value(value: object) -> object:
    """A value for the result objects and JSON: numpy scalars to Python, NaN to None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _attributes(a: Dataset, b: Dataset, names_a: list[str], names_b: list[str]) -> list[AttributeDifference]:
    out = []
    if a.label != b.label:
        out.append(AttributeDifference(a.name, "", "dataset label", a.label, b.label))
    vars_a = {v.name: v for v in a.variables}
    vars_b = {v.name: v for v in b.variables}
    set_b = set(names_b)
    for name in names_a:
        if name not in set_b:
            out.append(AttributeDifference(a.name, name, "presence", "present", "absent"))
    set_a = set(names_a)
    for name in names_b:
        if name not in set_a:
            out.append(AttributeDifference(a.name, name, "presence", "absent", "present"))
    for name in names_a:
        if name not in set_b:
            continue
        va, vb = vars_a[name], vars_b[name]
        for attribute in ("type", "length", "label"):
            value_a, value_b = getattr(va, attribute), getattr(vb, attribute)
            if attribute == "length" and (value_a is None or value_b is None):
                continue  # not declared on one side (Dataset-JSON numbers carry no length): nothing to compare
            if value_a != value_b:
                out.append(AttributeDifference(a.name, name, attribute, value_a, value_b))
    return out


def _as_text(values: np.ndarray, numeric: bool) -> np.ndarray:
    if numeric:
        return np.array([format_value(v) for v in values], dtype=object)
    return values.astype(object)


def _key_frames(a: Dataset, b: Dataset, keys: tuple[str, ...]) -> tuple[pd.DataFrame, pd.DataFrame]:
    ka, kb = a.frame[list(keys)].copy(), b.frame[list(keys)].copy()
    for key in keys:
        va, vb = a.variable(key), b.variable(key)
        if va is not None and vb is not None and va.type != vb.type:
            ka[key] = _as_text(ka[key].to_numpy(), va.type == "Num")
            kb[key] = _as_text(kb[key].to_numpy(), vb.type == "Num")
    return ka, kb


def _pair(a: Dataset, b: Dataset, keys: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Group id and order within the group for every record of A and of B."""
    na, nb = len(a.frame), len(b.frame)
    if not keys:
        return np.zeros(na, np.int64), np.arange(na), np.zeros(nb, np.int64), np.arange(nb)
    ka, kb = _key_frames(a, b, keys)
    both = pd.concat([ka, kb], ignore_index=True)
    gid = both.groupby(list(keys), sort=False, dropna=False).ngroup().to_numpy(dtype=np.int64)
    ga, gb = gid[:na], gid[na:]
    occ_a = pd.Series(ga).groupby(ga).cumcount().to_numpy(dtype=np.int64)
    occ_b = pd.Series(gb).groupby(gb).cumcount().to_numpy(dtype=np.int64)
    return ga, occ_a, gb, occ_b


def _key_tuples(ds: Dataset, keys: tuple[str, ...], rows: np.ndarray) -> list[Key]:
    if not keys or not len(rows):
        return [()] * len(rows)
    columns = [[format_value(v) for v in ds.frame[k].to_numpy()[rows]] for k in keys]
    return [tuple(zip(keys, values, strict=True)) for values in zip(*columns, strict=True)]


def _duplicates(side: str, ds: Dataset, keys: tuple[str, ...], groups: np.ndarray) -> DuplicateKeys | None:
    if not keys or not len(groups):
        return None
    counts = np.bincount(groups)
    repeated = counts[groups] > 1
    if not repeated.any():
        return None
    first_rows = np.flatnonzero(repeated & (pd.Series(groups).groupby(groups).cumcount().to_numpy() == 0))
    examples = tuple(_key_tuples(ds, keys, first_rows[:DUPLICATE_EXAMPLES]))
    return DuplicateKeys(side, int((counts > 1).sum()), int(repeated.sum()), examples)


def _equal(ca: np.ndarray, cb: np.ndarray, va: Variable, vb: Variable, tolerance: float) -> np.ndarray:
    if va.type == "Num" and vb.type == "Num":
        fa, fb = ca.astype(float), cb.astype(float)
        with np.errstate(invalid="ignore"):
            equal = (fa == fb) | (np.isnan(fa) & np.isnan(fb))
            if tolerance > 0:
                equal |= np.abs(fa - fb) <= tolerance * np.maximum(np.abs(fa), np.abs(fb))
        return np.asarray(equal, dtype=bool)
    if va.type != vb.type:
        ca, cb = _as_text(ca, va.type == "Num"), _as_text(cb, vb.type == "Num")
    equal = np.asarray(ca == cb, dtype=bool)
    unequal = np.flatnonzero(~equal)
    if len(unequal):
        strip = np.frompyfunc(lambda v: v.rstrip(" ") if isinstance(v, str) else v, 1, 1)
        equal[unequal] = np.asarray(strip(ca[unequal]) == strip(cb[unequal]), dtype=bool)
    return equal


def _unpaired(size: int, paired: np.ndarray) -> np.ndarray:
    mask = np.ones(size, dtype=bool)
    mask[paired] = False
    return np.flatnonzero(mask)


def compare_dataset(
    a: Dataset,
    b: Dataset,
    resolved: ResolvedKeys,
    *,
    is_ignored: Callable[[str], bool],
    tolerance: float = 0.0,
) -> DatasetComparison:
    names_a = [v.name for v in a.variables if not is_ignored(v.name)]
    names_b = [v.name for v in b.variables if not is_ignored(v.name)]
    keys = resolved.keys
    ga, occ_a, gb, occ_b = _pair(a, b, keys)
    width = int(max(occ_a.max(initial=0), occ_b.max(initial=0))) + 1
    code_a, code_b = ga * width + occ_a, gb * width + occ_b
    _, ia, ib = np.intersect1d(code_a, code_b, assume_unique=True, return_indices=True)
    order = np.argsort(ia, kind="stable")
    ia, ib = ia[order], ib[order]
    only_a, only_b = _unpaired(len(code_a), ia), _unpaired(len(code_b), ib)

    result = DatasetComparison(
        name=a.name,
        keys=keys,
        key_source=resolved.source,
        rows_a=len(a.frame),
        rows_b=len(b.frame),
        matched=len(ia),
        counts={},
        attributes=_attributes(a, b, names_a, names_b),
        notes=list(resolved.notes),
    )
    for side, ds, groups in (("A", a, ga), ("B", b, gb)):
        found = _duplicates(side, ds, keys, groups)
        if found:
            result.duplicates.append(found)
    result.only_a = [
        UnmatchedRow(a.name, "A", int(r), k, int(occ_a[r]) + 1)
        for r, k in zip(only_a, _key_tuples(a, keys, only_a), strict=True)
    ]
    result.only_b = [
        UnmatchedRow(a.name, "B", int(r), k, int(occ_b[r]) + 1)
        for r, k in zip(only_b, _key_tuples(b, keys, only_b), strict=True)
    ]

    set_b = set(names_b)
    parts = []
    for position, name in enumerate(n for n in names_a if n in set_b):
        if name in keys:
            result.counts[name] = VariableCounts(name, len(ia), len(ia), 0)
            continue
        va, vb = a.variable(name), b.variable(name)
        if va is None or vb is None:
            continue
        ca, cb = a.frame[name].to_numpy()[ia], b.frame[name].to_numpy()[ib]
        equal = _equal(ca, cb, va, vb, tolerance)
        different = np.flatnonzero(~equal)
        result.counts[name] = VariableCounts(name, len(ia), len(ia) - len(different), len(different))
        if len(different):
            parts.append(
                pd.DataFrame(
                    {
                        "row_a": ia[different],
                        "row_b": ib[different],
                        "position": position,
                        "variable": name,
                        "a": [plain_value(v) for v in ca[different]],
                        "b": [plain_value(v) for v in cb[different]],
                    }
                )
            )
    if parts:
        frame = pd.concat(parts, ignore_index=True).sort_values(["row_a", "position"], kind="stable")
        frame = frame.drop(columns="position").reset_index(drop=True)
        rows = frame["row_a"].to_numpy()
        frame["occurrence"] = occ_a[rows] + 1
        unique_rows, inverse = np.unique(rows, return_inverse=True)
        tuples = _key_tuples(a, keys, unique_rows)
        frame["key"] = [tuples[i] for i in inverse]
        result.value_frame = frame
    return result

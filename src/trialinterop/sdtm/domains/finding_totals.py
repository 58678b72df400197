"""Derived totals of findings instruments: a test with `total_of` in the study definition that was not collected.

For every assessment (subject, instrument, visit, time point) that has a component of a total but no total record,
one total record is added: the sum of the components when every component has a numeric result (--DRVFL = Y),
else NOT DONE with the reason of the first component (in `total_of` order) that has no result. Its date/time and
position are those of the first component that has one. Whole-column work: assessments are group codes, sums and
counts are `numpy.bincount`s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from trialinterop.distinct import first_positions, group_codes, map_distinct
from trialinterop.number_text import number_text

SOURCE_COLUMNS = (
    "subject_id", "instrument", "testcd", "visit_num", "timepoint", "datetime", "result", "unit", "status",
    "reason_not_done", "position", "reference_result", "normal_low", "normal_high", "location", "range_indicator",
    "derived", "standard_result",
)  # fmt: skip
"""The long-form columns of `source.models.Finding`, as the builder holds them; `test` (index into the domain's
tests) is added, and `derived` is also Y on a computed total."""

NULL = np.array(None, dtype=object)
"""A missing value for `numpy.where` over object columns."""


@dataclass(frozen=True, slots=True)
class Total:
    """A total test: its index among the domain's tests and the indices of its components, in `total_of` order."""

    test: int
    testcd: str
    instrument: str
    components: tuple[int, ...]


def result_numbers(results: np.ndarray) -> np.ndarray:
    """Each result text as a float (NaN when missing or not a number), parsed once per distinct text."""
    codes, uniques = pd.factorize(results)
    parsed = pd.to_numeric(pd.Series(np.asarray(uniques, dtype=object), dtype=object), errors="coerce")
    table = np.append(parsed.to_numpy(dtype=np.float64, na_value=np.nan), np.nan)  # the last slot: code -1
    return table[np.asarray(codes, dtype=np.int64)]


def is_done(frame: pd.DataFrame) -> np.ndarray:
    """A record is done when it has a result (or, derived, a standard result) and its status is not NOT DONE."""
    return (_given(frame["result"]) | _given(frame["standard_result"])) & (
        frame["status"].to_numpy(dtype=object) != "NOT DONE"
    )


def _given(column: pd.Series) -> np.ndarray:
    values = column.to_numpy(dtype=object)
    return ~pd.isna(values) & (values != "")


def scored_results(frame: pd.DataFrame) -> np.ndarray:
    """Each record's result text, else its standard result (a derived record without --ORRES)."""
    results = frame["result"].to_numpy(dtype=object)
    return np.where(pd.isna(results), frame["standard_result"].to_numpy(dtype=object), results)


def add_totals(frame: pd.DataFrame, totals: tuple[Total, ...]) -> pd.DataFrame:
    """`frame` (SOURCE_COLUMNS, `test`, `derived`) with a derived record per assessment missing each total."""
    if not totals or frame.empty:
        return frame
    groups, count = group_codes(frame["subject_id"], frame["instrument"], frame["visit_num"], frame["timepoint"])
    tests = frame["test"].to_numpy(dtype=np.int64)
    numbers = np.where(is_done(frame), result_numbers(scored_results(frame)), np.nan)
    added = [_derive(frame, total, groups, count, tests, numbers) for total in totals]
    return pd.concat([frame, *added], ignore_index=True)


def _derive(
    frame: pd.DataFrame, total: Total, groups: np.ndarray, count: int, tests: np.ndarray, numbers: np.ndarray
) -> pd.DataFrame:
    lookup = np.full(max(int(tests.max()), total.test, *total.components) + 1, -1, dtype=np.int64)
    lookup[list(total.components)] = np.arange(len(total.components))
    position = lookup[tests]
    component = position >= 0
    has_component = np.bincount(groups[component], minlength=count) > 0
    has_total = np.bincount(groups[tests == total.test], minlength=count) > 0
    wanted = np.flatnonzero(has_component & ~has_total)
    if not len(wanted):
        return frame.iloc[:0]
    scored = component & ~np.isnan(numbers)
    counts = np.bincount(groups[scored], minlength=count)
    sums = np.bincount(groups[scored], weights=numbers[scored], minlength=count)
    complete = (counts == len(total.components))[wanted]
    dtc = frame["datetime"].to_numpy(dtype=object)
    positions = frame["position"].to_numpy(dtype=object)
    reasons = frame["reason_not_done"].to_numpy(dtype=object)
    first = first_positions(groups, count)[wanted]  # any row of the assessment: subject, visit and time point
    out = pd.DataFrame(
        {
            "subject_id": frame["subject_id"].to_numpy(dtype=object)[first],
            "instrument": total.instrument,
            "testcd": total.testcd,
            "visit_num": frame["visit_num"].to_numpy()[first],
            "timepoint": frame["timepoint"].to_numpy(dtype=object)[first],
            "datetime": _first_of(dtc, component & ~pd.isna(dtc), position, groups, count)[wanted],
            "result": np.where(complete, np.array(map_distinct(number_text, sums[wanted]), dtype=object), NULL),
            "unit": None,
            "status": np.where(complete, NULL, "NOT DONE").astype(object),
            "reason_not_done": np.where(
                complete, NULL, _first_of(reasons, component & np.isnan(numbers), position, groups, count)[wanted]
            ),
            "position": _first_of(positions, scored & ~pd.isna(positions), position, groups, count)[wanted],
            "reference_result": None,
            "normal_low": np.nan,
            "normal_high": np.nan,
            "standard_result": None,
            "test": total.test,
            "derived": np.where(complete, "Y", NULL).astype(object),
        }
    )
    return out.astype({c: object for c in out.columns if c not in ("visit_num", "normal_low", "normal_high", "test")})


def _first_of(
    values: np.ndarray, eligible: np.ndarray, order: np.ndarray, groups: np.ndarray, count: int
) -> np.ndarray:
    """Per group, the value of the eligible row with the lowest `order` (None when the group has none)."""
    rows = np.flatnonzero(eligible)
    chosen = rows[np.lexsort((order[rows], groups[rows]))][::-1]  # reversed: the first of each group is written last
    out = np.full(count, None, dtype=object)
    out[groups[chosen]] = values[chosen]
    return out

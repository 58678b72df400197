"""Whole-column helpers of the derivations: once per distinct value, sort ranks, stable multi-key order."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialinterop.distinct import group_codes, lexsort_rows, map_distinct, sort_ranks


def test_map_distinct_calls_once_per_distinct_tuple_and_passes_missing_as_none():
    calls = []

    def join(a, b):
        calls.append((a, b))
        return f"{a}/{b}"

    result = map_distinct(join, ["x", "x", "y", "x", None], ["1", "1", "1", "2", math.nan])
    assert result == ["x/1", "x/1", "y/1", "x/2", "None/None"]
    assert calls == [("x", "1"), ("y", "1"), ("x", "2"), (None, None)]


def test_map_distinct_of_nothing_is_empty():
    assert map_distinct(lambda a: a, []) == []


def test_group_codes_number_tuples_in_order_of_first_appearance():
    codes, count = group_codes(["a", "b", "a", "a"], [1, 1, 1, 2])
    assert codes.tolist() == [0, 1, 0, 2]
    assert count == 3


def test_sort_ranks_numbers_as_numbers_text_as_text_missing_last():
    assert sort_ranks([10.0, 9.0, None, 2.0]).tolist() == [2, 1, 3, 0]
    assert sort_ranks(["10", "9", None, "2"]).tolist() == [0, 2, 3, 1]
    assert sort_ranks([10, "9", None]).tolist() == [0, 1, 2]  # a mix sorts as text: "10" < "9"


def test_lexsort_rows_is_stable_and_orders_by_first_key_first():
    order = lexsort_rows(["b", "a", "b", "a"], [2.0, None, 1.0, 1.0])
    assert order.tolist() == [3, 1, 2, 0]
    assert lexsort_rows(["s", "s", "s"], [1, 1, 1]).tolist() == [0, 1, 2]


@given(
    st.lists(
        st.tuples(st.sampled_from(["A", "B", "C"]), st.one_of(st.none(), st.integers(-3, 3).map(float))),
        min_size=1,
        max_size=40,
    )
)
def test_lexsort_rows_agrees_with_pandas_stable_sort(rows):
    frame = pd.DataFrame(rows, columns=["k", "v"], dtype=object)
    expected = frame.sort_values(["k", "v"], kind="mergesort", na_position="last", key=lambda c: c.astype(float)
                                 if c.name == "v" else c).index.tolist()  # fmt: skip
    assert lexsort_rows(frame["k"], frame["v"]).tolist() == expected


def test_group_codes_needs_a_column():
    with pytest.raises(ValueError):
        group_codes()


def test_sort_ranks_of_a_float_array_sort_nan_last():
    assert np.argsort(sort_ranks(np.array([3.5, np.nan, -1.0])), kind="stable").tolist() == [2, 0, 1]
    assert np.argsort(sort_ranks(pd.Series([2.0, None, 1.0], dtype="Float64")), kind="stable").tolist() == [2, 0, 1]


def test_map_distinct_keeps_tuple_results_whole():
    assert map_distinct(lambda a: (a, 1), ["x", "y", "x"]) == [("x", 1), ("y", 1), ("x", 1)]


def test_sort_ranks_of_a_categorical_follow_values_not_category_order():
    column = pd.Series(pd.Categorical(["b", None, "a", "b"], categories=["b", "a"]))
    assert np.argsort(sort_ranks(column), kind="stable").tolist() == [2, 0, 3, 1]

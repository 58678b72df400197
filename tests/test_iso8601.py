"""ISO 8601 partial dates, study day, durations (SDTMIG 4.4)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialinterop.iso8601 import compare_dtc, date_part, is_valid_dtc, is_valid_duration, parse_dtc, study_day


@pytest.mark.parametrize(
    "text",
    ["2023", "2023-05", "2023-05-04", "2023-05-04T10", "2023-05-04T10:30", "2023-05-04T10:30:15", "2024-02-29"],
)
def test_valid_partial_values(text):
    assert is_valid_dtc(text)


@pytest.mark.parametrize(
    "text",
    ["", "23-05-04", "2023-13", "2023-02-30", "2023-05-04T24:00", "2023-05-04 10:30", "2023/05/04", "2023-5-4",
     "2023-05-04T10:61", "2023-02-29", "UNK", "2023-05-04T"],
)  # fmt: skip
def test_invalid_values(text):
    assert not is_valid_dtc(text)


def test_parse_keeps_precision():
    value = parse_dtc("2023-05")
    assert (value.year, value.month, value.day) == (2023, 5, None)
    assert not value.is_complete_date


@pytest.mark.parametrize(
    ("dtc", "ref", "expected"),
    [
        ("2022-03-01", "2022-03-01", 1),
        ("2022-03-02", "2022-03-01", 2),
        ("2022-02-28", "2022-03-01", -1),
        ("2022-02-27", "2022-03-01", -2),
        ("2023-03-01T08:00", "2022-03-01T14:45", 366),
        ("2022-03", "2022-03-01", None),
        ("2022-03-05", "2022-03", None),
        (None, "2022-03-01", None),
    ],
)
def test_study_day(dtc, ref, expected):
    assert study_day(dtc, ref) == expected


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 1, 1)), st.integers(-2000, 2000))
def test_study_day_never_zero_and_monotonic(reference, offset):
    target = reference + timedelta(days=offset)
    day = study_day(target.isoformat(), reference.isoformat())
    assert day != 0
    assert day == (offset + 1 if offset >= 0 else offset)


@pytest.mark.parametrize("text", ["P48M", "P1D", "PT2H", "P2W", "P18Y", "P1Y2M3DT4H5M6S"])
def test_valid_durations(text):
    assert is_valid_duration(text)


@pytest.mark.parametrize("text", ["P", "PT", "48M", "P1H", "P-1D", "P1DT"])
def test_invalid_durations(text):
    assert not is_valid_duration(text)


def test_compare_partial():
    assert compare_dtc("2022-03-01", "2022-03-02") == -1
    assert compare_dtc("2022-04", "2022-03-31") == 1
    assert compare_dtc("2022-03", "2022-03-15") == 0
    assert compare_dtc("2022-03-01T10:00", "2022-03-01T09:59") == 1


def test_date_part():
    assert date_part("2022-03-01T10:30") == "2022-03-01"
    assert date_part(None) is None

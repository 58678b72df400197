"""Exact ISO 8601 validity of SDTM --DTC values and durations (SDTMIG 3.4 §4.4.1-4.4.3), and the date rules that
rely on it: TI-DT001 (format), TI-DT002 (durations), TI-DT003 (start after end) and TI-DT004 (study day)."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialinterop.iso8601 import compare_known, is_valid_duration, is_valid_sdtm_dtc, parse_sdtm_dtc
from trialinterop.validate.engine import run_rules
from trialinterop.validate.registry import all_rules
from trialinterop.validate.rules.dates import _complete_dates, _start_after_end
from validate_cases import clean_package, set_value

RULES = {r.id: r for r in all_rules()}

# SDTMIG 3.4 §4.4.2 tables (right truncation, intervals of uncertainty, "-" placeholders) and §4.4.3.2 intervals
SDTMIG_EXAMPLES = [
    "2003-12-15T13:14:17.123", "2003-12-15T13:14:17", "2003-12-15T13:14", "2003-12-15T13", "2003-12-15", "2003-12",
    "2003", "2003-12-15T10:00/2003-12-15T10:30", "2003-01-01/2003-02-15", "2003-12-01/2003-12-10",
    "2003-01-01/2003-06-30", "2003-12-15T-:15", "2003-12-15T13:-:17", "2003---15", "--12-15", "-----T07:15",
    "2003-12-15T10:00/PT2H", "P2D/2003-12-15", "2003-12-15/P1Y2M10DT2H30M",
]  # fmt: skip
VALID = [
    "2012-02-29", "2000-02-29", "--02-29", "2013-05-04T10:30", "2013-05-04T23:59:59", "2013-05-04T00:00:00.5",
    "2013-05-04T10:30:15.123456789", "2013-05-04T10:30Z", "2013-05-04T10:30+05:30", "2013-05-04T10:30:00-08:00",
    "2022-06--T16:57:30", "2022-06-23T-:-:30", "2013-05/2013-06", "2013-05-04T10:30/2013-05-04T10:30",
    "0001-01-01", "9999-12-31",
]  # fmt: skip
INVALID = [
    "2013-13-01", "2013-02-30", "2013-00-00", "2013-01-01T25:61", "2013-01-01T24:00", "2013-01-01T10:60",
    "2013-01-01T10:30:60", "2013-02-29", "1900-02-29", "2013-04-31", "2013-01-32", "2013-01-00", "2013-00",
    "--02-30", "--13-01", "2013---32", "05MAR2022", "2013-1-05", "13-05-04", "20130504", "2013-05-04 10:30",
    "2013-05-04T10:30:", "2013-05-04T", "2013-05-04T1030", "2013-W05", "2013-124", "2013-05-04T10:30+25:00",
    "2013-05-04T10:30+0530", "2013-05-04T10:30:-.5", "2013-05-04T.5", "2013-", "2013--", "2013-05-", "2013-05--",
    "2013-05-04T-", "-", "-----", "---", "2013/", "/2013", "2013-05-04/", "2013-05-10/2013-05-04", "2013/2014/2015",
    "P1D/P2D", "2013-05-04/P", "2013-05-04/17", " 2013-05-04", "2013-05-04 ", "UNK", "2013-UN-UN", "2013-05-04T10h",
]  # fmt: skip
DURATIONS_VALID = [
    "P2Y", "P10W", "P3M14D", "P3D", "P6M17DT3H", "P14DT7H57M", "PT42M18S", "PT0.5H", "P5DT12.25H", "P4.5W", "PT2H",
    "P1DT2H", "P0D", "P1Y2M3DT4H5M6S", "P49M", "PT1.5S",
]  # fmt: skip
DURATIONS_INVALID = [
    "P", "PT", "P1DT", "P1W2D", "P2WT1H", "P.5H", "PT.5H", "P4.W", "P1.5Y2M", "PT1.5H30M", "P1H", "P-1D", "1D", "P1D ",
    "p1d", "PT2H1D", "P1M1Y", "P1,5D",
]  # fmt: skip


@pytest.mark.parametrize("value", SDTMIG_EXAMPLES + VALID)
def test_valid_values(value):
    assert is_valid_sdtm_dtc(value)


@pytest.mark.parametrize("value", INVALID)
def test_invalid_values(value):
    assert not is_valid_sdtm_dtc(value)


@pytest.mark.parametrize("value", DURATIONS_VALID)
def test_valid_durations(value):
    assert is_valid_duration(value)


@pytest.mark.parametrize("value", DURATIONS_INVALID)
def test_invalid_durations(value):
    assert not is_valid_duration(value)


def test_placeholders_leave_components_unknown():
    assert parse_sdtm_dtc("2003---15") == (2003, None, 15, None, None, None)
    assert parse_sdtm_dtc("--12-15") == (None, 12, 15, None, None, None)
    assert parse_sdtm_dtc("-----T07:15") == (None, None, None, 7, 15, None)
    assert parse_sdtm_dtc("2003-12-15T13:-:17") == (2003, 12, 15, 13, None, 17)


# every truncation SDTMIG 3.4 §4.4.2 lists, as strftime formats of a complete datetime
TRUNCATIONS = ["%Y", "%Y-%m", "%Y-%m-%d", "%Y-%m-%dT%H", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f"]
DATETIMES = st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59))


@given(DATETIMES)
def test_every_real_datetime_is_valid_at_every_truncation(moment):
    for pattern in TRUNCATIONS:
        assert is_valid_sdtm_dtc(moment.strftime(pattern)), moment.strftime(pattern)


@given(DATETIMES, st.sets(st.integers(0, 4), min_size=1))
def test_unknown_middle_components_as_placeholders_are_valid(moment, unknown):
    # year..minute may be unknown ("-") as long as the last component written (second) is known
    known = [f"{moment.year:04d}", f"{moment.month:02d}", f"{moment.day:02d}", f"{moment.hour:02d}"]
    known += [f"{moment.minute:02d}", f"{moment.second:02d}"]
    parts = ["-" if i in unknown else part for i, part in enumerate(known)]
    value = f"{parts[0]}-{parts[1]}-{parts[2]}T{parts[3]}:{parts[4]}:{parts[5]}"
    assert is_valid_sdtm_dtc(value), value
    fields = parse_sdtm_dtc(value)
    assert [i for i, field in enumerate(fields) if field is None] == sorted(unknown)


@given(st.dates(min_value=date(1000, 1, 1)), st.dates(min_value=date(1000, 1, 1)))
def test_interval_of_two_valid_dates(a, b):
    start, end = sorted([a, b])
    assert is_valid_sdtm_dtc(f"{start.isoformat()}/{end.isoformat()}")
    assert is_valid_sdtm_dtc(f"{start.isoformat()}/P{(end - start).days}D")
    assert is_valid_sdtm_dtc(f"P{(end - start).days}D/{end.isoformat()}")
    if start != end:  # a reversed interval is not a time interval
        assert not is_valid_sdtm_dtc(f"{end.isoformat()}/{start.isoformat()}")


@given(st.integers(1000, 9999), st.integers(-5, 105).filter(lambda m: not 1 <= m <= 12), st.integers(1, 28))
def test_month_out_of_range_is_invalid(year, month, day):
    if 0 <= month <= 99:
        assert not is_valid_sdtm_dtc(f"{year:04d}-{month:02d}")
        assert not is_valid_sdtm_dtc(f"{year:04d}-{month:02d}-{day:02d}")
    assert not is_valid_sdtm_dtc(f"{year:04d}-{month}-{day:02d}")


@given(st.integers(1000, 9999), st.integers(1, 12), st.integers(0, 99))
def test_day_is_valid_exactly_when_the_month_has_it(year, month, day):
    exists = 1 <= day <= calendar.monthrange(year, month)[1]
    assert is_valid_sdtm_dtc(f"{year:04d}-{month:02d}-{day:02d}") == exists


@given(st.integers(0, 99), st.integers(0, 99), st.integers(0, 99))
def test_time_components_in_range(hour, minute, second):
    value = f"2013-05-04T{hour:02d}:{minute:02d}:{second:02d}"
    assert is_valid_sdtm_dtc(value) == (hour <= 23 and minute <= 59 and second <= 59)
    assert is_valid_sdtm_dtc(f"2013-05-04T{hour:02d}") == (hour <= 23)
    assert is_valid_sdtm_dtc(f"2013-05-04T-:{minute:02d}") == (minute <= 59)


@pytest.mark.parametrize(
    ("value", "valid"),
    [("2012-02-29", True), ("2013-02-29", False), ("1900-02-29", False), ("2000-02-29", True), ("--02-29", True)],
)
def test_leap_years(value, valid):
    assert is_valid_sdtm_dtc(value) == valid


VALUES = st.one_of(
    DATETIMES.flatmap(lambda m: st.sampled_from([m.strftime(p) for p in TRUNCATIONS[:6]])),
    st.sampled_from(["", "2013-13-01", "2013---15", "--05-04", "2013-05-04/2013-05-06", "2013-05", "2013"]),
)


@given(st.lists(st.tuples(VALUES, VALUES), min_size=1, max_size=30))
def test_start_after_end_matches_the_scalar_comparison(pairs):
    starts, ends = pd.Series([p[0] for p in pairs]), pd.Series([p[1] for p in pairs])

    def scalar(a: str, b: str) -> bool:
        if not (a and b and "/" not in a + b and is_valid_sdtm_dtc(a) and is_valid_sdtm_dtc(b)):
            return False
        return compare_known(parse_sdtm_dtc(a), parse_sdtm_dtc(b)) > 0

    assert _start_after_end(starts, ends).tolist() == [scalar(a, b) for a, b in pairs]


def test_start_after_end_at_common_precision():
    starts = pd.Series(["2013-05", "2013-05", "2013-05-04T10:30", "2013-05-04T10", "2013---15", "2014", "2013-05-04"])
    ends = pd.Series(["2013-04-30", "2013-05-01", "2013-05-04T10:29", "2013-05-04", "2013-01-01", "2013-12-31", ""])
    assert _start_after_end(starts, ends).tolist() == [True, False, True, False, False, True, False]


def test_start_after_end_skips_different_zone_offsets():
    starts = pd.Series(["2013-05-04T10:00+02:00", "2013-05-04T10:00+02:00"])
    ends = pd.Series(["2013-05-04T09:30Z", "2013-05-04T09:30+02:00"])
    assert _start_after_end(starts, ends).tolist() == [False, True]


def test_complete_dates_only_for_valid_complete_values():
    values = pd.Series(["2013-05-04T10:30", "2013-05-04T25:61", "2013-02-30", "2013-05", "2013---04", "", "1500-01-01"])
    expected = [pd.Timestamp("2013-05-04")] + [pd.NaT] * 6
    assert _complete_dates(values).tolist() == expected


def _run(package, rule_id):
    return [(i.rule, i.where, i.key, i.field, i.value) for i in run_rules(package, rules=[RULES[rule_id]])]


KEY = "NCT05016804-ATG01-001, AESEQ=1"


@pytest.mark.parametrize("value", ["2013-13-01", "2013-02-30", "2013-00-00", "2013-01-01T25:61", "2013-05-04T24:00"])
def test_dt001_reports_impossible_dates(value):
    package = set_value(clean_package(), "AE", 0, "AESTDTC", value)
    assert _run(package, "TI-DT001") == [("TI-DT001", "AE", KEY, "AESTDTC", value)]


@pytest.mark.parametrize("value", ["2022-03", "2022---05", "--03-05", "2022-03-05T-:15", "2022-03-01/2022-03-05"])
def test_dt001_accepts_sdtmig_partial_values(value):
    package = set_value(clean_package(), "AE", 0, "AESTDTC", value)
    assert _run(package, "TI-DT001") == []


@pytest.mark.parametrize("value", ["2022-13-01", "2022-03-32", "2022-03-05T25:00", "MAR2022"])
def test_malformed_start_is_reported_once(value):
    # the text "2022-13-01" sorts after the end date "2022-03-06": only TI-DT001 may report it
    package = set_value(clean_package(), "AE", 0, "AESTDTC", value)
    findings = [i.rule for i in run_rules(package) if i.rule.startswith("TI-DT")]
    assert findings == ["TI-DT001"]


def test_dt003_compares_at_common_precision():
    same_month = set_value(clean_package(), "AE", 0, "AEENDTC", "2022-03")
    assert _run(same_month, "TI-DT003") == []
    before = set_value(clean_package(), "AE", 0, "AEENDTC", "2022-02")
    assert _run(before, "TI-DT003") == [("TI-DT003", "AE", KEY, "AESTDTC", "2022-03-05 > 2022-02")]
    placeholder = set_value(clean_package(), "AE", 0, "AEENDTC", "2022---01")
    assert _run(placeholder, "TI-DT003") == []


@pytest.mark.parametrize("value", ["P1W2D", "P", "PT.5H", "--P1D"])
def test_dt002_reports_durations_sdtmig_excludes(value):
    package = set_value(clean_package(), "TE", 1, "TEDUR", value)
    assert [(f[0], f[3], f[4]) for f in _run(package, "TI-DT002")] == [("TI-DT002", "TEDUR", value)]


@pytest.mark.parametrize("value", ["P10W", "PT0.5H", "P1DT2H", "-P2M"])
def test_dt002_accepts_durations(value):
    package = set_value(clean_package(), "TE", 1, "TEDUR", value)
    assert _run(package, "TI-DT002") == []


def test_dt004_ignores_impossible_dates():
    # the date part of "2022-03-05T25:00" is a real day, but the value is malformed (TI-DT001): no study day check
    package = set_value(set_value(clean_package(), "AE", 0, "AESTDTC", "2022-03-05T25:00"), "AE", 0, "AESTDY", 40)
    assert _run(package, "TI-DT004") == []
    valid = set_value(set_value(clean_package(), "AE", 0, "AESTDTC", "2022-03-05T23:00"), "AE", 0, "AESTDY", 40)
    assert [f[3] for f in _run(valid, "TI-DT004")] == ["AESTDY"]


def test_distinct_values_parse_once_on_large_columns():
    days = [date(2020, 1, 1) + timedelta(days=i % 500) for i in range(200_000)]
    values = pd.Series([d.isoformat() for d in days])
    assert _complete_dates(values).notna().all()
    assert not _start_after_end(values, values).any()

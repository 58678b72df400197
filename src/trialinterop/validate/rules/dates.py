"""Dates and study days: ISO 8601 --DTC and durations, start not after end, --DY/--STDY/--ENDY, EPOCH."""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np
import pandas as pd

from trialinterop.iso8601 import is_valid_duration, is_valid_sdtm_dtc, parse_sdtm_dtc
from trialinterop.issues import Severity
from trialinterop.validate.context import Context
from trialinterop.validate.package import Dataset
from trialinterop.validate.registry import Finding, rule
from trialinterop.validate.rules._common import blank, row_findings, subject_datasets, text

_DURATION_SUFFIXES = ("DUR", "ELTM", "EVLINT")
_UNKNOWN = -1  # a component not known, in the integer field arrays below
_FIELDS = 6  # year, month, day, hour, minute, second
_ZONE = re.compile(r"(?:Z|[+-]\d{2}:\d{2})$")  # the zone offset ending a valid date/time (after its "T")


def _valid_duration(value: str) -> bool:
    """A duration, or one measured backwards (--EVLINT "-P2M": the 2 months before)."""
    return is_valid_duration(value[1:] if value.startswith("-") else value)


def _valid_values(values: pd.Series, check) -> pd.Series:
    """Apply a scalar validity check once per distinct value (fast on millions of rows with repeated dates)."""
    codes, distinct = pd.factorize(values)
    verdict = np.array([bool(check(v)) for v in distinct] + [True], dtype=bool)  # code -1 (missing): not judged
    return pd.Series(verdict[codes], index=values.index)


def _known_fields(value: str) -> tuple[tuple[int, ...], str]:
    """The components of one valid date/time known before its first unknown one (the rest `_UNKNOWN`), and its zone
    offset text; all unknown for an empty, malformed or interval value (TI-DT001 reports the malformed ones)."""
    try:
        fields = parse_sdtm_dtc(value)
    except ValueError:
        return (_UNKNOWN,) * _FIELDS, ""
    known: list[int] = []
    for field in fields:
        if field is None:
            break
        known.append(field)
    zone = _ZONE.search(value) if "T" in value else None
    return tuple(known) + (_UNKNOWN,) * (_FIELDS - len(known)), zone[0] if zone else ""


def _field_arrays(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(rows x 6 int64 components, zone texts) of a text column, each distinct value parsed once."""
    codes, distinct = pd.factorize(values)
    parsed = [_known_fields(v) for v in distinct] + [((_UNKNOWN,) * _FIELDS, "")]  # code -1: missing
    fields = np.array([p[0] for p in parsed], dtype=np.int64).reshape(len(parsed), _FIELDS)
    zones = np.array([p[1] for p in parsed], dtype=object)
    return fields[codes], zones[codes]


def _dtc_columns(ds: Dataset) -> list[str]:
    return [v.name for v in ds.variables if v.name.endswith("DTC") and v.type == "Char" and v.name in ds.frame]


@rule(
    id="TI-DT001",
    split="subject",
    severity=Severity.ERROR,
    scope="all datasets",
    message="Date/time is not in ISO 8601 format",
    references=["SDTMIG 3.4 §4.4.1", "SDTMIG 3.4 §4.4.2", "SDTMIG 3.4 §4.4.3", "P21 SD0003", "CORE-000547"],
)
def check_dtc_iso8601(ctx: Context) -> Iterator[Finding]:
    """--DTC variables hold ISO 8601 (partial) dates/times: YYYY-MM-DDThh:mm:ss(.n+)?(zone)?, right-truncated or
    with '-' for an unknown component in the middle, or an interval start/end, start/duration, duration/end; every
    known component in range: month 01-12, the day within its month (leap years), hour 00-23, minute/second 00-59."""
    for ds in ctx.datasets():
        for name in _dtc_columns(ds):
            values = text(ds.frame[name])
            bad = (values != "") & ~_valid_values(values, lambda v: v == "" or is_valid_sdtm_dtc(v))
            yield from row_findings(ds, bad, name)  # also when nothing is filled: one call per column, always


@rule(
    id="TI-DT002",
    split="subject",
    severity=Severity.ERROR,
    scope="all datasets",
    message="Duration is not in ISO 8601 format",
    references=["SDTMIG 3.4 §4.4.3", "P21 SD1011"],
)
def check_duration_iso8601(ctx: Context) -> Iterator[Finding]:
    """--DUR, --ELTM, --EVLINT and TE.TEDUR hold ISO 8601 durations (P1D, PT2H, -P2D for an interval before)."""
    for ds in ctx.datasets():
        for var in ds.variables:
            if var.type != "Char" or not (var.name.endswith(_DURATION_SUFFIXES) or var.name == "TEDUR"):
                continue
            values = text(ds.frame[var.name])
            bad = (values != "") & ~_valid_values(values, lambda v: v == "" or _valid_duration(v))
            yield from row_findings(ds, bad, var.name)


def _start_after_end(start: pd.Series, end: pd.Series) -> pd.Series:
    """True where start is certainly after end: both valid single dates/times (not intervals), compared component by
    component on those both know before their first unknown one ("2013-05" vs "2013-04-30" differ at the month,
    "2013-05" vs "2013-05-01" are not known to differ). Malformed values are never compared (TI-DT001 reports them
    once); neither are two times with different zone offsets."""
    s_fields, s_zone = _field_arrays(start)
    e_fields, e_zone = _field_arrays(end)
    common = np.minimum(_known_count(s_fields), _known_count(e_fields))
    common[(s_zone != "") & (e_zone != "") & (s_zone != e_zone)] = 0
    after = np.zeros(len(start), dtype=bool)
    undecided = np.ones(len(start), dtype=bool)
    for j in range(_FIELDS):
        active = undecided & (common > j)
        after |= active & (s_fields[:, j] > e_fields[:, j])
        undecided &= ~(active & (s_fields[:, j] != e_fields[:, j]))
    return pd.Series(after, index=start.index)


def _known_count(fields: np.ndarray) -> np.ndarray:
    """How many leading components are known per row (0 for empty or malformed)."""
    return np.cumprod(fields != _UNKNOWN, axis=1).sum(axis=1)


def _pairs(ds: Dataset) -> list[tuple[str, str]]:
    cols = set(ds.frame.columns)
    pairs = [(c, c[:-5] + "ENDTC") for c in cols if c.endswith("STDTC") and c[:-5] + "ENDTC" in cols]
    if ds.domain == "DM":
        pairs += [(a, b) for a, b in (("RFSTDTC", "RFENDTC"), ("RFXSTDTC", "RFXENDTC")) if a in cols and b in cols]
    return sorted(set(pairs))


@rule(
    id="TI-DT003",
    split="subject",
    severity=Severity.ERROR,
    scope="all datasets",
    message="Start date/time is after end date/time",
    references=["SDTMIG 3.4 §4.4", "P21 SD0013"],
)
def check_start_not_after_end(ctx: Context) -> Iterator[Finding]:
    """--STDTC must not be after --ENDTC, compared on the components both know ("2022-03" is not after
    "2022-03-01"); also RFSTDTC/RFENDTC in DM. A malformed value is not compared (TI-DT001 reports it)."""
    for ds in ctx.datasets():
        for start, end in _pairs(ds):
            s, e = text(ds.frame[start]), text(ds.frame[end])
            yield from row_findings(ds, _start_after_end(s, e), start, values=s + " > " + e, detail=f"{end}")


def _complete_dates(values: pd.Series) -> pd.Series:
    """The calendar date of valid single dates/datetimes with year, month and day known (NaT otherwise: partial,
    malformed or interval values), parsed once per distinct value."""
    codes, distinct = pd.factorize(values)
    fields = np.array([_known_fields(v)[0][:3] for v in distinct] + [(_UNKNOWN,) * 3], dtype=np.int64).reshape(-1, 3)
    # years outside the range of nanosecond timestamps (1677-2262) get no study day
    complete = (fields != _UNKNOWN).all(axis=1) & (fields[:, 0] >= 1678) & (fields[:, 0] <= 2261)
    ymd = np.where(complete[:, None], fields, np.array([1970, 1, 1]))
    days = pd.to_datetime(pd.DataFrame({"year": ymd[:, 0], "month": ymd[:, 1], "day": ymd[:, 2]}))
    days = days.astype("datetime64[ns]").where(complete)
    return pd.Series(days.to_numpy()[codes], index=values.index)


def _study_day_columns(ds: Dataset) -> list[tuple[str, str]]:
    cols = set(ds.frame.columns)
    d = ds.domain
    wanted = [(f"{d}DY", f"{d}DTC"), (f"{d}STDY", f"{d}STDTC"), (f"{d}ENDY", f"{d}ENDTC")]
    return [(day, dtc) for day, dtc in wanted if day in cols and dtc in cols]


def _reference_dates(ctx: Context) -> pd.Series | None:
    dm = ctx.get("DM")
    if dm is None or not {"USUBJID", "RFSTDTC"} <= set(dm.frame.columns):
        return None
    frame = dm.frame.drop_duplicates("USUBJID")
    dates = pd.to_datetime(_complete_dates(text(frame["RFSTDTC"])).to_numpy())
    return pd.Series(dates, index=text(frame["USUBJID"]), dtype="datetime64[ns]")


@rule(
    id="TI-DT004",
    split="subject",
    severity=Severity.ERROR,
    scope="subject datasets",
    message="Study day does not match the date and DM.RFSTDTC",
    references=["SDTMIG 3.4 §4.4.4", "P21 SD1086", "P21 SD1090", "P21 SD1094", "CORE-000529"],
)
def check_study_days(ctx: Context) -> Iterator[Finding]:
    """--DY = date - RFSTDTC + 1 on or after the reference day, date - RFSTDTC before it (no day 0)."""
    reference = _reference_dates(ctx)
    if reference is None or reference.notna().sum() == 0:
        return
    for ds in subject_datasets(ctx.datasets()):
        if ds.domain == "DM":
            continue
        ref = pd.to_datetime(text(ds.frame["USUBJID"]).map(reference).astype("datetime64[ns]"))
        for day, dtc in _study_day_columns(ds):
            dates = _complete_dates(text(ds.frame[dtc]))
            delta = (pd.to_datetime(dates).astype("datetime64[ns]") - ref).dt.days
            expected = delta.where(delta < 0, delta + 1)
            actual = pd.to_numeric(ds.frame[day], errors="coerce")
            bad = expected.notna() & actual.notna() & (expected != actual)
            shown = text(actual) + " (expected " + text(expected) + ")"
            yield from row_findings(ds, bad, day, values=shown)


@rule(
    id="TI-DT005",
    split="subject",
    severity=Severity.ERROR,
    scope="subject datasets",
    message="Study day is 0",
    references=["SDTMIG 3.4 §4.4.4", "P21 SD0038"],
)
def check_no_day_zero(ctx: Context) -> Iterator[Finding]:
    """There is no study day 0: the day before day 1 is day -1."""
    for ds in ctx.datasets():
        for var in ds.variables:
            name = var.name
            if var.type == "Num" and name.endswith(("DY", "STDY", "ENDY")) and name != "VISITDY" and len(name) <= 8:
                if name[:2] != ds.domain and name not in ("VISITDY",):
                    continue
                yield from row_findings(ds, pd.to_numeric(ds.frame[name], errors="coerce") == 0, name)


@rule(
    id="TI-DT006",
    split="subject",
    severity=Severity.WARNING,
    scope="subject datasets",
    message="EPOCH is null although the record has a date",
    references=["SDTMIG 3.4 §4.1.3.1", "P21 SD1339"],
)
def check_epoch_with_date(ctx: Context) -> Iterator[Finding]:
    """Where EPOCH is collected, a record with --DTC/--STDTC should have an EPOCH, unless the date lies certainly
    before the subject's first SE element or after its last one (e.g. medical history or a prior medication that
    began before the study): such a record has no epoch."""
    span = _element_span(ctx)
    for ds in subject_datasets(ctx.datasets()):
        if "EPOCH" not in ds.frame.columns:
            continue
        d = ds.domain
        date_col = next((c for c in (f"{d}STDTC", f"{d}DTC") if c in ds.frame.columns), None)
        if date_col:
            mask = blank(ds.frame["EPOCH"]) & ~blank(ds.frame[date_col])
            if span is not None and mask.any() and ds.domain != "SE":
                dates, subjects = text(ds.frame[date_col]), text(ds.frame["USUBJID"])
                first, last = (subjects.map(bound).fillna("").astype(object) for bound in span)
                mask &= ~(_start_after_end(first, dates) | _start_after_end(dates, last))
            yield from row_findings(ds, mask, "EPOCH", values=ds.frame[date_col])


def _element_span(ctx: Context) -> tuple[pd.Series, pd.Series] | None:
    """Per USUBJID, the earliest SESTDTC and the latest SEENDTC (ISO 8601 text sorts in time order); None without
    SE."""
    se = ctx.get("SE")
    if se is None or not {"USUBJID", "SESTDTC", "SEENDTC"} <= set(se.frame.columns):
        return None
    subjects = text(se.frame["USUBJID"])
    starts, ends = text(se.frame["SESTDTC"]), text(se.frame["SEENDTC"])
    first = starts[starts != ""].groupby(subjects[starts != ""]).min()
    last = ends[ends != ""].groupby(subjects[ends != ""]).max()
    return first, last


@rule(
    id="TI-DT007",
    split="dataset",
    severity=Severity.WARNING,
    scope="subject datasets",
    message="Study day variable missing although its date variable is present",
    references=["FDA FB3201", "FDA FB3202", "CORE-000321", "CORE-000328"],
)
def check_study_day_present(ctx: Context) -> Iterator[Finding]:
    """When --DTC/--STDTC/--ENDTC is submitted and SDTMIG defines --DY/--STDY/--ENDY, the study day is too."""
    for ds in subject_datasets(ctx.datasets()):
        d = ds.domain
        for day, dtc in ((f"{d}DY", f"{d}DTC"), (f"{d}STDY", f"{d}STDTC"), (f"{d}ENDY", f"{d}ENDTC")):
            if dtc in ds.frame.columns and day not in ds.frame.columns and ctx.standard.variable(d, day):
                yield Finding(ds.name, field=day, detail=f"{dtc} is present")

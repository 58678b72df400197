"""Dates and study days: ISO 8601 --DTC and durations, start not after end, --DY/--STDY/--ENDY, EPOCH."""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np
import pandas as pd

from trialinterop.iso8601 import is_valid_dtc, is_valid_duration
from trialinterop.issues import Severity
from trialinterop.validate.context import Context
from trialinterop.validate.package import Dataset
from trialinterop.validate.registry import Finding, rule
from trialinterop.validate.rules._common import blank, row_findings, subject_datasets, text

# SDTMIG 4.4.2: unknown components inside a value are written as "-" ("2003---15", "2003-12-15T-:15").
_WITH_PLACEHOLDERS = re.compile(r"^\d{4}-(\d{2}|-)-(\d{2}|-)(T(\d{2}|-)(:(\d{2}|-))?(:(\d{2}|-))?)?$")
_COMPLETE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_DURATION_SUFFIXES = ("DUR", "ELTM", "EVLINT")


def _valid_dtc(value: str) -> bool:
    if is_valid_dtc(value):
        return True
    if "/" in value:  # an interval: both ends must be valid
        start, _, end = value.partition("/")
        return (not start or _valid_dtc(start)) and (not end or _valid_dtc(end)) and bool(start or end)
    return bool(_WITH_PLACEHOLDERS.match(value)) and "-" in value[5:]


def _valid_values(values: pd.Series, check) -> pd.Series:
    """Apply a scalar validity check once per distinct value (fast on millions of rows with repeated dates)."""
    distinct = pd.unique(values)
    verdict = {v: check(v) for v in distinct}
    return values.map(verdict)


def _dtc_columns(ds: Dataset) -> list[str]:
    return [v.name for v in ds.variables if v.name.endswith("DTC") and v.type == "Char" and v.name in ds.frame]


@rule(
    id="TI-DT001",
    severity=Severity.ERROR,
    scope="all datasets",
    message="Date/time is not in ISO 8601 format",
    references=["SDTMIG 3.4 §4.4.2", "P21 SD0003", "CORE-000547"],
)
def check_dtc_iso8601(ctx: Context) -> Iterator[Finding]:
    """--DTC variables hold ISO 8601 (partial) dates/times: YYYY-MM-DDThh:mm:ss, right-truncated or '-' placeholders."""
    for ds in ctx.datasets():
        for name in _dtc_columns(ds):
            values = text(ds.frame[name])
            filled = values != ""
            if filled.any():
                bad = filled & ~_valid_values(values, lambda v: v == "" or _valid_dtc(v))
                yield from row_findings(ds, bad, name)


@rule(
    id="TI-DT002",
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
            bad = (values != "") & ~_valid_values(values, lambda v: v == "" or is_valid_duration(v.lstrip("-")))
            yield from row_findings(ds, bad, var.name)


def _start_after_end(start: pd.Series, end: pd.Series) -> pd.Series:
    """True where both are valid-looking ISO values and start > end at their common precision."""
    both = (start != "") & (end != "") & start.str.match(r"^\d{4}") & end.str.match(r"^\d{4}")
    common = np.minimum(start.str.len(), end.str.len())
    result = pd.Series(False, index=start.index)
    for n in pd.unique(common[both]):
        rows = both & (common == n)
        result[rows] = start[rows].str.slice(0, int(n)) > end[rows].str.slice(0, int(n))
    return result


def _pairs(ds: Dataset) -> list[tuple[str, str]]:
    cols = set(ds.frame.columns)
    pairs = [(c, c[:-5] + "ENDTC") for c in cols if c.endswith("STDTC") and c[:-5] + "ENDTC" in cols]
    if ds.domain == "DM":
        pairs += [(a, b) for a, b in (("RFSTDTC", "RFENDTC"), ("RFXSTDTC", "RFXENDTC")) if a in cols and b in cols]
    return sorted(set(pairs))


@rule(
    id="TI-DT003",
    severity=Severity.ERROR,
    scope="all datasets",
    message="Start date/time is after end date/time",
    references=["SDTMIG 3.4 §4.4", "P21 SD0013"],
)
def check_start_not_after_end(ctx: Context) -> Iterator[Finding]:
    """--STDTC must not be after --ENDTC (compared at the precision both carry); also RFSTDTC/RFENDTC in DM."""
    for ds in ctx.datasets():
        for start, end in _pairs(ds):
            s, e = text(ds.frame[start]), text(ds.frame[end])
            yield from row_findings(ds, _start_after_end(s, e), start, values=s + " > " + e, detail=f"{end}")


def _complete_dates(values: pd.Series) -> pd.Series:
    """The calendar date of complete dates/datetimes (NaT otherwise), parsed once per distinct value."""
    distinct = pd.Series(pd.unique(values.to_numpy()), dtype=object)
    head = distinct.str.slice(0, 10).where(distinct.str.match(_COMPLETE_DATE), None)
    parsed = pd.to_datetime(head, format="%Y-%m-%d", errors="coerce")
    lookup = pd.Series(parsed.to_numpy(), index=distinct.to_numpy())
    return pd.Series(pd.to_datetime(lookup.reindex(values.to_numpy()).to_numpy()), index=values.index)


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

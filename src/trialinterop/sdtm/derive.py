"""Derivations shared by the domain builders: identifiers, --SEQ, --DY, EPOCH, flags (reference dates, arms and
element windows are made once per context by `sdtm.reference_dates`; their names are re-exported here).

Names follow admiral (`derive_*` add or compute variables, `compute_*` return one value). Decisions (sdtm.md §7):
- EPOCH: the element whose window holds the date, compared at the precision both values share; a partial date
  that is not certainly inside one element, or a date outside every element, gets no EPOCH (never imputed). A
  finding without a date (not done) takes the EPOCH of its visit's date (SV) when the visit took place.
- --LOBXFL: last non-missing result per test not known to be after RFXSTDTC (compared at the precision both
  share: a date-only result on the first dose day counts as pre-dose; a result timed after the dose does not).
- Treatment emergent: start on/after RFXSTDTC; a partial start that cannot be shown to precede RFXSTDTC counts
  as emergent (conservative), and so does an AE of a treated subject with no start date at all (the limiting case
  of a partial date); an AE of a subject never treated is N whatever its date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trialinterop.distinct import group_codes, lexsort_rows, map_distinct, sort_ranks
from trialinterop.iso8601 import compare_dtc, date_part, parse_dtc, to_date
from trialinterop.sdtm.context import SdtmContext
from trialinterop.sdtm.dtc_columns import compare, dtc_column, study_days
from trialinterop.sdtm.reference_dates import derive_reference_dates as derive_reference_dates  # re-exported
from trialinterop.sdtm.subject_reference import SubjectElement as SubjectElement  # re-exported
from trialinterop.sdtm.subject_reference import SubjectReference
from trialinterop.sdtm.subject_reference import derive_usubjid as derive_usubjid  # re-exported
from trialinterop.source.models import Study


def _is_missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)  # NaN != NaN


def compute_epoch(reference: SubjectReference | None, dtc: str | None) -> str | None:
    """EPOCH of the element holding `dtc`, else None (see the module docstring). The one-value reference that
    `derive_epoch` computes over whole columns (property tests hold the two equal).

    A complete date (or datetime) is placed in [start, end) of each element, the subject's last element including
    its end; at the boundary of two elements the later one wins. A partial date gets an EPOCH only when it lies
    certainly inside one element (strictly after its start and before its end at the shared precision).
    """
    if reference is None or _is_missing(dtc) or not dtc:
        return None
    complete = parse_dtc(dtc).is_complete_date
    found = None
    last = len(reference.elements) - 1
    for i, element in enumerate(reference.elements):
        after_start = compare_dtc(dtc, element.start)
        after_end = compare_dtc(dtc, element.end) if element.end is not None else -1
        if complete:
            inside = after_start >= 0 and (after_end < 0 or (after_end == 0 and i == last))
        else:
            inside = after_start > 0 and after_end < 0
        if inside:
            found = element.epoch
    return found


def compute_age(birth_date: str | None, reference_date: str | None) -> int | None:
    """Completed years from a complete birth date to a complete reference date; None otherwise."""
    born, on = to_date(birth_date), to_date(reference_date)
    if born is None or on is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def compute_treatment_emergent(start: str | None, rfxstdtc: str | None) -> str:
    """The one-value reference of SUPPAE AETRTEM (`build_suppae` computes it over the whole column).
    Y when the event starts on/after first treatment (or cannot be shown to start before it, including an event
    with no start date at all), N when it starts before it or the subject was never treated."""
    if not rfxstdtc:
        return "N"
    if not start:
        return "Y"
    return "N" if compare_dtc(start, rfxstdtc) < 0 else "Y"


def compute_visit_name(study: Study, visit_num: float | None) -> str | None:
    """Planned visit name from the study definition; an unplanned visit is the definition's unscheduled prefix and
    its number ("UNSCHEDULED 3.01")."""
    if visit_num is None or _is_missing(visit_num):
        return None
    planned = study.planned_visit(float(visit_num))
    return planned.name if planned is not None else f"{study.unscheduled_prefix} {float(visit_num):g}"


def derive_seq(frame: pd.DataFrame, *, seq: str, order: list[str]) -> pd.DataFrame:
    """Sort by USUBJID then `order` (numbers as numbers, else text; missing values last; stable) and number rows
    1..n per USUBJID."""
    if frame.empty:
        out = frame.copy(deep=False)  # copy-on-write (pandas 3): new columns never reach `frame`
        out[seq] = pd.Series(dtype="Int64")
        return out
    rows = lexsort_rows(*(frame[k] for k in ("USUBJID", *order)))
    out = frame.take(rows).reset_index(drop=True)
    subjects = group_codes(out["USUBJID"])[0]
    positions = np.arange(len(out), dtype=np.int64)
    starts = np.r_[True, subjects[1:] != subjects[:-1]]
    first_of_subject = np.maximum.accumulate(np.where(starts, positions, 0))
    out[seq] = pd.array(positions - first_of_subject + 1, dtype="Int64")
    return out


def derive_study_day(frame: pd.DataFrame, *, dtc: str, dy: str, ctx: SdtmContext) -> pd.DataFrame:
    """--DY from RFSTDTC (day 1; no day 0); None unless both dates are complete."""
    out = frame.copy(deep=False)  # copy-on-write (pandas 3): new columns never reach `frame`
    references = ctx.table.rfstdtc.take(ctx.table.rows(out["USUBJID"]))
    out[dy] = study_days(dtc_column(out[dtc]), references)
    return out


def derive_epoch(frame: pd.DataFrame, *, dtc: str, ctx: SdtmContext, by_visit: bool = False) -> pd.DataFrame:
    """EPOCH from `dtc`; with `by_visit`, a record without a date (e.g. a test not done) takes the EPOCH of the
    date its visit took place (SV), so findings of a visit that happened are never left without an EPOCH.

    Whole-column form of `compute_epoch`: each subject's element windows are spread over its rows, one element
    position at a time, and the same comparisons are made with `dtc_columns.compare`."""
    out = frame.copy(deep=False)
    values = out[dtc].to_numpy(dtype=object)
    if by_visit:
        gaps = np.flatnonzero(pd.isna(values))
        if len(gaps):
            values = values.copy()
            values[gaps] = map_distinct(ctx.visit_date, out["USUBJID"].iloc[gaps], out["VISITNUM"].iloc[gaps])
    when = dtc_column(values)
    rows = ctx.table.rows(out["USUBJID"])
    complete = when.complete_date
    found = np.full(len(out), None, dtype=object)
    for slot in ctx.table.slots:
        exists = slot.exists[rows] & when.present
        start, end = slot.start.take(rows), slot.end.take(rows)
        after_start = compare(when, start)
        after_end = np.where(end.present, compare(when, end), -1)
        inside_complete = (after_start >= 0) & ((after_end < 0) | ((after_end == 0) & slot.last[rows]))
        inside_partial = (after_start > 0) & (after_end < 0)
        inside = exists & np.where(complete, inside_complete, inside_partial)
        found[inside] = slot.epoch[rows][inside]
    out["EPOCH"] = pd.Series(found, index=out.index, dtype=object)
    return out


def derive_visit(frame: pd.DataFrame, *, study: Study) -> pd.DataFrame:
    out = frame.copy(deep=False)  # copy-on-write (pandas 3): new columns never reach `frame`
    visits = map_distinct(lambda value: compute_visit_name(study, value), out["VISITNUM"])
    out["VISIT"] = pd.Series(visits, index=out.index, dtype=object)
    return out


def derive_lobxfl(
    frame: pd.DataFrame, *, flag: str, test: str, result: str, dtc: str, ctx: SdtmContext
) -> pd.DataFrame:
    """Y on the last non-missing result per USUBJID and test not known to be after RFXSTDTC (latest date, then the
    highest VISITNUM, then the first row); None elsewhere."""
    out = frame.copy(deep=False)
    count = len(out)
    when = dtc_column(out[dtc])
    exposure = ctx.table.rfxstdtc.take(ctx.table.rows(out["USUBJID"]))
    eligible = when.present & exposure.present & (compare(when, exposure) <= 0)
    eligible &= ~pd.isna(out[result].to_numpy(dtype=object))
    candidates = np.flatnonzero(eligible)
    flags = np.full(count, None, dtype=object)
    if len(candidates):
        subjects, tests = (out[c].to_numpy(dtype=object)[candidates] for c in ("USUBJID", test))
        keys = group_codes(subjects, tests)[0]
        dates = [str(v) for v in out[dtc].to_numpy(dtype=object)[candidates].tolist()]
        visit_rank = np.full(len(candidates), -1.0)
        if "VISITNUM" in out.columns:
            visits = pd.to_numeric(out["VISITNUM"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            visit_rank = np.where(np.isnan(visits[candidates]), -1.0, visits[candidates])
        # ascending by key, date, visit; descending by position: the last row of each key is the chosen one
        ordered = np.lexsort((-candidates, visit_rank, sort_ranks(dates), keys))
        last = np.r_[keys[ordered][1:] != keys[ordered][:-1], True]
        flags[candidates[ordered[last]]] = "Y"
    out[flag] = pd.Series(flags, index=out.index, dtype=object)
    return out


def dtc_date(dtc: str | None) -> str | None:
    """The date part of an ISO 8601 value (None stays None)."""
    return date_part(dtc) if dtc else None

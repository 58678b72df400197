"""Checks between the files of a records folder: subjects, sites, visits, criteria, mRSS totals, AE seriousness,
start/end order."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from trialinterop.iso8601 import compare_dtc
from trialinterop.issues import Issue
from trialinterop.source import models as m
from trialinterop.source.problems import input_problem
from trialinterop.source.schema import TableSpec


def cross_check(study: m.Study, loaded: dict[str, list[Any]], tables: dict[str, TableSpec]) -> list[Issue]:
    """References between files: subjects, sites, visits, criteria; mRSS totals against their areas; AE seriousness
    against its criteria (an AE whose seriousness is not yet known needs no criterion, but may not have one = Y)."""
    problems: list[Issue] = []
    _check_sites(study, loaded["subjects.csv"], problems)
    _check_references(study, loaded, problems)
    _check_visits(study, loaded["visits.csv"], problems)
    criteria = {c.id for c in study.criteria}
    for e in loaded["eligibility.csv"]:
        if e.criterion_id not in criteria:
            problems.append(input_problem(*_at(e), "criterion_id", "not a criterion of study.json", e.criterion_id))
    for sc in loaded["skin_scores.csv"]:
        if sc.total is None:
            continue
        derived = sc.derived_total
        if derived is not None and sc.total != derived:
            message = f"collected total differs from the sum of the 17 areas ({derived})"
            problems.append(input_problem(*_at(sc), "total", message, str(sc.total)))
    treatments = {i.treatment for i in study.interventions}
    for ex in loaded["exposures.csv"]:
        if ex.treatment not in treatments:
            message = "not the treatment of any intervention in study.json"
            problems.append(input_problem(*_at(ex), "treatment", message, ex.treatment))
    _check_seriousness(loaded["adverse_events.csv"], problems)
    _check_periods(loaded["adverse_events.csv"], problems)
    _check_periods(loaded["exposures.csv"], problems)
    return problems


def _at(row: Any) -> tuple[str, int]:
    return row.origin.file, row.origin.row


def _check_sites(study: m.Study, subjects: list[m.Subject], problems: list[Issue]) -> None:
    sites: dict[str, m.Site] = {}
    for entry in study.sites:
        sites.setdefault(entry.site_id, entry)  # the first, as Study.site
    for s in subjects:
        site = sites.get(s.site_id)
        if site is None:
            problems.append(input_problem(*_at(s), "site_id", "not a site of study.json", s.site_id))
        elif site.country != s.country:
            problems.append(input_problem(*_at(s), "country", f"site {s.site_id} is in {site.country}", s.country))


_SUBJECT_ID, _VISIT = attrgetter("subject_id"), attrgetter("visit_num")


def _check_references(study: m.Study, loaded: dict[str, list[Any]], problems: list[Issue]) -> None:
    """Every row's subject is in subjects.csv; a row with a visit names a visit of its subject in visits.csv (SV
    holds every visit that has records), and an unplanned one is described there."""
    subjects = {s.subject_id for s in loaded["subjects.csv"]}
    planned = {v.visit_num for v in study.visits}
    listed = {(v.subject_id, v.visit_num) for v in loaded["visits.csv"]}
    for file, rows in loaded.items():
        if file == "subjects.csv":
            continue
        check_visit = file != "visits.csv" and bool(rows) and hasattr(rows[0], "visit_num")
        if subjects.issuperset(map(_SUBJECT_ID, rows)) and (
            not check_visit or listed.issuperset(zip(map(_SUBJECT_ID, rows), map(_VISIT, rows), strict=True))
        ):
            continue  # all well, as found in C
        _check_rows_references(rows, subjects, planned if check_visit else None, listed, problems)


def _check_rows_references(
    rows: list[Any], subjects: set[str], planned: set[float] | None, listed: set[tuple[str, float]], problems: list
) -> None:
    """`_check_references` row by row; `planned` is None for a file whose visits are not checked."""
    unknown = "neither a planned visit of study.json nor an unplanned visit in visits.csv"
    unlisted = "this subject's visit is not in visits.csv (every visit with records needs its row there, for SV)"
    for row in rows:
        known = row.subject_id in subjects
        if not known:
            problems.append(input_problem(*_at(row), "subject_id", "not in subjects.csv", row.subject_id))
        if planned is None:
            continue
        visit_num = getattr(row, "visit_num", None)
        if visit_num is None or (row.subject_id, visit_num) in listed or (visit_num in planned and not known):
            continue
        message = unknown if visit_num not in planned else unlisted
        problems.append(input_problem(*_at(row), "visit_num", message, f"{visit_num:g}"))


def _check_visits(study: m.Study, visits: list[m.Visit], problems: list[Issue]) -> None:
    planned = {v.visit_num for v in study.visits}
    for v in visits:
        if v.visit_num not in planned and not v.unplanned_description:
            message = "an unplanned visit needs a description"
            problems.append(input_problem(*_at(v), "unplanned_description", message, f"{v.visit_num:g}"))
        if v.occurred == "Y" and not v.visit_date:
            problems.append(input_problem(*_at(v), "visit_date", "a visit that took place needs a date"))


_SERIOUSNESS = attrgetter(*m.SERIOUSNESS_CRITERIA)


def _check_seriousness(events: list[m.AdverseEvent], problems: list[Issue]) -> None:
    for ae in events:
        flagged = "Y" in _SERIOUSNESS(ae)
        if ae.serious == "Y" and not flagged:
            message = "a serious event needs at least one seriousness criterion = Y"
            problems.append(input_problem(*_at(ae), "serious", message))
        if ae.serious == "N" and flagged:
            problems.append(input_problem(*_at(ae), "serious", "a seriousness criterion is Y but serious = N"))
        if ae.serious is None and flagged:
            problems.append(input_problem(*_at(ae), "serious", "a seriousness criterion is Y but serious is empty"))


def _check_periods(rows: list[Any], problems: list[Issue]) -> None:
    """An end certainly before its start (at the precision both dates share) is an error (SD0013)."""
    for row in rows:
        if row.start and row.end and compare_dtc(row.end, row.start) < 0:
            problems.append(input_problem(*_at(row), "end", f"before the start {row.start}", row.end))

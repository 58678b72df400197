"""Checks between the files of a records folder and against its study definition: subjects, sites and their
countries, visits, findings (test of its instrument, result type and range, unit, collected totals), AE
seriousness, start/end order."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from trialinterop.definition.model import FindingTest, Instrument, StudyDefinition
from trialinterop.iso8601 import compare_dtc
from trialinterop.issues import Issue
from trialinterop.source import models as m
from trialinterop.source.problems import input_problem


def cross_check(definition: StudyDefinition, loaded: dict[str, list[Any]]) -> list[Issue]:
    """References between files and to the definition; AE seriousness against its criteria (an AE whose seriousness
    is not yet known needs no criterion, but may not have one = Y); findings against their tests."""
    problems: list[Issue] = []
    _check_sites(definition, loaded["subjects.csv"], problems)
    _check_references(definition, loaded, problems)
    _check_visits(definition, loaded["visits.csv"], problems)
    _check_findings(definition, loaded["findings.csv"], problems)
    _check_seriousness(loaded["adverse_events.csv"], problems)
    for file in ("adverse_events.csv", "exposures.csv", "medications.csv", "medical_history.csv"):
        _check_periods(loaded[file], problems)
    _check_periods(loaded.get("unplanned_elements.csv", []), problems)
    return problems


def _at(row: Any) -> tuple[str, int]:
    return row.origin.file, row.origin.row


def _check_sites(definition: StudyDefinition, subjects: list[m.Subject], problems: list[Issue]) -> None:
    sites = {entry.id: entry for entry in definition.sites}
    for s in subjects:
        site = sites.get(s.site_id)
        if site is None:
            problems.append(input_problem(*_at(s), "site_id", "not a site of the study definition", s.site_id))
        elif site.country != s.country:
            problems.append(input_problem(*_at(s), "country", f"site {s.site_id} is in {site.country}", s.country))


_SUBJECT_ID, _VISIT = attrgetter("subject_id"), attrgetter("visit_num")


def _check_references(definition: StudyDefinition, loaded: dict[str, list[Any]], problems: list[Issue]) -> None:
    """Every row's subject is in subjects.csv; a row with a visit names a visit of its subject in visits.csv (SV
    holds every visit that has records), and an unplanned one is described there."""
    subjects = {s.subject_id for s in loaded["subjects.csv"]}
    planned = {v.number for v in definition.visits.planned}
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
    unknown = "neither a planned visit of the study definition nor an unplanned visit in visits.csv"
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


def _check_visits(definition: StudyDefinition, visits: list[m.Visit], problems: list[Issue]) -> None:
    planned = {v.number for v in definition.visits.planned}
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


def _check_findings(definition: StudyDefinition, findings: list[m.Finding], problems: list[Issue]) -> None:
    """Each row: a test of its instrument, a result of the test's type within its range, the test's unit (an empty
    unit is the test's own), a result or NOT DONE but not both, a standard result only on a derived record without a
    result; a collected total equals the sum of its components
    when they all have results."""
    tests: dict[tuple[str, str], tuple[Instrument, FindingTest] | None] = {}
    checked: dict[tuple[str, str, str], str | None] = {}
    totals: list[tuple[m.Finding, FindingTest]] = []
    wrong: set[tuple] = set()  # rows whose own result is reported: no total is checked against them
    for row in findings:
        key = (row.instrument, row.testcd)
        if key not in tests:
            instrument = definition.instrument(row.instrument)
            test = instrument.test(row.testcd) if instrument else None
            tests[key] = (instrument, test) if instrument and test else None
        found = tests[key]
        if found is None:
            problems.append(
                input_problem(*_at(row), "testcd", f"not a test of instrument {row.instrument}", row.testcd)
            )
            continue
        test = found[1]
        if row.status == "NOT DONE" and row.result is not None:
            problems.append(input_problem(*_at(row), "result", "a result is given for a test NOT DONE", row.result))
        if row.standard_result is not None:
            _check_standard_result(row, problems)
        if row.unit is not None and row.unit != test.unit and row.unit != test.standard_unit:
            expected = f"the unit of {test.testcd} is {test.unit}" if test.unit else f"{test.testcd} has no unit"
            if test.unit and test.standard_unit:
                expected += f" or its standard unit {test.standard_unit}"
            problems.append(input_problem(*_at(row), "unit", expected, row.unit))
        if row.result is not None:
            result_key = (row.instrument, row.testcd, row.result)
            if result_key not in checked:
                checked[result_key] = _result_problem(test, row.result)
            if checked[result_key]:
                problems.append(input_problem(*_at(row), "result", checked[result_key] or "", row.result))
                wrong.add(_finding_key(row))
            elif test.total_of:
                totals.append((row, test))
    if totals:
        _check_totals(findings, totals, wrong, problems)


def _check_standard_result(row: m.Finding, problems: list[Issue]) -> None:
    """A standard result stands in for the result of a derived record (--DRVFL = Y, --ORRES null): only there."""
    file, number = _at(row)
    value = row.standard_result or ""
    if row.derived != "Y":
        message = "only a derived record (derived = Y) has a standard result"
        problems.append(input_problem(file, number, "standard_result", message, value))
    if row.result is not None:
        message = "a record with a result has no standard result"
        problems.append(input_problem(file, number, "standard_result", message, value))
    if row.status == "NOT DONE":
        message = "a standard result is given for a test NOT DONE"
        problems.append(input_problem(file, number, "standard_result", message, value))


def _result_problem(test: FindingTest, text: str) -> str | None:
    """Why `text` is not a result of `test`; None when it is."""
    if test.result_type == "text":
        return None
    try:
        value = float(text)
    except ValueError:
        return f"not a number ({test.testcd} results are {test.result_type})"
    if test.result_type == "integer" and not value.is_integer():
        return f"not an integer ({test.testcd} results are integers)"
    low, high = test.range or (None, None)
    if (low is not None and value < low) or (high is not None and value > high):
        return f"outside the range of {test.testcd} ({_bound(low)} to {_bound(high)})"
    return None


def _bound(value: float | None) -> str:
    return "any" if value is None else f"{value:g}"


def _finding_key(row: m.Finding, testcd: str | None = None) -> tuple:
    return (row.subject_id, row.instrument, row.visit_num, row.timepoint, testcd or row.testcd)


def _check_totals(
    findings: list[m.Finding], totals: list[tuple[m.Finding, FindingTest]], wrong: set[tuple], problems: list[Issue]
) -> None:
    """A collected total equals the sum of its components, when each has a result that is not itself reported."""
    results: dict[tuple, str | None] = {_finding_key(f): f.result for f in findings}
    for row, test in totals:
        keys = [_finding_key(row, c) for c in test.total_of]
        parts = [results.get(k) for k in keys]
        if any(p is None for p in parts) or row.result is None or any(k in wrong for k in keys):
            continue
        derived = sum(float(p) for p in parts if p is not None)
        if float(row.result) != derived:
            message = f"collected total differs from the sum of its {len(parts)} components ({derived:g})"
            problems.append(input_problem(*_at(row), "result", message, row.result))

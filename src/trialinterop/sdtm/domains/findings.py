"""Findings domains (QS, RE, VS, LB, FT, ...): one builder for the instruments of the study definition in a domain.

Rows are the collected `Finding` records of the domain's instruments, plus derived totals (`finding_totals`).
What a record carries besides its result comes from the definition: --TEST (the test's name), --CAT (instrument
category), --SCAT (the test's subcategory, else the instrument's), --METHOD, --SPEC, the default --POS, units, the
conversion to standard units and the normal range (a record's own normal_low/normal_high win).

Which variables a domain has is the specification's (`mappings/variables.csv`); a Permissible variable nothing in
the study fills (no unit, no category, no time point, ...) is left out, so it is neither submitted empty nor
dropped with a notice. A specified variable this builder does not make (e.g. --BLFL) is passed on empty.

Decisions:
- A record is done when it has a result and its status is not NOT DONE; otherwise --STAT is NOT DONE, --REASND
  its reason, and it has no result, unit, default position, reference or normal range.
- A record the sponsor derived (`derived` = Y) has --DRVFL Y; one with a `standard_result` and no result (SDTMIG
  leaves --ORRES null on a derived record) is done: --ORRES/--ORRESU null, --STRESC the standard result, --STRESN
  its number, --STRESU the test's standard unit (else its unit), no --STAT.
- --STRESN is the number of --ORRES times the test's `conversion` plus its `offset` (when the unit is the test's
  unit, or the test names no unit at all; 1 and no offset when it is already the standard unit; not standardised for
  any other unit), rounded to `decimals`, else to 12 significant digits (no float noise); --STRESC is its text, or
  --ORRES for a result that is no number. --STREFN likewise from --ORREF; --STNRLO/--STNRHI from the normal range.
- --NRIND (where the domain has it): the indicator the record states (`range_indicator`), else LOW below the low
  limit, HIGH above the high one, else NORMAL (a derived record with a standard result alone: that result against
  --STNRLO/--STNRHI); null without a number or a range.
- --LOBXFL per subject and test (instrument and test code); --SEQ by --CAT, --TESTCD, VISITNUM, --DTC, --TPT.
- --TPTNUM, --ELTM and --TPTREF come from the instrument's planned time points (`timepoints`) named by --TPT;
  --LOC is the record's location.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from operator import attrgetter
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from trialinterop.definition.model import FindingTest, Instrument
from trialinterop.distinct import map_distinct
from trialinterop.number_text import number_text
from trialinterop.sdtm.context import SdtmContext
from trialinterop.sdtm.derive import derive_epoch, derive_lobxfl, derive_seq, derive_study_day, derive_visit
from trialinterop.sdtm.domains.base import select, with_identifiers
from trialinterop.sdtm.domains.finding_totals import (
    NULL,
    SOURCE_COLUMNS,
    Total,
    add_totals,
    is_done,
    result_numbers,
)
from trialinterop.source.models import Finding, TrialRecords
from trialinterop.spec import VariableSpec

_TEST_KEY = "_test"  # the builder's own column: the index of the record's test among the domain's tests


@dataclass(frozen=True)
class _Tests:
    """The domain's tests as arrays (one entry per test of each instrument, in definition order)."""

    pairs: tuple[tuple[Instrument, FindingTest], ...]

    def column(self, get: Any, dtype: Any = object) -> np.ndarray:
        return np.array([get(i, t) for i, t in self.pairs], dtype=dtype)

    def index(self, instruments: np.ndarray, testcds: np.ndarray) -> np.ndarray:
        """The test index of each (instrument, testcd); ValueError naming the first unknown pair."""
        known = pd.MultiIndex.from_tuples([(i.code, t.testcd) for i, t in self.pairs])
        found = known.get_indexer(pd.MultiIndex.from_arrays([instruments, testcds]))
        if (found < 0).any():
            row = int(np.flatnonzero(found < 0)[0])
            raise ValueError(f"finding of instrument {instruments[row]} test {testcds[row]}: not a test of the study")
        return found.astype(np.int64)

    def totals(self) -> tuple[Total, ...]:
        found = []
        for number, (instrument, test) in enumerate(self.pairs):
            if test.total_of:
                parts = tuple(self.pairs.index((instrument, instrument.test(c))) for c in test.total_of)
                found.append(Total(number, test.testcd, instrument.code, parts))
        return tuple(found)


def build_findings(
    records: TrialRecords,
    ctx: SdtmContext,
    domain: str,
    *,
    variables: Sequence[VariableSpec] | None = None,
    unused: set[str] | None = None,
) -> pd.DataFrame:
    """Dataset `domain` from `records.findings` of the definition's instruments in that domain; `variables` are the
    domain's specified variables (default: the context's specification); `unused`: the Permissible variables to
    leave out (default: those these records leave unfilled; a part of a domain gets the whole domain's)."""
    if variables is None:
        variables = ctx.spec.variables(domain)
    instruments = records.definition.instruments_in(domain)
    tests = _Tests(tuple((i, t) for i in instruments for t in i.tests))
    source = _source_frame(records, {i.code for i in instruments}, tests)
    source = add_totals(source, tests.totals())
    columns = _result_columns(source, tests, domain)
    frame = (
        with_identifiers(pd.DataFrame(columns), ctx, domain)
        .pipe(derive_visit, study=records.study)
        .pipe(derive_epoch, dtc=f"{domain}DTC", ctx=ctx, by_visit=True)
        .pipe(derive_study_day, dtc=f"{domain}DTC", dy=f"{domain}DY", ctx=ctx)
        .pipe(
            derive_lobxfl, flag=f"{domain}LOBXFL", test=_TEST_KEY, result=f"{domain}STRESC", dtc=f"{domain}DTC", ctx=ctx
        )  # --STRESC: every result, also a derived record's standard result without --ORRES
        .pipe(derive_seq, seq=f"{domain}SEQ", order=[f"{domain}{v}" for v in ("CAT", "TESTCD")] + _later_keys(domain))
    )
    frame["VISITNUM"] = frame["VISITNUM"].astype("Float64")
    if unused is None:
        unused = _unused_variables(domain, instruments, source)
    return select(frame, [v.name for v in variables if not (v.core == "Perm" and v.name in unused)])


_RECORDED: tuple[str, ...] = ("position", "unit", "reference_result", "timepoint", "location", "normal_low")
_RECORDED += ("normal_high", "range_indicator", "derived")
"""The record fields whose presence anywhere in the domain decides whether a Permissible variable is kept
(`_unused_variables`): a part-wise build asks the whole domain about each."""

CHUNK_SUBJECTS = 200
"""Subjects per part when `build_findings_in_parts` builds a large findings dataset."""


def build_findings_in_parts(
    records: TrialRecords, ctx: SdtmContext, domain: str, *, subjects: int = CHUNK_SUBJECTS
) -> pd.DataFrame:
    """`build_findings` built `subjects` subjects at a time, each part's text columns made categorical before the
    next part is built, so the largest datasets (QS: 84 rows a subject) never exist as object columns whole. Every
    derivation is per subject (--SEQ, --LOBXFL, --DY, EPOCH, totals), so the parts are the whole dataset's rows; the
    Permissible variables left out are those the whole domain leaves unfilled. Rows come part by part (conform sorts
    them by the dataset's keys)."""
    if len(records.subjects) <= subjects:
        return build_findings(records, ctx, domain)
    instruments = records.definition.instruments_in(domain)
    parts = findings_by_subjects(records, domain, subjects=subjects)
    if not any(parts):
        return build_findings(records, ctx, domain)
    unused = unused_in_domain(domain, instruments, recorded_fields(f for part in parts for f in part))
    variables = ctx.spec.variables(domain)
    built = [
        build_findings_part(replace(records, findings=tuple(part)), ctx, domain, variables=variables, unused=unused)
        for part in parts
        if part
    ]
    return join_findings_parts(built, variables, unused)


def findings_by_subjects(records: TrialRecords, domain: str, *, subjects: int = CHUNK_SUBJECTS) -> list[list[Finding]]:
    """The domain's findings of every `subjects` subjects (in the order of `records.subjects`), in record order."""
    codes = {i.code for i in records.definition.instruments_in(domain)}
    part_of = {s.subject_id: n // subjects for n, s in enumerate(records.subjects)}
    parts: list[list[Finding]] = [[] for _ in range(len(records.subjects) // subjects + 1)]
    for finding in records.findings:
        if finding.instrument in codes:
            parts[part_of[finding.subject_id]].append(finding)
    return parts


def recorded_fields(findings: Iterable[Finding]) -> frozenset[str]:
    """The `_RECORDED` fields some of `findings` fill (a fact of the whole domain, reduced from its parts)."""
    rows = list(findings)
    return frozenset(name for name in _RECORDED if _filled_anywhere(rows, name))


def unused_in_domain(domain: str, instruments: tuple[Instrument, ...], recorded: Collection[str]) -> set[str]:
    """The Permissible variables the whole domain leaves out, given the `_RECORDED` fields its findings fill."""
    fed = pd.DataFrame({name: [name in recorded] for name in _RECORDED})
    return _unused_variables(domain, instruments, fed.where(fed))


def build_findings_part(
    records: TrialRecords, ctx: SdtmContext, domain: str, *, variables: Sequence[VariableSpec], unused: set[str]
) -> pd.DataFrame:
    """`build_findings` of some subjects' findings (all of theirs in the domain), the text columns categorical:
    every derivation is per subject, so the parts are the whole dataset's rows (`join_findings_parts`)."""
    return build_findings(records, ctx, domain, variables=variables, unused=unused).apply(_compact)


def join_findings_parts(built: list[pd.DataFrame], variables: Sequence[VariableSpec], unused: set[str]) -> pd.DataFrame:
    """The parts of `build_findings_part` as one dataset, part after part."""
    columns = [v.name for v in variables if not (v.core == "Perm" and v.name in unused)]
    return pd.DataFrame(
        {name: _join([frame[name] for frame in built]) for name in columns}, index=pd.RangeIndex(sum(map(len, built)))
    )


def _filled_anywhere(rows: list[Any], name: str) -> bool:
    """Whether any of `rows` has field `name` filled (not None, not NaN): pd.notna only on the distinct values (most
    records leave most of these fields empty, and a test per value was a tenth of the findings build)."""
    values = set(map(attrgetter(name), rows))
    values.discard(None)
    return any(pd.notna(value) for value in values)


def _compact(column: pd.Series) -> pd.Series:
    """An object column as a Categorical whose categories are in order of first appearance (as conform's own
    factorising makes them), so that the joined parts are what conform makes of the whole column."""
    if column.dtype != object:
        return column
    codes, uniques = pd.factorize(column.to_numpy(dtype=object))
    return pd.Series(pd.Categorical.from_codes(codes, pd.Index(uniques, dtype=object)), index=column.index)


def _join(columns: list[pd.Series]) -> pd.Series:
    if isinstance(columns[0].dtype, pd.CategoricalDtype):
        return pd.Series(union_categoricals(columns))
    return pd.concat(columns, ignore_index=True)


def _later_keys(domain: str) -> list[str]:
    return ["VISITNUM", f"{domain}DTC", f"{domain}TPT"]


def _source_frame(records: TrialRecords, codes: set[str], tests: _Tests) -> pd.DataFrame:
    """The domain's findings as columns (SOURCE_COLUMNS, text as object columns), with each record's test index."""
    findings = [f for f in records.findings if f.instrument in codes]
    numeric = ("visit_num", "normal_low", "normal_high")
    frame = pd.DataFrame(
        {
            name: pd.Series(list(map(attrgetter(name), findings)), dtype=np.float64 if name in numeric else object)
            for name in SOURCE_COLUMNS
        }
    )
    frame["test"] = tests.index(frame["instrument"].to_numpy(dtype=object), frame["testcd"].to_numpy(dtype=object))
    return frame


def _result_columns(source: pd.DataFrame, tests: _Tests, domain: str) -> dict[str, Any]:
    """Every variable the builder makes, from the source records and the definition's tests."""
    test = source["test"].to_numpy(dtype=np.int64)
    done = is_done(source)
    per_test = _per_test(tests)
    of = {name: values[test] for name, values in per_test.items()}
    results = np.where(done, source["result"].to_numpy(dtype=object), NULL)
    collected_unit = source["unit"].to_numpy(dtype=object)
    unit = np.where(pd.isna(collected_unit), of["unit"], collected_unit)
    unitless = pd.isna(of["unit"]) & pd.isna(of["standard_unit"])  # a test with no unit: the result is standard
    factor = np.where(
        pd.isna(unit) | (unit == of["unit"]) | unitless,
        of["conversion"],
        np.where(unit == of["standard_unit"], 1.0, np.nan),
    )
    offset = np.where(pd.isna(unit) | (unit == of["unit"]) | unitless, of["offset"], 0.0)
    standard_unit = np.where(np.isnan(factor), unit, np.where(pd.isna(of["standard_unit"]), unit, of["standard_unit"]))
    numbers = result_numbers(results)
    standard = _standardise(numbers, factor, of["decimals"], offset)
    stated_standard = source["standard_result"].to_numpy(dtype=object)
    given = done & ~pd.isna(stated_standard)  # a derived record's own standard result (no --ORRES): as it is
    standard = np.where(given, result_numbers(stated_standard), standard)
    reference = np.where(done, source["reference_result"].to_numpy(dtype=object), NULL)
    positions = source["position"].to_numpy(dtype=object)
    low, high = _normal_range(source, of, done)
    standard_low = _standardise(low, factor, of["decimals"], offset)
    standard_high = _standardise(high, factor, of["decimals"], offset)
    stated = source["range_indicator"].to_numpy(dtype=object)
    indicated = np.where(  # a derived record's own standard result against the standard range
        given, _range_indicator(standard, standard_low, standard_high), _range_indicator(numbers, low, high)
    )
    columns: dict[str, Any] = {
        "subject_id": source["subject_id"].to_numpy(dtype=object),
        _TEST_KEY: test,
        "TESTCD": _text(source["testcd"].to_numpy(dtype=object)),
        "TEST": _text(of["test"]),
        "CAT": _text(of["category"]),
        "SCAT": _text(of["subcategory"]),
        "POS": _text(np.where(pd.isna(positions), np.where(done, of["position"], NULL), positions)),
        "LOC": _text(source["location"].to_numpy(dtype=object)),
        "ORRES": _text(results),
        "ORRESU": _text(np.where(done & ~given, unit, NULL)),
        "ORREF": _text(reference),
        "ORNRLO": _text(_texts(low)),
        "ORNRHI": _text(_texts(high)),
        "STRESC": _text(np.where(given, stated_standard, np.where(np.isnan(standard), results, _texts(standard)))),
        "STRESN": _numbers(standard),
        "STRESU": _text(np.where(done, standard_unit, NULL)),
        "STREFN": _numbers(_standardise(result_numbers(reference), factor, of["decimals"], offset)),
        "STNRLO": _numbers(standard_low),
        "STNRHI": _numbers(standard_high),
        "NRIND": _text(_stated_or(stated, indicated, done)),
        "STAT": _text(np.where(done, NULL, "NOT DONE")),
        "REASND": _text(np.where(done, NULL, source["reason_not_done"].to_numpy(dtype=object))),
        "METHOD": _text(of["method"]),
        "SPEC": _text(of["specimen"]),
        "DRVFL": _text(source["derived"].to_numpy(dtype=object)),
        "VISITNUM": source["visit_num"].to_numpy(dtype=np.float64),
        "TPT": _text(source["timepoint"].to_numpy(dtype=object)),
        **_timepoint_columns(source, tests),
        "DTC": source["datetime"].to_numpy(dtype=object),
    }
    return {name if name in ("subject_id", _TEST_KEY, "VISITNUM") else domain + name: v for name, v in columns.items()}


def _timepoint_columns(source: pd.DataFrame, tests: _Tests) -> dict[str, Any]:
    """--TPTNUM, --ELTM and --TPTREF of each record's --TPT, from its instrument's planned time points."""
    planned = {
        (instrument.code, point.name): point
        for instrument in dict.fromkeys(i for i, _ in tests.pairs)
        for point in instrument.timepoints
    }
    points = [planned.get(key) for key in zip(source["instrument"], source["timepoint"], strict=True)]
    return {
        "TPTNUM": _numbers(np.array([np.nan if p is None else float(p.number) for p in points], dtype=np.float64)),
        "ELTM": _text(np.array([None if p is None else p.elapsed for p in points], dtype=object)),
        "TPTREF": _text(np.array([None if p is None else p.reference for p in points], dtype=object)),
    }


def _per_test(tests: _Tests) -> dict[str, np.ndarray]:
    def bound(test: FindingTest, side: int) -> float:
        value = test.normal_range[side] if test.normal_range else None
        return np.nan if value is None else float(value)

    return {
        "test": tests.column(lambda i, t: t.test),
        "category": tests.column(lambda i, t: i.category),
        "subcategory": tests.column(lambda i, t: t.subcategory or i.subcategory),
        "position": tests.column(lambda i, t: i.position),
        "method": tests.column(lambda i, t: i.method),
        "specimen": tests.column(lambda i, t: i.specimen),
        "unit": tests.column(lambda i, t: t.unit),
        "standard_unit": tests.column(lambda i, t: t.standard_unit),
        "conversion": tests.column(lambda i, t: 1.0 if t.conversion is None else t.conversion, np.float64),
        "offset": tests.column(lambda i, t: 0.0 if t.offset is None else t.offset, np.float64),
        "decimals": tests.column(lambda i, t: -1 if t.decimals is None else t.decimals, np.int64),
        "normal_low": tests.column(lambda i, t: bound(t, 0), np.float64),
        "normal_high": tests.column(lambda i, t: bound(t, 1), np.float64),
    }


def _normal_range(source: pd.DataFrame, of: dict[str, np.ndarray], done: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The record's own range when it gives either limit, else the test's; NaN for a record not done."""
    low = source["normal_low"].to_numpy(dtype=np.float64)
    high = source["normal_high"].to_numpy(dtype=np.float64)
    own = ~np.isnan(low) | ~np.isnan(high)
    low = np.where(own, low, of["normal_low"])
    high = np.where(own, high, of["normal_high"])
    return np.where(done, low, np.nan), np.where(done, high, np.nan)


def _standardise(numbers: np.ndarray, factor: np.ndarray, decimals: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """`numbers` x `factor` + `offset`, rounded to the test's decimals, else to 12 significant digits when
    converted."""
    values = numbers * factor + offset
    out = values.copy()
    for digits in np.unique(decimals[~np.isnan(values)]):
        rows = (decimals == digits) & ~np.isnan(values)
        if digits >= 0:
            out[rows] = np.round(values[rows], int(digits))
        else:
            rows &= (factor != 1.0) | (offset != 0.0)
            out[rows] = np.array(map_distinct(lambda v: float(f"{v:.12g}"), values[rows]), dtype=np.float64)
    return out


def _range_indicator(numbers: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    known = ~np.isnan(numbers) & (~np.isnan(low) | ~np.isnan(high))
    with np.errstate(invalid="ignore"):
        below, above = numbers < low, numbers > high
    out = np.full(len(numbers), None, dtype=object)
    out[known] = "NORMAL"
    out[known & below] = "LOW"
    out[known & above] = "HIGH"
    return out


def _stated_or(stated: np.ndarray, derived: np.ndarray, done: np.ndarray) -> np.ndarray:
    """The indicator the record states (a record done), else the one derived from the range."""
    return np.where(done & ~pd.isna(stated), stated, derived)


def _texts(numbers: np.ndarray) -> np.ndarray:
    """Numbers as result text (NaN -> None), formatted once per distinct value."""
    return np.array(map_distinct(number_text, numbers), dtype=object).reshape(len(numbers))


def _numbers(values: np.ndarray) -> pd.arrays.FloatingArray:
    missing = np.isnan(values)
    return pd.arrays.FloatingArray(np.where(missing, 0.0, values), missing)


def _text(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A text column as codes into its distinct values (a large domain repeats a few values on every row)."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(pd.Index(uniques, dtype=object)))


def _unused_variables(domain: str, instruments: tuple[Instrument, ...], source: pd.DataFrame) -> set[str]:
    """The Permissible variables nothing in the study fills: no definition field and no record value feeds them."""
    tests = [t for i in instruments for t in i.tests]

    def recorded(column: str) -> bool:
        return bool(source[column].notna().any())

    fed = {
        "CAT": any(i.category for i in instruments),
        "SCAT": any(i.subcategory for i in instruments) or any(t.subcategory for t in tests),
        "POS": any(i.position for i in instruments) or recorded("position"),
        "ORRESU": any(t.unit for t in tests) or recorded("unit"),
        "STRESU": any(t.unit or t.standard_unit for t in tests) or recorded("unit"),
        "ORREF": any(t.reference for t in tests) or recorded("reference_result"),
        "STREFN": any(t.reference for t in tests) or recorded("reference_result"),
        "METHOD": any(i.method for i in instruments),
        "SPEC": any(i.specimen for i in instruments),
        "DRVFL": any(t.total_of for t in tests) or recorded("derived"),
        "TPT": recorded("timepoint"),
        "LOC": recorded("location"),
        "TPTNUM": any(i.timepoints for i in instruments),
        "ELTM": any(p.elapsed for i in instruments for p in i.timepoints),
        "TPTREF": any(p.reference for i in instruments for p in i.timepoints),
    }
    ranges = any(t.normal_range for t in tests) or recorded("normal_low") or recorded("normal_high")
    fed |= {name: ranges for name in ("ORNRLO", "ORNRHI", "STNRLO", "STNRHI")}
    fed["NRIND"] = ranges or recorded("range_indicator")
    return {domain + name for name, used in fed.items() if not used}

"""Findings-class rules (QS, RE and every other --TESTCD dataset): test codes and names, results, status."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd

from trialinterop.issues import Severity
from trialinterop.validate.context import Context
from trialinterop.validate.package import Dataset
from trialinterop.validate.registry import Finding, rule
from trialinterop.validate.rules._common import blank, row_findings, text, where_values

_TESTCD = re.compile(r"^[A-Z_][A-Z0-9_]{0,7}$")
_NUMBER = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")  # a continuous (numeric) result
FINDINGS_CLASSES = frozenset({"Findings", "Findings About"})


def _test_pairs(ctx: Context) -> Iterator[tuple[Dataset, str, str]]:
    """(dataset, --TESTCD, --TEST) for every dataset that has both (IE/TI included, TS uses TSPARMCD/TSPARM)."""
    for ds in ctx.datasets():
        for column in ds.frame.columns:
            if column.endswith("TESTCD") and column[:-2] in ds.frame.columns:
                yield ds, column, column[:-2]
        if "TSPARMCD" in ds.frame.columns and "TSPARM" in ds.frame.columns:
            yield ds, "TSPARMCD", "TSPARM"


def _findings_class(ctx: Context) -> Iterator[tuple[Dataset, str]]:
    """(dataset, prefix) for every dataset whose SDTMIG class is Findings or Findings About (split QSxx included)."""
    for ds in ctx.datasets():
        if ctx.standard.dataset_class(ds.domain) in FINDINGS_CLASSES:
            yield ds, ds.domain


def _results(ctx: Context) -> Iterator[tuple[Dataset, str]]:
    for ds in ctx.datasets():
        prefix = ds.domain
        if f"{prefix}ORRES" in ds.frame.columns and f"{prefix}TESTCD" in ds.frame.columns:
            yield ds, prefix


@rule(
    id="TI-FN001",
    split="subject",
    severity=Severity.ERROR,
    scope="findings datasets",
    message="--TESTCD is longer than 8 characters or not letters, digits and underscores starting with a letter",
    references=["SDTMIG 3.4 §4.5.3.1", "P21 SD0018", "CORE-000220"],
)
def check_testcd_format(ctx: Context) -> Iterator[Finding]:
    """Test codes become variable names in transposed data, so they follow SAS name rules."""
    for ds, code, _ in _test_pairs(ctx):
        values = text(ds.frame[code])
        yield from row_findings(ds, (values != "") & ~values.str.match(_TESTCD), code)


@rule(
    id="TI-FN002",
    split="subject",
    severity=Severity.ERROR,
    scope="findings datasets",
    message="--TEST is longer than 40 characters",
    references=["SDTMIG 3.4 §4.5.3.1", "P21 SD0017"],
)
def check_test_length(ctx: Context) -> Iterator[Finding]:
    """Test names become labels in transposed data (40 characters); IETEST may hold up to 200."""
    for ds, _, name in _test_pairs(ctx):
        limit = 200 if name == "IETEST" else 40
        yield from row_findings(ds, text(ds.frame[name]).str.len() > limit, name)


@rule(
    id="TI-FN003",
    split="dataset",
    severity=Severity.ERROR,
    scope="findings datasets",
    message="--TESTCD and --TEST are not one-to-one",
    references=["P21 SD0040", "FDA FB0901", "CORE-000303"],
)
def check_test_one_to_one(ctx: Context) -> Iterator[Finding]:
    """Within a dataset (and --CAT for questionnaires), each test code has one test name and vice versa."""
    for ds, code, name in _test_pairs(ctx):
        category = f"{ds.domain}CAT" if ds.domain in ("QS", "FT", "RS") and f"{ds.domain}CAT" in ds.frame else None
        group = [category] if category else []
        pairs = ds.frame[[*group, code, name]].astype(str).drop_duplicates()
        for left, right in ((code, name), (name, code)):
            counts = pairs.groupby([*group, left])[right].transform("nunique")
            for _, row in pairs[counts > 1].drop_duplicates([*group, left]).iterrows():
                partners = sorted(pairs[(pairs[left] == row[left])][right].unique())
                where = f" in {category}={row[category]}" if category else ""
                yield Finding(ds.name, field=left, value=row[left], detail=f"pairs with {partners}{where}")


@rule(
    id="TI-FN004",
    split="subject",
    severity=Severity.ERROR,
    scope="findings datasets",
    message="--STRESC is null although --ORRES is given",
    references=["SDTMIG 3.4 Findings class (--STRESC)", "P21 SD0036", "CORE-000021"],
)
def check_stresc_populated(ctx: Context) -> Iterator[Finding]:
    """Every original result has a standardised character result."""
    for ds, p in _results(ctx):
        stresc = f"{p}STRESC"
        if stresc in ds.frame.columns:
            mask = ~blank(ds.frame[f"{p}ORRES"]) & blank(ds.frame[stresc])
            yield from row_findings(ds, mask, stresc, values=ds.frame[f"{p}ORRES"])


@rule(
    id="TI-FN005",
    split="subject",
    severity=Severity.WARNING,
    scope="findings datasets",
    message="--ORRES is null on a collected (not derived) record and --STAT is not NOT DONE",
    references=["SDTMIG 3.4 Findings class (--STAT, --DRVFL)", "P21 SD0047"],
)
def check_missing_result_has_status(ctx: Context) -> Iterator[Finding]:
    """A collected test without a result should be marked NOT DONE in --STAT (with --REASND).

    A derived record (--DRVFL=Y, e.g. a questionnaire total) was not collected, so it was never "not done": its
    result is usually only in --STRESC/--STRESN (no original result), or null because the derivation could not be
    made; neither is a test to be marked NOT DONE.
    """
    for ds, p in _results(ctx):
        status = text(ds.frame[f"{p}STAT"]) if f"{p}STAT" in ds.frame.columns else pd.Series("", index=ds.frame.index)
        mask = blank(ds.frame[f"{p}ORRES"]) & (status != "NOT DONE")
        if f"{p}DRVFL" in ds.frame.columns:
            mask &= text(ds.frame[f"{p}DRVFL"]) != "Y"
        yield from row_findings(ds, mask, f"{p}ORRES")


@rule(
    id="TI-FN006",
    split="subject",
    severity=Severity.ERROR,
    scope="findings datasets",
    message="--STAT is NOT DONE but a result is given",
    references=["SDTMIG 3.4 Findings class (--STAT)", "CORE-000099"],
)
def check_not_done_has_no_result(ctx: Context) -> Iterator[Finding]:
    """NOT DONE means no result: --ORRES must be null."""
    for ds, p in _results(ctx):
        if f"{p}STAT" in ds.frame.columns:
            mask = (text(ds.frame[f"{p}STAT"]) == "NOT DONE") & ~blank(ds.frame[f"{p}ORRES"])
            yield from row_findings(ds, mask, f"{p}ORRES")


@rule(
    id="TI-FN007",
    split="subject",
    severity=Severity.ERROR,
    scope="findings datasets",
    message="--STRESN differs from the numeric value of --STRESC",
    references=["SDTMIG 3.4 Findings class (--STRESN)"],
)
def check_stresn_matches_stresc(ctx: Context) -> Iterator[Finding]:
    """When --STRESC is a number, --STRESN holds the same number (and is null otherwise)."""
    for ds, p in _results(ctx):
        stresc, stresn = f"{p}STRESC", f"{p}STRESN"
        if stresc not in ds.frame.columns or stresn not in ds.frame.columns:
            continue
        as_number = pd.to_numeric(text(ds.frame[stresc]), errors="coerce")
        actual = pd.to_numeric(ds.frame[stresn], errors="coerce")
        bad = actual.notna() & (as_number.isna() | ((as_number - actual).abs() > 1e-9 * as_number.abs().clip(lower=1)))
        yield from row_findings(ds, bad, stresn, values=text(actual) + " / " + text(ds.frame[stresc]))


@rule(
    id="TI-FN008",
    split="subject",
    severity=Severity.ERROR,
    scope="findings class datasets",
    message="Baseline flag --BLFL = Y on a record without a standard result (--STRESC is null)",
    references=["SDTMIG 3.4 Findings class (--BLFL)", "FDA FB2601", "CORE-000643"],
)
def check_baseline_has_result(ctx: Context) -> Iterator[Finding]:
    """The baseline record is the one whose result is the baseline value: it must have a standard result."""
    for ds, p in _findings_class(ctx):
        blfl, stresc = f"{p}BLFL", f"{p}STRESC"
        if blfl in ds.frame.columns and stresc in ds.frame.columns:
            mask = (text(ds.frame[blfl]) == "Y") & blank(ds.frame[stresc])
            yield from row_findings(ds, mask, blfl, values=_test_code(ds, p))


@rule(
    id="TI-FN009",
    split="subject",
    severity=Severity.WARNING,
    scope="findings class datasets",
    message="--STAT is NOT DONE but the reason not done (--REASND) is null or the variable is missing",
    references=["SDTMIG 3.4 Findings class (--REASND)", "FDA FB4202", "CORE-000774"],
)
def check_not_done_has_reason(ctx: Context) -> Iterator[Finding]:
    """A test marked NOT DONE says why in --REASND (a dataset with NOT DONE records needs the variable)."""
    for ds, p in _findings_class(ctx):
        stat, reasnd = f"{p}STAT", f"{p}REASND"
        if stat not in ds.frame.columns:
            continue
        mask = text(ds.frame[stat]) == "NOT DONE"
        if reasnd in ds.frame.columns:
            mask &= blank(ds.frame[reasnd])
        yield from row_findings(ds, mask, reasnd, values=_test_code(ds, p))


@rule(
    id="TI-FN010",
    split="subject",
    severity=Severity.WARNING,
    scope="findings class datasets",
    message="--ORRES is not a number (not a continuous result) but the normal range --ORNRLO/--ORNRHI is populated",
    references=[
        "SDTMIG 3.4 Findings class (--ORNRLO, --ORNRHI)",
        "CDISC CG0180",
        "CDISC CG0181",
        "CORE-000290",
        "CORE-000289",
    ],
)
def check_range_only_for_numeric_results(ctx: Context) -> Iterator[Finding]:
    """Normal ranges in original units are given only for continuous results; `<40` or `NEGATIVE` is not one."""
    for ds, p in _findings_class(ctx):
        orres = f"{p}ORRES"
        ranges = [c for c in (f"{p}ORNRLO", f"{p}ORNRHI") if c in ds.frame.columns]
        if orres not in ds.frame.columns or not ranges:
            continue
        results = ds.frame[orres]
        not_numeric = ~blank(results) & ~where_values(results, lambda v: bool(_NUMBER.match(str(v))))
        bad = not_numeric & pd.concat([~blank(ds.frame[c]) for c in ranges], axis=1).any(axis=1)
        if not bad.any():
            continue
        parts = [(f"{c} " + text(ds.frame.loc[bad, c])).where(~blank(ds.frame.loc[bad, c]), "") for c in ranges]
        shown_range = parts[0] if len(parts) == 1 else (parts[0] + ", " + parts[1]).str.strip(", ")
        values = text(results[bad]) + " (" + shown_range + ")"
        yield from row_findings(ds, bad, orres, values=values.reindex(ds.frame.index))


def _test_code(ds: Dataset, prefix: str) -> pd.Series | None:
    """The record's test code, shown as the finding's value when the flagged variable itself says little."""
    column = f"{prefix}TESTCD"
    return ds.frame[column] if column in ds.frame.columns else None

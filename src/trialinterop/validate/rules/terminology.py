"""Controlled terminology: codelist membership, --TESTCD/--TEST pairs and NCI codes, against CDISC CT.

Codelists are the ones SDTMIG 3.4 links to each variable (bundled CT, `mappings/sdtmig-3.4/ct.csv`); a sponsor
extension of an extensible codelist that the package's define.xml declares is accepted. Each distinct bad value is
reported once per dataset and variable with the number of records holding it (values repeat over many rows).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd

from trialinterop.issues import Severity
from trialinterop.validate.context import Context
from trialinterop.validate.package import Dataset
from trialinterop.validate.registry import Finding, rule
from trialinterop.validate.rules._common import record_keys, shown, text
from trialinterop.validate.standards import StandardCodelist

_NCI_CODE = re.compile(r"^C\d+$")


# SDTMIG conventions that are not CT terms: DM assumption 6 (more than one race reported -> RACE = MULTIPLE).
IG_CONVENTIONS = {"RACE": frozenset({"MULTIPLE"})}
RESULT_SUFFIXES = ("ORRES", "STRESC")  # results use codelists only through value-level metadata


def _linked(ctx: Context, ds: Dataset, name: str) -> list[StandardCodelist]:
    std = ctx.standard.variable(ds.domain, name)
    if std is None or name.endswith(RESULT_SUFFIXES):
        return []
    return [ctx.standard.codelists[c] for c in std.codelists if c in ctx.standard.codelists]


def _define_values(ctx: Context, ds: Dataset, name: str) -> frozenset[str]:
    define = ctx.package.define
    if define is None or ds.name not in define.datasets:
        return frozenset()
    var = define.datasets[ds.name].variables.get(name)
    if var is None or var.codelist is None:
        return frozenset()
    return define.codelists.get(var.codelist, frozenset())


def _bad_values(ctx: Context, *, extensible: bool) -> Iterator[Finding]:
    for ds in ctx.datasets():
        for name in ds.frame.columns:
            codelists = _linked(ctx, ds, name)
            if not codelists or any(c.extensible for c in codelists) != extensible:
                continue
            allowed = set().union(*(c.terms for c in codelists)) | _define_values(ctx, ds, name)
            allowed |= IG_CONVENTIONS.get(name, frozenset())
            values = text(ds.frame[name])
            bad = (values != "") & ~values.isin(allowed)
            if not bad.any():
                continue
            lists = ", ".join(f"{c.name} ({c.code})" for c in codelists)
            counts = values[bad].value_counts(sort=False)
            firsts = values[bad].drop_duplicates()
            keys = dict(zip(firsts.tolist(), record_keys(ds, values.index.isin(firsts.index)), strict=True))
            for value in sorted(counts.index):
                yield Finding(ds.name, keys[value], name, shown(value), f"codelist {lists}; {counts[value]} record(s)")


@rule(
    id="TI-CT001",
    split="dataset",
    severity=Severity.ERROR,
    scope="variables with non-extensible CDISC codelists",
    message="Value is not in the (non-extensible) CDISC codelist",
    references=["CDISC SDTM CT", "P21 CT2001"],
)
def check_nonextensible_codelists(ctx: Context) -> Iterator[Finding]:
    """Values of variables tied to a non-extensible codelist (SEX, NY, RACE, AESEV, OUT, ...) must be its terms."""
    yield from _bad_values(ctx, extensible=False)


@rule(
    id="TI-CT002",
    split="dataset",
    severity=Severity.WARNING,
    scope="variables with extensible CDISC codelists",
    message="Value is not in the extensible CDISC codelist (sponsor extension not declared in define.xml)",
    references=["CDISC SDTM CT", "P21 CT2002"],
)
def check_extensible_codelists(ctx: Context) -> Iterator[Finding]:
    """Extensions of extensible codelists (UNIT, ROUTE, EPOCH, ...) must be declared in the define.xml codelist."""
    yield from _bad_values(ctx, extensible=True)


@rule(
    id="TI-CT003",
    split="dataset",
    severity=Severity.ERROR,
    scope="findings datasets with CDISC test codelists",
    message="--TESTCD and --TEST are different CDISC terms",
    references=["CDISC SDTM CT (paired test code / test name codelists)", "P21 CT2003"],
)
def check_test_pairs(ctx: Context) -> Iterator[Finding]:
    """A CDISC test code and its test name share one NCI code (e.g. RETESTCD FVC with RETEST Forced Vital Capacity)."""
    for ds in ctx.datasets():
        for code_var in [c for c in ds.frame.columns if c.endswith("TESTCD") and c[:-2] in ds.frame.columns]:
            name_var = code_var[:-2]
            code_lists, name_lists = _linked(ctx, ds, code_var), _linked(ctx, ds, name_var)
            if not code_lists or not name_lists:
                continue
            code_of = {v: c for cl in code_lists for v, c in cl.terms.items()}
            name_of = {v: c for cl in name_lists for v, c in cl.terms.items()}
            pairs = pd.DataFrame({"cd": text(ds.frame[code_var]), "nm": text(ds.frame[name_var])}).drop_duplicates()
            for cd, nm in pairs.itertuples(index=False):
                if cd in code_of and nm in name_of and code_of[cd] != name_of[nm]:
                    yield Finding(
                        ds.name, field=code_var, value=f"{cd} / {nm}", detail=f"{code_of[cd]} vs {name_of[nm]}"
                    )


def _ts_coded_rows(ctx: Context):
    """(row index, TSPARMCD, TSVAL, TSVALCD, codelist or None) for TS rows whose parameter has a CDISC codelist."""
    ts = ctx.get("TS")
    if ts is None or not {"TSPARMCD", "TSVAL"} <= set(ts.frame.columns):
        return
    frame = ts.frame
    codes = text(frame["TSVALCD"]) if "TSVALCD" in frame.columns else text(frame["TSVAL"]).map(lambda _: "")
    for index, param, value, code in zip(
        frame.index, text(frame["TSPARMCD"]), text(frame["TSVAL"]), codes, strict=True
    ):
        codelist = ctx.standard.codelists.get(ctx.standard.ts_value_codelists.get(param, ""))
        yield index, param, value, code, codelist


@rule(
    id="TI-CT004",
    split="dataset",
    severity=Severity.ERROR,
    scope="TS",
    message="TSVALCD is not the NCI code of TSVAL",
    references=["SDTMIG 3.4 TS assumptions (TSVALCD)", "CDISC CG0265", "CORE-000152"],
)
def check_tsvalcd(ctx: Context) -> Iterator[Finding]:
    """A TSVALCD is an NCI C-code; for a parameter with a CDISC codelist it is the code of the TSVAL term."""
    for _, param, value, code, codelist in _ts_coded_rows(ctx):
        if not code:
            continue
        expected = codelist.terms.get(value) if codelist is not None else None
        if not _NCI_CODE.match(code) and codelist is not None:
            yield Finding("TS", f"TSPARMCD={param}", "TSVALCD", code, f"TSVAL {value!r}: not an NCI C-code")
        elif expected is not None and code != expected:
            yield Finding("TS", f"TSPARMCD={param}", "TSVALCD", code, f"{value!r} is {expected} in {codelist.name}")


@rule(
    id="TI-CT005",
    split="dataset",
    severity=Severity.WARNING,
    scope="TS",
    message="TSVAL is not a term of the CDISC codelist for its parameter",
    references=["FDA Study Data TCG Appendix B", "SDTMIG 3.4 TS assumptions", "P21 CT2002"],
)
def check_tsval_terms(ctx: Context) -> Iterator[Finding]:
    """Coded parameters (STYPE, TPHASE, TBLIND, INTMODEL, RANDOM, ...) take their value from the matching codelist."""
    for _, param, value, _, codelist in _ts_coded_rows(ctx):
        if codelist is not None and value and value not in codelist.terms:
            yield Finding(
                "TS", f"TSPARMCD={param}", "TSVAL", shown(value), f"codelist {codelist.name} ({codelist.code})"
            )

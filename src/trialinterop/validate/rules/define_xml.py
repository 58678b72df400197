"""define.xml against the data: datasets, variables, types, lengths, labels and codelist values (when given)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from trialinterop.issues import Severity
from trialinterop.validate.context import Context
from trialinterop.validate.registry import Finding, rule
from trialinterop.validate.rules._common import distinct_counts, shown, text

_NUMERIC_TYPES = frozenset({"integer", "float"})


def _pairs(ctx: Context):
    define = ctx.package.define
    if define is None:
        return
    for ds in ctx.datasets():
        spec = define.datasets.get(ds.name)
        if spec is not None:
            yield ds, spec


@rule(
    id="TI-DF001",
    split="package",
    severity=Severity.ERROR,
    scope="define.xml",
    message="Dataset and define.xml disagree: dataset not described, or described but not submitted",
    references=["Define-XML 2.1 ItemGroupDef", "FDA Technical Rejection Criteria 1736"],
)
def check_define_datasets(ctx: Context) -> Iterator[Finding]:
    """Every submitted dataset has an ItemGroupDef, and every ItemGroupDef a dataset."""
    define = ctx.package.define
    if define is None or not ctx.package.datasets:
        return
    for name in ctx.package.datasets:
        if name not in define.datasets:
            yield Finding(name, detail="not in define.xml")
    if not any(Path(p).is_dir() for p in ctx.package.inputs):
        return  # single files were named: the rest of the package is simply not part of this run
    for name in define.datasets:
        if name not in ctx.package.datasets:
            yield Finding(name, detail="in define.xml but no dataset file")


@rule(
    id="TI-DF002",
    split="dataset",
    severity=Severity.ERROR,
    scope="define.xml",
    message="Variable and define.xml disagree: variable not described, or described but absent",
    references=["Define-XML 2.1 ItemRef/ItemDef"],
)
def check_define_variables(ctx: Context) -> Iterator[Finding]:
    """The variables of each dataset are exactly its define.xml ItemRefs."""
    for ds, spec in _pairs(ctx):
        names = [v.name for v in ds.variables]
        for name in names:
            if name not in spec.variables:
                yield Finding(ds.name, field=name, detail="not in define.xml")
        for name in spec.variables:
            if name not in names:
                yield Finding(ds.name, field=name, detail="in define.xml but not in the dataset")


@rule(
    id="TI-DF003",
    split="dataset",
    severity=Severity.ERROR,
    scope="define.xml",
    message="Variable type differs from its define.xml DataType",
    references=["Define-XML 2.1 ItemDef DataType"],
)
def check_define_types(ctx: Context) -> Iterator[Finding]:
    """integer/float variables are numeric in the data; text, date, datetime ... are character."""
    for ds, spec in _pairs(ctx):
        for var in ds.variables:
            item = spec.variables.get(var.name)
            if item is None or not item.data_type:
                continue
            expected = "Num" if item.data_type in _NUMERIC_TYPES else "Char"
            if var.type != expected:
                yield Finding(ds.name, field=var.name, value=var.type, detail=f"define.xml DataType {item.data_type}")


@rule(
    id="TI-DF004",
    split="dataset",
    severity=Severity.ERROR,
    scope="define.xml",
    message="Character values are longer than the define.xml Length",
    references=["Define-XML 2.1 ItemDef Length", "P21 SD1082"],
)
def check_define_lengths(ctx: Context) -> Iterator[Finding]:
    """Declared lengths hold every value."""
    for ds, spec in _pairs(ctx):
        for var in ds.variables:
            item = spec.variables.get(var.name)
            if item is None or item.length is None or var.type != "Char" or ds.frame.empty:
                continue
            distinct = ds.frame[var.name].drop_duplicates()  # values repeat: measure each distinct value once
            longest = max(len(v.rstrip().encode("utf-8")) for v in text(distinct).tolist())
            if longest > item.length:
                yield Finding(ds.name, field=var.name, value=str(longest), detail=f"define.xml Length {item.length}")


@rule(
    id="TI-DF005",
    split="dataset",
    severity=Severity.WARNING,
    scope="define.xml",
    message="Variable label differs from its define.xml Description",
    references=["Define-XML 2.1 ItemDef Description"],
)
def check_define_labels(ctx: Context) -> Iterator[Finding]:
    """The label in the file and the label in define.xml are the same text."""
    for ds, spec in _pairs(ctx):
        for var in ds.variables:
            item = spec.variables.get(var.name)
            if item is not None and item.label and item.label != var.label:
                yield Finding(ds.name, field=var.name, value=shown(var.label), detail=f"define.xml: {item.label!r}")


@rule(
    id="TI-DF006",
    split="dataset",
    severity=Severity.ERROR,
    scope="define.xml",
    message="Value is not in the variable's define.xml codelist",
    references=["Define-XML 2.1 CodeListRef", "P21 CT2001"],
)
def check_define_codelists(ctx: Context) -> Iterator[Finding]:
    """Where define.xml links a codelist to a variable, every value is one of its coded values."""
    define = ctx.package.define
    if define is None:
        return
    for ds, spec in _pairs(ctx):
        for var in ds.variables:
            item = spec.variables.get(var.name)
            if item is None or item.codelist is None or item.codelist not in define.codelists:
                continue
            allowed = define.codelists[item.codelist]
            if not allowed:
                continue
            counts: dict[str, int] = {}
            for value, count in zip(*distinct_counts(text(ds.frame[var.name])), strict=True):
                stripped = str(value).strip()
                if stripped and stripped not in allowed:
                    counts[stripped] = counts.get(stripped, 0) + int(count)
            for value in sorted(counts):
                detail = f"codelist {item.codelist}; {counts[value]} record(s)"
                yield Finding(ds.name, field=var.name, value=shown(value), detail=detail)

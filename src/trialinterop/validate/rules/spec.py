"""Spec-driven checks: when the package is this project's study, its own specification (`mappings/`, loaded by
`trialinterop.spec.load_spec`) is the reference for codelists and variable metadata, beyond SDTMIG and CDISC CT."""

from __future__ import annotations

from collections.abc import Iterator

from trialinterop.issues import Severity
from trialinterop.validate.context import Context
from trialinterop.validate.registry import Finding, rule
from trialinterop.validate.rules._common import shown, text


def _spec_variables(ctx: Context):
    spec = ctx.spec
    if spec is None:
        return
    for ds in ctx.datasets():
        if ds.name not in spec.dataset_names:
            continue
        by_name = {v.name: v for v in spec.variables(ds.name)}
        for var in ds.variables:
            if var.name in by_name:
                yield ds, var, by_name[var.name]


@rule(
    id="TI-SP001",
    split="package",
    severity=Severity.ERROR,
    scope="datasets of this project's study",
    message="Value is not in the study specification's codelist for the variable",
    references=["mappings/variables.csv + mappings/codelists.csv (sponsor specification)", "P21 CT2001"],
)
def check_spec_codelists(ctx: Context) -> Iterator[Finding]:
    """Every value of a variable with a codelist in the study spec is one of that codelist's terms."""
    for ds, var, spec_var in _spec_variables(ctx):
        if not spec_var.codelist or ctx.spec.is_dictionary(spec_var.codelist):
            continue
        codelist = ctx.spec.codelist(spec_var.codelist)
        if codelist is None:
            continue
        values = text(ds.frame[var.name])
        counts = values[(values != "") & ~values.isin(codelist.values)].value_counts()
        for value in sorted(counts.index):
            detail = f"codelist {spec_var.codelist}; {counts[value]} record(s)"
            yield Finding(ds.name, field=var.name, value=shown(value), detail=detail)


@rule(
    id="TI-SP002",
    split="package",
    severity=Severity.ERROR,
    scope="datasets of this project's study",
    message="Variable label or type differs from the study specification",
    references=["mappings/variables.csv (sponsor specification)", "Define-XML 2.1 ItemDef"],
)
def check_spec_metadata(ctx: Context) -> Iterator[Finding]:
    """Labels and SAS types in the files are the ones the study specification declares."""
    for ds, var, spec_var in _spec_variables(ctx):
        if spec_var.label != var.label:
            yield Finding(ds.name, field=var.name, value=shown(var.label), detail=f"spec label {spec_var.label!r}")
        if spec_var.type != var.type:
            yield Finding(ds.name, field=var.name, value=var.type, detail=f"spec type {spec_var.type}")

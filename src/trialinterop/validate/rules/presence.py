"""Presence: the datasets a submission must have, and SDTMIG Required / Expected variables and their values."""

from __future__ import annotations

from collections.abc import Iterator

from trialinterop.issues import Severity
from trialinterop.validate.context import Context
from trialinterop.validate.registry import Finding, rule
from trialinterop.validate.rules._common import blank, row_findings


def _missing_dataset(ctx: Context, name: str) -> Iterator[Finding]:
    if ctx.package.datasets and not ctx.package.by_domain(name) and ctx.get(name) is None:
        yield Finding(name, detail=f"{name.lower()}.xpt not found")


@rule(
    id="TI-PR001",
    severity=Severity.REJECT,
    scope="package",
    message="DM dataset is missing",
    references=["FDA Technical Rejection Criteria 1736", "P21 SD1020", "SDTMIG 3.4 DM specification"],
)
def check_dm_present(ctx: Context) -> Iterator[Finding]:
    """Every SDTM package needs Demographics."""
    yield from _missing_dataset(ctx, "DM")


@rule(
    id="TI-PR002",
    severity=Severity.REJECT,
    scope="package",
    message="TS dataset is missing",
    references=["FDA Technical Rejection Criteria 1734", "P21 SD1115", "CORE-000505"],
)
def check_ts_present(ctx: Context) -> Iterator[Finding]:
    """Every SDTM package needs Trial Summary (with SSTDTC)."""
    yield from _missing_dataset(ctx, "TS")


@rule(
    id="TI-PR003",
    severity=Severity.WARNING,
    scope="package",
    message="AE dataset is missing",
    references=["P21 SD1106", "SDTMIG 3.4 AE specification"],
)
def check_ae_present(ctx: Context) -> Iterator[Finding]:
    """Adverse events are expected in every interventional study."""
    yield from _missing_dataset(ctx, "AE")


@rule(
    id="TI-PR004",
    severity=Severity.WARNING,
    scope="package",
    message="EX dataset is missing",
    references=["P21 SD1109", "SDTMIG 3.4 EX specification"],
)
def check_ex_present(ctx: Context) -> Iterator[Finding]:
    """Exposure is expected in every interventional study."""
    yield from _missing_dataset(ctx, "EX")


def _standard_vars(ctx: Context, core: str):
    for ds in ctx.datasets():
        for var in ctx.standard.dataset_variables(ds.domain):
            if var.core == core:
                yield ds, var


@rule(
    id="TI-PR005",
    severity=Severity.ERROR,
    scope="standard datasets",
    message="Required variable is missing",
    references=["SDTMIG 3.4 variable Core column", "P21 SD0056"],
)
def check_required_variable_present(ctx: Context) -> Iterator[Finding]:
    """A variable whose SDTMIG core is Req must be in the dataset."""
    for ds, var in _standard_vars(ctx, "Req"):
        if var.name not in ds.frame.columns:
            yield Finding(ds.name, field=var.name)


@rule(
    id="TI-PR006",
    severity=Severity.WARNING,
    scope="standard datasets",
    message="Expected variable is missing",
    references=["SDTMIG 3.4 variable Core column", "P21 SD0057"],
)
def check_expected_variable_present(ctx: Context) -> Iterator[Finding]:
    """A variable whose SDTMIG core is Exp should be in the dataset (null values allowed)."""
    for ds, var in _standard_vars(ctx, "Exp"):
        if var.name not in ds.frame.columns:
            yield Finding(ds.name, field=var.name)


@rule(
    id="TI-PR007",
    severity=Severity.ERROR,
    scope="standard datasets",
    message="Required variable has a null value",
    references=["SDTMIG 3.4 variable Core column", "P21 SD0002"],
)
def check_required_not_null(ctx: Context) -> Iterator[Finding]:
    """Req variables may not be null in any record."""
    for ds, var in _standard_vars(ctx, "Req"):
        if var.name in ds.frame.columns:
            yield from row_findings(ds, blank(ds.frame[var.name]), var.name)

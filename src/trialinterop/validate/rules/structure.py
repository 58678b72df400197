"""XPT v5 structure and variable metadata: names, labels, lengths, bytes, types, order (FDA TCG; SAS TS-140)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from trialinterop.issues import Severity
from trialinterop.validate.context import Context
from trialinterop.validate.registry import Finding, rule
from trialinterop.validate.rules._common import row_findings, shown, valid_name, where_values

MAX_VALUE_BYTES = 200


def _char_columns(ds):
    """Character columns as read (the readers give Python strings, "" for missing)."""
    for var in ds.variables:
        if var.type == "Char" and var.name in ds.frame.columns:
            yield var, ds.frame[var.name]


def _byte_length(value: object) -> int:
    value = str(value)
    return len(value) if value.isascii() else len(value.encode("utf-8"))


def _longest(values: pd.Series) -> int:
    distinct = pd.unique(values.to_numpy())
    return max((_byte_length(str(v).rstrip()) for v in distinct), default=0)


@rule(
    id="TI-XS001",
    split="dataset",
    severity=Severity.ERROR,
    scope="all datasets",
    message="Dataset name is not a valid SAS XPORT v5 name or differs from its file name",
    references=["FDA Study Data TCG (XPT v5)", "SAS TS-140", "P21 SD1457"],
)
def check_dataset_name(ctx: Context) -> Iterator[Finding]:
    """At most 8 upper-case letters/digits starting with a letter; file name = lower-case dataset name."""
    for ds in ctx.datasets():
        if not valid_name(ds.name) or "_" in ds.name:
            yield Finding(ds.name, value=ds.name, detail="not 1-8 letters/digits starting with a letter")
        stem = Path(ds.path).stem
        if stem != stem.lower():
            yield Finding(ds.name, value=Path(ds.path).name, detail="file names must be lower case")
        if ds.member and ds.member.upper() != ds.name:
            yield Finding(ds.name, value=ds.member, detail=f"member name {ds.member} differs from the file name")


@rule(
    id="TI-XS002",
    split="dataset",
    severity=Severity.ERROR,
    scope="all datasets",
    message="Variable name is not a valid SAS XPORT v5 name",
    references=["FDA Study Data TCG (XPT v5)", "SAS TS-140", "P21 SD1474"],
)
def check_variable_names(ctx: Context) -> Iterator[Finding]:
    """At most 8 characters: upper-case letters, digits, underscore; starting with a letter."""
    for ds in ctx.datasets():
        for var in ds.variables:
            if not valid_name(var.name):
                yield Finding(ds.name, field=shown(var.name), value=shown(var.name))


@rule(
    id="TI-XS003",
    split="dataset",
    severity=Severity.ERROR,
    scope="all datasets",
    message="Label longer than 40 characters",
    references=["FDA Study Data TCG (XPT v5)", "SAS TS-140", "P21 SD1475"],
)
def check_label_length(ctx: Context) -> Iterator[Finding]:
    """Dataset and variable labels hold at most 40 characters in XPT v5."""
    for ds in ctx.datasets():
        if len(ds.label) > 40:
            yield Finding(ds.name, value=shown(ds.label), detail=f"dataset label has {len(ds.label)} characters")
        for var in ds.variables:
            if len(var.label) > 40:
                yield Finding(ds.name, field=var.name, value=shown(var.label), detail=f"{len(var.label)} characters")


@rule(
    id="TI-XS004",
    split="dataset",
    severity=Severity.WARNING,
    scope="XPT datasets",
    message="Character variable length is longer than its longest value",
    references=["FDA Study Data TCG (variable length)", "P21 SD1082"],
)
def check_length_fits_data(ctx: Context) -> Iterator[Finding]:
    """Stored character lengths should equal the longest value (file size, FDA TCG)."""
    for ds in ctx.datasets():
        if ds.source_format != "xpt5" or ds.frame.empty:
            continue
        for var, values in _char_columns(ds):
            longest = _longest(values)
            if var.length is not None and var.length > max(longest, 1):
                yield Finding(ds.name, field=var.name, value=str(var.length), detail=f"longest value {longest}")


@rule(
    id="TI-XS005",
    split="subject",
    severity=Severity.ERROR,
    scope="all datasets",
    message="Character value longer than 200 bytes",
    references=["FDA Study Data TCG (XPT v5)", "SAS TS-140", "SDTMIG 3.4 §4.5.3.2"],
)
def check_value_over_200(ctx: Context) -> Iterator[Finding]:
    """XPT v5 character values hold at most 200 bytes; longer text goes to SUPP-- (SDTMIG 4.5.3)."""
    for ds in ctx.datasets():
        for var, values in _char_columns(ds):
            yield from row_findings(ds, where_values(values, lambda v: _byte_length(v) > MAX_VALUE_BYTES), var.name)


@rule(
    id="TI-XS006",
    split="subject",
    severity=Severity.WARNING,
    scope="all datasets",
    message="Character value of exactly 200 bytes (possibly truncated)",
    references=["P21 SD1096", "SDTMIG 3.4 §4.5.3.2"],
)
def check_value_exactly_200(ctx: Context) -> Iterator[Finding]:
    """A value of exactly 200 bytes is often text cut at the XPT limit."""
    for ds in ctx.datasets():
        for var, values in _char_columns(ds):
            yield from row_findings(ds, where_values(values, lambda v: _byte_length(v) == MAX_VALUE_BYTES), var.name)


@rule(
    id="TI-XS007",
    split="dataset",
    severity=Severity.ERROR,
    scope="all datasets",
    message="Non-ASCII characters in a value or label",
    references=["FDA Study Data TCG (XPT v5)", "P21 SD1029"],
)
def check_ascii(ctx: Context) -> Iterator[Finding]:
    """XPT v5 carries ASCII text; other characters are stored as raw bytes of unknown encoding."""
    for ds in ctx.datasets():
        if not ds.label.isascii():
            yield Finding(ds.name, value=shown(ds.label), detail="dataset label")
        for var in ds.variables:
            if not var.label.isascii():
                yield Finding(ds.name, field=var.name, value=shown(var.label), detail="variable label")
        for var, values in _char_columns(ds):
            yield from row_findings(ds, where_values(values, lambda v: not str(v).isascii()), var.name)


_BAD_TEXT = re.compile(r"^\s|[\r\n\t]|^\.$")


@rule(
    id="TI-XS008",
    split="subject",
    severity=Severity.WARNING,
    scope="all datasets",
    message="Value starts with a space, holds a line break or tab, or is only '.'",
    references=["P21 SD1021"],
)
def check_text_hygiene(ctx: Context) -> Iterator[Finding]:
    """Leading blanks, CR/LF/TAB and a lone '.' (SAS missing numeric) do not belong in character values."""
    for ds in ctx.datasets():
        for var, values in _char_columns(ds):
            yield from row_findings(ds, where_values(values, lambda v: bool(_BAD_TEXT.search(str(v)))), var.name)


@rule(
    id="TI-XS009",
    split="dataset",
    severity=Severity.ERROR,
    scope="standard datasets",
    message="Variable data type differs from SDTMIG",
    references=["SDTMIG 3.4 variable Type column"],
)
def check_variable_types(ctx: Context) -> Iterator[Finding]:
    """Char variables must be character, Num variables numeric."""
    for ds in ctx.datasets():
        for var in ds.variables:
            std = ctx.standard.variable(ds.domain, var.name)
            if std is not None and std.type in ("Char", "Num") and std.type != var.type:
                yield Finding(ds.name, field=var.name, value=var.type, detail=f"SDTMIG type is {std.type}")


@rule(
    id="TI-XS010",
    split="dataset",
    severity=Severity.WARNING,
    scope="standard datasets",
    message="Variable label differs from SDTMIG",
    references=["SDTMIG 3.4 dataset specifications", "P21 SD0063"],
)
def check_variable_labels(ctx: Context) -> Iterator[Finding]:
    """Labels of standard variables should be the SDTMIG labels (case-insensitive)."""
    for ds in ctx.datasets():
        for var in ds.variables:
            std = ctx.standard.variable(ds.domain, var.name)
            if std is not None and std.label and std.label.lower() != var.label.strip().lower():
                yield Finding(ds.name, field=var.name, value=shown(var.label), detail=f"SDTMIG label {std.label!r}")


@rule(
    id="TI-XS011",
    split="dataset",
    severity=Severity.NOTICE,
    scope="standard datasets",
    message="Variable order differs from SDTMIG",
    references=["SDTMIG 3.4 dataset specifications", "P21 SD1079"],
)
def check_variable_order(ctx: Context) -> Iterator[Finding]:
    """Standard variables should appear in their SDTMIG order (sponsor variables may not be interleaved freely)."""
    for ds in ctx.datasets():
        order = {v.name: v.order for v in ctx.standard.dataset_variables(ds.domain)}
        last_name, last = "", 0
        for var in ds.variables:
            position = order.get(var.name)
            if position is None:
                continue
            if position < last:
                yield Finding(ds.name, field=var.name, detail=f"comes after {last_name}")
            else:
                last_name, last = var.name, position


@rule(
    id="TI-XS012",
    split="package",
    severity=Severity.ERROR,
    scope="datasets given as both XPT and Dataset-JSON",
    message="Dataset-JSON copy differs from the XPT file of the same dataset",
    references=["CDISC Dataset-JSON v1.1", "FDA Study Data Technical Conformance Guide §3.3"],
)
def check_json_copy_matches_xpt(ctx: Context) -> Iterator[Finding]:
    """Both copies of a dataset must carry the same variables (names, labels, types) and the same records."""
    for name, copy in ctx.package.alternates.items():
        ds = ctx.get(name)
        if ds is None:
            continue
        ours = [(v.name, v.label, v.type) for v in ds.variables]
        theirs = [(v.name, v.label, v.type) for v in copy.variables]
        if ours != theirs:
            changed = next((a[0] for a, b in zip(ours, theirs, strict=False) if a != b), "")
            yield Finding(name, field=changed, detail=f"variables differ from {copy.path}")
            continue
        if len(ds.frame) != len(copy.frame):
            yield Finding(name, detail=f"{len(ds.frame)} records in the XPT file, {len(copy.frame)} in {copy.path}")
            continue
        for column in ds.frame.columns:
            left, right = ds.frame[column].reset_index(drop=True), copy.frame[column].reset_index(drop=True)
            numeric = pd.api.types.is_numeric_dtype(left) and pd.api.types.is_numeric_dtype(right)
            same = (left == right) | (left.isna() & right.isna()) if numeric else left.astype(str) == right.astype(str)
            if not bool(same.all()):
                row = int((~same).to_numpy().nonzero()[0][0])
                yield Finding(
                    name,
                    key=f"record {row + 1}",
                    field=column,
                    value=shown(left.iloc[row]),
                    detail=f"{copy.path} has {shown(right.iloc[row])}",
                )

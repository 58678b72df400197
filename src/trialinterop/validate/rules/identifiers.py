"""Identifiers: DOMAIN, STUDYID, USUBJID uniqueness in DM, --SEQ, duplicate records."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from trialinterop.issues import Severity
from trialinterop.validate.context import Context
from trialinterop.validate.registry import Finding, rule
from trialinterop.validate.rules._common import blank, row_findings, seq_name, text


@rule(
    id="TI-ID001",
    split="dataset",
    severity=Severity.ERROR,
    scope="all datasets",
    message="DOMAIN value differs from the dataset name",
    references=["SDTMIG 3.4 DOMAIN specification", "P21 SD0004"],
)
def check_domain_value(ctx: Context) -> Iterator[Finding]:
    """DOMAIN equals the dataset name (for a split dataset such as QSCG, its first two letters)."""
    for ds in ctx.datasets():
        if "DOMAIN" not in ds.frame.columns or ds.name.startswith("SUPP"):
            continue
        values = text(ds.frame["DOMAIN"])
        allowed = {ds.name, ds.name[:2]} if len(ds.name) > 2 else {ds.name}
        yield from row_findings(ds, ~values.isin(allowed), "DOMAIN")


@rule(
    id="TI-ID002",
    split="subject",
    severity=Severity.ERROR,
    scope="subject datasets",
    message="--SEQ is not unique within a subject",
    references=["SDTMIG 3.4 --SEQ specification", "P21 SD0005", "CORE-000544"],
)
def check_seq_unique(ctx: Context) -> Iterator[Finding]:
    """The sequence number identifies a record within USUBJID and domain."""
    for ds in ctx.datasets():
        seq = seq_name(ds)
        if seq is None or "USUBJID" not in ds.frame.columns:
            continue
        keys = [c for c in ("USUBJID", "POOLID") if c in ds.frame.columns] + [seq]
        frame = ds.frame[keys]
        mask = frame.duplicated(keep="first") & ~blank(ds.frame[seq])
        yield from row_findings(ds, mask, seq)


@rule(
    id="TI-ID003",
    split="subject",
    severity=Severity.ERROR,
    scope="subject datasets",
    message="--SEQ is not a positive whole number",
    references=["SDTMIG 3.4 --SEQ specification"],
)
def check_seq_integer(ctx: Context) -> Iterator[Finding]:
    """--SEQ is numeric; this project (and most sponsors) require positive integers."""
    for ds in ctx.datasets():
        seq = seq_name(ds)
        if seq is None:
            continue
        values = pd.to_numeric(ds.frame[seq], errors="coerce")
        bad = values.notna() & ((values <= 0) | (values != values.round()))
        bad |= values.isna() & ~blank(ds.frame[seq])
        yield from row_findings(ds, bad, seq)


@rule(
    id="TI-ID004",
    split="subject",
    severity=Severity.ERROR,
    scope="DM",
    message="USUBJID is not unique in DM",
    references=["SDTMIG 3.4 DM specification", "P21 SD0083", "CORE-000351"],
)
def check_dm_one_record_per_subject(ctx: Context) -> Iterator[Finding]:
    """DM has one record per subject."""
    dm = ctx.get("DM")
    if dm is not None and "USUBJID" in dm.frame.columns:
        yield from row_findings(dm, dm.frame["USUBJID"].duplicated(keep="first"), "USUBJID")


@rule(
    id="TI-ID005",
    split="package",
    severity=Severity.ERROR,
    scope="all datasets",
    message="STUDYID differs from the study identifier in DM",
    references=["P21 SD1005", "CORE-000172"],
)
def check_one_studyid(ctx: Context) -> Iterator[Finding]:
    """All records of all datasets carry the same STUDYID (DM's; else the most common one)."""
    dm = ctx.get("DM")
    if dm is not None and "STUDYID" in dm.frame.columns and len(dm.frame):
        expected = text(dm.frame["STUDYID"]).mode().iloc[0]
    else:
        parts = [text(ds.frame["STUDYID"]) for ds in ctx.datasets() if "STUDYID" in ds.frame.columns]
        counts = pd.concat(parts) if parts else pd.Series(dtype=object)
        if counts.empty:
            return
        expected = counts.mode().iloc[0]
    for ds in ctx.datasets():
        if "STUDYID" in ds.frame.columns:
            values = text(ds.frame["STUDYID"])
            yield from row_findings(ds, (values != expected) & (values != ""), "STUDYID", detail=f"expected {expected}")


@rule(
    id="TI-ID006",
    split="dataset",
    severity=Severity.WARNING,
    scope="all datasets",
    message="Duplicate record (same values in every variable but --SEQ)",
    references=["P21 SD1117"],
)
def check_duplicate_records(ctx: Context) -> Iterator[Finding]:
    """Two records identical except for their sequence number usually mean a mapping error."""
    for ds in ctx.datasets():
        columns = [c for c in ds.frame.columns if c != seq_name(ds)]
        if not columns or ds.frame.empty:
            continue
        yield from row_findings(ds, ds.frame.duplicated(subset=columns, keep="first"))

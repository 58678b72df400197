"""RELREC: related records and datasets point at records and variables that exist, and each relation links two."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from trialinterop.issues import Severity
from trialinterop.validate.context import Context
from trialinterop.validate.package import Dataset
from trialinterop.validate.registry import Finding, rule
from trialinterop.validate.rules._common import blank, row_findings, text


def _relrec(ctx: Context) -> Dataset | None:
    relrec = ctx.get("RELREC")
    if relrec is None or not {"RDOMAIN", "IDVAR"} <= set(relrec.frame.columns):
        return None
    return relrec


def _targets(ctx: Context, domain: str) -> list[Dataset]:
    """The datasets of a domain: the dataset of that name and split datasets (LBCH, LBHE for LB)."""
    found = [ds for ds in ctx.package.by_domain(domain) if ds.name != "RELREC" and not ds.name.startswith("SUPP")]
    named = ctx.get(domain)
    if named is not None and named not in found:
        found.append(named)
    return found


def _subjects(relrec: Dataset) -> pd.Series:
    frame = relrec.frame
    return text(frame["USUBJID"]) if "USUBJID" in frame.columns else pd.Series("", index=frame.index, dtype=object)


@rule(
    id="TI-RL001",
    split="package",
    severity=Severity.ERROR,
    scope="RELREC",
    message="RELREC RDOMAIN names a dataset that is not in the package",
    references=["SDTMIG 3.4 §8.2 (RELREC)", "CDISC CG0374", "CORE-000384"],
)
def check_relrec_domain(ctx: Context) -> Iterator[Finding]:
    """Every related record or dataset is in the package (split datasets count for their domain)."""
    relrec = _relrec(ctx)
    if relrec is None:
        return
    rdomain = text(relrec.frame["RDOMAIN"])
    missing = {d for d in pd.unique(rdomain.to_numpy()) if d and not _targets(ctx, d)}
    yield from row_findings(relrec, rdomain.isin(missing), "RDOMAIN")


@rule(
    id="TI-RL002",
    split="package",
    severity=Severity.ERROR,
    scope="RELREC",
    message="RELREC IDVAR is not a variable of the dataset RDOMAIN names",
    references=["SDTMIG 3.4 §8.2 (RELREC)", "CDISC CG0370", "CORE-000916"],
)
def check_relrec_idvar(ctx: Context) -> Iterator[Finding]:
    """IDVAR (record-level: the key whose value is IDVARVAL; dataset-level: the linking variable) exists in RDOMAIN."""
    relrec = _relrec(ctx)
    if relrec is None:
        return
    rdomain, idvar = text(relrec.frame["RDOMAIN"]), text(relrec.frame["IDVAR"])
    known_domains = {d for d in pd.unique(rdomain.to_numpy()) if d and _targets(ctx, d)}
    mask = (
        rdomain.isin(known_domains)
        & (idvar != "")
        & ~(rdomain + "|" + idvar).isin(_existing_pairs(ctx, rdomain, idvar))
    )
    yield from row_findings(relrec, mask, "IDVAR", values=rdomain + "." + idvar)


@rule(
    id="TI-RL003",
    split="subject",
    severity=Severity.ERROR,
    scope="RELREC",
    message="RELREC record points at no record (RDOMAIN, USUBJID, IDVAR = IDVARVAL)",
    references=["SDTMIG 3.4 §8.2 (RELREC)", "CORE-000206 (the same check for SUPP--)"],
)
def check_relrec_parent(ctx: Context) -> Iterator[Finding]:
    """A record-level relation (USUBJID and IDVARVAL given) names a record of that subject in RDOMAIN."""
    relrec = _relrec(ctx)
    if relrec is None or "IDVARVAL" not in relrec.frame.columns or "USUBJID" not in relrec.frame.columns:
        return
    frame = relrec.frame
    links = pd.DataFrame(
        {
            "domain": text(frame["RDOMAIN"]),
            "subject": text(frame["USUBJID"]),
            "var": text(frame["IDVAR"]),
            "value": text(frame["IDVARVAL"]).str.strip(),
        },
        index=frame.index,
    )
    checked = (links["subject"] != "") & (links["value"] != "") & (links["var"] != "")
    keys: list[pd.DataFrame] = []
    pairs = links.loc[checked, ["domain", "var"]].drop_duplicates()
    for domain, var in zip(pairs["domain"].tolist(), pairs["var"].tolist(), strict=True):
        for ds in _targets(ctx, domain):
            if var in ds.frame.columns and "USUBJID" in ds.frame.columns:
                keys.append(
                    pd.DataFrame(
                        {
                            "domain": domain,
                            "subject": text(ds.frame["USUBJID"]),
                            "var": var,
                            "value": text(ds.frame[var]).str.strip(),
                        }
                    )
                )
    columns = ["domain", "subject", "var", "value"]
    known = pd.concat(keys, ignore_index=True).drop_duplicates() if keys else pd.DataFrame(columns=columns)
    merged = links[checked].merge(known.assign(found=True), how="left", on=columns)
    orphan = pd.Series(False, index=frame.index)
    orphan[links.index[checked]] = merged["found"].isna().to_numpy()
    # a domain or variable that does not exist is TI-RL001 / TI-RL002's finding
    present = (links["domain"] + "|" + links["var"]).isin(_existing_pairs(ctx, links["domain"], links["var"]))
    yield from row_findings(
        relrec, orphan & present, "IDVARVAL", values=links["domain"] + "." + links["var"] + "=" + links["value"]
    )


def _existing_pairs(ctx: Context, domains: pd.Series, variables: pd.Series) -> set[str]:
    """ "DOMAIN|VAR" for each distinct (RDOMAIN, IDVAR) whose variable is in a dataset of the domain."""
    pairs = pd.DataFrame({"domain": domains, "var": variables}).drop_duplicates()
    return {
        f"{d}|{v}"
        for d, v in zip(pairs["domain"], pairs["var"], strict=True)
        if d and v and any(v in ds.frame.columns for ds in _targets(ctx, d))
    }


@rule(
    id="TI-RL004",
    split="subject",
    severity=Severity.ERROR,
    scope="RELREC",
    message="RELID links fewer than two records (within the subject)",
    references=["SDTMIG 3.4 §8.2 (RELREC)", "CDISC CG0200", "CORE-000484"],
)
def check_relid_pairs(ctx: Context) -> Iterator[Finding]:
    """A relation relates something: each RELID of a subject (or of the dataset-level relations) is on 2+ records."""
    relrec = _relrec(ctx)
    if relrec is None or "RELID" not in relrec.frame.columns:
        return
    relid = text(relrec.frame["RELID"])
    sizes = relid.groupby([_subjects(relrec), relid]).transform("size")
    yield from row_findings(relrec, (relid != "") & (sizes < 2), "RELID")


@rule(
    id="TI-RL005",
    split="package",
    severity=Severity.ERROR,
    scope="RELREC",
    message="Dataset-level relation (USUBJID null) gives IDVARVAL or lacks RELTYPE ONE/MANY",
    references=["SDTMIG 3.4 §8.3 (relating datasets)"],
)
def check_dataset_relations(ctx: Context) -> Iterator[Finding]:
    """A relation between datasets names the linking variable in IDVAR, leaves IDVARVAL null and says in RELTYPE
    whether one or many records of the dataset take part; a record-level relation needs its USUBJID."""
    relrec = _relrec(ctx)
    if relrec is None or "USUBJID" not in relrec.frame.columns:
        return
    frame = relrec.frame
    dataset_level = blank(frame["USUBJID"])
    if "IDVARVAL" in frame.columns:
        yield from row_findings(relrec, dataset_level & ~blank(frame["IDVARVAL"]), "IDVARVAL")
    reltype = text(frame["RELTYPE"]) if "RELTYPE" in frame.columns else pd.Series("", index=frame.index, dtype=object)
    yield from row_findings(relrec, dataset_level & ~reltype.isin({"ONE", "MANY"}), "RELTYPE", values=reltype)

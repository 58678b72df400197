"""Trial design: TS required parameters and values, TI and IE, TA elements in TE."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from trialinterop.iso8601 import is_valid_dtc
from trialinterop.issues import Severity
from trialinterop.validate.context import Context
from trialinterop.validate.registry import Finding, rule
from trialinterop.validate.rules._common import blank, row_findings, text

# CDISC CG0287 (CORE-000740), after FDA TCG Appendix B: parameters every TS must carry.
REQUIRED_TS = (
    "ACTSUB", "ADAPT", "ADDON", "AGEMAX", "AGEMIN", "DCUTDESC", "DCUTDTC", "FCNTRY", "HLTSUBJI", "LENGTH", "NARMS",
    "OBJPRIM", "OUTMSPRI", "PLANSUB", "RANDOM", "REGID", "SENDTC", "SEXPOP", "SPONSOR", "SSTDTC", "STOPRULE",
    "STYPE", "TBLIND", "TCNTRL", "TITLE", "TPHASE", "TTYPE",
)  # fmt: skip
INTERVENTIONAL_TS = ("INTMODEL", "INTTYPE", "PCLAS")


def _ts_params(ctx: Context):
    ts = ctx.get("TS")
    if ts is None or "TSPARMCD" not in ts.frame.columns:
        return None, {}
    params: dict[str, list[str]] = {}
    values = text(ts.frame["TSVAL"]) if "TSVAL" in ts.frame.columns else text(ts.frame["TSPARMCD"]).map(lambda _: "")
    for code, value in zip(text(ts.frame["TSPARMCD"]), values, strict=True):
        params.setdefault(code, []).append(value)
    return ts, params


@rule(
    id="TI-TS001",
    split="dataset",
    severity=Severity.ERROR,
    scope="TS",
    message="Required trial summary parameter is missing",
    references=["FDA Study Data TCG Appendix B", "CDISC CG0287", "CORE-000740", "P21 SD2201-SD2235"],
)
def check_ts_required(ctx: Context) -> Iterator[Finding]:
    """TS carries every parameter FDA requires (SSTDTC has its own rejection rule, TI-TS002)."""
    ts, params = _ts_params(ctx)
    if ts is None:
        return
    for code in REQUIRED_TS:
        if code not in params and code != "SSTDTC":
            yield Finding("TS", field="TSPARMCD", value=code)


@rule(
    id="TI-TS002",
    split="dataset",
    severity=Severity.REJECT,
    scope="TS",
    message="Study start date (TSPARMCD=SSTDTC) is missing",
    references=["FDA Technical Rejection Criteria 1734", "P21 SD2232", "CORE-000505"],
)
def check_ts_sstdtc_present(ctx: Context) -> Iterator[Finding]:
    """FDA rejects a study without TS SSTDTC."""
    ts, params = _ts_params(ctx)
    if ts is not None and not any(v.strip() for v in params.get("SSTDTC", [])):
        yield Finding("TS", field="TSPARMCD", value="SSTDTC")


@rule(
    id="TI-TS003",
    split="dataset",
    severity=Severity.ERROR,
    scope="TS",
    message="Study start date (SSTDTC) is not a complete ISO 8601 date",
    references=["P21 SD2247", "CORE-000505"],
)
def check_ts_sstdtc_format(ctx: Context) -> Iterator[Finding]:
    """SSTDTC is YYYY-MM-DD."""
    _, params = _ts_params(ctx)
    for value in params.get("SSTDTC", []):
        if value.strip() and not (len(value) >= 10 and is_valid_dtc(value) and value[4] == "-" and value[7] == "-"):
            yield Finding("TS", field="TSVAL", value=value, detail="TSPARMCD=SSTDTC")


@rule(
    id="TI-TS004",
    split="dataset",
    severity=Severity.ERROR,
    scope="TS",
    message="TSSEQ is not unique within TSPARMCD",
    references=["P21 SD1038", "CDISC CG0268", "CORE-000154"],
)
def check_tsseq_unique(ctx: Context) -> Iterator[Finding]:
    """Several values of one parameter are numbered 1, 2, ... by TSSEQ."""
    ts = ctx.get("TS")
    if ts is None or not {"TSPARMCD", "TSSEQ"} <= set(ts.frame.columns):
        return
    yield from row_findings(ts, ts.frame.duplicated(["TSPARMCD", "TSSEQ"], keep="first"), "TSSEQ")


@rule(
    id="TI-TS005",
    split="dataset",
    severity=Severity.ERROR,
    scope="TS",
    message="Interventional study lacks INTMODEL, INTTYPE or PCLAS",
    references=["FDA FB1111", "CORE-000741"],
)
def check_ts_interventional(ctx: Context) -> Iterator[Finding]:
    """When STYPE = INTERVENTIONAL, the intervention model, type and pharmacologic class are required."""
    ts, params = _ts_params(ctx)
    if ts is None or "INTERVENTIONAL" not in params.get("STYPE", []):
        return
    for code in INTERVENTIONAL_TS:
        if not any(v.strip() for v in params.get(code, [])):
            yield Finding("TS", field="TSPARMCD", value=code)


@rule(
    id="TI-TS006",
    split="dataset",
    severity=Severity.WARNING,
    scope="TS",
    message="TSVAL is null and TSVALNF does not say why",
    references=["CDISC CG0259", "CORE-000149"],
)
def check_tsval_null_flavor(ctx: Context) -> Iterator[Finding]:
    """A parameter without a value carries an ISO 21090 null flavour (e.g. PINF, NA, UNK) in TSVALNF."""
    ts = ctx.get("TS")
    if ts is None or "TSVAL" not in ts.frame.columns:
        return
    nf = blank(ts.frame["TSVALNF"]) if "TSVALNF" in ts.frame.columns else True
    yield from row_findings(ts, blank(ts.frame["TSVAL"]) & nf, "TSVAL", values=ts.frame["TSPARMCD"])


# Terminologies whose version TSVCDVER must give (CDISC CT: CORE-000761 / CG0289; MedDRA codes change meaning
# between releases). SDTMIG 3.4 says "if applicable": ISO 8601, ISO 3166, UNII and SNOMED rows in its own TS examples
# and in the CDISC pilot leave the version null, so they are not asked for one here.
VERSIONED_DICTIONARIES = ("CDISC", "MEDDRA")


@rule(
    id="TI-TS007",
    split="dataset",
    severity=Severity.ERROR,
    scope="TS",
    message="TSVAL and TSVALCD are not one to one",
    references=["SDTMIG 3.4 TS specification (TSVALCD)", "CDISC CG0265", "FDA FB0904", "CORE-000152", "CORE-000728"],
)
def check_tsval_code_one_to_one(ctx: Context) -> Iterator[Finding]:
    """Among the records with both populated, within a reference terminology (TSVCDREF), one TSVAL has one TSVALCD
    and one TSVALCD one TSVAL. A record whose parameter takes its value from a CDISC codelist but has no TSVALCD,
    while the same TSVAL is coded elsewhere, breaks the pairing too (the pilot's ADDON N beside ADAPT N / C49487):
    all records of that value are reported. The same text coded in two terminologies, or an uncoded free-text
    value, is no conflict."""
    ts = ctx.get("TS")
    if ts is None or not {"TSPARMCD", "TSVAL", "TSVALCD"} <= set(ts.frame.columns):
        return
    frame = ts.frame
    value, code = text(frame["TSVAL"]), text(frame["TSVALCD"])
    ref = text(frame["TSVCDREF"]) if "TSVCDREF" in frame.columns else pd.Series("", index=frame.index, dtype=object)
    pairs = pd.DataFrame({"ref": ref, "value": value, "code": code})
    coded = (value != "") & (code != "")
    both = pairs[coded]
    codes_per_value = both.groupby(["ref", "value"])["code"].transform("nunique")
    values_per_code = both.groupby(["ref", "code"])["value"].transform("nunique")
    conflict = pd.Series(False, index=frame.index)
    conflict[both.index] = ((codes_per_value > 1) | (values_per_code > 1)).to_numpy()
    from_codelist = text(frame["TSPARMCD"]).isin(list(ctx.standard.ts_value_codelists))
    uncoded = (value != "") & (code == "") & from_codelist & value.isin(set(both["value"]))
    conflict |= uncoded | (coded & value.isin(set(value[uncoded])))
    shown = "TSPARMCD=" + text(frame["TSPARMCD"]) + ": " + value + " / " + code
    yield from row_findings(ts, conflict, "TSVALCD", values=shown)


@rule(
    id="TI-TS008",
    split="dataset",
    severity=Severity.ERROR,
    scope="TS",
    message="TSVCDREF and TSVCDVER do not come as a pair",
    references=[
        "SDTMIG 3.4 TS specification (TSVCDREF, TSVCDVER)",
        "CDISC CG0266",
        "CDISC CG0289",
        "CORE-000153",
        "CORE-000761",
    ],
)
def check_ts_reference_version(ctx: Context) -> Iterator[Finding]:
    """A terminology version needs the terminology it versions; CDISC CT or MedDRA named in TSVCDREF needs its
    version (the CT package date, the MedDRA release) in TSVCDVER."""
    ts = ctx.get("TS")
    if ts is None or not {"TSPARMCD", "TSVCDREF", "TSVCDVER"} <= set(ts.frame.columns):
        return
    frame = ts.frame
    ref, version = text(frame["TSVCDREF"]).str.strip(), text(frame["TSVCDVER"]).str.strip()
    code = "TSPARMCD=" + text(frame["TSPARMCD"]) + ": "
    yield from row_findings(ts, (version != "") & (ref == ""), "TSVCDREF", values=code + "TSVCDVER " + version)
    versioned = ref.str.upper().str.startswith(VERSIONED_DICTIONARIES)
    yield from row_findings(ts, versioned & (version == ""), "TSVCDVER", values=code + "TSVCDREF " + ref)


@rule(
    id="TI-TD001",
    split="subject",
    severity=Severity.ERROR,
    scope="IE, TI",
    message="IETESTCD is not a criterion in TI",
    references=["P21 SD0068", "P21 SD1016", "CDISC CG0179", "CORE-000228"],
)
def check_ie_in_ti(ctx: Context) -> Iterator[Finding]:
    """Every criterion a subject failed is defined in Trial Inclusion/Exclusion Criteria."""
    ie, ti = ctx.get("IE"), ctx.get("TI")
    if ie is None or "IETESTCD" not in ie.frame.columns:
        return
    known = set(text(ti.frame["IETESTCD"])) if ti is not None and "IETESTCD" in ti.frame.columns else set()
    yield from row_findings(ie, ~text(ie.frame["IETESTCD"]).isin(known), "IETESTCD")


@rule(
    id="TI-TD002",
    split="dataset",
    severity=Severity.ERROR,
    scope="TI",
    message="IETESTCD is not unique in TI (within TIVERS)",
    references=["CDISC CG0256", "CORE-000146", "CORE-000145"],
)
def check_ti_unique(ctx: Context) -> Iterator[Finding]:
    """One TI record per criterion and protocol version."""
    ti = ctx.get("TI")
    if ti is None or "IETESTCD" not in ti.frame.columns:
        return
    keys = ["IETESTCD"] + (["TIVERS"] if "TIVERS" in ti.frame.columns else [])
    yield from row_findings(ti, ti.frame.duplicated(keys, keep="first"), "IETESTCD")


@rule(
    id="TI-TD003",
    split="subject",
    severity=Severity.ERROR,
    scope="IE",
    message="IEORRES does not fit IECAT (inclusion not met is N, exclusion met is Y)",
    references=["SDTMIG 3.4 IE assumption 2", "CDISC CG0175", "CDISC CG0176", "CORE-000001", "CORE-000011"],
)
def check_ie_result(ctx: Context) -> Iterator[Finding]:
    """IE holds only criteria not met: IEORRES is N for an inclusion and Y for an exclusion criterion."""
    ie = ctx.get("IE")
    if ie is None or not {"IECAT", "IEORRES"} <= set(ie.frame.columns):
        return
    category, result = text(ie.frame["IECAT"]), text(ie.frame["IEORRES"])
    bad = ((category == "INCLUSION") & (result != "N")) | ((category == "EXCLUSION") & (result != "Y"))
    yield from row_findings(ie, bad, "IEORRES")


@rule(
    id="TI-TD004",
    split="package",
    severity=Severity.ERROR,
    scope="TA, TE",
    message="Element (ETCD) of TA is not defined in TE",
    references=["SDTMIG 3.4 TA and TE specifications"],
)
def check_ta_elements_in_te(ctx: Context) -> Iterator[Finding]:
    """Each arm's elements are defined once in Trial Elements."""
    ta, te = ctx.get("TA"), ctx.get("TE")
    if ta is None or te is None or "ETCD" not in ta.frame.columns or "ETCD" not in te.frame.columns:
        return
    yield from row_findings(ta, ~text(ta.frame["ETCD"]).isin(set(text(te.frame["ETCD"]))), "ETCD")


@rule(
    id="TI-TD005",
    split="subject",
    severity=Severity.WARNING,
    scope="SE",
    message="Subject element does not end where the next one starts (SEENDTC ≠ next SESTDTC)",
    references=["SDTMIG 3.4 SE assumptions (no gaps between elements)", "CDISC CG0207", "CORE-000352"],
)
def check_se_contiguous(ctx: Context) -> Iterator[Finding]:
    """Within a subject, elements ordered by start follow each other without gaps or overlaps."""
    se = ctx.get("SE")
    if se is None or not {"USUBJID", "SESTDTC", "SEENDTC"} <= set(se.frame.columns):
        return
    frame = pd.DataFrame(
        {"subject": text(se.frame["USUBJID"]), "start": text(se.frame["SESTDTC"]), "end": text(se.frame["SEENDTC"])}
    )
    ordered = frame.sort_values(["subject", "start"], kind="stable")
    following = ordered.groupby("subject")["start"].shift(-1)
    gap = following.notna() & (ordered["end"] != "") & (ordered["end"] != following)
    mask = pd.Series(False, index=se.frame.index)
    mask[ordered.index[gap.to_numpy()]] = True
    shown = text(se.frame["SEENDTC"]) + " (next starts " + following.reindex(se.frame.index).fillna("") + ")"
    yield from row_findings(se, mask, "SEENDTC", values=shown)


@rule(
    id="TI-TD006",
    split="subject",
    severity=Severity.WARNING,
    scope="SE",
    message="SESEQ does not follow the chronological order of the subject's elements",
    references=["SDTMIG 3.4 SE specification", "CDISC CG0620", "CORE-000535"],
)
def check_se_sequence_chronological(ctx: Context) -> Iterator[Finding]:
    """Subject elements are numbered in the order they happened (by SESTDTC)."""
    se = ctx.get("SE")
    if se is None or not {"USUBJID", "SESEQ", "SESTDTC"} <= set(se.frame.columns):
        return
    frame = pd.DataFrame(
        {"subject": text(se.frame["USUBJID"]), "seq": pd.to_numeric(se.frame["SESEQ"], errors="coerce")}
    )
    frame["start"] = text(se.frame["SESTDTC"])
    ordered = frame.sort_values(["subject", "seq"], kind="stable")
    previous = ordered.groupby("subject")["start"].shift(1)
    width = pd.concat([previous.fillna("").str.len(), ordered["start"].str.len()], axis=1).min(axis=1)
    pairs = zip(previous.fillna(""), ordered["start"], width.astype(int), strict=True)
    back = [bool(p) and bool(s) and s[:n] < p[:n] for p, s, n in pairs]
    mask = pd.Series(False, index=se.frame.index)
    mask[ordered.index[back]] = True
    yield from row_findings(se, mask, "SESEQ", values=text(se.frame["SESEQ"]) + " starts " + frame["start"])

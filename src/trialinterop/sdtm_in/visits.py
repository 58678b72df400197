"""SV -> visits.csv; DS -> disposition.csv; SE elements outside TA -> unplanned_elements.csv; IE -> eligibility.csv.

SV: visit_date is SVSTDTC's date (the records keep one day per visit; SVENDTC is written back equal to it);
occurred is SVOCCUR, Y when absent (a row of SV is a visit that took place). DS: DISPOSITION EVENT rows are
disposition events, OTHER EVENT rows disposition.csv rows of category OTHER EVENT; the INFORMED CONSENT OBTAINED
milestone is carried as subjects.csv consent_date and written back by to-sdtm; rows of other categories (other
protocol milestones) have no records table and are not carried. The definition declares the codelist NCOMPLT when
the package's disposition terms are not all among the records' default ones, and OTHEVENT with the package's other
event terms (`disposition_codelists`); NCI codes from the bundled CDISC CT where a term is CDISC's.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from trialinterop.ct import cdisc_terms
from trialinterop.sdtm_in.carry import Carry
from trialinterop.sdtm_in.package import SdtmInput, clean_number, distinct_map, number, text
from trialinterop.sdtm_in.tables import Table, build_table, date_part
from trialinterop.source.schema import generic_tables

CONSENT = "INFORMED CONSENT OBTAINED"
EVENT, OTHER = "DISPOSITION EVENT", "OTHER EVENT"


def visit_numbers(values: pd.Series) -> pd.Series:
    """VISITNUM without binary noise (1.2000000000000002 -> 1.2); each distinct value cleaned once."""
    return distinct_map(values, lambda v: clean_number(number(v)))


def map_visits(package: SdtmInput, carry: Carry) -> Table | None:
    sv = package.get("SV")
    if sv is None:
        return None
    occurred = sv["SVOCCUR"].fillna("").astype(str).str.strip() if "SVOCCUR" in sv.columns else None
    fields: dict[str, str | pd.Series] = {
        "subject_id": "USUBJID",
        "visit_num": visit_numbers(sv["VISITNUM"]),
        "visit_date": date_part(sv["SVSTDTC"]) if "SVSTDTC" in sv.columns else "SVSTDTC",
        "occurred": occurred.where(occurred != "", "Y") if occurred is not None else pd.Series("Y", index=sv.index),
        "reason_not_done": "SVREASOC",
        "unplanned_description": "SVUPDES",
    }
    table = build_table("visits.csv", "SV", sv, fields, carry)
    table.sources |= {"visit_num": "VISITNUM", "visit_date": "SVSTDTC", "occurred": "SVOCCUR"}
    carry.plan(
        "SV",
        carried={
            "VISITNUM": "visits.csv visit_num",
            "SVSTDTC": "visits.csv visit_date",
            "SVOCCUR": "visits.csv occurred",
            "USUBJID": "visits.csv",
        },
        recomputed={
            "STUDYID": "study.yaml study.id",
            "DOMAIN": "(the domain)",
            "VISIT": "study.yaml visits",
            "VISITDY": "study.yaml visits",
            "EPOCH": "SE elements",
            "SVENDTC": "visit_date",
            "SVSTDY": "study day",
            "SVENDY": "study day",
            "SVPRESP": "planned visits",
        },
    )
    return table


def map_disposition(package: SdtmInput, carry: Carry) -> Table | None:
    ds = package.get("DS")
    if ds is None:
        return None
    category = ds.get("DSCAT", pd.Series("", index=ds.index)).fillna("").astype(str).str.strip()
    decod = ds["DSDECOD"].fillna("").astype(str).str.strip()
    consent = decod == CONSENT
    events = category.isin([EVENT, OTHER]) & ~consent
    for index in ds.index[~events & ~consent]:
        carry.reject("DS", index, f"no records table for DSCAT {category[index] or '(empty)'} ({decod[index]})")
    rows = ds.loc[events]
    fields: dict[str, str | pd.Series] = {
        "category": category[events].where(category[events] == OTHER, ""),
        "subject_id": "USUBJID",
        "event": "DSDECOD",
        "term": "DSTERM",
        "event_date": date_part(rows["DSSTDTC"]),
        "visit_num": visit_numbers(rows["VISITNUM"]) if "VISITNUM" in rows else "VISITNUM",
        "collection_date": "DSDTC",
        "sponsor_id": "DSSPID",
    }
    table = build_table("disposition.csv", "DS", rows, fields, carry)
    table.sources |= {"event_date": "DSSTDTC", "visit_num": "VISITNUM", "category": "DSCAT"}
    carry.plan(
        "DS",
        carried={
            "DSSTDTC": "disposition.csv event_date",
            "DSCAT": "disposition.csv category",
            "USUBJID": "disposition.csv subject_id",
            "VISITNUM": "disposition.csv visit_num",
        },
        recomputed={
            "STUDYID": "study.yaml study.id",
            "DOMAIN": "(the domain)",
            "DSSEQ": "order",
            "EPOCH": "SE elements",
            "DSSTDY": "study day",
            "DSSCAT": "(STUDY PARTICIPATION)",
            "DSDY": "study day",
            "VISIT": "study.yaml visits",
        },
    )
    return table


def disposition_codelists(package: SdtmInput) -> list[dict[str, Any]]:
    """The codelists NCOMPLT (when the package's DISPOSITION EVENT terms are not all among the records' default
    events) and OTHEVENT (the OTHER EVENT terms) the definition declares."""
    ds = package.get("DS")
    if ds is None or "DSCAT" not in ds.columns:
        return []
    category = ds["DSCAT"].fillna("").astype(str).str.strip()
    decod = ds["DSDECOD"].fillna("").astype(str).str.strip()
    default = next(f.enum for f in generic_tables()["disposition.csv"].fields if f.name == "event") or ()
    out = []
    used = sorted({t for t in decod[category == EVENT] if t})
    if any(t not in default for t in used):
        out.append(_codelist("NCOMPLT", "Completion/Reason for Non-Completion (the package's DSDECOD terms)", used))
    other = sorted({t for t in decod[category == OTHER] if t})
    if other:
        out.append(_codelist("OTHEVENT", "Other Disposition Event Response (the package's DSDECOD terms)", other))
    return out


def _codelist(name: str, title: str, values: list[str]) -> dict[str, Any]:
    codes = cdisc_terms(name)
    terms = [{"value": v} | ({"code": codes[v]} if v in codes else {}) for v in values]
    return {"name": name, "title": title, "extensible": True, "terms": terms}


def map_unplanned_elements(package: SdtmInput, carry: Carry) -> Table | None:
    """SE rows whose ETCD is no element of TA (SDTMIG: UNPLAN): an unplanned element with its dates, SEUPDES and
    EPOCH. The planned elements' rows are recomputed from the definition (see convert._se)."""
    se, ta = package.get("SE"), package.get("TA")
    if se is None or ta is None:
        return None
    planned = set(ta["ETCD"].map(text))
    rows = se[~se["ETCD"].map(text).isin(planned)]
    if rows.empty:
        return None
    fields: dict[str, str | pd.Series] = {
        "subject_id": "USUBJID",
        "start": date_part(rows["SESTDTC"]),
        "end": date_part(rows["SEENDTC"]) if "SEENDTC" in rows.columns else "SEENDTC",
        "description": "SEUPDES",
        "epoch": rows["EPOCH"] if "EPOCH" in rows.columns else "EPOCH",
    }
    table = build_table("unplanned_elements.csv", "SE", rows, fields, carry)
    table.sources |= {"start": "SESTDTC", "end": "SEENDTC", "epoch": "EPOCH"}
    return table


def map_eligibility(package: SdtmInput, carry: Carry) -> Table | None:
    ie = package.get("IE")
    if ie is None:
        return None
    fields: dict[str, str | pd.Series] = {
        "subject_id": "USUBJID",
        "criterion_id": "IETESTCD",
        "result": "IEORRES",
        "assessment_date": date_part(ie["IEDTC"]) if "IEDTC" in ie.columns else "IEDTC",
    }
    table = build_table("eligibility.csv", "IE", ie, fields, carry)
    table.sources["assessment_date"] = "IEDTC"
    carry.plan(
        "IE",
        carried={"IEDTC": "eligibility.csv assessment_date", "USUBJID": "eligibility.csv"},
        recomputed={
            "STUDYID": "study.yaml study.id",
            "DOMAIN": "(the domain)",
            "IESEQ": "order",
            "IETEST": "study.yaml eligibility",
            "IECAT": "study.yaml eligibility",
            "IESTRESC": "result",
            "VISITNUM": "visits",
            "VISIT": "visits",
            "EPOCH": "SE elements",
            "IEDY": "study day",
        },
    )
    return table

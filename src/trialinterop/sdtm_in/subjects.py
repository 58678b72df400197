"""DM (+ SUPPDM) -> subjects.csv.

Decisions, each counted in the report notes:
- consent_date (complete): RFICDTC; else the DS INFORMED CONSENT OBTAINED date; else none (a converter does not
  invent a consent date from DMDTC or the first visit; to-sdtm then writes no RFICDTC and no consent milestone).
- enrolled = N when ARMNRS is SCREEN FAILURE, ARMCD/ACTARMCD is SCRNFAIL (SDTMIG 3.2 convention) or DS has a
  SCREEN FAILURE event; else Y. arm/actual_arm: ARMCD/ACTARMCD when they are arms of TA (actual_arm only when it
  differs from ARMCD).
- RACE MULTIPLE with SUPPDM RACE1, RACE2... becomes the list of those races.
- Each other SUPPDM QNAM becomes a subject attribute of the definition (name = QNAM in lower case), so its values are
  carried in subjects.csv and written back to SUPPDM.
"""

from __future__ import annotations

import re

import pandas as pd

from trialinterop.sdtm_in.carry import Carry
from trialinterop.sdtm_in.package import SdtmInput, text
from trialinterop.sdtm_in.tables import Table, build_table, date_part

SCREEN_FAILURE = "SCREEN FAILURE"
COMPLETE_DATE = r"^\d{4}-\d{2}-\d{2}$"


def map_subjects(package: SdtmInput, carry: Carry, *, arms: set[str], consent: dict[str, str]) -> Table:
    dm = package.domains["DM"]
    armcd = dm.get("ARMCD", pd.Series("", index=dm.index)).fillna("").astype(str).str.strip()
    actarmcd = dm.get("ACTARMCD", pd.Series("", index=dm.index)).fillna("").astype(str).str.strip()
    screen_failed = set(_screen_failures(package))
    armnrs = dm.get("ARMNRS", pd.Series("", index=dm.index)).fillna("").astype(str).str.strip().str.upper()
    failed = (
        (armnrs == SCREEN_FAILURE)
        | armcd.str.upper().eq("SCRNFAIL")
        | actarmcd.str.upper().eq("SCRNFAIL")
        | dm["USUBJID"].isin(screen_failed)
    )
    age = dm["AGE"] if "AGE" in dm.columns else pd.Series(None, index=dm.index, dtype=object)
    if "AGEU" in dm.columns:
        age = age.where(dm["AGEU"].fillna("").astype(str).str.upper().isin(["YEARS", ""]), None)
    races = _races(package, dm)
    fields: dict[str, str | pd.Series] = {
        "subject_id": "SUBJID",
        "site_id": "SITEID",
        "sex": "SEX",
        "birth_date": "BRTHDTC",
        "age": age,
        "race": races,
        "ethnicity": "ETHNIC",
        "arm": armcd.where(armcd.isin(arms), ""),
        "actual_arm": actarmcd.where(actarmcd.isin(arms) & (actarmcd != armcd), ""),
        "country": "COUNTRY",
        "consent_date": dm["USUBJID"].map(lambda u: consent.get(u, "")),
        "enrolled": failed.map({True: "N", False: "Y"}),
        "death_date": "DTHDTC",
        "collection_date": date_part(dm["DMDTC"]) if "DMDTC" in dm.columns else "DMDTC",
    }
    table = build_table("subjects.csv", "DM", dm, fields, carry)
    table.sources |= {
        "age": "AGE", "arm": "ARMCD", "actual_arm": "ACTARMCD", "consent_date": "RFICDTC", "race": "RACE",
        "collection_date": "DMDTC",
    }  # fmt: skip
    carry.plan(
        "DM",
        carried={
            "STUDYID": "study.yaml study.id",
            "DOMAIN": "(the domain)",
            "USUBJID": "study.yaml subjects.usubjid with subject_id and site_id",
            "AGE": "subjects.csv age",
            "AGEU": "subjects.csv age (in years)",
            "ARMCD": "subjects.csv arm",
            "ARM": "study.yaml arms.name",
            "ACTARMCD": "subjects.csv actual_arm",
            "ACTARM": "study.yaml arms.name",
            "ARMNRS": "subjects.csv enrolled",
            "RFICDTC": "subjects.csv consent_date",
            "RACE": "subjects.csv race",
            "DMDTC": "subjects.csv collection_date",
        },
        recomputed={
            "RFSTDTC": "first exposure",
            "RFENDTC": "last exposure or disposition",
            "RFXSTDTC": "first exposure",
            "RFXENDTC": "last exposure",
            "RFPENDTC": "last contact",
            "DTHFL": "death_date",
            "DMDY": "study day",
            "ACTARMUD": "arms",
        },
    )
    attributes = supp_attributes(package, carry)
    for name, values in attributes.items():
        table.frame[name] = dm["USUBJID"].map(values).fillna("").to_numpy()
    return table


def _races(package: SdtmInput, dm: pd.DataFrame) -> pd.Series:
    """RACE, or for RACE MULTIPLE the SUPPDM RACE1, RACE2... values joined with '|'."""
    race = dm["RACE"].map(text) if "RACE" in dm.columns else pd.Series(None, index=dm.index, dtype=object)
    supp = package.get("SUPPDM")
    if supp is None:
        return race
    multiple = supp[supp["QNAM"].astype(str).str.strip().str.fullmatch(r"RACE\d+")]
    listed = multiple.groupby("USUBJID", sort=False)["QVAL"].agg(lambda v: "|".join(str(text(x)) for x in v if text(x)))
    joined = dm["USUBJID"].map(listed)
    return race.where(~((race == "MULTIPLE") & joined.notna()), joined)


def consent_dates(package: SdtmInput, carry: Carry) -> dict[str, str]:
    """USUBJID -> consent date, from the first source that gives a complete date (see the module docstring)."""
    dm = package.domains["DM"]
    sources: list[tuple[str, dict[str, str]]] = []
    if "RFICDTC" in dm.columns:
        sources.append(("RFICDTC", dict(zip(dm["USUBJID"], date_part(dm["RFICDTC"]), strict=True))))
    ds = package.get("DS")
    if ds is not None and "DSDECOD" in ds.columns:
        consent = ds[ds["DSDECOD"].astype(str).str.strip() == "INFORMED CONSENT OBTAINED"]
        sources.append(("DS INFORMED CONSENT OBTAINED", _first(consent, "DSSTDTC")))
    found: dict[str, str] = {}
    used: dict[str, int] = {}
    for usubjid in dm["USUBJID"]:
        for name, dates in sources:
            value = dates.get(usubjid) or ""
            if re.match(COMPLETE_DATE, value):
                found[usubjid] = value
                used[name] = used.get(name, 0) + 1
                break
    for name, count in used.items():
        if name != "RFICDTC":
            carry.note(f"consent_date taken from {name} for {count} subject(s) (RFICDTC empty)")
    missing = len(dm) - len(found)
    if missing:
        carry.note(
            f"consent_date left empty for {missing} subject(s): no complete RFICDTC nor DS INFORMED CONSENT OBTAINED"
            " date (none invented)"
        )
    return found


def _first(frame: pd.DataFrame, variable: str) -> dict[str, str]:
    dates = frame.assign(_date=date_part(frame[variable]))
    dates = dates[dates["_date"].str.match(COMPLETE_DATE)]
    return {str(k): str(v) for k, v in dates.groupby("USUBJID")["_date"].min().items()}


def _screen_failures(package: SdtmInput) -> list[str]:
    ds = package.get("DS")
    if ds is None or "DSDECOD" not in ds.columns:
        return []
    return ds.loc[ds["DSDECOD"].astype(str).str.strip() == SCREEN_FAILURE, "USUBJID"].tolist()


def supp_attributes(package: SdtmInput, carry: Carry) -> dict[str, dict[str, str]]:
    """Attribute name -> {USUBJID: QVAL} from SUPPDM (QNAM in lower case); SUPPDM rows are planned as carried."""
    supp = package.get("SUPPDM")
    if supp is None:
        return {}
    carry.plan(
        "SUPPDM",
        carried={
            "STUDYID": "study.yaml study.id",
            "RDOMAIN": "(DM)",
            "USUBJID": "subjects.csv",
            "QNAM": "study.yaml subjects.attributes.qnam",
            "QLABEL": "study.yaml subjects.attributes.label",
            "QVAL": "subjects.csv (attribute column)",
        },
        recomputed={"QORIG": "specification", "QEVAL": "specification", "IDVAR": "(none)", "IDVARVAL": "(none)"},
    )
    out: dict[str, dict[str, str]] = {}
    for qnam, rows in _attribute_rows(supp):
        out[str(qnam).strip().lower()] = {
            str(u): text(v) or "" for u, v in zip(rows["USUBJID"], rows["QVAL"], strict=True)
        }
    return out


def _attribute_rows(supp: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """SUPPDM rows by QNAM, but RACE1, RACE2... (the races of RACE MULTIPLE, carried in `race`)."""
    return [
        (str(q), rows) for q, rows in supp.groupby("QNAM", sort=False) if not re.fullmatch(r"RACE\d+", str(q).strip())
    ]


def attribute_definitions(package: SdtmInput) -> list[dict[str, object]]:
    """The definition's subjects.attributes from SUPPDM: name, label (QLABEL, ASCII <= 40), values, qnam."""
    supp = package.get("SUPPDM")
    if supp is None:
        return []
    out: list[dict[str, object]] = []
    for qnam, rows in _attribute_rows(supp):
        qnam = str(qnam).strip()
        label = next((text(v) for v in rows["QLABEL"] if text(v)), qnam) or qnam
        values = sorted({text(v) for v in rows["QVAL"] if text(v)})  # type: ignore[type-var]
        label = "".join(c for c in label if " " <= c <= "~")[:40] or qnam
        out.append({"name": qnam.lower(), "label": label, "values": values, "qnam": qnam})
    return out

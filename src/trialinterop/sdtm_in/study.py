"""TS -> the `study`, `design`, `outcomes` and `trial_summary` sections of the study definition.

TS values map to definition fields by their CDISC CT submission values (TPHASE, TBLIND, INTMODEL, ...); the TS
parameters to-sdtm computes from the records (SSTDTC, SENDTC, ACTSUB, NARMS) are recomputed; every other parameter
no field holds is kept in `trial_summary`, so it is written back. A required field TS does not give gets a
stated default (noted in the report).
"""

from __future__ import annotations

import re
from typing import Any

from trialinterop.sdtm_in.carry import Carry
from trialinterop.sdtm_in.design import DURATION, NOT_GIVEN, ascii_text
from trialinterop.sdtm_in.package import SdtmInput, integer, text

SYSTEMS = {
    "CDISC": "CDISC CT", "CDISC CT": "CDISC CT", "SNOMED": "SNOMED", "SNOMED CT": "SNOMED", "UNII": "UNII",
    "ISO 3166": "ISO 3166", "MEDDRA": "MEDDRA", "LOINC": "LOINC", "MED-RT": "MED-RT", "RXNORM": "RXNORM",
    "ATC": "ATC",
}  # fmt: skip
PHASES = {
    "PHASE I TRIAL": "PHASE1", "PHASE II TRIAL": "PHASE2", "PHASE III TRIAL": "PHASE3", "PHASE IV TRIAL": "PHASE4",
    "PHASE I/II TRIAL": "PHASE1_PHASE2", "PHASE II/III TRIAL": "PHASE2_PHASE3", "NOT APPLICABLE": "NA",
    "PHASE 0 TRIAL": "EARLY_PHASE1", "PHASE 1": "PHASE1", "PHASE 2": "PHASE2", "PHASE 3": "PHASE3", "PHASE 4": "PHASE4",
}  # fmt: skip
MASKING = {"OPEN LABEL": "NONE", "SINGLE BLIND": "SINGLE", "DOUBLE BLIND": "DOUBLE", "TRIPLE BLIND": "TRIPLE"}
PURPOSES = {"DIAGNOSIS": "DIAGNOSTIC", "SCREENING": "SCREENING", "PREVENTION": "PREVENTION", "TREATMENT": "TREATMENT"}
TRIAL_TYPES = {
    "SAFETY", "EFFICACY", "PHARMACOKINETIC", "PHARMACODYNAMIC", "BIO-AVAILABILITY", "DOSE RESPONSE", "TOLERABILITY",
    "IMMUNOGENICITY",
}  # fmt: skip
CONSUMED = {
    "TITLE", "SPONSOR", "TPHASE", "STYPE", "PLANSUB", "DCUTDTC", "DCUTDESC", "INDIC", "RANDOM", "TBLIND", "INTMODEL",
    "TINDTP", "TCNTRL", "TTYPE", "LENGTH", "ADAPT", "ADDON", "PCLAS", "OBJPRIM", "OBJSEC", "STOPRULE", "PDSTIND",
    "RDIND", "EXTTIND", "SEXPOP", "AGEMIN", "AGEMAX", "HLTSUBJI", "REGID", "OUTMSPRI", "OUTMSSEC", "OUTMSEXP",
    "TRT", "INTTYPE", "DOSE", "DOSU", "DOSFRM", "DOSFRQ", "ROUTE", "FCNTRY", "CURTRT",
}  # fmt: skip
RECOMPUTED = {"SSTDTC", "SENDTC", "ACTSUB", "NARMS", "SDTMVER", "SDTIGVER", "COMPTRT"}


def ts_values(package: SdtmInput) -> dict[str, list[dict[str, Any]]]:
    """TSPARMCD -> its values in TSSEQ order: {value, code, system, nf, parm, index}; TSVAL in ASCII (SDTM
    requires it, SD1029: a typographic apostrophe becomes ')."""
    ts = package.get("TS")
    out: dict[str, list[dict[str, Any]]] = {}
    if ts is None:
        return out
    order = ts.assign(_seq=ts.get("TSSEQ", 0)).sort_values(["TSPARMCD", "_seq"], kind="mergesort")
    for index, row in order.iterrows():
        reference = (text(row.get("TSVCDREF")) or "").upper()
        value = text(row.get("TSVAL")) or ""
        out.setdefault(str(text(row["TSPARMCD"])), []).append(
            {
                "value": ascii_text(value, len(value)),
                "code": text(row.get("TSVALCD")),
                "system": SYSTEMS.get(reference),
                "nf": text(row.get("TSVALNF")),
                "parm": text(row.get("TSPARM")) or "",
                "index": index,
            }
        )
    return out


def study_sections(
    package: SdtmInput, carry: Carry, ts: dict[str, list[dict[str, Any]]], *, arms: int, enrolled: int
) -> dict[str, Any]:
    study_id = str(text(package.domains["DM"]["STUDYID"].iloc[0]))

    def first(parmcd: str) -> str | None:
        values = ts.get(parmcd) or []
        return values[0]["value"] or None if values else None

    def flag(parmcd: str) -> bool | None:
        value = first(parmcd)
        return None if value not in ("Y", "N") else value == "Y"

    registry = []
    for value in ts.get("REGID", []):
        if re.fullmatch(r"NCT\d{8}", value["value"]):
            registry.append({"registry": "NCT", "id": value["value"]})
    registry.append({"registry": "SPONSOR", "id": study_id})
    title = first("TITLE") or study_id
    study: dict[str, Any] = {
        "id": study_id,
        "registry_ids": registry,
        "brief_title": title,
        "official_title": title,
        "sponsor": {"name": first("SPONSOR") or study_id},
        "status": "COMPLETED" if first("SENDTC") else "ACTIVE_NOT_RECRUITING",
    }
    carry.note(f"study status {study['status']} (decision: COMPLETED when TS SENDTC is given)")
    phase = PHASES.get((first("TPHASE") or "").upper())
    if phase:
        study["phase"] = phase
    study["type"] = first("STYPE") if first("STYPE") in ("INTERVENTIONAL", "OBSERVATIONAL") else "INTERVENTIONAL"
    study["enrollment_target"] = integer(first("PLANSUB")) or max(enrolled, 1)
    if first("SSTDTC") and re.fullmatch(r"\d{4}-\d{2}-\d{2}", first("SSTDTC") or ""):
        study["start_date"] = first("SSTDTC")
    if first("DCUTDTC"):
        study["data_cutoff"] = {"date": first("DCUTDTC")} | (
            {"description": first("DCUTDESC")} if first("DCUTDESC") else {}
        )
    conditions = []
    for value in ts.get("INDIC", []):
        entry = {"name": value["value"]}
        if value["system"] == "SNOMED" and value["code"] and re.fullmatch(r"\d{6,18}", value["code"]):
            entry["snomed"] = value["code"]
        conditions.append(entry)
    study["conditions"] = conditions or [{"name": first("TDIGRP") or NOT_GIVEN}]
    design: dict[str, Any] = {
        "allocation": {"Y": "RANDOMIZED", "N": "NON_RANDOMIZED"}.get(first("RANDOM") or "", "NA"),
        "masking": MASKING.get((first("TBLIND") or "").upper(), "NONE"),
        "intervention_model": (first("INTMODEL") or ("PARALLEL" if arms > 1 else "SINGLE GROUP")).replace(" ", "_"),
        "primary_purpose": PURPOSES.get((first("TINDTP") or "").upper(), "TREATMENT"),
    }
    control = (first("TCNTRL") or "").upper().replace(" ", "_")
    if control in ("NONE", "PLACEBO", "ACTIVE", "DOSE_RESPONSE", "HISTORICAL"):
        design["control_type"] = control
    types = [v["value"] for v in ts.get("TTYPE", []) if v["value"] in TRIAL_TYPES]
    if types:
        design["trial_types"] = types
    if first("LENGTH") and DURATION.match(first("LENGTH") or ""):
        design["trial_length"] = first("LENGTH")
    for key, parmcd in (("adaptive", "ADAPT"), ("add_on", "ADDON")):
        if flag(parmcd) is not None:
            design[key] = flag(parmcd)
    if ts.get("PCLAS"):
        design["pharmacologic_class"] = [_coded(v) for v in ts["PCLAS"]]
    if ts.get("OBJPRIM"):
        design["primary_objective"] = " ".join(v["value"] for v in ts["OBJPRIM"])
    if ts.get("OBJSEC"):
        design["secondary_objectives"] = [v["value"] for v in ts["OBJSEC"]]
    if first("STOPRULE"):
        design["stop_rules"] = first("STOPRULE")
    for key, parmcd in (("pediatric", "PDSTIND"), ("rare_disease", "RDIND"), ("extension_trial", "EXTTIND")):
        if flag(parmcd) is not None:
            design[key] = flag(parmcd)
    outcomes = [
        {"kind": kind, "measure": v["value"], "time_frame": NOT_GIVEN}
        for parmcd, kind in (("OUTMSPRI", "PRIMARY"), ("OUTMSSEC", "SECONDARY"), ("OUTMSEXP", "EXPLORATORY"))
        for v in ts.get(parmcd, [])
        if v["value"]
    ]
    extra = [
        {"parmcd": parmcd, "parm": ascii_text(values[0]["parm"] or parmcd, 40), "values": [_coded(v) for v in values]}
        for parmcd, values in ts.items()
        if parmcd not in CONSUMED and parmcd not in RECOMPUTED and re.fullmatch(r"[A-Z][A-Z0-9]{0,7}", parmcd)
        and all(v["value"] for v in values)
    ]  # fmt: skip
    _plan_ts(package, carry, ts, {str(e["parmcd"]) for e in extra})
    return {"study": study, "design": design, "outcomes": outcomes, "trial_summary": extra}


def _coded(value: dict[str, Any]) -> dict[str, Any]:
    entry = {"value": value["value"]}
    if value["code"] and value["system"]:
        entry |= {"code": value["code"], "system": value["system"]}
    return entry


def _plan_ts(package: SdtmInput, carry: Carry, ts: dict[str, list[dict[str, Any]]], extra: set[str]) -> None:
    carry.plan(
        "TS",
        carried={v: "study.yaml" for v in ("TSPARMCD", "TSPARM", "TSVAL", "TSVALCD", "TSVCDREF", "TSVALNF")}
        | {"STUDYID": "study.yaml study.id", "DOMAIN": "(the domain)"},
        recomputed={"TSSEQ": "order", "TSVCDVER": "CT version", "TSGRPID": "groups"},
    )
    frame = package.get("TS")
    if frame is None:
        return
    for parmcd, values in ts.items():
        held = parmcd in CONSUMED or parmcd in extra
        for value in values:
            if parmcd in RECOMPUTED:
                continue
            if not held:
                carry.reject("TS", value["index"], f"TS {parmcd}: no study definition field")
            elif value["code"] and not value["system"]:
                carry.reject_value(
                    "TS", value["index"], "TSVALCD", "code system (TSVCDREF) not one the definition knows"
                )

"""AE, CM and MH -> adverse_events.csv, medications.csv, medical_history.csv.

The records number events within a subject with an integer (ae_id, cm_id, mh_id, written back as --SPID): the
package's --SPID when every one is an integer unique within its subject, else --SEQ (then --SPID is not carried:
the text --SPID such as E07 is then kept in `sponsor_id`). SUPPAE AETRTEM is recomputed by to-sdtm.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from trialinterop.sdtm_in.carry import Carry
from trialinterop.sdtm_in.package import SdtmInput, integer, text
from trialinterop.sdtm_in.tables import INDEX, Table, build_table
from trialinterop.sdtm_in.visits import visit_numbers

_COMMON_RECOMPUTED = {
    "STUDYID": "study.yaml study.id",
    "DOMAIN": "(the domain)",
    "USUBJID": "subjects.csv",
    "EPOCH": "SE elements",
}

AE_FIELDS = {
    "term": "AETERM", "llt": "AELLT", "llt_code": "AELLTCD", "pt": "AEDECOD", "pt_code": "AEPTCD",
    "hlt": "AEHLT", "hlt_code": "AEHLTCD", "hlgt": "AEHLGT", "hlgt_code": "AEHLGTCD", "soc": "AEBODSYS",
    "soc_code": "AEBDSYCD", "start": "AESTDTC", "end": "AEENDTC", "serious": "AESER", "death": "AESDTH",
    "life_threatening": "AESLIFE", "hospitalization": "AESHOSP", "disability": "AESDISAB",
    "congenital_anomaly": "AESCONG", "medically_important": "AESMIE", "severity": "AESEV", "ctcae_grade": "AETOXGR",
    "relationship": "AEREL", "action": "AEACN", "outcome": "AEOUT", "cancer": "AESCAN", "overdose": "AESOD",
}  # fmt: skip
CM_FIELDS = {
    "term": "CMTRT", "decoded": "CMDECOD", "atc_class": "CMCLAS", "indication": "CMINDC", "dose": "CMDOSE",
    "dose_unit": "CMDOSU", "route": "CMROUTE", "frequency": "CMDOSFRQ", "start": "CMSTDTC", "end": "CMENDTC",
}  # fmt: skip
MH_FIELDS = {
    "term": "MHTERM", "decoded": "MHDECOD", "body_system": "MHBODSYS", "category": "MHCAT", "start": "MHSTDTC",
    "end": "MHENDTC", "llt": "MHLLT", "hlt": "MHHLT", "hlgt": "MHHLGT", "severity": "MHSEV",
}  # fmt: skip


def map_events(package: SdtmInput, carry: Carry, domain: str) -> Table | None:
    frame = package.get(domain)
    if frame is None:
        return None
    file, id_field, fields = {
        "AE": ("adverse_events.csv", "ae_id", AE_FIELDS),
        "CM": ("medications.csv", "cm_id", CM_FIELDS),
        "MH": ("medical_history.csv", "mh_id", MH_FIELDS),
    }[domain]
    numbers, id_source = event_numbers(frame, domain)
    columns: dict[str, str | pd.Series] = {"subject_id": "USUBJID", id_field: numbers, **fields}
    columns["collection_date"] = f"{domain}DTC"
    if id_source != f"{domain}SPID":
        columns["sponsor_id"] = f"{domain}SPID"  # a text --SPID, kept as it is
    if domain != "AE":
        columns["visit_num"] = visit_numbers(frame["VISITNUM"]) if "VISITNUM" in frame else "VISITNUM"
    table = build_table(file, domain, frame, columns, carry)
    table.sources[id_field] = id_source
    table.sources["visit_num"] = "VISITNUM"
    ongoing = _ongoing(frame, domain)
    if ongoing is not None:
        table.frame["ongoing"] = ongoing.to_numpy()
        table.sources["ongoing"] = f"{domain}ENRTPT"
        carry.plan(domain, carried={f"{domain}ENRTPT": f"{file} ongoing", f"{domain}ENTPT": f"{file} ongoing"})
    carry.plan(
        domain,
        carried={id_source: f"{file} {id_field}", "USUBJID": f"{file} subject_id", "VISITNUM": f"{file} visit_num"},
        recomputed=_COMMON_RECOMPUTED
        | {f"{domain}SEQ": "order", f"{domain}STDY": "study day", f"{domain}ENDY": "study day"}
        | {f"{domain}DY": "study day", "VISIT": "study.yaml visits", "VISITDY": "study.yaml visits"}
        | ({"AESOC": "soc", "AESOCCD": "soc_code"} if domain == "AE" else {})
        | ({"MHSOC": "body_system"} if domain == "MH" else {}),
    )
    if domain == "AE":
        _unserious_criteria(table, carry)
    return table


SERIOUSNESS = ("death", "life_threatening", "hospitalization", "disability", "congenital_anomaly",
               "medically_important")  # fmt: skip


def _unserious_criteria(table: Table, carry: Carry) -> None:
    """A seriousness criterion Y on an AE with AESER N contradicts itself (the records reject it): the AE is carried
    with AESER, the contradicting criterion values are not."""
    frame = table.frame
    unserious = (frame["serious"] == "N").to_numpy()
    for name in SERIOUSNESS:
        wrong = unserious & (frame[name] == "Y").to_numpy()
        for index in frame.loc[wrong, INDEX]:
            carry.reject_value("AE", int(index), table.sources[name], "seriousness criterion Y on an AE with AESER N")
        frame.loc[wrong, name] = ""


DEFAULT_RELATIONSHIP = ("NOT RELATED", "UNLIKELY RELATED", "POSSIBLY RELATED", "RELATED")
"""The records' default causality terms (adverse_events.csv relationship)."""


def declared_codelists(package: SdtmInput) -> list[dict[str, Any]]:
    """The AEREL codelist the definition declares when the package's causality terms are not all among the records'
    default ones (AEREL is sponsor-defined: the pilot's PROBABLE, POSSIBLE, REMOTE, NONE)."""
    ae = package.get("AE")
    if ae is None or "AEREL" not in ae.columns:
        return []
    terms = [t for t in dict.fromkeys(text(v) for v in ae["AEREL"]) if t]
    if all(t in DEFAULT_RELATIONSHIP for t in terms):
        return []
    return [
        {
            "name": "AEREL",
            "title": "Causality (the package's AEREL terms)",
            "extensible": True,
            "terms": [{"value": t} for t in sorted(terms)],
        }
    ]


def event_numbers(frame: pd.DataFrame, domain: str) -> tuple[pd.Series, str]:
    """The integer event number of each row and the variable it comes from (--SPID when usable, else --SEQ)."""
    spid = f"{domain}SPID"
    if spid in frame.columns:
        numbers = frame[spid].map(integer)
        if numbers.notna().all() and not pd.DataFrame({"u": frame["USUBJID"], "n": numbers}).duplicated().any():
            return numbers.astype(object), spid
    return frame[f"{domain}SEQ"].map(integer).astype(object), f"{domain}SEQ"


def _ongoing(frame: pd.DataFrame, domain: str) -> pd.Series | None:
    """Y when --ENRTPT is ONGOING (or --ENRF is ONGOING/AFTER), N when it is another value, empty otherwise."""
    for variable in (f"{domain}ENRTPT", f"{domain}ENRF"):
        if variable in frame.columns:
            values = frame[variable].fillna("").astype(str).str.strip().str.upper()
            return values.map(lambda v: "" if not v else ("Y" if v in ("ONGOING", "AFTER") else "N"))
    return None

"""EX -> exposures.csv, and the interventions of the definition.

One intervention per distinct (EXTRT, EXDOSE, EXDOSU, EXDOSFRM, EXROUTE, EXDOSFRQ) product: when one EXTRT is
given at several doses, each dose is its own intervention whose `treatment` names the dose ("XANOMELINE 54 MG")
and whose `extrt` keeps EXTRT, so EXTRT and EXDOSE come back as they were.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from trialinterop.sdtm_in.carry import Carry
from trialinterop.sdtm_in.package import SdtmInput, number, number_text, text
from trialinterop.sdtm_in.tables import Table, build_table
from trialinterop.sdtm_in.visits import visit_numbers

PRODUCT = ("EXTRT", "EXDOSE", "EXDOSU", "EXDOSFRM", "EXROUTE", "EXDOSFRQ")


@dataclass(frozen=True)
class Product:
    extrt: str
    dose: float | None
    unit: str | None
    form: str | None
    route: str | None
    frequency: str | None
    treatment: str
    code: str


def products(package: SdtmInput) -> list[Product]:
    """The distinct products of EX, in order of first appearance."""
    ex = package.get("EX")
    if ex is None:
        return []
    seen: dict[tuple, None] = {}
    for row in ex.reindex(columns=list(PRODUCT)).itertuples(index=False):
        seen.setdefault((text(row[0]), number(row[1]), *(text(v) for v in row[2:])), None)
    keys = [k for k in seen if k[0]]
    doses_per_trt: dict[str, set] = {}
    for key in keys:
        doses_per_trt.setdefault(key[0], set()).add(key[1:])
    out: list[Product] = []
    codes: set[str] = set()
    for extrt, dose, unit, form, route, frequency in keys:
        several = len(doses_per_trt[extrt]) > 1
        treatment = extrt
        if several and dose is not None:
            treatment = f"{extrt} {number_text(dose)} {unit or ''}".strip().upper()
        code = _code(treatment, codes)
        out.append(Product(extrt, dose, unit, form, route, frequency, treatment, code))
    return out


def _code(treatment: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9]+", "_", treatment).strip("_") or "TRT"
    if not base[0].isalpha():
        base = "T" + base
    base = base[:20]
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base[: 20 - len(str(n))]}{n}"
    taken.add(code)
    return code


def map_exposures(package: SdtmInput, carry: Carry, items: list[Product]) -> Table | None:
    ex = package.get("EX")
    if ex is None:
        return None
    by_key: dict[tuple, str] = {(p.extrt, p.dose, p.unit, p.form, p.route, p.frequency): p.treatment for p in items}
    treatments = [
        by_key.get((text(r[0]), number(r[1]), *(text(v) for v in r[2:])), "")
        for r in ex.reindex(columns=list(PRODUCT)).itertuples(index=False)
    ]
    fields: dict[str, str | pd.Series] = {
        "subject_id": "USUBJID",
        "treatment": pd.Series(treatments, index=ex.index),
        "start": "EXSTDTC",
        "end": "EXENDTC",
        "dose": "EXDOSE",
        "dose_unit": "EXDOSU",
        "dose_form": "EXDOSFRM",
        "route": "EXROUTE",
        "frequency": "EXDOSFRQ",
        "lot": "EXLOT",
        "visit_num": visit_numbers(ex["VISITNUM"]) if "VISITNUM" in ex else "VISITNUM",
    }
    table = build_table("exposures.csv", "EX", ex, fields, carry)
    table.sources |= {"treatment": "EXTRT", "visit_num": "VISITNUM"}
    carry.plan(
        "EX",
        carried={
            "EXTRT": "exposures.csv treatment (study.yaml interventions)",
            "USUBJID": "exposures.csv subject_id",
            "VISITNUM": "exposures.csv visit_num",
        },
        recomputed={
            "STUDYID": "study.yaml study.id",
            "DOMAIN": "(the domain)",
            "EXSEQ": "order",
            "EPOCH": "SE elements",
            "EXSTDY": "study day",
            "EXENDY": "study day",
            "VISIT": "study.yaml visits",
            "VISITDY": "study.yaml visits",
        },
    )
    return table

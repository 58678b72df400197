"""TA, TE, TV, TI: the planned design, from the study definition (arms and their elements, visits, criteria).

TA: one row per element of each arm, in the arm's order (TABRANCH/TATRANS null: arms are parallel paths). TV: one
row per planned visit with ARMCD null when every arm has it, else one row per arm that has it (SDTMIG 3.4 TV).
"""

from __future__ import annotations

import pandas as pd

from trialinterop.sdtm.context import SdtmContext
from trialinterop.sdtm.domains.base import select
from trialinterop.source.models import TrialRecords


def build_ta(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    rows = []
    for arm in ctx.require_definition().arms:
        for order, etcd in enumerate(ctx.design.arms.get(arm.code, ()), start=1):
            element = ctx.design.element(etcd)
            rows.append(
                {"ARMCD": arm.code, "ARM": arm.name, "TAETORD": order, "ETCD": etcd}
                | {"ELEMENT": element.element, "EPOCH": element.epoch}
            )
    frame = _design_frame(rows, ctx, "TA")
    frame["TAETORD"] = pd.array(frame["TAETORD"].tolist(), dtype="Int64")
    return select(frame, ctx.variable_names("TA"))


def build_te(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    rows = [
        {"ETCD": e.etcd, "ELEMENT": e.element, "TESTRL": e.testrl, "TEENRL": e.teenrl, "TEDUR": e.tedur}
        for e in ctx.design.elements
    ]
    return select(_design_frame(rows, ctx, "TE"), ctx.variable_names("TE"))


def build_tv(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    definition = ctx.require_definition()
    every_arm = tuple(a.code for a in definition.arms)
    rows = [
        {"VISITNUM": float(v.number), "VISIT": v.name, "VISITDY": v.planned_day, "ARMCD": arm}
        | {"TVSTRL": v.start_rule, "TVENRL": v.end_rule}
        for v in sorted(definition.visits.planned, key=lambda v: v.number)
        for arm in (v.arms if v.arms and set(v.arms) != set(every_arm) else (None,))
    ]
    frame = _design_frame(rows, ctx, "TV")
    frame["VISITNUM"] = pd.array(frame["VISITNUM"].tolist(), dtype="Float64")
    frame["VISITDY"] = pd.array(frame["VISITDY"].tolist(), dtype="Int64")
    return select(frame, ctx.variable_names("TV"))


def build_ti(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    rows = [
        {"IETESTCD": c.id, "IETEST": c.text, "IECAT": c.category} for c in ctx.require_definition().eligibility.criteria
    ]
    return select(_design_frame(rows, ctx, "TI"), ctx.variable_names("TI"))


def _design_frame(rows: list[dict], ctx: SdtmContext, domain: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows, dtype=object)
    frame.insert(0, "DOMAIN", domain)
    frame.insert(0, "STUDYID", ctx.study_id)
    return frame

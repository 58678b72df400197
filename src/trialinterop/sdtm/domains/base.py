"""What every domain builder shares: identifier columns, the output column list, number-to-text results, and the
codelist verbs that take the codelist of the target variable from the specification."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from trialinterop.distinct import map_distinct
from trialinterop.errors import SpecError
from trialinterop.number_text import number_text as number_text  # re-exported for the domain builders
from trialinterop.sdtm.algorithms import assign_ct, assign_dtc, hardcode, hardcode_ct
from trialinterop.sdtm.context import SdtmContext
from trialinterop.sdtm.derive import derive_study_day, derive_visit


def with_identifiers(frame: pd.DataFrame, ctx: SdtmContext, domain: str) -> pd.DataFrame:
    """STUDYID, DOMAIN and USUBJID (from the source `subject_id` column)."""
    out = hardcode(frame, "STUDYID", ctx.study_id)
    out = hardcode(out, "DOMAIN", domain)
    out["USUBJID"] = pd.Series(map_distinct(ctx.usubjid, out["subject_id"]), index=out.index, dtype=object)
    return out


def assign_coded(
    frame: pd.DataFrame, variable: str, source: str, *, ctx: SdtmContext, domain: str, where: pd.Series | None = None
) -> pd.DataFrame:
    """`assign_ct` through the codelist the specification gives `domain`.`variable`."""
    codelist = ctx.codelist_of(domain, variable)
    return assign_ct(frame, variable, source, codelist=codelist, terminology=ctx.terminology, where=where)


def hardcode_coded(
    frame: pd.DataFrame, variable: str, value: str, *, ctx: SdtmContext, domain: str, where: pd.Series | None = None
) -> pd.DataFrame:
    """`hardcode_ct` with the codelist the specification gives `domain`.`variable`."""
    codelist = ctx.codelist_of(domain, variable)
    return hardcode_ct(frame, variable, value, codelist=codelist, terminology=ctx.terminology, where=where)


def supp_qualifier(ctx: SdtmContext, dataset: str, qnam: str, label: str | None = None) -> dict[str, str]:
    """QLABEL and QORIG of a SUPP-- qualifier: those of its value-level entry (mappings/value_level.csv), else
    `label` and Collected for a collected qualifier the specification does not list (SpecError without `label`)."""
    entry = ctx.value_level(dataset, "QVAL", qnam)
    if entry is not None:
        return {"QLABEL": entry.label, "QORIG": entry.origin}
    if label is None:
        raise SpecError(f"{dataset} QNAM {qnam} has no value-level entry in mappings/value_level.csv")
    return {"QLABEL": label, "QORIG": "Collected"}


def expand_items(frame: pd.DataFrame, items: Mapping[str, Sequence[Any]], *, per_row: int) -> pd.DataFrame:
    """Each row of `frame` repeated `per_row` times, beside the item columns (`per_row` values per row of `frame`,
    row by row): how one assessment becomes its result records."""
    expected = len(frame) * per_row
    for name, values in items.items():
        if len(values) != expected:
            raise ValueError(f"item column {name} has {len(values)} values, expected {expected}")
    shared = frame.copy(deep=False)
    for column in shared.columns:  # repeated text is taken as codes, not as a million object pointers
        if shared[column].dtype == object:
            shared[column] = pd.Categorical(shared[column])
    out = shared.take(np.repeat(np.arange(len(frame)), per_row)).reset_index(drop=True)
    extra = pd.DataFrame({name: _item_series(values) for name, values in items.items()})
    return pd.concat([out, extra], axis=1)


def _item_series(values: Sequence[Any]) -> pd.Series:
    """Object columns stay object (no text inference); pandas extension arrays keep their dtype."""
    if isinstance(values, pd.api.extensions.ExtensionArray):
        return pd.Series(values)
    return pd.Series(values, dtype=object)


COLLECTION_TIMING = ("VISITNUM", "VISIT", "AEDTC", "AEDY", "CMDTC", "CMDY", "MHDTC", "MHDY", "DSDTC", "DSDY")
"""Permissible timing variables of events and interventions (the visit and date a record was collected at)."""
FILLED_ONLY = (
    *COLLECTION_TIMING, "DMDTC", "DMDY", "DSSPID", "MHLLT", "MHHLT", "MHHLGT", "MHSEV", "AESCAN", "AESOD",
)  # fmt: skip
"""Permissible variables submitted only when some record has them (`filled_variables`): optional record fields
that finished packages carry; a study whose records do not hold them is unchanged."""


def with_collection_timing(
    frame: pd.DataFrame, ctx: SdtmContext, domain: str, *, visit: bool, dtc: bool
) -> pd.DataFrame:
    """VISITNUM and VISIT from the records' `visit_num`; --DTC and --DY from their `collection_date`."""
    out = frame.copy(deep=False)
    if visit:
        numbers = [None if v is None or pd.isna(v) else float(v) for v in out["visit_num"]]
        out["VISITNUM"] = pd.array(numbers, dtype="Float64")
        out = derive_visit(out, study=ctx.study)
    if dtc:
        out = assign_dtc(out, f"{domain}DTC", "collection_date")
        out = derive_study_day(out, dtc=f"{domain}DTC", dy=f"{domain}DY", ctx=ctx)
    return out


def filled_variables(
    frame: pd.DataFrame, variables: Sequence[str], filled_only: Sequence[str] = FILLED_ONLY
) -> list[str]:
    """`variables` without the `filled_only` ones (default FILLED_ONLY) no record fills."""
    return [v for v in variables if v not in filled_only or (v in frame.columns and frame[v].notna().any())]


def sponsor_ids(frame: pd.DataFrame, number: str, ctx: SdtmContext, domain: str) -> pd.Series:
    """--SPID: the records' `sponsor_id` texts when any record of the trial has one (an empty one stays empty: the
    context may know it of the whole trial, `SdtmContext.sponsor_ids_given`), else the record number as text."""
    given = frame["sponsor_id"]
    if ctx.sponsor_ids_given(domain, bool(given.notna().any())):
        return given.astype(object)
    return frame[number].map(str).astype(object)


def select(frame: pd.DataFrame, variables: Sequence[str]) -> pd.DataFrame:
    """Exactly `variables`, in that order; a variable the builder did not set is added as all-missing."""
    out = frame.copy(deep=False)  # copy-on-write (pandas 3): new columns never reach `frame`
    for variable in variables:
        if variable not in out.columns:
            out[variable] = pd.Series([None] * len(out), index=out.index, dtype=object)
    return out.loc[:, list(variables)].reset_index(drop=True)


def empty_frame(variables: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({v: pd.Series(dtype=object) for v in variables})

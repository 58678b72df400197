"""What every domain builder shares: identifier columns, the output column list, number-to-text results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from trialinterop.sdtm.algorithms import hardcode
from trialinterop.sdtm.context import SdtmContext


def with_identifiers(frame: pd.DataFrame, ctx: SdtmContext, domain: str) -> pd.DataFrame:
    """STUDYID, DOMAIN and USUBJID (from the source `subject_id` column)."""
    out = hardcode(frame, "STUDYID", ctx.study_id)
    out = hardcode(out, "DOMAIN", domain)
    out["USUBJID"] = pd.Series([ctx.usubjid(s) for s in out["subject_id"]], index=out.index, dtype=object)
    return out


def select(frame: pd.DataFrame, variables: Sequence[str]) -> pd.DataFrame:
    """Exactly `variables`, in that order; a variable the builder did not set is added as all-missing."""
    out = frame.copy()
    for variable in variables:
        if variable not in out.columns:
            out[variable] = pd.Series([None] * len(out), index=out.index, dtype=object)
    return out.loc[:, list(variables)].reset_index(drop=True)


def number_text(value: Any) -> str | None:
    """A collected number as result text: 100.0 -> "100", 2.91 -> "2.91"; None stays None."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def empty_frame(variables: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({v: pd.Series(dtype=object) for v in variables})

"""RE (respiratory findings; module not named `re` to keep the standard library name free): per spirometry test
an FVC record in L (predicted FVC in REORREF/RESTREFN, SDTMIG RE example 1) and an FVCPP record in %.

A test that was not done, or a result left empty, is RESTAT NOT DONE with the reason in REREASND.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from trialinterop.distinct import map_distinct
from trialinterop.sdtm.context import SdtmContext
from trialinterop.sdtm.derive import derive_epoch, derive_lobxfl, derive_seq, derive_study_day, derive_visit
from trialinterop.sdtm.domains.base import empty_frame, expand_items, number_text, select, with_identifiers
from trialinterop.source.models import Spirometry, TrialRecords

RE_VARIABLES = (
    "STUDYID", "DOMAIN", "USUBJID", "RESEQ", "RETESTCD", "RETEST", "REPOS", "REORRES", "REORRESU", "REORREF",
    "RESTRESC", "RESTRESN", "RESTRESU", "RESTREFN", "RESTAT", "REREASND", "REMETHOD", "RELOBXFL", "REBLFL",
    "VISITNUM", "VISIT", "EPOCH", "REDTC", "REDY",
)  # fmt: skip
_TESTS = (
    ("FVC", "Forced Vital Capacity", "L", "fvc_l"),
    ("FVCPP", "Percent Predicted Forced Vital Capacity", "%", "fvc_percent_predicted"),
)


def _test_frame(tests: tuple[Spirometry, ...]) -> pd.DataFrame:
    """One row per spirometry test: what its FVC and FVCPP records share."""
    return pd.DataFrame(
        {
            "subject_id": pd.Series([t.subject_id for t in tests], dtype=object),
            "REPOS": pd.Series([t.position for t in tests], dtype=object),
            "REMETHOD": pd.Series(["SPIROMETRY"] * len(tests), dtype=object),
            "VISITNUM": pd.Series([float(t.visit_num) for t in tests], dtype="float64"),
            "REDTC": pd.Series([t.test_datetime for t in tests], dtype=object),
        }
    )


def _result_columns(tests: tuple[Spirometry, ...]) -> dict[str, Any]:
    """The FVC and FVCPP results of every test, test by test, built as whole (tests x 2) arrays; a number becomes
    its text once per distinct value."""
    count = len(tests)
    numbers = np.array(
        [[_number(getattr(t, attribute)) for _, _, _, attribute in _TESTS] for t in tests], dtype=np.float64
    ).reshape(count, len(_TESTS))
    predicted = np.array([_number(t.fvc_predicted_l) for t in tests], dtype=np.float64)
    done = ~np.isnan(numbers)
    texts = np.array(map_distinct(number_text, numbers.ravel()), dtype=object).reshape(numbers.shape)
    units = np.array([unit for _, _, unit, _ in _TESTS], dtype=object)
    fvc = np.array([code == "FVC" for code, _, _, _ in _TESTS])
    reference = np.where(fvc & ~np.isnan(predicted)[:, None], predicted[:, None], np.nan)
    reference_texts = np.array(map_distinct(number_text, reference.ravel()), dtype=object)
    reasons = np.array([t.not_done_reason for t in tests], dtype=object)[:, None]
    return {
        "RETESTCD": np.tile(np.array([code for code, _, _, _ in _TESTS], dtype=object), count),
        "RETEST": np.tile(np.array([name for _, name, _, _ in _TESTS], dtype=object), count),
        "REORRES": texts.ravel(),
        "REORRESU": np.where(done, units, None).ravel(),  # type: ignore[call-overload]  # numpy stubs reject a None branch
        "REORREF": reference_texts,
        "RESTRESC": texts.ravel(),
        "RESTRESN": pd.arrays.FloatingArray(np.nan_to_num(numbers).ravel(), ~done.ravel()),
        "RESTRESU": np.where(done, units, None).ravel(),  # type: ignore[call-overload]  # numpy stubs reject a None branch
        "RESTREFN": pd.arrays.FloatingArray(np.nan_to_num(reference).ravel(), np.isnan(reference).ravel()),
        "RESTAT": np.where(done, None, "NOT DONE").astype(object).ravel(),  # type: ignore[call-overload]  # numpy stubs reject a None branch
        "REREASND": np.where(done, None, reasons).ravel(),  # type: ignore[call-overload]  # numpy stubs reject a None branch
    }


def _number(value: float | None) -> float:
    return np.nan if value is None else float(value)


def build_re(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    """Identifiers, VISIT, EPOCH and REDY are derived once per test, then each test is expanded into its FVC and
    FVCPP records; RELOBXFL and RESEQ are derived per record."""
    if not records.spirometry:
        return empty_frame(RE_VARIABLES)
    tests = (
        with_identifiers(_test_frame(records.spirometry), ctx, "RE")
        .pipe(derive_visit, study=records.study)
        .pipe(derive_epoch, dtc="REDTC", ctx=ctx, by_visit=True)
        .pipe(derive_study_day, dtc="REDTC", dy="REDY", ctx=ctx)
    )
    frame = expand_items(tests, _result_columns(records.spirometry), per_row=len(_TESTS))
    frame = frame.pipe(derive_lobxfl, flag="RELOBXFL", test="RETESTCD", result="REORRES", dtc="REDTC", ctx=ctx).pipe(
        derive_seq, seq="RESEQ", order=["RETESTCD", "VISITNUM"]
    )
    frame["VISITNUM"] = frame["VISITNUM"].astype("Float64")
    return select(frame, RE_VARIABLES)

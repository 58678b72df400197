"""RE (respiratory findings; module not named `re` to keep the standard library name free): per spirometry test
an FVC record in L (predicted FVC in REORREF/RESTREFN, SDTMIG RE example 1) and an FVCPP record in %.

A test that was not done, or a result left empty, is RESTAT NOT DONE with the reason in REREASND.
"""

from __future__ import annotations

import pandas as pd

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


def _result_columns(tests: tuple[Spirometry, ...]) -> dict[str, list]:
    """The FVC and FVCPP results of every test, test by test."""
    columns: dict[str, list] = {name: [] for name in _RESULT_COLUMNS}
    for test in tests:
        for code, name, unit, attribute in _TESTS:
            value = getattr(test, attribute)
            text = number_text(value)
            reference = number_text(test.fvc_predicted_l) if code == "FVC" else None
            done = text is not None
            for column, item in zip(
                _RESULT_COLUMNS,
                (
                    code,
                    name,
                    text,
                    unit if done else None,
                    reference,
                    text,
                    float(value) if done else None,
                    unit if done else None,
                    float(test.fvc_predicted_l) if reference is not None else None,
                    None if done else "NOT DONE",
                    None if done else test.not_done_reason,
                ),
                strict=True,
            ):
                columns[column].append(item)
    return columns


_RESULT_COLUMNS = (
    "RETESTCD", "RETEST", "REORRES", "REORRESU", "REORREF", "RESTRESC", "RESTRESN", "RESTRESU", "RESTREFN",
    "RESTAT", "REREASND",
)  # fmt: skip


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
    for column in ("RESTRESN", "RESTREFN", "VISITNUM"):
        frame[column] = pd.array(frame[column].tolist(), dtype="Float64")
    return select(frame, RE_VARIABLES)

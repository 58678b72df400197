"""Whole-column date arithmetic (sdtm.dtc_columns) and the column derivations built on it agree with the scalar
references in iso8601 and derive (compute_epoch, study_day, compare_dtc), value by value."""

from __future__ import annotations

import functools

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from test_sdtm_factory import context, records, rows
from trialinterop.iso8601 import compare_dtc, study_day
from trialinterop.sdtm.derive import compute_epoch, compute_treatment_emergent, derive_epoch, derive_study_day
from trialinterop.sdtm.domains.ae import build_ae, build_suppae
from trialinterop.sdtm.dtc_columns import compare, dtc_column, study_days

_context = functools.cache(context)
SUBJECTS = ("NCT05016804-01-001", "NCT05016804-01-002", "NCT05016804-02-001", "NCT05016804-99-999")


@st.composite
def dtcs(draw: st.DrawFn) -> str | None:
    """Partial and complete values around this fixture's dates (2022-02 .. 2022-10), and missing ones."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from([None, ""]))
    year = draw(st.sampled_from([2021, 2022, 2023]))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 28))
    precision = draw(st.integers(1, 6))
    hour, minute, second = draw(st.integers(0, 23)), draw(st.integers(0, 59)), draw(st.integers(0, 59))
    text = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
    return text[: (4, 7, 10, 13, 16, 19)[precision - 1]]


def test_encoding_of_partial_values() -> None:
    column = dtc_column(["2022-03-10T10:41", "2022-03", None, "", "2022-03-10"])
    assert column.key.tolist() == [20220310104100, 20220300000000, 0, 0, 20220310000000]
    assert column.known.tolist() == [5, 2, 0, 0, 3]
    assert column.day.tolist()[0] == column.day.tolist()[4] == 19061  # days since 1970-01-01


def test_compare_at_shared_precision() -> None:
    a = dtc_column(["2022-03-10", "2022-03-10T10:00", "2022-03", "2022-04-01", "2021"])
    b = dtc_column(["2022-03-10T23:59", "2022-03-10T09:00", "2022-02-28", "2022-03-31T12:00", "2022-01-01"])
    assert compare(a, b).tolist() == [0, 1, 1, 1, -1]


def test_study_days_without_day_zero() -> None:
    dates = dtc_column(["2022-03-09", "2022-03-10T08:00", "2022-03-11", "2022-03", None])
    references = dtc_column(["2022-03-10T10:41"] * 5)
    assert pd.Series(study_days(dates, references)).tolist() == [-1, 1, 2, pd.NA, pd.NA]


def test_not_an_iso_value_raises() -> None:
    with pytest.raises(ValueError):
        dtc_column(["2022-13-01"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(dtcs(), dtcs()), min_size=1, max_size=30))
def test_compare_equals_compare_dtc(pairs: list[tuple[str | None, str | None]]) -> None:
    present = [(a, b) for a, b in pairs if a and b]
    if not present:
        return
    left, right = zip(*present, strict=True)
    assert compare(dtc_column(list(left)), dtc_column(list(right))).tolist() == [compare_dtc(a, b) for a, b in present]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SUBJECTS), dtcs()), min_size=1, max_size=30))
def test_column_epoch_and_study_day_equal_the_scalar_ones(records: list[tuple[str, str | None]]) -> None:
    ctx = _context()
    frame = pd.DataFrame(records, columns=["USUBJID", "XXDTC"], dtype=object)
    epochs = rows(derive_epoch(frame, dtc="XXDTC", ctx=ctx), ["EPOCH"])
    days = rows(derive_study_day(frame, dtc="XXDTC", dy="XXDY", ctx=ctx), ["XXDY"])
    for (usubjid, dtc), (epoch,), (day,) in zip(records, epochs, days, strict=True):
        reference = ctx.reference(usubjid)
        assert epoch == compute_epoch(reference, dtc)
        assert day == study_day(dtc or None, reference.rfstdtc if reference else None)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SUBJECTS[:3]), dtcs()), min_size=1, max_size=12))
def test_treatment_emergent_column_equals_the_scalar_flag(events: list[tuple[str, str | None]]) -> None:
    ctx = _context()
    frame = pd.DataFrame(
        {
            "USUBJID": [u for u, _ in events],
            "AESTDTC": [d or None for _, d in events],
            "AESEQ": list(range(1, len(events) + 1)),
            "AESPID": [str(n) for n in range(1, len(events) + 1)],
        }
    )
    supp = build_suppae(records(adverse_events=()), ctx, ae=frame)  # no specify texts: one AETRTEM row each
    expected = [
        compute_treatment_emergent(d or None, ctx.reference(u).rfxstdtc if ctx.reference(u) else None)
        for u, d in events
    ]
    assert supp["QVAL"].tolist() == expected
    assert supp["IDVARVAL"].tolist() == [str(n) for n in range(1, len(events) + 1)]


def test_serious_specify_rows_follow_their_event() -> None:
    ctx = _context()
    ae = build_ae(records(), ctx)
    supp = build_suppae(records(), ctx, ae=ae)
    assert rows(supp, ["USUBJID", "IDVARVAL", "QNAM", "QVAL", "QEVAL"]) == [
        ("NCT05016804-01-001", "1", "AETRTEM", "Y", "SPONSOR"),  # infusion day, no time: not before it
        ("NCT05016804-01-001", "2", "AETRTEM", "N", "SPONSOR"),
        ("NCT05016804-02-001", "1", "AETRTEM", "Y", "SPONSOR"),  # "2022-02": not known to precede 02-01T11:00
        ("NCT05016804-02-001", "2", "AETRTEM", "Y", "SPONSOR"),
        ("NCT05016804-02-001", "2", "AESOSP", "Hospitalised, then died", None),
    ]

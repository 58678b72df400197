"""docs/records.md is generated from the schema; this test fails when someone changes one and not the other."""

from __future__ import annotations

from pathlib import Path

from trialinterop.source.docs import render_records_doc

DOC = Path(__file__).resolve().parents[1] / "docs" / "records.md"


def test_records_doc_is_current():
    assert DOC.read_text(encoding="utf-8") == render_records_doc(), (
        "docs/records.md is stale: run `python -m trialinterop.source.docs > docs/records.md`"
    )


def test_records_doc_lists_every_table():
    text = DOC.read_text(encoding="utf-8")
    for name in ("subjects.csv", "exposures.csv", "adverse_events.csv", "skin_scores.csv", "spirometry.csv",
                 "visits.csv", "disposition.csv", "eligibility.csv"):  # fmt: skip
        assert f"## `{name}`" in text

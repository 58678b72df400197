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
    for name in ("subjects.csv", "exposures.csv", "adverse_events.csv", "findings.csv", "visits.csv",
                 "disposition.csv", "eligibility.csv", "medications.csv", "medical_history.csv"):  # fmt: skip
        assert f"## `{name}`" in text


def test_records_doc_says_where_study_values_come_from():
    text = DOC.read_text(encoding="utf-8")
    assert "| arm | string |  | ARMCD of the arm the subject was assigned to" in text
    assert "From the definition: an arm `code` of the definition." in text
    assert "From the definition: a term of CDISC CT UNIT, or one the definition names." in text

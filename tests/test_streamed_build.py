"""The streamed SDTM build gives what the whole build gives: findings built in parts of a few subjects, datasets
conformed one at a time (`conform_each`) and Dataset-JSON rows written in parts (docs/scale-out.md, memory)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from trialinterop.ct import load_terminology
from trialinterop.sdtm.build import build_sdtm, iter_sdtm
from trialinterop.sdtm.conform import conform, conform_dataset, conform_each
from trialinterop.sdtm.context import build_context
from trialinterop.sdtm.domains.findings import build_findings, build_findings_in_parts
from trialinterop.source.models import TrialRecords
from trialinterop.source.reader import read_records
from trialinterop.spec import load_spec
from trialinterop.writers import dataset_json

RECORDS = Path(__file__).resolve().parents[1] / "fixtures" / "records"


@pytest.fixture(scope="module")
def records() -> TrialRecords:
    return read_records(RECORDS)


@pytest.mark.parametrize("domain", ["QS", "RE"])
def test_findings_in_parts_conform_to_the_whole_build(records: TrialRecords, domain: str) -> None:
    spec = load_spec(definition=records.definition)
    ctx = build_context(records, load_terminology(), spec=spec)
    whole, whole_issues = conform_dataset(build_findings(records, ctx, domain), domain, spec)
    parts, parts_issues = conform_dataset(build_findings_in_parts(records, ctx, domain, subjects=3), domain, spec)
    assert len(records.subjects) == 20  # 7 parts of at most 3 subjects
    assert len(parts) == {"QS": 1656, "RE": 184}[domain]  # the fixture trial's rows (tests/golden/sdtm)
    assert parts_issues == whole_issues
    # the same values row by row; a text column's categories may be listed in another order (the derived totals
    # of each part follow that part's records), which no writer reads
    pd.testing.assert_frame_equal(parts, whole, check_categorical=False)
    assert list(parts["QSORRES" if domain == "QS" else "RESTRESC"].astype(object)) == list(
        whole["QSORRES" if domain == "QS" else "RESTRESC"].astype(object)
    )


def test_parts_leave_out_the_same_unfilled_permissible_variables(records: TrialRecords) -> None:
    spec = load_spec(definition=records.definition)
    ctx = build_context(records, load_terminology(), spec=spec)
    columns = list(build_findings_in_parts(records, ctx, "QS", subjects=4).columns)
    assert columns == list(build_findings(records, ctx, "QS").columns)
    assert "QSORNRLO" not in columns  # no QS test has a normal range


def test_conform_each_is_conform_one_dataset_at_a_time(records: TrialRecords) -> None:
    spec = load_spec(definition=records.definition)
    terminology = load_terminology()
    expected, expected_issues = conform(build_sdtm(records, terminology, spec=spec), spec)
    found, issues = conform_each(iter_sdtm(records, terminology, spec=spec), spec)
    assert list(found) == list(expected)
    assert list(found)[:3] == ["DM", "SE", "SV"]  # spec order, not build order
    assert issues == expected_issues
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(found[name], frame)


def test_dataset_json_written_in_parts_is_the_document_as_json_dumps_writes_it(
    records: TrialRecords, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = load_spec(definition=records.definition)
    conformed, _ = conform(build_sdtm(records, load_terminology(), spec=spec), spec)
    frame = conformed["AE"]
    document = dataset_json.build_dataset_json(frame, "AE", spec)
    monkeypatch.setattr(dataset_json, "ROWS_PER_PART", 7)  # 44 rows: 7 parts, the last of 2
    path = dataset_json.write_dataset_json(frame, tmp_path, "AE", spec)
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(document, ensure_ascii=False) + "\n"
    written = json.loads(text)
    assert written["records"] == 44 and len(written["rows"]) == 44
    assert text.endswith("]]}\n") and ", [" in text


def test_dataset_json_of_no_rows(records: TrialRecords, tmp_path: Path) -> None:
    spec = load_spec(definition=records.definition)
    conformed, _ = conform(build_sdtm(records, load_terminology(), spec=spec), spec)
    path = dataset_json.write_dataset_json(conformed["AE"].iloc[:0], tmp_path, "AE", spec)
    written = json.loads(path.read_text(encoding="utf-8"))
    assert (written["records"], written["rows"]) == (0, [])

"""The Spark ingest's index pass (spark.grouping.index_chunks) and read-back (spark.ndjson.LineReader), without
Spark: the rows point at the very lines the single-machine reader parses, and reading them back gives the same
resources, `where` and origin. (tests/test_spark_engine.py runs the whole engine against the local one.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from trialinterop.errors import InputError
from trialinterop.fhir_in.load import _read_ndjson_folder
from trialinterop.spark import ndjson as reader
from trialinterop.spark.grouping import Summary, index_chunks

PATIENT = '{"resourceType":"Patient","id":"p1","identifier":[{"system":"urn:s","value":"A1"}]}'
BY_ID = '{"resourceType":"Observation","id":"o1","subject":{"reference":"Patient/p1"}}'
BY_ALIAS = '{"resourceType":"Observation","id":"o2","subject":{"identifier":{"system":"urn:s","value":"A1"}}}'
SHARED = '{"resourceType":"Organization","id":"org"}'
SKIPPED = '{"resourceType":"Practitioner","id":"dr"}'


def _folder(tmp_path: Path) -> Path:
    (tmp_path / "Observation.ndjson").write_text(f"{BY_ID}\n\n{BY_ALIAS}\n")
    (tmp_path / "Patient.ndjson").write_text(f"{PATIENT}\n{SHARED}\n{SKIPPED}")  # no newline at the end
    return tmp_path


def _index(folder: Path, chunk_bytes: int) -> tuple[list[tuple], Summary]:
    files = reader.ndjson_files(folder)
    found = reader.chunks(files, chunk_bytes)
    numbered = reader.numbered(found, [reader.count_starts(c) for c in found])
    rows, summary = [], Summary()
    for chunk in numbered:  # one partition per chunk, as Spark may cut them
        *found_rows, last = list(index_chunks(iter([chunk])))
        rows += found_rows
        summary.merge(last)
    return rows, summary


@pytest.mark.parametrize("chunk_bytes", [7, 60, 100_000])
def test_rows_name_the_lines_and_the_subject_keys(tmp_path: Path, chunk_bytes: int) -> None:
    rows, summary = _index(_folder(tmp_path), chunk_bytes)
    observation_offset = len(BY_ID) + 2  # after the first line and the blank one
    assert rows == [
        ((0, 1), 0, len(BY_ID) + 1, "Observation/o1", "Patient/p1", 0, ()),
        ((0, 3), observation_offset, len(BY_ALIAS) + 1, "Observation/o2", "identifier:urn:s|A1", 1, ()),
        ((1, 1), 0, len(PATIENT) + 1, "Patient/p1", "Patient/p1", 0, ("identifier:urn:s|A1",)),
        ((1, 2), len(PATIENT) + 1, len(SHARED) + 1, "Organization/org", None, 0, ()),
    ]
    assert summary.total == 5
    assert summary.by_alias == 1
    assert summary.skipped == {"Practitioner": ((1, 3), 1)}
    assert [item.where for _, item in summary.shared] == ["Patient.ndjson:2 (Organization/org)"]
    assert summary.error is None


def test_lines_read_back_are_the_resources_the_local_reader_gives(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    rows, _ = _index(folder, 60)
    back = reader.LineReader([str(p) for p in reader.ndjson_files(folder)])
    try:
        items = [back.located(position, offset, length) for position, offset, length, *_ in rows]
    finally:
        back.close()
    local = [item for item in _read_ndjson_folder(folder) if item.type != "Practitioner"]
    assert [(i.where, i.origin, i.resource) for i in items] == [(i.where, i.origin, i.resource) for i in local]


def test_the_first_bad_line_of_a_chunk_is_its_summarys_error(tmp_path: Path) -> None:
    (tmp_path / "Patient.ndjson").write_text(f"{PATIENT}\n{{cut\n{SHARED}\n")
    rows, summary = _index(tmp_path, 100_000)
    assert [row[3] for row in rows] == ["Patient/p1"]  # nothing after the bad line
    assert summary.error is not None
    assert summary.error.position == (0, 2)
    assert summary.error.error().issues[0].where == "Patient.ndjson:2"


def test_a_line_changed_after_the_first_pass_is_an_error_naming_it(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    rows, _ = _index(folder, 100_000)
    (folder / "Patient.ndjson").write_text("{}\n")
    back = reader.LineReader([str(p) for p in reader.ndjson_files(folder)])
    position, offset, length, *_ = rows[2]
    with pytest.raises(InputError) as raised:
        back.located(position, offset, length)
    back.close()
    assert raised.value.issues[0].where == "Patient.ndjson:1"
    assert "changed while it was read" in raised.value.issues[0].message

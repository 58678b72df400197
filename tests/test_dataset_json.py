"""Dataset-JSON v1.1: valid against CDISC's schema, shaped like CDISC's own examples, deterministic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_spec_sample_frames import S1, sample_frames
from trialinterop.errors import ConformanceError
from trialinterop.sdtm.conform import conform
from trialinterop.spec import load_spec
from trialinterop.writers import dataset_json
from trialinterop.writers.dataset_json import build_dataset_json, check_dataset_json, write_dataset_json


@pytest.fixture(scope="module")
def spec():
    return load_spec()


@pytest.fixture(scope="module")
def frames(spec):
    conformed, _ = conform(sample_frames(), spec)
    return conformed


def test_document_is_schema_valid_and_carries_spec_metadata(spec, frames) -> None:
    document = build_dataset_json(frames["DM"], "DM", spec)
    assert check_dataset_json(document) == []
    assert document["datasetJSONCreationDateTime"] == "2026-01-01T00:00:00"  # from study.yaml, not the clock
    assert document["datasetJSONVersion"] == "1.1.0"
    assert (document["itemGroupOID"], document["name"], document["label"]) == ("IG.DM", "DM", "Demographics")
    assert document["records"] == 2
    assert document["columns"][2] == {
        "itemOID": "IT.DM.USUBJID",
        "name": "USUBJID",
        "label": "Unique Subject Identifier",
        "dataType": "string",
        "length": 18,
        "keySequence": 2,
    }
    age = next(c for c in document["columns"] if c["name"] == "AGE")
    assert age == {"itemOID": "IT.DM.AGE", "name": "AGE", "label": "Age", "dataType": "integer"}
    rfstdtc = next(c for c in document["columns"] if c["name"] == "RFSTDTC")
    assert rfstdtc["dataType"] == "datetime"
    first = document["rows"][0]
    assert first[2] == S1 and first[document["columns"].index(age)] == 45
    assert isinstance(first[document["columns"].index(age)], int)
    assert first[[c["name"] for c in document["columns"]].index("DTHDTC")] is None


def test_float_values_stay_numbers(spec, frames) -> None:
    document = build_dataset_json(frames["RE"], "RE", spec)
    names = [c["name"] for c in document["columns"]]
    assert document["columns"][names.index("RESTRESN")]["dataType"] == "double"
    assert [row[names.index("RESTRESN")] for row in document["rows"]] == [2.85, 78.0]


def test_written_file_is_deterministic(tmp_path: Path, spec, frames) -> None:
    first = write_dataset_json(frames["AE"], tmp_path / "a", "AE", spec).read_bytes()
    second = write_dataset_json(frames["AE"], tmp_path / "b", "AE", spec).read_bytes()
    assert first == second
    assert json.loads(first)["fileOID"] == "DEF.NCT05016804.SDTM/ae"


def test_creation_time_can_be_given(spec, frames) -> None:
    document = build_dataset_json(frames["TS"], "TS", spec, creation_datetime="2026-02-03T04:05:06")
    assert document["datasetJSONCreationDateTime"] == "2026-02-03T04:05:06"


def test_schema_violation_writes_nothing(tmp_path: Path, spec, frames) -> None:
    with pytest.raises(ConformanceError) as caught:
        write_dataset_json(frames["TS"], tmp_path, "TS", spec, creation_datetime="yesterday")
    assert caught.value.issues[0].rule == "TI-DJ001"
    assert "datasetJSONCreationDateTime" in caught.value.issues[0].field
    assert list(tmp_path.iterdir()) == []


@pytest.mark.shared
def test_bundled_schema_is_the_cdisc_schema(shared_data: Path) -> None:
    bundled = dataset_json.dataset_json_schema()
    assert bundled == json.loads((shared_data / "dataset-json" / "dataset.schema.json").read_text("utf-8"))


@pytest.mark.shared
@pytest.mark.parametrize("name", ["dm", "ae"])
def test_same_shape_as_cdisc_examples(shared_data: Path, spec, frames, name: str) -> None:
    example = json.loads((shared_data / "dataset-json" / f"{name}.json").read_text("utf-8"))
    assert check_dataset_json(example) == []  # the schema we bundle accepts CDISC's own file
    ours = build_dataset_json(frames[name.upper()], name.upper(), spec)
    assert list(ours) == list(example)  # same top-level keys in the same order
    assert set(ours["sourceSystem"]) == set(example["sourceSystem"])
    example_keys = set().union(*(set(c) for c in example["columns"]))
    assert set().union(*(set(c) for c in ours["columns"])) <= example_keys
    assert all(len(row) == len(ours["columns"]) for row in ours["rows"])
    assert all(len(row) == len(example["columns"]) for row in example["rows"])

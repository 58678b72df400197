"""Dataset-JSON v1.1: valid against CDISC's schema, shaped like CDISC's own examples, deterministic."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from test_spec_sample_frames import S1, sample_frames
from trialinterop.errors import ConformanceError
from trialinterop.sdtm.conform import conform
from trialinterop.spec import load_spec
from trialinterop.writers import dataset_json
from trialinterop.writers.dataset_json import build_dataset_json, check_dataset_json, write_dataset_json
from trialinterop.writers.lengths import char_length


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


def test_bundled_schema_is_the_cdisc_schema(third_party_data: Path) -> None:
    bundled = dataset_json.dataset_json_schema()
    assert bundled == json.loads((third_party_data / "dataset-json" / "dataset.schema.json").read_text("utf-8"))


@pytest.mark.parametrize("name", ["dm", "ae"])
def test_same_shape_as_cdisc_examples(third_party_data: Path, spec, frames, name: str) -> None:
    example = json.loads((third_party_data / "dataset-json" / f"{name}.json").read_text("utf-8"))
    assert check_dataset_json(example) == []  # the schema we bundle accepts CDISC's own file
    ours = build_dataset_json(frames[name.upper()], name.upper(), spec)
    assert list(ours) == list(example)  # same top-level keys in the same order
    assert set(ours["sourceSystem"]) == set(example["sourceSystem"])
    example_keys = set().union(*(set(c) for c in example["columns"]))
    assert set().union(*(set(c) for c in ours["columns"])) <= example_keys
    assert all(len(row) == len(ours["columns"]) for row in ours["rows"])
    assert all(len(row) == len(example["columns"]) for row in example["rows"])


@pytest.mark.parametrize(
    ("values", "is_int", "expected"),
    [
        (pd.Series([1.0, 2.5, math.nan, -0.0, 1e20, 2.0**63]), True, [1, 2.5, None, 0, 10**20, 2**63]),
        (pd.Series([1.0, 2.5, math.nan, -0.0]), False, [1.0, 2.5, None, -0.0]),
        (pd.Series(["a", None, "b", "a"], dtype=object), False, ["a", None, "b", "a"]),
        (pd.Series(["a", math.nan, pd.NA, None], dtype=object), False, ["a", None, None, None]),
        (pd.Series(["a", 3, None, math.nan, 2.5], dtype=object), True, ["a", 3, None, None, 2.5]),
        (pd.Series([7, None], dtype="Int64"), True, [7, None]),
        (pd.Series(["x", None], dtype="str"), False, ["x", None]),
    ],
)
def test_column_values_as_written(values: pd.Series, is_int: bool, expected: list) -> None:
    found = dataset_json._json_column(values, is_int)
    assert found == expected
    assert [type(v) for v in found] == [type(v) for v in expected]  # 1 stays an int, 1.0 a float
    assert [math.copysign(1, v) for v in found if isinstance(v, float)] == [
        math.copysign(1, v) for v in expected if isinstance(v, float)
    ]
    assert found == [dataset_json._cell(v, is_int) for v in values]  # the value-by-value definition


def test_rows_checked_at_once_only_when_the_schema_allows(spec, frames) -> None:
    schema = dataset_json.dataset_json_schema()
    assert dataset_json._rows_are_typed_only_as_arrays(schema)
    stricter = copy.deepcopy(schema)
    stricter["$defs"]["Row"]["minItems"] = 1
    assert not dataset_json._rows_are_typed_only_as_arrays(stricter)
    document = build_dataset_json(frames["AE"], "AE", spec)
    document["rows"][1] = "not a row"  # not a list: the rows are validated one by one
    assert [(i.rule, i.field, i.message) for i in check_dataset_json(document)] == [
        ("TI-DJ001", "rows/1", "Dataset-JSON schema: 'not a row' is not of type 'array'")
    ]


def test_lengths_are_utf8_bytes_of_the_longest_text() -> None:
    assert char_length(pd.Series(["ab", None, "é"], dtype=object)) == 2
    assert char_length(pd.Series(["abc", "éé"], dtype=object)) == 4
    assert char_length(pd.Series([None, math.nan], dtype=object)) == 1
    assert char_length(pd.Series([{"a": 1}, "abc"], dtype=object)) == 3  # unhashable values
    assert char_length(pd.Series(["a", "bcd"], dtype=object), distinct={"a", "bcd", None}) == 3


def test_row_building_leaves_the_garbage_collector_as_it_was(spec, frames) -> None:
    import gc

    assert gc.isenabled()
    build_dataset_json(frames["DM"], "DM", spec)
    assert gc.isenabled()
    gc.disable()
    try:
        build_dataset_json(frames["DM"], "DM", spec)
        assert not gc.isenabled()
    finally:
        gc.enable()

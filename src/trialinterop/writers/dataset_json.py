"""CDISC Dataset-JSON v1.1 writer: one file per dataset, validated against CDISC's schema before it is written.

The creation time comes from `study.yaml` (or the caller), never from the clock, so the output is reproducible.
Missing values are written as null. Item and item-group OIDs come from `trialinterop.define.oids`, the same place
Define-XML takes them from.
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd

from trialinterop.atomic import staged_file
from trialinterop.define import oids
from trialinterop.errors import ConformanceError
from trialinterop.issues import Issue, Severity
from trialinterop.spec import Spec
from trialinterop.writers.lengths import char_length

DATASET_JSON_VERSION = "1.1.0"
_JSON_TYPES = {"text": "string", "integer": "integer", "float": "double", "datetime": "datetime", "date": "date",
               "time": "time"}  # fmt: skip


@cache
def dataset_json_schema() -> dict[str, Any]:
    text = resources.files("trialinterop.writers").joinpath("schemas/dataset.schema.json").read_text("utf-8")
    return json.loads(text)


def build_dataset_json(
    frame: pd.DataFrame, dataset: str, spec: Spec, *, creation_datetime: str | None = None
) -> dict[str, Any]:
    """The Dataset-JSON document for a conformed frame (columns must be spec variables)."""
    settings = spec.study
    ds = spec.dataset(dataset)
    keys = {name: position for position, name in enumerate(ds.keys, start=1)}
    columns: list[dict[str, Any]] = []
    for column in frame.columns:
        variable = spec.variable(dataset, str(column))
        entry: dict[str, Any] = {
            "itemOID": oids.item_oid(dataset, variable.name),
            "name": variable.name,
            "label": variable.label,
            "dataType": _JSON_TYPES.get(variable.data_type, "string"),
        }
        if not variable.is_numeric:
            entry["length"] = char_length(frame[column])
        if variable.name in keys:
            entry["keySequence"] = keys[variable.name]
        columns.append(entry)
    integer = [spec.variable(dataset, str(c)).data_type == "integer" for c in frame.columns]
    rows = [[_cell(v, is_int) for v, is_int in zip(row, integer, strict=True)] for row in frame.itertuples(index=False)]
    created = creation_datetime or settings.json_creation_datetime
    return {
        "datasetJSONCreationDateTime": created,
        "datasetJSONVersion": DATASET_JSON_VERSION,
        "fileOID": f"{settings.define_file_oid}/{ds.file_name}",
        "dbLastModifiedDateTime": created,
        "originator": settings.json_originator,
        "sourceSystem": {"name": settings.json_source_system, "version": settings.json_source_system_version},
        "studyOID": settings.study_oid,
        "metaDataVersionOID": settings.metadata_version_oid,
        "metaDataRef": "define.xml",
        "itemGroupOID": oids.itemgroup_oid(dataset),
        "records": len(frame),
        "name": dataset,
        "label": ds.label,
        "columns": columns,
        "rows": rows,
    }


def _cell(value: Any, is_int: bool) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return value
    number = float(value)
    if is_int and number.is_integer():
        return int(number)
    return number


def check_dataset_json(document: dict[str, Any]) -> list[Issue]:
    validator = jsonschema.Draft201909Validator(dataset_json_schema())
    where = str(document.get("name", "?"))
    return [
        Issue(
            "TI-DJ001",
            Severity.ERROR,
            f"Dataset-JSON schema: {error.message}",
            where,
            field="/".join(str(p) for p in error.absolute_path),
        )
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    ]


def write_dataset_json(
    frame: pd.DataFrame, out_dir: str | Path, dataset: str, spec: Spec, *, creation_datetime: str | None = None
) -> Path:
    """Write `<out_dir>/<dataset lower>.json`; ConformanceError (no file) if the document breaks the schema."""
    document = build_dataset_json(frame, dataset, spec, creation_datetime=creation_datetime)
    issues = check_dataset_json(document)
    if issues:
        raise ConformanceError(issues, summary=f"{dataset}: Dataset-JSON not written")
    destination = Path(out_dir) / f"{spec.dataset(dataset).file_name}.json"
    with staged_file(destination) as temp:
        temp.write_text(json.dumps(document, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
    return destination

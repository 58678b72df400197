"""The records-folder schema (records.schema.json): loaded once, used by the reader, the writer and the docs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SCHEMA_PATH = Path(__file__).with_name("records.schema.json")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    type: str
    required: bool
    description: str
    enum: tuple[str, ...] | None = None
    items: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    complete: bool = False


@dataclass(frozen=True, slots=True)
class TableSpec:
    file: str
    description: str
    primary_key: tuple[str, ...]
    fields: tuple[FieldSpec, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


@cache
def load_schema() -> tuple[dict, dict[str, TableSpec]]:
    """(JSON Schema of study.json, table specs by file name)."""
    doc = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    tables = {}
    for file, spec in doc["tables"].items():
        fields = tuple(
            FieldSpec(
                name=f["name"],
                type=f["type"],
                required=f["required"],
                description=f["description"],
                enum=tuple(f["enum"]) if "enum" in f else None,
                items=tuple(f["items"]) if "items" in f else None,
                minimum=f.get("minimum"),
                maximum=f.get("maximum"),
                pattern=f.get("pattern"),
                complete=f.get("complete", False),
            )
            for f in spec["fields"]
        )
        tables[file] = TableSpec(file, spec["description"], tuple(spec["primaryKey"]), fields)
    return doc["study.json"], tables

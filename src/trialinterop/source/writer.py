"""Write `TrialRecords` as a records folder (study definition + one CSV per table) that `read_records` reads back equal.

Columns follow records.schema.json order (a `sparse` column only when a row has a value in it); an empty cell means
None; integral numbers are written without a trailing ".0" (visit 1, not 1.0; unplanned visit 3.01 stays 3.01).
The folder is built beside its destination and swapped in only when complete (`atomic.staged_directory`), so a
failure never leaves a half-written folder.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

from trialinterop.atomic import staged_directory
from trialinterop.source import models as m
from trialinterop.source.reader import TABLE_ATTRS
from trialinterop.source.schema import TableSpec, records_schema


def write_records(records: m.TrialRecords, folder: str | Path) -> Path:
    """Write `records` into `folder` (replacing it atomically); return the folder path. The study definition is
    copied byte for byte from the file it was read from (`definition.source`), as study.yaml (study.json for JSON)."""
    folder = Path(folder)
    tables = records_schema(records.definition)
    source = Path(records.definition.source) if records.definition.source else None
    if source is None or not source.is_file():
        raise ValueError(f"the study definition {records.study.study_id} has no source file to copy")
    with staged_directory(folder) as staging:
        _apply_umask(staging)
        name = "study.json" if source.suffix.lower() == ".json" else "study.yaml"
        (staging / name).write_bytes(source.read_bytes())
        for file, spec in tables.items():
            rows = getattr(records, TABLE_ATTRS[file])
            _write_table(staging / file, spec, rows)
    return folder


def _apply_umask(path: Path) -> None:
    """mkdtemp creates 0700 folders; give the output folder the permissions a plain mkdir would."""
    mask = os.umask(0)
    os.umask(mask)
    path.chmod(0o777 & ~mask)


def _write_table(path: Path, spec: TableSpec, rows: tuple[Any, ...]) -> None:
    sparse = {f.name for f in spec.fields if f.sparse}
    columns = [c for c in spec.columns if c not in sparse or any(getattr(r, c) is not None for r in rows)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            values = _row_values(row)
            writer.writerow([format_cell(values.get(c)) for c in columns])


def _row_values(row: Any) -> dict[str, Any]:
    values = {name: getattr(row, name) for name in row.__slots__ if name not in ("origin", "attributes")}
    if isinstance(row, m.Subject):
        values.update(row.attributes)
    return values


def format_cell(value: Any) -> str:
    """One CSV cell: None -> "", 1.0 -> "1", 3.01 -> "3.01", ("A", "B") -> "A|B"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, tuple):
        return "|".join(value)
    return str(value)

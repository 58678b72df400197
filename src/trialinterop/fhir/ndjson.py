"""FHIR Bulk Data layout: one `<ResourceType>.ndjson` file per type, one resource per line, written as built.

References are relative (`Patient/<id>`) and every one must resolve to a resource of the export.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from trialinterop.fhir.bundle import require_resolved
from trialinterop.fhir.serialize import dumps

Resource = dict[str, Any]


def write_ndjson(resources: Iterable[Resource], folder: Path, *, referenced: set[str]) -> dict[str, int]:
    """Write into `folder` (which must exist); return resources written per type."""
    handles: dict[str, TextIO] = {}
    counts: dict[str, int] = {}
    ids: set[str] = set()
    try:
        for resource in resources:
            kind = resource["resourceType"]
            handle = handles.get(kind)
            if handle is None:
                handle = handles[kind] = (folder / f"{kind}.ndjson").open("w", encoding="utf-8", newline="\n")
                counts[kind] = 0
            handle.write(dumps(resource))
            handle.write("\n")
            counts[kind] += 1
            ids.add(resource["id"])
    finally:
        for handle in handles.values():
            handle.close()
    require_resolved(referenced, ids)
    return counts

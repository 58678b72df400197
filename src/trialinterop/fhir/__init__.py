"""FHIR R4/R5 output built from the internal trial records (never from SDTM).

`build_resources(records, version=...)` yields plain dicts; `bundle`/`ndjson` write them; `emit.write_fhir` is the
atomic file-level entry point.
"""

from __future__ import annotations

from trialinterop.fhir.build import build_resources

__all__ = ["build_resources"]

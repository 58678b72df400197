"""JSON text of one resource: compact, UTF-8, keys in build order (deterministic).

orjson when installed (about 10x faster than the standard library on these dicts), else `json` with the same
output: compact separators, non-ASCII kept, no NaN.
"""

from __future__ import annotations

import json
from typing import Any

try:
    import orjson
except ImportError:  # pragma: no cover - exercised only where orjson is absent
    orjson = None  # type: ignore[assignment]  # optional speed-up; the json fallback is used

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def dumps_stdlib(resource: dict[str, Any]) -> str:
    return _encoder.encode(resource)


def dumps(resource: dict[str, Any]) -> str:
    if orjson is not None:
        return orjson.dumps(resource).decode("utf-8")
    return _encoder.encode(resource)

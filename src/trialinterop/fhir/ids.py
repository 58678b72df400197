"""Deterministic resource ids: uuid5 of the resource type and its natural key, so reruns give identical output.

The namespace is fixed for trialinterop; the key is the record's primary key (e.g. subject id, AE number), always
prefixed by the study id so two studies never collide. `uuid.uuid5` builds a UUID object per call, which was 75% of
the build time; the same RFC 4122 bytes are computed here directly (a test proves equality with `uuid.uuid5`), and
repeated keys (every Observation refers to its Patient) come from a bounded cache.
"""

from __future__ import annotations

import hashlib
import uuid
from functools import lru_cache

NAMESPACE = uuid.UUID("6f1d2c4e-3b8a-5e7f-9a0b-4c5d6e7f8a9b")
_NAMESPACE_BYTES = NAMESPACE.bytes


def resource_id(resource_type: str, *key: object) -> str:
    """The id of the `resource_type` resource with natural `key` (a lowercase UUID string, valid as a FHIR id)."""
    return uuid5_text(resource_type + "|" + "|".join([str(part) for part in key]))


@lru_cache(maxsize=1 << 16)
def uuid5_text(name: str) -> str:
    """str(uuid.uuid5(NAMESPACE, name)), computed without building UUID objects."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

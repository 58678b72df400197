"""Long text cut into 200-byte pieces at word boundaries, as SDTMIG asks for TSVAL (TSVAL, TSVAL1..TSVALn) and
the like when a value exceeds what an XPORT v5 character variable holds."""

from __future__ import annotations

SAS_TEXT_LIMIT = 200
"""Bytes in one XPORT v5 character variable."""


def split_text(text: str, limit: int = SAS_TEXT_LIMIT) -> list[str]:
    """`text` as pieces of at most `limit` UTF-8 bytes, each cut at the last space that fits, the space itself
    dropped (XPORT would lose a trailing blank): the pieces joined with single spaces give `text` back. A word longer
    than `limit` alone is cut inside."""
    pieces: list[str] = []
    rest = text
    while len(rest.encode("utf-8")) > limit:
        head = rest.encode("utf-8")[:limit].decode("utf-8", errors="ignore")
        space = head.rfind(" ", 1)
        if space > 0:
            pieces.append(rest[:space])
            rest = rest[space + 1 :]
        else:
            pieces.append(head)
            rest = rest[len(head) :]
    return [*pieces, rest]

"""Free text from the records as a valid FHIR string.

FHIR's string regex is `[ \\r\\n\\t\\S]+`: Unicode whitespace other than space, tab, CR and LF (e.g. the no-break
space U+00A0 often pasted from EDC systems) makes the whole resource invalid. Each such character becomes a plain
space; nothing else changes. A value that is empty or blank after that has no FHIR form and is left out by callers.
"""

from __future__ import annotations

import re

_FORBIDDEN_SPACE = re.compile(r"[^\S \r\n\t]")


def fhir_string(text: str) -> str:
    """`text` with every whitespace character other than space/tab/CR/LF replaced by a space."""
    if text.isascii() and text.isprintable():
        return text
    return _FORBIDDEN_SPACE.sub(" ", text)


def fhir_text(text: str | None) -> str | None:
    """fhir_string, or None when nothing but whitespace would remain."""
    if text is None:
        return None
    cleaned = fhir_string(text)
    return cleaned if cleaned.strip() else None

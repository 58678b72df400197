"""FHIR text bound for SDTM variables that must be ASCII (XPT v5): '±' becomes '+/-'; any other non-ASCII character
is an error naming the resource and element, never dropped or guessed."""

from __future__ import annotations

from trialinterop.fhir_in.load import Located

TRANSLITERATED = {"\u00b1": "+/-"}


def ascii_text(item: Located, element: str, text: str) -> str:
    """`text` with '±' as '+/-'; an InputError for any other character outside ASCII."""
    if text.isascii():
        return text
    for old, new in TRANSLITERATED.items():
        text = text.replace(old, new)
    for position, char in enumerate(text):
        if not char.isascii():
            raise item.fail(
                element,
                f"non-ASCII character {char!r} (U+{ord(char):04X}) at position {position + 1}: SDTM text must be "
                "ASCII (XPT v5); only '\u00b1' is transliterated ('+/-')",
            )
    return text

"""A SAS XPORT v5 member as the validator's columns, decoded with `writers.xpt_decode` (numpy) instead of pyreadstat.

Why not pyreadstat here: it builds a Python object per cell, 6 s of a 10,000-subject package's validation before a
rule has run. A text column is a fixed-width byte array; its distinct values are found by hashing the bytes as
machine words (`_codes`), each distinct value is decoded once (ASCII, else UTF-8, else Latin-1, so that non-ASCII
bytes reach the rules that report them), trailing blanks removed as SAS and ReadStat do, and the rows take their
string from that table. Numbers are the decoder's IEEE doubles (SAS missing values NaN).

`decoded_frame` returns None where pyreadstat's reading differs on purpose and the caller should use it: numeric
variables with a SAS format (pyreadstat turns DATE/DATETIME formats into date objects) and members with no
observations.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trialinterop.distinct import first_positions, group_codes
from trialinterop.writers.xpt_decode import XportData

WORD = 8


def decoded_frame(data: XportData) -> pd.DataFrame | None:
    if data.rows == 0 or any(v.numeric and v.format.strip() for v in data.variables):
        return None
    columns: dict[str, object] = {}
    for variable in data.variables:
        if variable.numeric:
            columns[variable.name] = data.numbers(variable.name)
        else:
            columns[variable.name] = pd.Series(text_column(data.text_bytes(variable.name)), dtype=object)
    return pd.DataFrame(columns, copy=False)


def text_column(stored: np.ndarray) -> np.ndarray:
    """(rows, length) bytes -> object array of str, one decoding per distinct value."""
    codes, first = _codes(stored)
    texts = np.array([_decode(bytes(stored[i])) for i in first.tolist()], dtype=object)
    return texts[codes]


def _codes(stored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A code per row naming its distinct bytes (hashed as machine words), and the first row of each code."""
    rows, length = stored.shape
    padded = np.zeros((rows, -(-length // WORD) * WORD), dtype=np.uint8)
    padded[:, :length] = stored
    words = padded.view(np.uint64)
    codes, count = group_codes(*(words[:, k] for k in range(words.shape[1])))
    return codes, first_positions(codes, count)


def _decode(raw: bytes) -> str:
    raw = raw.rstrip(b" ")
    for encoding in ("ascii", "utf-8"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")

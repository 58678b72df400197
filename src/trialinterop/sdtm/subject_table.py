"""Subject-level reference dates and element windows as arrays, made once per context for the column derivations.

Row i of every array is subject i of the context; one extra last row stands for a USUBJID the context does not
know (no dates, no elements). `rows` maps a USUBJID column to these positions, so a derivation takes RFSTDTC or the
k-th element window of each record's subject with one integer index instead of a lookup per record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from trialinterop.sdtm.dtc_columns import DtcColumn, dtc_column
from trialinterop.sdtm.subject_reference import SubjectReference


@dataclass(frozen=True)
class ElementSlot:
    """The k-th element of every subject (exists = False where a subject has fewer elements)."""

    exists: np.ndarray
    last: np.ndarray  # the subject's last element
    start: DtcColumn
    end: DtcColumn
    epoch: np.ndarray


@dataclass(frozen=True)
class SubjectTable:
    position: Mapping[str, int]
    rfstdtc: DtcColumn
    rfxstdtc: DtcColumn
    slots: tuple[ElementSlot, ...]

    def rows(self, usubjids: pd.Series | np.ndarray) -> np.ndarray:
        """The table row of each record's subject (the last row for an unknown or missing USUBJID)."""
        codes, subjects = pd.factorize(usubjids)
        unknown = len(self.position)
        positions = np.array([self.position.get(s, unknown) for s in list(subjects)] + [unknown], dtype=np.int64)
        return positions[np.asarray(codes, dtype=np.int64)]


def build_subject_table(references: Sequence[SubjectReference]) -> SubjectTable:
    def dates(values: list[str | None]) -> DtcColumn:
        return dtc_column(np.array([*values, None], dtype=object))

    elements = [r.elements for r in references] + [()]
    slots = []
    for k in range(max(map(len, elements), default=0)):
        slot = [e[k] if k < len(e) else None for e in elements]
        slots.append(
            ElementSlot(
                exists=np.array([el is not None for el in slot]),
                last=np.array([k == len(e) - 1 for e in elements]),
                start=dtc_column(np.array([el.start if el else None for el in slot], dtype=object)),
                end=dtc_column(np.array([el.end if el else None for el in slot], dtype=object)),
                epoch=np.array([el.epoch if el else None for el in slot], dtype=object),
            )
        )
    return SubjectTable(
        position={r.usubjid: i for i, r in enumerate(references)},
        rfstdtc=dates([r.rfstdtc for r in references]),
        rfxstdtc=dates([r.rfxstdtc for r in references]),
        slots=tuple(slots),
    )

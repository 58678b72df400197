"""`XptMember`: what goes into one XPORT transport file besides the data (its own module, so the encoder, the
limit check and the read-back check share it without importing each other)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class XptMember:
    """What goes into one transport file: upper-case dataset name, its label, a label per column, and the header
    timestamp (native engine; None = the writer's DEFAULT_CREATED)."""

    dataset: str
    label: str
    column_labels: tuple[str, ...]
    created: datetime | None = None

    @property
    def file_name(self) -> str:
        return f"{self.dataset.lower()}.xpt"

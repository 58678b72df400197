"""One record for every problem found: by loaders, conform, writers and the validator."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import IntEnum


class Severity(IntEnum):
    """Ordered so that `severity >= threshold` selects what fails a run."""

    NOTICE = 1
    WARNING = 2
    ERROR = 3
    REJECT = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            allowed = ", ".join(s.name.lower() for s in cls)
            raise ValueError(f"unknown severity {text!r} (allowed: {allowed})") from None


@dataclass(frozen=True, slots=True)
class Issue:
    """A single finding. `where` is a file or dataset/resource name; `key` a row number, --SEQ or resource id."""

    rule: str
    severity: Severity
    message: str
    where: str = ""
    key: str = ""
    field: str = ""
    value: str = ""
    extra: dict = dataclasses.field(default_factory=dict, compare=False, hash=False)

    def render(self) -> str:
        place = self.where
        if self.key:
            place += f" [{self.key}]" if place else f"[{self.key}]"
        if self.field:
            place += f" {self.field}"
        shown = f" (value {self.value!r})" if self.value else ""
        return f"{self.severity.name} {self.rule} {place}: {self.message}{shown}".replace("  ", " ")

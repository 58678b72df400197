"""What every rule receives: the package being validated and the standard metadata to judge it by."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trialinterop.validate.package import Dataset, Package
from trialinterop.validate.standards import Standard


@dataclass(frozen=True)
class Context:
    package: Package
    standard: Standard
    spec: Any = None  # trialinterop.spec.Spec when the package is this project's study, else None

    def datasets(self) -> list[Dataset]:
        return list(self.package.datasets.values())

    def get(self, name: str) -> Dataset | None:
        return self.package.get(name)

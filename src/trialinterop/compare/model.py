"""What a package comparison finds: the result objects `compare_packages` returns and every report renders.

Row numbers are 0-based positions in the dataset as read (after `combine_splits`, in the combined dataset);
reports show them 1-based. Values are as read: `str` for character variables, `float` or `None` (missing) for
numeric ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True, slots=True)
class AttributeDifference:
    """A dataset- or variable-level difference. `attribute`: "presence", "type", "length", "label" (variable) or
    "dataset label"; `variable` is "" for dataset-level ones. For "presence" `a`/`b` say "present"/"absent"."""

    dataset: str
    variable: str
    attribute: str
    a: object
    b: object


@dataclass(frozen=True, slots=True)
class ValueDifference:
    """One value that differs between two matched records; `key` holds the natural key (variable, value) pairs and
    `occurrence` the record's 1-based position within its key group (>1 only where keys repeat)."""

    dataset: str
    key: tuple[tuple[str, str], ...]
    occurrence: int
    variable: str
    a: object
    b: object
    row_a: int
    row_b: int


@dataclass(frozen=True, slots=True)
class UnmatchedRow:
    """A record of one package with no record of the same key (and occurrence) in the other."""

    dataset: str
    side: str  # "A" or "B"
    row: int
    key: tuple[tuple[str, str], ...]
    occurrence: int


@dataclass(frozen=True, slots=True)
class VariableCounts:
    """Values of one variable in the matched records: compared = equal + different."""

    variable: str
    compared: int
    equal: int
    different: int


@dataclass(frozen=True, slots=True)
class DuplicateKeys:
    """Key groups holding more than one record on one side (compared by order within the group)."""

    side: str
    groups: int
    rows: int
    examples: tuple[tuple[tuple[str, str], ...], ...]  # the first few duplicated keys


@dataclass
class DatasetComparison:
    """One dataset present in both packages."""

    name: str
    keys: tuple[str, ...]  # the key variables used ("" tuple: matched by row order)
    key_source: str  # "--keys", "natural keys (<rule>)" or "row order"
    rows_a: int
    rows_b: int
    matched: int
    counts: dict[str, VariableCounts]
    attributes: list[AttributeDifference] = field(default_factory=list)
    only_a: list[UnmatchedRow] = field(default_factory=list)
    only_b: list[UnmatchedRow] = field(default_factory=list)
    duplicates: list[DuplicateKeys] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    value_frame: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    # value_frame: one row per differing value, columns row_a, row_b, occurrence, variable, a, b, key (tuple)

    @property
    def values_compared(self) -> int:
        return sum(c.compared for c in self.counts.values())

    @property
    def values_equal(self) -> int:
        return sum(c.equal for c in self.counts.values())

    @property
    def values_different(self) -> int:
        return sum(c.different for c in self.counts.values())

    @property
    def values_unpaired(self) -> int:
        """Values in records found in one package only: (records only in A + only in B) x variables compared."""
        return (len(self.only_a) + len(self.only_b)) * len(self.counts)

    @property
    def identical(self) -> bool:
        return not (self.attributes or self.only_a or self.only_b or self.values_different)

    def differences(self, limit: int | None = None) -> Iterator[ValueDifference]:
        """Every differing value (at most `limit`), in dataset A's record order, then variable order."""
        frame = self.value_frame if limit is None else self.value_frame.head(limit)
        if frame.empty:
            return
        columns = [frame[c].tolist() for c in ("key", "occurrence", "variable", "a", "b", "row_a", "row_b")]
        for key, occurrence, variable, a, b, row_a, row_b in zip(*columns, strict=True):
            yield ValueDifference(self.name, key, int(occurrence), variable, a, b, int(row_a), int(row_b))


@dataclass
class PackageComparison:
    """The whole comparison: datasets in one package only, and one `DatasetComparison` per shared dataset."""

    path_a: str
    path_b: str
    datasets_only_a: list[str]
    datasets_only_b: list[str]
    datasets: dict[str, DatasetComparison]
    ignored: tuple[str, ...] = ()
    tolerance: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not (self.datasets_only_a or self.datasets_only_b) and all(d.identical for d in self.datasets.values())

    @property
    def values_compared(self) -> int:
        return sum(d.values_compared for d in self.datasets.values())

    @property
    def values_equal(self) -> int:
        return sum(d.values_equal for d in self.datasets.values())

    @property
    def values_different(self) -> int:
        return sum(d.values_different for d in self.datasets.values())

    @property
    def values_unpaired(self) -> int:
        return sum(d.values_unpaired for d in self.datasets.values())

    @property
    def attribute_differences(self) -> list[AttributeDifference]:
        return [a for d in self.datasets.values() for a in d.attributes]

    def differences(self) -> Iterator[ValueDifference]:
        for dataset in self.datasets.values():
            yield from dataset.differences()

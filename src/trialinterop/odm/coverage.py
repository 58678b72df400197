"""What became of every value an ODM export collected: the reader's account, printed by every command that reads ODM.

Each ItemData carrying a value, and each vendor attribute of SubjectData, StudyEventData and FormData, is one
collected value. Its fate is exactly one of: in the output (records table.field), not mapped (its ItemOID, ignored or
unknown), decoded to no value (the mapping's `values` maps it to null), superseded (a later transaction replaced it),
removed (TransactionType Remove or IsNull), or dropped (its row or subject was skipped under `incomplete`). The sum of
the fates is the number collected; `unaccounted` is there to prove it (always 0). ItemData without a value (Rave
audit, query and comment records) carry no data and are counted apart.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(slots=True)
class Coverage:
    file: str
    subjects_read: int = 0
    subjects_out: int = 0
    collected: int = 0
    in_output: Counter[str] = field(default_factory=Counter)  # table.field -> values
    not_mapped: Counter[str] = field(default_factory=Counter)  # ItemGroupOID/ItemOID -> values
    no_value: Counter[str] = field(default_factory=Counter)  # ItemOID -> values decoded to null
    superseded: int = 0
    removed: int = 0
    dropped: Counter[str] = field(default_factory=Counter)  # table -> values in skipped rows
    dropped_rows: Counter[str] = field(default_factory=Counter)  # table -> rows skipped
    dropped_subjects: list[str] = field(default_factory=list)  # SubjectKeys skipped with all their rows
    unaccounted: int = 0
    audit_only: int = 0  # ItemData without a value: audit, query, comment records

    @property
    def lost(self) -> bool:
        """Rows or subjects were skipped: data collected and not in the output without the user saying so."""
        return bool(self.dropped_rows or self.dropped_subjects)

    def accounted(self) -> int:
        return (
            sum(self.in_output.values())
            + sum(self.not_mapped.values())
            + sum(self.no_value.values())
            + self.superseded
            + self.removed
            + sum(self.dropped.values())
            + self.unaccounted
        )

    def render(self) -> list[str]:
        """The coverage summary, one fact a line (each list sorted by count, then name)."""
        out = [
            f"coverage of {self.file}: {self.subjects_read} subject(s) read, {self.subjects_out} in the output; "
            f"{self.collected} value(s) collected",
            f"  in the output: {sum(self.in_output.values())}",
        ]
        out += [f"    {name}: {count}" for name, count in _ordered(self.in_output)]
        out.append(f"  not mapped: {sum(self.not_mapped.values())} ({len(self.not_mapped)} OID(s))")
        out += [f"    {name}: {count}" for name, count in _ordered(self.not_mapped)]
        if self.no_value:
            out.append(f"  decoded to no value: {sum(self.no_value.values())}")
            out += [f"    {name}: {count}" for name, count in _ordered(self.no_value)]
        out.append(f"  superseded by a later transaction: {self.superseded}")
        out.append(f"  removed (TransactionType Remove, IsNull): {self.removed}")
        out.append(f"  dropped with skipped rows: {sum(self.dropped.values())}")
        for name in sorted(set(self.dropped) | set(self.dropped_rows)):
            out.append(f"    {name}: {self.dropped[name]} value(s), {self.dropped_rows[name]} row(s)")
        if self.dropped_subjects:
            out.append(f"    subjects skipped: {len(self.dropped_subjects)} ({', '.join(self.dropped_subjects)})")
        if self.unaccounted:
            out.append(f"  unaccounted: {self.unaccounted}")
        out.append(f"  records without a value (audit, query, comment): {self.audit_only}")
        return out


def _ordered(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))

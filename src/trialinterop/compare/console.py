"""The console summary of a package comparison: a table per dataset, then the first differences of each."""

from __future__ import annotations

from trialinterop.compare.model import DatasetComparison, PackageComparison
from trialinterop.compare.text import (
    attribute_text,
    difference_count,
    duplicate_text,
    key_text,
    setting_lines,
    value_text,
)

HEADER = ("DATASET", "ROWS A", "ROWS B", "MATCHED", "ONLY A", "ONLY B", "VALUES", "DIFFERENT")


def render_console(result: PackageComparison, *, limit: int = 10) -> str:
    """Summary table and, per dataset with differences, at most `limit` lines of each kind."""
    lines = [f"A: {result.path_a}", f"B: {result.path_b}", *setting_lines(result)]
    rows = [HEADER] + [
        (
            d.name,
            str(d.rows_a),
            str(d.rows_b),
            str(d.matched),
            str(len(d.only_a)),
            str(len(d.only_b)),
            str(d.values_compared),
            str(d.values_different),
        )
        for d in result.datasets.values()
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    for dataset in result.datasets.values():
        lines += _details(dataset, limit)
    count = difference_count(result)
    if result.identical:
        lines.append(f"identical: {len(result.datasets)} dataset(s), {result.values_compared} values compared")
    else:
        lines.append(
            f"different: {count} difference(s); {result.values_different} of {result.values_compared} values differ"
        )
    return "\n".join(lines) + "\n"


def _details(dataset: DatasetComparison, limit: int) -> list[str]:
    out = []
    if dataset.attributes or dataset.only_a or dataset.only_b or dataset.values_different or dataset.duplicates:
        keys = ", ".join(dataset.keys) or "row order"
        out.append(f"{dataset.name}: keys {keys} ({dataset.key_source})")
        out += [f"  note: {n}" for n in dataset.notes + duplicate_text(dataset)]
    out += [f"  {attribute_text(a)}" for a in dataset.attributes[:limit]]
    if len(dataset.attributes) > limit:
        out.append(f"  ... {len(dataset.attributes) - limit} more variable differences")
    for side, rows in (("A", dataset.only_a), ("B", dataset.only_b)):
        if rows:
            shown = "; ".join(f"row {r.row + 1} [{key_text(r.key, r.occurrence)}]" for r in rows[:limit])
            more = f"; ... {len(rows) - limit} more" if len(rows) > limit else ""
            out.append(f"  {len(rows)} record(s) only in {side}: {shown}{more}")
    different = [c for c in dataset.counts.values() if c.different]
    if different:
        out.append("  values differ: " + ", ".join(f"{c.variable} {c.different}/{c.compared}" for c in different))
        for diff in dataset.differences(limit):
            key = key_text(diff.key, diff.occurrence)
            out.append(f"    [{key}] {diff.variable}: {value_text(diff.a)} -> {value_text(diff.b)}")
        if len(dataset.value_frame) > limit:
            out.append(f"    ... {len(dataset.value_frame) - limit} more differing values")
    return out

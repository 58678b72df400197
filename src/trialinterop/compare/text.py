"""Shared wording for the comparison reports: keys, values and summary lines as text."""

from __future__ import annotations

from trialinterop.compare.model import AttributeDifference, DatasetComparison, PackageComparison
from trialinterop.compare.values import format_value


def setting_lines(result: PackageComparison) -> list[str]:
    """What the comparison was told and found before any value: ignored variables, tolerance, notes, and the
    datasets present in one package only."""
    lines = []
    if result.ignored:
        lines.append(f"ignored: {', '.join(result.ignored)}")
    if result.tolerance:
        lines.append(f"numeric tolerance (relative): {result.tolerance:g}")
    lines += result.notes
    if result.datasets_only_a:
        lines.append(f"datasets only in A: {', '.join(result.datasets_only_a)}")
    if result.datasets_only_b:
        lines.append(f"datasets only in B: {', '.join(result.datasets_only_b)}")
    return lines


def key_text(key: tuple[tuple[str, str], ...], occurrence: int = 1) -> str:
    """ "USUBJID=01-701-1015, VISITNUM=1" (+ " #2" for the second record of a repeated key); "(row order)" without."""
    text = ", ".join(f"{name}={value}" for name, value in key) if key else "(row order)"
    return f"{text} #{occurrence}" if occurrence > 1 else text


def value_text(value: object) -> str:
    """Text in quotes, numbers bare, "(missing)" for an empty value."""
    if value is None or value == "":
        return "(missing)"
    return repr(value) if isinstance(value, str) else format_value(value)


def attribute_text(diff: AttributeDifference) -> str:
    if diff.attribute == "dataset label":
        return f"dataset label {diff.a!r} (A) vs {diff.b!r} (B)"
    if diff.attribute == "presence":
        return f"variable {diff.variable} only in {'A' if diff.a == 'present' else 'B'}"
    return f"variable {diff.variable}: {diff.attribute} {diff.a!r} (A) vs {diff.b!r} (B)"


def difference_count(result: PackageComparison) -> int:
    """Datasets in one package only + attribute differences + unmatched records + differing values."""
    return (
        len(result.datasets_only_a)
        + len(result.datasets_only_b)
        + sum(len(d.attributes) + len(d.only_a) + len(d.only_b) + d.values_different for d in result.datasets.values())
    )


def duplicate_text(dataset: DatasetComparison) -> list[str]:
    """One line: how many keys repeat on each side (records are then paired by order), and the first one."""
    if not dataset.duplicates:
        return []
    sides = "; ".join(f"{d.side}: {d.groups} key(s), {d.rows} records" for d in dataset.duplicates)
    first = dataset.duplicates[0].examples[0] if dataset.duplicates[0].examples else ()
    return [f"repeated keys ({sides}), paired by order within the key; first: {key_text(first)}"]

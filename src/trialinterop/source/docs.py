"""Render the records-folder format (docs/records.md) from records.schema.json, so the page never drifts."""

from __future__ import annotations

from trialinterop.source.schema import FieldSpec, load_schema

INTRO = """\
# Records folder format

Generated from `src/trialinterop/source/records.schema.json`, the machine-readable schema
(`python -m trialinterop.source.docs > docs/records.md`; a test keeps this page current).

A records folder holds `study.json` (the registry record and the protocol schedule; its JSON Schema is the
`study.json` member of the schema file) and one UTF-8 CSV file per table below, each with a header row. An empty
cell is a missing value. `date`/`datetime` are ISO 8601; right-truncated partial values (`2023`, `2023-05`,
`2023-05-04T10`) are allowed unless the field says complete. `list` = values separated by `|`. Only `study.json` and
`subjects.csv` are required; a missing table has no rows. Coded fields hold CDISC submission values.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _describe(spec: FieldSpec) -> str:
    parts = [spec.description.rstrip(".") + "."]
    if spec.enum:
        parts.append("One of: " + ", ".join(f"`{e}`" for e in spec.enum) + ".")
    if spec.items:
        parts.append("Items: " + ", ".join(f"`{e}`" for e in spec.items) + ".")
    if spec.minimum is not None and spec.maximum is not None:
        parts.append(f"Range {spec.minimum:g} to {spec.maximum:g}.")
    elif spec.minimum is not None:
        parts.append(f"Minimum {spec.minimum:g}.")
    if spec.complete:
        parts.append("Complete date required.")
    if spec.pattern:
        parts.append(f"Pattern `{spec.pattern}`.")
    return _cell(" ".join(parts))


def render_records_doc() -> str:
    _, tables = load_schema()
    lines = [INTRO]
    for file, table in tables.items():
        lines += [f"## `{file}`", "", f"{table.description} Key: {', '.join(table.primary_key)}.", ""]
        lines += ["| column | type | required | description |", "|---|---|---|---|"]
        lines += [f"| {f.name} | {f.type} | {'yes' if f.required else ''} | {_describe(f)} |" for f in table.fields]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render_records_doc(), end="")

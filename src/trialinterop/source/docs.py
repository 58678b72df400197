"""Render the records-folder format (docs/records.md) from records.schema.json, so the page never drifts."""

from __future__ import annotations

from trialinterop.source.schema import FieldSpec, generic_tables

INTRO = """\
# Records folder format

Generated from `src/trialinterop/source/records.schema.json`, the machine-readable schema
(`python -m trialinterop.source.docs > docs/records.md`; a test keeps this page current).

A records folder holds `study.yaml` (or `study.json`): the study definition the data were collected under
(docs/study-definition.md), and one UTF-8 CSV file per table below, each with a header row. The folder's schema is
generated from its definition: "from the definition" below names where a field's allowed values come from, and each
subject attribute of the definition is one more optional column of `subjects.csv`. An empty cell is a missing value.
`date`/`datetime` are ISO 8601; right-truncated partial values (`2023`, `2023-05`, `2023-05-04T10`) are allowed
unless the field says complete. `list` = values separated by `|`. Only the definition and `subjects.csv` are
required; a missing table has no rows. Coded fields hold CDISC submission values.
"""

SOURCES = {
    "subject_id_pattern": "must match the definition's `subjects.id_pattern`",
    "sites": "a site `id` of the definition",
    "arms": "an arm `code` of the definition",
    "epochs": "an epoch of the definition's `epochs`",
    "treatments": "the `treatment` of an intervention of the definition",
    "instruments": "an instrument `code` of the definition",
    "testcds": "a test `testcd` of that instrument in the definition",
    "criteria": "a criterion `id` of the definition's eligibility",
    "countries": "an ISO 3166-1 alpha-3 code (mappings/iso3166.csv)",
    "dispositions": "the terms of its codelist NCOMPLT when it declares one (then instead), plus those of its"
    " codelist OTHEVENT",
}


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
    if spec.sparse:
        parts.append("The column is written only when a row has a value.")
    if spec.pattern:
        parts.append(f"Pattern `{spec.pattern}`.")
    if spec.values_from and spec.values_from.startswith("ct:"):
        codelist = spec.values_from[3:]
        parts.append(f"From the definition: a term of CDISC CT {codelist}, or one the definition names.")
    elif spec.values_from and spec.values_from.startswith("codelist:"):
        name = spec.values_from[9:]
        parts.append(f"From the definition: the terms of its codelist {name} when it declares one (then instead).")
    elif spec.values_from:
        parts.append(f"From the definition: {SOURCES[spec.values_from]}.")
    return _cell(" ".join(parts))


def render_records_doc() -> str:
    tables = generic_tables()
    lines = [INTRO]
    for file, table in tables.items():
        lines += [f"## `{file}`", "", f"{table.description} Key: {', '.join(table.primary_key)}.", ""]
        lines += ["| column | type | required | description |", "|---|---|---|---|"]
        lines += [f"| {f.name} | {f.type} | {'yes' if f.required else ''} | {_describe(f)} |" for f in table.fields]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render_records_doc(), end="")

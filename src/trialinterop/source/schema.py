"""The records-folder schema: the generic tables of records.schema.json, and the schema of one study's folder with
the allowed values taken from its definition (`records_schema`).

A field's `values_from` in the JSON names where its allowed values come from: the definition's `sites`, `arms`,
`treatments`, `instruments`, `testcds`, `criteria`, its `subject_id_pattern`, the ISO 3166-1 `countries`, a codelist
the definition may declare to replace the field's default values (`codelist:AEREL`; `dispositions`: a declared
NCOMPLT replaces the default list and a declared OTHEVENT adds the other events' terms), or a CDISC CT codelist
(`ct:UNIT`) joined with the values of that kind the definition itself names (extensible codelists: a study's own
unit, route or dose form is allowed once its definition uses it). Subject attributes of the definition
become extra optional columns of subjects.csv.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from trialinterop.countries import countries
from trialinterop.ct import cdisc_terms
from trialinterop.definition.model import StudyDefinition

SCHEMA_PATH = Path(__file__).with_name("records.schema.json")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    type: str
    required: bool
    description: str
    enum: tuple[str, ...] | None = None
    items: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    complete: bool = False
    values_from: str | None = None
    sparse: bool = False  # written only when a row has a value (a later optional column: older folders unchanged)


@dataclass(frozen=True, slots=True)
class TableSpec:
    file: str
    description: str
    primary_key: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    attributes: tuple[str, ...] = ()  # subjects.csv: the columns that are subject attributes of the definition

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


@cache
def generic_tables() -> dict[str, TableSpec]:
    """Table specs by file name, as in records.schema.json (allowed values from a definition not filled in)."""
    doc = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    tables = {}
    for file, spec in doc["tables"].items():
        fields = tuple(
            FieldSpec(
                name=f["name"],
                type=f["type"],
                required=f["required"],
                description=f["description"],
                enum=tuple(f["enum"]) if "enum" in f else None,
                items=tuple(f["items"]) if "items" in f else None,
                minimum=f.get("minimum"),
                maximum=f.get("maximum"),
                pattern=f.get("pattern"),
                complete=f.get("complete", False),
                values_from=f.get("values_from"),
                sparse=f.get("sparse", False),
            )
            for f in spec["fields"]
        )
        tables[file] = TableSpec(file, spec["description"], tuple(spec["primaryKey"]), fields)
    return tables


def records_schema(definition: StudyDefinition) -> dict[str, TableSpec]:
    """The table specs of a records folder collected under `definition`."""
    values = _definition_values(definition)
    tables = {}
    for file, table in generic_tables().items():
        fields = [_filled(f, definition, values) for f in table.fields]
        attributes: tuple[str, ...] = ()
        if file == "subjects.csv":
            attributes = tuple(a.name for a in definition.subjects.attributes)
            fields += [
                FieldSpec(a.name, "string", False, f"{a.label} (subject attribute of the study definition)", a.values)
                for a in definition.subjects.attributes
            ]
        tables[file] = replace(table, fields=tuple(fields), attributes=attributes)
    return tables


def _filled(spec: FieldSpec, definition: StudyDefinition, values: dict[str, tuple[str, ...]]) -> FieldSpec:
    source = spec.values_from
    if source is None:
        return spec
    if source == "subject_id_pattern":
        return replace(spec, pattern=f"^(?:{definition.subjects.id_pattern})$")
    if source == "dispositions":  # NCOMPLT (declared, else the default terms) and the declared OTHEVENT terms
        return replace(spec, enum=disposition_terms(definition, spec.enum or ()))
    if source.startswith("codelist:"):  # the definition's own list of that name replaces the default values
        declared = next((c for c in definition.codelists if c.name == source[9:]), None)
        return spec if declared is None else replace(spec, enum=tuple(t.value for t in declared.terms))
    if source.startswith("ct:"):
        codelist = source[3:]
        named = values.get(source, ())
        return replace(spec, enum=tuple(sorted(set(cdisc_terms(codelist)) | set(named))))
    return replace(spec, enum=values[source])


def disposition_terms(definition: StudyDefinition, default: tuple[str, ...]) -> tuple[str, ...]:
    """The allowed disposition.csv events: the definition's NCOMPLT codelist (else `default`) and its OTHEVENT one."""
    declared = {c.name: tuple(t.value for t in c.terms) for c in definition.codelists}
    return tuple(dict.fromkeys(declared.get("NCOMPLT", default) + declared.get("OTHEVENT", ())))


def _definition_values(definition: StudyDefinition) -> dict[str, tuple[str, ...]]:
    """Allowed values by `values_from` name; for CT codelists, the values of that kind the definition names."""
    tests = [t for i in definition.instruments for t in i.tests]
    units = {u for t in tests for u in (t.unit, t.standard_unit) if u}
    units |= {i.dose_unit for i in definition.interventions if i.dose_unit}
    positions = {i.position for i in definition.instruments if i.position}
    return {
        "sites": tuple(s.id for s in definition.sites),
        "arms": tuple(a.code for a in definition.arms),
        "epochs": tuple(definition.epochs),
        "treatments": tuple(i.treatment for i in definition.interventions),
        "instruments": tuple(i.code for i in definition.instruments),
        "testcds": tuple(dict.fromkeys(t.testcd for t in tests)),
        "criteria": tuple(c.id for c in definition.eligibility.criteria),
        "countries": tuple(countries()),
        "ct:UNIT": tuple(sorted(units)),
        "ct:ROUTE": tuple(sorted({i.route for i in definition.interventions if i.route})),
        "ct:FRM": tuple(sorted({i.dose_form for i in definition.interventions if i.dose_form})),
        "ct:FREQ": tuple(sorted({i.frequency for i in definition.interventions if i.frequency})),
        "ct:POSITION": tuple(sorted(positions)),
        "ct:LOC": (),
        "ct:AESEV": (),
    }

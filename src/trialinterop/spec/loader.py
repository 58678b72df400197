"""Load `mappings/` into one frozen `Spec`, checking every file and every cross-reference on the way.

Any defect raises `SpecError` naming `file:line`: unknown or missing columns, bad names/labels, gaps in variable
order, keys that are not variables, codelists/methods/comments that do not exist, definitions nobody uses.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from trialinterop.ct import Codelist, Terminology, load_terminology
from trialinterop.definition.load import load_definition
from trialinterop.errors import SpecError
from trialinterop.resources import default_study_path, mappings_dir
from trialinterop.spec.from_definition import (
    definition_codelists,
    definition_study,
    definition_terms,
    definition_value_levels,
    definition_variables,
)
from trialinterop.spec.model import (
    CHAR_DATA_TYPES,
    CORE_VALUES,
    DATASET_CLASSES,
    MAX_CHAR_LENGTH,
    METHOD_TYPES,
    NUM_DATA_TYPES,
    ORIGIN_TYPES,
    ROLES,
    SAS_TYPES,
    CommentSpec,
    DatasetSpec,
    Dictionary,
    MethodSpec,
    StudySettings,
    ValueLevelSpec,
    VariableSpec,
)
from trialinterop.spec.study import load_study
from trialinterop.spec.tables import (
    parse_float,
    parse_int,
    read_rows,
    require_choice,
    require_label,
    require_name,
    require_yes_no,
)

if TYPE_CHECKING:
    from trialinterop.definition.model import StudyDefinition

DATASET_COLUMNS = ("dataset", "label", "class", "structure", "keys", "repeating", "reference_data", "comment_id")
VARIABLE_COLUMNS = ("dataset", "order", "variable", "label", "data_type", "type", "length_limit", "core", "codelist",
                    "origin", "source", "method_id", "comment_id", "role")  # fmt: skip
VALUE_LEVEL_COLUMNS = ("dataset", "variable", "where_variable", "where_comparator", "where_values", "label",
                       "data_type", "length_limit", "codelist", "min", "max", "mandatory", "origin", "source",
                       "method_id", "comment_id")  # fmt: skip
METHOD_COLUMNS = ("method_id", "name", "type", "description")
COMMENT_COLUMNS = ("comment_id", "description")


@dataclass(frozen=True)
class Spec:
    """The whole specification; build it with `load_spec()`. Accessors raise SpecError for unknown names."""

    datasets: tuple[DatasetSpec, ...]
    variables_by_dataset: dict[str, tuple[VariableSpec, ...]]
    value_levels: tuple[ValueLevelSpec, ...]
    methods: dict[str, MethodSpec]
    comments: dict[str, CommentSpec]
    study: StudySettings
    dictionaries: dict[str, Dictionary]
    terminology: Terminology

    @property
    def dataset_names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.datasets)

    def dataset(self, name: str) -> DatasetSpec:
        for found in self.datasets:
            if found.name == name:
                return found
        raise SpecError(f"dataset {name!r} is not in mappings/datasets.csv")

    def variables(self, dataset: str) -> tuple[VariableSpec, ...]:
        self.dataset(dataset)
        return self.variables_by_dataset[dataset]

    def variable(self, dataset: str, name: str) -> VariableSpec:
        for found in self.variables(dataset):
            if found.name == name:
                return found
        raise SpecError(f"variable {dataset}.{name} is not in mappings/variables.csv")

    def value_level(self, dataset: str, variable: str | None = None) -> tuple[ValueLevelSpec, ...]:
        self.dataset(dataset)
        return tuple(
            v for v in self.value_levels if v.dataset == dataset and (variable is None or v.variable == variable)
        )

    def method(self, method_id: str) -> MethodSpec:
        try:
            return self.methods[method_id]
        except KeyError:
            raise SpecError(f"method {method_id!r} is not in mappings/methods.csv") from None

    def comment(self, comment_id: str) -> CommentSpec:
        try:
            return self.comments[comment_id]
        except KeyError:
            raise SpecError(f"comment {comment_id!r} is not in mappings/comments.csv") from None

    def is_dictionary(self, name: str) -> bool:
        return name in self.dictionaries

    def codelist(self, name: str) -> Codelist | None:
        """The codelist with terms, or None for an external dictionary (see `dictionaries`)."""
        if name in self.dictionaries:
            return None
        return self.terminology.codelist(name)


def load_spec(folder: Path | None = None, *, definition: StudyDefinition | None = None) -> Spec:
    """Read and cross-check datasets/variables/value_level/methods/comments CSVs, study.yaml and codelists.csv.

    What is specific to the study comes from its `definition` (the default study's when none is given,
    `resources.default_study_path`), through `spec.from_definition`: the value-level metadata of its findings domains
    (replacing value_level.csv's entries for those datasets), its codelists (arms, elements, criteria, countries, test
    codes, declared lists; replacing codelists.csv's lists of the same name) and the Define-XML study names and OIDs."""
    folder = Path(folder) if folder is not None else mappings_dir()
    if definition is None:
        definition = load_definition(default_study_path())
    terminology = load_terminology(folder / "codelists.csv")
    study, dictionaries = load_study(folder / "study.yaml")
    terminology = Terminology({**terminology.codelists, **definition_codelists(definition)})
    study = definition_study(definition, study)
    clash = sorted(set(dictionaries) & set(terminology.codelists))
    if clash:
        raise SpecError(f"study.yaml: dictionaries {', '.join(clash)} are also codelists in codelists.csv")
    methods = _load_methods(folder / "methods.csv")
    comments = _load_comments(folder / "comments.csv")
    datasets, dataset_lines = _load_datasets(folder / "datasets.csv", comments)
    known_lists = set(terminology.codelists) | set(dictionaries)
    variables = _load_variables(folder / "variables.csv", datasets, methods, comments, known_lists)
    for dataset in datasets:
        names = {v.name for v in variables[dataset.name]}
        for key in dataset.keys:
            if key not in names:
                raise SpecError(f"{dataset_lines[dataset.name]}: key {key} is not a variable of {dataset.name}")
    value_levels = _load_value_levels(folder / "value_level.csv", variables, methods, comments, known_lists)
    variables = definition_variables(definition, variables)
    terminology = Terminology({**terminology.codelists, **definition_terms(definition, variables, terminology)})
    generated = definition_value_levels(definition, variables)
    replaced = {entry.dataset for entry in generated} | {i.domain for i in definition.instruments}
    value_levels = (*(v for v in value_levels if v.dataset not in replaced), *generated)
    _require_known(generated, methods, set(terminology.codelists) | set(dictionaries))
    _require_all_used(variables, value_levels, datasets, methods, comments)
    return Spec(
        datasets=tuple(datasets),
        variables_by_dataset=variables,
        value_levels=value_levels,
        methods=methods,
        comments=comments,
        study=study,
        dictionaries=dictionaries,
        terminology=terminology,
    )


def _load_methods(path: Path) -> dict[str, MethodSpec]:
    methods: dict[str, MethodSpec] = {}
    for where, row in read_rows(path, METHOD_COLUMNS):
        method_id = row["method_id"]
        if not method_id or method_id in methods:
            raise SpecError(f"{where}: method_id {method_id!r} is empty or repeated")
        require_label(where, "name", row["name"], limit=200)
        require_choice(where, "type", row["type"], METHOD_TYPES)
        if not row["description"]:
            raise SpecError(f"{where}: description is empty")
        methods[method_id] = MethodSpec(method_id, row["name"], row["type"], row["description"])
    return methods


def _load_comments(path: Path) -> dict[str, CommentSpec]:
    comments: dict[str, CommentSpec] = {}
    for where, row in read_rows(path, COMMENT_COLUMNS):
        comment_id = row["comment_id"]
        if not comment_id or comment_id in comments:
            raise SpecError(f"{where}: comment_id {comment_id!r} is empty or repeated")
        if not row["description"]:
            raise SpecError(f"{where}: description is empty")
        comments[comment_id] = CommentSpec(comment_id, row["description"])
    return comments


def _require_ref(where: str, what: str, value: str, known: set[str] | dict) -> str:
    if value and value not in known:
        raise SpecError(f"{where}: {what} {value!r} is not defined")
    return value


def _load_datasets(path: Path, comments: dict[str, CommentSpec]) -> tuple[list[DatasetSpec], dict[str, str]]:
    datasets: list[DatasetSpec] = []
    lines: dict[str, str] = {}
    for where, row in read_rows(path, DATASET_COLUMNS):
        name = require_name(where, "dataset", row["dataset"])
        if name in lines:
            raise SpecError(f"{where}: dataset {name} repeated (first at {lines[name]})")
        keys = tuple(row["keys"].split())
        if not keys:
            raise SpecError(f"{where}: keys are empty")
        datasets.append(
            DatasetSpec(
                name=name,
                label=require_label(where, "label", row["label"]),
                cls=require_choice(where, "class", row["class"], DATASET_CLASSES),
                structure=require_label(where, "structure", row["structure"], limit=200),
                keys=keys,
                repeating=require_yes_no(where, "repeating", row["repeating"]),
                reference_data=require_yes_no(where, "reference_data", row["reference_data"]),
                comment_id=_require_ref(where, "comment_id", row["comment_id"], comments),
            )
        )
        lines[name] = where
    return datasets, lines


def _check_types(where: str, sas_type: str, data_type: str, length: str) -> int | None:
    require_choice(where, "type", sas_type, SAS_TYPES)
    if sas_type == "Num":
        require_choice(where, "data_type", data_type, NUM_DATA_TYPES)
        if length:
            raise SpecError(f"{where}: length_limit must be empty for Num (8 bytes)")
        return None
    require_choice(where, "data_type", data_type, CHAR_DATA_TYPES)
    limit = parse_int(where, "length_limit", length)
    if not 1 <= limit <= MAX_CHAR_LENGTH:
        raise SpecError(f"{where}: length_limit {limit} must be 1..{MAX_CHAR_LENGTH} for Char")
    return limit


def _load_variables(
    path: Path,
    datasets: list[DatasetSpec],
    methods: dict[str, MethodSpec],
    comments: dict[str, CommentSpec],
    codelists: set[str],
) -> dict[str, tuple[VariableSpec, ...]]:
    known = {d.name for d in datasets}
    found: dict[str, list[VariableSpec]] = defaultdict(list)
    for where, row in read_rows(path, VARIABLE_COLUMNS):
        dataset = row["dataset"]
        if dataset not in known:
            raise SpecError(f"{where}: dataset {dataset!r} is not in datasets.csv")
        name = require_name(where, "variable", row["variable"])
        order = parse_int(where, "order", row["order"])
        if order != len(found[dataset]) + 1:
            raise SpecError(
                f"{where}: order {order} of {dataset}.{name} must be {len(found[dataset]) + 1} (contiguous)"
            )
        if any(v.name == name for v in found[dataset]):
            raise SpecError(f"{where}: variable {dataset}.{name} repeated")
        origin = require_choice(where, "origin", row["origin"], ORIGIN_TYPES)
        method_id = _require_ref(where, "method_id", row["method_id"], methods)
        if origin == "Derived" and not method_id:
            raise SpecError(f"{where}: {dataset}.{name} is Derived but has no method_id")
        found[dataset].append(
            VariableSpec(
                dataset=dataset,
                order=order,
                name=name,
                label=require_label(where, "label", row["label"]),
                data_type=row["data_type"],
                type=row["type"],
                length_limit=_check_types(where, row["type"], row["data_type"], row["length_limit"]),
                core=require_choice(where, "core", row["core"], CORE_VALUES),
                codelist=_require_ref(where, "codelist", row["codelist"], codelists),
                origin=origin,
                source=row["source"],
                method_id=method_id,
                comment_id=_require_ref(where, "comment_id", row["comment_id"], comments),
                role=require_choice(where, "role", row["role"], ROLES),
            )
        )
    missing = [d for d in known if not found.get(d)]
    if missing:
        raise SpecError(f"{path.name}: no variables for dataset(s) {', '.join(sorted(missing))}")
    return {name: tuple(rows) for name, rows in found.items()}


def _load_value_levels(
    path: Path,
    variables: dict[str, tuple[VariableSpec, ...]],
    methods: dict[str, MethodSpec],
    comments: dict[str, CommentSpec],
    codelists: set[str],
) -> tuple[ValueLevelSpec, ...]:
    entries: list[ValueLevelSpec] = []
    seen: dict[tuple[str, str, str], str] = {}
    for where, row in read_rows(path, VALUE_LEVEL_COLUMNS):
        dataset = row["dataset"]
        if dataset not in variables:
            raise SpecError(f"{where}: dataset {dataset!r} is not in datasets.csv")
        names = {v.name: v for v in variables[dataset]}
        parent = names.get(row["variable"])
        if parent is None:
            raise SpecError(f"{where}: variable {dataset}.{row['variable']} is not in variables.csv")
        if row["where_variable"] not in names:
            raise SpecError(f"{where}: where_variable {dataset}.{row['where_variable']} is not in variables.csv")
        comparator = require_choice(where, "where_comparator", row["where_comparator"], ("EQ", "IN"))
        values = tuple(v.strip() for v in row["where_values"].split("|"))
        if not all(values) or (comparator == "EQ" and len(values) != 1):
            raise SpecError(f"{where}: where_values must be one value for EQ, values separated by | for IN")
        for value in values:
            key = (dataset, parent.name, value)
            if key in seen:
                raise SpecError(
                    f"{where}: {dataset}.{parent.name} where {row['where_variable']}={value} repeats {seen[key]}"
                )
            seen[key] = where
        length = row["length_limit"]
        if parent.type == "Num":
            limit = _check_types(where, "Num", row["data_type"], length)
        else:
            data_type = require_choice(where, "data_type", row["data_type"], (*CHAR_DATA_TYPES, *NUM_DATA_TYPES))
            limit = _check_types(where, "Char", "text" if data_type in NUM_DATA_TYPES else data_type, length)
            if parent.length_limit is not None and limit is not None and limit > parent.length_limit:
                raise SpecError(
                    f"{where}: length_limit {limit} exceeds {dataset}.{parent.name} ({parent.length_limit})"
                )
        minimum = parse_float(where, "min", row["min"])
        maximum = parse_float(where, "max", row["max"])
        if minimum is not None and maximum is not None and minimum > maximum:
            raise SpecError(f"{where}: min {minimum} > max {maximum}")
        origin = require_choice(where, "origin", row["origin"], ORIGIN_TYPES)
        method_id = _require_ref(where, "method_id", row["method_id"], methods)
        if origin == "Derived" and not method_id:
            raise SpecError(f"{where}: value-level entry is Derived but has no method_id")
        entries.append(
            ValueLevelSpec(
                dataset=dataset,
                variable=parent.name,
                where_variable=row["where_variable"],
                where_comparator=comparator,
                where_values=values,
                label=require_label(where, "label", row["label"]),
                data_type=row["data_type"],
                length_limit=limit,
                codelist=_require_ref(where, "codelist", row["codelist"], codelists),
                minimum=minimum,
                maximum=maximum,
                mandatory=require_yes_no(where, "mandatory", row["mandatory"]),
                origin=origin,
                source=row["source"],
                method_id=method_id,
                comment_id=_require_ref(where, "comment_id", row["comment_id"], comments),
            )
        )
    return tuple(entries)


def _require_known(entries: tuple[ValueLevelSpec, ...], methods: dict[str, MethodSpec], codelists: set[str]) -> None:
    """Value-level entries made from the definition name only methods and codelists the specification has."""
    for entry in entries:
        for what, name, known in (("method", entry.method_id, methods), ("codelist", entry.codelist, codelists)):
            if name and name not in known:
                raise SpecError(f"study definition: {what} {name!r} of {entry.dataset}.{entry.key} is not defined")


def _require_all_used(
    variables: dict[str, tuple[VariableSpec, ...]],
    value_levels: tuple[ValueLevelSpec, ...],
    datasets: list[DatasetSpec],
    methods: dict[str, MethodSpec],
    comments: dict[str, CommentSpec],
) -> None:
    """Define-XML wants no orphan definitions: every method and comment must be referenced somewhere."""
    items = [v for rows in variables.values() for v in rows]
    used_methods = {v.method_id for v in items} | {v.method_id for v in value_levels}
    used_comments = (
        {v.comment_id for v in items} | {v.comment_id for v in value_levels} | {d.comment_id for d in datasets}
    )
    unused = sorted(set(methods) - used_methods)
    if unused:
        raise SpecError(f"methods.csv: method(s) {', '.join(unused)} are not used by any variable or value")
    unused = sorted(set(comments) - used_comments)
    if unused:
        raise SpecError(f"comments.csv: comment(s) {', '.join(unused)} are not used by any dataset, variable or value")

"""Frozen records for the specification held in `mappings/` (datasets, variables, value level, methods, comments)."""

from __future__ import annotations

from dataclasses import dataclass

CORE_VALUES = ("Req", "Exp", "Perm")
ORIGIN_TYPES = ("Collected", "Derived", "Assigned", "Protocol", "Predecessor", "Not Available")
SAS_TYPES = ("Char", "Num")
CHAR_DATA_TYPES = ("text", "datetime", "date", "time", "partialDate", "partialTime", "partialDatetime",
                   "incompleteDatetime", "durationDatetime", "intervalDatetime")  # fmt: skip
NUM_DATA_TYPES = ("integer", "float")
DATASET_CLASSES = ("SPECIAL PURPOSE", "INTERVENTIONS", "EVENTS", "FINDINGS", "FINDINGS ABOUT", "TRIAL DESIGN",
                   "RELATIONSHIP", "STUDY REFERENCE")  # fmt: skip
ROLES = ("Identifier", "Topic", "Timing", "Grouping Qualifier", "Result Qualifier", "Synonym Qualifier",
         "Record Qualifier", "Variable Qualifier", "Rule")  # fmt: skip
METHOD_TYPES = ("Computation", "Imputation")
MAX_CHAR_LENGTH = 200


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    name: str
    label: str
    cls: str
    structure: str
    keys: tuple[str, ...]
    repeating: bool
    reference_data: bool
    comment_id: str

    @property
    def file_name(self) -> str:
        """The transport file stem: lower-case dataset name (FDA TCG)."""
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class VariableSpec:
    dataset: str
    order: int
    name: str
    label: str
    data_type: str
    type: str
    length_limit: int | None
    core: str
    codelist: str
    origin: str
    source: str
    method_id: str
    comment_id: str
    role: str

    @property
    def is_numeric(self) -> bool:
        return self.type == "Num"


@dataclass(frozen=True, slots=True)
class ValueLevelSpec:
    """One value-level entry: `variable` of `dataset` where `where_variable` is (IN) `where_values`."""

    dataset: str
    variable: str
    where_variable: str
    where_comparator: str
    where_values: tuple[str, ...]
    label: str
    data_type: str
    length_limit: int | None
    codelist: str
    minimum: float | None
    maximum: float | None
    mandatory: bool
    origin: str
    source: str
    method_id: str
    comment_id: str

    def matches(self, value: object) -> bool:
        return value is not None and str(value) in self.where_values

    @property
    def key(self) -> str:
        """A short stable name for the entry, e.g. `VSORRES.SYSBP` (first value of an IN list)."""
        return f"{self.variable}.{self.where_values[0]}"


@dataclass(frozen=True, slots=True)
class MethodSpec:
    id: str
    name: str
    type: str
    description: str


@dataclass(frozen=True, slots=True)
class CommentSpec:
    id: str
    description: str


@dataclass(frozen=True, slots=True)
class Dictionary:
    """An external dictionary (MedDRA, ISO 21090) a variable may name instead of a codelist; no terms are listed."""

    name: str
    dictionary: str
    version: str
    data_type: str


@dataclass(frozen=True, slots=True)
class StandardRef:
    publishing_set: str
    version: str


@dataclass(frozen=True, slots=True)
class StudySettings:
    """`study.yaml`: names, standards and the fixed creation times written into Define-XML and Dataset-JSON."""

    study_name: str
    study_description: str
    protocol_name: str
    study_oid: str
    model: str
    model_version: str
    ig_name: str
    ig_version: str
    ct: tuple[StandardRef, ...]
    define_file_oid: str
    define_creation_datetime: str
    define_originator: str
    define_source_system: str
    define_source_system_version: str
    define_context: str
    metadata_version_oid: str
    metadata_version_name: str
    collected_origin_source: str
    json_creation_datetime: str
    json_originator: str
    json_source_system: str
    json_source_system_version: str

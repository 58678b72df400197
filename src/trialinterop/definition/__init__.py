"""Study definitions: one checked file per trial holds every trial fact (docs/study-definition.md)."""

from trialinterop.definition.bundled import bundled_definition, bundled_study_ids, resolve_definition
from trialinterop.definition.load import definition_schema, load_definition
from trialinterop.definition.model import StudyDefinition

__all__ = [
    "StudyDefinition",
    "bundled_definition",
    "bundled_study_ids",
    "definition_schema",
    "load_definition",
    "resolve_definition",
]

"""The SDTM specification as data (`mappings/`), loaded and cross-checked into one frozen `Spec`."""

from __future__ import annotations

from trialinterop.spec.data_terms import with_data_terms
from trialinterop.spec.loader import Spec, load_spec
from trialinterop.spec.model import (
    CommentSpec,
    DatasetSpec,
    Dictionary,
    MethodSpec,
    StudySettings,
    ValueLevelSpec,
    VariableSpec,
)

__all__ = [
    "CommentSpec",
    "DatasetSpec",
    "Dictionary",
    "MethodSpec",
    "Spec",
    "StudySettings",
    "ValueLevelSpec",
    "VariableSpec",
    "load_spec",
    "with_data_terms",
]

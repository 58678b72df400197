"""The study definitions shipped with the package (`mappings/studies/*.yaml`), found by study id."""

from __future__ import annotations

from pathlib import Path

from trialinterop.definition.load import load_definition
from trialinterop.definition.model import StudyDefinition
from trialinterop.errors import InputError
from trialinterop.resources import mappings_dir
from trialinterop.source.problems import input_problem


def _studies_dir() -> Path:
    return mappings_dir() / "studies"


def bundled_study_ids() -> tuple[str, ...]:
    """Ids of the bundled definitions: their file names, upper-cased (nct05016804.yaml -> NCT05016804)."""
    return tuple(sorted(p.stem.upper() for p in _studies_dir().glob("*.yaml")))


def bundled_definition(study_id: str) -> StudyDefinition:
    """The bundled definition of `study_id`; InputError naming the bundled ids when there is none."""
    path = _studies_dir() / f"{study_id.lower()}.yaml"
    if not path.is_file():
        known = ", ".join(bundled_study_ids()) or "none"
        raise InputError([input_problem(study_id, "", "", f"no bundled study definition (bundled: {known})")],
                         summary="unknown study")  # fmt: skip
    definition = load_definition(path)
    if definition.study.id != study_id.upper():
        raise InputError([input_problem(path.name, "/study/id", "id", f"a bundled definition's file name must be its "
                                        f"study id in lower case ({study_id.lower()}.yaml)", definition.study.id)],
                         summary="misnamed bundled study definition")  # fmt: skip
    return definition

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
    """Ids of the bundled definitions: their file names, upper-cased (xanad01.yaml -> XANAD01)."""
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


def resolve_definition(study: str | Path) -> StudyDefinition:
    """What a `--study` option names: a definition file (YAML/JSON) when such a file exists, else a bundled study id
    (case-insensitive); InputError naming both readings when it is neither."""
    path = Path(study)
    if path.is_file():
        return load_definition(path)
    text = str(study)
    if path.suffix.lower() in {".yaml", ".yml", ".json"} or "/" in text or "\\" in text:
        raise InputError([input_problem(text, "", "", "study definition file not found")], summary="cannot read")
    return bundled_definition(text)

"""Read `study.yaml`: every key is known (unknown keys are errors), every required key is present."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from trialinterop.errors import SpecError
from trialinterop.iso8601 import is_valid_dtc
from trialinterop.spec.model import Dictionary, StandardRef, StudySettings
from trialinterop.spec.tables import NAME_PATTERN

_SHAPE: dict[str, tuple[str, ...]] = {
    "": ("study", "standards", "define", "dataset_json", "dictionaries"),
    "study": ("study_name", "study_description", "protocol_name", "study_oid"),
    "standards": ("model", "model_version", "ig_name", "ig_version", "ct"),
    "define": (
        "file_oid",
        "creation_datetime",
        "originator",
        "source_system",
        "source_system_version",
        "context",
        "metadata_version_oid",
        "metadata_version_name",
        "collected_origin_source",
    ),
    "dataset_json": ("creation_datetime", "originator", "source_system", "source_system_version"),
}


def _section(data: Any, name: str, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise SpecError(f"{where}: {name or 'document'} must be a mapping")
    allowed = _SHAPE[name]
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {', '.join(unknown)} in {name or 'document'}")
    missing = [k for k in allowed if k not in data]
    if missing:
        raise SpecError(f"{where}: missing key(s) {', '.join(missing)} in {name or 'document'}")
    return data


def _text(section: dict[str, Any], key: str, where: str) -> str:
    value = section[key]
    if not isinstance(value, str) or not value.strip():
        raise SpecError(f"{where}: {key} must be a non-empty string")
    return value.strip()


def _datetime(section: dict[str, Any], key: str, where: str) -> str:
    value = _text(section, key, where)
    if len(value) != 19 or not is_valid_dtc(value):
        raise SpecError(f"{where}: {key} {value!r} must be a complete ISO 8601 datetime YYYY-MM-DDThh:mm:ss")
    return value


def load_study(path: Path) -> tuple[StudySettings, dict[str, Dictionary]]:
    where = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SpecError(f"{path}: cannot read ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise SpecError(f"{where}: invalid YAML ({error})") from None
    top = _section(data, "", where)
    study = _section(top["study"], "study", where)
    standards = _section(top["standards"], "standards", where)
    define = _section(top["define"], "define", where)
    djson = _section(top["dataset_json"], "dataset_json", where)
    ct_rows = standards["ct"]
    if not isinstance(ct_rows, list) or not ct_rows:
        raise SpecError(f"{where}: standards.ct must be a non-empty list")
    ct: list[StandardRef] = []
    for index, row in enumerate(ct_rows):
        if not isinstance(row, dict) or set(row) != {"publishing_set", "version"}:
            raise SpecError(f"{where}: standards.ct[{index}] needs exactly publishing_set and version")
        ct.append(StandardRef(str(row["publishing_set"]), str(row["version"])))
    settings = StudySettings(
        study_name=_text(study, "study_name", where),
        study_description=_text(study, "study_description", where),
        protocol_name=_text(study, "protocol_name", where),
        study_oid=_text(study, "study_oid", where),
        model=_text(standards, "model", where),
        model_version=_text(standards, "model_version", where),
        ig_name=_text(standards, "ig_name", where),
        ig_version=_text(standards, "ig_version", where),
        ct=tuple(ct),
        define_file_oid=_text(define, "file_oid", where),
        define_creation_datetime=_datetime(define, "creation_datetime", where),
        define_originator=_text(define, "originator", where),
        define_source_system=_text(define, "source_system", where),
        define_source_system_version=_text(define, "source_system_version", where),
        define_context=_text(define, "context", where),
        metadata_version_oid=_text(define, "metadata_version_oid", where),
        metadata_version_name=_text(define, "metadata_version_name", where),
        collected_origin_source=_text(define, "collected_origin_source", where),
        json_creation_datetime=_datetime(djson, "creation_datetime", where),
        json_originator=_text(djson, "originator", where),
        json_source_system=_text(djson, "source_system", where),
        json_source_system_version=_text(djson, "source_system_version", where),
    )
    if settings.define_context not in ("Submission", "Other"):
        raise SpecError(f"{where}: define.context must be Submission or Other")
    dictionaries: dict[str, Dictionary] = {}
    raw = top["dictionaries"] or {}
    if not isinstance(raw, dict):
        raise SpecError(f"{where}: dictionaries must be a mapping")
    for name, entry in raw.items():
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            raise SpecError(f"{where}: dictionary name {name!r} must be 1-8 upper-case letters/digits")
        if not isinstance(entry, dict) or set(entry) != {"dictionary", "version", "data_type"}:
            raise SpecError(f"{where}: dictionaries.{name} needs exactly dictionary, version, data_type")
        if entry["data_type"] not in ("text", "integer", "float"):
            raise SpecError(f"{where}: dictionaries.{name}.data_type must be text, integer or float")
        dictionaries[name] = Dictionary(name, str(entry["dictionary"]), str(entry["version"]), entry["data_type"])
    return settings, dictionaries

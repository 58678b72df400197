"""Load `mappings/trial_design.yaml`: trial design constants (elements, arm element order, TS parameters).

The file is checked on load: unknown or missing keys, unknown element codes and unknown `starts_at`/`derive` names
raise `SpecError` naming the file and the entry, so a typo cannot silently drop a TS parameter or an element.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from trialinterop.errors import SpecError
from trialinterop.resources import mappings_dir

ELEMENT_STARTS = ("consent", "first_infusion", "day_after_infusion")
TS_DERIVATIONS = frozenset(
    {
        "maximum_age", "minimum_age", "enrollment_target", "allocation", "sex", "masking", "official_title", "phase",
        "sponsor", "registry_id", "primary_outcomes", "secondary_outcomes", "site_countries", "data_cutoff_date",
        "data_cutoff_description", "number_of_arms", "study_type", "study_start", "study_end", "enrolled_subjects",
        "healthy_volunteers", "intervention_model", "intervention_type", "conditions", "primary_purpose",
        "treatments", "dose", "dose_unit", "dose_frequency", "route", "dose_form",
    }
)  # fmt: skip
_TOP_KEYS = {"elements", "arms", "infusion_treatment", "registry_terms", "null_flavors", "ts"}
_ELEMENT_KEYS = {"etcd", "element", "testrl", "teenrl", "tedur", "epoch", "starts_at"}
_TS_KEYS = {"parmcd", "parm", "values", "derive"}
_VALUE_KEYS = {"val", "valcd", "vcdref", "vcdver", "valnf", "grpid"}


@dataclass(frozen=True, slots=True)
class Element:
    etcd: str
    element: str
    testrl: str
    teenrl: str | None
    tedur: str | None
    epoch: str
    starts_at: str


@dataclass(frozen=True, slots=True)
class TsValue:
    val: str | None = None
    valcd: str | None = None
    vcdref: str | None = None
    vcdver: str | None = None
    valnf: str | None = None
    grpid: str | None = None


@dataclass(frozen=True, slots=True)
class TsParameter:
    parmcd: str
    parm: str
    values: tuple[TsValue, ...] = ()
    derive: str | None = None


@dataclass(frozen=True)
class TrialDesign:
    elements: tuple[Element, ...]
    arms: MappingProxyType  # arm code -> tuple of element codes in planned order
    infusion_treatment: str
    registry_terms: MappingProxyType  # field -> {registry value -> (TSVAL, TSVALCD)}
    null_flavors: MappingProxyType
    ts: tuple[TsParameter, ...]

    def element(self, etcd: str) -> Element:
        for element in self.elements:
            if element.etcd == etcd:
                return element
        raise SpecError(f"element {etcd!r} is not defined in trial_design.yaml")

    def coded(self, field: str, value: str) -> tuple[str, str]:
        """(TSVAL, TSVALCD) for a registry value; SpecError when the mapping lacks it."""
        try:
            return self.registry_terms[field][value]
        except KeyError:
            raise SpecError(f"trial_design.yaml registry_terms.{field} has no entry for {value!r}") from None


def load_trial_design(path: Path | None = None) -> TrialDesign:
    path = path or mappings_dir() / "trial_design.yaml"
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: not valid YAML: {exc}") from None
    return _parse(doc, str(path))


def _require_keys(entry: Any, allowed: set[str], required: set[str], where: str) -> dict:
    if not isinstance(entry, dict):
        raise SpecError(f"{where}: expected a mapping")
    unknown = sorted(set(entry) - allowed)
    missing = sorted(required - set(entry))
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {', '.join(unknown)}")
    if missing:
        raise SpecError(f"{where}: missing key(s) {', '.join(missing)}")
    return entry


def _parse(doc: Any, name: str) -> TrialDesign:
    doc = _require_keys(doc, _TOP_KEYS, _TOP_KEYS, name)
    elements = []
    for i, raw in enumerate(doc["elements"]):
        entry = _require_keys(raw, _ELEMENT_KEYS, _ELEMENT_KEYS, f"{name}: elements[{i}]")
        if entry["starts_at"] not in ELEMENT_STARTS:
            raise SpecError(f"{name}: elements[{i}].starts_at must be one of {', '.join(ELEMENT_STARTS)}")
        fields: dict[str, Any] = {k: (str(v) if v is not None else None) for k, v in entry.items()}  # keys as checked
        elements.append(Element(**fields))
    codes = {e.etcd for e in elements}
    arms = {}
    for arm, order in doc["arms"].items():
        unknown = [etcd for etcd in order if etcd not in codes]
        if unknown:
            raise SpecError(f"{name}: arms.{arm} uses undefined element(s) {', '.join(unknown)}")
        arms[str(arm)] = tuple(order)
    terms = {
        field: MappingProxyType({str(k): (str(v[0]), str(v[1])) for k, v in mapping.items()})
        for field, mapping in doc["registry_terms"].items()
    }
    parameters = []
    for i, raw in enumerate(doc["ts"]):
        where = f"{name}: ts[{i}]"
        entry = _require_keys(raw, _TS_KEYS, {"parmcd", "parm"}, where)
        if ("values" in entry) == ("derive" in entry):
            raise SpecError(f"{where} ({entry['parmcd']}): give exactly one of values or derive")
        if "derive" in entry and entry["derive"] not in TS_DERIVATIONS:
            raise SpecError(f"{where} ({entry['parmcd']}): unknown derivation {entry['derive']!r}")
        values = tuple(
            TsValue(**{k: str(v) for k, v in _require_keys(v, _VALUE_KEYS, set(), where).items() if v is not None})
            for v in entry.get("values", ())
        )
        parameters.append(TsParameter(str(entry["parmcd"]), str(entry["parm"]), values, entry.get("derive")))
    return TrialDesign(
        elements=tuple(elements),
        arms=MappingProxyType(arms),
        infusion_treatment=str(doc["infusion_treatment"]),
        registry_terms=MappingProxyType(terms),
        null_flavors=MappingProxyType({str(k): str(v) for k, v in doc["null_flavors"].items()}),
        ts=tuple(parameters),
    )

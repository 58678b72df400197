"""The trial design the SDTM builders read (`sdtm.design.TrialDesign`: TE elements, TA element order per arm, the
treatment that opens the treatment element, TS parameters) taken from a study definition.

The registry-value-to-CT tables (`registry_terms`, `null_flavors`) are standard terminology, not trial facts: they
come from `mappings/trial_design.yaml` as before. TS parameters keep the order and derivations of that file; their
trial-specific values come from the definition, coded with the bundled CDISC CT (`mappings/sdtmig-3.4/ct.csv`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from types import MappingProxyType

from trialinterop.definition.model import CodedValue, StudyDefinition
from trialinterop.errors import SpecError
from trialinterop.sdtm.design import Element, TrialDesign, TsParameter, TsValue, load_trial_design
from trialinterop.validate.standards import load_standard

ELEMENT_EVENTS = {"consent": "consent", "first_dose": "first_infusion", "day_after_first_dose": "day_after_infusion"}
"""Definition start events the SE builder follows today, by its name for them; others are refused (SpecError)."""

EXTRA_PARAMETERS = {"OBJSEC": "Trial Secondary Objective"}
"""TS parameters with values from the definition that `mappings/trial_design.yaml` does not list: appended."""

CONTROL_TERMS = {"NONE": "NONE", "PLACEBO": "PLACEBO", "ACTIVE": "ACTIVE", "DOSE_RESPONSE": "DOSE RESPONSE",
                 "HISTORICAL": "HISTORICAL"}  # fmt: skip


@cache
def _terms_by_codelist_name() -> dict[str, dict[str, str]]:
    """Term -> NCI code of every bundled CDISC CT codelist, by its short name (TCNTRL, TTYPE, NY, ...)."""
    return {found.name: found.terms for found in load_standard().codelists.values()}


def _ct(codelist: str, term: str) -> TsValue:
    """A TS value coded from the bundled CDISC CT; SpecError when the term is not in the codelist."""
    terms = _terms_by_codelist_name().get(codelist)
    if terms is None:
        raise SpecError(f"CDISC codelist {codelist} is not bundled")
    code = terms.get(term)
    if code is None:
        raise SpecError(f"{term!r} is not a term of CDISC codelist {codelist}")
    return TsValue(val=term, valcd=code, vcdref="CDISC CT")


def _flag(value: bool | None) -> tuple[TsValue, ...]:
    return () if value is None else (_ct("NY", "Y" if value else "N"),)


def _coded(values: tuple[CodedValue, ...]) -> tuple[TsValue, ...]:
    return tuple(TsValue(val=v.value, valcd=v.code, vcdref=v.system, vcdver=v.version) for v in values)


def _text(value: str | None) -> tuple[TsValue, ...]:
    return () if value is None else (TsValue(val=" ".join(value.split())),)


def _literal_values(definition: StudyDefinition) -> dict[str, Callable[[], tuple[TsValue, ...]]]:
    """TS parameters whose values are trial facts, by TSPARMCD (computed only when the parameter is listed)."""
    design = definition.design
    return {
        "ADAPT": lambda: _flag(design.adaptive),
        "ADDON": lambda: _flag(design.add_on),
        "CURTRT": lambda: _coded(design.background_treatments),
        "LENGTH": lambda: () if design.trial_length is None else (TsValue(val=design.trial_length),),
        "STOPRULE": lambda: _text(design.stop_rules) or (TsValue(valnf="UNK"),),
        "TCNTRL": lambda: () if design.control_type is None else (_ct("TCNTRL", CONTROL_TERMS[design.control_type]),),
        "TTYPE": lambda: tuple(_ct("TTYPE", t) for t in design.trial_types),
        "OBJPRIM": lambda: _text(design.primary_objective),
        "OBJSEC": lambda: tuple(TsValue(val=" ".join(o.split())) for o in design.secondary_objectives),
        "PCLAS": lambda: _coded(design.pharmacologic_class),
        "PDSTIND": lambda: _flag(design.pediatric),
        "RDIND": lambda: _flag(design.rare_disease),
        "EXTTIND": lambda: _flag(design.extension_trial),
    }


def trial_design(definition: StudyDefinition) -> TrialDesign:
    """TE, TA and TS facts of `definition` in the builders' form; SpecError for what the builders cannot follow yet
    (an element opened by another event than consent or the first dose, or arms opened by different treatments)."""
    standard = load_trial_design()
    elements = []
    openers = set()
    for element in definition.elements:
        event = ELEMENT_EVENTS.get(element.starts_at.event)
        if event is None:
            raise SpecError(f"{definition.source}: element {element.code} starts at {element.starts_at.event!r}; the "
                            f"SE builder follows only {', '.join(ELEMENT_EVENTS)}")  # fmt: skip
        if element.starts_at.intervention:
            intervention = definition.intervention(element.starts_at.intervention)
            openers.add(intervention.treatment if intervention else element.starts_at.intervention)
        elements.append(Element(element.code, element.name, element.start_rule, element.end_rule, element.duration,
                                element.epoch, event))  # fmt: skip
    if len(openers) != 1:
        raise SpecError(f"{definition.source}: the SE builder needs exactly one treatment that opens the treatment "
                        f"element, found {sorted(openers) or 'none'}")  # fmt: skip
    literal = _literal_values(definition)
    parameters = []
    for parameter in standard.ts:
        if parameter.parmcd in literal:
            values = literal[parameter.parmcd]()
            if values:
                parameters.append(TsParameter(parameter.parmcd, parameter.parm, values))
        else:
            parameters.append(parameter)
    for parmcd, parm in EXTRA_PARAMETERS.items():
        values = literal[parmcd]()
        if values and all(p.parmcd != parmcd for p in standard.ts):
            parameters.append(TsParameter(parmcd, parm, values))
    listed = {p.parmcd for p in parameters}
    parameters += [
        TsParameter(p.parmcd, p.parm, _coded(p.values)) for p in definition.trial_summary if p.parmcd not in listed
    ]
    return TrialDesign(
        elements=tuple(elements),
        arms=MappingProxyType({arm.code: arm.elements for arm in definition.arms}),
        infusion_treatment=openers.pop(),
        registry_terms=standard.registry_terms,
        null_flavors=standard.null_flavors,
        ts=tuple(parameters),
    )

"""The trial design the SDTM builders read (`sdtm.design.TrialDesign`: TE elements and the event that opens each in
SE, TA element order per arm, TS parameters) taken from a study definition.

TS values come from the definition, coded with the bundled CDISC CT (`mappings/sdtmig-3.4/ct.csv`): registry-style
values (phase, masking, allocation, ...) through the fixed CDISC term each stands for (`REGISTRY_TERMS`, standard
terminology, not a trial fact). Three parameters depend on the records (SSTDTC, SENDTC, ACTSUB) and are left to the
TS builder (`derive`). A null value gets an ISO 21090 null flavor where TS needs the parameter (`NULL_FLAVORS`).
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType

from trialinterop.ct import cdisc_terms
from trialinterop.definition.model import CodedValue, Intervention, StudyDefinition
from trialinterop.errors import SpecError
from trialinterop.number_text import format_number
from trialinterop.sdtm.design import Element, TrialDesign, TsParameter, TsValue

CDISC_CT = "CDISC CT"

REGISTRY_TERMS: dict[str, tuple[str, dict[str, str]]] = {
    "phase": ("TPHASE", {
        "EARLY_PHASE1": "EARLY PHASE I", "PHASE1": "PHASE I TRIAL", "PHASE1_PHASE2": "PHASE I/II TRIAL",
        "PHASE2": "PHASE II TRIAL", "PHASE2_PHASE3": "PHASE II/III TRIAL", "PHASE3": "PHASE III TRIAL",
        "PHASE4": "PHASE IV TRIAL", "NA": "NOT APPLICABLE",
    }),
    "study_type": ("STYPE", {"INTERVENTIONAL": "INTERVENTIONAL", "OBSERVATIONAL": "OBSERVATIONAL"}),
    "intervention_model": ("INTMODEL", {
        "SINGLE_GROUP": "SINGLE GROUP", "PARALLEL": "PARALLEL", "CROSSOVER": "CROSS-OVER", "FACTORIAL": "FACTORIAL",
        "SEQUENTIAL": "SEQUENTIAL",
    }),
    # CDISC TBLIND has no triple or quadruple blinding: more than two masked roles is still double blind (decision)
    "masking": ("TBLIND", {
        "NONE": "OPEN LABEL", "SINGLE": "SINGLE BLIND", "DOUBLE": "DOUBLE BLIND", "TRIPLE": "DOUBLE BLIND",
        "QUADRUPLE": "DOUBLE BLIND",
    }),
    "allocation": ("NY", {"NA": "N", "NON_RANDOMIZED": "N", "RANDOMIZED": "Y"}),
    "sex": ("SEXPOP", {"ALL": "BOTH", "FEMALE": "F", "MALE": "M"}),
    "primary_purpose": ("TINDTP", {
        "TREATMENT": "TREATMENT", "PREVENTION": "PREVENTION", "DIAGNOSTIC": "DIAGNOSIS",
        "SUPPORTIVE_CARE": "SUPPORTIVE CARE", "SCREENING": "SCREENING",
        "HEALTH_SERVICES_RESEARCH": "HEALTH SERVICES RESEARCH", "BASIC_SCIENCE": "BASIC SCIENCE",
        "DEVICE_FEASIBILITY": "DEVICE FEASIBILITY",
    }),
    "intervention_type": ("INTTYPE", {
        "DRUG": "DRUG", "BIOLOGICAL": "BIOLOGIC", "DEVICE": "DEVICE", "PROCEDURE": "PROCEDURE",
        "RADIATION": "RADIATION", "BEHAVIORAL": "BEHAVIORAL THERAPY", "GENETIC": "GENETIC",
        "DIETARY_SUPPLEMENT": "DIETARY SUPPLEMENT", "COMBINATION_PRODUCT": "COMBINATION PRODUCT",
        "DIAGNOSTIC_TEST": "DIAGNOSTIC TEST",
    }),
    "control_type": ("TCNTRL", {
        "NONE": "NONE", "PLACEBO": "PLACEBO", "ACTIVE": "ACTIVE", "DOSE_RESPONSE": "DOSE RESPONSE",
    }),
}  # fmt: skip
"""Definition field -> (CDISC codelist, definition value -> submission value). A value without a CDISC term
(e.g. primary_purpose OTHER, control_type HISTORICAL) is given as text without a code."""

NULL_FLAVORS = {"phase": "UNK", "maximum_age": "PINF", "minimum_age": "UNK", "data_cutoff": "UNK",
                "stop_rules": "UNK", "registry_id": "NA"}  # fmt: skip
PUBLIC_REGISTRIES = {"NCT": "ClinicalTrials.gov", "EUCT": "EU CT", "EUDRACT": "EudraCT", "ISRCTN": "ISRCTN",
                     "CTRI": "CTRI", "JRCT": "jRCT", "ANZCTR": "ANZCTR", "WHO-UTN": "WHO UTN"}  # fmt: skip
"""Registries whose ids are TS REGID values (TSVCDREF); a sponsor number or an IND is not a registry id."""

COMPARATOR_ROLES = ("PLACEBO", "COMPARATOR")
STANDARD_VERSIONS = (("SDTIGVER", "SDTM IG Version", "3.4"), ("SDTMVER", "SDTM Version", "2.0"))

TS_PARAMETERS = (
    ("ADAPT", "Adaptive Design"), ("ADDON", "Added on to Existing Treatments"),
    ("CURTRT", "Current Therapy or Treatment"), ("AGEMAX", "Planned Maximum Age of Subjects"),
    ("AGEMIN", "Planned Minimum Age of Subjects"), ("LENGTH", "Trial Length"),
    ("PLANSUB", "Planned Number of Subjects"), ("RANDOM", "Trial is Randomized"), ("SEXPOP", "Sex of Participants"),
    ("STOPRULE", "Study Stop Rules"), ("TBLIND", "Trial Blinding Schema"), ("TCNTRL", "Control Type"),
    ("TITLE", "Trial Title"), ("TPHASE", "Trial Phase Classification"), ("TTYPE", "Trial Type"),
    ("OBJPRIM", "Trial Primary Objective"), ("OBJSEC", "Trial Secondary Objective"),
    ("SPONSOR", "Clinical Study Sponsor"), ("REGID", "Registry Identifier"),
    ("OUTMSPRI", "Primary Outcome Measure"), ("OUTMSSEC", "Secondary Outcome Measure"),
    ("FCNTRY", "Planned Country of Investigational Sites"), ("DCUTDTC", "Data Cutoff Date"),
    ("DCUTDESC", "Data Cutoff Description"), ("NARMS", "Planned Number of Arms"), ("STYPE", "Study Type"),
    ("SSTDTC", "Study Start Date"), ("SENDTC", "Study End Date"), ("ACTSUB", "Actual Number of Subjects"),
    ("HLTSUBJI", "Healthy Subject Indicator"), ("INTMODEL", "Intervention Model"),
    ("INTTYPE", "Intervention Type"), ("PCLAS", "Pharmacologic Class"),
    ("INDIC", "Trial Disease/Condition Indication"), ("TDIGRP", "Diagnosis Group"),
    ("TINDTP", "Trial Intent Type"), ("TRT", "Investigational Therapy or Treatment"),
    ("COMPTRT", "Comparative Treatment Name"), ("DOSE", "Dose per Administration"), ("DOSU", "Dose Units"),
    ("DOSFRQ", "Dosing Frequency"), ("ROUTE", "Route of Administration"), ("DOSFRM", "Dose Form"),
    ("PDSTIND", "Pediatric Study Indicator"), ("RDIND", "Rare Disease Indicator"),
    ("EXTTIND", "Extension Trial Indicator"),
)  # fmt: skip
"""TS parameters in output order; one without values is left out (a definition's `trial_summary` rows follow)."""

RECORD_DERIVED = {"SSTDTC": "study_start", "SENDTC": "study_end", "ACTSUB": "enrolled_subjects"}


def _ct(codelist: str, term: str, *, grpid: str | None = None) -> TsValue:
    """A TS value coded from the bundled CDISC CT; SpecError when the term is not in the codelist."""
    terms = cdisc_terms(codelist)
    if not terms:
        raise SpecError(f"CDISC codelist {codelist} is not bundled")
    code = terms.get(term)
    if code is None:
        raise SpecError(f"{term!r} is not a term of CDISC codelist {codelist}")
    return TsValue(val=term, valcd=code, vcdref=CDISC_CT, grpid=grpid)


def _registry(field: str, value: str) -> TsValue:
    codelist, terms = REGISTRY_TERMS[field]
    term = terms.get(value)
    return _ct(codelist, term) if term is not None else TsValue(val=value.replace("_", " "))


def _flag(value: bool | None) -> tuple[TsValue, ...]:
    return () if value is None else (_ct("NY", "Y" if value else "N"),)


def _coded(values: tuple[CodedValue, ...]) -> tuple[TsValue, ...]:
    return tuple(TsValue(val=v.value, valcd=v.code, vcdref=v.system, vcdver=v.version) for v in values)


def _text(value: object, null_flavor: str | None = None) -> tuple[TsValue, ...]:
    if value is None or value == "":
        return (TsValue(valnf=null_flavor),) if null_flavor else ()
    return (TsValue(val=" ".join(str(value).split())),)


def _investigational(definition: StudyDefinition) -> tuple[Intervention, ...]:
    """The interventions TS TRT lists (and its dose parameters): every one not a placebo, comparator or background
    product."""
    return tuple(i for i in definition.interventions if i.role in ("INVESTIGATIONAL", "CHALLENGE"))


def _treatment(intervention: Intervention) -> TsValue:
    """TRT: the substance its UNII codes (TSVAL the code's name, so TSVAL and TSVALCD pair one to one while the
    dose of each intervention sits in the DOSE row of the same TSGRPID), else the treatment as given."""
    unii = next((c for c in intervention.codes if c.system == "UNII"), None)
    if unii is None:
        return TsValue(val=intervention.sdtm_name, grpid=intervention.code)
    return TsValue(val=unii.value.upper(), valcd=unii.code, vcdref="UNII", grpid=intervention.code)


def _per_intervention(definition: StudyDefinition, attribute: str, codelist: str | None) -> tuple[TsValue, ...]:
    values = []
    for intervention in _investigational(definition):
        value = getattr(intervention, attribute)
        if value is None:
            continue
        if codelist is None:
            values.append(TsValue(val=format_number(value), grpid=intervention.code))
        else:
            values.append(_ct(codelist, value, grpid=intervention.code))
    return tuple(values)


def _registry_ids(definition: StudyDefinition) -> tuple[TsValue, ...]:
    found = tuple(
        TsValue(val=r.id, valcd=r.id, vcdref=PUBLIC_REGISTRIES[r.registry])
        for r in definition.study.registry_ids
        if r.registry in PUBLIC_REGISTRIES
    )
    return found or (TsValue(valnf=NULL_FLAVORS["registry_id"]),)


def _parameter_values(definition: StudyDefinition) -> dict[str, Callable[[], tuple[TsValue, ...]]]:
    """Values of each TS parameter from the definition, by TSPARMCD (computed in output order)."""
    facts, design, eligibility = definition.study, definition.design, definition.eligibility
    return {
        "ADAPT": lambda: _flag(design.adaptive),
        "ADDON": lambda: _flag(design.add_on),
        "CURTRT": lambda: _coded(design.background_treatments),
        "AGEMAX": lambda: _text(eligibility.maximum_age, NULL_FLAVORS["maximum_age"]),
        "AGEMIN": lambda: _text(eligibility.minimum_age, NULL_FLAVORS["minimum_age"]),
        "LENGTH": lambda: _text(design.trial_length),
        "PLANSUB": lambda: _text(facts.enrollment_target),
        "RANDOM": lambda: (_registry("allocation", design.allocation),),
        "SEXPOP": lambda: (_registry("sex", eligibility.sex),),
        "STOPRULE": lambda: _text(design.stop_rules, NULL_FLAVORS["stop_rules"]),
        "TBLIND": lambda: (_registry("masking", design.masking),),
        "TCNTRL": lambda: () if design.control_type is None else (_registry("control_type", design.control_type),),
        "TITLE": lambda: _text(facts.official_title),
        "TPHASE": lambda: (
            (_registry("phase", facts.phase),) if facts.phase else (TsValue(valnf=NULL_FLAVORS["phase"]),)
        ),
        "TTYPE": lambda: tuple(_ct("TTYPE", t) for t in design.trial_types),
        "OBJPRIM": lambda: _text(design.primary_objective),
        "OBJSEC": lambda: tuple(v for o in design.secondary_objectives for v in _text(o)),
        "SPONSOR": lambda: (
            TsValue(
                val=facts.sponsor_name,
                valcd=facts.sponsor_duns,
                vcdref="D-U-N-S NUMBER" if facts.sponsor_duns else None,
            ),
        ),
        "REGID": lambda: _registry_ids(definition),
        "OUTMSPRI": lambda: tuple(TsValue(val=o.measure) for o in definition.outcomes if o.kind == "PRIMARY"),
        "OUTMSSEC": lambda: tuple(TsValue(val=o.measure) for o in definition.outcomes if o.kind == "SECONDARY"),
        "FCNTRY": lambda: tuple(
            TsValue(val=c, valcd=c, vcdref="ISO 3166") for c in dict.fromkeys(s.country for s in definition.sites)
        ),
        "DCUTDTC": lambda: _text(facts.data_cutoff_date, NULL_FLAVORS["data_cutoff"]),
        "DCUTDESC": lambda: _text(facts.data_cutoff_description, NULL_FLAVORS["data_cutoff"]),
        "NARMS": lambda: _text(len(definition.arms)),
        "STYPE": lambda: (_registry("study_type", facts.type),),
        "HLTSUBJI": lambda: _flag(eligibility.healthy_volunteers),
        "INTMODEL": lambda: (_registry("intervention_model", design.intervention_model),),
        "INTTYPE": lambda: tuple(
            _registry("intervention_type", t) for t in dict.fromkeys(i.type for i in definition.interventions)
        ),
        "PCLAS": lambda: _coded(design.pharmacologic_class),
        "INDIC": lambda: _conditions(definition),
        "TDIGRP": lambda: _conditions(definition),
        "TINDTP": lambda: (_registry("primary_purpose", design.primary_purpose),),
        "TRT": lambda: tuple(_treatment(i) for i in _investigational(definition)),
        "COMPTRT": lambda: tuple(  # its name: TSVAL PLACEBO is TCNTRL's coded term, a second reading breaks 1:1
            TsValue(val=i.name, grpid=i.code) for i in definition.interventions if i.role in COMPARATOR_ROLES
        ),
        "DOSE": lambda: _per_intervention(definition, "dose", None),
        "DOSU": lambda: _per_intervention(definition, "dose_unit", "UNIT"),
        "DOSFRQ": lambda: _per_intervention(definition, "frequency", "FREQ"),
        "ROUTE": lambda: _per_intervention(definition, "route", "ROUTE"),
        "DOSFRM": lambda: _per_intervention(definition, "dose_form", "FRM"),
        "PDSTIND": lambda: _flag(design.pediatric),
        "RDIND": lambda: _flag(design.rare_disease),
        "EXTTIND": lambda: _flag(design.extension_trial),
    }


def _conditions(definition: StudyDefinition) -> tuple[TsValue, ...]:
    return tuple(
        TsValue(val=c.name, valcd=c.snomed, vcdref="SNOMED" if c.snomed else None) for c in definition.study.conditions
    )


def trial_summary_parameters(definition: StudyDefinition) -> tuple[TsParameter, ...]:
    """TS parameters in output order: definition values, record-derived ones as `derive`, the standard versions,
    then the definition's `trial_summary` rows for parameters not already given."""
    values = _parameter_values(definition)
    parameters = []
    for parmcd, parm in TS_PARAMETERS:
        if parmcd in RECORD_DERIVED:
            parameters.append(TsParameter(parmcd, parm, derive=RECORD_DERIVED[parmcd]))
            continue
        found = values[parmcd]()
        if found:
            parameters.append(TsParameter(parmcd, parm, found))
    parameters += [TsParameter(parmcd, parm, (TsValue(val=value),)) for parmcd, parm, value in STANDARD_VERSIONS]
    listed = {p.parmcd for p in parameters}
    parameters += [
        TsParameter(p.parmcd, p.parm, _coded(p.values)) for p in definition.trial_summary if p.parmcd not in listed
    ]
    return tuple(parameters)


def _element(definition: StudyDefinition, code: str) -> Element:
    element = definition.element(code)
    if element is None:  # the loader checks every arm's elements; a hand-built definition may not be checked
        raise SpecError(f"{definition.source}: element {code} of an arm is not in elements")
    start = element.starts_at
    treatment = None
    if start.intervention is not None:
        intervention = definition.intervention(start.intervention)
        if intervention is None:
            raise SpecError(f"{definition.source}: element {code} starts at intervention {start.intervention}, "
                            f"which is not in interventions")  # fmt: skip
        treatment = intervention.treatment
    return Element(
        etcd=element.code, element=element.name, testrl=element.start_rule, teenrl=element.end_rule,
        tedur=element.duration, epoch=element.epoch, event=start.event, treatment=treatment,
        visit=float(start.visit) if start.visit is not None else None,
    )  # fmt: skip


def trial_design(definition: StudyDefinition) -> TrialDesign:
    """TE, TA and TS facts of `definition` in the builders' form; SpecError for an element an arm names that the
    definition lacks (the loader's cross-reference checks prevent it for a loaded file)."""
    elements = tuple(_element(definition, e.code) for e in definition.elements)
    for arm in definition.arms:
        for code in arm.elements:
            _element(definition, code)
    return TrialDesign(
        elements=elements,
        arms=MappingProxyType({arm.code: tuple(arm.elements) for arm in definition.arms}),
        ts=trial_summary_parameters(definition),
    )

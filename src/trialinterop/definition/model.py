"""The typed study definition: one frozen tree per trial, built by `definition.load` from a checked file."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class CodedValue:
    value: str
    code: str | None = None
    system: str | None = None
    version: str | None = None


@dataclass(frozen=True, slots=True)
class RegistryId:
    registry: str
    id: str


@dataclass(frozen=True, slots=True)
class Condition:
    name: str
    snomed: str | None = None
    meddra: str | None = None


@dataclass(frozen=True, slots=True)
class StudyFacts:
    id: str
    registry_ids: tuple[RegistryId, ...]
    brief_title: str
    official_title: str
    sponsor_name: str
    status: str
    type: str
    enrollment_target: int
    conditions: tuple[Condition, ...]
    brief_summary: str | None = None
    sponsor_duns: str | None = None
    phase: str | None = None
    start_date: str | None = None
    data_cutoff_date: str | None = None
    data_cutoff_description: str | None = None

    def registry_id(self, registry: str) -> str | None:
        return next((r.id for r in self.registry_ids if r.registry == registry), None)


@dataclass(frozen=True, slots=True)
class Design:
    allocation: str
    masking: str
    intervention_model: str
    primary_purpose: str
    masked_roles: tuple[str, ...] = ()
    control_type: str | None = None
    trial_types: tuple[str, ...] = ()
    trial_length: str | None = None
    adaptive: bool | None = None
    add_on: bool | None = None
    background_treatments: tuple[CodedValue, ...] = ()
    pharmacologic_class: tuple[CodedValue, ...] = ()
    primary_objective: str | None = None
    secondary_objectives: tuple[str, ...] = ()
    stop_rules: str | None = None
    pediatric: bool | None = None
    rare_disease: bool | None = None
    extension_trial: bool | None = None

    @property
    def randomised(self) -> bool:
        return self.allocation == "RANDOMIZED"


@dataclass(frozen=True, slots=True)
class Arm:
    code: str
    name: str
    type: str
    elements: tuple[str, ...]
    interventions: tuple[str, ...]
    description: str | None = None


@dataclass(frozen=True, slots=True)
class ElementStart:
    """What opens an element in SE: consent, the first/last dose of an intervention (or the day after), a visit."""

    event: str
    intervention: str | None = None
    visit: float | None = None


@dataclass(frozen=True, slots=True)
class Element:
    code: str
    name: str
    epoch: str
    start_rule: str
    starts_at: ElementStart
    end_rule: str | None = None
    duration: str | None = None


@dataclass(frozen=True, slots=True)
class PlannedVisit:
    number: float
    name: str
    start_rule: str
    planned_day: int | None = None
    window_before: int | None = None
    window_after: int | None = None
    end_rule: str | None = None
    arms: tuple[str, ...] = ()  # empty: every arm
    assessments: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VisitSchedule:
    planned: tuple[PlannedVisit, ...]
    unscheduled_allowed: bool = True
    unscheduled_prefix: str = "UNSCHEDULED"

    def visit(self, number: float) -> PlannedVisit | None:
        return next((v for v in self.planned if v.number == number), None)


@dataclass(frozen=True, slots=True)
class SubjectCondition:
    """A subject attribute must take one of `values` (e.g. severity_group in [SEVERE])."""

    attribute: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Intervention:
    code: str
    name: str
    type: str
    treatment: str
    role: str = "INVESTIGATIONAL"
    description: str | None = None
    dose: float | None = None
    dose_unit: str | None = None
    dose_form: str | None = None
    route: str | None = None
    frequency: str | None = None
    doses: int | None = None
    codes: tuple[CodedValue, ...] = ()
    population: str | None = None
    given_when: tuple[SubjectCondition, ...] = ()
    preceded_by: str | None = None
    preceded_by_snomed: str | None = None
    extrt: str | None = None

    @property
    def sdtm_name(self) -> str:
        """EXTRT: `extrt` when given, else the treatment as collected."""
        return self.extrt or self.treatment


@dataclass(frozen=True, slots=True)
class Site:
    id: str
    name: str
    country: str
    city: str | None = None
    state: str | None = None
    utc_offset: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class SubjectAttribute:
    name: str
    label: str
    values: tuple[str, ...]
    qnam: str | None = None


@dataclass(frozen=True, slots=True)
class Subjects:
    id_pattern: str
    usubjid: str = "{study}-{subject}"
    attributes: tuple[SubjectAttribute, ...] = ()


@dataclass(frozen=True, slots=True)
class Criterion:
    id: str
    category: str
    text: str
    short: str | None = None


@dataclass(frozen=True, slots=True)
class Eligibility:
    sex: str
    criteria: tuple[Criterion, ...]
    minimum_age: str | None = None
    maximum_age: str | None = None
    healthy_volunteers: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: str
    measure: str
    time_frame: str
    description: str | None = None
    instrument: str | None = None


@dataclass(frozen=True, slots=True)
class FindingTest:
    testcd: str
    test: str
    result_type: str
    subcategory: str | None = None
    unit: str | None = None
    standard_unit: str | None = None
    conversion: float | None = None
    offset: float | None = None  # standard = original * conversion + offset (an affine conversion such as F -> C)
    decimals: int | None = None
    range: tuple[float | None, float | None] | None = None
    normal_range: tuple[float | None, float | None] | None = None
    codelist: str | None = None
    reference: str | None = None
    total_of: tuple[str, ...] = ()
    codes: tuple[CodedValue, ...] = ()

    def code_in(self, system: str) -> CodedValue | None:
        return next((c for c in self.codes if c.system == system), None)


@dataclass(frozen=True, slots=True)
class Timepoint:
    """A planned time point of an instrument's records: --TPT (name), --TPTNUM, --ELTM, --TPTREF."""

    name: str
    number: float
    elapsed: str | None = None
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class Instrument:
    code: str
    name: str
    domain: str
    tests: tuple[FindingTest, ...]
    category: str | None = None
    subcategory: str | None = None
    testcd_codelist: str | None = None
    method: str | None = None
    position: str | None = None
    specimen: str | None = None
    fhir_category: str | None = None
    timepoints: tuple[Timepoint, ...] = ()

    def test(self, testcd: str) -> FindingTest | None:
        return next((t for t in self.tests if t.testcd == testcd), None)


@dataclass(frozen=True, slots=True)
class SponsorTerm:
    value: str
    decode: str | None = None
    code: str | None = None


@dataclass(frozen=True, slots=True)
class SponsorCodelist:
    """A codelist the definition declares (e.g. the scores of a coded result)."""

    name: str
    title: str
    terms: tuple[SponsorTerm, ...]
    extensible: bool = False


@dataclass(frozen=True, slots=True)
class TrialSummaryParameter:
    parmcd: str
    parm: str
    values: tuple[CodedValue, ...]


@dataclass(frozen=True)
class StudyDefinition:
    """Everything specific to one trial (docs/study-definition.md); `source` is the file it was read from."""

    study: StudyFacts
    design: Design
    arms: tuple[Arm, ...]
    epochs: tuple[str, ...]
    elements: tuple[Element, ...]
    visits: VisitSchedule
    interventions: tuple[Intervention, ...]
    sites: tuple[Site, ...]
    subjects: Subjects
    eligibility: Eligibility
    outcomes: tuple[Outcome, ...]
    instruments: tuple[Instrument, ...]
    code_system_base: str
    trial_summary: tuple[TrialSummaryParameter, ...] = ()
    codelists: tuple[SponsorCodelist, ...] = ()
    source: str = field(default="", compare=False)

    def arm(self, code: str) -> Arm | None:
        return next((a for a in self.arms if a.code == code), None)

    def element(self, code: str) -> Element | None:
        return next((e for e in self.elements if e.code == code), None)

    def intervention(self, code: str) -> Intervention | None:
        return next((i for i in self.interventions if i.code == code), None)

    def intervention_for_treatment(self, treatment: str) -> Intervention | None:
        return next((i for i in self.interventions if i.treatment == treatment), None)

    def site(self, site_id: str) -> Site | None:
        return next((s for s in self.sites if s.id == site_id), None)

    def instrument(self, code: str) -> Instrument | None:
        return next((i for i in self.instruments if i.code == code), None)

    def instruments_in(self, domain: str) -> tuple[Instrument, ...]:
        return tuple(i for i in self.instruments if i.domain == domain)

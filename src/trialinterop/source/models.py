"""Typed internal records of one trial: the single source both SDTM and FHIR are built from.

Generic for any trial: what is specific to one (arms, sites, treatments, visits, findings tests, subject attributes)
is data of its study definition (`definition.model.StudyDefinition`), which `TrialRecords` carries. Field names
equal the column names of the records folder (docs/records.md; the schema is generated from the definition by
`source.schema.records_schema`). Every row carries an `Origin` (file and 1-based row, header = row 1) so any later
problem can point back at the input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trialinterop.definition.model import StudyDefinition

SERIOUSNESS_CRITERIA: tuple[str, ...] = (
    "death", "life_threatening", "hospitalization", "disability", "congenital_anomaly", "medically_important",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Origin:
    file: str
    row: int

    def __str__(self) -> str:
        return f"{self.file}:{self.row}"


NO_ORIGIN = Origin("", 0)


@dataclass(frozen=True, slots=True)
class Subject:
    """One screened subject. `arm`/`actual_arm` are arm codes of the definition (None: not assigned / not treated,
    or, in a one-arm study, the arm itself: see `sdtm.domains.dm`); `attributes` holds the values of the
    definition's subject attributes as (name, value) pairs in definition order, absent ones left out."""

    subject_id: str
    site_id: str
    sex: str
    country: str
    consent_date: str | None  # None when the source records no informed consent date
    enrolled: str
    birth_date: str | None = None
    age: int | None = None
    race: tuple[str, ...] = ()
    ethnicity: str | None = None
    arm: str | None = None
    actual_arm: str | None = None
    death_date: str | None = None
    attributes: tuple[tuple[str, str], ...] = ()
    collection_date: str | None = None
    origin: Origin = field(default=NO_ORIGIN, compare=False)

    def attribute(self, name: str) -> str | None:
        return next((value for key, value in self.attributes if key == name), None)


@dataclass(frozen=True, slots=True)
class Exposure:
    subject_id: str
    treatment: str
    start: str
    dose: float | None
    dose_unit: str | None
    route: str
    end: str | None = None
    dose_form: str | None = None
    frequency: str | None = None
    lot: str | None = None
    preceded_by_date: str | None = None
    visit_num: float | None = None
    origin: Origin = field(default=NO_ORIGIN, compare=False)


@dataclass(frozen=True, slots=True)
class AdverseEvent:
    """One AE; at a data cut it may be incomplete: start, serious, severity, relationship, action and outcome are
    None when not (yet) collected (SDTMIG 3.4: Expected or Permissible) and are never filled in downstream."""

    subject_id: str
    ae_id: int
    term: str
    start: str | None = None
    serious: str | None = None
    severity: str | None = None
    relationship: str | None = None
    action: str | None = None
    outcome: str | None = None
    end: str | None = None
    llt: str | None = None
    llt_code: int | None = None
    pt: str | None = None
    pt_code: int | None = None
    hlt: str | None = None
    hlt_code: int | None = None
    hlgt: str | None = None
    hlgt_code: int | None = None
    soc: str | None = None
    soc_code: int | None = None
    meddra_version: str | None = None
    death: str | None = None
    life_threatening: str | None = None
    hospitalization: str | None = None
    disability: str | None = None
    congenital_anomaly: str | None = None
    medically_important: str | None = None
    serious_specify: str | None = None
    ctcae_grade: int | None = None
    collection_date: str | None = None
    sponsor_id: str | None = None
    cancer: str | None = None
    overdose: str | None = None
    origin: Origin = field(default=NO_ORIGIN, compare=False)

    @property
    def is_coded(self) -> bool:
        return self.pt is not None


@dataclass(frozen=True, slots=True)
class Finding:
    """One result of one test of a findings instrument of the definition (long form: one row per test and time).

    `result` is the collected text (a number as written); `status` is NOT DONE (then `result` is empty and
    `reason_not_done` may say why). `reference_result` is a reference value collected with the result (e.g. the
    predicted FVC: --ORREF); `normal_low`/`normal_high` override the test's normal range for this record (a lab's
    own range). `range_indicator` is a reference range indicator the source stated (--NRIND, e.g. a FHIR
    interpretation); without one the builder derives --NRIND from the range. A total the definition defines
    (`total_of`) may be left out: the builder derives it. `derived` = Y marks a record the sponsor derived (--DRVFL);
    such a record may have no `result` (SDTMIG leaves --ORRES null on it) and its `standard_result` instead."""

    subject_id: str
    instrument: str
    testcd: str
    visit_num: float
    timepoint: str | None = None
    datetime: str | None = None
    result: str | None = None
    unit: str | None = None
    status: str | None = None
    reason_not_done: str | None = None
    position: str | None = None
    reference_result: str | None = None
    normal_low: float | None = None
    normal_high: float | None = None
    location: str | None = None
    range_indicator: str | None = None
    derived: str | None = None
    standard_result: str | None = None
    origin: Origin = field(default=NO_ORIGIN, compare=False)


@dataclass(frozen=True, slots=True)
class Visit:
    subject_id: str
    visit_num: float
    occurred: str
    visit_date: str | None = None
    reason_not_done: str | None = None
    unplanned_description: str | None = None
    origin: Origin = field(default=NO_ORIGIN, compare=False)


@dataclass(frozen=True, slots=True)
class Disposition:
    subject_id: str
    event: str
    term: str
    event_date: str
    last_contact_date: str | None = None
    visit_num: float | None = None
    collection_date: str | None = None
    sponsor_id: str | None = None
    category: str | None = None  # DSCAT: None = DISPOSITION EVENT, or OTHER EVENT
    origin: Origin = field(default=NO_ORIGIN, compare=False)

    @property
    def is_disposition(self) -> bool:
        """A disposition event (completion or reason for leaving), not an OTHER EVENT record."""
        return self.category in (None, "", "DISPOSITION EVENT")


@dataclass(frozen=True, slots=True)
class UnplannedElement:
    """A period outside the subject's planned elements (SE ETCD UNPLAN, SEUPDES)."""

    subject_id: str
    start: str
    end: str | None = None
    description: str | None = None
    epoch: str | None = None
    origin: Origin = field(default=NO_ORIGIN, compare=False)


@dataclass(frozen=True, slots=True)
class ConcomitantMedication:
    subject_id: str
    cm_id: int
    term: str
    decoded: str | None = None
    atc_class: str | None = None
    indication: str | None = None
    dose: float | None = None
    dose_unit: str | None = None
    route: str | None = None
    frequency: str | None = None
    start: str | None = None
    end: str | None = None
    ongoing: str | None = None
    visit_num: float | None = None
    collection_date: str | None = None
    sponsor_id: str | None = None
    origin: Origin = field(default=NO_ORIGIN, compare=False)


@dataclass(frozen=True, slots=True)
class MedicalHistoryEvent:
    subject_id: str
    mh_id: int
    term: str
    decoded: str | None = None
    body_system: str | None = None
    category: str | None = None
    start: str | None = None
    end: str | None = None
    ongoing: str | None = None
    visit_num: float | None = None
    collection_date: str | None = None
    sponsor_id: str | None = None
    llt: str | None = None
    hlt: str | None = None
    hlgt: str | None = None
    severity: str | None = None
    origin: Origin = field(default=NO_ORIGIN, compare=False)


@dataclass(frozen=True, slots=True)
class Procedure:
    """One procedure a subject underwent (SDTM PR), e.g. read from a FHIR Procedure; `pr_id` numbers it within the
    subject (PRSPID)."""

    subject_id: str
    pr_id: int
    term: str
    decoded: str | None = None
    indication: str | None = None
    location: str | None = None
    start: str | None = None
    end: str | None = None
    visit_num: float | None = None
    origin: Origin = field(default=NO_ORIGIN, compare=False)


@dataclass(frozen=True, slots=True)
class SupplementalValue:
    """A value the input gave for a record that no variable of its domain holds: a SUPP-- qualifier of record
    number `record` (AESPID ...) of domain `rdomain` (QNAM and QVAL; QLABEL and QORIG are the value-level
    metadata's)."""

    rdomain: str
    subject_id: str
    record: int
    qnam: str
    qval: str
    origin: Origin = field(default=NO_ORIGIN, compare=False)


@dataclass(frozen=True, slots=True)
class EligibilityException:
    subject_id: str
    criterion_id: str
    result: str
    assessment_date: str | None = None
    origin: Origin = field(default=NO_ORIGIN, compare=False)


# --- study (registry record + protocol schedule) ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Arm:
    code: str
    label: str
    type: str
    description: str
    interventions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Intervention:
    code: str
    name: str
    type: str
    description: str
    treatment: str
    dose: float | None = None
    dose_unit: str | None = None
    route: str | None = None
    dose_form: str | None = None
    frequency: str | None = None
    population: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: str
    measure: str
    time_frame: str
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Criterion:
    id: str
    category: str
    text: str
    short: str | None = None


@dataclass(frozen=True, slots=True)
class Site:
    site_id: str
    name: str
    city: str
    country: str
    country_name: str | None = None
    state: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class PlannedVisit:
    visit_num: float
    name: str
    planned_day: int | None
    start_rule: str
    end_rule: str | None = None
    window_days: int | None = None
    assessments: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Condition:
    name: str
    snomed: str | None = None
    meddra: str | None = None


@dataclass(frozen=True, slots=True)
class Study:
    study_id: str
    nct_id: str
    brief_title: str
    official_title: str
    sponsor_name: str
    overall_status: str
    study_type: str
    allocation: str
    intervention_model: str
    masking: str
    primary_purpose: str
    enrollment_target: int
    conditions: tuple[Condition, ...]
    arms: tuple[Arm, ...]
    interventions: tuple[Intervention, ...]
    outcomes: tuple[Outcome, ...]
    criteria: tuple[Criterion, ...]
    sites: tuple[Site, ...]
    visits: tuple[PlannedVisit, ...]
    brief_summary: str | None = None
    sponsor_duns: str | None = None
    phase: str | None = None
    sex: str = "ALL"
    minimum_age: str | None = None
    maximum_age: str | None = None
    healthy_volunteers: bool = False
    start_date: str | None = None
    data_cutoff_date: str | None = None
    data_cutoff_description: str | None = None
    unscheduled_prefix: str = "UNSCHEDULED"  # VISIT of an unplanned visit: prefix + its VISITNUM

    def site(self, site_id: str) -> Site | None:
        return next((s for s in self.sites if s.site_id == site_id), None)

    def planned_visit(self, visit_num: float) -> PlannedVisit | None:
        return next((v for v in self.visits if v.visit_num == visit_num), None)

    def criterion(self, criterion_id: str) -> Criterion | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)

    def intervention_for(self, treatment: str) -> Intervention | None:
        return next((i for i in self.interventions if i.treatment == treatment), None)


@dataclass(frozen=True)
class TrialRecords:
    """Everything one trial has collected, with the definition it was collected under; tuples keep input order
    (sorted by the reader for determinism). `study` is the definition's registry record, made once."""

    definition: StudyDefinition
    subjects: tuple[Subject, ...]
    exposures: tuple[Exposure, ...] = ()
    adverse_events: tuple[AdverseEvent, ...] = ()
    findings: tuple[Finding, ...] = ()
    visits: tuple[Visit, ...] = ()
    dispositions: tuple[Disposition, ...] = ()
    eligibility: tuple[EligibilityException, ...] = ()
    medications: tuple[ConcomitantMedication, ...] = ()
    medical_history: tuple[MedicalHistoryEvent, ...] = ()
    procedures: tuple[Procedure, ...] = ()
    supplemental: tuple[SupplementalValue, ...] = ()
    unplanned_elements: tuple[UnplannedElement, ...] = ()
    study: Study = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        from trialinterop.definition.registry_record import study_record  # the definition package imports this one

        object.__setattr__(self, "study", study_record(self.definition))

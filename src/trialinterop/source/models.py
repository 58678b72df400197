"""Typed internal records of one trial: the single source both SDTM and FHIR are built from.

Field names equal the column names of the records folder (see records.schema.json). Every row carries an `Origin`
(file and 1-based row, header = row 1) so any later problem can point back at the input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MRSS_AREAS: tuple[str, ...] = (
    "fingers_right", "fingers_left", "hands_right", "hands_left", "forearms_right", "forearms_left",
    "upper_arms_right", "upper_arms_left", "face", "anterior_chest", "abdomen", "thighs_right", "thighs_left",
    "lower_legs_right", "lower_legs_left", "feet_right", "feet_left",
)  # fmt: skip
"""The 17 mRSS body areas in protocol order; QSTESTCD MRSS0101..MRSS0117 follow this order."""

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
    subject_id: str
    site_id: str
    sex: str
    country: str
    consent_date: str
    enrolled: str
    birth_date: str | None = None
    age: int | None = None
    race: tuple[str, ...] = ()
    ethnicity: str | None = None
    severity_group: str | None = None
    methotrexate: str | None = None
    death_date: str | None = None
    origin: Origin = field(default=NO_ORIGIN, compare=False)


@dataclass(frozen=True, slots=True)
class Exposure:
    subject_id: str
    treatment: str
    start: str
    dose: float
    dose_unit: str
    route: str
    end: str | None = None
    dose_form: str | None = None
    frequency: str | None = None
    lot: str | None = None
    apheresis_date: str | None = None
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
    origin: Origin = field(default=NO_ORIGIN, compare=False)

    @property
    def is_coded(self) -> bool:
        return self.pt is not None


@dataclass(frozen=True, slots=True)
class SkinScore:
    """One mRSS assessment; `scores` holds the 17 area scores in MRSS_AREAS order (None = not assessed)."""

    subject_id: str
    visit_num: float
    assessment_date: str | None = None
    scores: tuple[int | None, ...] = (None,) * 17
    total: int | None = None
    not_done_reason: str | None = None
    origin: Origin = field(default=NO_ORIGIN, compare=False)

    @property
    def derived_total(self) -> int | None:
        """Sum of the 17 areas when all are present, else None."""
        if any(s is None for s in self.scores):
            return None
        return sum(self.scores)  # type: ignore[arg-type]  # no None: checked above


@dataclass(frozen=True, slots=True)
class Spirometry:
    subject_id: str
    visit_num: float
    test_datetime: str | None = None
    fvc_l: float | None = None
    fvc_predicted_l: float | None = None
    fvc_percent_predicted: float | None = None
    position: str | None = None
    not_done_reason: str | None = None
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
    """Everything one trial has collected; tuples keep input order (sorted by the reader for determinism)."""

    study: Study
    subjects: tuple[Subject, ...]
    exposures: tuple[Exposure, ...] = ()
    adverse_events: tuple[AdverseEvent, ...] = ()
    skin_scores: tuple[SkinScore, ...] = ()
    spirometry: tuple[Spirometry, ...] = ()
    visits: tuple[Visit, ...] = ()
    dispositions: tuple[Disposition, ...] = ()
    eligibility: tuple[EligibilityException, ...] = ()

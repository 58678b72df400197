"""Code systems, codes and identifier systems used in the FHIR output, with where each code comes from.

Sources: FHIR R4/R5 core code systems (terminology.hl7.org, hl7.org/fhir), the HL7 Adverse Event Clinical Research
IG 1.0.1 and its R4 backport (seriousness criteria, outcomes, causality and grades as NCI Thesaurus codes), LOINC
(age, sex, consent), SNOMED CT (condition), CDC race & ethnicity (US Core extensions), UCUM units. CDISC terms keep
their NCI codes from `mappings/codelists.csv` (via `ct.Terminology`) so FHIR and SDTM share one terminology. Everything
trial-specific (sponsor base URI, test codes, site offsets) comes from the study definition, never from here. The
code equivalences `fhir-to-sdtm` also reads back (administrative gender, US Core race and ethnicity, AE severity,
seriousness criteria and outcome) are data, `mappings/fhir-terms.csv`, each row with its source.
"""

from __future__ import annotations

import csv
import functools

from trialinterop.ct import NCI_SYSTEM
from trialinterop.resources import mappings_dir


@functools.cache
def _term_rows() -> tuple[dict[str, str], ...]:
    with (mappings_dir() / "fhir-terms.csv").open(newline="", encoding="utf-8") as handle:
        return tuple(csv.DictReader(handle))


def _terms(table: str) -> dict[str, tuple[str, str, str]]:
    """key -> (system, code, display) of one table of `mappings/fhir-terms.csv` (each row names its source)."""
    return {row["key"]: (row["system"], row["code"], row["display"]) for row in _term_rows() if row["table"] == table}


LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
MEDDRA = "http://terminology.hl7.org/CodeSystem/mdr"
NCI = NCI_SYSTEM
CTGOV = "https://clinicaltrials.gov"
CDC_RACE = "urn:oid:2.16.840.1.113883.6.238"
NULL_FLAVOR = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"
ISO_COUNTRY = "urn:iso:std:iso:3166"


def identifier_system(base: str, study_id: str, kind: str) -> str:
    """Sponsor identifier system for one kind of record: `{base}/sid/{study id in lower case}-{kind}` (base: the
    definition's `code_systems.base_uri`)."""
    return f"{base}/sid/{study_id.lower()}-{kind}"


def sponsor_code_system(base: str, study_id: str, name: str) -> str:
    """Sponsor CodeSystem `{base}/CodeSystem/{study id in lower case}-{name}` (e.g. -qstestcd, -criteria, -visit)."""
    return f"{base}/CodeSystem/{study_id.lower()}-{name}"


DEFINITION_SYSTEMS: dict[str, str] = {
    "CDISC CT": NCI,
    "LOINC": LOINC,
    "SNOMED": SNOMED,
    "UNII": "http://fdasis.nlm.nih.gov",
    "MED-RT": "http://va.gov/terminology/medrt",
    "RXNORM": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "ATC": "http://www.whocc.no/atc",
    "MEDDRA": MEDDRA,
    "ISO 3166": ISO_COUNTRY,
}
"""System name of a coded value in a study definition -> FHIR system URI (HL7 terminology / FHIR core names).
'SPONSOR' has no fixed URI: the study's own code system is used for it."""


# --- ResearchStudy -------------------------------------------------------------------------------------------------
R4_STUDY_STATUS = {
    "NOT_YET_RECRUITING": "approved",
    "RECRUITING": "active",
    "ENROLLING_BY_INVITATION": "active",
    "ACTIVE_NOT_RECRUITING": "closed-to-accrual",
    "SUSPENDED": "temporarily-closed-to-accrual",
    "TERMINATED": "administratively-completed",
    "COMPLETED": "completed",
    "WITHDRAWN": "withdrawn",
}
R5_STUDY_STATE_SYSTEM = "http://hl7.org/fhir/research-study-status"
R5_STUDY_STATE = {
    "NOT_YET_RECRUITING": "not-yet-recruiting",
    "RECRUITING": "recruiting",
    "ENROLLING_BY_INVITATION": "enrolling-by-invitation",
    "ACTIVE_NOT_RECRUITING": "active-but-not-recruiting",
    "SUSPENDED": "temporarily-closed-to-accrual",
    "TERMINATED": "terminated",
    "COMPLETED": "completed",
    "WITHDRAWN": "withdrawn",
}
PHASE_SYSTEM = "http://terminology.hl7.org/CodeSystem/research-study-phase"
PHASE = {
    "NA": ("n-a", "N/A"),
    "EARLY_PHASE1": ("early-phase-1", "Early Phase 1"),
    "PHASE1": ("phase-1", "Phase 1"),
    "PHASE1_PHASE2": ("phase-1-phase-2", "Phase 1/Phase 2"),
    "PHASE2": ("phase-2", "Phase 2"),
    "PHASE2_PHASE3": ("phase-2-phase-3", "Phase 2/Phase 3"),
    "PHASE3": ("phase-3", "Phase 3"),
    "PHASE4": ("phase-4", "Phase 4"),
}
PURPOSE_SYSTEM = "http://terminology.hl7.org/CodeSystem/research-study-prim-purp-type"
PURPOSE = {
    "TREATMENT": "treatment",
    "PREVENTION": "prevention",
    "DIAGNOSTIC": "diagnostic",
    "SUPPORTIVE_CARE": "supportive-care",
    "SCREENING": "screening",
    "HEALTH_SERVICES_RESEARCH": "health-services-research",
    "BASIC_SCIENCE": "basic-science",
}
OBJECTIVE_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/research-study-objective-type"
OBJECTIVE_TYPE = {"PRIMARY": "primary", "SECONDARY": "secondary", "OTHER": "exploratory"}
PARTY_ROLE_SYSTEM = "http://hl7.org/fhir/research-study-party-role"
TARGET_NUMBER_EXTENSION = "http://hl7.org/fhir/5.0/StructureDefinition/extension-ResearchStudy.recruitment.targetNumber"
"""R5 element carried in R4 through the official cross-version extension (R4 has no target enrolment)."""

ARM_TYPE_SYSTEM = "http://hl7.org/fhir/research-study-arm-type"
ARM_TYPE = {
    "EXPERIMENTAL": ("experimental", "Experimental"),
    "ACTIVE_COMPARATOR": ("active-comparator", "Active Comparator"),
    "PLACEBO_COMPARATOR": ("placebo-comparator", "Placebo Comparator"),
    "SHAM_COMPARATOR": ("sham-comparator", "Sham Comparator"),
    "NO_INTERVENTION": ("no-intervention", "No Intervention"),
    "OTHER": ("other-arm-type", "Other Arm Type"),
}
"""Definition arm type (ClinicalTrials.gov) -> R5 research-study-arm-type (R5 comparisonGroup.type, extensible; used
in R4 arm.type too, whose binding is an example)."""
STUDY_DESIGN_SYSTEM = "http://hl7.org/fhir/study-design"
"""R5 core CodeSystem study-design (SEVCO codes), bound (preferred) to R5 ResearchStudy.studyDesign; checked against
hl7.fhir.r5.core 5.0.0. terminology.hl7.org has no study-design CodeSystem."""
STUDY_TYPE_DESIGN = {
    "INTERVENTIONAL": ("SEVCO:01001", "Interventional research"),
    "OBSERVATIONAL": ("SEVCO:01002", "Observational research"),
}
ALLOCATION_DESIGN = {
    "RANDOMIZED": ("SEVCO:01003", "randomized assignment"),
    "NON_RANDOMIZED": ("SEVCO:01005", "Non-randomized assignment"),
}
MODEL_DESIGN = {
    "PARALLEL": ("SEVCO:01011", "Parallel cohort design"),
    "CROSSOVER": ("SEVCO:01012", "Crossover cohort design"),
    "SINGLE_GROUP": ("SEVCO:01016", "Uncontrolled cohort design"),
}
MASKED_ROLE_DESIGN = {
    "PARTICIPANT": ("SEVCO:01060", "Blinding of study participants"),
    "CARE_PROVIDER": ("SEVCO:01061", "Blinding of intervention providers"),
    "OUTCOMES_ASSESSOR": ("SEVCO:01062", "Blinding of outcome assessors"),
}
"""Masked roles without a SEVCO code (INVESTIGATOR) keep their text only."""

# --- eligibility Group -----------------------------------------------------------------------------------------------
LOINC_SEX = ("46098-0", "Sex")
ADMINISTRATIVE_GENDER_SYSTEM = "http://hl7.org/fhir/administrative-gender"
ELIGIBLE_SEX = {"FEMALE": ("female", "Female"), "MALE": ("male", "Male")}
"""Definition eligibility sex -> administrative gender; ALL gives no sex characteristic."""

# --- ResearchSubject -----------------------------------------------------------------------------------------------
SUBJECT_STATE_SYSTEM = "http://terminology.hl7.org/CodeSystem/research-subject-state"
SUBJECT_STATE_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/research-subject-state-type"

# --- Patient -------------------------------------------------------------------------------------------------------
GENDER = {key: code for key, (_, code, _) in _terms("gender").items()}
"""CDISC SEX -> administrative gender."""
US_CORE_RACE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
US_CORE_ETHNICITY = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"
RACE_OMB: dict[str, tuple[str, str, str]] = _terms("race")
"""CDISC RACE -> OMB category. CDISC 'OTHER' has no OMB category: it is kept in the extension's text only."""
ETHNICITY_OMB: dict[str, tuple[str, str, str]] = _terms("ethnicity")

# --- Observation ---------------------------------------------------------------------------------------------------
OBS_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
DATA_ABSENT_SYSTEM = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
REFERENCE_RANGE_MEANING_SYSTEM = "http://terminology.hl7.org/CodeSystem/referencerange-meaning"
LOINC_AGE = ("30525-0", "Age")
LOINC_PATIENT_CONSENT = ("59284-0", "Patient Consent")

# --- AdverseEvent (HL7 AE Clinical Research IG 1.0.1 and its R4 backport) ------------------------------------------
SERIOUSNESS_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
SEVERITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
SEVERITY = {key: (code, display) for key, (_, code, display) in _terms("ae-severity").items()}
SERIOUSNESS_CRITERIA = {key: (code, display) for key, (_, code, display) in _terms("ae-seriousness-criterion").items()}
"""Record field -> NCI Thesaurus code used by the IG (AESDTH, AESLIFE, AESHOSP, AESDISAB, AESCONG, AESMIE)."""
CTCAE_GRADE: dict[int, tuple[str, str]] = {
    1: ("C41338", "Grade 1 Mild Adverse Event"),
    2: ("C41339", "Grade 2 Moderate Adverse Event"),
    3: ("C41340", "Grade 3 Severe Adverse Event"),
    4: ("C41337", "Grade 4 Life Threatening or Disabling Adverse Event"),
    5: ("C48275", "Grade 5 Death Related to Adverse Event"),
}
R4_AE_OUTCOME_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
R4_AE_OUTCOME = {key: code for key, (_, code, _) in _terms("ae-outcome").items()}
"""R4 core binds AdverseEvent.outcome (required) to this system; the NCI code of the CDISC term is added beside it."""
AE_STATUS_COMPLETED, AE_STATUS_IN_PROGRESS = "completed", "in-progress"

# --- MedicationStatement (concomitant medication) and Condition (medical history) -----------------------------------
R5_ADHERENCE_SYSTEM = "http://hl7.org/fhir/CodeSystem/medication-statement-adherence"
R5_ADHERENCE = {"Y": ("taking", "Taking"), "N": ("stopped", "Stopped")}
"""CM "ongoing" answer -> R5 MedicationStatement.adherence (R5 status only says the statement was recorded)."""
R4_STATEMENT_STATUS = {"Y": "active", "N": "completed", None: "unknown"}
CONDITION_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_CLINICAL = {"Y": ("active", "Active"), "N": ("resolved", "Resolved"), None: ("unknown", "Unknown")}
"""MH "ongoing" answer -> clinicalStatus; no answer: R5 `unknown` (R5 makes clinicalStatus 1..1), none in R4."""
CONDITION_VERIFICATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-ver-status"

# --- Encounter -----------------------------------------------------------------------------------------------------
ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    """A Coding (display only when given)."""
    if display is None:
        return {"system": system, "code": code}
    return {"system": system, "code": code, "display": display}


def concept(system: str, code: str, display: str | None = None, text: str | None = None) -> dict[str, object]:
    """A CodeableConcept with one coding (and text when given)."""
    if text is None:
        return {"coding": [coding(system, code, display)]}
    return {"coding": [coding(system, code, display)], "text": text}

"""Code systems, codes and identifier systems used in the FHIR output, with where each code comes from.

Sources: FHIR R4/R5 core code systems (terminology.hl7.org, hl7.org/fhir), the HL7 Adverse Event Clinical Research
IG 1.0.1 and its R4 backport (seriousness criteria, outcomes, causality and grades as NCI Thesaurus codes), LOINC
(spirometry, age), SNOMED CT (condition), CDC race & ethnicity (US Core extensions), UCUM units. CDISC terms keep their
NCI codes from `mappings/codelists.csv` (via `ct.Terminology`) so FHIR and SDTM share one terminology.
"""

from __future__ import annotations

from trialinterop.ct import NCI_SYSTEM

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
MEDDRA = "http://terminology.hl7.org/CodeSystem/mdr"
NCI = NCI_SYSTEM
CTGOV = "https://clinicaltrials.gov"
CDC_RACE = "urn:oid:2.16.840.1.113883.6.238"
NULL_FLAVOR = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"
ISO_COUNTRY = "urn:iso:std:iso:3166"

SPONSOR_BASE = "https://fomr.example.org/fhir"
"""Sponsor (The Foundation for Orthopaedics and Regenerative Medicine) namespace for identifiers and code systems."""


def identifier_system(study_id: str, kind: str) -> str:
    """Sponsor identifier system for one kind of record, e.g. https://fomr.example.org/fhir/sid/nct05016804-subject."""
    return f"{SPONSOR_BASE}/sid/{study_id.lower()}-{kind}"


def sponsor_code_system(study_id: str, name: str) -> str:
    """Sponsor CodeSystem URI, e.g. .../CodeSystem/nct05016804-qstestcd (mRSS test codes), ...-criteria, ...-visit."""
    return f"{SPONSOR_BASE}/CodeSystem/{study_id.lower()}-{name}"


# --- fixed, documented offsets of the two site countries (neither observes daylight saving time) -----------------
COUNTRY_UTC_OFFSET: dict[str, str] = {"ATG": "-04:00", "ARG": "-03:00"}
"""Local clock times in the records carry no zone; FHIR dateTime needs one. Antigua and Barbuda keeps AST (UTC-4) and
Argentina ART (UTC-3) all year, so the offset is exact. For any other country a time is dropped (date kept)."""


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

# --- ResearchSubject -----------------------------------------------------------------------------------------------
SUBJECT_STATE_SYSTEM = "http://terminology.hl7.org/CodeSystem/research-subject-state"
SUBJECT_STATE_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/research-subject-state-type"

# --- Patient -------------------------------------------------------------------------------------------------------
GENDER = {"F": "female", "M": "male", "U": "unknown", "INTERSEX": "other"}
US_CORE_RACE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
US_CORE_ETHNICITY = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"
RACE_OMB: dict[str, tuple[str, str, str]] = {
    "AMERICAN INDIAN OR ALASKA NATIVE": (CDC_RACE, "1002-5", "American Indian or Alaska Native"),
    "ASIAN": (CDC_RACE, "2028-9", "Asian"),
    "BLACK OR AFRICAN AMERICAN": (CDC_RACE, "2054-5", "Black or African American"),
    "NATIVE HAWAIIAN OR OTHER PACIFIC ISLANDER": (CDC_RACE, "2076-8", "Native Hawaiian or Other Pacific Islander"),
    "WHITE": (CDC_RACE, "2106-3", "White"),
    "UNKNOWN": (NULL_FLAVOR, "UNK", "Unknown"),
    "NOT REPORTED": (NULL_FLAVOR, "ASKU", "Asked but no answer"),
}
"""CDISC RACE -> OMB category. CDISC 'OTHER' has no OMB category: it is kept in the extension's text only."""
ETHNICITY_OMB: dict[str, tuple[str, str, str]] = {
    "HISPANIC OR LATINO": (CDC_RACE, "2135-2", "Hispanic or Latino"),
    "NOT HISPANIC OR LATINO": (CDC_RACE, "2186-5", "Not Hispanic or Latino"),
    "UNKNOWN": (NULL_FLAVOR, "UNK", "Unknown"),
    "NOT REPORTED": (NULL_FLAVOR, "ASKU", "Asked but no answer"),
}

# --- Observation ---------------------------------------------------------------------------------------------------
OBS_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
DATA_ABSENT_SYSTEM = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
MRSS_TOTAL_TESTCD = "MRSS0118"
"""QSTESTCD of the total; areas are MRSS0101..MRSS0117 in MRSS_AREAS order. No LOINC or SNOMED CT code for the mRSS
total was found, so the sponsor CodeSystem carries it (with text)."""
# LOINC checked against published value sets: 19868-9 is FVC "by Spirometry" (19870-5 is FVC without a method);
# 19876-2 is FVC by spirometry "--pre bronchodilation", not % predicted; % predicted is 19872-1 (measured/predicted).
LOINC_FVC = ("19868-9", "Forced vital capacity [Volume] Respiratory system by Spirometry")
LOINC_FVC_PREDICTED = ("19869-7", "Forced vital capacity [Volume] Respiratory system Predicted")
LOINC_FVC_PERCENT = ("19872-1", "Forced vital capacity measured/predicted")
LOINC_AGE = ("30525-0", "Age")
LOINC_PATIENT_CONSENT = ("59284-0", "Patient Consent")

# --- AdverseEvent (HL7 AE Clinical Research IG 1.0.1 and its R4 backport) ------------------------------------------
SERIOUSNESS_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
SEVERITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
SEVERITY = {"MILD": ("mild", "Mild"), "MODERATE": ("moderate", "Moderate"), "SEVERE": ("severe", "Severe")}
SERIOUSNESS_CRITERIA: dict[str, tuple[str, str]] = {
    "death": ("C48275", "Results in Death"),
    "life_threatening": ("C84266", "Is Life Threatening"),
    "hospitalization": ("C83052", "Requires Inpatient Hospitalization"),
    "disability": ("C11338", "Results in Persistent or Significant Disability"),
    "congenital_anomaly": ("C83117", "Congenital Anomaly or Birth Defect"),
    "medically_important": ("C82521", "Other Medically Important Condition"),
}
"""Record field -> NCI Thesaurus code used by the IG (AESDTH, AESLIFE, AESHOSP, AESDISAB, AESCONG, AESMIE)."""
CTCAE_GRADE: dict[int, tuple[str, str]] = {
    1: ("C41338", "Grade 1 Mild Adverse Event"),
    2: ("C41339", "Grade 2 Moderate Adverse Event"),
    3: ("C41340", "Grade 3 Severe Adverse Event"),
    4: ("C41337", "Grade 4 Life Threatening or Disabling Adverse Event"),
    5: ("C48275", "Grade 5 Death Related to Adverse Event"),
}
R4_AE_OUTCOME_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
R4_AE_OUTCOME = {
    "RECOVERED/RESOLVED": "resolved",
    "RECOVERING/RESOLVING": "recovering",
    "NOT RECOVERED/NOT RESOLVED": "ongoing",
    "RECOVERED/RESOLVED WITH SEQUELAE": "resolvedWithSequelae",
    "FATAL": "fatal",
    "UNKNOWN": "unknown",
}
"""R4 core binds AdverseEvent.outcome (required) to this system; the NCI code of the CDISC term is added beside it."""
AE_STATUS_COMPLETED, AE_STATUS_IN_PROGRESS = "completed", "in-progress"

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

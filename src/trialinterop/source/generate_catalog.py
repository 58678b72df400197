"""Terms the records generator draws from: MedDRA-coded adverse events, concomitant medications, medical history.

Nothing here belongs to one trial: common events, drugs and conditions of any adult population. MedDRA codes are
MedDRA facts (PT/LLT and SOC codes, and HLT/HLGT where checked); HLT/HLGT are left empty where they were not
verified rather than invented.
"""

from __future__ import annotations

from dataclasses import dataclass

MEDDRA_VERSION = "27.1"
_GENERAL = ("General disorders and administration site conditions", 10018065)
_INFECTIONS = ("Infections and infestations", 10021881)


@dataclass(frozen=True)
class Term:
    pt: str
    pt_code: int
    soc: tuple[str, int]
    hlt: tuple[str, int] | None = None
    hlgt: tuple[str, int] | None = None


TERMS: dict[str, Term] = {
    "Headache": Term(
        "Headache",
        10019211,
        ("Nervous system disorders", 10029205),
        ("Headaches NEC", 10019233),
        ("Headaches", 10019231),
    ),
    "Pyrexia": Term(
        "Pyrexia", 10037660, _GENERAL, ("Febrile disorders", 10016286), ("Body temperature conditions", 10005908)
    ),
    "Fatigue": Term("Fatigue", 10016256, _GENERAL),
    "Nausea": Term("Nausea", 10028813, ("Gastrointestinal disorders", 10017947)),
    "Infusion related reaction": Term(
        "Infusion related reaction", 10051792, ("Injury, poisoning and procedural complications", 10022117)
    ),
    "Pneumonia": Term("Pneumonia", 10035664, _INFECTIONS),
    "Urinary tract infection": Term("Urinary tract infection", 10046571, _INFECTIONS),
    "Arthralgia": Term("Arthralgia", 10003239, ("Musculoskeletal and connective tissue disorders", 10028395)),
}
VERBATIM: dict[str, tuple[str, ...]] = {
    "Headache": ("HEADACHE", "Headache", "Mild headache after dosing"),
    "Pyrexia": ("PYREXIA", "Pyrexia after dosing"),
    "Fatigue": ("FATIGUE", "Fatigue"),
    "Nausea": ("NAUSEA", "Nausea"),
    "Infusion related reaction": ("INFUSION RELATED REACTION", "Infusion related reaction"),
    "Pneumonia": ("PNEUMONIA", "Pneumonia"),
    "Urinary tract infection": ("URINARY TRACT INFECTION", "Urinary tract infection"),
    "Arthralgia": ("ARTHRALGIA", "Arthralgia", "Joint pain both knees"),
}
UNCODED_VERBATIM = ("Pain left foot after fall", "FEELING UNWELL", "Sore and itchy eyes")
INFUSION_TERM = "Infusion related reaction"  # only after an intravenous administration
EARLY_TERMS = ("Headache", "Pyrexia", "Nausea", "Fatigue")
LATER_TERMS = ("Urinary tract infection", "Arthralgia", "Fatigue", "Headache", "Nausea")
CHRONIC_TERMS = ("Arthralgia",)
SERIOUS_TERMS = ("Pneumonia", "Urinary tract infection")
FATAL_TERM = "Pneumonia"


@dataclass(frozen=True)
class Medication:
    term: str
    decoded: str
    atc_class: str
    indication: str
    dose: float | None
    dose_unit: str | None
    route: str
    frequency: str
    chronic: bool  # taken for a condition of the medical history, usually ongoing


MEDICATIONS: tuple[Medication, ...] = (
    Medication("PARACETAMOL 500MG", "PARACETAMOL", "ANALGESICS", "Headache", 500, "mg", "ORAL", "PRN", False),
    Medication(
        "Ibuprofen",
        "IBUPROFEN",
        "ANTIINFLAMMATORY AND ANTIRHEUMATIC PRODUCTS",
        "Arthralgia",
        400,
        "mg",
        "ORAL",
        "TID",
        False,
    ),
    Medication(
        "Omeprazole",
        "OMEPRAZOLE",
        "DRUGS FOR ACID RELATED DISORDERS",
        "Gastrooesophageal reflux disease",
        20,
        "mg",
        "ORAL",
        "QD",
        True,
    ),
    Medication("AMLODIPINE", "AMLODIPINE", "CALCIUM CHANNEL BLOCKERS", "Hypertension", 5, "mg", "ORAL", "QD", True),
    Medication(
        "Atorvastatin", "ATORVASTATIN", "LIPID MODIFYING AGENTS", "Hypercholesterolaemia", 20, "mg", "ORAL", "QD", True
    ),
    Medication("Vitamin D", "COLECALCIFEROL", "VITAMINS", "Vitamin D deficiency", 1000, "IU", "ORAL", "QD", True),
)


@dataclass(frozen=True)
class History:
    term: str
    decoded: str
    body_system: str
    resolved: bool  # a past event with an end date (e.g. a procedure)


HISTORY: tuple[History, ...] = (
    History("HYPERTENSION", "Hypertension", "Vascular disorders", False),
    History("High cholesterol", "Hypercholesterolaemia", "Metabolism and nutrition disorders", False),
    History("Osteoarthritis of the knee", "Osteoarthritis", "Musculoskeletal and connective tissue disorders", False),
    History("GERD", "Gastrooesophageal reflux disease", "Gastrointestinal disorders", False),
    History("Appendectomy", "Appendicectomy", "Surgical and medical procedures", True),
    History("Vitamin D deficiency", "Vitamin D deficiency", "Metabolism and nutrition disorders", False),
)
GENERAL_HISTORY = "GENERAL MEDICAL HISTORY"
PRIMARY_DIAGNOSIS = "PRIMARY DIAGNOSIS"

MISSED_REASONS = ("SUBJECT UNAVAILABLE", "TRAVEL RESTRICTIONS", "SCHEDULING CONFLICT")
UNPLANNED_REASONS = ("ADVERSE EVENT FOLLOW-UP", "REPEAT ASSESSMENT", "SUBJECT REQUEST")
NOT_DONE_REASONS = ("ASSESSOR NOT AVAILABLE", "SUBJECT REFUSED", "EQUIPMENT FAILURE")
TEST_NOT_DONE_REASONS = ("SAMPLE NOT COLLECTED", "SUBJECT UNABLE TO PERFORM", "RESULT NOT AVAILABLE")
TEXT_RESULTS = ("ABSENT", "PRESENT")
WITHDRAWALS = ("WITHDRAWAL BY SUBJECT", "LOST TO FOLLOW-UP", "ADVERSE EVENT")
WITHDRAWAL_TERMS = {
    "WITHDRAWAL BY SUBJECT": "Subject decided to leave the study",
    "LOST TO FOLLOW-UP": "Lost to follow-up after repeated contact attempts",
    "ADVERSE EVENT": "Withdrawn because of worsening arthralgia",
}
WITHDRAWAL_AE = "Arthralgia"
DEATH_TERM = "Death due to pneumonia"

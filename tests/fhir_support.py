"""Helpers shared by the FHIR tests: the study of the fixtures, small hand-made records, fhir.resources classes."""

from __future__ import annotations

import importlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from trialinterop.definition import StudyDefinition, bundled_definition
from trialinterop.source import models as m
from trialinterop.source.reader import read_records

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures" / "records"
NODE_DIR = REPO / "tests" / "fhir_node"
MODEL_PACKAGE = {"R4": "fhir.resources.R4B", "R5": "fhir.resources"}


@cache
def fixture_records() -> m.TrialRecords:
    return read_records(FIXTURES)


@cache
def nct_definition() -> StudyDefinition:
    return bundled_definition("NCT05016804")


def study() -> m.Study:
    return fixture_records().study


def model_class(version: str, resource_type: str) -> Any:
    module = importlib.import_module(f"{MODEL_PACKAGE[version]}.{resource_type.lower()}")
    return getattr(module, resource_type)


def validate_all(resources: list[dict[str, Any]], version: str) -> list[str]:
    """Errors from fhir.resources model_validate, one line per invalid resource."""
    problems = []
    for resource in resources:
        try:
            model_class(version, resource["resourceType"]).model_validate(resource)
        except Exception as exc:  # pydantic ValidationError and friends
            problems.append(f"{resource['resourceType']}/{resource.get('id')}: {str(exc)[:400]}")
    return problems


def small_records(**tables: Any) -> m.TrialRecords:
    """Two subjects of NCT05016804 (one enrolled at site 01, one screen failure at site 02) plus `tables`."""
    subjects = (
        m.Subject("01-001", "01", "F", "ATG", "2022-01-10", "Y", birth_date="1970-05", race=("WHITE",),
                  ethnicity="NOT HISPANIC OR LATINO"),
        m.Subject("02-001", "02", "M", "ARG", "2022-02-01", "N", age=61, race=("OTHER", "ASIAN")),
    )  # fmt: skip
    return m.TrialRecords(definition=nct_definition(), subjects=subjects, **tables)


def serious_ae() -> m.AdverseEvent:
    return m.AdverseEvent(
        subject_id="01-001", ae_id=1, term="PNEUMONIA WITH ADMISSION", start="2022-01-20T14:05", serious="Y",
        severity="SEVERE", relationship="POSSIBLY RELATED", action="NOT APPLICABLE", outcome="RECOVERED/RESOLVED",
        end="2022-02-02", llt="Pneumonia", llt_code=10035664, pt="Pneumonia", pt_code=10035664,
        soc="Infections and infestations", soc_code=10021881, meddra_version="27.1", hospitalization="Y",
        death="N", life_threatening="N", ctcae_grade=3,
    )  # fmt: skip


def incomplete_ae(ae_id: int = 2, **known: Any) -> m.AdverseEvent:
    """An AE as an EDC export has it at a data cut: a term and nothing else (no start, seriousness, severity,
    causality, action or outcome) unless `known` says otherwise."""
    return m.AdverseEvent(subject_id="01-001", ae_id=ae_id, term="FATIGUE", **known)


def infusion() -> m.Exposure:
    return m.Exposure(
        "01-001", "ALLORX", "2022-01-15T09:30", 100.0, "10^6 Therapeutic Cells", "INTRAVENOUS",
        end="2022-01-15T10:10", dose_form="INJECTION, SUSPENSION", frequency="ONCE", lot="ALX-1",
    )  # fmt: skip


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def xanad01_records() -> m.TrialRecords:
    """Three XANAD01 subjects, one per arm (sites without a UTC offset), with patches, VS, LB, NPI-X and ADAS-Cog
    findings (the ADAS-Cog total left to derive), two visits and one AE."""
    subjects = (
        m.Subject("1001", "701", "F", "USA", "2013-01-02", "Y", age=63, race=("WHITE",), arm="Pbo", actual_arm="Pbo"),
        m.Subject("1002", "701", "M", "USA", "2013-01-03", "Y", age=71, race=("WHITE",), arm="Xan_Lo"),
        m.Subject("1003", "703", "F", "USA", "2013-01-04", "Y", age=80, race=("BLACK OR AFRICAN AMERICAN",),
                  arm="Xan_Hi"),
    )  # fmt: skip
    exposures = (
        m.Exposure("1001", "PLACEBO", "2013-01-09", 0.0, "mg", "TRANSDERMAL", end="2013-01-22", dose_form="PATCH",
                   frequency="QD"),
        m.Exposure("1002", "XANOMELINE 54 MG", "2013-01-10", 54.0, "mg", "TRANSDERMAL", end="2013-07-09",
                   dose_form="PATCH", frequency="QD"),
        m.Exposure("1003", "XANOMELINE 54 MG", "2013-01-11", 54.0, "mg", "TRANSDERMAL", end="2013-01-24",
                   dose_form="PATCH", frequency="QD"),
        m.Exposure("1003", "XANOMELINE 81 MG", "2013-01-25", 81.0, "mg", "TRANSDERMAL", end="2013-06-26",
                   dose_form="PATCH", frequency="QD"),
    )  # fmt: skip
    findings = (
        m.Finding("1001", "VS", "SYSBP", 3.0, timepoint="AFTER LYING DOWN FOR 5 MINUTES", datetime="2013-01-09T09:30",
                  result="132", unit="mmHg", position="SUPINE"),
        m.Finding("1001", "VS", "TEMP", 3.0, datetime="2013-01-09T09:30", result="36.80", unit="C"),
        m.Finding("1001", "CHEM", "GLUC", 1.0, datetime="2013-01-02", result="101", unit="mg/dL"),
        m.Finding("1001", "HEMA", "LYM", 1.0, datetime="2013-01-02", result="1.9", unit="10^9/L", normal_low=1.0,
                  normal_high=3.5),
        m.Finding("1002", "NPIX", "NPITM01", 3.0, datetime="2013-01-10", result="N"),
        m.Finding("1002", "HEMA", "HGB", 1.0, status="NOT DONE", reason_not_done="SAMPLE HAEMOLYSED"),
    )  # fmt: skip
    adas = tuple(
        m.Finding("1003", "ADAS", f"ACITM{n:02d}", 3.0, datetime="2013-01-11", result="2")
        for n in (1, 2, 4, 5, 6, 7, 8, 11, 12, 13, 14)
    )
    visits = (m.Visit("1001", 3.0, "Y", visit_date="2013-01-09"), m.Visit("1001", 1.0, "Y", visit_date="2013-01-02"))
    return m.TrialRecords(
        definition=bundled_definition("XANAD01"),
        subjects=subjects,
        exposures=exposures,
        findings=findings + adas,
        visits=visits,
        adverse_events=(m.AdverseEvent("1003", 1, "APPLICATION SITE ERYTHEMA", "2013-02-01", "N", "MILD",
                                       "POSSIBLY RELATED", "DOSE NOT CHANGED", "RECOVERED/RESOLVED"),),
    )  # fmt: skip

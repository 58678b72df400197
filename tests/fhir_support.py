"""Helpers shared by the FHIR tests: the study of the fixtures, small hand-made records, fhir.resources classes."""

from __future__ import annotations

import importlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from trialinterop.source import models as m
from trialinterop.source.reader import read_records

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures" / "records"
NODE_DIR = REPO / "tests" / "fhir_node"
MODEL_PACKAGE = {"R4": "fhir.resources.R4B", "R5": "fhir.resources"}


@cache
def fixture_records() -> m.TrialRecords:
    return read_records(FIXTURES)


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
    """Two subjects of the real study (one enrolled at site 01, one screen failure at site 02) plus `tables`."""
    subjects = (
        m.Subject("01-001", "01", "F", "ATG", "2022-01-10", "Y", birth_date="1970-05", race=("WHITE",),
                  ethnicity="NOT HISPANIC OR LATINO"),
        m.Subject("02-001", "02", "M", "ARG", "2022-02-01", "N", age=61, race=("OTHER", "ASIAN")),
    )  # fmt: skip
    return m.TrialRecords(study=study(), subjects=subjects, **tables)


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

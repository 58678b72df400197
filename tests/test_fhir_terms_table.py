"""mappings/fhir-terms.csv: the code equivalences to-fhir writes and fhir-to-sdtm reads back, as data with sources."""

from __future__ import annotations

import csv

from trialinterop.ct import cdisc_terms
from trialinterop.fhir import codes
from trialinterop.resources import mappings_dir


def _rows() -> list[dict[str, str]]:
    with (mappings_dir() / "fhir-terms.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_row_names_its_source_and_a_cdisc_term_of_its_codelist() -> None:
    codelists = {"gender": "SEX", "race": "RACE", "ethnicity": "ETHNIC", "ae-severity": "AESEV", "ae-outcome": "OUT"}
    rows = _rows()
    assert len(rows) == 30 and all(row["source"].strip() and row["code"] and row["system"] for row in rows)
    for row in rows:
        if row["table"] in codelists:
            assert row["key"] in cdisc_terms(codelists[row["table"]]), row


def test_the_tables_read_as_the_codes_fhir_writes() -> None:
    assert codes.GENDER == {"F": "female", "M": "male", "U": "unknown", "INTERSEX": "other"}
    assert codes.RACE_OMB["WHITE"] == ("urn:oid:2.16.840.1.113883.6.238", "2106-3", "White")
    assert codes.ETHNICITY_OMB["NOT REPORTED"] == ("http://terminology.hl7.org/CodeSystem/v3-NullFlavor", "ASKU",
                                                   "Asked but no answer")  # fmt: skip
    assert codes.SEVERITY == {"MILD": ("mild", "Mild"), "MODERATE": ("moderate", "Moderate"),
                              "SEVERE": ("severe", "Severe")}  # fmt: skip
    assert codes.SERIOUSNESS_CRITERIA["death"] == ("C48275", "Results in Death")
    assert list(codes.SERIOUSNESS_CRITERIA) == ["death", "life_threatening", "hospitalization", "disability",
                                                "congenital_anomaly", "medically_important"]  # fmt: skip
    assert codes.R4_AE_OUTCOME["RECOVERED/RESOLVED WITH SEQUELAE"] == "resolvedWithSequelae"

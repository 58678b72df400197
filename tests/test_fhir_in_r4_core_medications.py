"""Eight more FHIR R4 core examples (npm package hl7.fhir.r4.examples 4.0.1, CC0;
tests/data/third_party/fhir-r4-examples-more), given to the Joint Mapping IG bundle's subject 01-101: medication
orders whose contained Medication has no code (one named by the Reference's display, one by nothing), an
administration of such a Medication, a SNOMED CT route given as a qualifier value, dose units of HL7's
orderableDrugForm, a statement entered in error and a Condition whose severity (SNOMED CT "Mild to moderate") has no
AESEV term, and a hemoglobin result with no category. Each is mapped, or listed as not mapped with its reason, and
the package passes the validator."""

from __future__ import annotations

import json
from pathlib import Path

import pyreadstat
import pytest
from click.testing import CliRunner

from trialinterop.cli import main

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE / "data" / "third_party" / "fhir-r4-examples-more"


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, str]:
    work = tmp_path_factory.mktemp("r4-core-medications")
    bundle = json.loads((HERE / "data" / "fhir" / "joint-mapping-ig-r4.json").read_text(encoding="utf-8"))
    for path in sorted(EXAMPLES.glob("*.json")):
        resource = json.loads(path.read_text(encoding="utf-8"))
        resource["id"] = f"r4-{resource['id']}"
        resource["subject"] = {"reference": "Patient/pat-1"}  # the examples' Patient/pat1 and f001: subject 01-101
        bundle["entry"].append({"fullUrl": f"https://x.org/{resource['resourceType']}/{resource['id']}",
                                "resource": resource})  # fmt: skip
    source, out, report = work / "in.json", work / "out", work / "coverage.json"
    source.write_text(json.dumps(bundle), encoding="utf-8")
    args = ["fhir-to-sdtm", str(source), "-o", str(out), "--study", "nct05016804", "--no-strict"]
    result = CliRunner().invoke(main, [*args, "--report", str(report)])
    assert result.exit_code == 0, result.output
    return out, json.loads(report.read_text(encoding="utf-8")), result.output


def _read(out: Path, name: str) -> list[dict]:
    frame, _ = pyreadstat.read_xport(str(out / f"{name}.xpt"))
    return frame.to_dict("records")


def test_a_medication_without_code_is_named_by_the_references_display(converted: tuple[Path, dict, str]) -> None:
    out, _, _ = converted
    rows = [r for r in _read(out, "cm") if r["CMTRT"].startswith("Potassium")]  # medrx0322, contained med0317
    assert [(r["CMTRT"], r["CMDOSE"], r["CMDOSU"], r["CMROUTE"]) for r in rows] == [
        ("Potassium Chloride 20mEq in 1L Normal Saline", 20.0, "mEq", "INTRAVENOUS")
    ]


def test_qualifier_value_routes_and_drug_form_units_map_to_cdisc_terms(converted: tuple[Path, dict, str]) -> None:
    out, _, output = converted
    cm = {r["CMTRT"]: r for r in _read(out, "cm")}
    lantus = cm[
        "Lantus 100 unit/ml injectable solution"
    ]  # medrx0320: SNOMED 263887005 "Subcutaneous (qualifier value)"
    assert (lantus["CMROUTE"], lantus["CMDOSE"], lantus["CMDOSU"]) == ("SUBCUTANEOUS", 20.0, "U")
    azithromycin = cm["Azithromycin 250mg capsule (product)"]  # medrx0302: 2 TAB (v3 orderableDrugForm), oral
    assert (azithromycin["CMROUTE"], azithromycin["CMDOSE"], azithromycin["CMDOSU"]) == ("ORAL", 2.0, "TABLET")
    assert "has no CDISC ROUTE term" not in output and "has no CDISC UNIT term" not in output
    assert not (out / "suppcm.xpt").exists()


def test_a_severity_without_aesev_term_goes_to_suppmh(converted: tuple[Path, dict, str]) -> None:
    out, _, output = converted
    mh = [r for r in _read(out, "mh") if r["MHTERM"] == "Retropharyngeal abscess"]  # Condition f003
    # onset 2012-02-27, recorded 2012-02-20, no identifier (numbered 1); MHSEV, all blank, is left out (Permissible)
    assert [(r["MHSTDTC"], r["MHDTC"], r["MHSPID"], "MHSEV" in r) for r in mh] == [
        ("2012-02-27", "2012-02-20", "1", False)
    ]
    assert _read(out, "suppmh") == [
        {"STUDYID": "NCT05016804", "RDOMAIN": "MH", "USUBJID": "NCT05016804-01-101", "IDVAR": "MHSEQ",
         "IDVARVAL": str(int(mh[0]["MHSEQ"])), "QNAM": "MHSRCSEV", "QLABEL": "Severity Not in CDISC AESEV (as Given)",
         "QVAL": "http://snomed.info/sct|371923003 (Mild to moderate)", "QORIG": "Collected", "QEVAL": ""}
    ]  # fmt: skip
    assert (
        "Condition.severity: severity http://snomed.info/sct|371923003 (Mild to moderate) has no CDISC AESEV term "
        "(mappings/fhir-in/severity.csv): --SEV left blank, kept in SUPPMH MHSRCSEV" in output
    )


def test_what_is_not_mapped_is_listed_with_its_reason(converted: tuple[Path, dict, str]) -> None:
    _, document, _ = converted
    resources = document["resources"]
    no_name = "coded (no code) (medication): maps to nothing"
    # medrx0323 and medadmin0302: a contained Medication with ingredients only, and no display on the Reference
    assert resources["MedicationRequest"]["not_mapped"] == {no_name: 1}
    assert resources["MedicationRequest"]["mapped"] == {"CM": 3}
    assert resources["MedicationAdministration"]["not_mapped"] == {no_name: 1}  # was an error refusing the run
    in_error = "entered-in-error (recorded by mistake: no event to map)"
    assert resources["MedicationStatement"]["not_mapped"] == {in_error: 1}  # example005, once listed by its code
    assert (resources["MedicationStatement"]["read"], resources["MedicationStatement"]["mapped"]) == (1, {})


def test_the_package_passes_the_validator(converted: tuple[Path, dict, str]) -> None:
    out, _, _ = converted
    result = CliRunner().invoke(main, ["validate", str(out), "--fail-on", "error"])
    assert result.exit_code == 0, result.output
    assert "RDOMAIN" not in result.output  # SUPPMH's parent MH joins the DOMAIN codelist (spec.data_terms)


def test_a_laboratory_result_without_category_is_read_by_its_loinc_code(converted: tuple[Path, dict, str]) -> None:
    """Observation f005 (hemoglobin, LOINC 718-7) has no category (R4 makes it optional): mappings/loinc.csv places
    718-7 in LB (HGB, blood)."""
    out, document, _ = converted
    assert document["resources"]["Observation"]["mapped"] == {"LB": 1}
    (row,) = _read(out, "lb")
    columns = ["LBTESTCD", "LBORRES", "LBORRESU", "LBORNRLO", "LBORNRHI", "LBNRIND", "LBSPEC", "LBDTC"]
    assert {c: row[c] for c in columns} == {"LBTESTCD": "HGB", "LBORRES": "7.2", "LBORRESU": "g/dL", "LBORNRLO": "7.5",
                                            "LBORNRHI": "10", "LBNRIND": "LOW", "LBSPEC": "BLOOD",
                                            "LBDTC": "2013-04-05T10:30:10"}  # fmt: skip

"""Procedures -> PR (fhir_in.procedures, sdtm.domains.pr): term, decode, body site, indication, period; a Procedure
entered in error or not done is listed as not mapped; define.xml describes PR and the validator finds no error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyreadstat
from click.testing import CliRunner

from trialinterop.cli import main

BUNDLE = Path(__file__).resolve().parent / "data" / "fhir" / "joint-mapping-ig-r4.json"
SNOMED = "http://snomed.info/sct"


def _procedure(rid: str, patient: str, **values: Any) -> dict[str, Any]:
    return {"resourceType": "Procedure", "id": rid, "subject": {"reference": f"Patient/{patient}"}, **values}


BIOPSY = _procedure(
    "biopsy",
    "pat-1",
    status="completed",
    code={"coding": [{"system": SNOMED, "code": "240977001", "display": "Biopsy of skin"}], "text": "Skin biopsy"},
    performedPeriod={"start": "2023-03-02T10:00:00Z", "end": "2023-03-02T10:30:00Z"},
    bodySite=[{"coding": [{"system": SNOMED, "code": "368208006", "display": "Left upper arm structure"}]}],
    reasonCode=[{"coding": [{"system": SNOMED, "code": "89155008", "display": "Systemic sclerosis"}]}],
)
XRAY = _procedure("xray", "pat-2", status="completed", code={"text": "Chest X-ray"}, performedDateTime="2023-02")
ERROR = _procedure("error", "pat-1", status="entered-in-error", code={"text": "Skin biopsy"})
SKIPPED = _procedure("skipped", "pat-2", status="not-done", code={"text": "Colonoscopy"})


def _source(tmp_path: Path, *procedures: dict[str, Any]) -> Path:
    bundle = json.loads(BUNDLE.read_text(encoding="utf-8"))
    for resource in procedures:
        bundle["entry"].append({"fullUrl": f"https://x.org/Procedure/{resource['id']}", "resource": resource})
    path = tmp_path / "procedures.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def test_procedures_become_pr_with_define_and_no_validation_error(tmp_path: Path) -> None:
    out, report = tmp_path / "out", tmp_path / "coverage.json"
    args = ["fhir-to-sdtm", str(_source(tmp_path, BIOPSY, XRAY)), "-o", str(out), "--study", "nct05016804"]
    result = CliRunner().invoke(main, [*args, "--report", str(report)])
    assert result.exit_code == 0, result.output
    pr, meta = pyreadstat.read_xport(str(out / "pr.xpt"))
    assert pr.drop(columns=["STUDYID", "DOMAIN", "PRSTDY"]).to_dict("records") == [
        {"USUBJID": "NCT05016804-01-101", "PRSEQ": 1.0, "PRSPID": "1", "PRTRT": "Skin biopsy",
         "PRDECOD": "Biopsy of skin", "PRINDC": "Systemic sclerosis", "PRLOC": "Left upper arm structure",
         "EPOCH": "SCREENING", "PRSTDTC": "2023-03-02T10:00", "PRENDTC": "2023-03-02T10:30"},
        {"USUBJID": "NCT05016804-01-102", "PRSEQ": 1.0, "PRSPID": "1", "PRTRT": "Chest X-ray", "PRDECOD": "",
         "PRINDC": "", "PRLOC": "", "EPOCH": "SCREENING", "PRSTDTC": "2023-02", "PRENDTC": ""},
    ]  # fmt: skip
    assert meta.table_name == "PR" and meta.column_names_to_labels["PRTRT"] == "Reported Name of Procedure"
    assert json.loads(report.read_text(encoding="utf-8"))["resources"]["Procedure"]["mapped"] == {"PR": 2}
    define = (out / "define.xml").read_text(encoding="utf-8")
    assert 'OID="IG.PR"' in define and 'ItemOID="IT.PR.PRTRT"' in define
    checked = CliRunner().invoke(main, ["validate", str(out), "--fail-on", "error"])
    assert checked.exit_code == 0, checked.output


def test_procedures_entered_in_error_or_not_done_are_listed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    source = _source(tmp_path, BIOPSY, ERROR, SKIPPED)
    result = CliRunner().invoke(main, ["fhir-to-sdtm", str(source), "-o", str(out), "--study", "nct05016804"])
    assert result.exit_code == 2, result.output
    assert "FHIR input refused (2 Procedure(s) not mapped" in result.output
    assert "Procedure.status: 1 Procedure(s) not mapped: entered-in-error (recorded by mistake: no event to map)" in (
        result.output
    )
    not_done = "a Procedure not done (PR holds procedures that took place)"
    assert f"Procedure.status: 1 Procedure(s) not mapped: {not_done}" in result.output

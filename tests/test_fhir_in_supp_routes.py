"""A route no CDISC ROUTE term maps (issue 16, item 3): a warning, --ROUTE left blank and the route as given kept in
SUPPCM CMSRCRT / SUPPEX EXSRCRT (value-level metadata in mappings/value_level.csv, listed in define.xml); the coverage
names the SUPP target. A unit nothing maps stays in its variable (docs/fhir-in.md, "Unmapped codes")."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pyreadstat
import pytest
from click.testing import CliRunner

from trialinterop.cli import main
from trialinterop.fhir.emit import write_fhir
from trialinterop.source.reader import read_records

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "records"
EAR = {"coding": [{"system": "http://snomed.info/sct", "code": "999", "display": "Through the ear canal"}]}
PUFFS = {"value": 2, "unit": "puffs", "system": "http://unitsofmeasure.org", "code": "{puff}"}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("r4") / "r4.json"
    write_fhir(read_records(FIXTURES), path, version="R4", form="transaction")
    return json.loads(path.read_text(encoding="utf-8"))


def _first(bundle: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind)


def _administration(resource: dict[str, Any]) -> str:
    """The sponsor identifier of a MedicationAdministration ('' for another resource)."""
    if resource["resourceType"] != "MedicationAdministration":
        return ""
    return str(resource["identifier"][0]["value"])


def test_a_route_nothing_maps_goes_to_supp_and_its_variable_stays_blank(tmp_path: Path, bundle: dict) -> None:
    edited = copy.deepcopy(bundle)
    statement = _first(edited, "MedicationStatement")  # 01-001 cm 1, PARACETAMOL 500MG (oral)
    statement["dosage"][0]["route"] = EAR
    statement["dosage"][0]["doseAndRate"][0]["doseQuantity"] = PUFFS
    entries = edited["entry"]
    (second,) = [i for i, e in enumerate(entries) if _administration(e["resource"]).startswith("01-001/AUTO")]
    entries.insert(0, entries.pop(second))  # read before the subject's first administration (ALLORX, 2021-10-30)
    given = entries[0]["resource"]  # 01-001 TCV 2021-12-09T11:00, the subject's 2nd exposure: EXSEQ 2
    given["dosage"]["route"] = {"text": "by catheter"}
    source = tmp_path / "in.json"
    source.write_text(json.dumps(edited), encoding="utf-8")
    out, report = tmp_path / "out", tmp_path / "coverage.json"
    result = CliRunner().invoke(main, ["fhir-to-sdtm", str(source), "-o", str(out), "--study", "NCT05016804",
                                       "--report", str(report)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (
        "MedicationStatement.dosage.route: route http://snomed.info/sct|999 (Through the ear canal) has no CDISC "
        "ROUTE term (mappings/fhir-in/route.csv): --ROUTE left blank, kept in SUPPCM CMSRCRT" in result.output
    )
    assert "route by catheter has no CDISC ROUTE term (mappings/fhir-in/route.csv): --ROUTE left blank, kept in " \
           "SUPPEX EXSRCRT" in result.output  # fmt: skip
    assert "unit 'puffs' (http://unitsofmeasure.org|{puff}) has no CDISC UNIT term: kept as given" in result.output
    cm, _ = pyreadstat.read_xport(str(out / "cm.xpt"))
    row = cm[(cm["USUBJID"] == "NCT05016804-01-001") & (cm["CMSPID"] == "1")]  # CMSEQ 2: after Ibuprofen (CMTRT)
    assert row[["CMTRT", "CMDOSE", "CMDOSU", "CMROUTE", "CMSEQ"]].to_dict("records") == [
        {"CMTRT": "PARACETAMOL 500MG", "CMDOSE": 2.0, "CMDOSU": "puffs", "CMROUTE": "", "CMSEQ": 2.0}
    ]
    suppcm, _ = pyreadstat.read_xport(str(out / "suppcm.xpt"))
    assert suppcm.to_dict("records") == [
        {"STUDYID": "NCT05016804", "RDOMAIN": "CM", "USUBJID": "NCT05016804-01-001", "IDVAR": "CMSEQ",
         "IDVARVAL": "2", "QNAM": "CMSRCRT", "QLABEL": "Route Not in CDISC ROUTE (as Given)",
         "QVAL": "http://snomed.info/sct|999 (Through the ear canal)", "QORIG": "Collected", "QEVAL": ""}
    ]  # fmt: skip
    suppex, _ = pyreadstat.read_xport(str(out / "suppex.xpt"))
    assert suppex[["USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL", "QORIG"]].to_dict("records") == [
        {"USUBJID": "NCT05016804-01-001", "IDVAR": "EXSEQ", "IDVARVAL": "2", "QNAM": "EXSRCRT",
         "QLABEL": "Route Not in CDISC ROUTE (as Given)", "QVAL": "by catheter", "QORIG": "Collected"}
    ]  # fmt: skip
    ex, _ = pyreadstat.read_xport(str(out / "ex.xpt"))
    subject = ex[ex["USUBJID"] == "NCT05016804-01-001"]
    assert subject[["EXSEQ", "EXTRT", "EXSTDTC", "EXROUTE"]].to_dict("records") == [
        {"EXSEQ": 1.0, "EXTRT": "ALLORX", "EXSTDTC": "2021-10-30T10:00", "EXROUTE": "INTRAVENOUS"},
        {"EXSEQ": 2.0, "EXTRT": "AUTOLOGOUS T-CELL VACCINE", "EXSTDTC": "2021-12-09T11:00", "EXROUTE": ""},
    ]  # fmt: skip
    assert (ex["EXROUTE"] == "").sum() == 1
    define = (out / "define.xml").read_text(encoding="utf-8")
    assert 'OID="WC.SUPPCM.QVAL.CMSRCRT"' in define and 'OID="WC.SUPPEX.QVAL.EXSRCRT"' in define
    elements = json.loads(report.read_text(encoding="utf-8"))["resources"]["MedicationStatement"]["elements"]
    assert elements["dosage"]["mapped_to"] == "CM.CMDOSE;CM.CMDOSU;CM.CMROUTE;SUPPCM.CMSRCRT;CM.CMDOSFRQ"

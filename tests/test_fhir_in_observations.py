"""Vital-signs and laboratory Observations outside the study's instruments (fhir_in.observations): VS/LB through
mappings/loinc.csv, with units, reference ranges, dates; an unknown LOINC code is listed as not mapped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyreadstat
from click.testing import CliRunner

from trialinterop.cli import main

BUNDLE = Path(__file__).resolve().parent / "data" / "fhir" / "joint-mapping-ig-r4.json"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


def _observation(rid: str, category: str, loinc: str, **values: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY, "code": category}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "subject": {"reference": "Patient/pat-1"},
        **values,
    }


def _source(tmp_path: Path, *observations: dict[str, Any]) -> Path:
    bundle = json.loads(BUNDLE.read_text(encoding="utf-8"))
    for resource in observations:
        bundle["entry"].append({"fullUrl": f"https://x.org/Observation/{resource['id']}", "resource": resource})
    path = tmp_path / "observations.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def _convert(tmp_path: Path, *observations: dict[str, Any], options: tuple[str, ...] = ()) -> tuple[Any, Path]:
    """`fhir-to-sdtm` of the bundled trial's Bundle with `observations` added, under NCT05016804: (result, out)."""
    out = tmp_path / "out"
    args = ["fhir-to-sdtm", str(_source(tmp_path, *observations)), "-o", str(out), "--study", "nct05016804", *options]
    return CliRunner().invoke(main, args), out


ALT = _observation(
    "alt",
    "laboratory",
    "1742-6",
    effectiveDateTime="2021-03-04T09:30:00Z",
    valueQuantity={"value": 61, "unit": "U/L", "system": "http://unitsofmeasure.org", "code": "U/L"},
    referenceRange=[{"low": {"value": 7}, "high": {"value": 56}}],
    interpretation=[{"coding": [{"code": "H"}]}],
)
WEIGHT = _observation(
    "weight",
    "vital-signs",
    "29463-7",
    effectivePeriod={"start": "2021-03-04"},
    valueQuantity={"value": 71.5, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"},
)
TEMP = _observation(
    "temp",
    "vital-signs",
    "8310-5",
    effectiveDateTime="2021-03-04",
    valueQuantity={"value": 37.1, "unit": "Cel", "system": "http://unitsofmeasure.org", "code": "Cel"},
    interpretation=[{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                                 "code": "N"}]}],
)  # fmt: skip
GLUCOSE = _observation(
    "gluc",
    "laboratory",
    "2345-7",
    effectiveDateTime="2021-03-04",
    valueQuantity={"value": 99, "unit": "mg/dL", "system": "http://unitsofmeasure.org", "code": "mg/dL"},
    interpretation=[{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                                 "code": "L"}]}],
)  # fmt: skip
GCS = _observation("gcs", "vital-signs", "9269-2", valueQuantity={"value": 15, "code": "{score}"})  # not in loinc.csv


def test_vital_signs_and_laboratory_observations_become_vs_and_lb(tmp_path: Path) -> None:
    report = tmp_path / "coverage.json"
    result, out = _convert(tmp_path, ALT, WEIGHT, TEMP, GLUCOSE, options=("--report", str(report)))
    assert result.exit_code == 0, result.output
    lb, _ = pyreadstat.read_xport(str(out / "lb.xpt"))
    columns = ["USUBJID", "LBTESTCD", "LBTEST", "LBORRES", "LBORRESU", "LBORNRLO", "LBORNRHI", "LBNRIND", "LBSPEC",
               "LBDTC"]  # fmt: skip
    assert lb[columns].to_dict("records") == [
        {"USUBJID": "NCT05016804-01-101", "LBTESTCD": "ALT", "LBTEST": "Alanine Aminotransferase", "LBORRES": "61",
         "LBORRESU": "U/L", "LBORNRLO": "7", "LBORNRHI": "56", "LBNRIND": "HIGH", "LBSPEC": "SERUM OR PLASMA",
         "LBDTC": "2021-03-04T09:30"},
        {"USUBJID": "NCT05016804-01-101", "LBTESTCD": "GLUC", "LBTEST": "Glucose", "LBORRES": "99",
         "LBORRESU": "mg/dL", "LBORNRLO": "", "LBORNRHI": "", "LBNRIND": "LOW", "LBSPEC": "SERUM OR PLASMA",
         "LBDTC": "2021-03-04"},
    ]  # fmt: skip
    vs, _ = pyreadstat.read_xport(str(out / "vs.xpt"))
    assert vs[["VSTESTCD", "VSTEST", "VSORRES", "VSORRESU", "VSSTRESN", "VSDTC"]].to_dict("records") == [
        {"VSTESTCD": "TEMP", "VSTEST": "Temperature", "VSORRES": "37.1", "VSORRESU": "C", "VSSTRESN": 37.1,
         "VSDTC": "2021-03-04"},
        {"VSTESTCD": "WEIGHT", "VSTEST": "Weight", "VSORRES": "71.5", "VSORRESU": "kg", "VSSTRESN": 71.5,
         "VSDTC": "2021-03-04"},
    ]  # fmt: skip
    assert "Observation.referenceRange: VS has no reference range variables (SDTMIG 3.4)" in result.output
    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["resources"]["Observation"]["mapped"] == {"LB": 2, "VS": 2}
    # ALT's and glucose's interpretations give LBNRIND; the temperature's has no VS variable: 1 of 3 not mapped
    assert document["resources"]["Observation"]["elements"]["interpretation"] == {
        "count": 3, "mapped_to": "LB.LBNRIND (HL7 v3 ObservationInterpretation; VS has no NRIND: warning)",
        "not_mapped": {"VS has no reference range variables (SDTMIG 3.4)": 1},
    }  # fmt: skip
    assert document["totals"]["element_occurrences_not_mapped"] == 1
    define = (out / "define.xml").read_text(encoding="utf-8")
    assert 'OID="IG.LB"' in define and 'OID="IG.VS"' in define


def test_an_unknown_loinc_code_is_listed_and_refused_in_strict_mode(tmp_path: Path) -> None:
    source = _source(tmp_path, WEIGHT, GCS)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["fhir-to-sdtm", str(source), "-o", str(out), "--study", "nct05016804"])
    assert result.exit_code == 2, result.output
    assert "FHIR input refused (1 Observation(s) not mapped" in result.output
    assert "Observation.code: 1 Observation(s) coded http://loinc.org|9269-2: not mapped" in result.output
    assert not out.exists()
    loose = CliRunner().invoke(main, ["fhir-to-sdtm", str(source), "-o", str(out), "--study", "nct05016804",
                                      "--no-strict", "--no-define"])  # fmt: skip
    assert loose.exit_code == 0, loose.output
    vs, _ = pyreadstat.read_xport(str(out / "vs.xpt"))
    assert vs["VSTESTCD"].tolist() == ["WEIGHT"]


def _quantity(value: float, code: str) -> dict[str, Any]:
    return {"valueQuantity": {"value": value, "system": "http://unitsofmeasure.org", "code": code}}


def test_the_rest_of_the_fhir_vital_signs_value_set_becomes_vs(tmp_path: Path) -> None:
    """BMI, mean blood pressure, head circumference and oxygen saturation (FHIR R4 observation-vitalsignresult)."""
    observations = [
        _observation("bmi", "vital-signs", "39156-5", effectiveDateTime="2021-03-04", **_quantity(24.2, "kg/m2")),
        _observation("map", "vital-signs", "8478-0", effectiveDateTime="2021-03-04", **_quantity(92, "mm[Hg]")),
        _observation("head", "vital-signs", "9843-4", effectiveDateTime="2021-03-04", **_quantity(56.5, "cm")),
        _observation("spo2", "vital-signs", "2708-6", effectiveDateTime="2021-03-04", **_quantity(97, "%")),
    ]
    result, out = _convert(tmp_path, *observations)
    assert result.exit_code == 0, result.output
    vs, _ = pyreadstat.read_xport(str(out / "vs.xpt"))
    assert vs[["VSTESTCD", "VSORRES", "VSORRESU"]].to_dict("records") == [
        {"VSTESTCD": "BMI", "VSORRES": "24.2", "VSORRESU": "kg/m2"},
        {"VSTESTCD": "HDCIRC", "VSORRES": "56.5", "VSORRESU": "cm"},
        {"VSTESTCD": "MAP", "VSORRES": "92", "VSORRESU": "mmHg"},
        {"VSTESTCD": "OXYSAT", "VSORRES": "97", "VSORRESU": "%"},
    ]


BLOOD_PRESSURE = _observation(
    "bp",
    "vital-signs",
    "85354-9",
    effectiveDateTime="2021-03-05T08:15:00+01:00",
    component=[
        {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
         "valueQuantity": {"value": 128, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}},
        {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
         "valueQuantity": {"value": 84, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}},
    ],
)  # fmt: skip


def test_a_blood_pressure_panel_gives_one_record_per_component(tmp_path: Path) -> None:
    report = tmp_path / "coverage.json"
    result, out = _convert(tmp_path, BLOOD_PRESSURE, options=("--no-define", "--report", str(report)))
    assert result.exit_code == 0, result.output
    vs, _ = pyreadstat.read_xport(str(out / "vs.xpt"))
    assert vs[["VSTESTCD", "VSTEST", "VSORRES", "VSORRESU", "VSDTC"]].to_dict("records") == [
        {"VSTESTCD": "DIABP", "VSTEST": "Diastolic Blood Pressure", "VSORRES": "84", "VSORRESU": "mmHg",
         "VSDTC": "2021-03-05T08:15"},
        {"VSTESTCD": "SYSBP", "VSTEST": "Systolic Blood Pressure", "VSORRES": "128", "VSORRESU": "mmHg",
         "VSDTC": "2021-03-05T08:15"},
    ]  # fmt: skip
    assert json.loads(report.read_text(encoding="utf-8"))["resources"]["Observation"]["mapped"] == {"VS": 1}


def test_a_panel_with_a_component_nothing_maps_is_listed_whole(tmp_path: Path) -> None:
    panel = json.loads(json.dumps(BLOOD_PRESSURE))
    panel["component"][1]["code"]["coding"][0]["code"] = "8459-0"  # systolic BP sitting: not in mappings/loinc.csv
    result = CliRunner().invoke(
        main, ["fhir-to-sdtm", str(_source(tmp_path, panel)), "-o", str(tmp_path / "o"), "--study", "nct05016804"]
    )
    assert result.exit_code == 2, result.output
    assert "Observation.code: 1 Observation(s) coded http://loinc.org|85354-9: not mapped" in result.output


def test_per_minute_rates_take_the_unit_of_their_test(tmp_path: Path) -> None:
    """UCUM `/min` is a UNIT term but not in VSRESU: a heart rate is in beats/min, a respiratory rate in breaths/min
    (mappings/fhir-in/ucum-unit.csv rows for LOINC 8867-4 and 9279-1)."""
    per_minute = {"system": "http://unitsofmeasure.org", "code": "/min"}
    heart = _observation("hr", "vital-signs", "8867-4", effectiveDateTime="2021-03-04",
                         valueQuantity={"value": 44, "unit": "beats/minute", **per_minute})  # fmt: skip
    breath = _observation("rr", "vital-signs", "9279-1", effectiveDateTime="2021-03-04",
                          valueQuantity={"value": 16, "unit": "breaths/minute", **per_minute})  # fmt: skip
    result, out = _convert(tmp_path, heart, breath, options=("--no-define",))
    assert result.exit_code == 0, result.output
    vs, _ = pyreadstat.read_xport(str(out / "vs.xpt"))
    assert vs[["VSTESTCD", "VSTEST", "VSORRES", "VSORRESU", "VSSTRESU"]].to_dict("records") == [
        {"VSTESTCD": "PULSE", "VSTEST": "Pulse Rate", "VSORRES": "44", "VSORRESU": "beats/min",
         "VSSTRESU": "beats/min"},
        {"VSTESTCD": "RESP", "VSTEST": "Respiratory Rate", "VSORRES": "16", "VSORRESU": "breaths/min",
         "VSSTRESU": "breaths/min"},
    ]  # fmt: skip
    assert "has no CDISC UNIT term" not in result.output

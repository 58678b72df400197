"""FHIR input without the sponsor extensions (the audit's cases, each removed from the R4 bundle of the fixtures):
every fact either maps from standard elements, stops with exit 2 naming resource and element, or proceeds with a
WARNING saying what was assumed; `--study study.json` gives the registry record back. Never a traceback."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from trialinterop.cli import main
from trialinterop.ct import load_terminology
from trialinterop.fhir import sponsor
from trialinterop.fhir.emit import write_fhir
from trialinterop.fhir_in import read_fhir_trial
from trialinterop.fhir_in.arms import R4_LINK_ID
from trialinterop.sdtm.build import build_sdtm
from trialinterop.source.models import TrialRecords
from trialinterop.source.reader import read_records

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "records"
STUDY = FIXTURES / "study.json"


@pytest.fixture(scope="module")
def records() -> TrialRecords:
    return read_records(FIXTURES)


@pytest.fixture(scope="module")
def bundles(records: TrialRecords, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("bundles")
    found = {}
    for version in ("R4", "R5"):
        write_fhir(records, folder / f"{version}.json", version=version, form="transaction")
        found[version] = json.loads((folder / f"{version}.json").read_text(encoding="utf-8"))
    return found


def _without(bundle: dict[str, Any], url: str) -> dict[str, Any]:
    """A copy of `bundle` with every extension `url` removed, wherever it sits."""
    stripped = copy.deepcopy(bundle)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("extension"), list):
                node["extension"] = [e for e in node["extension"] if e.get("url") != url]
                if not node["extension"]:
                    del node["extension"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(stripped)
    return stripped


def _write(folder: Path, bundle: dict[str, Any], name: str = "input.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def _run(source: Path, out: Path, *extra: str) -> Any:
    return CliRunner().invoke(main, ["fhir-to-sdtm", str(source), "-o", str(out), "--no-define", *extra])


def _sdtm(source: Path, **kwargs: Any) -> dict[str, pd.DataFrame]:
    return build_sdtm(read_fhir_trial(source, **kwargs).records, load_terminology())


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


@pytest.mark.parametrize("version", ["R4", "R5"])
def test_our_own_output_needs_no_fallback(tmp_path: Path, bundles: dict, records: TrialRecords, version: str) -> None:
    trial = read_fhir_trial(_write(tmp_path, bundles[version]))
    assert trial.warnings == ()
    assert trial.records == records


# --- arm --------------------------------------------------------------------------------------------------------------
def test_r4_arm_without_code_is_refused_naming_the_arm(tmp_path: Path, bundles: dict) -> None:
    source = _write(tmp_path, _without(bundles["R4"], sponsor.ARM))
    out = tmp_path / "out"
    result = _run(source, out)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and not out.exists()
    assert "(ResearchStudy/" in result.output
    assert (
        "ResearchStudy.arm[0]: arm 'AlloRx UC-MSC 100 million cells IV' has no arm code (ARMCD): an R4 arm has only "
        "a name" in result.output
    )
    assert "or give the registry record with --study study.json" in result.output


def test_r4_arm_without_code_converts_with_study(tmp_path: Path, bundles: dict, records: TrialRecords) -> None:
    """ResearchSubject.assignedArm/actualArm (the arm's name) match the study.json arm ALLORX by its label."""
    source = _write(tmp_path, _without(bundles["R4"], sponsor.ARM))
    trial = read_fhir_trial(source, study=STUDY)
    assert trial.records == records
    assert trial.warnings == ()
    result = _run(source, tmp_path / "out", "--study", str(STUDY))
    assert result.exit_code == 0, result.output
    dm = _sdtm(source, study=STUDY)["DM"]
    assert dm["ACTARMCD"].value_counts().to_dict() == {"ALLORX": 18}
    assert set(dm["ARM"].dropna()) == {"AlloRx UC-MSC 100 million cells IV"}


def test_r4_arm_code_from_the_cross_version_link_id(tmp_path: Path, bundles: dict) -> None:
    bundle = _without(bundles["R4"], sponsor.ARM)
    (study,) = [s for s in _resources(bundle, "ResearchStudy") if "arm" in s]
    study["arm"][0]["extension"] = [{"url": R4_LINK_ID, "valueId": "ALLORX"}]
    trial = read_fhir_trial(_write(tmp_path, bundle))
    assert [(a.code, a.interventions) for a in trial.records.study.arms] == [("ALLORX", ("ALLORX", "TCV"))]
    (warning,) = trial.warnings
    assert warning.field == "ResearchStudy.arm[0]"
    assert warning.message == "arm ALLORX names no interventions: assumed all study interventions ['ALLORX', 'TCV']"


def test_subject_arm_that_is_no_study_arm_is_refused(tmp_path: Path, bundles: dict) -> None:
    bundle = copy.deepcopy(bundles["R4"])
    subject = next(s for s in _resources(bundle, "ResearchSubject") if "assignedArm" in s)
    subject["assignedArm"] = "Placebo"
    result = _run(_write(tmp_path, bundle), tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert (
        "ResearchSubject.assignedArm: 'Placebo' is none of the study's arms by code or name "
        "(arms: ALLORX (AlloRx UC-MSC 100 million cells IV))" in result.output
    )


# --- intervention -----------------------------------------------------------------------------------------------------
def test_intervention_without_registry_facts_is_still_the_infusion(tmp_path: Path, bundles: dict) -> None:
    source = _write(tmp_path, _without(bundles["R4"], sponsor.INTERVENTION))
    result = _run(source, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert (
        "Medication.extension(https://fomr.example.org/fhir/StructureDefinition/intervention): intervention ALLORX "
        "has no registry facts: treatment name (EXTRT) assumed 'ALLORX' (the name in upper case), type assumed "
        "DRUG; planned dose, dose unit, route, frequency, population and description unknown; give the registry "
        "record with --study study.json" in result.output
    )
    assert "intervention TCV has no registry facts: treatment name (EXTRT) assumed 'AUTOLOGOUS T-CELL VACCINE'" in (
        result.output
    )
    sdtm = _sdtm(source)
    assert len(sdtm["SE"]) == 56
    assert sorted(set(sdtm["EX"]["EXTRT"])) == ["ALLORX", "AUTOLOGOUS T-CELL VACCINE"]
    assert sdtm["DM"]["ACTARMCD"].value_counts().to_dict() == {"ALLORX": 18}
    assert sdtm["AE"]["EPOCH"].value_counts().to_dict() == {"FOLLOW-UP": 32, "TREATMENT": 17}


def test_intervention_without_registry_facts_with_study_equals_the_records(
    tmp_path: Path, bundles: dict, records: TrialRecords
) -> None:
    trial = read_fhir_trial(_write(tmp_path, _without(bundles["R4"], sponsor.INTERVENTION)), study=STUDY)
    assert trial.records == records and trial.warnings == ()


@pytest.mark.parametrize(
    "concept",
    [{"text": "AlloRx"}, {"coding": [{"system": "http://example.org/products", "code": "ALLORX"}]}],
)
def test_administration_coded_inline_matches_the_intervention(tmp_path: Path, bundles: dict, concept: dict) -> None:
    bundle = copy.deepcopy(bundles["R4"])
    for given in _resources(bundle, "MedicationAdministration"):
        if given["identifier"][0]["value"].split("/")[1] == "ALLORX":
            del given["medicationReference"]
            given["medicationCodeableConcept"] = concept
    exposures = read_fhir_trial(_write(tmp_path, bundle)).records.exposures
    assert {e.treatment for e in exposures} == {"ALLORX", "AUTOLOGOUS T-CELL VACCINE"}
    assert [e.lot for e in exposures if e.treatment == "ALLORX"] == [None] * 18


def test_administration_of_something_else_is_refused(tmp_path: Path, bundles: dict) -> None:
    bundle = copy.deepcopy(bundles["R4"])
    given = _resources(bundle, "MedicationAdministration")[0]
    del given["medicationReference"]
    given["medicationCodeableConcept"] = {"text": "Aspirin"}
    result = _run(_write(tmp_path, bundle), tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert (
        "MedicationAdministration.medicationCodeableConcept: 'Aspirin' matches none of the study's interventions by "
        "code or name (interventions: ALLORX (AlloRx), TCV (Autologous T-cell vaccine))" in result.output
    )


# --- disposition ------------------------------------------------------------------------------------------------------
def test_r4_disposition_without_reason_is_assumed_from_the_state_with_a_warning(tmp_path: Path, bundles: dict) -> None:
    source = _write(tmp_path, _without(bundles["R4"], sponsor.DISPOSITION))
    result = _run(source, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert (
        "ResearchSubject.status: subject 01-005: no reason for leaving the study (no sponsor disposition extension): "
        "DSDECOD assumed WITHDRAWAL BY SUBJECT from state 'withdrawn', DSTERM 'Withdrawal by subject', no last "
        "contact date" in result.output
    )
    assert result.output.count("WARNING FHIR-IN") == 10
    ds = _sdtm(source)["DS"]
    events = ds[ds["DSCAT"] == "DISPOSITION EVENT"].set_index("USUBJID")["DSDECOD"].to_dict()
    assert events == {
        "NCT05016804-01-001": "COMPLETED",
        "NCT05016804-01-002": "COMPLETED",
        "NCT05016804-01-005": "WITHDRAWAL BY SUBJECT",
        "NCT05016804-01-007": "WITHDRAWAL BY SUBJECT",
        "NCT05016804-01-009": "SCREEN FAILURE",
        "NCT05016804-01-011": "WITHDRAWAL BY SUBJECT",
        "NCT05016804-02-001": "COMPLETED",
        "NCT05016804-02-002": "DEATH",  # Patient.deceasedDateTime on the end date
        "NCT05016804-02-003": "COMPLETED",
        "NCT05016804-02-007": "SCREEN FAILURE",
    }


def test_r5_disposition_reads_the_coded_progress_reason(tmp_path: Path, bundles: dict, records: TrialRecords) -> None:
    source = _write(tmp_path, _without(bundles["R5"], sponsor.DISPOSITION))
    trial = read_fhir_trial(source)
    assert trial.warnings == ()
    events = {d.subject_id: (d.event, d.term) for d in trial.records.dispositions}
    assert events["01-005"] == ("LOST TO FOLLOW-UP", "Lost to follow-up after repeated contact attempts")
    assert events["01-011"] == ("ADVERSE EVENT", "Withdrawn because of worsening Raynaud's phenomenon")


# --- planned visits ---------------------------------------------------------------------------------------------------
def test_visit_timing_from_timing_range_and_ascii_start_rules(tmp_path: Path, bundles: dict) -> None:
    source = _write(tmp_path, _without(bundles["R4"], sponsor.PLANNED_VISIT))
    result = _run(source, tmp_path / "out")
    assert result.exit_code == 0, result.output
    tv = _sdtm(source)["TV"]
    assert tv["VISITDY"].fillna(-1).tolist() == [-1, 1, 31, 181, 366, 731, 1096, 1461]  # -1: none (screening)
    assert tv["TVSTRL"].tolist() == [
        "Within 1 month before the MSC infusion; window +/-30 days",
        "Day of the MSC infusion; window +/-0 days",
        "1 month after the MSC infusion; window +/-7 days",
        "6 months after the MSC infusion; window +/-14 days",
        "12 months after the MSC infusion; window +/-30 days",
        "24 months after the MSC infusion; window +/-30 days",
        "36 months after the MSC infusion; window +/-30 days",
        "48 months after the MSC infusion; window +/-30 days",
    ]
    visits = read_fhir_trial(source).records.study.visits
    assert [(v.planned_day, v.window_days) for v in visits[1:4]] == [(1, 0), (31, 7), (181, 14)]


def test_visit_rule_from_timing_when_there_is_no_text(tmp_path: Path, bundles: dict) -> None:
    bundle = _without(bundles["R4"], sponsor.PLANNED_VISIT)
    (plan,) = _resources(bundle, "PlanDefinition")
    del plan["action"][2]["description"]
    visits = read_fhir_trial(_write(tmp_path, bundle)).records.study.visits
    assert visits[2].start_rule == "Study day 24 to 38"


def test_other_non_ascii_in_a_visit_rule_is_refused(tmp_path: Path, bundles: dict) -> None:
    bundle = _without(bundles["R4"], sponsor.PLANNED_VISIT)
    (plan,) = _resources(bundle, "PlanDefinition")
    plan["action"][2]["description"] = "1 month after the MSC infusion \u2013 window \u00b17 days"
    result = _run(_write(tmp_path, bundle), tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert "(PlanDefinition/" in result.output
    assert (
        "PlanDefinition.action[2].description: non-ASCII character '\u2013' (U+2013) at position 32: SDTM text must "
        "be ASCII (XPT v5); only '\u00b1' is transliterated ('+/-')" in result.output
    )


# --- registry record --------------------------------------------------------------------------------------------------
def test_registry_record_missing_from_our_bundle_is_reported(tmp_path: Path, bundles: dict) -> None:
    trial = read_fhir_trial(_write(tmp_path, _without(bundles["R4"], sponsor.REGISTRY_RECORD)))
    (warning,) = trial.warnings
    assert warning.message == (
        "registry facts not in the input: assumed official_title = ResearchStudy.title, sex = ALL, "
        "healthy_volunteers = false; unknown: brief_summary, phase, minimum_age, maximum_age, data_cutoff_date, "
        "data_cutoff_description; give the registry record with --study study.json"
    )
    assert trial.records.study.study_type == "INTERVENTIONAL"  # ResearchStudy.category


def test_study_of_another_trial_is_refused(tmp_path: Path, bundles: dict) -> None:
    other = json.loads(STUDY.read_text(encoding="utf-8")) | {"study_id": "NCT00000001", "nct_id": "NCT00000001"}
    study = tmp_path / "other-study.json"
    study.write_text(json.dumps(other), encoding="utf-8")
    result = _run(_write(tmp_path, bundles["R4"]), tmp_path / "out", "--study", str(study))
    assert result.exit_code == 2, result.output
    assert (
        "ResearchStudy.identifier: the input's study (NCT05016804) is not the study of --study other-study.json "
        "(STUDYID NCT00000001, NCT number NCT00000001)" in result.output
    )

"""FHIR input without the sponsor extensions (the audit's cases, each removed from the R4 bundle of the fixtures):
every fact either maps from standard elements, stops with exit 2 naming resource and element, or proceeds with a
WARNING saying what was assumed; `--study` (a study definition) gives the study back. Without it the definition is
rebuilt from the input, which has no instruments: every findings Observation is not mapped (exit 2, or warnings with
--no-strict). Never a traceback."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from round_trip_support import canonical
from trialinterop.cli import main
from trialinterop.ct import load_terminology
from trialinterop.errors import InputError
from trialinterop.fhir import sponsor
from trialinterop.fhir.emit import write_fhir
from trialinterop.fhir_in import read_fhir_trial
from trialinterop.fhir_in.arms import R4_LINK_ID
from trialinterop.fhir_in.unmapped import RULE as UNMAPPED
from trialinterop.sdtm.build import build_sdtm
from trialinterop.source.models import TrialRecords
from trialinterop.source.reader import read_records

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures" / "records"
STUDY = "NCT05016804"
"""The bundled study definition, by its id (mappings/studies/nct05016804.yaml)."""
DEFINITION = REPO / "mappings" / "studies" / "nct05016804.yaml"


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


def _without(bundle: dict[str, Any], name: str) -> dict[str, Any]:
    """A copy of `bundle` with every sponsor extension `name` removed, wherever it sits."""
    stripped = copy.deepcopy(bundle)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("extension"), list):
                node["extension"] = [e for e in node["extension"] if not sponsor.is_extension(e.get("url"), name)]
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


def _lenient(source: Path) -> Any:
    """`read_fhir_trial` without a definition, findings left out (--no-strict)."""
    return read_fhir_trial(source, strict=False)


def _fallbacks(trial: Any) -> list[Any]:
    """The warnings of a trial other than the not-mapped Observations."""
    return [w for w in trial.warnings if w.rule != UNMAPPED]


@pytest.mark.parametrize("version", ["R4", "R5"])
@pytest.mark.parametrize("study", [STUDY, DEFINITION])
def test_our_own_output_needs_no_fallback(
    tmp_path: Path, bundles: dict, records: TrialRecords, version: str, study: Any
) -> None:
    trial = read_fhir_trial(_write(tmp_path, bundles[version]), study=study)
    assert trial.warnings == ()
    assert canonical(trial.records) == canonical(records)


def test_without_study_the_findings_are_not_mapped_and_the_run_refused(tmp_path: Path, bundles: dict) -> None:
    out = tmp_path / "out"
    result = _run(_write(tmp_path, bundles["R4"]), out)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and not out.exists()
    assert (
        "error: FHIR input refused (1840 Observation(s) not mapped (give --study, or use --no-strict to convert "
        "without them)): 21 problem(s)" in result.output
    )
    assert (
        "Observation.code: 92 Observation(s) coded http://loinc.org|19868-9 (Forced Vital Capacity): not mapped"
        in result.output
    )
    assert (
        "ERROR FHIR-IN-UNMAPPED : 1840 Observation(s) not mapped: the study definition rebuilt from FHIR has no "
        "instruments (FHIR does not carry them): give --study (a definition file or a bundled study id: "
        "NCT05016804, XANAD01)" in result.output
    )


def test_without_study_no_strict_keeps_everything_else(tmp_path: Path, bundles: dict, records: TrialRecords) -> None:
    trial = _lenient(_write(tmp_path, bundles["R4"]))
    assert _fallbacks(trial) == []
    assert len(trial.warnings) == 21 and trial.warnings[-1].message.startswith("1840 Observation(s) not mapped")
    back = trial.records
    assert back.findings == ()
    assert back.definition.instruments == () and back.definition.elements == ()
    for table in ("subjects", "exposures", "adverse_events", "visits", "dispositions", "eligibility"):
        assert getattr(back, table) == getattr(records, table), table
    rebuilt, bundled = back.definition, records.definition
    assert rebuilt.study == bundled.study and rebuilt.eligibility == bundled.eligibility
    assert rebuilt.visits == bundled.visits
    assert [(a.name, a.values) for a in rebuilt.subjects.attributes] == [
        ("severity_group", ("NON-SEVERE", "SEVERE")),
        ("methotrexate", ("N", "Y")),
    ]
    (vaccine,) = [i for i in rebuilt.interventions if i.code == "TCV"]
    assert (vaccine.preceded_by, vaccine.preceded_by_snomed) == ("Apheresis", "127788007")


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
    assert "or give the study definition with --study" in result.output


def test_r4_arm_without_code_converts_with_study(tmp_path: Path, bundles: dict, records: TrialRecords) -> None:
    """ResearchSubject.assignedArm/actualArm (the arm's name) match the definition's arm ALLORX by its name."""
    source = _write(tmp_path, _without(bundles["R4"], sponsor.ARM))
    trial = read_fhir_trial(source, study=STUDY)
    assert canonical(trial.records) == canonical(records)
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
    trial = _lenient(_write(tmp_path, bundle))
    assert [(a.code, a.interventions) for a in trial.records.study.arms] == [("ALLORX", ("ALLORX", "TCV"))]
    (warning,) = _fallbacks(trial)
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
    trial = _lenient(_write(tmp_path, _without(bundles["R4"], sponsor.INTERVENTION)))
    messages = [w.render() for w in _fallbacks(trial)]
    assert (
        "Medication.extension(intervention): intervention ALLORX has no registry facts: treatment name (EXTRT) "
        "assumed 'ALLORX' (the name in upper case), type assumed DRUG; planned dose, dose unit, route, frequency, "
        "population and description unknown; give the study definition with --study" in messages[0]
    )
    assert (
        "intervention TCV has no registry facts: treatment name (EXTRT) assumed 'AUTOLOGOUS T-CELL VACCINE'"
        in (messages[1])
    )
    records = trial.records
    assert sorted({e.treatment for e in records.exposures}) == ["ALLORX", "AUTOLOGOUS T-CELL VACCINE"]
    assert {(s.arm, s.actual_arm) for s in records.subjects} == {(None, None)}  # the only arm, treated: implicit


def test_intervention_without_registry_facts_with_study_equals_the_records(
    tmp_path: Path, bundles: dict, records: TrialRecords
) -> None:
    trial = read_fhir_trial(_write(tmp_path, _without(bundles["R4"], sponsor.INTERVENTION)), study=STUDY)
    assert canonical(trial.records) == canonical(records) and trial.warnings == ()


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
    exposures = read_fhir_trial(_write(tmp_path, bundle), study=STUDY).records.exposures
    assert {e.treatment for e in exposures} == {"ALLORX", "AUTOLOGOUS T-CELL VACCINE"}
    assert [e.lot for e in exposures if e.treatment == "ALLORX"] == [None] * 18


def test_administration_of_something_else_is_a_concomitant_medication(tmp_path: Path, bundles: dict) -> None:
    bundle = copy.deepcopy(bundles["R4"])
    given = _resources(bundle, "MedicationAdministration")[0]
    del given["medicationReference"]
    given["medicationCodeableConcept"] = {"text": "Aspirin"}
    subject = given["identifier"][0]["value"].split("/")[0]
    trial = read_fhir_trial(_write(tmp_path, bundle), study=STUDY)
    assert len(trial.records.exposures) == 24  # 25 in the fixtures: the aspirin is not a study intervention
    aspirin = [c for c in trial.records.medications if c.term == "Aspirin"]
    assert [(c.subject_id, c.term, c.ongoing) for c in aspirin] == [(subject, "Aspirin", None)]
    assert len(trial.records.medications) == 22
    assert trial.coverage.mapped["MedicationAdministration"] == {"EX": 24, "CM": 1}


@pytest.mark.parametrize("version", ["R4", "R5"])
def test_orders_and_statements_of_the_study_treatment_are_no_concomitant_medication(
    tmp_path: Path, bundles: dict, version: str
) -> None:
    bundle = copy.deepcopy(bundles[version])
    given = next(
        g
        for g in _resources(bundle, "MedicationAdministration")
        if g["identifier"][0]["value"].split("/")[1] == "ALLORX"
    )
    medication = given["medicationReference"] if version == "R4" else given["medication"]["reference"]
    request: dict[str, Any] = {"resourceType": "MedicationRequest", "id": "allorx-order", "status": "stopped",
                               "intent": "order", "subject": given["subject"]}  # fmt: skip
    statement: dict[str, Any] = {"resourceType": "MedicationStatement", "id": "allorx-report", "status": "completed",
                                 "subject": given["subject"]}  # fmt: skip
    if version == "R4":
        request["medicationReference"] = medication
        statement["medicationCodeableConcept"] = {"text": "AlloRx"}
    else:
        request["medication"] = {"reference": medication}
        statement["medication"] = {"concept": {"text": "AlloRx"}}
    for number, added in enumerate((request, statement)):
        bundle["entry"].append({"fullUrl": f"urn:uuid:00000000-0000-4000-8000-00000000000{number}", "resource": added,
                                "request": {"method": "POST", "url": added["resourceType"]}})  # fmt: skip
    trial = read_fhir_trial(_write(tmp_path, bundle), study=STUDY)
    assert len(trial.records.medications) == 21  # the fixtures' own, none added
    assert len(trial.records.exposures) == 25
    reason = "names a study intervention: an order or a report of the study treatment is no concomitant medication"
    reason += " (CM), and EX is read from MedicationAdministrations"
    assert trial.coverage.not_mapped["MedicationRequest"] == {reason: 1}
    assert trial.coverage.not_mapped["MedicationStatement"] == {reason: 1}
    assert trial.coverage.mapped["MedicationStatement"] == {"CM": 21}


# --- disposition ------------------------------------------------------------------------------------------------------
def test_r4_disposition_without_reason_is_assumed_from_the_state_with_a_warning(tmp_path: Path, bundles: dict) -> None:
    source = _write(tmp_path, _without(bundles["R4"], sponsor.DISPOSITION))
    result = _run(source, tmp_path / "out", "--study", STUDY)
    assert result.exit_code == 0, result.output
    assert (
        "ResearchSubject.status: subject 01-005: no reason for leaving the study (no sponsor disposition extension): "
        "DSDECOD assumed WITHDRAWAL BY SUBJECT from state 'withdrawn', DSTERM 'Withdrawal by subject', no last "
        "contact date" in result.output
    )
    assert result.output.count("WARNING FHIR-IN") == 10
    ds = _sdtm(source, study=STUDY)["DS"]
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
    trial = read_fhir_trial(source, study=STUDY)
    assert trial.warnings == ()
    events = {d.subject_id: (d.event, d.term) for d in trial.records.dispositions}
    assert events["01-005"] == ("LOST TO FOLLOW-UP", "Lost to follow-up after repeated contact attempts")
    assert events["01-011"] == ("ADVERSE EVENT", "Withdrawn because of worsening arthralgia")


# --- planned visits ---------------------------------------------------------------------------------------------------
def test_visit_timing_from_timing_range_and_ascii_start_rules(tmp_path: Path, bundles: dict) -> None:
    trial = _lenient(_write(tmp_path, _without(bundles["R4"], sponsor.PLANNED_VISIT)))
    visits = trial.records.study.visits
    assert [v.planned_day for v in visits] == [None, 1, 31, 181, 366, 731, 1096, 1461]  # none for screening
    assert [v.start_rule for v in visits] == [
        "Within 1 month before the MSC infusion; window -30/+0 days",
        "Day of the MSC infusion; window +/-0 days",
        "1 month after the MSC infusion; window +/-7 days",
        "6 months after the MSC infusion; window +/-14 days",
        "12 months after the MSC infusion; window +/-30 days",
        "24 months after the MSC infusion; window +/-30 days",
        "36 months after the MSC infusion; window +/-30 days",
        "48 months after the MSC infusion; window +/-30 days",
    ]
    planned = trial.records.definition.visits.planned
    assert [(v.planned_day, v.window_before, v.window_after) for v in planned[1:4]] == [
        (1, 0, 0),
        (31, 7, 7),
        (181, 14, 14),
    ]


def test_visit_rule_from_timing_when_there_is_no_text(tmp_path: Path, bundles: dict) -> None:
    bundle = _without(bundles["R4"], sponsor.PLANNED_VISIT)
    (plan,) = _resources(bundle, "PlanDefinition")
    del plan["action"][2]["description"]
    visits = _lenient(_write(tmp_path, bundle)).records.study.visits
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
    trial = _lenient(_write(tmp_path, _without(bundles["R4"], sponsor.REGISTRY_RECORD)))
    (warning,) = _fallbacks(trial)
    assert warning.message == (
        "registry facts not in the input: assumed official_title = ResearchStudy.title, sex = ALL, healthy_volunteers "
        "= false; unknown: brief_summary, phase, data_cutoff_date, data_cutoff_description, maximum_age; give the "
        "study definition with --study"
    )
    assert trial.records.study.study_type == "INTERVENTIONAL"  # ResearchStudy.category
    assert trial.records.study.minimum_age == "P18Y"  # the eligibility Group's Age characteristic


def test_study_of_another_trial_is_refused(tmp_path: Path, bundles: dict) -> None:
    text = DEFINITION.read_text(encoding="utf-8").replace("NCT05016804", "NCT00000001")
    study = tmp_path / "other-study.yaml"
    study.write_text(text, encoding="utf-8")
    result = _run(_write(tmp_path, bundles["R4"]), tmp_path / "out", "--study", str(study))
    assert result.exit_code == 2, result.output
    assert (
        "ResearchStudy.identifier: the input's study (NCT05016804) is not the study of --study other-study.yaml "
        "(STUDYID NCT00000001; registry ids NCT00000001)" in result.output
    )


def test_unknown_study_id_is_refused_naming_the_bundled_ones(tmp_path: Path, bundles: dict) -> None:
    result = _run(_write(tmp_path, bundles["R4"]), tmp_path / "out", "--study", "NCT99999999")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "no bundled study definition (bundled: NCT05016804, XANAD01)" in result.output


# --- concomitant medications and medical history from FHIR of elsewhere --------------------------------------------
def test_foreign_medication_statements_and_conditions_map_from_standard_elements(
    tmp_path: Path, bundles: dict, records: TrialRecords
) -> None:
    bundle = _without(_without(bundles["R4"], sponsor.CONCOMITANT_MEDICATION), sponsor.MEDICAL_HISTORY)
    statement = _resources(bundle, "MedicationStatement")[0]  # 01-001 cm 1, PARACETAMOL 500MG
    del statement["identifier"]
    statement["medicationCodeableConcept"] = {
        "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "198440",
                    "display": "acetaminophen 500 MG Oral Tablet"}]
    }  # fmt: skip
    conditions = _resources(bundle, "Condition")
    del conditions[0]["code"]  # 01-001 mh 1: no term at all
    coded = next(c for c in conditions if c.get("code", {}).get("coding"))  # 01-002 mh 2, MedDRA-coded
    assert coded["identifier"][0]["value"] == "01-002/2"
    del coded["code"]["text"]  # the MedDRA display only
    trial = read_fhir_trial(_write(tmp_path, bundle), study=STUDY, strict=False)
    (renumbered,) = [w for w in _fallbacks(trial) if w.field == "MedicationStatement.identifier"]
    assert renumbered.message == "no identifier: number assumed 3 (input order)"
    unmapped = [w.message for w in trial.warnings if w.rule == UNMAPPED]
    assert unmapped[0] == "1 Condition(s) coded (no code): not mapped"
    assert unmapped[-1].startswith("1 Condition(s) not mapped: their codes match no test")
    medication = next(c for c in trial.records.medications if (c.subject_id, c.cm_id) == ("01-001", 3))
    assert (medication.term, medication.decoded, medication.atc_class) == (
        "acetaminophen 500 MG Oral Tablet", "acetaminophen 500 MG Oral Tablet", None
    )  # fmt: skip
    assert (medication.dose, medication.route, medication.frequency, medication.ongoing) == (500.0, "ORAL", "PRN", "N")
    history = {(h.subject_id, h.mh_id): h for h in trial.records.medical_history}
    assert ("01-001", 1) not in history and len(history) == len(records.medical_history) - 1
    assert (history["01-002", 2].term, history["01-002", 2].body_system) == ("Hypercholesterolaemia", None)
    with pytest.raises(InputError, match=r"1 Condition\(s\) not mapped"):
        read_fhir_trial(_write(tmp_path, bundle, "strict.json"), study=STUDY)


def test_condition_an_adverse_event_resulted_in_is_no_medical_history(tmp_path: Path, bundles: dict) -> None:
    bundle = copy.deepcopy(bundles["R4"])
    event = _resources(bundle, "AdverseEvent")[0]
    entry = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition")
    event["resultingCondition"] = [{"reference": entry["fullUrl"]}]
    trial = read_fhir_trial(_write(tmp_path, bundle), study=STUDY)
    assert len(trial.records.medical_history) == len(_resources(bundle, "Condition")) - 1

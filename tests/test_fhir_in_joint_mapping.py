"""A hand-written R4 bundle shaped like the HL7 FHIR-to-CDISC Joint Mapping IG
(tests/data/fhir/joint-mapping-ig-r4.json: study and site ResearchStudy, Patient, ResearchSubject, AdverseEvent with
its Condition; no sponsor extension) is refused without a study definition (it lacks the registry facts) and converts
with `--study` (the bundled definition, by id or file) to DM and AE as the IG maps them."""

from __future__ import annotations

from pathlib import Path

import pyreadstat
import pytest
from click.testing import CliRunner

from trialinterop.cli import main
from trialinterop.inputs import load_trial

REPO = Path(__file__).resolve().parents[1]
BUNDLE = REPO / "tests" / "data" / "fhir" / "joint-mapping-ig-r4.json"
STUDY = REPO / "mappings" / "studies" / "nct05016804.yaml"


def test_without_the_registry_record_it_is_refused_pointing_to_study(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["fhir-to-sdtm", str(BUNDLE), "-o", str(out), "--no-define"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and not out.exists()
    assert (
        "joint-mapping-ig-r4.json entry[0] (ResearchStudy/nct05016804) PlanDefinition.extension(registry-record): "
        "registry facts study_type, allocation, intervention_model, masking, primary_purpose not found: the input has "
        "no registry record (no sponsor registry-record extension on a protocol PlanDefinition), and no standard "
        "element gives them; give the study definition with --study" in result.output
    )


@pytest.fixture(scope="module", params=["file", "bundled id"])
def package(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("ig") / "sdtm"
    study = str(STUDY) if request.param == "file" else "nct05016804"
    result = CliRunner().invoke(main, ["fhir-to-sdtm", str(BUNDLE), "-o", str(out), "--no-define", "--study", study])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_dm_follows_the_joint_mapping_ig(package: tuple[Path, str]) -> None:
    dm, _ = pyreadstat.read_xport(str(package[0] / "dm.xpt"))
    columns = ["STUDYID", "USUBJID", "SUBJID", "SITEID", "BRTHDTC", "SEX", "RFICDTC", "DTHDTC", "DTHFL", "COUNTRY"]
    assert dm[columns].to_dict("records") == [
        {
            "STUDYID": "NCT05016804",  # the parent ResearchStudy's identifier
            "USUBJID": "NCT05016804-01-101",
            "SUBJID": "01-101",  # ResearchSubject.identifier (not the Patient's MRN)
            "SITEID": "01",  # the site-level ResearchStudy's identifier
            "BRTHDTC": "1961-04-17",  # Patient.birthDate
            "SEX": "F",
            "RFICDTC": "2023-02-01",
            "DTHDTC": "",
            "DTHFL": "",
            "COUNTRY": "ATG",  # the site's, from the study definition
        },
        {
            "STUDYID": "NCT05016804",
            "USUBJID": "NCT05016804-01-102",
            "SUBJID": "01-102",
            "SITEID": "01",
            "BRTHDTC": "1958",
            "SEX": "M",
            "RFICDTC": "2023-01-15",
            "DTHDTC": "2023-05-20",  # Patient.deceasedDateTime
            "DTHFL": "Y",
            "COUNTRY": "ATG",
        },
    ]
    assert dm["AGE"].tolist()[0] == 61
    assert dm["ARMCD"].tolist() == ["ALLORX", "ALLORX"]
    assert dm["ARMNRS"].tolist() == ["ASSIGNED, NOT TREATED", "ASSIGNED, NOT TREATED"]


def test_ae_follows_the_joint_mapping_ig(package: tuple[Path, str]) -> None:
    ae, _ = pyreadstat.read_xport(str(package[0] / "ae.xpt"))
    columns = [
        "USUBJID", "AESPID", "AETERM", "AEDECOD", "AEPTCD", "AESTDTC", "AEENDTC", "AESEV", "AESER", "AESDTH",
        "AEREL", "AEACN", "AEOUT",
    ]  # fmt: skip
    assert ae[columns].to_dict("records") == [
        {
            "USUBJID": "NCT05016804-01-101",
            "AESPID": "1",  # the number ending AdverseEvent.identifier 'AE-0001'
            "AETERM": "Headache after screening visit",  # resultingCondition -> Condition.code.text
            "AEDECOD": "Headache",  # its MedDRA coding
            "AEPTCD": 10019211.0,
            "AESTDTC": "2023-03-10",  # AdverseEvent.date
            "AEENDTC": "2023-03-14",  # the R5 occurrence cross-version extension
            "AESEV": "MODERATE",  # R4 core severity
            "AESER": "N",  # R4 core seriousness 'Non-serious'
            "AESDTH": "",
            "AEREL": "POSSIBLY RELATED",  # suspectEntity.causality.productRelatedness
            "AEACN": "DOSE NOT CHANGED",  # the R5 mitigatingAction cross-version extension
            "AEOUT": "RECOVERED/RESOLVED",  # R4 core outcome 'resolved'
        },
        {
            "USUBJID": "NCT05016804-01-102",
            "AESPID": "1",  # no identifier: numbered, with a warning
            "AETERM": "Pneumonia",
            "AEDECOD": "Pneumonia",
            "AEPTCD": 10035664.0,
            "AESTDTC": "2023-05-02T14:30",
            "AEENDTC": "2023-05-20",
            "AESEV": "SEVERE",
            "AESER": "Y",  # R4 core 'SeriousResultsInDeath'
            "AESDTH": "Y",
            "AEREL": "NOT RELATED",  # suspectEntity.causality.assessment, NCI C53256
            "AEACN": "",
            "AEOUT": "FATAL",
        },
    ]


def test_fallbacks_are_warned(package: tuple[Path, str]) -> None:
    output = package[1]
    assert (
        "WARNING FHIR-IN joint-mapping-ig-r4.json entry[7] (ResearchSubject/rs-2) ResearchSubject.status: subject "
        "01-102: no reason for leaving the study (no sponsor disposition extension): DSDECOD assumed DEATH from "
        "state 'withdrawn' and Patient.deceasedDateTime, DSTERM 'Death', no last contact date" in output
    )
    assert (
        "WARNING FHIR-IN joint-mapping-ig-r4.json entry[9] (AdverseEvent/ae-2) AdverseEvent.identifier: no "
        "identifier: AESPID assumed 1 (input order)" in output
    )
    assert "2 AdverseEvent(s) coded to a MedDRA PT give no HLT, HLGT or SOC" in output


def test_to_sdtm_and_to_fhir_take_study_for_fhir_input(tmp_path: Path) -> None:
    runner = CliRunner()
    sdtm = runner.invoke(main, ["to-sdtm", str(BUNDLE), "-o", str(tmp_path / "sdtm"), "--study", str(STUDY)])
    assert sdtm.exit_code == 0, sdtm.output
    assert (tmp_path / "sdtm" / "ae.xpt").is_file()
    fhir = runner.invoke(main, ["to-fhir", str(BUNDLE), "-o", str(tmp_path / "b.json"), "--study", str(STUDY)])
    assert fhir.exit_code == 0, fhir.output
    loaded = load_trial(BUNDLE, study=STUDY)
    assert [s.subject_id for s in loaded.records.subjects] == ["01-101", "01-102"]
    assert len(loaded.warnings) == 3


def test_study_with_a_records_folder_is_refused() -> None:
    from trialinterop.errors import InputError

    with pytest.raises(InputError, match="--study applies to ODM or FHIR input; a records folder has its own"):
        load_trial(REPO / "fixtures" / "records", study=STUDY)


def _edited(tmp_path: Path, edit: object) -> Path:
    import json

    bundle = json.loads(BUNDLE.read_text(encoding="utf-8"))
    edit(bundle)  # type: ignore[operator]
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def _no_site_level_study(bundle: dict) -> None:
    """The subjects name the trial itself: no site-level ResearchStudy."""
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"].get("id") != "site-01"]
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "ResearchSubject":
            entry["resource"]["study"] = {"reference": "ResearchStudy/nct05016804"}


def test_without_a_site_level_study_the_site_comes_from_the_site_option(tmp_path: Path) -> None:
    source = _edited(tmp_path, _no_site_level_study)
    args = ["fhir-to-sdtm", str(source), "--study", "nct05016804", "--no-define"]
    refused = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "a")])
    assert refused.exit_code == 2, refused.output
    assert "FHIR input refused: 2 problem(s)" in refused.output  # both subjects, in one run
    assert "cannot tell the site" in refused.output and "give --site (sites: 01, 02)" in refused.output
    result = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "b"), "--site", "02"])
    assert result.exit_code == 0, result.output
    assert result.output.count("the input does not tell the site: SITEID 02 (--site)") == 2
    dm, _ = pyreadstat.read_xport(str(tmp_path / "b" / "dm.xpt"))
    assert dm["SITEID"].tolist() == ["02", "02"]


def test_references_by_identifier_resolve(tmp_path: Path) -> None:
    def by_identifier(bundle: dict) -> None:
        for entry in bundle["entry"]:
            resource = entry["resource"]
            if resource.get("id") == "rs-1":
                resource["individual"] = {
                    "identifier": {"system": "https://hospital.example.org/mrn", "value": "MRN-447781"}
                }

    source = _edited(tmp_path, by_identifier)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["fhir-to-sdtm", str(source), "-o", str(out), "--study", "nct05016804"])
    assert result.exit_code == 0, result.output
    dm, _ = pyreadstat.read_xport(str(out / "dm.xpt"))
    assert dm[["SUBJID", "BRTHDTC"]].to_dict("records")[0] == {"SUBJID": "01-101", "BRTHDTC": "1961-04-17"}


def test_a_reference_with_only_a_display_is_reported(tmp_path: Path) -> None:
    def display_only(bundle: dict) -> None:
        for entry in bundle["entry"]:
            if entry["resource"].get("id") == "ae-1":
                entry["resource"]["resultingCondition"] = [{"display": "Infusion reaction"}]
                entry["resource"].pop("event", None)

    source = _edited(tmp_path, display_only)
    result = CliRunner().invoke(
        main, ["fhir-to-sdtm", str(source), "-o", str(tmp_path / "out"), "--study", "nct05016804"]
    )
    assert result.exit_code == 2, result.output
    assert (
        "AdverseEvent.resultingCondition: Reference with only a display ('Infusion reaction') does not resolve to any "
        "resource of the input" in result.output
    )

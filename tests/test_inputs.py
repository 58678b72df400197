"""`load_trial` and the to-sdtm command accept a records folder or an ODM export with its mapping."""

from __future__ import annotations

import pyreadstat
import pytest
from click.testing import CliRunner

from trialinterop.cli import main
from trialinterop.errors import InputError
from trialinterop.inputs import load_trial

ODM = "fixtures/odm/nct05016804-odm.xml"
MAPPING = "mappings/odm/nct05016804.yaml"
STUDY = "fixtures/records/study.yaml"


def test_odm_export_loads_like_the_records_folder(repo_root):
    from_odm = load_trial(repo_root / ODM, odm_mapping=repo_root / MAPPING, study=repo_root / STUDY)
    from_folder = load_trial(repo_root / "fixtures/records")
    assert from_odm.records == from_folder.records
    assert from_odm.warnings == ()
    assert len(from_odm.records.subjects) == 20


@pytest.mark.parametrize(
    ("source", "kwargs", "message"),
    [
        ("missing-folder", {}, "input not found"),
        ("fixtures/records/subjects.csv", {}, "expected a records folder or an ODM XML file"),
        (ODM, {}, "needs --odm-mapping"),
        ("fixtures/records", {"odm_mapping": MAPPING}, "applies to an ODM XML file"),
    ],
)
def test_wrong_input_is_explained(repo_root, source, kwargs, message):
    kwargs = {k: repo_root / v for k, v in kwargs.items()}
    with pytest.raises(InputError, match=message):
        load_trial(repo_root / source, **kwargs)


def test_to_sdtm_from_odm(repo_root, tmp_path, monkeypatch):
    monkeypatch.chdir(repo_root)
    out = tmp_path / "sdtm"
    result = CliRunner().invoke(
        main, ["to-sdtm", ODM, "--odm-mapping", MAPPING, "--study", STUDY, "-o", str(out), "--no-define"]
    )
    assert result.exit_code == 0, result.output
    dm, meta = pyreadstat.read_xport(str(out / "dm.xpt"))
    assert len(dm) == 20
    assert meta.table_name == "DM"
    assert dm.loc[dm.USUBJID == "NCT05016804-01-001", "SEX"].item() == "M"


def test_to_sdtm_odm_without_mapping_exits_2(repo_root, tmp_path, monkeypatch):
    monkeypatch.chdir(repo_root)
    result = CliRunner().invoke(main, ["to-sdtm", ODM, "-o", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "needs --odm-mapping" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_to_fhir_from_odm_equals_from_records(repo_root, tmp_path, monkeypatch):
    monkeypatch.chdir(repo_root)
    runner = CliRunner()
    from_odm = runner.invoke(
        main, ["to-fhir", ODM, "--odm-mapping", MAPPING, "--study", STUDY, "-o", str(tmp_path / "a.json")]
    )
    from_folder = runner.invoke(main, ["to-fhir", "fixtures/records", "-o", str(tmp_path / "b.json")])
    assert from_odm.exit_code == 0, from_odm.output
    assert from_folder.exit_code == 0, from_folder.output
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()

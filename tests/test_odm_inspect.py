"""`odm-inspect`: the inventory of an export and the starter mapping (`--scaffold`) with the export's decodes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from trialinterop.cli import main
from trialinterop.errors import InputError
from trialinterop.odm.mapping import load_mapping

EDC = Path(__file__).resolve().parent / "data" / "edc"


def test_inventory_lists_oids_with_counts_and_code_lists(tmp_path: Path) -> None:
    scaffold = tmp_path / "starter.yaml"
    export = EDC / "redcap-classic" / "redcap-classic.xml"
    result = CliRunner().invoke(main, ["odm-inspect", str(export), "--scaffold", str(scaffold)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert (
        lines[0]
        == "redcap-classic.xml: ODM Snapshot, 3 subject(s), StudyOID(s) Project.AlloRxSScRegistry (3 SubjectData)"
    )
    assert "  Form.medications: 3 instances, 1 repeated (repeat key > 1)  -- Medications" in lines
    assert "    sex: 3 values  -- Sex" in lines
    assert "      code list: 1 = Male, 2 = Female" in lines
    assert "    redcap:DataAccessGroup: 3 values" in lines
    text = scaffold.read_text(encoding="utf-8")
    doc = yaml.safe_load(text)  # valid YAML
    assert doc["item_groups"]["enrolment.record_id"]["items"]["sex"] == {
        "field": "TODO_FIELD",
        "values": {"1": "Male", "2": "Female"},
    }
    assert doc["studies"] == {"Project.AlloRxSScRegistry": {}}
    assert sorted(doc["item_groups"]) == [
        "@SubjectData", "enrolment.enrolment_complete", "enrolment.record_id", "medications.cm_name",
        "medications.medications_complete",
    ]  # fmt: skip
    with pytest.raises(InputError) as caught:  # a starter mapping does not load until its TODOs are resolved
        load_mapping(scaffold)
    assert len(caught.value.issues) == 27
    assert caught.value.issues[0].key == "description"


def test_inventory_counts_value_less_records() -> None:
    result = CliRunner().invoke(main, ["odm-inspect", str(EDC / "rave" / "rave-audit-stream.xml")])
    assert result.exit_code == 0, result.output
    assert "ItemData without a value (audit, query, comment records): 5" in result.output
    assert "  @SubjectData (vendor attributes) in no study event" in result.output
    assert "    mdsol:SubjectName: 8 values" in result.output


def test_unreadable_export_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<ODM><unclosed></ODM>", encoding="utf-8")
    result = CliRunner().invoke(main, ["odm-inspect", str(bad)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output

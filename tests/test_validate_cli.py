"""`trialinterop validate`: exit codes, report formats, accepted findings, the rules catalogue and its docs page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from openpyxl import load_workbook

from trialinterop.cli import main
from trialinterop.validate.catalogue import render_rules_markdown
from validate_cases import clean_package, set_value, write_xpt_package

DOCS = Path(__file__).resolve().parents[1] / "docs" / "rules.md"


def run(*args: str):
    return CliRunner().invoke(main, ["validate", *args])


@pytest.fixture(scope="module")
def clean_dir(tmp_path_factory):
    return write_xpt_package(clean_package(), tmp_path_factory.mktemp("clean"))


@pytest.fixture(scope="module")
def broken_dir(tmp_path_factory):
    package = set_value(clean_package(), "DM", 0, "SEX", "FEMALE")
    return write_xpt_package(package, tmp_path_factory.mktemp("broken"))


def test_clean_package_exits_0(clean_dir):
    result = run(str(clean_dir))
    assert result.exit_code == 0, result.output
    assert "0 at or above error" in result.output


def test_fail_on_warning_counts_warnings(clean_dir):
    # the clean package lacks some Expected variables (TI-PR006 warnings)
    result = run(str(clean_dir), "--fail-on", "warning")
    assert result.exit_code == 1
    assert "TI-PR006" in result.output


def test_findings_exit_1_with_counts_then_items(broken_dir):
    result = run(str(broken_dir))
    assert result.exit_code == 1
    assert "TI-CT001   ERROR" in result.output
    assert "ERROR TI-CT001 DM [row 1, NCT05016804-ATG01-001] SEX" in result.output


def test_fail_on_reject_lets_errors_pass(broken_dir):
    assert run(str(broken_dir), "--fail-on", "reject").exit_code == 0


def test_json_report(broken_dir):
    result = run(str(broken_dir), "--format", "json")
    document = json.loads(result.stdout)
    ct = [i for i in document["issues"] if i["rule"] == "TI-CT001"]
    assert ct == [
        {
            "rule": "TI-CT001",
            "severity": "error",
            "dataset": "DM",
            "key": "row 1, NCT05016804-ATG01-001",
            "variable": "SEX",
            "value": "FEMALE",
            "message": "Value is not in the (non-extensible) CDISC codelist: codelist SEX (C66731); 1 record(s)",
        }
    ]
    assert document["failing"] == 1
    assert {d["name"] for d in document["datasets"]} >= {"DM", "AE", "TS"}


def test_junit_report(broken_dir, tmp_path):
    out = tmp_path / "junit.xml"
    result = run(str(broken_dir), "--format", "junit", "-o", str(out))
    assert result.exit_code == 1
    suite = etree.parse(str(out)).getroot().find("testsuite")
    failures = [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None]
    assert failures == ["TI-CT001 Value is not in the (non-extensible) CDISC codelist"]
    assert suite.get("failures") == "1"


def test_sarif_report(broken_dir):
    document = json.loads(run(str(broken_dir), "--format", "sarif").stdout)
    assert document["version"] == "2.1.0"
    run_ = document["runs"][0]
    rule_ids = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert "TI-CT001" in rule_ids
    ct = [r for r in run_["results"] if r["ruleId"] == "TI-CT001"]
    assert ct[0]["level"] == "error"
    assert ct[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("dm.xpt")


def test_xlsx_report(broken_dir, tmp_path):
    out = tmp_path / "report.xlsx"
    assert run(str(broken_dir), "--format", "xlsx", "-o", str(out)).exit_code == 1
    book = load_workbook(out)
    assert book.sheetnames == ["Dataset Summary", "Issue Summary", "Details", "Rules", "Accepted"]
    details = [[c.value for c in row] for row in book["Details"].iter_rows(min_row=2)]
    assert ["DM", "row 1, NCT05016804-ATG01-001", "SEX", "FEMALE", "TI-CT001"] in [r[:5] for r in details]


def test_xlsx_needs_output(broken_dir):
    assert run(str(broken_dir), "--format", "xlsx").exit_code == 2


def test_html_report(broken_dir):
    text = run(str(broken_dir), "--format", "html").stdout
    assert text.startswith("<!DOCTYPE html>")
    assert "<h2>Issue Summary</h2>" in text
    assert "TI-CT001" in text


def test_accepted_finding_and_stale_acceptance(broken_dir, tmp_path):
    accepted = tmp_path / "accepted.yaml"
    accepted.write_text(
        "accepted:\n"
        "  - rule: TI-CT001\n    dataset: DM\n    variable: SEX\n    value: FEMALE\n"
        "    justification: Collected as FEMALE at site; mapping fix planned.\n"
        "  - rule: TI-AE001\n    dataset: AE\n    justification: An old finding that was fixed.\n"
    )
    result = run(str(broken_dir), "--accepted", str(accepted), "--format", "json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert [(a["rule"], a["justification"]) for a in document["accepted"]] == [
        ("TI-CT001", "Collected as FEMALE at site; mapping fix planned.")
    ]
    stale = [i for i in document["issues"] if i["rule"] == "TI-ACCEPT"]
    assert [(i["severity"], i["dataset"], i["value"]) for i in stale] == [
        ("warning", "entry 2", "rule=TI-AE001, dataset=AE")
    ]


def test_accepted_file_needs_justification(broken_dir, tmp_path):
    accepted = tmp_path / "accepted.yaml"
    accepted.write_text("accepted:\n  - rule: TI-CT001\n")
    result = run(str(broken_dir), "--accepted", str(accepted))
    assert result.exit_code == 2
    assert "justification is required" in result.output


def test_list_rules():
    result = run("--list-rules")
    assert result.exit_code == 0
    assert result.output.splitlines()[0].endswith(" rules")
    assert "TI-PR001  REJECT" in result.output


def test_docs_rules_page_is_current():
    assert DOCS.read_text(encoding="utf-8") == render_rules_markdown(), (
        "docs/rules.md is out of date: run `trialinterop validate --list-rules --format md -o docs/rules.md`"
    )


def test_no_paths_is_usage_error():
    assert run().exit_code == 2


MAPPINGS = Path(__file__).resolve().parents[1] / "mappings"


def test_spec_line_says_none_for_another_study(clean_dir):
    result = run(str(clean_dir))
    assert "spec: none, SDTMIG 3.4 metadata only (DM.STUDYID" in result.stderr
    assert "is no bundled study; give --spec DIR" in result.stderr


def test_explicit_spec_is_applied_and_named(clean_dir):
    result = run(str(clean_dir), "--spec", str(MAPPINGS))
    assert f"spec: {MAPPINGS} (given with --spec; study NCT05016804)" in result.stderr
    assert "TI-SP" in result.stdout  # the study-specific rules ran: the generic package is not this study's


def test_spec_that_is_not_a_folder_exits_2(clean_dir, tmp_path):
    result = run(str(clean_dir), "--spec", str(tmp_path / "missing"))
    assert result.exit_code == 2
    assert f"--spec {tmp_path / 'missing'}: not a folder" in result.stderr


def _broken_spec(folder: Path) -> Path:
    import shutil

    broken = folder / "spec"
    shutil.copytree(MAPPINGS, broken)
    lines = (broken / "variables.csv").read_text(encoding="utf-8").splitlines()
    lines[0] += ",surprise"
    (broken / "variables.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return broken


def test_spec_that_does_not_load_exits_2_with_the_reason(clean_dir, tmp_path):
    result = run(str(clean_dir), "--spec", str(_broken_spec(tmp_path)))
    assert result.exit_code == 2
    assert "variables.csv" in result.stderr and "surprise" in result.stderr


def test_broken_bundled_spec_is_an_error_not_no_spec(tmp_path, monkeypatch):
    from trialinterop.spec import loader

    package = clean_package()
    for row in range(len(package.datasets["DM"].frame)):
        package = set_value(package, "DM", row, "STUDYID", "NCT05016804")  # DM names a bundled study
    bundled_study = write_xpt_package(package, tmp_path / "p")
    broken = _broken_spec(tmp_path)
    monkeypatch.setattr(loader, "mappings_dir", lambda: broken)
    result = run(str(bundled_study))
    assert result.exit_code == 2
    assert "variables.csv" in result.stderr and "spec: none" not in result.stderr

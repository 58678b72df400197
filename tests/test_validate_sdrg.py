"""`validate --sdrg`: the reviewer's guide Data Conformance Summary (cSDRG section 4), with the sponsor's explanations
from the accepted file and an outside CDISC CORE report. Expected rows are literal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from trialinterop.cli import main
from validate_cases import clean_package, set_value, write_xpt_package

ROOT = Path(__file__).resolve().parents[1]
ACCEPTED = ROOT / "mappings" / "accepted" / "nct05016804.yaml"
CORE_REPORT = ROOT / "docs" / "core" / "nct05016804-core-0.17.1.json"
EXAMPLE = ROOT / "docs" / "sdrg-nct05016804.md"


@pytest.fixture(scope="module")
def nct_package(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sdrg") / "sdtm"
    result = CliRunner().invoke(main, ["to-sdtm", str(ROOT / "fixtures" / "records"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _run(*args: str):
    return CliRunner().invoke(main, ["validate", *args])


def _table(text: str) -> list[list[str]]:
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| Check ID")]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows]


def test_our_package_summary_explains_every_core_finding(nct_package: Path, tmp_path: Path) -> None:
    sdrg = tmp_path / "sdrg.md"
    result = _run(str(nct_package), "--accepted", str(ACCEPTED), "--core-report", str(CORE_REPORT), "--sdrg", str(sdrg))
    assert result.exit_code == 0, result.output
    text = sdrg.read_text(encoding="utf-8")
    rows = _table(text)
    assert [(r[0], r[3], r[4]) for r in rows] == [
        ("CORE-000701", "CM", "11"),
        ("CORE-000717", "AE", "22"),
        ("CORE-000741", "TS", "1"),
        ("CORE-000766", "MH", "20"),
        ("CORE-000767", "AE", "44"),
        ("CORE-000767", "CM", "21"),
        ("CORE-000767", "DS", "30"),
        ("CORE-000767", "MH", "22"),
    ]
    assert rows[1][5].startswith("Interim data cut: subjects still in follow-up")
    assert rows[2][5].startswith("Defect of the engine's rule")
    assert "Findings without an explanation: 0." in text
    assert "- CDISC CORE engine 0.17.1 (SDTMIG 3.4): 171 findings in 8 rows." in text
    assert "- CORE-000929 could not run:" in text
    # the committed example is this output
    assert text == EXAMPLE.read_text(encoding="utf-8")


def test_own_findings_with_and_without_explanation(tmp_path: Path) -> None:
    package = set_value(clean_package(), "AE", 1, "AESER", "N")  # AESHOSP Y, AESER N: TI-AE002 (accepted)
    package = set_value(package, "AE", 0, "AEENDTC", "2022-02-30")  # impossible date: TI-DT001 (not explained)
    folder = write_xpt_package(package, tmp_path / "pkg")
    accepted = tmp_path / "accepted.yaml"
    accepted.write_text(
        "accepted:\n  - rule: TI-AE002\n    dataset: AE\n"
        "    justification: Hospitalisation for an elective procedure.\n",
        encoding="utf-8",
    )
    sdrg = tmp_path / "sdrg.md"
    result = _run(str(folder), "--accepted", str(accepted), "--sdrg", str(sdrg), "--fail-on", "reject")
    assert result.exit_code == 0, result.output
    rows = _table(sdrg.read_text(encoding="utf-8"))
    by_check = {r[0]: r for r in rows}
    assert by_check["TI-AE002"][2:] == ["Error", "AE", "1", "Hospitalisation for an elective procedure."]
    unexplained = [r for r in rows if r[5] == "No explanation given."]
    assert ("TI-DT001", "AE") in [(r[0], r[3]) for r in unexplained]
    assert all(r[0] != "TI-AE002" for r in unexplained)
    assert f"Findings without an explanation: {sum(int(r[4]) for r in unexplained)}." in sdrg.read_text()


def test_html_is_escaped_and_deterministic(nct_package: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.html", tmp_path / "b.html"
    for path in (first, second):
        args = ("--accepted", str(ACCEPTED), "--core-report", str(CORE_REPORT), "--sdrg", str(path))
        assert _run(str(nct_package), *args).exit_code == 0
    html = first.read_text(encoding="utf-8")
    assert html == second.read_text(encoding="utf-8")
    assert "<td>CORE-000717</td>" in html
    assert "&quot;Other, specify&quot;" in html  # CORE-000766's message, escaped
    assert "<p>Findings without an explanation: 0.</p>" in html


def test_core_ids_in_the_accepted_file_do_not_go_stale(nct_package: Path) -> None:
    # without --core-report the CORE entries explain nothing of this run, and are not TI-ACCEPT findings either
    result = _run(str(nct_package), "--accepted", str(ACCEPTED), "--fail-on", "notice")
    assert result.exit_code == 0, result.output
    assert "TI-ACCEPT" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--core-report", "x.json"], "--core-report is read for the --sdrg summary"),
        (["--sdrg", "guide.docx"], "the file name must end in .md or .html"),
    ],
)
def test_bad_options_exit_2(nct_package: Path, args: list[str], message: str) -> None:
    result = _run(str(nct_package), *args)
    assert result.exit_code == 2
    assert message in result.output


def test_bad_core_report_names_the_file(nct_package: Path, tmp_path: Path) -> None:
    report = tmp_path / "core.json"
    report.write_text(json.dumps({"issues": []}), encoding="utf-8")
    sdrg = tmp_path / "sdrg.md"
    result = _run(str(nct_package), "--core-report", str(report), "--sdrg", str(sdrg))
    assert result.exit_code == 2
    assert "core.json" in result.output and "no 'issue_summary' list" in result.output
    assert "Traceback" not in result.output
    assert not sdrg.exists()


def test_unknown_rule_in_accepted_file_still_refused(nct_package: Path, tmp_path: Path) -> None:
    accepted = tmp_path / "accepted.yaml"
    accepted.write_text("accepted:\n  - rule: CORE-12\n    justification: x\n", encoding="utf-8")
    result = _run(str(nct_package), "--accepted", str(accepted))
    assert result.exit_code == 2
    assert "unknown rule 'CORE-12'" in result.output

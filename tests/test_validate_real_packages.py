"""The validator on packages nobody here wrote (CDISC pilot SDTM, CDISC Dataset-JSON examples) and on ours.

Expected counts are the findings these packages really carry (checked by hand against the data when the rules were
written); they change only if a rule changes on purpose.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from trialinterop.cli import main
from trialinterop.validate.api import validate

ROOT = Path(__file__).resolve().parents[1]
CDISC_EXAMPLES = ROOT / "tests" / "data" / "third_party" / "dataset-json"  # vendored, see its README.md


def _counts(result) -> dict[str, int]:
    return dict(Counter(i.rule for i in result.issues))


def _pilot_module():
    spec = importlib.util.spec_from_file_location("pilot_to_xpt", ROOT / "scripts" / "pilot_to_xpt.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pilot_dir(tmp_path_factory):
    return _pilot_module().write_pilot(tmp_path_factory.mktemp("pilot"))[0].parent


@pytest.fixture(scope="module")
def pilot_result(pilot_dir):
    return validate([pilot_dir])


def _comparison_module():
    spec = importlib.util.spec_from_file_location("core_comparison", ROOT / "scripts" / "core_comparison.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_cdisc_pilot_sdtm(pilot_result):
    assert len(pilot_result.datasets) == 31
    assert _counts(pilot_result) == {
        "TI-AE002": 39,  # AESER=N with AESHOSP/AESDTH/AESCAN/AESDISAB = Y
        "TI-AE006": 961,  # AEBODSYS coded, AEBDSYCD present but null on every record
        "TI-AE004": 21,  # NOT RECOVERED/NOT RESOLVED with an end date
        "TI-CT002": 13,  # e.g. DSDECOD 'FINAL LAB VISIT', TSVCDREF, QSCAT sponsor terms
        "TI-DM005": 104,  # ARMCD/ACTARMCD 'Scrnfail' pseudo arms (52 screen failures), not allowed in SDTMIG 3.4
        # TI-DT006: none; the 12 SV records dated without EPOCH (UNSCHEDULED 1.x) precede the first SE element
        "TI-DM006": 1,  # 01-704-1445 fatal AE ends 2014-10-31, DTHDTC 2014-11-01 (CORE-000841)
        "TI-EX002": 6,  # RFXENDTC one day off the last EXENDTC
        "TI-FN008": 7,  # QSCO ADAS-Cog items NOT DONE (refused) yet flagged baseline, QSSTRESC null
        "TI-FN009": 8,  # VS NOT DONE records, and VS has no VSREASND
        "TI-FN010": 6,  # LBCH '<0.2' / '<40' character results that still carry normal ranges
        "TI-FN007": 24,  # QSSTRESN unrounded while QSSTRESC is rounded
        "TI-PR009": 6,  # SUPPDM population flags COMPLT8/16/24, EFFICACY, ITT, SAFETY (belong in ADaM)
        "TI-PR010": 1,  # SC dated without EPOCH (CORE-000701)
        "TI-PR011": 1,  # MHSTDTC without MHSTDY (CORE-000328)
        "TI-TS007": 3,  # TSVAL N coded C49487 for ADAPT/HLTSUBJI, uncoded for ADDON (CORE-000152/000728)
        "TI-TS008": 7,  # REGID version without a reference; 6 CDISC CT codes without TSVCDVER (CORE-000153/000761)
        "TI-PR006": 14,  # e.g. DM.ARMNRS absent (SDTMIG 3.4 variable, pilot is 3.1.2)
        "TI-XS007": 2,  # curly apostrophe in TS.TSVAL
        "TI-XS010": 15,  # pre-3.4 labels (DSDY ...)
        "TI-XS011": 5,
    }
    assert not [i for i in pilot_result.issues if i.rule == "TI-RUN"]


@pytest.mark.slow
def test_cdisc_pilot_findings_are_the_committed_ones(pilot_result):
    # regression: every finding on the pilot, record by record; regenerate with
    # `python scripts/core_comparison.py --expected tests/data/pilot-expected-findings.csv` after judging the change
    comparison = _comparison_module()
    expected = (ROOT / "tests" / "data" / "pilot-expected-findings.csv").read_text(encoding="utf-8")
    assert comparison.findings_csv(comparison.findings_of(pilot_result)) == expected


@pytest.mark.slow
def test_core_comparison_is_current_and_recall_is_complete(pilot_result):
    comparison = _comparison_module()
    findings = comparison.findings_of(pilot_result)
    assert comparison.comparison(findings) == (ROOT / "docs" / "core-comparison.md").read_text(encoding="utf-8")
    *_, pairs = comparison.load_report()
    comparison.match(pairs, findings)
    real = [p for p in pairs if p.verdict == "real"]
    assert (len(pairs), len(real)) == (59, 31)
    assert [(p.core, p.dataset) for p in real if p.matched < len(p.records)] == []  # every record of every real pair


@pytest.mark.parametrize("kind", ["xpt", "json"])
def test_cdisc_dataset_json_examples(kind):
    folder = CDISC_EXAMPLES
    result = validate([folder / f"dm.{kind}", folder / f"ae.{kind}"], define=folder / "define.xml")
    expected = {
        "TI-PR002": 1,  # no TS in a two-dataset sample (a rejection for a real submission)
        "TI-PR004": 1,  # no EX
        "TI-AE001": 1,  # CDISC003 AESEQ 13: AESER=Y, no criterion flag Y
        "TI-PR007": 74,  # AEDECOD null (uncoded events)
        "TI-XS009": 6,  # MedDRA codes (AELLTCD ...) stored as text
        "TI-DM006": 2,  # fatal AEs ending the day before DTHDTC (CDISC008 suicide, CDISC013 myocardial infarction)
    }
    if kind == "xpt":
        expected["TI-XS004"] = 6  # lengths wider than the data (AETERM, AEOUT, RACE, ...)
    assert _counts(result) == expected


@pytest.mark.slow
def test_our_fixture_package_validates_clean(tmp_path):
    records = ROOT / "fixtures" / "records"
    runner = CliRunner()
    built = runner.invoke(main, ["to-sdtm", str(records), "-o", str(tmp_path / "sdtm")])
    assert built.exit_code == 0, built.output
    fhir = runner.invoke(main, ["to-fhir", str(records), "-o", str(tmp_path / "fhir"), "--form", "ndjson"])
    assert fhir.exit_code == 0, fhir.output
    paths = [str(tmp_path / "sdtm"), str(tmp_path / "fhir")]
    result = runner.invoke(main, ["validate", *paths])
    assert result.exit_code == 0, result.output
    assert "0 at or above error" in result.output or "No findings." in result.output

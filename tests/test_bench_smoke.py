"""bench/run.py runs end to end on a 20-subject trial and records every stage (no timing assertions)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXPECTED_STAGES = {
    "generate",
    "read",
    "build",
    "conform",
    "write_xpt",
    "define",
    "xpt_encode",
    "naive_xpt",
    "fhir_build",
    "fhir_write",
    "naive_fhir",
    "validate",
    "to_sdtm_end_to_end",
    "to_fhir_end_to_end",
    "fhir_to_sdtm",
}


@pytest.mark.slow
def test_bench_runs_every_stage_for_20_subjects(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    completed = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--sizes", "20", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"CI": "1", "PATH": "/usr/bin:/bin"},
        cwd=REPO,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    result = json.loads(out.read_text())
    entry = result["sizes"]["20"]
    assert set(entry["stages"]) == EXPECTED_STAGES
    for name, stage in entry["stages"].items():
        assert "error" not in stage, (name, stage)
        assert stage["seconds"] >= 0 and stage["max_rss_mb"] > 0, name
    assert entry["records"]["subjects"] == 20
    assert entry["stages"]["fhir_write"]["resources"] == entry["stages"]["fhir_build"]["resources"] > 0
    assert entry["stages"]["naive_fhir"]["sampled"] is False  # 20 subjects: every resource through the models
    assert entry["stages"]["naive_fhir"]["model_failures"] == {}
    assert entry["stages"]["naive_xpt"]["differing"] == []  # native bytes = pyreadstat bytes but timestamps
    assert set(entry["summary"]["ratios"]) == {
        "xpt_encoder_speedup_vs_pyreadstat",
        "write_xpt_with_checks_vs_pyreadstat_alone",
        "to_sdtm_total_vs_pyreadstat_alone",
        "to_sdtm_without_build_vs_pyreadstat_alone",
        "fhir_speedup_vs_fhir_resources",
        "to_sdtm_end_to_end_vs_pyreadstat_alone",
        "fhir_to_sdtm_vs_to_fhir_wall",
        "fhir_to_sdtm_vs_to_fhir_cpu",
    }
    assert set(entry["summary"]["targets"]) == {
        "fhir_at_least_10x",
        "to_sdtm_end_to_end_faster_than_pyreadstat_alone",
        "to_sdtm_end_to_end_within_1.5x_pyreadstat",
        "validate_under_60s",
        "peak_memory_under_4GB",
        "fhir_to_sdtm_within_2x_to_fhir",
        "fhir_to_sdtm_within_2x_to_fhir_cpu",
    }
    assert entry["stages"]["fhir_to_sdtm"]["rows"]["DM"] == 20
    assert "20 subjects" in completed.stdout

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


def _bench_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_run", REPO / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_median_run_keeps_the_run_of_median_wall_and_records_every_run() -> None:
    runs = [
        {"seconds": 1.0, "wall": 9.0, "cpu": 8.5, "max_rss_mb": 250.0, "load_1min_at_start": 0.1},
        {"seconds": 1.0, "wall": 7.0, "cpu": 6.9, "max_rss_mb": 270.0, "load_1min_at_start": 0.2},
        {"seconds": 1.0, "wall": 8.0, "cpu": 7.8, "max_rss_mb": 260.0, "load_1min_at_start": 0.3},
    ]
    chosen = _bench_module().median_run(runs)
    assert (chosen["wall"], chosen["cpu"], chosen["max_rss_mb"]) == (8.0, 7.8, 260.0)
    assert chosen["max_rss_mb_of_all_repeats"] == 270.0
    assert [r["wall"] for r in chosen["repeats"]] == [9.0, 7.0, 8.0]  # in the order they ran
    two = _bench_module().median_run(runs[:2])
    assert two["wall"] == 7.0  # the lower middle of an even count


def test_median_run_of_one_run_or_a_failed_run_is_that_run() -> None:
    median_run = _bench_module().median_run
    one = {"wall": 3.0, "max_rss_mb": 10.0}
    assert median_run([one]) is one
    failed = {"error": "exit 2", "wall": 1.0, "max_rss_mb": 5.0}
    assert median_run([one, failed]) is failed


@pytest.mark.slow
def test_bench_repeat_interleaves_the_stages_and_generates_once(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    stages = "generate,to_fhir_end_to_end,fhir_to_sdtm"
    command = [sys.executable, str(REPO / "bench" / "run.py"), "--sizes", "20", "--only", stages, "--repeat", "2"]
    completed = subprocess.run(
        [*command, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"CI": "1", "PATH": "/usr/bin:/bin"},
        cwd=REPO,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    entry = json.loads(out.read_text())["sizes"]["20"]
    assert "repeats" not in entry["stages"]["generate"]
    assert [len(entry["stages"][name]["repeats"]) for name in ("to_fhir_end_to_end", "fhir_to_sdtm")] == [2, 2]
    assert entry["stages"]["fhir_to_sdtm"]["rows"]["DM"] == 20
    assert "fhir_to_sdtm_peak_under_300MB_at_2000" not in entry["summary"]["targets"]  # 2,000 subjects only

"""The built wheel carries what it needs: installed (not editable) into a fresh venv outside the checkout, `fixtures`
and the README's main command run from a directory that is not the checkout.

Dependencies install from constraints.txt (the lock), or at their newest releases under `scripts/test.sh --latest`
(TRIALINTEROP_TEST_DEPS=latest). Without PyPI the test skips, except in CI (CI set), where it fails.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]
NETWORK_ERRORS = (
    "NewConnectionError",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "ConnectTimeoutError",
    "Max retries exceeded",
    "No matching distribution found",
)
DATASETS = ["ae", "cm", "dm", "ds", "ex", "ie", "mh", "qs", "re", "se", "suppae", "sv", "ta", "te", "ti", "ts", "tv"]
SDTM_SUMMARY = (
    "out/sdtm: 17 datasets (DM 20, SE 56, SV 116, CM 21, EX 25, AE 44, DS 30, MH 42, IE 2, QS 1656, RE 184, TA 3, "
    "TE 3, TV 8, TI 12, TS 53, SUPPAE 44); 36 files written\n"
)
FHIR_SUMMARY = (
    "out/fhir/bundle.json: FHIR R4 transaction, 2240 resources (44 AdverseEvent, 42 Condition, 20 Consent, "
    "116 Encounter, 1 Group, 2 Location, 27 Medication, 25 MedicationAdministration, 21 MedicationStatement, "
    "1890 Observation, 1 Organization, 20 Patient, 1 PlanDefinition, 7 Procedure, 3 ResearchStudy, "
    "20 ResearchSubject)\n"
)
VALIDATE_SUMMARY = (
    "Validated 17 dataset(s), 2319 record(s), define.xml out/sdtm/define.xml, 2240 FHIR resource(s)\nNo findings.\n"
)
RECORD_FILES = ["adverse_events.csv", "disposition.csv", "eligibility.csv", "exposures.csv", "findings.csv"]
RECORD_FILES += ["medical_history.csv", "medications.csv", "study.yaml", "subjects.csv", "unplanned_elements.csv"]
RECORD_FILES += ["visits.csv"]


def _run(args: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _readme_commands() -> list[list[str]]:
    """The `.venv/bin/trialinterop ...` steps of the README's install line, as argument lists without the venv."""
    line = next(x for x in (REPO / "README.md").read_text().splitlines() if x.startswith("python3 -m venv .venv"))
    steps = [step.split() for step in line.split(" && ")]
    return [step[1:] for step in steps if step[0] == ".venv/bin/trialinterop"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """bin/ of a fresh venv holding the wheel built from this checkout."""
    root = tmp_path_factory.mktemp("wheel")
    assert not root.resolve().is_relative_to(REPO)
    build = ["-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet"]
    built = _run([sys.executable, *build, "-w", str(root / "dist"), str(REPO)], cwd=root)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (root / "dist").glob("trialinterop-*.whl")
    _run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], cwd=root).check_returncode()
    python = root / "venv" / "bin" / "python"  # this pip installs into it: no ensurepip, no bytecode ahead (fast)
    if os.environ.get("TRIALINTEROP_TEST_DEPS") == "latest":
        deps = ["--upgrade", "--upgrade-strategy", "eager"]
    else:
        deps = ["--constraint", str(REPO / "constraints.txt")]
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-compile"]
    done = _run([*install, *deps, str(wheel)], cwd=root)
    if done.returncode != 0:
        output = done.stdout + done.stderr
        if not os.environ.get("CI") and any(marker in output for marker in NETWORK_ERRORS):
            pytest.skip(f"cannot install the wheel's dependencies (no PyPI?): {output.strip().splitlines()[-1]}")
        raise AssertionError(output)
    return root / "venv" / "bin"


def test_the_package_runs_from_its_wheel(installed: Path) -> None:
    where = _run([str(installed / "python"), "-c", "import trialinterop; print(trialinterop.__file__)"], cwd=installed)
    assert Path(where.stdout.strip()).is_relative_to(installed.parent / "lib"), where.stdout + where.stderr


def test_fixtures_without_study_writes_the_bundled_trial(installed: Path, tmp_path: Path) -> None:
    done = _run([str(installed / "trialinterop"), "fixtures", "-o", "generated"], cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == "generated: 20 subjects, 25 exposures, 1820 findings, 44 adverse events (seed 5016804)\n"
    assert sorted(p.name for p in (tmp_path / "generated").iterdir()) == RECORD_FILES
    _, mismatch, errors = filecmp.cmpfiles(
        tmp_path / "generated", REPO / "fixtures" / "records", RECORD_FILES, shallow=False
    )
    assert (mismatch, errors) == ([], [])  # the default seed and size reproduce fixtures/records byte for byte


def test_readme_main_command_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    commands = _readme_commands()
    assert [c[0] for c in commands] == ["to-sdtm", "to-fhir", "validate"]
    shutil.copytree(REPO / "fixtures" / "records", tmp_path / "fixtures" / "records")
    outputs = []
    for command in commands:
        done = _run([str(installed / "trialinterop"), *command], cwd=tmp_path)
        assert done.returncode == 0, (command, done.stdout + done.stderr)
        outputs.append(done.stdout)
    assert outputs == [SDTM_SUMMARY, FHIR_SUMMARY, VALIDATE_SUMMARY]
    written = sorted(p.name for p in (tmp_path / "out" / "sdtm").iterdir())
    assert written == sorted(
        [f"{d}.{ext}" for d in DATASETS for ext in ("xpt", "json")] + ["define.html", "define.xml"]
    )
    assert (tmp_path / "out" / "fhir" / "bundle.json").read_bytes().startswith(b'{"resourceType":"Bundle",')

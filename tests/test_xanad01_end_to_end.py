"""The second bundled study through the README's commands: `fixtures --study XANAD01`, `to-sdtm`, `validate` (no
finding), `to-fhir` R4 and R5, and `fhir-to-sdtm --study XANAD01` back to the same datasets.

XANAD01 differs from NCT05016804 on every axis (3 randomised arms, daily dosing, QS/VS/LB, US sites), so this is the
proof that a study is data: nothing in `src/` knows it.
"""

from __future__ import annotations

from pathlib import Path

import pyreadstat
import pytest
from click.testing import CliRunner

from trialinterop.cli import main

DATASETS = [
    "ae", "cm", "dm", "ds", "ex", "ie", "lb", "mh", "qs", "se", "suppae", "suppdm", "sv", "ta", "te", "ti", "ts", "tv",
    "vs",
]  # fmt: skip


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("xanad01")
    _run("fixtures", "--study", "XANAD01", "-o", str(root / "records"))
    _run("to-sdtm", str(root / "records"), "-o", str(root / "sdtm"))
    return root


def test_the_package_has_every_domain_of_the_design(work: Path) -> None:
    assert sorted(p.stem for p in (work / "sdtm").glob("*.xpt")) == DATASETS
    dm, _ = pyreadstat.read_xport(str(work / "sdtm" / "dm.xpt"))
    assert sorted(set(dm.ARMCD) - {""}) == ["Pbo", "Xan_Hi", "Xan_Lo"]
    ex, _ = pyreadstat.read_xport(str(work / "sdtm" / "ex.xpt"))
    assert set(ex.EXTRT) == {"PLACEBO", "XANOMELINE"}
    assert set(ex.EXROUTE) == {"TRANSDERMAL"} and set(ex.EXDOSFRQ) == {"QD"}


def test_validate_finds_nothing(work: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(work / "sdtm")])
    assert result.exit_code == 0, result.output
    assert "No findings." in result.stdout
    assert "spec: bundled XANAD01" in result.stderr


@pytest.mark.parametrize("version", ["R4", "R5"])
def test_fhir_and_back_gives_the_same_datasets(work: Path, version: str) -> None:
    bundle = work / f"fhir-{version}.json"
    _run("to-fhir", str(work / "records"), "-o", str(bundle), "--fhir-version", version)
    back = work / f"back-{version}"
    _run("fhir-to-sdtm", str(bundle), "-o", str(back), "--study", "XANAD01")
    assert sorted(p.stem for p in back.glob("*.xpt")) == DATASETS
    for name in DATASETS:
        direct, _ = pyreadstat.read_xport(str(work / "sdtm" / f"{name}.xpt"))
        again, _ = pyreadstat.read_xport(str(back / f"{name}.xpt"))
        assert direct.equals(again), name

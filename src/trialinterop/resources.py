"""Locate the data shipped with the package (`mappings/`, the default study definition) in a wheel or a checkout."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parents[1]  # the repository root when running from src/ (editable install, tests)


def mappings_dir() -> Path:
    """`trialinterop/_mappings` in a wheel, else the repository's top-level `mappings/` (editable install)."""
    for candidate in (HERE / "_mappings", CHECKOUT / "mappings"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"mappings/ folder not found next to {HERE}")


def default_study_path() -> Path:
    """The definition `fixtures` generates for when no --study is given: the first bundled study definition in file
    name order (`mappings/studies/*.yaml`; today the NCT registry study, before XANAD01). The path may not exist (a
    broken install); the caller reports that."""
    studies = mappings_dir() / "studies"
    return min(studies.glob("*.yaml"), default=studies / "missing.yaml")

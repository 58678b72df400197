"""Locate the data shipped with the package (`mappings/`, the default study) in a wheel or a source checkout."""

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
    """The study `fixtures` generates for: `trialinterop/_fixtures/study.json` in a wheel, else the checkout's
    `fixtures/records/study.json`. The path may not exist (a broken install); the caller reports that."""
    for candidate in (HERE / "_fixtures" / "study.json", CHECKOUT / "fixtures" / "records" / "study.json"):
        if candidate.is_file():
            return candidate
    return HERE / "_fixtures" / "study.json"

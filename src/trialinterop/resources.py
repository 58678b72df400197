"""Locate the specification folder `mappings/` in a source checkout or inside an installed wheel."""

from __future__ import annotations

from pathlib import Path


def mappings_dir() -> Path:
    """`trialinterop/_mappings` in a wheel, else the repository's top-level `mappings/` (editable install)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_mappings", here.parents[1] / "mappings"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"mappings/ folder not found next to {here}")

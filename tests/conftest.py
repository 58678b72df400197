"""Shared test fixtures: repository paths and the vendored third-party sample data (tests/data/third_party)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURE_RECORDS = REPO / "fixtures" / "records"
THIRD_PARTY = REPO / "tests" / "data" / "third_party"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def fixture_records_dir() -> Path:
    return FIXTURE_RECORDS


@pytest.fixture(scope="session")
def third_party_data() -> Path:
    """tests/data/third_party: MIT-licensed CDISC and odmlib sample files (sources in its README.md), always present."""
    return THIRD_PARTY

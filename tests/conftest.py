"""Shared test fixtures: repository paths and the optional third-party sample data in ../shared/data."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURE_RECORDS = REPO / "fixtures" / "records"
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def fixture_records_dir() -> Path:
    return FIXTURE_RECORDS


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (optional test data); tests using it skip with a reason when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"optional third-party sample data not present at {SHARED_DATA}")
    return SHARED_DATA

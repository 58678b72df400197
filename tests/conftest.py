"""Shared test fixtures: repository paths and the vendored third-party sample data (tests/data/third_party).

Hypothesis profiles: "ci" (derandomised: the same examples every run, no example database, every failure printed
with its reproduction blob) is loaded when CI is set or HYPOTHESIS_PROFILE=ci (scripts/test.sh sets it); "default"
is hypothesis' own. Tests that set max_examples themselves keep it under both.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    max_examples=100,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "default"))

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

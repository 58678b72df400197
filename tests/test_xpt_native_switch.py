"""The engine switch: write_xpt / write_package use the native encoder by default, pyreadstat on request; both
decode the same, and the native package is byte-deterministic (header time from the spec, not the clock)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from test_spec_sample_frames import sample_frames
from trialinterop.errors import ConformanceError
from trialinterop.sdtm.conform import conform
from trialinterop.spec import load_spec
from trialinterop.writers.package import write_package
from trialinterop.writers.xpt import XptMember, write_xpt

MEMBER = XptMember("DM", "Demographics", ("Study Identifier", "Unique Subject Identifier", "Age"))
FRAME = pd.DataFrame({"STUDYID": ["NCT05016804"] * 2, "USUBJID": ["NCT05016804-ATG-001", None], "AGE": [45, math.nan]})


@pytest.fixture(scope="module")
def spec():
    return load_spec()


def _conformed(spec):
    return conform(sample_frames(), spec)[0]


def _decoded(path: Path):
    data, meta = pyreadstat.read_xport(str(path))
    return data, meta.column_names_to_labels, meta.variable_storage_width, meta.file_label


def _same(a: Path, b: Path) -> None:
    first, second = _decoded(a), _decoded(b)
    pd.testing.assert_frame_equal(first[0], second[0])
    assert first[1:] == second[1:]


def test_both_engines_decode_the_same(tmp_path: Path) -> None:
    native = write_xpt(FRAME, tmp_path / "native", MEMBER)
    reference = write_xpt(FRAME, tmp_path / "reference", MEMBER, engine="pyreadstat")
    _same(native, reference)
    data = _decoded(native)[0]
    assert list(data["USUBJID"]) == ["NCT05016804-ATG-001", ""]
    assert data["AGE"][0] == 45.0 and math.isnan(data["AGE"][1])
    assert native.read_bytes()[80:160].endswith(b"01JAN60:00:00:00")  # DEFAULT_CREATED, not the clock


def test_unknown_engine_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="engine"):
        write_xpt(FRAME, tmp_path, MEMBER, engine="sas")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_limits_are_still_checked_before_the_native_encoder(tmp_path: Path) -> None:
    with pytest.raises(ConformanceError) as caught:
        write_xpt(FRAME.assign(USUBJID=["Müller", None]), tmp_path, MEMBER)
    assert {i.rule for i in caught.value.issues} == {"TI-XPT006"}
    assert list(tmp_path.iterdir()) == []


def test_native_package_is_byte_deterministic(tmp_path: Path, spec) -> None:
    first = write_package(_conformed(spec), tmp_path / "a", spec=spec, define=False)
    second = write_package(_conformed(spec), tmp_path / "b", spec=spec, define=False)
    assert first.files == second.files and "dm.xpt" in first.files
    for name in first.files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    # mappings/study.yaml: define creation_datetime 2026-01-01T00:00:00
    assert (tmp_path / "a" / "dm.xpt").read_bytes()[80:160].endswith(b"01JAN26:00:00:00")


def test_package_with_the_reference_engine_decodes_the_same(tmp_path: Path, spec) -> None:
    native = write_package(_conformed(spec), tmp_path / "native", spec=spec, define=False)
    reference = write_package(_conformed(spec), tmp_path / "ref", spec=spec, define=False, xpt_engine="pyreadstat")
    assert native.files == reference.files
    for name in native.files:
        _same(tmp_path / "native" / name, tmp_path / "ref" / name)


def test_package_refuses_an_unknown_engine(tmp_path: Path, spec) -> None:
    with pytest.raises(ValueError, match="xpt_engine"):
        write_package(_conformed(spec), tmp_path / "x", spec=spec, xpt_engine="sas")  # type: ignore[arg-type]
    assert not (tmp_path / "x").exists()

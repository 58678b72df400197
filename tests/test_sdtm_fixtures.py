"""The SDTM package built from fixtures/records: submission checks on the conformed datasets, and a golden
end-to-end comparison of the written XPT files decoded by two independent readers (pyreadstat and pandas).

Golden files: tests/golden/sdtm/<dataset>.csv (decoded content) and metadata.json (dataset label, variable names
and labels). Regenerate after an intended change with TRIALINTEROP_REGEN_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from test_sdtm_factory import CG0287
from trialinterop.api import convert_to_sdtm
from trialinterop.ct import load_terminology
from trialinterop.iso8601 import parse_dtc
from trialinterop.sdtm.build import build_sdtm
from trialinterop.sdtm.conform import conform
from trialinterop.source.reader import read_records
from trialinterop.spec import load_spec

REPO = Path(__file__).resolve().parents[1]
RECORDS = REPO / "fixtures" / "records"
GOLDEN = REPO / "tests" / "golden" / "sdtm"
REGENERATE = os.environ.get("TRIALINTEROP_REGEN_GOLDEN") == "1"
SUBJECT_DATASETS = ("SE", "SV", "EX", "AE", "CM", "MH", "DS", "IE", "QS", "RE", "SUPPAE")


@pytest.fixture(scope="module")
def package() -> dict[str, pd.DataFrame]:
    records = read_records(RECORDS)
    spec = load_spec(definition=records.definition)
    frames = build_sdtm(records, load_terminology(), spec=spec)
    conformed, issues = conform(frames, spec)
    errors = [i.render() for i in issues if i.severity.name in ("ERROR", "REJECT")]
    assert errors == []
    return conformed


def test_every_expected_dataset_is_built(package: dict[str, pd.DataFrame]) -> None:
    assert list(package) == [
        "DM", "SE", "SV", "CM", "EX", "AE", "DS", "MH", "IE", "QS", "RE", "TA", "TE", "TV", "TI", "TS", "SUPPAE",
    ]  # fmt: skip


def test_no_required_variable_is_null(package: dict[str, pd.DataFrame]) -> None:
    spec = load_spec()
    nulls = [
        f"{name}.{v.name}"
        for name, frame in package.items()
        for v in spec.variables(name)
        if v.core == "Req" and (v.name not in frame.columns or frame[v.name].isna().any())
    ]
    assert nulls == []


def test_no_duplicate_keys_or_sequence_numbers(package: dict[str, pd.DataFrame]) -> None:
    spec = load_spec()
    for name, frame in package.items():
        keys = [k for k in spec.dataset(name).keys if k in frame.columns]
        assert not frame.duplicated(keys).any(), f"{name}: duplicate {keys}"
        seq = [c for c in frame.columns if c.endswith("SEQ") and c != "TSSEQ"]
        if seq:
            assert not frame.duplicated(["USUBJID", seq[0]]).any(), name


def test_every_subject_record_belongs_to_a_dm_subject(package: dict[str, pd.DataFrame]) -> None:
    subjects = set(package["DM"].USUBJID)
    assert len(subjects) == len(package["DM"])
    for name in SUBJECT_DATASETS:
        assert set(package[name].USUBJID) <= subjects, name


def test_every_visit_is_planned_or_an_unplanned_sv_visit(package: dict[str, pd.DataFrame]) -> None:
    planned = set(package["TV"].VISITNUM)
    sv = package["SV"]
    unplanned = set(zip(sv.USUBJID, sv.VISITNUM, strict=True)) - {
        (u, v) for u, v in zip(sv.USUBJID, sv.VISITNUM, strict=True) if v in planned
    }
    for name in ("SV", "QS", "RE", "IE"):
        frame = package[name]
        stray = [
            (u, v)
            for u, v in zip(frame.USUBJID, frame.VISITNUM, strict=True)
            if v not in planned and (u, v) not in unplanned
        ]
        assert stray == [], name
    assert set(sv[sv.SVPRESP.isna()].VISITNUM) == {v for _, v in unplanned}


def test_trial_summary_has_study_start_and_required_parameters(package: dict[str, pd.DataFrame]) -> None:
    ts = package["TS"]
    assert set(CG0287) <= set(ts.TSPARMCD)
    sstdtc = ts[ts.TSPARMCD == "SSTDTC"].TSVAL.tolist()
    assert sstdtc == ["2021-10-06"]  # consent of 01-001, the first enrolled subject
    assert parse_dtc(sstdtc[0]).is_complete_date
    assert ts[ts.TSPARMCD == "ACTSUB"].TSVAL.tolist() == ["18"]  # 20 subjects, 2 screen failures
    assert not ts.duplicated(["TSPARMCD", "TSSEQ"]).any()
    assert (ts.TSVAL.notna() | ts.TSVALNF.notna()).all()


def test_arms_exist_in_ta(package: dict[str, pd.DataFrame]) -> None:
    arms = set(package["TA"].ARMCD)
    dm = package["DM"]
    assert set(dm.ARMCD.dropna()) <= arms
    assert set(dm.ACTARMCD.dropna()) <= arms
    assert dm[dm.ARMCD.isna()].ARMNRS.tolist() == ["SCREEN FAILURE", "SCREEN FAILURE"]


def test_study_days_and_epochs(package: dict[str, pd.DataFrame]) -> None:
    for name, frame in package.items():
        for column in [c for c in frame.columns if c.endswith(("DY", "STDY", "ENDY")) and c != "VISITDY"]:
            assert not (frame[column] == 0).any(), f"{name}.{column} has day 0"
    for name, dtc in (("AE", "AESTDTC"), ("EX", "EXSTDTC"), ("QS", "QSDTC"), ("RE", "REDTC"), ("DS", "DSSTDTC")):
        frame = package[name]
        complete = frame[dtc].map(lambda v: isinstance(v, str) and parse_dtc(v).is_complete_date)
        assert frame[complete].EPOCH.notna().all(), name


# --- golden end-to-end -----------------------------------------------------------------------------------------


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


IBM_TINY = 16.0**-65
"""pandas reads an IBM-float zero (8 zero bytes) as 16**-65 (pandas-dev/pandas#50670, open); pyreadstat reads 0."""


def _pandas_zero(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.apply(lambda col: col.mask(col == IBM_TINY, 0.0) if col.dtype.kind == "f" else col)


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({c: [_cell(v) for v in frame[c]] for c in frame.columns}, dtype=object)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sdtm") / "package"
    convert_to_sdtm(RECORDS, out, formats=("xpt",), define=False)
    return out


def test_golden_package_content(written: Path) -> None:
    files = sorted(p.name for p in written.iterdir())
    metadata = {}
    for path in sorted(written.glob("*.xpt")):
        by_pyreadstat, meta = pyreadstat.read_xport(str(path))
        by_pandas = pd.read_sas(path, format="xport", encoding="utf-8")
        first, second = _as_text(by_pyreadstat), _as_text(_pandas_zero(by_pandas))
        pd.testing.assert_frame_equal(first, second, check_dtype=False)
        golden = GOLDEN / f"{path.stem}.csv"
        metadata[path.stem] = {
            "member": meta.table_name,
            "label": meta.file_label,
            "columns": dict(meta.column_names_to_labels),
        }
        if REGENERATE:
            golden.parent.mkdir(parents=True, exist_ok=True)
            first.to_csv(golden, index=False, lineterminator="\n")
            continue
        expected = pd.read_csv(golden, dtype=str, keep_default_na=False)
        pd.testing.assert_frame_equal(first.reset_index(drop=True), expected.astype(object), check_dtype=False)
    meta_file = GOLDEN / "metadata.json"
    if REGENERATE:
        meta_file.write_text(json.dumps({"files": files, "datasets": metadata}, indent=1) + "\n", encoding="utf-8")
    assert json.loads(meta_file.read_text(encoding="utf-8")) == {"files": files, "datasets": metadata}

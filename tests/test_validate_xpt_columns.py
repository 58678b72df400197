"""The validator's numpy XPT reading equals pyreadstat's (values, names, labels, types, lengths), decodes non-ASCII
bytes for the rules that report them, and leaves date-formatted or empty members to pyreadstat."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from trialinterop.validate.package import read_xpt
from trialinterop.validate.xpt_columns import decoded_frame, text_column
from trialinterop.writers.xpt_decode import read_xport


def _xpt_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.xpt"))


@pytest.fixture(scope="module")
def fixture_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from trialinterop.api import convert_to_sdtm

    out = tmp_path_factory.mktemp("pkg") / "sdtm"
    convert_to_sdtm(Path(__file__).resolve().parents[1] / "fixtures" / "records", out, define=False)
    return out


def test_fixture_package_reads_as_pyreadstat_reads_it(fixture_package: Path) -> None:
    files = _xpt_files(fixture_package)
    assert len(files) == 17
    for path in files:
        assert decoded_frame(read_xport(path)) is not None, path.name
        dataset = read_xpt(path)
        frame, meta = pyreadstat.read_xport(str(path))
        assert list(dataset.frame.columns) == meta.column_names, path.name
        assert [v.label for v in dataset.variables] == [meta.column_names_to_labels[c] for c in meta.column_names]
        assert [v.length for v in dataset.variables] == [meta.variable_storage_width[c] for c in meta.column_names]
        assert (dataset.label, dataset.member) == (meta.file_label, meta.table_name)
        for column in meta.column_names:
            ours = dataset.frame[column]
            if meta.readstat_variable_types[column] == "string":
                assert ours.tolist() == frame[column].fillna("").tolist(), (path.name, column)
            else:
                assert np.array_equal(ours.to_numpy(float), frame[column].to_numpy(float), equal_nan=True)


def test_sas_written_cdisc_samples_read_as_pyreadstat_reads_them(third_party_data: Path) -> None:
    for name in ("dm", "ae"):
        path = third_party_data / "dataset-json" / f"{name}.xpt"
        assert decoded_frame(read_xport(path)) is not None  # the numpy path, not the pyreadstat fallback
        ours = read_xpt(path).frame
        theirs, meta = pyreadstat.read_xport(str(path))
        assert list(ours.columns) == list(theirs.columns)
        for column in theirs.columns:
            if meta.readstat_variable_types[column] == "string":
                assert ours[column].tolist() == theirs[column].fillna("").tolist(), column
            else:
                assert np.array_equal(ours[column].to_numpy(float), theirs[column].to_numpy(float), equal_nan=True)


def test_text_columns_decode_each_distinct_value_once() -> None:
    stored = np.frombuffer(b"AB  AB   X  CAF\xc9    \xc3\xa9  ", dtype=np.uint8).reshape(6, 4)
    assert text_column(stored).tolist() == ["AB", "AB", " X", "CAF\u00c9", "", "\u00e9"]


def test_values_longer_than_a_machine_word_are_told_apart() -> None:
    rows = [b"NCT05016804-01-001", b"NCT05016804-01-002", b"NCT05016804-01-001"]
    stored = np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(3, 18)
    assert text_column(stored).tolist() == ["NCT05016804-01-001", "NCT05016804-01-002", "NCT05016804-01-001"]


def test_date_formatted_numbers_are_left_to_pyreadstat(tmp_path: Path) -> None:
    path = tmp_path / "xx.xpt"
    frame = pd.DataFrame({"XXDT": [pd.Timestamp("2022-03-01").date()], "XXTEXT": ["A"]})
    pyreadstat.write_xport(frame, str(path), table_name="XX", file_format_version=5)
    assert decoded_frame(read_xport(path)) is None
    assert str(read_xpt(path).frame["XXDT"].iloc[0]) == "2022-03-01"

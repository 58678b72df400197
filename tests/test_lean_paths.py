"""The memory- and CPU-saving paths of fhir-to-sdtm give what the plain paths gave: row keys of issue messages read
from categorical and float columns, Arrow-backed text encoded natively, an XPT file still read back after its
mapped pages are let go, and the test index memoised by codings (a malformed coding still maps to nothing)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from test_spec_sample_frames import S1
from trialinterop.definition import bundled_definition
from trialinterop.fhir_in import findings
from trialinterop.issues import Severity
from trialinterop.sdtm.conform import conform_dataset
from trialinterop.spec import load_spec
from trialinterop.text_columns import text_codes
from trialinterop.writers.xpt_decode import read_xport
from trialinterop.writers.xpt_native import write_xport_native


@pytest.fixture(scope="module")
def spec():
    return load_spec(definition=bundled_definition("NCT05016804"))


def test_row_keys_from_categorical_subject_and_float_sequence(spec) -> None:
    ds = pd.DataFrame(
        {
            "STUDYID": ["NCT05016804"] * 2,
            "DOMAIN": ["DS"] * 2,
            "USUBJID": pd.Categorical([S1, S1]),
            "DSSEQ": np.array([1.0, 2.0]),
            "DSTERM": ["Informed consent obtained", "Completed"],
            "DSDECOD": ["INFORMED CONSENT OBTAINED", "INFORMED CONSENT OBTAINED"],
            "DSCAT": ["PROTOCOL MILESTONE", "DISPOSITION EVENT"],
            "DSSTDTC": ["2022-02-10", "2026-03-01"],
            "DSSTDY": [-19, 1462],
        }
    )
    _, issues = conform_dataset(ds, "DS", spec)
    flagged = [(i.rule, i.field, i.key) for i in issues if i.severity >= Severity.WARNING]
    assert flagged == [("TI-CF009", "DSDECOD", f"row 2, USUBJID={S1}, DSSEQ=2")]


def test_arrow_text_codes_in_order_of_first_appearance_with_nulls() -> None:
    codes, values = text_codes(pd.Series(["b", "a", None, "b", "", "a"], dtype="str"))
    assert codes.tolist() == [0, 1, -1, 0, 2, 1]
    assert values.tolist() == ["b", "a", ""]
    assert codes.dtype == np.intp and values.dtype == object


def test_xpt_values_read_back_after_the_pages_are_let_go(tmp_path: Path) -> None:
    frame = pd.DataFrame({"USUBJID": [f"S-{n:05d}" for n in range(5000)], "QSSEQ": np.arange(1.0, 5001.0)})
    path = tmp_path / "qs.xpt"
    write_xport_native(frame, path, dataset="QS", label="Questionnaires", column_labels=["Subject", "Sequence"],
                       created=datetime(2026, 1, 1))  # fmt: skip
    decoded = read_xport(path)
    decoded.let_go()
    assert decoded.rows == 5000
    assert decoded.texts("USUBJID")[4999] == "S-04999"
    assert decoded.numbers("QSSEQ")[[0, 4999]].tolist() == [1.0, 5000.0]
    decoded.let_go()
    assert decoded.texts("USUBJID")[0] == "S-00000"


def test_test_index_memoised_and_malformed_codings_match_nothing() -> None:
    index = findings.TestIndex(bundled_definition("NCT05016804"))
    concept = {"coding": [{"system": "https://x.example/CodeSystem/nct05016804-qstestcd", "code": "MRSS0101"}]}
    first = index.candidates(concept)
    assert [t.test.testcd for t in first] == ["MRSS0101"]
    first.clear()  # the caller's list is its own: the memoised one is unchanged
    assert [t.test.testcd for t in index.candidates(concept)] == ["MRSS0101"]
    assert index.candidates({"coding": [{"system": {"not": "a string"}, "code": {"nor": "this"}}]}) == []

"""The memory- and CPU-saving paths of fhir-to-sdtm give what the plain paths gave (row keys of issue messages read
from categorical and float columns: tests/test_conform.py): Arrow-backed text encoded natively, an XPT file still
read back after its mapped pages are let go, and the test index memoised by codings (a malformed coding still maps to
nothing)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from trialinterop.definition import bundled_definition
from trialinterop.fhir_in import findings
from trialinterop.text_columns import text_codes
from trialinterop.writers.xpt_decode import read_xport
from trialinterop.writers.xpt_native import write_xport_native


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
    assert isinstance(first, tuple)  # the memo is handed out as it is: immutable, so no caller can change it
    assert index.candidates(concept) is first
    assert index.candidates({"coding": [{"system": {"not": "a string"}, "code": {"nor": "this"}}]}) == ()

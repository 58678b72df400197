"""Controlled terminology loaded from mappings/codelists.csv."""

from __future__ import annotations

import pytest

from trialinterop.ct import load_terminology
from trialinterop.errors import SpecError


def test_known_codes():
    ct = load_terminology()
    assert ct.code("SEX", "F") == "C16576"
    assert ct.code("OUT", "RECOVERED/RESOLVED") == "C49498"
    assert ct.code("UNIT", "10^6 Therapeutic Cells") == "C187973"
    assert ct.code("RETESTCD", "FVC") == "C111361"
    assert ct.codelist("SEX").code == "C66731"
    assert not ct.codelist("SEX").extensible
    assert ct.codelist("EPOCH").extensible


def test_unknown_term_and_codelist():
    ct = load_terminology()
    assert not ct.has("SEX", "UNDIFFERENTIATED")
    with pytest.raises(SpecError, match="not a term of codelist SEX"):
        ct.term("SEX", "female")
    with pytest.raises(SpecError, match="NOPE"):
        ct.codelist("NOPE")


def test_bad_file_is_rejected(tmp_path):
    bad = tmp_path / "codelists.csv"
    bad.write_text(
        "codelist,codelist_code,codelist_name,extensible,term,term_code,decode\n"
        "SEX,C66731,Sex,No,F,C16576,Female\nSEX,C66731,Sex,No,F,C16576,Female\n",
        encoding="utf-8",
    )
    with pytest.raises(SpecError, match=r"codelists.csv:3: duplicate term 'F' in SEX"):
        load_terminology(bad)
    bad.write_text("codelist,term\nSEX,F\n", encoding="utf-8")
    with pytest.raises(SpecError, match="columns must be"):
        load_terminology(bad)

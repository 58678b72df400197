"""Per-item value transforms of ODM mappings (odm/transforms.py): vendor dates to ISO 8601 partial dates, regex,
unit stripping, multi-select split, constants."""

from __future__ import annotations

import re

import pytest

from trialinterop.odm.transforms import DateFormat, Transform


@pytest.mark.parametrize(
    ("layout", "text", "iso"),
    [
        ("DD MON YYYY", "02 JAN 1980", "1980-01-02"),
        ("DD MON YYYY", "02 jan 1980", "1980-01-02"),
        ("DD MON YYYY", "UN JAN 1980", "1980-01"),
        ("DD MON YYYY", "01 UNK 2008", "2008"),  # day known, month not: right-truncated (SDTMIG 4.4.4)
        ("DD MON YYYY", "UN UNK 2008", "2008"),
        ("DD MON YYYY", "UN UNK UNKN", ""),
        ("DD-MON-YYYY hh:mm", "05-MAR-2022 14:30", "2022-03-05T14:30"),
        ("MM/DD/YYYY", "3/5/2022", "2022-03-05"),
        ("YYYY-MM-DD", "2022-03-05", "2022-03-05"),
        ("DD/MM/YYYY hh", "05/03/2022 09", "2022-03-05T09"),
    ],
)
def test_dates(layout: str, text: str, iso: str) -> None:
    assert DateFormat.parse(layout).to_iso(text) == iso


@pytest.mark.parametrize(("layout", "text"), [("DD MON YYYY", "02 XYZ 1980"), ("DD MON YYYY", "1980-01-02")])
def test_dates_not_in_the_layout(layout: str, text: str) -> None:
    assert DateFormat.parse(layout).to_iso(text) is None


def test_layout_needs_a_year() -> None:
    with pytest.raises(ValueError, match="has no year"):
        DateFormat.parse("DD MON")


def test_pipeline() -> None:
    assert Transform(unit="Years").before_decode("35 Years") == ["35"]
    assert Transform(unit="Years").before_decode("35") == ["35"]
    with pytest.raises(ValueError, match="has no unit 'Years'"):
        Transform(unit="Years").before_decode("35 Months")
    assert Transform(split=",").before_decode("1, 2,,3") == ["1", "2", "3"]
    assert Transform(regex=re.compile(r"SUBJ-(\d+)")).before_decode("site A SUBJ-0042") == ["0042"]
    assert Transform(regex=re.compile(r"^(\d+)-(\d+)$"), replace=r"\2-\1").before_decode("701-1001") == ["1001-701"]
    with pytest.raises(ValueError, match="does not match"):
        Transform(regex=re.compile(r"^\d+$")).before_decode("x")
    assert Transform(constant="Y").after_decode("checked") == "Y"
    dates = Transform(dates=(DateFormat.parse("DD MON YYYY"), DateFormat.parse("YYYY")))
    assert [dates.after_decode(t) for t in ("01 FEB 2001", "2001")] == ["2001-02-01", "2001"]
    with pytest.raises(ValueError, match="is not a date laid out as DD MON YYYY or YYYY"):
        dates.after_decode("Feb 2001")

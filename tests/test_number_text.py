"""The one number-to-text helper (`trialinterop.number_text`) and the one longest-text-in-bytes helper (`max_bytes`)."""

from __future__ import annotations

import math

import numpy as np

from trialinterop.number_text import format_number, number_text
from trialinterop.writers.lengths import max_bytes


def test_format_number() -> None:
    assert format_number(100.0) == "100"
    assert format_number(2.91) == "2.91"
    assert format_number(-0.5) == "-0.5"
    assert format_number(0.1 + 0.2) == "0.30000000000000004"  # the shortest text that reads back as the same double
    assert format_number(0.1 + 0.2, digits=15) == "0.3"  # define.xml lengths: 15 significant digits
    assert format_number(np.float64(2.5)) == "2.5"  # not "np.float64(2.5)"
    assert format_number(7) == "7"


def test_number_text_keeps_missing_values_missing() -> None:
    assert number_text(None) is None
    assert number_text(math.nan) is None
    assert number_text(np.float64("nan")) is None
    assert number_text(3) == "3" and number_text("4.50") == "4.5" and number_text(1e-7) == "1e-07"


def test_sdtm_builders_use_the_same_helper() -> None:
    from trialinterop.sdtm.domains import base

    assert base.number_text is number_text


def test_max_bytes() -> None:
    assert max_bytes([]) == 1
    assert max_bytes(["", ""]) == 1
    assert max_bytes(["ab", "abc"]) == 3
    assert max_bytes(["abc", "éé"]) == 4  # é is 2 bytes in UTF-8
    assert max_bytes(iter(["x", "€"])) == 3

"""Long values cut into 200-byte pieces at word boundaries (TSVAL, TSVAL1..n)."""

from __future__ import annotations

from trialinterop.sdtm.split_text import split_text


def test_short_text_is_one_piece() -> None:
    assert split_text("Safety") == ["Safety"]


def test_cut_at_the_last_space_that_fits() -> None:
    assert split_text("aaaa bbbb cccc", limit=10) == ["aaaa bbbb", "cccc"]


def test_no_piece_ends_or_starts_with_a_blank() -> None:
    text = (
        "To determine whether the changes from baseline in ADAS-Cog and CIBIC+ at week 24 differ between the "
        "xanomeline patch and placebo arms, in patients with mild to moderate Alzheimer's disease, at either dose."
    )
    pieces = split_text(text, limit=100)
    assert all(len(p.encode()) <= 100 and p == p.strip() for p in pieces)
    assert " ".join(pieces) == text
    assert len(pieces) == 3


def test_multibyte_text_is_measured_in_bytes() -> None:
    assert split_text("ééé ééé", limit=7) == ["ééé", "ééé"]


def test_a_word_longer_than_the_limit_is_cut_inside() -> None:
    assert split_text("abcdefghij", limit=4) == ["abcd", "efgh", "ij"]

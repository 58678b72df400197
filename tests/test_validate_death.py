"""A fatal adverse event ends at death: AEENDTC vs DM.DTHDTC at the precision both have (TI-DM006)."""

from __future__ import annotations

from trialinterop.validate.engine import run_rules
from trialinterop.validate.registry import get_rule
from validate_cases import S1, S2, STUDY, clean_package, make_dataset, replace_dataset

MESSAGE = "Fatal adverse event (AEOUT=FATAL or AESDTH=Y) ends on another date than DM.DTHDTC"


def _found(package) -> list[tuple[str, str, str, str, str]]:
    issues = run_rules(package, rules=[get_rule("TI-DM006")])
    return [(i.where, i.key, i.field, i.value, i.message) for i in issues]


def _package(deaths: dict[str, str], *events: tuple[str, str, str, str]):
    """DM with DTHDTC per subject; AE of (USUBJID, AEOUT, AESDTH, AEENDTC) rows."""
    dm = make_dataset(
        "DM",
        [{"STUDYID": STUDY, "DOMAIN": "DM", "USUBJID": s, "DTHFL": "Y" if deaths.get(s) else "",
          "DTHDTC": deaths.get(s, "")} for s in (S1, S2)],
    )  # fmt: skip
    ae = make_dataset(
        "AE",
        [{"STUDYID": STUDY, "DOMAIN": "AE", "USUBJID": s, "AESEQ": n, "AETERM": "EVENT", "AEOUT": out, "AESDTH": sdth,
          "AESTDTC": "2022-03-01", "AEENDTC": end} for n, (s, out, sdth, end) in enumerate(events, start=1)],
    )  # fmt: skip
    return replace_dataset(replace_dataset(clean_package(), dm), ae)


def test_fatal_event_ending_before_death():
    # the pilot's 01-704-1445: COMPLETED SUICIDE, AEOUT FATAL, AEENDTC 2014-10-31, DTHDTC 2014-11-01
    package = _package({S1: "2014-11-01"}, (S1, "FATAL", "Y", "2014-10-31"))
    assert _found(package) == [("AE", f"{S1}, AESEQ=1", "AEENDTC", "2014-10-31 (DTHDTC 2014-11-01)", MESSAGE)]


def test_aesdth_alone_or_aeout_alone_is_fatal():
    package = _package(
        {S1: "2022-04-20", S2: "2022-05-01"}, (S1, "NOT RECOVERED/NOT RESOLVED", "Y", "2022-04-19"),
        (S2, "FATAL", "N", "2022-05-02"),
    )  # fmt: skip
    assert _found(package) == [
        ("AE", f"{S1}, AESEQ=1", "AEENDTC", "2022-04-19 (DTHDTC 2022-04-20)", MESSAGE),
        ("AE", f"{S2}, AESEQ=2", "AEENDTC", "2022-05-02 (DTHDTC 2022-05-01)", MESSAGE),
    ]


def test_compared_at_common_precision():
    package = _package(
        {S1: "2022-04-20", S2: "2022-05"},
        (S1, "FATAL", "Y", "2022-04-20T10:00"),
        (S2, "FATAL", "Y", "2022-05-14"),
    )
    assert _found(package) == []


def test_time_differs_when_both_have_times():
    package = _package({S1: "2022-04-20T09:00"}, (S1, "FATAL", "Y", "2022-04-20T10:00"))
    assert _found(package) == [
        ("AE", f"{S1}, AESEQ=1", "AEENDTC", "2022-04-20T10:00 (DTHDTC 2022-04-20T09:00)", MESSAGE)
    ]


def test_not_fatal_or_dates_missing_is_not_judged():
    package = _package(
        {S1: "2022-04-20"},
        (S1, "RECOVERED/RESOLVED", "N", "2022-03-05"),  # not fatal
        (S1, "FATAL", "Y", ""),  # no end date: TI-AE003
        (S2, "FATAL", "Y", "2022-05-02"),  # no DTHDTC
    )
    assert _found(package) == []

"""A dataset held in parts (ranges of subjects, as Spark's executors hold the findings datasets) gives what the whole
dataset gives: the parts' facts merge (`sdtm.conform_parts`), the conformed parts concatenate to the conformed whole,
and the writers' parts (`encode_xpt_part`, `dataset_json_part`) concatenate to the same XPT and Dataset-JSON bytes;
define.xml from the merged sample is the one of the whole. Parts that cannot give the whole's issues or order
are refused (the caller then conforms the whole)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lxml import etree

from trialinterop.ct import load_terminology
from trialinterop.define.build import build_define
from trialinterop.definition import bundled_definition
from trialinterop.issues import Issue, Severity
from trialinterop.sdtm.conform import conform_dataset, permissible_drops
from trialinterop.sdtm.conform_parts import PartFacts, concat_parts, conform_part, define_sample, merge_facts
from trialinterop.sdtm.context import build_context
from trialinterop.sdtm.domains.findings import build_findings_in_parts
from trialinterop.source.generate import generate_records
from trialinterop.spark.findings import join_range
from trialinterop.spark.ranges import split_by_range, subject_ranges
from trialinterop.spec import load_spec, with_data_terms
from trialinterop.writers.dataset_json import dataset_json_part, write_dataset_json, write_dataset_json_parts
from trialinterop.writers.package import xpt_member
from trialinterop.writers.xpt import encode_xpt_part, write_xpt, write_xpt_parts
from trialinterop.writers.xpt_member import XptMember

STUDY = "NCT05016804"


@pytest.fixture(scope="module")
def trial() -> tuple[object, object, object]:
    records = generate_records(bundled_definition(STUDY), subjects=7, seed=23)
    spec = load_spec(definition=records.definition)
    return records, spec, build_context(records, load_terminology(), spec=spec)


@pytest.fixture(scope="module")
def qs(trial) -> tuple[object, pd.DataFrame, list[str]]:
    records, spec, ctx = trial
    return spec, build_findings_in_parts(records, ctx, "QS", subjects=3), list(ctx.subjects)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).where(frame.notna(), None)


def test_ranges_of_subjects_split_and_join_the_built_rows(qs) -> None:
    _, built, subjects = qs
    assert subject_ranges(["S-3", "S-1", "S-5", "S-2", "S-4"], 2) == ["S-3", "S-5"]
    boundaries = subject_ranges(subjects, 3)
    assert len(boundaries) == 2
    pieces = list(split_by_range(built, boundaries))
    assert [number for number, _ in pieces] == [0, 1, 2]
    assert sum(len(piece) for _, piece in pieces) == len(built)
    for number, piece in pieces:  # each range: its subjects (those with QS rows), all their rows, in the built order
        ids = set(piece["USUBJID"].unique().tolist())
        mine = sorted(subjects)[3 * number : 3 * number + 3]
        assert ids == set(mine) & set(built["USUBJID"].unique().tolist())
        mine = built[built["USUBJID"].isin(mine)].reset_index(drop=True)
        pd.testing.assert_frame_equal(_plain(piece), _plain(mine))


@pytest.mark.parametrize("domain", ["QS", "RE"])  # RE: measured results, nearly every value distinct
def test_parts_conform_write_and_describe_as_the_whole(trial, domain: str, tmp_path: Path) -> None:
    records, spec, ctx = trial
    built, subjects = build_findings_in_parts(records, ctx, domain, subjects=3), list(ctx.subjects)
    whole, issues = conform_dataset(built, domain, with_data_terms(spec, {domain: built}))
    pieces = [piece for _, piece in split_by_range(built, subject_ranges(subjects, 3))]
    columns = list(built.columns)
    variables = [v for v in spec.variables(domain) if v.name in columns]
    unused = {v.name for v in spec.variables(domain) if v.name not in columns}
    # the pieces of a range come in any order: joined by their first USUBJID
    ranges = [join_range(list(reversed(pieces[:2])), variables, unused), join_range([pieces[2]], variables, unused)]
    conformed = [conform_part(frame, domain, spec) for frame in ranges]
    merged = merge_facts([facts for _, facts in conformed], domain, spec)
    assert merged is not None
    assert merged.rows == len(whole) == len(built)
    assert merged.columns == tuple(whole.columns)
    assert list(merged.issues) == issues  # the notices of the variables dropped (empty in every part)
    assert all(issue.rule == "TI-CF012" for issue in issues) and issues
    parts = [frame[list(merged.columns)] for frame, _ in conformed]
    pd.testing.assert_frame_equal(_plain(concat_parts(parts)), _plain(whole))

    member = xpt_member(spec, domain, whole)
    write_xpt(whole, tmp_path / "whole", member)
    write_dataset_json(whole, tmp_path / "whole", domain, spec)
    assert write_xpt_parts(tmp_path / "parts", member, [encode_xpt_part(p, member, merged.lengths) for p in parts])
    json_parts = [dataset_json_part(p, domain, spec) for p in parts]
    names = list(merged.columns)
    assert write_dataset_json_parts(
        tmp_path / "parts", domain, spec, names=names, lengths=merged.lengths, records=merged.rows, parts=json_parts
    )
    for name in (f"{domain.lower()}.xpt", f"{domain.lower()}.json"):
        assert (tmp_path / "parts" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()

    assert merged.sample["USUBJID"].notna().sum() == 1  # a subject-level text: its longest value only
    described = build_define(with_data_terms(spec, {domain: merged.sample}), {domain: merged.sample})
    expected = build_define(with_data_terms(spec, {domain: whole}), {domain: whole})
    assert etree.tostring(described) == etree.tostring(expected)


def _facts(rows: int, first: str, last: str, **changes: object) -> PartFacts:
    facts = PartFacts(
        rows=rows,
        columns=("STUDYID", "USUBJID", "QSSEQ", "QSTESTCD", "QSBLFL", "QSDRVFL"),
        issues=(),
        filled=frozenset({"STUDYID", "USUBJID", "QSSEQ", "QSTESTCD"}),
        lengths={"STUDYID": 11, "USUBJID": 14, "QSTESTCD": 6, "QSBLFL": 1, "QSDRVFL": 1},
        lead={"STUDYID": frozenset({"NCT05016804"})},
        first=first,
        last=last,
        sample=pd.DataFrame(
            {
                "STUDYID": ["NCT05016804"],
                "USUBJID": [last],
                "QSSEQ": [float(rows)],
                "QSTESTCD": ["MRS"],
                "QSBLFL": [None],
                "QSDRVFL": [None],
            }
        ),
    )
    return replace(facts, **changes)  # type: ignore[arg-type]


def test_two_parts_facts_merge(qs) -> None:
    spec = qs[0]
    one = _facts(3, "NCT05016804-001", "NCT05016804-002")
    two = _facts(
        4,
        "NCT05016804-003",
        "NCT05016804-0010",
        filled=one.filled | {"QSDRVFL"},
        lengths={"STUDYID": 11, "USUBJID": 15, "QSTESTCD": 8, "QSBLFL": 1, "QSDRVFL": 1},
    )
    merged = merge_facts([one, two], "QS", spec)
    assert merged is not None
    assert merged.rows == 7
    assert merged.columns == ("STUDYID", "USUBJID", "QSSEQ", "QSTESTCD", "QSDRVFL")  # QSBLFL: empty in both
    assert merged.lengths == {"STUDYID": 11, "USUBJID": 15, "QSTESTCD": 8, "QSDRVFL": 1}
    assert merged.issues == (
        Issue("TI-CF012", Severity.NOTICE, "Perm variable QSBLFL has no data and was dropped", "QS", "", "QSBLFL"),
    )
    assert merged.sample["QSSEQ"].dropna().tolist() == [3.0, 4.0]
    assert sorted(merged.sample["USUBJID"].dropna().tolist()) == ["NCT05016804-0010"]  # the longest only
    assert merged.sample["QSTESTCD"].dropna().tolist() == ["MRS"]  # coded: every distinct value
    kept = merge_facts([one, two], "QS", spec, drop_empty_perm=False)
    assert kept is not None and kept.columns == one.columns and kept.issues == ()


def test_parts_that_cannot_give_the_whole_are_refused(qs) -> None:
    spec = qs[0]
    one = _facts(3, "NCT05016804-001", "NCT05016804-002")
    two = _facts(4, "NCT05016804-003", "NCT05016804-004")
    assert merge_facts([one, two], "QS", spec) is not None
    issue = Issue("TI-CF009", Severity.WARNING, "not a term of NY", "QS", "row 2, USUBJID=x", "QSBLFL", "X")
    assert merge_facts([one, replace(two, issues=(issue,))], "QS", spec) is None  # rows of the whole unknown
    assert merge_facts([two, one], "QS", spec) is None  # not in USUBJID order
    overlapping = replace(two, first="NCT05016804-002")
    assert merge_facts([one, overlapping], "QS", spec) is None
    other_study = replace(two, lead={"STUDYID": frozenset({"OTHER"})})
    assert merge_facts([one, other_study], "QS", spec) is None
    assert merge_facts([one, replace(two, first=None)], "QS", spec) is None
    assert merge_facts([one, replace(two, columns=one.columns[:-1])], "QS", spec) is None
    assert merge_facts([], "QS", spec) is None
    assert merge_facts([one, replace(two, rows=0, first=None, last=None)], "QS", spec) is not None  # empty part


def test_permissible_drops_keep_a_study_day_beside_its_date() -> None:
    spec = load_spec(definition=bundled_definition(STUDY))
    present = ["STUDYID", "USUBJID", "QSSEQ", "QSBLFL", "QSDTC", "QSDY", "QSTPTREF", "QSORRESU"]
    empty = {"QSBLFL", "QSDY", "QSTPTREF", "QSORRESU"}  # QSORRESU is Collected: kept even empty
    assert permissible_drops(spec.variables("QS"), present, lambda name: name in empty) == ["QSBLFL", "QSTPTREF"]
    no_date = [name for name in present if name != "QSDTC"]
    assert permissible_drops(spec.variables("QS"), no_date, lambda name: name in empty) == [
        "QSBLFL",
        "QSDY",
        "QSTPTREF",
    ]


def test_define_sample_keeps_value_level_rows_codes_and_the_longest_text(qs) -> None:
    spec = qs[0]
    frame = pd.DataFrame(
        {
            "USUBJID": pd.Categorical(["S-1", "S-22", "S-1", None, "S-1"]),
            "QSTESTCD": pd.Categorical(["A", "B", "A", "A", "A"]),
            "QSORRES": pd.Categorical(["1", "2", "3", "10", "2.5"]),
            "QSSEQ": [1.0, 1.0, 2.0, np.nan, 3.0],
        }
    )
    sample = define_sample(frame, "QS", spec)
    rows = sample.astype(object).where(sample.notna(), None).values.tolist()
    assert rows == [
        # (QSTESTCD, QSORRES) as in the data: per test code, the first row and the rows with the longest text, the
        # most digits and the most decimals of QSORRES (A: "1" first, "10" the first with 2 digits, "2.5" the longest
        # and the most decimals; "3" none of these; B: "2")
        [None, "A", "1", None],
        [None, "B", "2", None],
        [None, "A", "10", None],
        [None, "A", "2.5", None],
        ["S-22", None, None, None],  # USUBJID: the longest value only
        [None, None, None, 1.0],  # QSSEQ: every distinct number, missing too
        [None, None, None, 2.0],
        [None, None, None, None],
        [None, None, None, 3.0],
    ]


def _member() -> XptMember:
    return XptMember("XX", "A dataset", ("Study", "Value", "Text"), datetime(2020, 1, 2, 3, 4, 5))


def test_xpt_parts_concatenate_to_the_file_of_the_whole(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "STUDYID": pd.Categorical(["S1", "S1", "S1"]),
            "AVAL": [1.0, np.nan, 2.5],
            "TXT": pd.Series(["a", None, "abc"], dtype=object),
        }
    )
    write_xpt(frame, tmp_path / "whole", _member())
    widths = {"STUDYID": 2, "TXT": 3}
    parts = [encode_xpt_part(frame.iloc[:1], _member(), widths), encode_xpt_part(frame.iloc[1:], _member(), widths)]
    assert [len(part.observations) for part in parts] == [13, 26]  # 2 + 8 + 3 bytes a row
    assert write_xpt_parts(tmp_path / "parts", _member(), parts) == tmp_path / "parts" / "xx.xpt"
    assert (tmp_path / "parts" / "xx.xpt").read_bytes() == (tmp_path / "whole" / "xx.xpt").read_bytes()
    with pytest.raises(ValueError, match="width 2 is less than the longest value"):
        encode_xpt_part(frame, _member(), {"STUDYID": 2, "TXT": 2})


def test_a_part_breaking_an_xpt_limit_writes_nothing(tmp_path: Path) -> None:
    clean = pd.DataFrame({"STUDYID": ["S1"], "AVAL": [1.0], "TXT": ["a"]})
    bad = pd.DataFrame({"STUDYID": ["S1"], "AVAL": [1.0], "TXT": ["é"]})
    widths = {"STUDYID": 2, "TXT": 2}
    broken = encode_xpt_part(bad, _member(), widths)
    assert [issue.rule for issue in broken.issues] == ["TI-XPT006"] and broken.observations == b""
    assert write_xpt_parts(tmp_path, _member(), [encode_xpt_part(clean, _member(), widths), broken]) is None
    assert write_xpt_parts(tmp_path, _member(), []) is None
    assert list(tmp_path.iterdir()) == []

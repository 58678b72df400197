"""The pieces of `fhir-to-sdtm --engine spark` that keep the subjects' records on the executors (spark.elsewhere,
spark.findings, spark.ranges): the facts the driver reduces instead of holding the records, the datasets built and
conformed there in ranges of subjects, and the subject order the joined parts are put in.
(That the written package is byte-identical to the local engine's is tests/test_spark_engine.py's proof.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from trialinterop.ct import load_terminology
from trialinterop.definition import bundled_definition
from trialinterop.fhir.emit import write_fhir
from trialinterop.fhir_in import read_fhir_trial
from trialinterop.fhir_in.subjects import SubjectPart
from trialinterop.fhir_in.to_records import SubjectRecords
from trialinterop.sdtm.build import build_sdtm, check_build
from trialinterop.sdtm.conform import conform_dataset
from trialinterop.sdtm.context import build_context
from trialinterop.sdtm.domains.findings import build_findings_in_parts
from trialinterop.sdtm.domains.ts import TrialCounts, trial_counts
from trialinterop.source import models as m
from trialinterop.source.generate import generate_records
from trialinterop.spark import grouping as spark_grouping
from trialinterop.spark import ranges as spark_ranges
from trialinterop.spark.elsewhere import SubjectFacts, strip_records
from trialinterop.spark.fhir_to_sdtm import trial_on_executors
from trialinterop.spark.findings import Facts, FindingsInParts
from trialinterop.spark.ranges import ConformedRanges, in_subject_order
from trialinterop.spark.session import java_command, spark_session
from trialinterop.spec import load_spec, with_data_terms

STUDY = "NCT05016804"


def _part(*findings: m.Finding, subject: m.Subject | None = None, aes: tuple[m.AdverseEvent, ...] = ()) -> SubjectPart:
    return SubjectPart(
        SubjectRecords(subjects=[subject] if subject else [], findings=list(findings), adverse_events=list(aes))
    )


def _subject(subject_id: str) -> m.Subject:
    return m.Subject(subject_id, "01", "F", "ARG", "2020-01-02", "Y")


def test_the_driver_gets_the_parts_without_records_and_the_facts_about_them() -> None:
    definition = bundled_definition(STUDY)
    parts = [
        _part(
            m.Finding("002", "MRSS", "Q1", 1.0, datetime="2020-03-01T10:00", result="2"),
            m.Finding("002", "MRSS", "Q2", 2.0, datetime="2020-04-10", result="3", unit="pts"),
            subject=_subject("002"),
            aes=(m.AdverseEvent("002", 1, "Headache", sponsor_id="AE-7"),),
        ),
        _part(
            m.Finding("001", "VITALS", "SYSBP", 1.0, datetime="2020-05", result="120", position="SITTING"),
            subject=_subject("001"),
        ),
    ]
    got = list(strip_records(parts, definition))
    assert [kind for kind, _ in got] == ["part", "part", "facts"]
    assert [item.records for _, item in got[:2]] == [SubjectRecords(), SubjectRecords()]
    facts = got[2][1]
    assert facts.subjects == [("001", "NCT05016804-001"), ("002", "NCT05016804-002")]
    assert facts.datasets == {"DM", "SE", "SV", "EX", "AE", "DS", "IE", "SUPPDM", "SUPPAE"}
    assert facts.spid_domains == {"AE"}
    assert facts.findings.tests == {("MRSS", "Q1"), ("MRSS", "Q2"), ("VITALS", "SYSBP")}
    assert dict(facts.findings.recorded) == {"MRSS": {"unit"}, "VITALS": {"position"}}
    assert dict(facts.findings.counts) == {"MRSS": 2, "VITALS": 1}


def test_facts_of_partitions_merge() -> None:
    one, two = Facts(), Facts()
    one.tests, two.tests = {("ADAS", "Q1")}, {("VITALS", "SYSBP")}
    one.recorded["ADAS"] = {"unit"}
    two.recorded["ADAS"] = {"timepoint"}
    one.counts["ADAS"], two.counts["ADAS"] = 3, 4
    one.merge(two)
    assert one.tests == {("ADAS", "Q1"), ("VITALS", "SYSBP")}
    assert dict(one.recorded) == {"ADAS": {"unit", "timepoint"}}
    assert dict(one.counts) == {"ADAS": 7}
    first = SubjectFacts([("002", "S-002")], {"DM", "AE"}, {"AE"}, one)
    first.merge(SubjectFacts([("001", "S-001")], {"DM", "CM"}, {"CM"}, Facts(tests={("RE", "FVC")})))
    assert first.subjects == [("002", "S-002"), ("001", "S-001")]
    assert (first.datasets, first.spid_domains) == ({"DM", "AE", "CM"}, {"AE", "CM"})
    assert ("RE", "FVC") in first.findings.tests


def test_a_task_takes_about_range_rows_rows() -> None:
    assert spark_ranges.RANGE_ROWS == 20_000
    assert spark_ranges.ranges_per_task(10_000, 40) == 80  # DM of 10,000 subjects: one task
    assert spark_ranges.ranges_per_task(840_000, 40) == 1  # QS: 84 rows a subject, 21,000 a range
    assert spark_ranges.ranges_per_task(0, 3) == 60_000


def test_trial_counts_of_parts_merge_into_the_whole_trials() -> None:
    one = TrialCounts("2020-03-01", 2, "2021-01-01")
    assert one.merge(TrialCounts("2020-02-01", 3, None)) == TrialCounts("2020-02-01", 5, "2021-01-01")
    assert TrialCounts().merge(TrialCounts(None, 1, "2020-05-05")) == TrialCounts(None, 1, "2020-05-05")


def test_joined_parts_come_in_subject_order_with_categories_in_order_of_appearance() -> None:
    frame = pd.DataFrame(
        {
            "USUBJID": pd.Categorical(["S-2", "S-2", "S-1", "S-3", "S-1"]),
            "QSTESTCD": pd.Categorical(["B", "A", "C", "A", "B"], categories=["B", "A", "C"]),
            "QSSEQ": [1.0, 2.0, 1.0, 1.0, 2.0],
        }
    )
    ordered = in_subject_order(frame, ["S-1", "S-2", "S-3"])
    assert ordered["USUBJID"].tolist() == ["S-1", "S-1", "S-2", "S-2", "S-3"]
    assert ordered["QSTESTCD"].tolist() == ["C", "B", "B", "A", "A"]
    assert ordered["QSSEQ"].tolist() == [1.0, 2.0, 1.0, 2.0, 1.0]
    assert ordered["USUBJID"].cat.categories.tolist() == ["S-1", "S-2", "S-3"]
    assert ordered["QSTESTCD"].cat.categories.tolist() == ["C", "B", "A"]
    assert ordered.index.tolist() == [0, 1, 2, 3, 4]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    if java_command() is None:
        pytest.skip("no Java installed (--engine spark needs Java 17+)")
    with spark_session("local[2]") as session:
        yield session


def test_the_findings_stay_on_the_executors_and_come_back_built(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spark_ranges, "RANGE_SUBJECTS", 2)  # QS conformed in 3 ranges of subjects
    monkeypatch.setattr(spark_ranges, "RANGE_ROWS", 1)  # each range by a task of its own
    records = generate_records(bundled_definition(STUDY), subjects=6, seed=23)
    write_fhir(records, tmp_path / "nd", version="R4", form="ndjson")
    local = read_fhir_trial(tmp_path / "nd", study=STUDY).records
    with trial_on_executors(spark, tmp_path / "nd", study=STUDY) as (trial, elsewhere):
        assert (trial.records.subjects, trial.records.findings, trial.records.adverse_events) == ((), (), ())
        assert len(local.findings) > 6 * 80  # QS: 84 records a subject
        assert trial.records.definition == local.definition
        spec = load_spec(definition=local.definition)
        ctx = build_context(trial.records, load_terminology(), spec=spec)  # the driver's: no subjects
        local_ctx = build_context(local, load_terminology(), spec=spec)
        in_parts = elsewhere.findings_dataset(ctx, "QS")
        assert isinstance(in_parts, FindingsInParts)
        expected = build_findings_in_parts(local, local_ctx, "QS")
        built = elsewhere.findings.build_whole(ctx, "QS", in_parts.unused)  # joined here: what a fallback conforms
        assert list(built.columns) == list(expected.columns)
        assert len(built) == len(expected)
        pd.testing.assert_frame_equal(_plain(built), _plain(expected))  # the same rows
        conformed, issues = in_parts.conform(spec, drop_empty_perm=True)
        whole, expected_issues = conform_dataset(expected, "QS", with_data_terms(spec, {"QS": expected}))
        assert issues == expected_issues
        assert isinstance(conformed, ConformedRanges)  # the ranges merged: the dataset stays on the executors
        assert len(conformed) == len(whole)
        pd.testing.assert_frame_equal(_plain(conformed.whole()), _plain(whole))
        # ranges whose facts do not merge: the dataset is joined and conformed whole on the driver, same result
        monkeypatch.setattr(spark_ranges, "merge_facts", lambda *args, **kwargs: None)
        fallback, fallback_issues = in_parts.conform(spec, drop_empty_perm=True)
        assert isinstance(fallback, pd.DataFrame)
        assert fallback_issues == expected_issues
        pd.testing.assert_frame_equal(_plain(fallback), _plain(whole))  # categories may be in another order


def test_every_per_subject_dataset_is_built_and_conformed_in_ranges_on_the_executors(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spark_ranges, "RANGE_SUBJECTS", 3)  # 9 subjects: 3 ranges
    monkeypatch.setattr(spark_ranges, "RANGE_ROWS", 1)  # each range by a task of its own
    records = generate_records(bundled_definition(STUDY), subjects=9, seed=29)
    write_fhir(records, tmp_path / "nd", version="R4", form="ndjson")
    local = read_fhir_trial(tmp_path / "nd", study=STUDY).records
    spec = load_spec(definition=local.definition)
    built = build_sdtm(local, load_terminology(), spec=spec)
    with trial_on_executors(spark, tmp_path / "nd", study=STUDY) as (trial, elsewhere):
        ctx = build_context(trial.records, load_terminology(), spec=spec)
        names = elsewhere.subject_datasets()
        assert names == ["DM", "SE", "SV", "EX", "AE", "CM", "MH", "DS", "IE", "SUPPDM", "SUPPAE"]
        assert elsewhere.trial_counts() == trial_counts(local, build_context(local, load_terminology(), spec=spec))
        assert elsewhere.notes() == check_build(local)
        for name in names:
            in_parts = elsewhere.subject_dataset(ctx, name)
            assert not isinstance(in_parts, pd.DataFrame), name
            conformed, issues = in_parts.conform(spec, drop_empty_perm=True)
            whole, expected_issues = conform_dataset(built[name], name, with_data_terms(spec, {name: built[name]}))
            assert issues == expected_issues, name
            assert isinstance(conformed, ConformedRanges), name  # merged: it stays on the executors
            assert len(conformed) == len(whole) > 0, name
            pd.testing.assert_frame_equal(_rows(conformed.whole()), _rows(whole))
        assert len(elsewhere.boundaries) == 2
        monkeypatch.setattr(spark_ranges, "RANGE_ROWS", 20)  # DM's 9 rows in one task, AE's in fewer tasks
        for name in ("DM", "AE"):
            conformed, _ = elsewhere.subject_dataset(ctx, name).conform(spec, drop_empty_perm=True)
            assert isinstance(conformed, ConformedRanges), name
            whole, _ = conform_dataset(built[name], name, with_data_terms(spec, {name: built[name]}))
            assert conformed.conformed.getNumPartitions() < 3, name
            pd.testing.assert_frame_equal(_rows(conformed.whole()), _rows(whole))
        monkeypatch.setattr(spark_ranges, "merge_facts", lambda *args, **kwargs: None)
        fallback, _ = elsewhere.subject_dataset(ctx, "AE").conform(spec, drop_empty_perm=True)
        assert isinstance(fallback, pd.DataFrame)  # joined and conformed whole here
        whole, _ = conform_dataset(built["AE"], "AE", with_data_terms(spec, {"AE": built["AE"]}))
        pd.testing.assert_frame_equal(_rows(fallback), _rows(whole))


def test_the_mapped_subjects_move_so_that_a_partition_holds_consecutive_ranges(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spark_ranges, "RANGE_SUBJECTS", 2)  # 12 subjects: 6 ranges
    records = generate_records(bundled_definition(STUDY), subjects=12, seed=31)
    write_fhir(records, tmp_path / "nd", version="R4", form="ndjson")
    size = sum(path.stat().st_size for path in (tmp_path / "nd").glob("*.ndjson"))
    monkeypatch.setattr(spark_grouping, "GROUP_BYTES", size // 4)  # mapped in 5 partitions, by subject key hash
    with trial_on_executors(spark, tmp_path / "nd", study=STUDY) as (_, elsewhere):
        usubjid = dict(elsewhere.facts.subjects)
        held = elsewhere.parts.glom().map(lambda parts: [p.records.subjects[0].subject_id for p in parts]).collect()
        assert len(held) == 3  # 6 ranges, 2 a partition
        in_order = [usubjid[subject] for subjects in held for subject in subjects]
        assert in_order == sorted(usubjid.values())  # partitions in order, each in USUBJID order
        assert [len(subjects) for subjects in held] == [4, 4, 4]
        dm = elsewhere._build().pieces.filter(lambda pair: pair[0][0] == "DM").map(lambda pair: pair[0][1]).collect()
        assert sorted(dm) == [0, 1, 2, 3, 4, 5]  # one piece a range (as mapped: pieces of a range from every partition)


def _rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as objects, nulls as None, in the conformed order."""
    plain = frame.astype(object)
    return plain.where(frame.notna(), None).reset_index(drop=True)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as objects, nulls as None (a part-wise build has categorical text columns), rows by subject and --SEQ."""
    plain = frame.astype(object)
    return plain.where(frame.notna(), None).sort_values(["USUBJID", "QSSEQ"]).reset_index(drop=True)

"""The pieces of `fhir-to-sdtm --engine spark` that keep the findings on the executors (trialinterop.spark.findings):
the facts the driver reduces instead of holding the findings, and the subject order the joined parts are put in.
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
from trialinterop.sdtm.conform import conform_dataset
from trialinterop.sdtm.context import build_context
from trialinterop.sdtm.domains.findings import build_findings_in_parts
from trialinterop.source import models as m
from trialinterop.source.generate import generate_records
from trialinterop.spark import findings as spark_findings
from trialinterop.spark.fhir_to_sdtm import trial_on_executors
from trialinterop.spark.findings import (
    ConformedFindings,
    Facts,
    FindingsInParts,
    in_subject_order,
    strip_findings,
)
from trialinterop.spark.session import java_command, spark_session
from trialinterop.spec import load_spec, with_data_terms

STUDY = "NCT05016804"


def _part(*findings: m.Finding) -> SubjectPart:
    return SubjectPart(SubjectRecords(findings=list(findings)))


def test_the_driver_gets_the_parts_without_findings_and_the_facts_about_them() -> None:
    parts = [
        _part(
            m.Finding("001", "ADAS", "Q1", 1.0, datetime="2020-03-01T10:00", result="2"),
            m.Finding("001", "ADAS", "Q2", 2.0, datetime="2020-04-10", result="3", unit="pts"),
        ),
        _part(
            m.Finding("002", "VITALS", "SYSBP", 1.0, datetime="2020-05", result="120", position="SITTING"),
            m.Finding("002", "VITALS", "DIABP", 1.0, datetime="2020-02-02", result="80"),
        ),
    ]
    got = list(strip_findings(parts))
    assert [kind for kind, _ in got] == ["part", "part", "facts"]
    assert [item.records.findings for _, item in got[:2]] == [[], []]
    facts = got[2][1]
    assert facts.tests == {("ADAS", "Q1"), ("ADAS", "Q2"), ("VITALS", "SYSBP"), ("VITALS", "DIABP")}
    assert dict(facts.recorded) == {"ADAS": {"unit"}, "VITALS": {"position"}}
    assert dict(facts.counts) == {"ADAS": 2, "VITALS": 2}
    assert facts.latest == {"001": "2020-04-10", "002": "2020-02-02"}  # 2020-05 is no complete date


def test_facts_of_partitions_merge() -> None:
    one, two = Facts(), Facts()
    one.tests, two.tests = {("ADAS", "Q1")}, {("VITALS", "SYSBP")}
    one.recorded["ADAS"] = {"unit"}
    two.recorded["ADAS"] = {"timepoint"}
    one.counts["ADAS"], two.counts["ADAS"] = 3, 4
    one.latest, two.latest = {"001": "2020-01-01"}, {"002": "2020-02-02"}
    one.merge(two)
    assert one.tests == {("ADAS", "Q1"), ("VITALS", "SYSBP")}
    assert dict(one.recorded) == {"ADAS": {"unit", "timepoint"}}
    assert dict(one.counts) == {"ADAS": 7}
    assert one.latest == {"001": "2020-01-01", "002": "2020-02-02"}


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
    monkeypatch.setattr(spark_findings, "RANGE_SUBJECTS", 2)  # QS conformed in 3 ranges of subjects
    records = generate_records(bundled_definition(STUDY), subjects=6, seed=23)
    write_fhir(records, tmp_path / "nd", version="R4", form="ndjson")
    local = read_fhir_trial(tmp_path / "nd", study=STUDY).records
    with trial_on_executors(spark, tmp_path / "nd", study=STUDY) as (trial, findings):
        assert trial.records.findings == ()
        assert len(local.findings) > 6 * 80  # QS: 84 records a subject
        assert trial.records.subjects == local.subjects
        assert trial.records.definition == local.definition
        spec = load_spec(definition=local.definition)
        ctx = build_context(trial.records, load_terminology(), spec=spec, contacts=findings.latest_dates())
        local_ctx = build_context(local, load_terminology(), spec=spec)
        assert ctx.subjects == local_ctx.subjects  # RFPENDTC counts the findings' dates on both
        in_parts = findings.build(ctx, "QS")
        assert isinstance(in_parts, FindingsInParts)
        expected = build_findings_in_parts(local, local_ctx, "QS")
        built = findings.build_whole(ctx, "QS", in_parts.unused)  # joined here: what a fallback conforms
        assert list(built.columns) == list(expected.columns)
        assert len(built) == len(expected)
        pd.testing.assert_frame_equal(_plain(built), _plain(expected))  # the same rows
        conformed, issues = in_parts.conform(spec, drop_empty_perm=True)
        whole, expected_issues = conform_dataset(expected, "QS", with_data_terms(spec, {"QS": expected}))
        assert issues == expected_issues
        assert isinstance(conformed, ConformedFindings)  # the ranges merged: the dataset stays on the executors
        assert len(conformed) == len(whole)
        pd.testing.assert_frame_equal(_plain(conformed.whole()), _plain(whole))
        # ranges whose facts do not merge: the dataset is joined and conformed whole on the driver, same result
        monkeypatch.setattr(spark_findings, "merge_facts", lambda *args, **kwargs: None)
        fallback, fallback_issues = in_parts.conform(spec, drop_empty_perm=True)
        assert isinstance(fallback, pd.DataFrame)
        assert fallback_issues == expected_issues
        pd.testing.assert_frame_equal(_plain(fallback), _plain(whole))  # categories may be in another order


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as objects, nulls as None (a part-wise build has categorical text columns), rows by subject and --SEQ."""
    plain = frame.astype(object)
    return plain.where(frame.notna(), None).sort_values(["USUBJID", "QSSEQ"]).reset_index(drop=True)

"""fhir-to-sdtm on Spark: group in the executors, map each subject group with the single-machine `map_subject` in
the executors, assemble and write on the driver with the single-machine code.

What runs where (docs/scale-out.md):
- executors: reading and parsing the NDJSON partitions, keying and grouping by subject (spark.grouping), and
  `map_subject(context, group)` for every group (the context is broadcast once);
- driver: the study definition and mapping context (`fhir_in.pipeline.mapping_context`, from the shared resources),
  then `fhir_in.pipeline.read_grouped`, which joins the parts (`Assembly`) as they stream back one partition at a
  time in the single-machine order, and refuses or returns the trial exactly as on one machine.

Two entry points: `read_fhir_trial_spark` returns the whole records, as `read_fhir_trial` does (the driver then holds
every record); `trial_on_executors` (what `fhir-to-sdtm --engine spark` runs) keeps the mapped subjects persisted on
the executors and sends the driver their parts without records (warnings, problems, coverage) plus the facts it
needs about the records (spark.elsewhere); every per-subject dataset (DM, AE, ..., the findings) is then built,
conformed and encoded there in ranges of subjects, while the driver builds the trial design datasets and define.xml
and writes the files. The grouped resources (the bulk of the input) never reach the driver, except when no --study
is given: the definition is then rebuilt from the input, and `mapping_context` reads every group once, streamed from
the executors partition by partition.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from trialinterop.ct import Terminology, load_terminology
from trialinterop.fhir_in.groups import GroupedInput
from trialinterop.fhir_in.load import fail
from trialinterop.fhir_in.pipeline import FhirTrial, StudyOption, read_grouped
from trialinterop.fhir_in.subjects import MappingContext, SubjectPart, map_subject
from trialinterop.spark.elsewhere import ExecutorRecords, SubjectFacts, strip_records
from trialinterop.spark.grouping import SparkGrouped, group_in_spark
from trialinterop.spark.ndjson import CHUNK_BYTES


def read_fhir_trial_spark(
    session: Any,
    source: str | Path,
    *,
    version: str = "auto",
    study: StudyOption = None,
    strict: bool = True,
    site: str | None = None,
    terminology: Terminology | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> FhirTrial:
    """`fhir_in.read_fhir_trial` for an NDJSON folder, the reading and mapping run by Spark (same result);
    `chunk_bytes`: the byte ranges the files are read in."""
    grouped = group_in_spark(session, _export_folder(source), version=version, chunk_bytes=chunk_bytes)
    try:
        return read_grouped(
            grouped,
            study=study,
            strict=strict,
            site=site,
            terminology=terminology or load_terminology(),
            map_groups=_map_in_executors,
        )
    finally:
        grouped.close()


def _map_in_executors(context: MappingContext, grouped: GroupedInput) -> Iterator[SubjectPart]:
    """Every group mapped by `map_subject` in the executors; the parts come back in the single-machine group order,
    one partition at a time."""
    assert isinstance(grouped, SparkGrouped)
    shared = grouped.rdd.context.broadcast(context)
    try:  # partitions come back in order, each in order (spark.grouping): the single-machine order of the groups
        yield from grouped.rdd.mapPartitions(_mapper(shared)).toLocalIterator()
    finally:
        shared.unpersist()


def _export_folder(source: str | Path) -> Path:
    path = Path(source)
    if not path.is_dir():
        raise fail("--engine spark reads an NDJSON export folder; give a Bundle to the local engine", where=str(path))
    return path


def _mapper(shared: Any) -> Callable[[Iterator[tuple[Any, Any]]], Iterator[SubjectPart]]:
    """A partition's groups mapped by `map_subject` with the broadcast mapping context `shared`."""

    def map_partition(pairs: Iterator[tuple[Any, Any]]) -> Iterator[SubjectPart]:
        context = shared.value
        for _, group in pairs:
            yield map_subject(context, group)

    return map_partition


@contextmanager
def trial_on_executors(
    session: Any,
    source: str | Path,
    *,
    version: str = "auto",
    study: StudyOption = None,
    strict: bool = True,
    site: str | None = None,
    terminology: Terminology | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[tuple[FhirTrial, ExecutorRecords]]:
    """`read_fhir_trial_spark` with the subjects' records left on the executors (what `fhir-to-sdtm --engine spark`
    runs): the trial with its definition but no records, and the `ExecutorRecords` that builds the datasets there
    (pass it to `api.convert_to_sdtm` inside this block; the mapped subjects stay persisted until the block ends)."""
    path = _export_folder(source)
    from pyspark import StorageLevel

    grouped = group_in_spark(session, path, version=version, chunk_bytes=chunk_bytes)
    parts = None
    facts = SubjectFacts()

    def map_and_strip(context: MappingContext, grouped: GroupedInput) -> Iterator[SubjectPart]:
        nonlocal parts
        assert isinstance(grouped, SparkGrouped)
        shared = grouped.rdd.context.broadcast(context)
        parts = grouped.rdd.mapPartitions(_mapper(shared)).persist(StorageLevel.MEMORY_AND_DISK)
        definition = context.definition

        def strip(parts: Iterator[SubjectPart]) -> Iterator[tuple[str, Any]]:
            return strip_records(parts, definition)

        try:
            parts.count()  # every partition mapped at once (in parallel), kept on the executors
            for kind, item in parts.mapPartitions(strip).toLocalIterator():
                if kind == "part":
                    yield item
                else:
                    facts.merge(item)
        finally:
            shared.unpersist()

    try:
        trial = read_grouped(
            grouped,
            study=study,
            strict=strict,
            site=site,
            terminology=terminology or load_terminology(),
            map_groups=map_and_strip,
            tests_elsewhere=lambda: facts.findings.tests,
        )
        elsewhere = ExecutorRecords(parts, facts, trial.records)
        try:
            yield trial, elsewhere
        finally:
            elsewhere.close()
    finally:
        if parts is not None:
            parts.unpersist()
        grouped.close()

"""Map one subject group: the pure function every engine calls.

`map_subject(context, group)` reads one Patient's resources (fhir_in.groups.SubjectGroup) over the shared resources
of the `context` (the study definition, terminology, the shared resources' index) and returns a `SubjectPart`: the
records, the warnings, the problems (each resource that could not be mapped, with its place), what mapped to nothing
and the coverage of every resource of the group. It reads nothing else and changes nothing it is given, so groups
can be mapped in any order, in any process (the single-machine path maps them one after another; a Spark job can
map each partition's groups with the same function and join the parts with fhir_in.assemble). A resource entered in
error (`status`, a Condition's `verificationStatus`, the AE backport's status modifier: fhir_in.values.entered_in_error)
is no valid record: it is left out of the mapping and listed as not mapped with that reason.
"""

from __future__ import annotations

from collections import ChainMap
from dataclasses import dataclass, field
from pathlib import Path

from trialinterop.ct import Terminology
from trialinterop.definition import StudyDefinition
from trialinterop.fhir_in.coverage import Coverage
from trialinterop.fhir_in.findings import TestIndex
from trialinterop.fhir_in.groups import SubjectGroup
from trialinterop.fhir_in.load import FhirInput, Located
from trialinterop.fhir_in.to_records import NOT_IN_STUDY, SubjectReader, SubjectRecords
from trialinterop.fhir_in.unmapped import Unmapped
from trialinterop.fhir_in.values import ENTERED_IN_ERROR, entered_in_error
from trialinterop.issues import Issue

SUBJECT_FAILED = "its subject could not be mapped (see the errors of its ResearchSubject)"


@dataclass(frozen=True)
class MappingContext:
    """What every subject group is mapped under (picklable: a distributed engine ships it to its workers)."""

    source: Path
    version: str
    definition: StudyDefinition
    terminology: Terminology
    shared: tuple[Located, ...]
    index: dict[str, Located]
    """fullUrl and `Type/id` of the shared resources."""
    study_keys: frozenset[str] = frozenset()
    """`ResearchStudy/<id>` (and fullUrls) of the trial and its site-level studies: a ResearchSubject of another
    study is counted and ignored."""
    site: str | None = None
    """SITEID for subjects whose site the input does not tell (`--site`)."""
    tests: TestIndex | None = None
    """The definition's tests by code, built once (fhir_in.findings.TestIndex)."""


@dataclass
class SubjectPart:
    records: SubjectRecords
    warnings: list[Issue] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    unmapped: Unmapped = field(default_factory=Unmapped)
    coverage: Coverage = field(default_factory=Coverage)


def map_subject(context: MappingContext, group: SubjectGroup) -> SubjectPart:
    """The records and findings of one subject group (see the module docstring)."""
    own: dict[str, Located] = {}
    for item in group.resources:
        rid = item.resource.get("id")
        if isinstance(rid, str):
            own[f"{item.type}/{rid}"] = item
        full_url = getattr(item, "full_url", None)
        if full_url:
            own[full_url] = item
    fhir = FhirInput(context.source, context.version, group.resources, ChainMap(own, context.index))
    reader = SubjectReader(fhir, context.terminology, context.definition, site=context.site, tests=context.tests)
    in_study = [item for item in fhir.of_type("ResearchSubject") if _of_study(item, context.study_keys)]
    for item in fhir.of_type("ResearchSubject"):
        if item not in in_study:
            fhir.ignore(item, "a ResearchSubject of another study")
    if in_study:
        kept = []
        for item in group.resources:
            element = entered_in_error(item)
            if element is not None:
                reader.unmapped.add_reason(item, ENTERED_IN_ERROR, element)
            elif item.type != "ResearchSubject" or item in in_study:
                kept.append(item)
        fhir.resources = kept
        records = reader.records()
        if not records.subjects:
            fhir.mapped.clear()
            failed = bool(fhir.errors)
            for item in group.resources:
                fhir.ignore(item, SUBJECT_FAILED if failed else NOT_IN_STUDY)
    else:
        records = SubjectRecords()
        for item in group.resources:
            fhir.ignore(item, NOT_IN_STUDY)
    _nothing_reads(fhir, group.resources, reader.unmapped)
    coverage = Coverage()
    coverage.count(fhir, group.resources, reader.unmapped)
    coverage.shared_cited = {item.where for item in context.shared if id(item.resource) in fhir.referenced}
    return SubjectPart(records, fhir.warnings, fhir.errors, reader.unmapped, coverage)


def _of_study(item: Located, study_keys: frozenset[str]) -> bool:
    """True when the ResearchSubject's study is the trial or one of its sites (or the study is not named at all:
    then its own mapping reports it)."""
    reference = item.resource.get("study")
    text = reference.get("reference") if isinstance(reference, dict) else None
    if not study_keys or not isinstance(text, str):
        return True
    head = text.partition("/_history/")[0].rstrip("/")
    return head in study_keys or "/".join(head.split("/")[-2:]) in study_keys or f"ResearchStudy/{head}" in study_keys


NOTHING_READS = {
    "Encounter": "an Encounter that is no study visit (no visit code of the study)",
}


def _nothing_reads(fhir: FhirInput, resources: list[Located], unmapped: Unmapped) -> None:
    """Resources of a mapped subject that no mapping read, mapped or ignored on purpose: listed as not mapped (so
    strict mode refuses the input rather than drop them)."""
    listed = {id(i.resource) for items in unmapped.found.values() for i in items}
    failed = {issue.where for issue in fhir.errors}
    for item in resources:
        key = id(item.resource)
        if key in fhir.mapped or key in fhir.ignored or key in fhir.referenced or key in listed:
            continue
        if item.where in failed:
            continue
        reason = NOTHING_READS.get(item.type, f"a {item.type} nothing reads")
        unmapped.add_reason(item, reason)

"""fhir-to-sdtm on one machine: stream the input -> group resources by subject -> map each group with the pure
`map_subject` -> assemble the records (docs/fhir-in.md).

1. `group_input` reads the Bundle or NDJSON folder once (NDJSON line by line, groups spilled to disk).
2. The study definition: the one given (`study`, checked against the main ResearchStudy), else rebuilt from the
   shared resources plus the few subject resources the definition needs (subject-characteristic Observations,
   MedicationAdministrations and the Procedures they cite).
3. Each subject group is mapped by `map_subject(context, group)`; problems are collected, not raised, so one run
   lists every problem (condensed per kind).
4. `Assembly` joins the parts; the run is refused (InputError, nothing written) when any resource could not be
   mapped, or, unless `strict=False`, when any resource maps to nothing; else the records, warnings and coverage are
   returned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from trialinterop.ct import Terminology, load_terminology
from trialinterop.definition import StudyDefinition, resolve_definition
from trialinterop.errors import InputError
from trialinterop.fhir import codes
from trialinterop.fhir_in.assemble import Assembly, condense
from trialinterop.fhir_in.coverage import VIA_REFERENCE, Coverage, element_names
from trialinterop.fhir_in.findings import TestIndex
from trialinterop.fhir_in.given_study import read_given_definition
from trialinterop.fhir_in.groups import GroupedInput, group_input
from trialinterop.fhir_in.load import FhirInput, Located, fail
from trialinterop.fhir_in.observations import with_observed_tests
from trialinterop.fhir_in.subjects import MappingContext, SubjectPart, map_subject
from trialinterop.fhir_in.to_study import build_definition, code_system_base, main_study, study_id_of
from trialinterop.fhir_in.values import code_in
from trialinterop.issues import Issue, Severity
from trialinterop.source import models as m
from trialinterop.spec.from_definition import declared_codelists

StudyOption = str | Path | StudyDefinition | None
MapGroups = Callable[[MappingContext, GroupedInput], Iterable[SubjectPart]]
"""Maps every subject group of the input with `map_subject`: here one after another; the Spark engine
(trialinterop.spark) maps them in its executors and hands back the parts in the order `groups()` gives."""
SKIPPED = "a resource type fhir-to-sdtm does not read"
NO_SUBJECT = "names no Patient (subject)"
NO_STUDY = "no ResearchStudy in the input: it does not say its patients take part in the study of --study"


class FhirRefused(InputError):
    """The input cannot be converted; `coverage` still accounts for all of it (for --report)."""

    def __init__(self, issues: list[Issue], *, summary: str, coverage: Coverage, version: str) -> None:
        super().__init__(issues, summary=summary)
        self.coverage = coverage
        self.version = version


@dataclass(frozen=True)
class FhirTrial:
    records: m.TrialRecords
    warnings: tuple[Issue, ...] = ()
    """What was assumed where the input did not say (each names resource and element), condensed per kind."""
    coverage: Coverage = field(default_factory=Coverage, compare=False)
    version: str = "R4"


def read_fhir_trial(
    source: str | Path,
    *,
    version: str = "auto",
    study: StudyOption = None,
    strict: bool = True,
    site: str | None = None,
    terminology: Terminology | None = None,
) -> FhirTrial:
    """Read a Bundle file or NDJSON folder and rebuild the trial's records under the study definition `study` (a
    definition file, a bundled study id or a definition; None: rebuilt from the input). `strict`: resources that map
    to nothing are an InputError (else warnings). `site`: SITEID of subjects whose site the input does not tell."""
    with group_input(source, version=version) as grouped:
        return _read(grouped, study=study, strict=strict, site=site, terminology=terminology or load_terminology())


def load_fhir_trial(
    source: str | Path, *, version: str = "auto", study: StudyOption = None, strict: bool = True
) -> m.TrialRecords:
    """The records of `read_fhir_trial` (its warnings dropped)."""
    return read_fhir_trial(source, version=version, study=study, strict=strict).records


def mapping_context(
    grouped: GroupedInput, *, study: StudyOption, site: str | None, terminology: Terminology
) -> tuple[MappingContext, list[Issue], list[Issue]]:
    """The context every group is mapped under, the warnings building the definition gave and the problems of the
    given definition against the input (reported with the subjects' problems)."""
    shared = _view(grouped, grouped.shared)
    problems: list[Issue] = []
    if study is not None and not shared.of_type("ResearchStudy"):
        # e.g. a hospital export: listed with the subjects' problems, so the coverage still accounts for the input
        problems.extend(fail(NO_STUDY, where=str(grouped.source)).issues)
        definition = study if isinstance(study, StudyDefinition) else resolve_definition(study)
        return _context(grouped, shared, definition, frozenset(), site, terminology), shared.warnings, problems
    main = main_study(shared)
    if study is not None:
        try:
            definition = read_given_definition(shared, study)
        except InputError as exc:  # the subjects are still mapped, so that one run lists every problem
            if isinstance(study, StudyDefinition):
                raise
            problems.extend(exc.issues)
            definition = resolve_definition(study)
    else:
        resources = [*grouped.shared, *_definition_resources(grouped, shared, main)]
        view = _view(grouped, resources)
        definition = build_definition(view, main_study(view))
        shared.warnings.extend(view.warnings)
    context = _context(grouped, shared, definition, _study_keys(shared, main), site, terminology)
    return context, shared.warnings, problems


def _context(
    grouped: GroupedInput,
    shared: FhirInput,
    definition: StudyDefinition,
    study_keys: frozenset[str],
    site: str | None,
    terminology: Terminology,
) -> MappingContext:
    return MappingContext(
        source=grouped.source,
        version=grouped.version,
        definition=definition,
        # the study's own codelists (e.g. its causality terms) replace the bundled ones, as in its specification
        terminology=Terminology({**terminology.codelists, **declared_codelists(definition)}),
        shared=tuple(grouped.shared),
        index=dict(shared.index),
        study_keys=study_keys,
        site=site,
        tests=TestIndex(definition),
    )


def map_here(context: MappingContext, grouped: GroupedInput) -> Iterable[SubjectPart]:
    """The single-machine MapGroups: each group in turn, in this process."""
    return (map_subject(context, group) for group in grouped.groups())


def _read(
    grouped: GroupedInput,
    *,
    study: StudyOption,
    strict: bool,
    site: str | None,
    terminology: Terminology,
    map_groups: MapGroups = map_here,
    tests_elsewhere: Callable[[], Iterable[tuple[str, str]]] = tuple,
) -> FhirTrial:
    """`tests_elsewhere`: after the mapping, the (instrument, test code) pairs of findings `map_groups` kept out of
    the parts (Spark's executors keep the findings; trialinterop.spark.fhir_to_sdtm)."""
    context, warnings, problems_found = mapping_context(grouped, study=study, site=site, terminology=terminology)
    assembly = Assembly(context.definition)
    assembly.warnings.extend(warnings)
    assembly.errors.extend(problems_found)
    for part in map_groups(context, grouped):
        assembly.add(part)
    for item in grouped.orphans:
        if item.type == "ResearchSubject":
            element = "ResearchSubject." + ("individual" if grouped.version == "R4" else "subject")
            assembly.errors.extend(item.fail(element, "required: the Patient taking part").issues)
    assembly.add_unmapped([i for i in grouped.orphans if i.type != "ResearchSubject"], NO_SUBJECT)
    coverage = assembly.coverage
    _count_shared(coverage, grouped, given=study is not None)
    coverage.skip(grouped.skipped, SKIPPED)
    for item in grouped.orphans:
        coverage.read[item.type] += 1
        coverage.not_mapped[item.type][NO_SUBJECT] += 1
    given = study is not None
    unmapped = assembly.unmapped
    problems = condense(assembly.errors)
    if unmapped.total and strict:
        problems += unmapped.issues(given=given, severity=Severity.ERROR)
    if problems:
        summary = "FHIR input refused"
        if unmapped.total and strict:
            summary += f" ({unmapped.summary(given=given)})"
        raise FhirRefused(problems, summary=summary, coverage=coverage, version=grouped.version)
    warnings_found = [*assembly.all_warnings(), *unmapped.issues(given=given)]
    assembly.definition = with_observed_tests(assembly.definition, assembly.parts.findings, tests_elsewhere())
    return FhirTrial(assembly.records(), tuple(warnings_found), coverage, grouped.version)


def _view(grouped: GroupedInput, resources: list[Located]) -> FhirInput:
    index: dict[str, Located] = {}
    for item in resources:
        rid = item.resource.get("id")
        if isinstance(rid, str):
            index[f"{item.type}/{rid}"] = item
        full_url = getattr(item, "full_url", None)
        if full_url:
            index[full_url] = item
    return FhirInput(grouped.source, grouped.version, list(resources), index)


def _definition_resources(grouped: GroupedInput, shared: FhirInput, main: Located) -> list[Located]:
    """The subject resources a definition rebuilt from FHIR needs: subject-characteristic Observations (subject
    attributes) and MedicationAdministrations with the Procedures they cite (an intervention's preceding procedure)."""
    system = codes.sponsor_code_system(code_system_base(shared, main), study_id_of(main), "subject-characteristic")
    found = []
    for group in grouped.groups():
        for item in group.resources:
            kind = item.type
            if kind in ("MedicationAdministration", "Procedure") or (
                kind == "Observation" and code_in(item.resource.get("code"), system) is not None
            ):
                found.append(item)
    return found


def _study_keys(shared: FhirInput, main: Located) -> frozenset[str]:
    """Keys of the main ResearchStudy and of the studies partOf it."""
    keys = set()
    for item in shared.of_type("ResearchStudy"):
        parents = item.resource.get("partOf") or []
        texts = [p.get("reference") for p in parents if isinstance(p, dict)]
        parent_ok = any(isinstance(t, str) and shared.find(t) is main for t in texts)
        if item is main or parent_ok:
            if isinstance(item.resource.get("id"), str):
                keys.add(f"ResearchStudy/{item.resource['id']}")
            full_url = getattr(item, "full_url", None)
            if full_url:
                keys.add(full_url)
    return frozenset(keys)


def _count_shared(coverage: Coverage, grouped: GroupedInput, *, given: bool) -> None:
    """Shared resources: read through a reference (site study, Medication...) when a subject resource cites them,
    else part of the study definition (replaced by --study when one is given)."""
    cited = coverage.shared_cited
    for item in grouped.shared:
        kind = item.type
        coverage.read[kind] += 1
        for name in element_names(item.resource):
            coverage.elements[kind][name] += 1
        if item.where in cited:
            coverage.mapped[kind][VIA_REFERENCE] += 1
        elif given:
            coverage.mapped[kind]["study definition (replaced by --study)"] += 1
        else:
            coverage.mapped[kind]["study definition (TS, TA, TV, TI, DM ARM)"] += 1


read_grouped = _read
"""The steps after grouping (context, mapping by `map_groups`, assembly) for an engine that groups by itself."""

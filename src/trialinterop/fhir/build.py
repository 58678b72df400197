"""`build_resources`: the whole trial as a stream of FHIR resources (plain dicts), study first, then subject by
subject. Pure and deterministic: same records and version -> same resources in the same order.

Resources are plain dicts built directly (no pydantic models at run time): validating every resource through
fhir.resources costs ~650 µs each, building the dict a few µs. Validity is proven by the tests instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from trialinterop.ct import Terminology
from trialinterop.errors import TrialInteropError
from trialinterop.fhir import build_adverse_event as ae_builder
from trialinterop.fhir import build_care, build_history, build_observations, build_study, build_subject
from trialinterop.fhir.context import Context, ReferenceStyle
from trialinterop.fhir.facts import SubjectFacts, subject_facts
from trialinterop.fhir.terminology import fhir_terminology
from trialinterop.fhir.versions import release
from trialinterop.source.models import TrialRecords

Resource = dict[str, Any]


def build_resources(
    records: TrialRecords,
    *,
    version: str = "R4",
    references: ReferenceStyle = "relative",
    terminology: Terminology | None = None,
    context: Context | None = None,
) -> Iterator[Resource]:
    """Every resource of the trial for FHIR `version` ('R4' or 'R5').

    `references='relative'` gives `Type/id` references (NDJSON, servers); `'urn'` gives `urn:uuid:id` references that
    resolve against the `urn:uuid` fullUrls of a Bundle. Pass `context` to inspect what was referenced afterwards.
    """
    ctx = context or Context(
        records.definition, release(version), terminology or fhir_terminology(records.definition), references
    )
    enrolled = sum(1 for s in records.subjects if s.enrolled == "Y")
    yield from build_study.build_study_resources(ctx, records.exposures, enrolled)
    for facts in subject_facts(records):
        yield from build_subject_resources(ctx, facts)


def build_subject_resources(ctx: Context, facts: SubjectFacts) -> Iterator[Resource]:
    """Everything about one subject; a record the builders cannot express raises an error naming that record."""
    row: object = facts.subject
    try:
        yield build_subject.build_patient(ctx, facts)
        if facts.subject.consent_date:  # none when the source records no informed consent date
            yield build_subject.build_consent(ctx, facts)
        yield build_subject.build_research_subject(ctx, facts)
        age = build_subject.build_age_observation(ctx, facts)
        if age is not None:
            yield age
        yield from build_subject.build_attribute_observations(ctx, facts)
        for row in facts.visits:
            yield build_care.build_encounter(ctx, facts, row)
        for row in facts.exposures:
            procedure = build_care.build_preceding_procedure(ctx, facts, row)
            if procedure is not None:
                yield procedure
            yield build_care.build_administration(ctx, facts, row)
        for row in facts.eligibility:
            yield build_observations.build_eligibility_exception(ctx, facts, row)
        for rows in build_observations.assessments(facts):
            row = next(iter(rows.values()))
            yield from build_observations.build_assessment(ctx, facts, rows)
        for row in facts.adverse_events:
            yield ae_builder.build_adverse_event(ctx, facts, row)
        for row in facts.medical_history:
            yield build_history.build_history_condition(ctx, facts, row)
        for row in facts.medications:
            yield build_history.build_medication_statement(ctx, facts, row)
    except (TrialInteropError, KeyError, ValueError, TypeError) as exc:
        raise TrialInteropError(f"{_where(row)}: cannot express as FHIR: {exc}") from exc


def _where(row: object) -> str:
    """'file:row (subject 01-001)' for a record with an origin, else its type and subject."""
    origin = getattr(row, "origin", None)
    subject = getattr(row, "subject_id", "?")
    label = f"{type(row).__name__} of subject {subject}"
    return f"{origin} ({label})" if origin is not None and origin.file else label

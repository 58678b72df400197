"""The registry record (`source.models.Study`: identifiers, titles, arms, visits, criteria) taken from a study
definition, so every builder that reads a `Study` runs from the definition file."""

from __future__ import annotations

from trialinterop.countries import country
from trialinterop.definition.model import StudyDefinition
from trialinterop.source import models as m


def _window_days(before: int | None, after: int | None) -> int | None:
    """The single +-window of the registry record: the wider side of the definition's window."""
    if before is None and after is None:
        return None
    return max(before or 0, after or 0)


def _country_name(alpha3: str) -> str | None:
    found = country(alpha3)
    return found.name if found else None


def study_record(definition: StudyDefinition) -> m.Study:
    facts, design = definition.study, definition.design
    arms_of = {i.code: [a for a in definition.arms if i.code in a.interventions] for i in definition.interventions}
    return m.Study(
        study_id=facts.id,
        nct_id=facts.registry_id("NCT") or facts.registry_ids[0].id,
        brief_title=facts.brief_title,
        official_title=facts.official_title,
        brief_summary=facts.brief_summary,
        sponsor_name=facts.sponsor_name,
        sponsor_duns=facts.sponsor_duns,
        overall_status=facts.status,
        study_type=facts.type,
        phase=facts.phase,
        allocation=design.allocation,
        intervention_model=design.intervention_model,
        masking=design.masking,
        primary_purpose=design.primary_purpose,
        enrollment_target=facts.enrollment_target,
        conditions=tuple(m.Condition(c.name, c.snomed, c.meddra) for c in facts.conditions),
        arms=tuple(m.Arm(a.code, a.name, a.type, a.description or a.name, a.interventions) for a in definition.arms),
        interventions=tuple(
            m.Intervention(
                code=i.code,
                name=i.name,
                type=i.type,
                description=i.description or i.name,
                treatment=i.treatment,
                dose=i.dose,
                dose_unit=i.dose_unit,
                route=i.route,
                dose_form=i.dose_form,
                frequency=i.frequency,
                population=i.population or ("; ".join(a.name for a in arms_of[i.code]) or None),
            )
            for i in definition.interventions
        ),
        outcomes=tuple(m.Outcome(o.kind, o.measure, o.time_frame, o.description) for o in definition.outcomes),
        criteria=tuple(m.Criterion(c.id, c.category, c.text, c.short) for c in definition.eligibility.criteria),
        sites=tuple(
            m.Site(s.id, s.name, s.city or "", s.country, _country_name(s.country), s.state, s.status)
            for s in definition.sites
        ),
        visits=tuple(
            m.PlannedVisit(
                visit_num=float(v.number),
                name=v.name,
                planned_day=v.planned_day,
                start_rule=v.start_rule,
                end_rule=v.end_rule,
                window_days=_window_days(v.window_before, v.window_after),
                assessments=v.assessments,
            )
            for v in definition.visits.planned
        ),
        sex=definition.eligibility.sex,
        minimum_age=definition.eligibility.minimum_age,
        maximum_age=definition.eligibility.maximum_age,
        healthy_volunteers=definition.eligibility.healthy_volunteers,
        start_date=facts.start_date,
        data_cutoff_date=facts.data_cutoff_date,
        data_cutoff_description=facts.data_cutoff_description,
        unscheduled_prefix=definition.visits.unscheduled_prefix,
    )

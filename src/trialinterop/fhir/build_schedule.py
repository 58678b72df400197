"""The protocol's visit schedule as a PlanDefinition (the ResearchStudy's `protocol`): one action per planned visit of
the definition, timed by `timingRange` = planned study day - window before .. planned study day + window after (no
range for a visit without a planned day), the visit's assessments as sub-actions; registry facts FHIR has no element
for ride on it as the sponsor registry-record extension.
"""

from __future__ import annotations

from typing import Any

from trialinterop.definition.model import PlannedVisit
from trialinterop.fhir import codes, sponsor
from trialinterop.fhir.context import Context
from trialinterop.source.models import Study

Resource = dict[str, Any]


def visit_code(visit_num: float) -> str:
    """Visit number as text: 1 -> '1', 3.01 -> '3.01'."""
    return f"{visit_num:g}" if visit_num != int(visit_num) else str(int(visit_num))


def _window_text(visit: PlannedVisit) -> str | None:
    before, after = visit.window_before, visit.window_after
    if before is None and after is None:
        return None
    if (before or 0) == (after or 0):
        return f"window ±{before or 0} days"
    return f"window -{before or 0}/+{after or 0} days"


def _day(value: int) -> Resource:
    return {"value": value, "unit": "d", "system": codes.UCUM, "code": "d"}


def _visit_action(ctx: Context, visit: PlannedVisit) -> Resource:
    description = visit.start_rule
    if visit.end_rule:
        description += f"; ends: {visit.end_rule}"
    window = _window_text(visit)
    if window:
        description += f"; {window}"
    code = visit_code(visit.number)
    coding = {"system": ctx.code_system("visit"), "code": code, "display": visit.name}
    action: Resource = {"title": visit.name, "description": description}
    widest = (
        None
        if visit.window_before is None and visit.window_after is None
        else max(visit.window_before or 0, visit.window_after or 0)
    )
    timing = {
        "planned_day": visit.planned_day,
        "window_days": widest,
        "start_rule": visit.start_rule,
        "end_rule": visit.end_rule,
        "window_before": visit.window_before,
        "window_after": visit.window_after,
    }
    sponsor.with_extension(action, sponsor.fields_extension(ctx.extension(sponsor.PLANNED_VISIT), timing))
    if ctx.is_r4:
        action["code"] = [{"coding": [coding]}]
    else:
        action["linkId"] = f"visit-{code}"
        action["code"] = {"coding": [coding]}
    if visit.planned_day is not None:
        action["timingRange"] = {
            "low": _day(visit.planned_day - (visit.window_before or 0)),
            "high": _day(visit.planned_day + (visit.window_after or 0)),
        }
    if visit.assessments:
        action["action"] = [{"title": assessment} for assessment in visit.assessments]
    return action


def build_schedule(ctx: Context) -> Resource:
    """The protocol's visit schedule (planned study day and window, assessments per visit) as a PlanDefinition."""
    study = ctx.study
    schedule: Resource = {
        "resourceType": "PlanDefinition",
        "id": ctx.id("PlanDefinition", "schedule"),
        "identifier": [ctx.identifier("plan", "schedule")],
        "name": "VisitSchedule",
        "title": f"Schedule of visits, {study.nct_id}",
        "status": "active",
        "description": "Planned visits; timing is the planned study day minus/plus the visit window.",
        "action": [_visit_action(ctx, visit) for visit in ctx.definition.visits.planned],
    }
    return sponsor.with_extension(schedule, _registry_extension(ctx, study))


def _registry_extension(ctx: Context, study: Study) -> Resource | None:
    """Registry facts without a FHIR element, on the protocol (the ResearchStudy's `protocol` PlanDefinition)."""
    fields = {
        name: getattr(study, name)
        for name in (
            "official_title", "brief_summary", "overall_status", "study_type", "allocation", "intervention_model",
            "masking", "primary_purpose", "phase", "sex", "minimum_age", "maximum_age", "healthy_volunteers",
            "data_cutoff_date", "data_cutoff_description",
        )
    }  # fmt: skip
    return sponsor.fields_extension(ctx.extension(sponsor.REGISTRY_RECORD), fields)

"""The protocol's visit schedule (TV) from the PlanDefinition: one planned visit of the definition per action.

VISITNUM is the action's code; planned study day and window (before/after) come from the sponsor planned-visit
extension (`window_days` for both sides when it gives no side), else from the standard `action.timingRange` (days:
planned day = midpoint, window = half-width on both sides) or `timingDuration`. The start
rule (TVSTRL) comes from the extension, else the action's description, else the timing ('Study day 24 to 38'); text
is made ASCII (see fhir_in.text).
"""

from __future__ import annotations

from typing import Any

from trialinterop.definition import model as d
from trialinterop.fhir import sponsor
from trialinterop.fhir_in.load import Located
from trialinterop.fhir_in.text import ascii_text
from trialinterop.fhir_in.values import codings, fields

DAY_UNITS = frozenset({"d", "day", "days"})


def planned_visits(plan: Located | None) -> tuple[d.PlannedVisit, ...]:
    """The planned visits of `plan` (none without a protocol PlanDefinition)."""
    if plan is None:
        return ()
    return tuple(_visit(plan, number, action) for number, action in enumerate(plan.resource.get("action") or []))


def _visit(plan: Located, number: int, action: dict[str, Any]) -> d.PlannedVisit:
    path = f"PlanDefinition.action[{number}]"
    code_element = action.get("code")
    concept = code_element[0] if isinstance(code_element, list) and code_element else code_element
    code = next((c.get("code") for c in codings(concept)), None)
    try:
        visit_num = float(code)  # type: ignore[arg-type]  # None and non-numbers raise, handled below
    except (TypeError, ValueError):
        raise plan.fail(f"{path}.code", f"visit number expected, got {code!r}") from None
    given = fields(action, sponsor.PLANNED_VISIT)
    if given:  # the extension leaves out what the protocol does not state
        day, window, timing_rule = given.get("planned_day"), given.get("window_days"), None
        before, after = given.get("window_before", window), given.get("window_after", window)
    else:
        day, window, timing_rule = _timing(plan, path, action)
        before = after = window
    rule, rule_element = given.get("start_rule"), f"{path}.extension({sponsor.PLANNED_VISIT}).start_rule"
    if rule is None and action.get("description"):
        rule, rule_element = action["description"], f"{path}.description"
    rule = rule if rule is not None else timing_rule
    if not rule:
        raise plan.fail(
            f"{path}.description", "no start rule (TVSTRL): give the action a description or a timingRange in days"
        )
    end_rule = given.get("end_rule")
    return d.PlannedVisit(
        number=visit_num,
        name=action.get("title") or "",
        start_rule=ascii_text(plan, rule_element, rule),
        planned_day=day,
        window_before=before,
        window_after=after,
        end_rule=ascii_text(plan, f"{path}.extension.end_rule", end_rule) if end_rule else None,
        assessments=tuple(a.get("title") for a in action.get("action") or [] if a.get("title")),
    )


def _timing(plan: Located, path: str, action: dict[str, Any]) -> tuple[int | None, int | None, str | None]:
    """(planned day, window, rule text) from timingRange or timingDuration in days; Nones without such timing."""
    if "timingRange" in action:
        element = f"{path}.timingRange"
        low = _days(plan, f"{element}.low", action["timingRange"].get("low"))
        high = _days(plan, f"{element}.high", action["timingRange"].get("high"))
        if (high - low) % 2:
            raise plan.fail(element, f"days {low} to {high} have no whole middle day (the planned study day)")
        return (low + high) // 2, (high - low) // 2, f"Study day {low} to {high}" if low != high else f"Study day {low}"
    if "timingDuration" in action:
        day = _days(plan, f"{path}.timingDuration", action["timingDuration"])
        return day, 0, f"Study day {day}"
    return None, None, None


def _days(plan: Located, element: str, quantity: Any) -> int:
    quantity = quantity if isinstance(quantity, dict) else {}
    value, unit = quantity.get("value"), quantity.get("code") or quantity.get("unit")
    if not isinstance(value, int | float) or isinstance(value, bool) or value != int(value) or unit not in DAY_UNITS:
        raise plan.fail(element, f"a whole number of days (UCUM 'd') expected, got {quantity!r}")
    return int(value)

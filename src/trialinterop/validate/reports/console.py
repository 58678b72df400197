"""Console report: counts by rule, then itemised findings (capped per rule so CI logs stay readable)."""

from __future__ import annotations

from trialinterop.issues import Severity
from trialinterop.validate.api import ValidationResult
from trialinterop.validate.reports import rule_message


def render_console(result: ValidationResult, *, fail_on: Severity, limit_per_rule: int = 20) -> str:
    lines = []
    total_records = sum(d.records for d in result.datasets)
    lines.append(f"Validated {len(result.datasets)} dataset(s), {total_records} record(s)")
    if result.define:
        lines[-1] += f", define.xml {result.define}"
    if result.fhir_resources:
        lines[-1] += f", {result.fhir_resources} FHIR resource(s)"
    if not result.issues:
        lines.append("No findings." + (f" ({len(result.accepted)} accepted)" if result.accepted else ""))
        return "\n".join(lines) + "\n"
    lines.append("")
    lines.append(f"{'rule':<10} {'severity':<8} {'count':>6}  message")
    for rule_id, severity, count in result.counts_by_rule():
        lines.append(f"{rule_id:<10} {severity.name:<8} {count:>6}  {rule_message(result.rules, rule_id)}")
    lines.append("")
    shown: dict[str, int] = {}
    for issue in sorted(result.issues, key=lambda i: (-i.severity, i.rule)):
        shown[issue.rule] = shown.get(issue.rule, 0) + 1
        if shown[issue.rule] <= limit_per_rule:
            lines.append(issue.render())
        elif shown[issue.rule] == limit_per_rule + 1:
            total = sum(1 for i in result.issues if i.rule == issue.rule)
            lines.append(f"  ... {total - limit_per_rule} more {issue.rule} finding(s) (see --format json/xlsx)")
    failing = len(result.failing(fail_on))
    lines.append("")
    summary = f"{len(result.issues)} finding(s), {failing} at or above {fail_on.name.lower()}"
    if result.accepted:
        summary += f"; {len(result.accepted)} accepted"
    lines.append(summary)
    return "\n".join(lines) + "\n"

"""Run the registered rules over a package and collect `Issue`s (the validator never changes the data)."""

from __future__ import annotations

from collections.abc import Iterable

from trialinterop.issues import Issue, Severity
from trialinterop.validate.context import Context
from trialinterop.validate.package import Package
from trialinterop.validate.registry import Finding, Rule, all_rules
from trialinterop.validate.standards import Standard, load_standard

RULE_FAILED = "TI-RUN"


def to_issue(rule: Rule, finding: Finding) -> Issue:
    message = f"{rule.message}: {finding.detail}" if finding.detail else rule.message
    return Issue(
        rule=rule.id,
        severity=rule.severity,
        message=message,
        where=finding.where,
        key=finding.key,
        field=finding.field,
        value=finding.value,
    )


def run_rules(
    package: Package,
    *,
    rules: Iterable[Rule] | None = None,
    standard: Standard | None = None,
    spec: object | None = None,
) -> list[Issue]:
    """Every finding of every rule, rules in id order. A rule that breaks on odd data is reported, not raised.

    `spec` is this project's specification when the package is its study (see `api.choose_spec`)."""
    ctx = Context(package=package, standard=standard or load_standard(), spec=spec)
    issues: list[Issue] = []
    for rule in rules if rules is not None else all_rules():
        try:
            issues += [to_issue(rule, finding) for finding in rule.check(ctx)]
        except Exception as exc:  # a defect or an input shape the rule did not foresee: say so, keep going
            message = f"rule {rule.id} could not run on this package: {type(exc).__name__}: {exc}"
            issues.append(Issue(RULE_FAILED, Severity.WARNING, message, where=rule.scope))
    return issues

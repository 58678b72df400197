"""Report renderers: console, JSON, JUnit XML, SARIF 2.1.0, Excel (openpyxl) and HTML, all from one result."""

from __future__ import annotations

from trialinterop.issue_ids import DECLARED
from trialinterop.issues import Issue
from trialinterop.validate.registry import Rule


def rule_message(rules: tuple[Rule, ...], rule_id: str) -> str:
    """The message of the rule `rule_id` among `rules`, else of the issue id declared in `issue_ids` (TI-RUN, ...)."""
    for rule in rules:
        if rule.id == rule_id:
            return rule.message
    declared = DECLARED.get(rule_id)
    return declared.message if declared is not None else ""


def issue_dict(issue: Issue) -> dict[str, str]:
    return {
        "rule": issue.rule,
        "severity": issue.severity.name.lower(),
        "dataset": issue.where,
        "key": issue.key,
        "variable": issue.field,
        "value": issue.value,
        "message": issue.message,
    }


def rule_dict(rule: Rule) -> dict[str, object]:
    return {
        "id": rule.id,
        "severity": rule.severity.name.lower(),
        "family": rule.family,
        "scope": rule.scope,
        "message": rule.message,
        "description": rule.description,
        "references": list(rule.references),
    }

"""Report renderers: console, JSON, JUnit XML, SARIF 2.1.0, Excel (openpyxl) and HTML, all from one result."""

from __future__ import annotations

from trialinterop.issues import Issue, Severity
from trialinterop.validate.registry import Rule

PSEUDO_RULES = {
    "TI-ACCEPT": ("accepted finding no longer occurs", Severity.WARNING),
    "TI-RUN": ("a rule could not run on this package", Severity.WARNING),
}


def rule_message(rules: tuple[Rule, ...], rule_id: str) -> str:
    for rule in rules:
        if rule.id == rule_id:
            return rule.message
    return PSEUDO_RULES.get(rule_id, ("", Severity.NOTICE))[0]


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

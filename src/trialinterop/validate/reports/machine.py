"""Machine-readable reports: JSON (our own shape), JUnit XML (CI test tabs) and SARIF 2.1.0 (code scanning)."""

from __future__ import annotations

import json
from collections import defaultdict

from lxml import etree

from trialinterop.issues import Issue, Severity
from trialinterop.validate.api import ValidationResult
from trialinterop.validate.reports import issue_dict, rule_dict, rule_message

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Severity.REJECT: "error", Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "note"}


def render_json(result: ValidationResult, *, fail_on: Severity) -> str:
    document = {
        "inputs": list(result.inputs),
        "define": result.define,
        "spec": result.spec,
        "fail_on": fail_on.name.lower(),
        "failing": len(result.failing(fail_on)),
        "datasets": [
            {
                "name": d.name,
                "label": d.label,
                "records": d.records,
                "variables": d.variables,
                "format": d.source_format,
            }
            for d in result.datasets
        ],
        "summary": [
            {"rule": r, "severity": s.name.lower(), "count": n, "message": rule_message(result.rules, r)}
            for r, s, n in result.counts_by_rule()
        ],
        "issues": [issue_dict(i) for i in result.issues],
        "accepted": [{**issue_dict(i), "justification": a.justification} for i, a in result.accepted],
        "rules": [rule_dict(r) for r in result.rules],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_junit(result: ValidationResult, *, fail_on: Severity) -> bytes:
    """One testcase per rule (classname = family); a failure lists that rule's findings at or above --fail-on."""
    by_rule: dict[str, list[Issue]] = defaultdict(list)
    for issue in result.issues:
        by_rule[issue.rule].append(issue)
    suite = etree.Element("testsuite", name="trialinterop validate")
    failures = 0
    known = {r.id for r in result.rules}
    cases = [(r.id, r.family, r.message) for r in result.rules]
    cases += [(rid, "validator", rule_message(result.rules, rid)) for rid in sorted(by_rule) if rid not in known]
    for rule_id, family, message in cases:
        case = etree.SubElement(suite, "testcase", classname=f"trialinterop.{family}", name=f"{rule_id} {message}")
        found = by_rule.get(rule_id, [])
        failing = [i for i in found if i.severity >= fail_on]
        if failing:
            failures += 1
            failure = etree.SubElement(
                case, "failure", message=f"{len(failing)} finding(s)", type=failing[0].severity.name
            )
            failure.text = "\n".join(i.render() for i in failing)
        elif found:
            etree.SubElement(case, "system-out").text = "\n".join(i.render() for i in found)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    root = etree.Element("testsuites")
    root.append(suite)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def render_sarif(result: ValidationResult) -> str:
    rules = [
        {
            "id": r.id,
            "name": r.check.__name__,
            "shortDescription": {"text": r.message},
            "fullDescription": {"text": r.description},
            "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity]},
            "properties": {"family": r.family, "scope": r.scope, "references": list(r.references)},
        }
        for r in result.rules
    ]
    paths = {d.name: d.path for d in result.datasets}
    results = []
    for issue in result.issues:
        location = {
            "physicalLocation": {"artifactLocation": {"uri": paths.get(issue.where, issue.where or "package")}},
            "logicalLocations": [{"name": f"{issue.where} {issue.key} {issue.field}".strip(), "kind": "member"}],
        }
        text = issue.message + (f" (value {issue.value!r})" if issue.value else "")
        results.append(
            {
                "ruleId": issue.rule,
                "level": _SARIF_LEVEL[issue.severity],
                "message": {"text": text},
                "locations": [location],
                "properties": {"dataset": issue.where, "key": issue.key, "variable": issue.field},
            }
        )
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "trialinterop validate",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

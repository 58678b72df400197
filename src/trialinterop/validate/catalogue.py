"""The rules catalogue as text (`--list-rules`) and as the committed docs page `docs/rules.md`; the page also lists
the issue ids raised outside the validator (`trialinterop.issue_ids`), so every id the tool raises is on it."""

from __future__ import annotations

import json

from trialinterop.issue_ids import DECLARED, STAGES, IssueId
from trialinterop.validate.registry import Rule, all_rules

HEADER = """# Validation rules

Generated from the rule registry (`trialinterop validate --list-rules --format md -o docs/rules.md`); a test keeps
this page current. Severities: Reject (FDA technical rejection), Error, Warning, Notice. `--fail-on` (default error)
sets the severity at which `trialinterop validate` exits 1. The last sections list the issue ids raised outside the
validator (readers, SDTM builders, conform, writers; declared in `trialinterop.issue_ids`). Any id on this page may
be named in an accepted-findings file (`--accepted`).

"""


FAMILY_TITLES = {
    "presence": "Presence of datasets and variables",
    "structure": "XPT v5 structure and variable metadata",
    "identifiers": "Identifiers",
    "dates": "Dates, durations and study days",
    "events": "DM, EX and AE consistency",
    "findings": "Findings (QS, RE and other --TESTCD datasets)",
    "trial_design": "Trial summary and trial design (TS, TI/IE, TA/TE)",
    "terminology": "Controlled terminology",
    "cross": "Cross-domain",
    "define_xml": "define.xml against the data",
    "spec": "This study's own specification (mappings/)",
    "fhir": "FHIR output and SDTM-FHIR agreement",
}


def render_rules_text(rules: list[Rule] | None = None) -> str:
    rules = rules if rules is not None else all_rules()
    lines = [f"{len(rules)} rules"]
    for r in rules:
        lines.append(f"{r.id:<9} {r.severity.name:<7} {r.family:<13} {r.message}")
        lines.append(f"{'':<9} scope: {r.scope}; sources: {'; '.join(r.references)}")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_rules_markdown(rules: list[Rule] | None = None) -> str:
    rules = rules if rules is not None else all_rules()
    lines = [HEADER.rstrip("\n"), "", f"{len(rules)} rules.", ""]
    families: dict[str, list[Rule]] = {}
    for r in rules:
        families.setdefault(r.family, []).append(r)
    order = [f for f in FAMILY_TITLES if f in families] + sorted(set(families) - set(FAMILY_TITLES))
    for family in order:
        lines += [
            f"## {FAMILY_TITLES.get(family, family)}",
            "",
            "| id | severity | scope | check | sources |",
            "|-|-|-|-|-|",
        ]
        for r in families[family]:
            check = f"**{_cell(r.message)}**. {_cell(r.description)}" if r.description != r.message else r.message
            sources = _cell("; ".join(r.references))
            lines.append(f"| {r.id} | {r.severity.name.title()} | {_cell(r.scope)} | {check} | {sources} |")
        lines.append("")
    return "\n".join(lines + _declared_markdown(list(DECLARED.values())))


def _declared_markdown(declared: list[IssueId]) -> list[str]:
    """One section per stage (pipeline order) of the issue ids raised outside the validator's rules."""
    lines = ["# Issue ids raised outside the validator", "", f"{len(declared)} issue ids.", ""]
    for stage, title in STAGES.items():
        entries = sorted((d for d in declared if d.stage == stage), key=lambda d: d.id)
        if not entries:
            continue
        lines += [f"## {title}", "", "| id | severity | meaning | raised by |", "|-|-|-|-|"]
        for d in entries:
            severities = ", ".join(s.name.title() for s in d.severities)
            lines.append(f"| {d.id} | {severities} | {_cell(d.message)} | {_cell(d.raised_by)} |")
        lines.append("")
    return lines


def render_rules_json(rules: list[Rule] | None = None) -> str:
    from trialinterop.validate.reports import rule_dict

    rules = rules if rules is not None else all_rules()
    return json.dumps([rule_dict(r) for r in rules], indent=2) + "\n"

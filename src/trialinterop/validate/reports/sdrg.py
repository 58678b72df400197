"""The "Data Conformance Summary" section of a Clinical Study Data Reviewer's Guide (PHUSE cSDRG layout).

4.1 Conformance Inputs names the validators, the standard and the define.xml; 4.2 Issues Summary lists every finding
still in the package, one row per check and dataset with its count and the sponsor's explanation from the accepted
file. Findings of an outside validator come from its JSON report (the CDISC CORE engine's, as `core_run.py` writes
it: `engine`, `standard`, `version`, `issue_summary`, `execution_errors`); their explanations are accepted entries
whose `rule` is the CORE id. Markdown (converts to DOCX with pandoc) or HTML; deterministic (no run date).
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from trialinterop import __version__
from trialinterop.errors import InputError
from trialinterop.issues import Issue, Severity
from trialinterop.validate.accept import Acceptance, is_external_check
from trialinterop.validate.api import ValidationResult

NO_EXPLANATION = "No explanation given."
_DOMAIN_IN_MESSAGE = re.compile(r"Domain: [A-Z0-9]+, ")


@dataclass(frozen=True)
class OutsideReport:
    """An outside validator's run: its name and version, and its findings per check and dataset."""

    validator: str
    rows: tuple[tuple[str, str, int, str], ...]  # (check id, dataset, count, message)
    errors: tuple[tuple[str, str], ...] = ()  # (check id, message) of checks that could not run


@dataclass(frozen=True)
class Row:
    check: str
    message: str
    severity: str
    dataset: str
    count: int
    explanation: str


def _bad(path: Path, message: str) -> InputError:
    return InputError([Issue("TI-READ", Severity.REJECT, message, where=str(path))], summary="invalid CORE report")


def load_core_report(path: str | Path) -> OutsideReport:
    """Read a CDISC CORE JSON report (core_run.py); a clear error when it is not one."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad(path, f"not a readable JSON file: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("issue_summary"), list):
        raise _bad(path, "not a CDISC CORE report: no 'issue_summary' list")
    rows = []
    for number, entry in enumerate(document["issue_summary"], start=1):
        try:
            rows.append((str(entry["core_id"]), str(entry["dataset"]), int(entry["issues"]), str(entry["message"])))
        except (KeyError, TypeError, ValueError):
            raise _bad(path, f"issue_summary entry {number}: needs core_id, dataset, issues, message") from None
    failed: dict[str, set[str]] = {}
    for e in document.get("execution_errors") or []:
        failed.setdefault(str(e.get("core_id")), set()).add(_DOMAIN_IN_MESSAGE.sub("", str(e.get("message"))))
    errors = sorted((check, " / ".join(sorted(messages))) for check, messages in failed.items())
    standard = f"{str(document.get('standard', '')).upper()} {str(document.get('version', '')).replace('-', '.')}"
    validator = f"CDISC CORE engine {document.get('engine', '?')} ({standard.strip()})"
    return OutsideReport(validator, tuple(rows), tuple(errors))


def _explained(acceptances: list[Acceptance], check: str, dataset: str) -> str:
    for acceptance in acceptances:
        if acceptance.rule == check and acceptance.dataset in (None, dataset):
            return acceptance.justification
    return NO_EXPLANATION


def issue_rows(result: ValidationResult, outside: OutsideReport | None, acceptances: list[Acceptance]) -> list[Row]:
    """Every finding of the run (open and accepted) and of the outside report, grouped by check and dataset."""
    severity = {i.rule: i.severity.name.title() for i in result.issues}
    severity.update({issue.rule: issue.severity.name.title() for issue, _ in result.accepted})
    messages = {i.rule: i.message for i in result.issues}
    messages.update({issue.rule: issue.message for issue, _ in result.accepted})
    counts = Counter((i.rule, i.where) for i in result.issues)
    explanation: dict[tuple[str, str], str] = {}
    for issue, acceptance in result.accepted:
        counts[(issue.rule, issue.where)] += 1
        explanation.setdefault((issue.rule, issue.where), acceptance.justification)
    rows = [
        Row(rule, messages[rule], severity[rule], where, count, explanation.get((rule, where), NO_EXPLANATION))
        for (rule, where), count in counts.items()
    ]
    if outside is not None:
        external = [a for a in acceptances if is_external_check(a.rule)]
        rows += [
            Row(check, message, "Issue", dataset, count, _explained(external, check, dataset))
            for check, dataset, count, message in outside.rows
        ]
    order = {s.name.title(): -s for s in Severity}
    return sorted(rows, key=lambda r: (order.get(r.severity, 0), r.check, r.dataset))


def _inputs(result: ValidationResult, outside: OutsideReport | None) -> list[str]:
    records = sum(d.records for d in result.datasets)
    lines = [
        f"trialinterop {__version__} validate: {len(result.rules)} rules (docs/rules.md), SDTMIG 3.4 metadata and"
        " CDISC controlled terminology as bundled.",
        f"Datasets: {len(result.datasets)} ({records:,} records): {', '.join(d.name for d in result.datasets)}.",
        f"Define-XML: {Path(result.define).name if result.define else 'none given'}.",
    ]
    if outside is not None:
        lines.append(f"{outside.validator}: {sum(r[2] for r in outside.rows):,} findings in {len(outside.rows)} rows.")
        lines += [f"{check} could not run: {message}" for check, message in outside.errors]
    return lines


def _md(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def render_markdown(result: ValidationResult, outside: OutsideReport | None, acceptances: list[Acceptance]) -> str:
    rows = issue_rows(result, outside, acceptances)
    out = ["## 4 Data Conformance Summary", "", "### 4.1 Conformance Inputs", ""]
    out += [f"- {_md(line)}" for line in _inputs(result, outside)]
    out += ["", "### 4.2 Issues Summary", ""]
    if not rows:
        return "\n".join([*out, "No validator finding remains.", ""])
    out += [
        "| Check ID | Diagnostic Message | Severity | Dataset | Count | Explanation |",
        "|---|---|---|---|---:|---|",
    ]
    out += [
        f"| {r.check} | {_md(r.message)} | {r.severity} | {r.dataset} | {r.count:,} | {_md(r.explanation)} |"
        for r in rows
    ]
    unexplained = sum(r.count for r in rows if r.explanation == NO_EXPLANATION)
    out += ["", f"Findings without an explanation: {unexplained:,}.", ""]
    return "\n".join(out)


def render_html(result: ValidationResult, outside: OutsideReport | None, acceptances: list[Acceptance]) -> str:
    rows = issue_rows(result, outside, acceptances)
    esc = html.escape
    body = ["<h2>4 Data Conformance Summary</h2>", "<h3>4.1 Conformance Inputs</h3>", "<ul>"]
    body += [f"<li>{esc(line)}</li>" for line in _inputs(result, outside)]
    body += ["</ul>", "<h3>4.2 Issues Summary</h3>"]
    if rows:
        body.append(
            "<table><thead><tr><th>Check ID</th><th>Diagnostic Message</th><th>Severity</th><th>Dataset</th>"
            "<th>Count</th><th>Explanation</th></tr></thead><tbody>"
        )
        body += [
            f"<tr><td>{esc(r.check)}</td><td>{esc(r.message)}</td><td>{esc(r.severity)}</td><td>{esc(r.dataset)}"
            f"</td><td>{r.count:,}</td><td>{esc(r.explanation)}</td></tr>"
            for r in rows
        ]
        unexplained = sum(r.count for r in rows if r.explanation == NO_EXPLANATION)
        body += ["</tbody></table>", f"<p>Findings without an explanation: {unexplained:,}.</p>"]
    else:
        body.append("<p>No validator finding remains.</p>")
    style = "table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px;vertical-align:top}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Data Conformance Summary</title>'
        f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def render_sdrg(
    result: ValidationResult, outside: OutsideReport | None, acceptances: list[Acceptance], fmt: str
) -> str:
    """The section as Markdown (`md`) or HTML (`html`)."""
    return (render_html if fmt == "html" else render_markdown)(result, outside, acceptances)

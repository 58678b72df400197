"""Pinnacle 21-style tabular reports (Dataset Summary, Issue Summary, Details, Rules, Accepted) as Excel or HTML."""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from trialinterop.issues import Severity
from trialinterop.validate.api import ValidationResult
from trialinterop.validate.reports import rule_message

Table = tuple[str, list[str], Sequence[Sequence[object]]]


def report_tables(result: ValidationResult) -> list[Table]:
    per_dataset: dict[str, Counter[Severity]] = {}
    for issue in result.issues:
        per_dataset.setdefault(issue.where, Counter())[issue.severity] += 1
    datasets = [
        [
            d.name,
            d.label,
            d.records,
            d.variables,
            *(per_dataset.get(d.name, Counter())[s] for s in (Severity.REJECT, Severity.ERROR, Severity.WARNING)),
            per_dataset.get(d.name, Counter())[Severity.NOTICE],
        ]
        for d in result.datasets
    ]
    summary_counts = Counter((i.where, i.rule, i.severity) for i in result.issues)
    summary = [
        [where, rule, rule_message(result.rules, rule), severity.name.title(), count]
        for (where, rule, severity), count in sorted(summary_counts.items(), key=lambda t: (t[0][0], -t[0][2], t[0][1]))
    ]
    details = [
        [i.where, i.key, i.field, i.value, i.rule, i.message, i.severity.name.title()]
        for i in sorted(result.issues, key=lambda i: (i.where, -i.severity, i.rule))
    ]
    rules = [
        [r.id, r.severity.name.title(), r.family, r.scope, r.message, "; ".join(r.references)] for r in result.rules
    ]
    accepted = [[i.where, i.key, i.field, i.value, i.rule, a.justification] for i, a in result.accepted]
    return [
        (
            "Dataset Summary",
            ["Dataset", "Label", "Records", "Variables", "Rejects", "Errors", "Warnings", "Notices"],
            datasets,
        ),
        ("Issue Summary", ["Dataset", "Rule", "Message", "Severity", "Found"], summary),
        ("Details", ["Dataset", "Record", "Variable", "Value", "Rule", "Message", "Severity"], details),
        ("Rules", ["Rule", "Severity", "Family", "Scope", "Message", "References"], rules),
        ("Accepted", ["Dataset", "Record", "Variable", "Value", "Rule", "Justification"], accepted),
    ]


def write_xlsx(result: ValidationResult, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    if workbook.active is not None:  # the default sheet (a new workbook always has one)
        workbook.remove(workbook.active)
    for title, header, rows in report_tables(result):
        sheet = workbook.create_sheet(title)
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_cell(v) for v in row])
        sheet.freeze_panes = "A2"
        for column, name in zip(sheet.columns, header, strict=False):
            width = max([len(str(name))] + [len(str(c.value or "")) for c in list(column)[:200]])
            sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 60)
    workbook.properties.creator = "trialinterop validate"
    workbook.save(path)


def _cell(value: object) -> object:
    # openpyxl would treat a leading "=" as a formula: data from the package is text, never evaluated
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
        return "'" + value
    return value


def _td(value: object) -> str:
    text = html.escape(str(value))
    css = f' class="{text}"' if text in ("Reject", "Error", "Warning", "Notice") else ""
    return f"<td{css}>{text}</td>"


def render_html(result: ValidationResult) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>trialinterop validation report</title>',
        "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin-bottom:2em}"
        "th,td{border:1px solid #bbb;padding:2px 6px;text-align:left;font-size:90%}th{background:#eee}"
        ".Reject,.Error{color:#a00}.Warning{color:#a60}</style></head><body>",
        "<h1>Validation report</h1>",
        f"<p>Inputs: {html.escape(', '.join(result.inputs))}</p>",
    ]
    for title, header, rows in report_tables(result):
        parts.append(f"<h2>{html.escape(title)}</h2><table><thead><tr>")
        parts += [f"<th>{html.escape(h)}</th>" for h in header]
        parts.append("</tr></thead><tbody>")
        for row in rows:
            cells = "".join(_td(v) for v in row)
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"

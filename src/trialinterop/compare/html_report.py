"""The comparison as one self-contained HTML page (inline style, no script, every value escaped, deterministic).

Listings are capped per dataset (`limit`); the JSON report holds everything.
"""

from __future__ import annotations

from html import escape

from trialinterop.compare.model import DatasetComparison, PackageComparison
from trialinterop.compare.text import (
    attribute_text,
    difference_count,
    duplicate_text,
    key_text,
    setting_lines,
    value_text,
)

STYLE = (
    "body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:.5em 0}"
    "td,th{border:1px solid #bbb;padding:2px 6px;text-align:left;vertical-align:top}th{background:#eee}"
    "td.n{text-align:right}.diff{background:#fde8e8}.same{background:#e8f6e8}code{font-size:90%}"
)


def _cells(values: list[str], tag: str = "td") -> str:
    return "<tr>" + "".join(f"<{tag}>{escape(v)}</{tag}>" for v in values) + "</tr>"


def render_html(result: PackageComparison, *, limit: int = 200) -> str:
    verdict = "identical" if result.identical else f"{difference_count(result)} difference(s)"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>compare-sdtm</title>',
        f"<style>{STYLE}</style></head><body>",
        "<h1>SDTM package comparison</h1>",
        f"<p>A: <code>{escape(result.path_a)}</code><br>B: <code>{escape(result.path_b)}</code></p>",
        f"<p><strong>{escape(verdict)}</strong>: {result.values_different} of {result.values_compared} values"
        " differ</p>",
    ]
    facts = setting_lines(result)
    if facts:
        out.append("<ul>" + "".join(f"<li>{escape(f)}</li>" for f in facts) + "</ul>")
    out.append("<table>" + _cells(["dataset", "rows A", "rows B", "matched", "only A", "only B", "values",
                                    "different", "keys"], "th"))  # fmt: skip
    for d in result.datasets.values():
        css = "same" if d.identical else "diff"
        numbers = [d.rows_a, d.rows_b, d.matched, len(d.only_a), len(d.only_b), d.values_compared, d.values_different]
        out.append(
            f'<tr class="{css}"><td><a href="#{escape(d.name)}">{escape(d.name)}</a></td>'
            + "".join(f'<td class="n">{n}</td>' for n in numbers)
            + f"<td>{escape(', '.join(d.keys) or 'row order')}</td></tr>"
        )
    out.append("</table>")
    for d in result.datasets.values():
        out += _dataset(d, limit)
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _more(total: int, limit: int) -> list[str]:
    return [f"<p>... {total - limit} more (all in the JSON report)</p>"] if total > limit else []


def _dataset(d: DatasetComparison, limit: int) -> list[str]:
    out = [f'<h2 id="{escape(d.name)}">{escape(d.name)}</h2>']
    out.append(f"<p>keys: {escape(', '.join(d.keys) or 'row order')} ({escape(d.key_source)})</p>")
    notes = d.notes + duplicate_text(d)
    if notes:
        out.append("<ul>" + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul>")
    if d.identical:
        out.append("<p>identical</p>")
        return out
    if d.attributes:
        out.append("<ul>" + "".join(f"<li>{escape(attribute_text(a))}</li>" for a in d.attributes) + "</ul>")
    for side, rows in (("A", d.only_a), ("B", d.only_b)):
        if rows:
            out.append(f"<h3>{len(rows)} record(s) only in {side}</h3><table>" + _cells(["row", "key"], "th"))
            out += [_cells([str(r.row + 1), key_text(r.key, r.occurrence)]) for r in rows[:limit]]
            out.append("</table>")
            out += _more(len(rows), limit)
    if d.values_different:
        out.append("<h3>values</h3><table>" + _cells(["variable", "compared", "different"], "th"))
        out += [_cells([c.variable, str(c.compared), str(c.different)]) for c in d.counts.values() if c.different]
        out.append("</table><table>" + _cells(["key", "variable", "A", "B"], "th"))
        for x in d.differences(limit):
            out.append(_cells([key_text(x.key, x.occurrence), x.variable, value_text(x.a), value_text(x.b)]))
        out.append("</table>")
        out += _more(len(d.value_frame), limit)
    return out

"""The complete comparison as JSON: every attribute difference, unmatched record and differing value.

Rows are 1-based; keys are objects {variable: value as text}; values are as read (numbers, text, null when
missing). Output is deterministic (no time stamps; datasets, records and variables in a fixed order).
"""

from __future__ import annotations

import json

from trialinterop.compare.model import DatasetComparison, PackageComparison, UnmatchedRow
from trialinterop.compare.text import difference_count
from trialinterop.compare.values import plain_value

FORMAT = "trialinterop compare-sdtm report 1"


def report_dict(result: PackageComparison) -> dict:
    return {
        "report": FORMAT,
        "a": result.path_a,
        "b": result.path_b,
        "identical": result.identical,
        "differences": difference_count(result),
        "ignored": list(result.ignored),
        "tolerance": result.tolerance,
        "notes": list(result.notes),
        "datasets_only_a": list(result.datasets_only_a),
        "datasets_only_b": list(result.datasets_only_b),
        "values_compared": result.values_compared,
        "values_equal": result.values_equal,
        "values_different": result.values_different,
        "values_unpaired": result.values_unpaired,
        "datasets": [_dataset(d) for d in result.datasets.values()],
    }


def _unmatched(rows: list[UnmatchedRow]) -> list[dict]:
    return [{"row": r.row + 1, "key": dict(r.key), "occurrence": r.occurrence} for r in rows]


def _dataset(d: DatasetComparison) -> dict:
    return {
        "name": d.name,
        "identical": d.identical,
        "keys": list(d.keys),
        "key_source": d.key_source,
        "notes": list(d.notes),
        "rows_a": d.rows_a,
        "rows_b": d.rows_b,
        "matched": d.matched,
        "rows_only_a": len(d.only_a),
        "rows_only_b": len(d.only_b),
        "values_compared": d.values_compared,
        "values_equal": d.values_equal,
        "values_different": d.values_different,
        "values_unpaired": d.values_unpaired,
        "duplicate_keys": [
            {"side": x.side, "groups": x.groups, "records": x.rows, "examples": [dict(k) for k in x.examples]}
            for x in d.duplicates
        ],
        "attributes": [
            {"variable": x.variable, "attribute": x.attribute, "a": plain_value(x.a), "b": plain_value(x.b)}
            for x in d.attributes
        ],
        "variables": [
            {"variable": c.variable, "compared": c.compared, "equal": c.equal, "different": c.different}
            for c in d.counts.values()
        ],
        "records_only_a": _unmatched(d.only_a),
        "records_only_b": _unmatched(d.only_b),
        "value_differences": [
            {
                "key": dict(x.key),
                "occurrence": x.occurrence,
                "variable": x.variable,
                "a": x.a,
                "b": x.b,
                "row_a": x.row_a + 1,
                "row_b": x.row_b + 1,
            }
            for x in d.differences()
        ],
    }


def render_json(result: PackageComparison) -> str:
    return json.dumps(report_dict(result), indent=1, ensure_ascii=False, allow_nan=False) + "\n"

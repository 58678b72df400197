"""Records tables under construction: text columns named as the records fields, one row per carried input row.

`Table.frame` holds each field's cell text ("" = empty), plus INDEX (the row's index in its domain frame), so a
rejected cell or row can be traced back to the package. `check_cells` applies the records schema of the written
definition field by field: a bad optional value is emptied (its input value goes to the side file), a bad required
value drops the row (all its values go there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from trialinterop.definition.model import StudyDefinition
from trialinterop.sdtm_in.carry import Carry
from trialinterop.source.cells import convert_cell
from trialinterop.source.schema import records_schema

INDEX = "_index"


@dataclass
class Table:
    """One records file built from one domain; `sources` maps a field to the input variable it comes from."""

    file: str
    domain: str
    frame: pd.DataFrame
    sources: dict[str, str] = field(default_factory=dict)

    def drop(self, positions: np.ndarray, carry: Carry, reason: str | list[str]) -> None:
        """Remove the rows at `positions` (booleans), rejecting their input rows with `reason`."""
        if not positions.any():
            return
        reasons = [reason] * int(positions.sum()) if isinstance(reason, str) else reason
        for index, why in zip(self.frame.loc[positions, INDEX].tolist(), reasons, strict=True):
            carry.reject(self.domain, index, why)
        self.frame = self.frame.loc[~positions].reset_index(drop=True)


def text_column(values: Any) -> pd.Series:
    """Cell texts of a column of values: None/NaN -> "", floats without a trailing .0 (15 significant digits)."""
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    texts = np.array([_cell(u) for u in uniques] + [""], dtype=object)
    return pd.Series(texts[codes], dtype=object)  # positional: a fresh RangeIndex


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return ""
        value = float(f"{value:.15g}")
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def check_cells(tables: list[Table], definition: StudyDefinition, carry: Carry) -> None:
    """Apply the records schema of `definition` to every cell; see the module docstring."""
    specs = records_schema(definition)
    for table in tables:
        spec = specs[table.file]
        by_name = {f.name: f for f in spec.fields}
        bad_rows = np.zeros(len(table.frame), dtype=bool)
        row_reasons: dict[int, str] = {}
        for name in [c for c in table.frame.columns if c != INDEX]:
            fspec = by_name[name]
            column = table.frame[name]
            reasons: dict[str, str] = {}
            for value in column.unique():
                try:
                    convert_cell(value, fspec)
                except ValueError as exc:
                    reasons[value] = str(exc)
            if not reasons:
                continue
            bad = column.isin(list(reasons)).to_numpy()
            source = table.sources.get(name, name)
            for position in map(int, np.flatnonzero(bad)):
                value = str(column.iat[position])
                why = f"{table.file} {name}: {reasons[value]}"
                if fspec.required:
                    bad_rows[position] = True
                    row_reasons.setdefault(position, f"{why} (value {value!r})")
                else:
                    carry.reject_value(table.domain, int(table.frame[INDEX].to_numpy()[position]), source, why)
            if not fspec.required:
                table.frame.loc[bad, name] = ""
        table.drop(bad_rows, carry, [row_reasons[int(p)] for p in np.flatnonzero(bad_rows)])
        keys = list(spec.primary_key)
        duplicate = table.frame.duplicated(keys, keep="first").to_numpy()
        table.drop(duplicate, carry, f"{table.file}: duplicate key ({', '.join(keys)})")


def build_table(file: str, domain: str, frame: pd.DataFrame, fields: dict[str, str | pd.Series], carry: Carry) -> Table:
    """A table from `frame` (rows of `domain`): each field takes the named input variable (its texts) or a ready
    Series; the fields taken from variables are planned as carried there."""
    columns: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, source in fields.items():
        if isinstance(source, str):
            columns[name] = text_column(frame[source]) if source in frame.columns else ""
            if source in frame.columns:
                sources[name] = source
        else:
            columns[name] = text_column(source)
    out = pd.DataFrame(columns, index=range(len(frame)))
    out[INDEX] = frame.index.to_numpy()
    carry.plan(domain, carried={variable: f"{file} {name}" for name, variable in sources.items()})
    return Table(file, domain, out.reset_index(drop=True), sources)


def date_part(values: pd.Series) -> pd.Series:
    """The date of ISO 8601 texts (2014-01-02T10:15 -> 2014-01-02); partial dates unchanged."""
    return values.fillna("").astype(str).str.strip().str.slice(0, 10)


def check_units(tables: list[Table], definition: StudyDefinition, carry: Carry) -> None:
    """A finding in a unit that is neither its test's nor the test's standard unit is not carried (the records
    reader rejects it; checked here so that the folder reads clean at the first pass)."""
    allowed: dict[tuple[str, str], set[str]] = {
        (i.code, t.testcd): {u for u in (t.unit, t.standard_unit) if u} for i in definition.instruments for t in i.tests
    }
    for table in tables:
        if table.file != "findings.csv":
            continue
        frame = table.frame
        keys = list(zip(frame["instrument"], frame["testcd"], strict=True))
        units = frame["unit"].tolist()
        wrong = np.array(
            [bool(u) and u not in allowed.get(k, set()) for k, u in zip(keys, units, strict=True)], dtype=bool
        )
        reasons = [
            f"findings.csv unit: not the unit of {k[1]} ({', '.join(sorted(allowed.get(k, set()))) or 'none'})"
            for k, bad in zip(keys, wrong, strict=True)
            if bad
        ]
        table.drop(wrong, carry, reasons)

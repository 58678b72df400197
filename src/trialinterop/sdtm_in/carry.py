"""The carry report: what became of every value of the package.

Each domain's rows are either carried (into a records row or the study definition) or not carried, with a reason.
Within a carried row each variable is `carried` (to a records field or definition entry), `recomputed` (to-sdtm
derives it again from what is carried: --SEQ, --DY, EPOCH, RFSTDTC...), or not carried. Every non-empty value that
is not carried, whole rows included, is written in long form to `not-carried/<DATASET>.csv` (dataset row, USUBJID,
variable, value, reason) and counted in `not-carried/report.json` and the console summary. Nothing is dropped
without a line there.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trialinterop.sdtm_in.package import ROW, SOURCE, SdtmInput

NO_FIELD = "no records field for this variable"


@dataclass
class DomainPlan:
    """What the mapper of one domain does with its variables: {variable: target or how it is recomputed}."""

    carried: dict[str, str] = field(default_factory=dict)
    recomputed: dict[str, str] = field(default_factory=dict)


@dataclass
class Carry:
    """Collects the plans, the rows not carried (domain -> frame index -> reason) and the notes of one conversion."""

    plans: dict[str, DomainPlan] = field(default_factory=dict)
    rejected: dict[str, dict[int, str]] = field(default_factory=dict)
    rejected_values: dict[str, dict[tuple[int, str], str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def plan(self, domain: str, *, carried: dict[str, str], recomputed: dict[str, str] | None = None) -> None:
        plan = self.plans.setdefault(domain, DomainPlan())
        plan.carried.update(carried)
        plan.recomputed.update(recomputed or {})

    def reject(self, domain: str, index: int, reason: str) -> None:
        """Row `index` of `domain` is not carried (the first reason given is kept)."""
        self.rejected.setdefault(domain, {}).setdefault(int(index), reason)

    def reject_value(self, domain: str, index: int, variable: str, reason: str) -> None:
        """The value of `variable` in row `index` of `domain` is not carried (the row is)."""
        self.rejected_values.setdefault(domain, {}).setdefault((int(index), variable), reason)

    def reject_all(self, domain: str, indexes: Any, reason: str) -> None:
        for index in indexes:
            self.reject(domain, index, reason)

    def note(self, text: str) -> None:
        self.notes.append(text)


@dataclass(frozen=True)
class CarryReport:
    """Counts per dataset (`datasets`), the values not carried from carried rows in long form (`side`), the rows
    not carried whole (`rows`, as they were, with the reason), and the notes."""

    datasets: dict[str, dict[str, Any]]
    side: dict[str, pd.DataFrame]
    notes: tuple[str, ...]
    rows: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def values_not_carried(self) -> int:
        return sum(d["values_not_carried"] for d in self.datasets.values())

    @property
    def rows_not_carried(self) -> int:
        return sum(d["rows_not_carried"] for d in self.datasets.values())

    @property
    def balanced(self) -> bool:
        """Every non-empty input value is carried, recomputed or in a side file."""
        return all(
            d["values"] == d["values_carried"] + d["values_recomputed"] + d["values_not_carried"]
            for d in self.datasets.values()
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "datasets": self.datasets,
            "rows_not_carried": self.rows_not_carried,
            "values_not_carried": self.values_not_carried,
            "balanced": self.balanced,
            "notes": list(self.notes),
        }

    def write(self, folder: Path) -> None:
        """not-carried/<DATASET>-rows.csv (rows not carried, with the reason), <DATASET>-values.csv (values of
        carried rows not carried, long form), and not-carried/report.json."""
        folder.mkdir(parents=True, exist_ok=True)
        for dataset, frame in self.rows.items():
            frame.to_csv(folder / f"{dataset}-rows.csv", index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        for dataset, frame in self.side.items():
            frame.to_csv(folder / f"{dataset}-values.csv", index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        (folder / "report.json").write_text(json.dumps(self.as_json(), indent=1) + "\n", encoding="utf-8")

    def summary_lines(self) -> list[str]:
        lines = []
        for name, d in self.datasets.items():
            lines.append(
                f"  {name}: {d['rows']} rows, {d['rows_not_carried']} not carried; {d['values']} values: "
                f"{d['values_carried']} carried, {d['values_recomputed']} recomputed, "
                f"{d['values_not_carried']} not carried"
            )
        return lines


def account(package: SdtmInput, carry: Carry) -> CarryReport:
    """Count every non-empty value of every dataset and collect the side rows of those not carried."""
    datasets: dict[str, dict[str, Any]] = {}
    side: dict[str, list[pd.DataFrame]] = {}
    wide: dict[str, pd.DataFrame] = {}
    for domain, frame in package.domains.items():
        plan = carry.plans.get(domain, DomainPlan())
        rejected = carry.rejected.get(domain, {})
        reasons = pd.Series(
            [rejected.get(i) for i in range(len(frame))] if rejected else [None] * len(frame), dtype=object
        )
        row_out = reasons.notna().to_numpy()
        variables = [c for c in frame.columns if c not in (SOURCE, ROW)]
        cell_reasons: dict[str, dict[tuple[int, str], str]] = {}
        for (index, var), why in carry.rejected_values.get(domain, {}).items():
            cell_reasons.setdefault(var, {})[(index, var)] = why
        filled = {v: _filled(frame[v]) for v in variables}
        for name in dict.fromkeys(frame[SOURCE]):
            in_dataset = (frame[SOURCE] == name).to_numpy()
            counts = Counter[str]()
            per_variable: dict[str, dict[str, Any]] = {}
            for variable in variables:
                mask = filled[variable] & in_dataset
                total = int(mask.sum())
                out_rows = mask & row_out
                status = _status(variable, plan)
                if status == "not carried":
                    lost = mask
                    reason = pd.Series(NO_FIELD, index=frame.index).where(~row_out, reasons)
                else:
                    lost = out_rows.copy()
                    reason = reasons.copy()
                    for (index, _), why in cell_reasons.get(variable, {}).items():
                        if mask[index] and not row_out[index]:
                            lost[index] = True
                            reason[index] = why
                n_lost = int(lost.sum())
                counts["values"] += total
                counts["values_not_carried"] += n_lost
                if status != "not carried":
                    counts[f"values_{status}"] += total - n_lost
                per_variable[variable] = {
                    "status": status,
                    "to": plan.carried.get(variable) or plan.recomputed.get(variable),
                    "values": total,
                    "not_carried": n_lost,
                }
                part = lost & ~row_out  # whole rows are written wide, below
                if n_lost and part.any():
                    side.setdefault(name, []).append(_side_rows(frame, part, variable, reason))
            whole = row_out & in_dataset
            if whole.any():
                rows_out = frame.loc[whole, [ROW, *variables]].rename(columns={ROW: "row"})
                rows_out.insert(1, "reason", reasons[whole].to_numpy())
                wide[name] = rows_out
            datasets[name] = {
                "domain": domain,
                "rows": int(in_dataset.sum()),
                "rows_not_carried": int((row_out & in_dataset).sum()),
                "values": counts["values"],
                "values_carried": counts["values_carried"],
                "values_recomputed": counts["values_recomputed"],
                "values_not_carried": counts["values_not_carried"],
                "reasons": dict(Counter(r for r, o in zip(reasons[in_dataset], row_out[in_dataset], strict=True) if o)),
                "variables": per_variable,
            }
    frames = {
        name: pd.concat(parts, ignore_index=True).sort_values(["row", "variable"], kind="mergesort")
        for name, parts in side.items()
    }
    return CarryReport(
        dict(sorted(datasets.items())), dict(sorted(frames.items())), tuple(carry.notes), dict(sorted(wide.items()))
    )


def _status(variable: str, plan: DomainPlan) -> str:
    if variable in plan.carried:
        return "carried"
    if variable in plan.recomputed:
        return "recomputed"
    return "not carried"


def _filled(column: pd.Series) -> np.ndarray:
    if column.dtype == object or pd.api.types.is_string_dtype(column):
        codes, uniques = pd.factorize(column, use_na_sentinel=True)  # a few distinct texts per column
        filled = np.array([bool(str(u).strip()) for u in uniques] + [False], dtype=bool)
        return filled[codes]
    return column.notna().to_numpy()


def _side_rows(frame: pd.DataFrame, mask: np.ndarray, variable: str, reason: pd.Series) -> pd.DataFrame:
    rows = frame.loc[mask]
    usubjid = rows["USUBJID"] if "USUBJID" in rows.columns else pd.Series("", index=rows.index)
    values = rows[variable]
    if values.dtype != object:
        values = values.map(lambda v: f"{v:.15g}")
    return pd.DataFrame(
        {
            "row": rows[ROW].to_numpy(),
            "USUBJID": usubjid.to_numpy(),
            "variable": variable,
            "value": values.to_numpy(),
            "reason": reason[mask].to_numpy(),
        }
    )

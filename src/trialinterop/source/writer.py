"""Write `TrialRecords` as a records folder (study.json + one CSV per table) that `read_records` reads back equal.

Columns follow records.schema.json order; an empty cell means None; integral numbers are written without a trailing
".0" (visit 1, not 1.0; unplanned visit 3.01 stays 3.01). The folder is built beside its destination and swapped in
only when complete (`atomic.staged_directory`), so a failure never leaves a half-written folder.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

from trialinterop.atomic import staged_directory
from trialinterop.source import models as m
from trialinterop.source.reader import TABLE_ATTRS
from trialinterop.source.schema import TableSpec, load_schema


def write_records(records: m.TrialRecords, folder: str | Path, *, study_source: str | Path | None = None) -> Path:
    """Write `records` into `folder` (replacing it atomically); return the folder path.

    `study_source`: copy this study.json byte for byte instead of serialising `records.study` (keeps a hand-kept
    registry file, with its layout, unchanged).
    """
    folder = Path(folder)
    _, tables = load_schema()
    with staged_directory(folder) as staging:
        _apply_umask(staging)
        if study_source is not None:
            (staging / "study.json").write_bytes(Path(study_source).read_bytes())
        else:
            text = json.dumps(study_to_json(records.study), indent=1, ensure_ascii=False)
            (staging / "study.json").write_text(text + "\n", encoding="utf-8")
        for file, spec in tables.items():
            rows = getattr(records, TABLE_ATTRS[file])
            _write_table(staging / file, spec, rows)
    return folder


def _apply_umask(path: Path) -> None:
    """mkdtemp creates 0700 folders; give the output folder the permissions a plain mkdir would."""
    mask = os.umask(0)
    os.umask(mask)
    path.chmod(0o777 & ~mask)


def _write_table(path: Path, spec: TableSpec, rows: tuple[Any, ...]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(spec.columns)
        for row in rows:
            values = _row_values(row)
            writer.writerow([format_cell(values[c]) for c in spec.columns])


def _row_values(row: Any) -> dict[str, Any]:
    values = {name: getattr(row, name) for name in row.__slots__ if name not in ("origin", "scores")}
    if isinstance(row, m.SkinScore):
        values.update(zip(m.MRSS_AREAS, row.scores, strict=True))
    return values


def format_cell(value: Any) -> str:
    """One CSV cell: None -> "", 1.0 -> "1", 3.01 -> "3.01", ("A", "B") -> "A|B"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, tuple):
        return "|".join(value)
    return str(value)


def _number(value: float | int | None) -> float | int | None:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _drop_none(pairs: dict[str, Any], *, keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """Omit optional string members that are None (the schema types them as plain strings)."""
    return {k: v for k, v in pairs.items() if v is not None or k in keep}


def study_to_json(study: m.Study) -> dict[str, Any]:
    """The study.json document, keys in the order of the schema."""
    return {
        "study_id": study.study_id,
        "nct_id": study.nct_id,
        "brief_title": study.brief_title,
        "official_title": study.official_title,
        **({"brief_summary": study.brief_summary} if study.brief_summary is not None else {}),
        "sponsor": _drop_none({"name": study.sponsor_name, "duns": study.sponsor_duns}),
        "overall_status": study.overall_status,
        "study_type": study.study_type,
        "phase": study.phase,
        "design": {
            "allocation": study.allocation,
            "intervention_model": study.intervention_model,
            "masking": study.masking,
            "primary_purpose": study.primary_purpose,
        },
        "enrollment_target": study.enrollment_target,
        "sex": study.sex,
        "minimum_age": study.minimum_age,
        "maximum_age": study.maximum_age,
        "healthy_volunteers": study.healthy_volunteers,
        "start_date": study.start_date,
        "data_cutoff_date": study.data_cutoff_date,
        "data_cutoff_description": study.data_cutoff_description,
        "conditions": [_drop_none({"name": c.name, "snomed": c.snomed, "meddra": c.meddra}) for c in study.conditions],
        "arms": [
            {
                "code": a.code,
                "label": a.label,
                "type": a.type,
                "description": a.description,
                "interventions": list(a.interventions),
            }
            for a in study.arms
        ],
        "interventions": [
            _drop_none(
                {
                    "code": i.code,
                    "name": i.name,
                    "type": i.type,
                    "description": i.description,
                    "treatment": i.treatment,
                    "dose": _number(i.dose),
                    "dose_unit": i.dose_unit,
                    "route": i.route,
                    "dose_form": i.dose_form,
                    "frequency": i.frequency,
                    "population": i.population,
                },
                keep=("dose", "dose_unit", "route", "dose_form", "frequency"),
            )
            for i in study.interventions
        ],
        "outcomes": [
            _drop_none({"kind": o.kind, "measure": o.measure, "time_frame": o.time_frame, "description": o.description})
            for o in study.outcomes
        ],
        "criteria": [
            _drop_none({"id": c.id, "category": c.category, "text": c.text, "short": c.short}) for c in study.criteria
        ],
        "sites": [
            _drop_none(
                {
                    "site_id": s.site_id,
                    "name": s.name,
                    "city": s.city,
                    "state": s.state,
                    "country": s.country,
                    "country_name": s.country_name,
                    "status": s.status,
                }
            )
            for s in study.sites
        ],
        "visits": [
            _drop_none(
                {
                    "visit_num": _number(v.visit_num),
                    "name": v.name,
                    "planned_day": v.planned_day,
                    "start_rule": v.start_rule,
                    "end_rule": v.end_rule,
                    "window_days": v.window_days,
                    "assessments": list(v.assessments),
                },
                keep=("planned_day", "window_days"),
            )
            for v in study.visits
        ],
    }

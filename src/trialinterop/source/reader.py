"""Read a records folder (study.json + CSV tables) into `TrialRecords`, reporting every bad cell at once.

Each problem names the file, the row (header = row 1) and the field. Nothing is guessed or repaired: a folder with
any problem raises `InputError` and no output is produced.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import fields as dc_fields
from pathlib import Path
from typing import Any

import jsonschema

from trialinterop.errors import InputError
from trialinterop.iso8601 import parse_dtc
from trialinterop.issues import Issue, Severity
from trialinterop.source import models as m
from trialinterop.source.schema import FieldSpec, TableSpec, load_schema

MAX_FILE_BYTES = 2 * 1024**3
TABLE_MODELS: dict[str, type] = {
    "subjects.csv": m.Subject,
    "exposures.csv": m.Exposure,
    "adverse_events.csv": m.AdverseEvent,
    "skin_scores.csv": m.SkinScore,
    "spirometry.csv": m.Spirometry,
    "visits.csv": m.Visit,
    "disposition.csv": m.Disposition,
    "eligibility.csv": m.EligibilityException,
}
TABLE_ATTRS: dict[str, str] = {
    "subjects.csv": "subjects",
    "exposures.csv": "exposures",
    "adverse_events.csv": "adverse_events",
    "skin_scores.csv": "skin_scores",
    "spirometry.csv": "spirometry",
    "visits.csv": "visits",
    "disposition.csv": "dispositions",
    "eligibility.csv": "eligibility",
}


def _problem(file: str, row: int | str, field: str, message: str, value: str = "") -> Issue:
    key = f"row {row}" if isinstance(row, int) else row
    return Issue("INPUT", Severity.ERROR, message, where=file, key=key, field=field, value=value)


def read_records(folder: str | Path) -> m.TrialRecords:
    """Load and check a records folder; raise InputError listing every problem."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError([_problem(str(folder), "", "", "records folder not found")], summary="cannot read records")
    problems: list[Issue] = []
    study = read_study(folder / "study.json", problems)
    _, tables = load_schema()
    loaded: dict[str, list[Any]] = {}
    for file, spec in tables.items():
        path = folder / file
        if not path.exists():
            if file == "subjects.csv":
                problems.append(_problem(file, "", "", "required file is missing"))
            loaded[file] = []
            continue
        loaded[file] = list(_read_table(path, spec, problems))
    if study is not None and not problems:
        problems += cross_check(study, loaded, tables)
    if problems or study is None:
        raise InputError(problems, summary=f"invalid records in {folder}")
    return m.TrialRecords(study=study, **{TABLE_ATTRS[f]: tuple(rows) for f, rows in loaded.items()})


def read_study(path: Path, problems: list[Issue]) -> m.Study | None:
    name = path.name
    if not path.exists():
        problems.append(_problem(name, "", "", "required file is missing"))
        return None
    if path.stat().st_size > MAX_FILE_BYTES:
        problems.append(_problem(name, "", "", "file is too large"))
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        problems.append(_problem(name, "", "", f"not valid UTF-8 JSON: {exc}"))
        return None
    study_schema, _ = load_schema()
    errors = sorted(jsonschema.Draft202012Validator(study_schema).iter_errors(doc), key=lambda e: list(e.path))
    for error in errors:
        pointer = "/".join(str(p) for p in error.absolute_path) or "(root)"
        problems.append(_problem(name, pointer, pointer.rsplit("/", 1)[-1], error.message))
    if errors:
        return None
    return _study_from_json(doc)


def _study_from_json(doc: dict) -> m.Study:
    design = doc["design"]
    return m.Study(
        study_id=doc["study_id"],
        nct_id=doc["nct_id"],
        brief_title=doc["brief_title"],
        official_title=doc["official_title"],
        brief_summary=doc.get("brief_summary"),
        sponsor_name=doc["sponsor"]["name"],
        sponsor_duns=doc["sponsor"].get("duns"),
        overall_status=doc["overall_status"],
        study_type=doc["study_type"],
        phase=doc.get("phase"),
        allocation=design["allocation"],
        intervention_model=design["intervention_model"],
        masking=design["masking"],
        primary_purpose=design["primary_purpose"],
        enrollment_target=doc["enrollment_target"],
        sex=doc.get("sex", "ALL"),
        minimum_age=doc.get("minimum_age"),
        maximum_age=doc.get("maximum_age"),
        healthy_volunteers=doc.get("healthy_volunteers", False),
        start_date=doc.get("start_date"),
        data_cutoff_date=doc.get("data_cutoff_date"),
        data_cutoff_description=doc.get("data_cutoff_description"),
        conditions=tuple(m.Condition(**c) for c in doc["conditions"]),
        arms=tuple(m.Arm(**{**a, "interventions": tuple(a["interventions"])}) for a in doc["arms"]),
        interventions=tuple(m.Intervention(**i) for i in doc["interventions"]),
        outcomes=tuple(m.Outcome(**o) for o in doc["outcomes"]),
        criteria=tuple(m.Criterion(**c) for c in doc["criteria"]),
        sites=tuple(m.Site(**s) for s in doc["sites"]),
        visits=tuple(
            m.PlannedVisit(**{**v, "visit_num": float(v["visit_num"]), "assessments": tuple(v.get("assessments", ()))})
            for v in doc["visits"]
        ),
    )


def _read_table(path: Path, spec: TableSpec, problems: list[Issue]) -> Iterator[Any]:
    name = path.name
    if path.stat().st_size > MAX_FILE_BYTES:
        problems.append(_problem(name, "", "", "file is too large"))
        return
    model = TABLE_MODELS[name]
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        problems.append(_problem(name, "", "", f"cannot open: {exc}"))
        return
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
        except (csv.Error, UnicodeDecodeError) as exc:
            problems.append(_problem(name, 1, "", f"unreadable header: {exc}"))
            return
        if header is None:
            problems.append(_problem(name, 1, "", "file is empty (no header row)"))
            return
        unknown = [c for c in header if c not in spec.columns]
        missing = [f.name for f in spec.fields if f.required and f.name not in header]
        for column in unknown:
            problems.append(_problem(name, 1, column, "unknown column"))
        for column in missing:
            problems.append(_problem(name, 1, column, "required column is missing"))
        if len(set(header)) != len(header):
            problems.append(_problem(name, 1, "", "duplicate column names in header"))
        if unknown or missing:
            return
        by_name = {f.name: f for f in spec.fields}
        index = [(i, by_name[c]) for i, c in enumerate(header)]
        seen_keys: dict[tuple, int] = {}
        row_number = 1
        try:
            for row_number, row in enumerate(reader, start=2):
                if not row or all(not cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    problems.append(
                        _problem(name, row_number, "", f"has {len(row)} cells, the header has {len(header)}")
                    )
                    continue
                values: dict[str, Any] = {}
                bad = False
                for i, fspec in index:
                    try:
                        values[fspec.name] = convert_cell(row[i], fspec)
                    except ValueError as exc:
                        problems.append(_problem(name, row_number, fspec.name, str(exc), row[i]))
                        bad = True
                for fspec in spec.fields:
                    values.setdefault(fspec.name, None)
                if bad:
                    continue
                key = tuple(values[k] for k in spec.primary_key)
                if key in seen_keys:
                    problems.append(
                        _problem(
                            name,
                            row_number,
                            ",".join(spec.primary_key),
                            f"duplicate key {key} (first at row {seen_keys[key]})",
                        )
                    )
                    continue
                seen_keys[key] = row_number
                yield build_row(model, values, m.Origin(name, row_number))
        except (csv.Error, UnicodeDecodeError) as exc:
            problems.append(_problem(name, row_number + 1, "", f"unreadable CSV: {exc}"))


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def convert_cell(text: str, spec: FieldSpec) -> Any:
    """Text cell -> typed value or None; ValueError with a reader-facing reason."""
    text = text.strip()
    if text == "":
        if spec.required:
            raise ValueError("required value is empty")
        return None
    if spec.type == "string":
        if spec.enum is not None and text not in spec.enum:
            raise ValueError(f"must be one of {', '.join(spec.enum)}")
        if spec.pattern and not re.match(spec.pattern, text):
            raise ValueError(f"does not match the pattern {spec.pattern}")
        return text
    if spec.type == "list":
        items = tuple(part.strip() for part in text.split("|"))
        for item in items:
            if spec.items is not None and item not in spec.items:
                raise ValueError(f"{item!r} must be one of {', '.join(spec.items)}")
        return items
    if spec.type in ("integer", "number"):
        if not _NUMBER.match(text):
            raise ValueError(f"not a {spec.type}")
        number = float(text)
        if spec.type == "integer":
            if not number.is_integer():
                raise ValueError("not an integer")
            number = int(number)
        if spec.minimum is not None and number < spec.minimum:
            raise ValueError(f"below the minimum {spec.minimum:g}")
        if spec.maximum is not None and number > spec.maximum:
            raise ValueError(f"above the maximum {spec.maximum:g}")
        return number
    if spec.type in ("date", "datetime"):
        parsed = parse_dtc(text)  # ValueError names the problem
        if spec.type == "date" and "T" in text:
            raise ValueError("a date is expected, not a date/time")
        if spec.complete and not parsed.is_complete_date:
            raise ValueError("a complete date (YYYY-MM-DD) is required")
        return text
    raise ValueError(f"unknown type {spec.type} in schema")


def build_row(model: type, values: dict[str, Any], origin: m.Origin) -> Any:
    if model is m.SkinScore:
        scores = tuple(values.pop(area) for area in m.MRSS_AREAS)
        values["scores"] = scores
    if model is m.Subject:
        values["race"] = values["race"] or ()
    names = {f.name for f in dc_fields(model)}
    return model(**{k: v for k, v in values.items() if k in names}, origin=origin)


def cross_check(study: m.Study, loaded: dict[str, list[Any]], tables: dict[str, TableSpec]) -> list[Issue]:
    """References between files: subjects, sites, visits, criteria; mRSS totals against their areas; AE seriousness
    against its criteria (an AE whose seriousness is not yet known needs no criterion, but may not have one = Y)."""
    problems: list[Issue] = []
    subjects = {s.subject_id: s for s in loaded["subjects.csv"]}
    site_ids = {s.site_id for s in study.sites}
    for s in loaded["subjects.csv"]:
        if s.site_id not in site_ids:
            problems.append(_problem(s.origin.file, s.origin.row, "site_id", "not a site of study.json", s.site_id))
        site = study.site(s.site_id)
        if site is not None and site.country != s.country:
            problems.append(
                _problem(
                    s.origin.file,
                    s.origin.row,
                    "country",
                    f"site {s.site_id} is in {site.country}",
                    s.country,
                )
            )
    planned = {v.visit_num for v in study.visits}
    listed = {(v.subject_id, v.visit_num) for v in loaded["visits.csv"]}
    for file, rows in loaded.items():
        if file == "subjects.csv":
            continue
        for row in rows:
            if row.subject_id not in subjects:
                problems.append(
                    _problem(row.origin.file, row.origin.row, "subject_id", "not in subjects.csv", row.subject_id)
                )
            visit_num = getattr(row, "visit_num", None)
            if (
                visit_num is not None
                and file != "visits.csv"
                and visit_num not in planned
                and (row.subject_id, visit_num) not in listed
            ):
                problems.append(
                    _problem(
                        row.origin.file,
                        row.origin.row,
                        "visit_num",
                        "neither a planned visit of study.json nor an unplanned visit in visits.csv",
                        f"{visit_num:g}",
                    )
                )
    for v in loaded["visits.csv"]:
        if v.visit_num not in planned and not v.unplanned_description:
            problems.append(
                _problem(
                    v.origin.file,
                    v.origin.row,
                    "unplanned_description",
                    "an unplanned visit needs a description",
                    f"{v.visit_num:g}",
                )
            )
        if v.occurred == "Y" and not v.visit_date:
            problems.append(_problem(v.origin.file, v.origin.row, "visit_date", "a visit that took place needs a date"))
    for e in loaded["eligibility.csv"]:
        criterion = study.criterion(e.criterion_id)
        if criterion is None:
            problems.append(
                _problem(
                    e.origin.file,
                    e.origin.row,
                    "criterion_id",
                    "not a criterion of study.json",
                    e.criterion_id,
                )
            )
    for sc in loaded["skin_scores.csv"]:
        derived = sc.derived_total
        if sc.total is not None and derived is not None and sc.total != derived:
            problems.append(
                _problem(
                    sc.origin.file,
                    sc.origin.row,
                    "total",
                    f"collected total differs from the sum of the 17 areas ({derived})",
                    str(sc.total),
                )
            )
    treatments = {i.treatment for i in study.interventions}
    for ex in loaded["exposures.csv"]:
        if ex.treatment not in treatments:
            problems.append(
                _problem(
                    ex.origin.file,
                    ex.origin.row,
                    "treatment",
                    "not the treatment of any intervention in study.json",
                    ex.treatment,
                )
            )
    for ae in loaded["adverse_events.csv"]:
        flags = [getattr(ae, c) for c in m.SERIOUSNESS_CRITERIA]
        if ae.serious == "Y" and "Y" not in flags:
            problems.append(
                _problem(
                    ae.origin.file,
                    ae.origin.row,
                    "serious",
                    "a serious event needs at least one seriousness criterion = Y",
                )
            )
        if ae.serious == "N" and "Y" in flags:
            problems.append(
                _problem(ae.origin.file, ae.origin.row, "serious", "a seriousness criterion is Y but serious = N")
            )
        if ae.serious is None and "Y" in flags:
            problems.append(
                _problem(ae.origin.file, ae.origin.row, "serious", "a seriousness criterion is Y but serious is empty")
            )
    return problems

"""from-sdtm end to end: package -> study definition + records tables -> records folder, with the carry report.

The records reader is the judge of what is written: the folder is written in a staging directory and read back
with `source.reader.read_records`; a row it rejects (a reference to a subject or visit that is not carried, a
period that ends before it starts...) is taken out and reported with the reader's message, and the folder is
written again, until it reads clean. Only then is it moved into place (`atomic.staged_directory`), so a failed run
leaves the previous output as it was.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from trialinterop.atomic import staged_directory
from trialinterop.definition.load import load_definition
from trialinterop.definition.model import StudyDefinition
from trialinterop.errors import InputError
from trialinterop.issues import Issue, Severity
from trialinterop.sdtm_in import design, events, exposures, findings, study, subjects, visits
from trialinterop.sdtm_in.carry import Carry, CarryReport, account
from trialinterop.sdtm_in.package import SdtmInput, read_sdtm, text
from trialinterop.sdtm_in.tables import INDEX, Table, check_cells, check_units
from trialinterop.source.reader import read_records
from trialinterop.source.schema import records_schema

REQUIRED = ("DM", "TA", "TV")
REQUIRED_VARIABLES = {
    "DM": ("STUDYID", "USUBJID", "SUBJID", "SITEID"),
    "TA": ("ARMCD", "ARM", "TAETORD", "ETCD", "EPOCH"),
    "TE": ("ETCD",),
    "TV": ("VISITNUM", "VISIT"),
    "TS": ("TSPARMCD",),
    "TI": ("IETESTCD", "IECAT"),
    "EX": ("USUBJID", "EXTRT", "EXSTDTC"),
    "AE": ("USUBJID", "AETERM", "AESEQ"),
    "CM": ("USUBJID", "CMTRT", "CMSEQ"),
    "MH": ("USUBJID", "MHTERM", "MHSEQ"),
    "SV": ("USUBJID", "VISITNUM", "SVSTDTC"),
    "SE": ("USUBJID", "ETCD", "SESTDTC"),
    "DS": ("USUBJID", "DSDECOD", "DSTERM", "DSSTDTC"),
    "IE": ("USUBJID", "IETESTCD", "IEORRES"),
}
"""Variables from-sdtm cannot do without, per domain (a findings domain needs USUBJID; its records without VISITNUM
are not carried)."""
MAX_PASSES = 6
HEADER = """\
# Study definition of {study} written by `trialinterop from-sdtm` from the SDTM package {package}
# (format: docs/study-definition.md). Facts come from TS, TA, TE, TV, TI and the subject data; the decisions
# from-sdtm made where SDTM has no field are listed in not-carried/report.json ("notes").
"""


@dataclass(frozen=True)
class Conversion:
    """What one run wrote: the records folder, the definition, the row counts per records file, the report."""

    out: Path
    definition: StudyDefinition
    rows: dict[str, int]
    report: CarryReport


def convert_package(path: str | Path, out: str | Path, *, define: str | Path | None = None) -> Conversion:
    """Read the package at `path` and write its records folder to `out` (replaced only when complete)."""
    package = read_sdtm(path, define=define)
    missing = [d for d in REQUIRED if d not in package.domains]
    if missing:
        raise InputError(
            [Issue("TI-READ", Severity.REJECT, f"dataset {d} is required", where=str(path)) for d in missing],
            summary="cannot convert",
        )
    _require_variables(package)
    carry = Carry()
    consent = subjects.consent_dates(package, carry)
    document = build_definition(package, carry, consent)
    out = Path(out)
    with staged_directory(out) as staging:
        study_file = staging / "study.yaml"
        study_file.write_text(
            HEADER.format(study=document["study"]["id"], package=Path(path).name)
            + yaml.safe_dump(document, sort_keys=False, allow_unicode=False, width=120),
            encoding="utf-8",
        )
        definition = load_definition(study_file)
        tables = build_tables(package, carry, definition, consent)
        check_cells(tables, definition, carry)
        check_units(tables, definition, carry)
        _write_until_clean(tables, definition, carry, staging)
        _account_dependents(package, carry, tables)
        report = account(package, carry)
        report.write(staging / "not-carried")
        rows: dict[str, int] = {}
        for table in tables:
            rows[table.file] = rows.get(table.file, 0) + len(table.frame)
    return Conversion(out, definition, rows, report)


def _require_variables(package: SdtmInput) -> None:
    """InputError naming each dataset file and variable from-sdtm needs but the package lacks."""
    problems = []
    finding_domains = set(findings.findings_domains(package))
    for domain, frame in package.domains.items():
        needed = REQUIRED_VARIABLES.get(domain, ("USUBJID",) if domain in finding_domains else ())
        for variable in needed:
            if variable not in frame.columns:
                for name in package.datasets.get(domain, (domain,)):
                    where = package.files.get(name, name)
                    problems.append(
                        Issue("TI-READ", Severity.REJECT, "required variable is missing", where, "", variable)
                    )
    if problems:
        raise InputError(problems, summary="cannot convert")


def build_definition(package: SdtmInput, carry: Carry, consent: dict[str, str]) -> dict[str, Any]:
    ts = study.ts_values(package)
    products = exposures.products(package)
    parts = design.arms_and_elements(package, carry, products, consent)
    arm_codes = [a["code"] for a in parts["arms"]]
    dm = package.domains["DM"]
    enrolled = int((dm.get("ARMCD", pd.Series("", index=dm.index)).astype(str).isin(arm_codes)).sum())
    sections = study.study_sections(package, carry, ts, arms=len(arm_codes), enrolled=enrolled)
    document: dict[str, Any] = {
        "definition_version": 1,
        "study": sections["study"],
        "design": sections["design"],
        "arms": parts["arms"],
        "epochs": parts["epochs"],
        "elements": parts["elements"],
        "visits": design.visits(package, carry, arm_codes),
        "interventions": design.interventions(package, products, ts),
        "sites": design.sites(package, carry),
        "subjects": design.subjects(package, subjects.attribute_definitions(package)),
        "eligibility": design.eligibility(package, carry, ts),
        "outcomes": sections["outcomes"],
        "instruments": findings.instruments(package),
        "code_systems": {"base_uri": f"https://{_host(sections['study']['id'])}.example.org/fhir"},
    }
    if sections["trial_summary"]:
        document["trial_summary"] = sections["trial_summary"]
    declared = events.declared_codelists(package) + visits.disposition_codelists(package)
    if declared:
        document["codelists"] = declared
    carry.note("code_systems.base_uri: https://<study id>.example.org/fhir (decision: SDTM names no namespace)")
    return document


def _host(study_id: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", study_id.lower()).strip("-") or "study"


def build_tables(package: SdtmInput, carry: Carry, definition: StudyDefinition, consent: dict[str, str]) -> list[Table]:
    tables: list[Table] = [
        subjects.map_subjects(package, carry, arms={a.code for a in definition.arms}, consent=consent)
    ]
    products = exposures.products(package)
    candidates: list[Table | None] = [
        exposures.map_exposures(package, carry, products),
        events.map_events(package, carry, "AE"),
        events.map_events(package, carry, "CM"),
        events.map_events(package, carry, "MH"),
        visits.map_visits(package, carry),
        visits.map_disposition(package, carry),
        visits.map_unplanned_elements(package, carry),
        visits.map_eligibility(package, carry),
    ]
    candidates += [findings.map_findings(package, carry, d) for d in findings.findings_domains(package)]
    subject_of = dict(zip(package.domains["DM"]["USUBJID"], package.domains["DM"]["SUBJID"].map(text), strict=True))
    for table in candidates:
        if table is None:
            continue
        mapped = table.frame["subject_id"].map(subject_of)
        table.drop(mapped.isna().to_numpy(), carry, "USUBJID not in DM")
        table.frame["subject_id"] = table.frame["subject_id"].map(subject_of).fillna("")
        tables.append(table)
    return tables


def _write_until_clean(tables: list[Table], definition: StudyDefinition, carry: Carry, folder: Path) -> None:
    specs = records_schema(definition)
    for _ in range(MAX_PASSES):
        _write_tables(tables, specs, folder)
        try:
            read_records(folder, definition=definition)
            return
        except InputError as error:
            if not _drop_problem_rows(tables, list(error.issues), carry):
                raise
    read_records(folder, definition=definition)


def _write_tables(tables: list[Table], specs: dict[str, Any], folder: Path) -> None:
    by_file: dict[str, list[pd.DataFrame]] = {}
    for table in tables:
        by_file.setdefault(table.file, []).append(table.frame)
    for file, frames in by_file.items():
        columns = list(specs[file].columns)
        with (folder / file).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            for frame in frames:
                cells = [frame[c].tolist() if c in frame.columns else [""] * len(frame) for c in columns]
                writer.writerows(zip(*cells, strict=True))


def _drop_problem_rows(tables: list[Table], issues: list[Issue], carry: Carry) -> bool:
    """Take out the rows the reader rejected (file + row); False when a problem names no row of a table."""
    by_file: dict[str, list[Table]] = {}
    for table in tables:
        by_file.setdefault(table.file, []).append(table)
    found = False
    for file, parts in by_file.items():
        rows: dict[int, str] = {}
        for issue in issues:
            match = re.fullmatch(r"row (\d+)", issue.key or "")
            if issue.where == file and match:
                rows.setdefault(int(match.group(1)) - 2, f"{file} {issue.field}: {issue.message}")
        offset = 0
        for table in parts:
            positions = np.zeros(len(table.frame), dtype=bool)
            reasons = []
            for position in range(len(table.frame)):
                if position + offset in rows:
                    positions[position] = True
                    reasons.append(rows[position + offset])
            offset += len(table.frame)
            if positions.any():
                found = True
                table.drop(positions, carry, reasons)
    return found


def _account_dependents(package: SdtmInput, carry: Carry, tables: list[Table]) -> None:
    """Rows that live on their parents (SUPP--, SE, RELREC) and domains no mapper took."""
    carried_subjects = set()
    for table in tables:
        if table.file == "subjects.csv":
            dm = package.domains["DM"]
            carried_subjects = set(dm.loc[table.frame[INDEX].to_numpy(), "USUBJID"])
    ae_rows = {t.domain: t for t in tables}.get("AE")
    for domain, frame in package.domains.items():
        if domain == "SE":  # planned elements recomputed; unplanned_elements.csv may already hold the others
            _se(package, carry, frame, carried_subjects)
        elif domain in carry.plans and not domain.startswith("SUPP"):
            continue
        elif domain == "SUPPDM":
            lost = ~frame["USUBJID"].isin(carried_subjects)
            carry.reject_all(domain, frame.index[lost.to_numpy()], "subject not carried")
        elif domain == "SUPPAE":
            _supp_ae(package, carry, frame, ae_rows)
        elif domain.startswith("SUPP"):
            for index, qnam in zip(frame.index, frame.get("QNAM", [""] * len(frame)), strict=True):
                carry.reject(domain, index, f"SUPP{domain[4:]} qualifier {text(qnam)}: no records field")
        elif domain == "RELREC":
            carry.reject_all(domain, frame.index, "no records table for record relationships (RELREC)")
        else:
            carry.reject_all(domain, frame.index, f"no records table for domain {domain}")


def _supp_ae(package: SdtmInput, carry: Carry, frame: pd.DataFrame, ae: Table | None) -> None:
    carry.plan(
        "SUPPAE",
        carried={},
        recomputed={v: "SUPPAE AETRTEM" for v in frame.columns if not v.startswith("_")},
    )
    kept: set[tuple[str, str]] = set()
    if ae is not None:
        source = package.domains["AE"].loc[ae.frame[INDEX].to_numpy()]
        kept = {(u, f"{s:g}") for u, s in zip(source["USUBJID"], source["AESEQ"], strict=True)}
    for index, row in zip(frame.index, frame.to_dict("records"), strict=True):
        if text(row.get("QNAM")) != "AETRTEM":
            carry.reject("SUPPAE", index, f"SUPPAE qualifier {text(row.get('QNAM'))}: no records field")
        elif (row["USUBJID"], text(row.get("IDVARVAL"))) not in kept:
            carry.reject("SUPPAE", index, "its AE is not carried")


def _se(package: SdtmInput, carry: Carry, frame: pd.DataFrame, carried_subjects: set[str]) -> None:
    carry.plan(
        "SE",
        carried={"STUDYID": "study.yaml study.id", "DOMAIN": "(the domain)", "USUBJID": "subjects.csv"},
        recomputed={
            v: "study.yaml elements.starts_at and the records (unplanned_elements.csv for an element not in TA)"
            for v in ("SESEQ", "ETCD", "ELEMENT", "TAETORD", "EPOCH", "SESTDTC", "SEENDTC", "SESTDY", "SEENDY")
        },
    )
    elements = set(package.domains["TA"]["ETCD"].map(text))
    for index, etcd, usubjid in zip(frame.index, frame["ETCD"].map(text), frame["USUBJID"], strict=True):
        if etcd not in elements:
            continue  # an unplanned element: unplanned_elements.csv carries it (or rejects it with its reason)
        if usubjid not in carried_subjects:
            carry.reject("SE", index, "subject not carried")

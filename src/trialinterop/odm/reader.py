"""Read a CDISC ODM 1.3.x ClinicalData export into `TrialRecords`, driven by a mapping file (`docs/odm-mapping.md`).

The study definition is given alongside (a file or a bundled study id): ODM carries no trial design; arms, sites,
countries and the subject number pattern come from it. Findings item groups (the mapping's `findings:`) unpivot into
one long-form Finding per test.

The export is first replayed (`odm.replay`: transaction semantics per ODM 1.3.2, vendor attributes, the checks on
StudyOIDs, subjects and unmapped OIDs); the live values then become rows: one per subject, study event instance or
item group instance as the mapping says, each value through its transforms (`odm.transforms`), visit numbers from
the study events (repeats as unscheduled visits or listed visits), sites from SiteRef, an item or the site-level
study, arms from the events. Rows are checked as a records folder's are.

Every problem names the ODM file, the line (`element.sourceline`), an XPath-like location with SubjectKey and OIDs,
and the ItemOID -> table.field it concerns; unmapped OIDs are reported once each with their count. What became of
each collected value is counted in the run's `Coverage` (`odm.coverage`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from pathlib import Path
from typing import Any

from lxml import etree

from trialinterop.definition import StudyDefinition, resolve_definition
from trialinterop.errors import TrialInteropError
from trialinterop.issues import Issue, Severity
from trialinterop.number_text import format_number as _number_text
from trialinterop.odm.coverage import Coverage
from trialinterop.odm.elements import ODM_NS
from trialinterop.odm.mapping import INCOMPLETE_POLICIES, GroupMap, OdmMapping, load_mapping
from trialinterop.odm.replay import CTX_KEYS, Replay
from trialinterop.odm.replay import GroupData as _Group
from trialinterop.odm.replay import ItemValue as _Value
from trialinterop.odm.xmlsafe import MAX_XML_BYTES, parse_untrusted_xml
from trialinterop.source import models as m
from trialinterop.source.generate import finding_order
from trialinterop.source.reader import TABLE_ATTRS, TABLE_MODELS, build_row, convert_cell, cross_check
from trialinterop.source.schema import TableSpec, records_schema

_SUBJECT_ID = "subjects.csv.subject_id"


@dataclass(frozen=True, slots=True)
class OdmResult:
    records: m.TrialRecords
    warnings: tuple[Issue, ...] = ()
    coverage: Coverage | None = None


class DroppedDataError(TrialInteropError):
    """Rows or subjects were skipped and the user did not allow it (exit 1); `coverage` says what and how much."""

    def __init__(self, result: OdmResult) -> None:
        self.result = result
        coverage = result.coverage
        assert coverage is not None
        rows = ", ".join(f"{table} {count}" for table, count in sorted(coverage.dropped_rows.items()))
        super().__init__(
            f"{coverage.file}: data dropped: {len(coverage.dropped_subjects)} of {coverage.subjects_read} subject(s) "
            f"skipped; rows skipped: {rows or 'none'}; nothing written "
            "(pass --allow-dropped, or set allow_dropped: true in the mapping, to accept the loss)"
        )


@dataclass(slots=True)
class _Row:
    subject_key: str
    ctx: dict[str, str]
    line: int
    location: str
    values: dict[str, _Value] = field(default_factory=dict)
    lists: dict[str, list[_Value]] = field(default_factory=dict)
    bad: set[str] = field(default_factory=set)  # fields whose collected value was refused (already reported)


def read_odm(
    odm_path: str | Path,
    mapping_path: str | Path,
    study: str | Path | StudyDefinition,
    *,
    strict: bool | None = None,
    max_bytes: int = MAX_XML_BYTES,
) -> m.TrialRecords:
    """ODM ClinicalData + mapping + study definition -> TrialRecords; InputError listing every problem,
    DroppedDataError when rows were skipped and the mapping does not allow it."""
    return load_odm(odm_path, mapping_path, study, strict=strict, max_bytes=max_bytes).records


def load_odm(
    odm_path: str | Path,
    mapping_path: str | Path,
    study: str | Path | StudyDefinition,
    *,
    strict: bool | None = None,
    incomplete: str | None = None,
    allow_dropped: bool | None = None,
    max_bytes: int = MAX_XML_BYTES,
) -> OdmResult:
    """As `read_odm`, also returning warnings and the coverage. Rows or subjects skipped under `incomplete:
    skip_row/skip_subject` raise `DroppedDataError` unless `allow_dropped` (or the mapping's `allow_dropped`)."""
    mapping = load_mapping(mapping_path)
    if strict is not None:
        mapping = dc_replace(mapping, strict=strict)
    if incomplete is not None:
        if incomplete not in INCOMPLETE_POLICIES:
            raise ValueError(f"incomplete must be one of {', '.join(INCOMPLETE_POLICIES)}")
        mapping = dc_replace(mapping, incomplete=incomplete)
    definition = study if isinstance(study, StudyDefinition) else resolve_definition(study)
    tree = parse_untrusted_xml(odm_path, max_bytes=max_bytes)
    result = _Reader(Path(odm_path).name, mapping, definition).run(tree)
    allowed = mapping.allow_dropped if allow_dropped is None else allow_dropped or mapping.allow_dropped
    if result.coverage is not None and result.coverage.lost and not allowed:
        raise DroppedDataError(result)
    return result


class _Reader(Replay):
    """The replayed export -> records rows (one per subject, study event instance or item group instance, per the
    mapping), findings unpivoted, visit numbers from the study events, everything checked as a records folder is."""

    def __init__(self, file: str, mapping: OdmMapping, definition: StudyDefinition) -> None:
        super().__init__(file, mapping, definition)
        self.bad_keys: set[str] = set()
        self.sequence: dict[tuple[str, str], int] = {}

    def run(self, tree: etree._ElementTree) -> OdmResult:
        self.replay(tree)
        return self._records()

    # --- visits ---------------------------------------------------------------------------------------------------

    def _visit(self, ctx: dict[str, str], line: int, location: str) -> tuple[str | None, bool]:
        """(visit number text or None, known): the visit an event instance is, per the mapping's study_events."""
        event, repeat = ctx.get("StudyEventOID", ""), ctx.get("StudyEventRepeatKey", "")
        rule = self.mapping.events.get(event)
        if rule is not None:
            order = self.instances.get((ctx["SubjectKey"], event), [repeat])
            k = _instance(repeat, order)
            if rule.repeats == "visits":
                if k > len(rule.visits):
                    self.error(line, location, f"instance {k} of study event {event} has no visit number (the "
                               f"mapping's visits list has {len(rule.visits)})", field="StudyEventRepeatKey",
                               value=repeat)  # fmt: skip
                    return None, True
                return _number_text(rule.visits[k - 1]), True
            if rule.visit is None:
                return None, False
            if k == 1 or rule.repeats == "records":
                return _number_text(rule.visit), True
            if rule.repeats == "unscheduled":
                return _number_text(round(rule.visit + (k - 1) / 100, 2)), True
            self.error(line, location, f"study event {event} repeats (instance {k}); say in the mapping's study_events "
                       "how repeats map (repeats: unscheduled, visits or records)", field="StudyEventRepeatKey",
                       value=repeat)  # fmt: skip
            return None, True
        if event and event == self.mapping.unscheduled_event and _as_number(repeat) is not None:
            return repeat, True
        return None, False

    # --- rows ----------------------------------------------------------------------------------------------------

    def _records(self) -> OdmResult:
        tables = records_schema(self.definition)
        rows: dict[str, dict[tuple[str, ...], _Row]] = {file: {} for file in tables}
        for subject in self.subjects.values():
            ctx = dict.fromkeys(CTX_KEYS, "") | {"SubjectKey": subject.key}
            rows["subjects.csv"][(subject.key,)] = _Row(subject.key, ctx, subject.line, subject.location)
        for key, group in self.groups.items():
            for gmap in self.mapping.maps_of(group.ctx["ItemGroupOID"], group.ctx["StudyEventOID"]):
                if gmap.row == "subject":
                    row_key: tuple[str, ...] = key[:1]
                elif gmap.row == "event":
                    row_key = key[:3]
                else:
                    row_key = key
                table = rows[gmap.table]
                row = table.get(row_key)
                if row is None:
                    row = table[row_key] = _Row(key[0], group.ctx, group.line, group.location)
                self._fill(row, group, gmap)
        skipped: set[str] = set()
        warnings: list[Issue] = []
        built: dict[str, list[tuple[_Row, dict[str, Any]]]] = {}
        for file, spec in tables.items():
            built[file] = list(self._convert_rows(file, spec, rows[file].values(), skipped, warnings))
        built["findings.csv"] += self._findings(tables["findings.csv"])
        self.fail()
        loaded: dict[str, list[Any]] = {}
        kept: set[int] = set()
        for file, spec in tables.items():
            loaded[file] = []
            seen: dict[tuple, int] = {}
            for row, values in built[file]:
                if row.subject_key in skipped:
                    self.coverage.dropped_rows[file] += 1
                    continue
                pk = tuple(values[k] for k in spec.primary_key)
                if pk in seen:
                    self.error(
                        row.line,
                        row.location,
                        f"duplicate {file} key {pk} (first at line {seen[pk]})",
                        field=",".join(spec.primary_key),
                    )
                    continue
                seen[pk] = row.line
                kept.add(id(row))
                origin = m.Origin(self.file, row.line)
                loaded[file].append(build_row(TABLE_MODELS[file], values, origin, attributes=spec.attributes))
        if not self.problems:
            for issue in cross_check(self.definition, loaded):
                self.problems.append(dc_replace(issue, rule="ODM", key=issue.key.replace("row ", "line ")))
        self.fail()
        loaded["findings.csv"].sort(key=finding_order(self.definition))
        records = m.TrialRecords(definition=self.definition, **{TABLE_ATTRS[f]: tuple(r) for f, r in loaded.items()})
        self._tally(kept, skipped, len(records.subjects))
        return OdmResult(records, tuple(warnings), self.coverage)

    def _tally(self, kept: set[int], skipped: set[str], subjects_out: int) -> None:
        coverage = self.coverage
        coverage.subjects_read = len(self.subjects)
        coverage.subjects_out = subjects_out
        coverage.dropped_subjects = sorted(skipped)
        for subject in self.subjects.values():
            if subject.number is not None and not subject.number.fate:
                subject.number.rows.append((_Row(subject.key, {}, 0, ""), _SUBJECT_ID))
                if subject.key not in skipped:
                    kept.add(id(subject.number.rows[-1][0]))
        for value in self.values:
            if value.fate == "superseded":
                coverage.superseded += 1
            elif value.fate == "removed":
                coverage.removed += 1
            elif value.fate == "not mapped":
                coverage.not_mapped[f"{value.group_oid}/{value.item_oid}"] += 1
            elif out := next((dest for row, dest in value.rows if id(row) in kept), None):
                coverage.in_output[out] += 1
            elif value.rows:
                coverage.dropped[value.rows[0][1].split(".csv")[0] + ".csv"] += 1
            elif value.decoded_empty:
                coverage.no_value[value.item_oid] += 1
            else:
                coverage.unaccounted += 1
        for row_table, count in list(coverage.dropped_rows.items()):
            if not count:
                del coverage.dropped_rows[row_table]

    def _findings(self, spec: TableSpec) -> list[tuple[_Row, dict[str, Any]]]:
        """Every findings group -> one Finding per test with a result (or NOT DONE: a test without a result in a
        group that has a reason or status, totals aside); the unit of a result is its test's unit."""
        out: list[tuple[_Row, dict[str, Any]]] = []
        fields = {f.name: f for f in spec.fields}
        for group in self.groups.values():
            fmap = self.mapping.findings.get(group.ctx["ItemGroupOID"])
            if fmap is None:
                continue
            sid = self._subject_id(group.ctx["SubjectKey"])
            visit = self._finding_visit(group)
            instrument = self.definition.instrument(fmap.instrument)
            if sid is None or visit is None:
                continue
            if instrument is None:
                self.error(group.line, group.location, f"instrument {fmap.instrument!r} is not in the study definition",
                           field=f"findings/{fmap.oid}/instrument")  # fmt: skip
                continue
            shared = {f: group.items[oid] for f, oid in fmap.fields.items() if oid in group.items}
            not_done = "reason_not_done" in shared or "status" in shared
            references = {testcd: group.items[oid] for oid, testcd in fmap.references.items() if oid in group.items}
            for oid, testcd in fmap.tests.items():
                test = instrument.test(testcd)
                value = group.items.get(oid)
                texts = {"subject_id": sid, "instrument": fmap.instrument, "testcd": testcd, "visit_num": visit}
                used = dict(shared)
                if value is not None:
                    used.pop("status", None)
                    used.pop("reason_not_done", None)
                    used["result"] = value
                    texts["unit"] = (test.unit if test else None) or ""
                elif not_done and test is not None and not test.total_of:
                    texts["status"] = shared["status"].text if "status" in shared else "NOT DONE"
                else:
                    continue
                if testcd in references:
                    used["reference_result"] = references[testcd]
                texts.update({name: v.text for name, v in used.items()})
                row = _Row(group.ctx["SubjectKey"], group.ctx, group.line, group.location)
                values: dict[str, Any] = {}
                for name, fspec in fields.items():
                    try:
                        values[name] = convert_cell(texts.get(name, ""), fspec)
                    except ValueError as exc:
                        where = value.location if value is not None else group.location
                        self.error(group.line, where, str(exc), field=f"{oid} -> findings.csv.{name}",
                                   value=texts.get(name, ""))  # fmt: skip
                        break
                else:
                    for name, source in used.items():
                        source.rows.append((row, f"findings.csv.{name}"))
                    out.append((row, values))
        return out

    def _finding_visit(self, group: _Group) -> str | None:
        visit, known = self._visit(group.ctx, group.line, group.location)
        if visit is None and not known:
            event = group.ctx.get("StudyEventOID", "")
            self.error(group.line, group.location, f"study event {event!r} gives no visit number for findings",
                       field="StudyEventOID", value=event)  # fmt: skip
        return visit

    def _fill(self, row: _Row, group: _Group, gmap: GroupMap) -> None:
        for fname, ctx_key in gmap.context.items():
            if ctx_key == "Sequence":
                if fname not in row.values:
                    seq_key = (row.subject_key, f"{gmap.table}.{fname}")
                    self.sequence[seq_key] = self.sequence.get(seq_key, 0) + 1
                    row.values[fname] = _Value(str(self.sequence[seq_key]), group.line, group.location, "@Sequence")
                continue
            ctx_value = group.ctx.get(ctx_key, "")
            if ctx_value:
                self._set(row, fname, _Value(ctx_value, group.line, group.location, f"@{ctx_key}"))
        for item_oid, value in group.items.items():
            for target in gmap.items.get(item_oid, ()):
                where = f"{item_oid} -> {gmap.table}.{target.field}"
                try:
                    parts = target.transform.before_decode(value.text)
                except ValueError as exc:
                    self.error(value.line, value.location, f"value {exc}", field=where, value=value.text)
                    row.bad.add(target.field)
                    continue
                for part in parts:
                    text: str | None = part
                    if target.values is not None:
                        if text not in target.values:
                            allowed = ", ".join(repr(v) for v in target.values)
                            self.error(value.line, value.location,
                                       f"value not in the mapping's code list for {item_oid} (allowed: {allowed})",
                                       field=where, value=part)  # fmt: skip
                            row.bad.add(target.field)
                            continue
                        text = target.values[text]
                    if text is None:
                        value.decoded_empty = True
                        continue
                    try:
                        text = target.transform.after_decode(text)
                    except ValueError as exc:
                        self.error(value.line, value.location, f"value {exc}", field=where, value=part)
                        row.bad.add(target.field)
                        continue
                    translated = _Value(text, value.line, value.location, item_oid)
                    value.rows.append((row, f"{gmap.table}.{target.field}"))
                    if target.list:
                        row.lists.setdefault(target.field, []).append(translated)
                    else:
                        self._set(row, target.field, translated, table=gmap.table)
        for fname, default in gmap.defaults.items():
            if fname not in row.values and fname not in row.lists:
                row.values[fname] = _Value(default, group.line, group.location, f"default of {gmap.oid}")

    def _set(self, row: _Row, fname: str, value: _Value, *, table: str = "") -> None:
        old = row.values.get(fname)
        if old is not None and old.text != value.text and not old.item_oid.startswith("default of"):
            self.error(
                value.line,
                value.location,
                f"conflicting values for {table}.{fname}: {old.text!r} (line {old.line}) and {value.text!r}",
                field=f"{value.item_oid} -> {table}.{fname}",
                value=value.text,
            )
            return
        row.values[fname] = value

    def _convert_rows(
        self, file: str, spec: TableSpec, rows: Any, skipped: set[str], warnings: list[Issue]
    ) -> Iterator[tuple[_Row, dict[str, Any]]]:
        for row in rows:
            texts = {name: v.text for name, v in row.values.items()}
            for name, parts in row.lists.items():
                texts[name] = "|".join(dict.fromkeys(p.text for p in parts))
            sid = self._subject_id(row.subject_key)
            if sid is None:
                continue
            texts["subject_id"] = sid
            if file == "subjects.csv":
                self._subject_fields(row.subject_key, texts)
            # the study event gives the visit of a table that needs one (visits.csv); an optional visit_num (the
            # visit a medication or history was recorded at) comes only from a mapped item
            needs_visit = any(f.name == "visit_num" and f.required for f in spec.fields)
            if needs_visit and not self._visit_num(file, row, texts):
                continue
            values: dict[str, Any] = {}
            missing: list[str] = []
            bad = False
            for fspec in spec.fields:
                text = texts.get(fspec.name, "")
                source = row.values.get(fspec.name) or (row.lists.get(fspec.name) or [None])[0]
                if fspec.required and not text:
                    if fspec.name in row.bad:
                        bad = True
                    else:
                        missing.append(fspec.name)
                    continue
                try:
                    values[fspec.name] = convert_cell(text, fspec)
                except ValueError as exc:
                    where = source.location if source else row.location
                    line = source.line if source else row.line
                    oid = source.item_oid if source else ""
                    self.error(line, where, str(exc), field=f"{oid} -> {file}.{fspec.name}".lstrip(" ->"), value=text)
                    bad = True
            if missing:
                self._incomplete(file, row, missing, skipped, warnings)
                continue
            if not bad:
                yield row, values

    def _visit_num(self, file: str, row: _Row, texts: dict[str, str]) -> bool:
        """Fill visit_num from the study event; False (reported) when a collected one contradicts it."""
        planned, known = self._visit(row.ctx, row.line, row.location)
        collected = row.values.get("visit_num")
        if planned is None:
            return not known  # known without a number: the repeat problem is reported
        if collected is None:
            texts["visit_num"] = planned
            rule = self.mapping.events.get(row.ctx.get("StudyEventOID", ""))
            repeat = rule is not None and rule.repeats == "unscheduled" and _as_number(planned) != rule.visit
            if repeat and rule is not None and rule.unscheduled_reason and not texts.get("unplanned_description"):
                texts["unplanned_description"] = rule.unscheduled_reason
        elif _as_number(collected.text) != _as_number(planned):
            event = row.ctx.get("StudyEventOID", "")
            self.error(collected.line, collected.location,
                       f"visit number {collected.text} contradicts study event {event} (visit {planned})",
                       field=f"{collected.item_oid} -> {file}.visit_num", value=collected.text)  # fmt: skip
            return False
        return True

    def _incomplete(self, file: str, row: _Row, missing: list[str], skipped: set[str], warnings: list[Issue]) -> None:
        message = f"no value for required {file} field(s) {', '.join(missing)}"
        policy = self.mapping.incomplete
        if policy == "error":
            self.error(row.line, row.location, message, field=f"{file}.{missing[0]}")
            return
        self.coverage.dropped_rows[file] += 1
        if row.subject_key in skipped:
            return  # already reported with its subject
        if policy == "skip_subject" or file == "subjects.csv":
            skipped.add(row.subject_key)
            message += f"; subject {row.subject_key} skipped with all its rows"
        else:
            message += "; row skipped"
        warnings.append(
            Issue(
                "ODM",
                Severity.WARNING,
                f"{row.location}: {message}",
                where=self.file,
                key=f"line {row.line}",
                field=f"{file}.{missing[0]}",
            )
        )

    def _subject_id(self, key: str) -> str | None:
        subject = self.subjects.get(key)
        raw = key
        source = self.mapping.subject_attribute or self.mapping.subject_item
        if source:
            if subject is None or subject.number is None or subject.number.fate:
                if key not in self.bad_keys:
                    self.bad_keys.add(key)
                    self.error(subject.line if subject else None,
                               subject.location if subject else f"SubjectData[@SubjectKey='{key}']",
                               f"no subject number ({source}) for this subject", field=source, value=key)  # fmt: skip
                return None
            raw = subject.number.text
        pattern, template = self.mapping.subject_pattern, self.mapping.subject_replace
        if not pattern:
            return raw
        match = re.fullmatch(pattern, raw)
        if match is None:
            if key in self.bad_keys:
                return None
            self.bad_keys.add(key)
            self.error(
                subject.line if subject else None,
                subject.location if subject else f"SubjectData[@SubjectKey='{key}']",
                f"{source or 'SubjectKey'} does not match the mapping's subject_key pattern {pattern}",
                field=source or "SubjectKey",
                value=raw,
            )
            return None
        return match.expand(template or r"\g<0>")

    def _subject_fields(self, key: str, texts: dict[str, str]) -> None:
        """Site (collected, SiteRef, or the site study of ClinicalData/@StudyOID), country from the definition's
        site, and the arm that the subject's study events imply."""
        subject = self.subjects.get(key)
        if subject is not None and subject.site is not None and not texts.get("site_id"):
            site_id = self.mapping.sites.get(subject.site)
            if site_id is None:
                self.error(
                    subject.site_line,
                    f"{subject.location}/SiteRef[@LocationOID='{subject.site}']",
                    "LocationOID is not in the mapping's sites",
                    field="LocationOID",
                    value=subject.site,
                )
            else:
                texts["site_id"] = site_id
        if subject is not None and subject.study_site is not None and not texts.get("site_id"):
            texts["site_id"] = subject.study_site
        site = self.definition.site(texts.get("site_id", ""))
        if site is not None and not texts.get("country"):
            texts["country"] = site.country
        if subject is not None and subject.arms and not texts.get("arm"):
            if len(subject.arms) > 1:
                arms = ", ".join(f"{arm} (line {line})" for arm, line in subject.arms.items())
                self.error(subject.line, subject.location, f"the subject's study events imply several arms: {arms}",
                           field="subjects.csv.arm")  # fmt: skip
            else:
                texts["arm"] = next(iter(subject.arms))


def _instance(repeat: str, order: list[str]) -> int:
    """The instance number of a StudyEventRepeatKey: `2`, Rave's `VISIT[2]`, else its rank in file order."""
    match = re.fullmatch(r"(\d+)|.*\[(\d+)\]", repeat)
    if match is not None:
        return int(match.group(1) or match.group(2))
    return order.index(repeat) + 1 if repeat in order else 1


def _as_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


__all__ = ["ODM_NS", "Coverage", "DroppedDataError", "OdmResult", "load_odm", "read_odm"]

"""Observations of the findings (`records.findings`, long form) and of eligibility exceptions. Same shape in R4 and R5.

One Observation per finding row: coded with its test's codes in the definition (LOINC, CDISC CT, ...; a test with none
gets the study's CodeSystem `-<domain>testcd`, e.g. `-qstestcd`), text = the test name; category from the instrument's
`fhir_category`; the value by the test's result type (integer/float with a unit -> valueQuantity, UCUM where known;
integer without unit -> valueInteger; float without unit -> valueQuantity without unit; coded -> valueCodeableConcept;
text -> valueString; a number whose JSON form differs from the collected text carries it as originalText on the
value); the anatomical location (--LOC) as bodySite (NCI coded when a LOC term); the collected position as a
component; the normal range (record override, else the test's; numeric limits whatever the result type) and a collected
reference result (e.g. a predicted value) as referenceRange; `meta.profile` names the FHIR Vital Signs profiles a
vital-signs Observation meets (`vital_signs`). NOT DONE -> status cancelled with dataAbsentReason
not-performed (text = reason); no result in a done assessment -> dataAbsentReason not-performed. A record the
sponsor derived (`derived` Y) carries the sponsor extension derived-finding; one with a standard result and no result
has that as its value (in the test's standard unit, else its unit), flagged `standard_result` in the extension.

A test with `total_of` that was not collected is derived as today's total Observation: the sum when every component
has a result, `cancelled` when every component was not done, else dataAbsentReason unknown; a derived total carries
`method.text` starting "Derived:". A total (collected or derived) lists its components as hasMember.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from trialinterop.definition.model import FindingTest, Instrument
from trialinterop.fhir import codes, sponsor
from trialinterop.fhir.build_care import coded_text, encounter_ref
from trialinterop.fhir.build_schedule import visit_code
from trialinterop.fhir.context import Context
from trialinterop.fhir.dates import ORIGINAL_TEXT, datetime_element
from trialinterop.fhir.facts import SubjectFacts
from trialinterop.fhir.text import fhir_string, fhir_text
from trialinterop.fhir.units import quantity
from trialinterop.fhir.vital_signs import vital_signs_profiles
from trialinterop.source.models import EligibilityException, Finding

Resource = dict[str, Any]

DEFAULT_CATEGORY = {"QS": "survey", "VS": "vital-signs", "LB": "laboratory"}
"""Observation category of an instrument without `fhir_category`, by domain (none for other domains)."""
DERIVED = "Derived: sum of the {n} component results"
REFERENCE_RESULT = "Reference result"
"""referenceRange.type.text of a collected reference result (--ORREF); its text is the value as collected."""

Group = tuple[str, float, str | None]
INTEGER = re.compile(r"[+-]?[0-9]+")


def _category(code: str) -> list[Resource]:
    return [{"coding": [{"system": codes.OBS_CATEGORY_SYSTEM, "code": code}]}]


def _absent(code: str, text: str | None = None) -> Resource:
    concept: Resource = {"coding": [{"system": codes.DATA_ABSENT_SYSTEM, "code": code}]}
    cleaned = fhir_text(text)
    if cleaned:
        concept["text"] = cleaned
    return concept


def _test_code(ctx: Context, instrument: Instrument, test: FindingTest) -> Resource:
    coding = [c for c in (ctx.coding(value) for value in test.codes) if c is not None]
    if not coding:
        system = ctx.code_system(f"{instrument.domain.lower()}testcd")
        coding = [{"system": system, "code": test.testcd, "display": test.test}]
    return {"coding": coding, "text": test.test}


def finding_key(instrument: str, testcd: str, visit_num: float, timepoint: str | None, shared: frozenset[str]) -> str:
    """'<visit>/<testcd>' (the keys of the first release), '/<timepoint>' appended when there is one, the instrument
    put first ('<visit>/<instrument>/<testcd>') for a test code two instruments share."""
    key = f"{visit_code(visit_num)}/{instrument}/{testcd}" if testcd in shared else f"{visit_code(visit_num)}/{testcd}"
    return f"{key}/{timepoint}" if timepoint else key


def _observation(
    ctx: Context, facts: SubjectFacts, key: str, instrument: Instrument, test: FindingTest, visit_num: float
) -> Resource:
    sid = facts.subject.subject_id
    resource: Resource = {
        "resourceType": "Observation",
        "id": ctx.id("Observation", sid, key),
        "identifier": [ctx.identifier("observation", f"{sid}/{key}")],
        "status": "final",
    }
    category = instrument.fhir_category or DEFAULT_CATEGORY.get(instrument.domain)
    if category:
        resource["category"] = _category(category)
    resource["code"] = _test_code(ctx, instrument, test)
    resource["subject"] = ctx.ref("Patient", sid)
    encounter = encounter_ref(ctx, facts, visit_num)
    if encounter is not None:
        resource["encounter"] = encounter
    return resource


def _number(test: FindingTest, text: str) -> int | float | None:
    """The result as a JSON number: an integer literal stays an int (also for a float test, so "71" is not 71.0)."""
    try:
        return int(text) if test.result_type == "integer" or INTEGER.fullmatch(text) else float(text)
    except ValueError:
        return None


def _as_written(number: int | float, text: str) -> Resource:
    """originalText on a number whose JSON form is not the collected text (e.g. "2.90" -> 2.9), else nothing."""
    if repr(number) == text:
        return {}
    return {"extension": [{"url": ORIGINAL_TEXT, "valueString": text}]}


def _value(ctx: Context, test: FindingTest, result: str, unit: str | None) -> Resource:
    if test.result_type in ("integer", "float"):
        number = _number(test, result)
        if number is not None:
            written = _as_written(number, result)
            if test.result_type == "integer" and not unit:
                return {"valueInteger": number, **({"_valueInteger": written} if written else {})}
            value = quantity(number, unit)
            if written:
                value["_value"] = written
            return {"valueQuantity": value}
    if test.result_type == "coded":
        concept: Resource = {"text": fhir_string(result)}
        if test.codelist and ctx.terminology.has(test.codelist, result):
            concept = {"coding": [ctx.nci(test.codelist, result)], **concept}
        return {"valueCodeableConcept": concept}
    return {"valueString": fhir_string(result)}


def _position(ctx: Context, position: str) -> Resource:
    component: Resource = {"code": {"text": "Subject position"}}
    if ctx.terminology.has("POSITION", position):
        component["valueCodeableConcept"] = {"coding": [ctx.nci("POSITION", position)], "text": position}
    else:
        component["valueString"] = position
    return component


def _reference_ranges(test: FindingTest, row: Finding, unit: str | None) -> list[Resource]:
    ranges = []
    low, high = test.normal_range or (None, None)
    low = row.normal_low if row.normal_low is not None else low
    high = row.normal_high if row.normal_high is not None else high
    if low is not None or high is not None:  # numeric limits, whatever the result type (a text result may be "<0.1")
        normal: Resource = {}
        if low is not None:
            normal["low"] = quantity(low, unit)
        if high is not None:
            normal["high"] = quantity(high, unit)
        normal["type"] = codes.concept(codes.REFERENCE_RANGE_MEANING_SYSTEM, "normal", "Normal Range")
        ranges.append(normal)
    reference = fhir_text(row.reference_result)
    if reference:
        ranges.append({"type": {"text": REFERENCE_RESULT}, "text": reference})
    return ranges


def build_finding(
    ctx: Context, facts: SubjectFacts, instrument: Instrument, test: FindingTest, row: Finding, key: str
) -> Resource:
    """The Observation of one finding row."""
    resource = _observation(ctx, facts, key, instrument, test, row.visit_num)
    if row.datetime:
        resource.update(datetime_element("effectiveDateTime", row.datetime, facts.offset))
    unit = row.unit or test.unit
    result = fhir_text(row.result)
    standard = fhir_text(row.standard_result) if result is None else None
    if row.status == "NOT DONE":
        resource["status"] = "cancelled"
        resource["dataAbsentReason"] = _absent("not-performed", row.reason_not_done)
    elif result is not None:
        resource.update(_value(ctx, test, result, unit))
    elif standard is not None:
        resource.update(_value(ctx, test, standard, row.unit or test.standard_unit or test.unit))
    else:
        resource["dataAbsentReason"] = _absent("not-performed")
    if row.derived == "Y":
        fields = {"derived": "Y", "standard_result": True if standard is not None else None}
        sponsor.with_extension(resource, sponsor.fields_extension(ctx.extension(sponsor.DERIVED_FINDING), fields))
    if row.location:
        resource["bodySite"] = coded_text(ctx, "LOC", row.location)
    if row.position:  # as collected; the instrument's fixed position is the SDTM builder's default, not repeated here
        resource["component"] = [_position(ctx, row.position)]
    ranges = _reference_ranges(test, row, unit)
    if ranges:
        resource["referenceRange"] = ranges
    profiles = vital_signs_profiles(resource)
    if profiles:
        resource = {"resourceType": "Observation", "id": resource["id"], "meta": {"profile": profiles}, **resource}
    return resource


def _derived_total(
    ctx: Context, facts: SubjectFacts, instrument: Instrument, test: FindingTest, members: list[Finding], key: str
) -> Resource:
    """A total the definition defines but nobody collected (see the module docstring)."""
    first = members[0]
    resource = _observation(ctx, facts, key, instrument, test, first.visit_num)
    when = next((m.datetime for m in members if m.datetime), None)
    if when:
        resource.update(datetime_element("effectiveDateTime", when, facts.offset))
    resource["method"] = {"text": DERIVED.format(n=len(test.total_of))}
    numbers = [_number(test, m.result) if m.result and m.status != "NOT DONE" else None for m in members]
    if len(members) == len(test.total_of) and all(n is not None for n in numbers):
        total = sum(n for n in numbers if n is not None)
        unit = test.unit
        resource.update({"valueInteger": total} if test.result_type == "integer" and not unit else
                        {"valueQuantity": quantity(total, unit)})  # fmt: skip
    elif all(m.status == "NOT DONE" for m in members):
        resource["status"] = "cancelled"
        reason = next((m.reason_not_done for m in members if m.reason_not_done), None)
        resource["dataAbsentReason"] = _absent("not-performed", reason)
    else:
        n = len(test.total_of)
        resource["dataAbsentReason"] = _absent(
            "unknown", "not all " + str(n) + " components have a result and no total collected"
        )
    return resource


def assessments(facts: SubjectFacts) -> list[dict[str, Finding]]:
    """The subject's findings grouped by assessment (instrument, visit, time point), in record order; each group maps
    test code -> row."""
    groups: dict[Group, dict[str, Finding]] = {}
    for row in facts.findings:
        groups.setdefault((row.instrument, row.visit_num, row.timepoint), {})[row.testcd] = row
    return list(groups.values())


def build_assessment(ctx: Context, facts: SubjectFacts, rows: dict[str, Finding]) -> Iterator[Resource]:
    """The Observations of one assessment: its rows, then the totals it lacks, derived."""
    first = next(iter(rows.values()))
    code, visit_num, timepoint = first.instrument, first.visit_num, first.timepoint
    instrument = ctx.definition.instrument(code)
    if instrument is None:
        raise ValueError(f"instrument {code!r} is not in the study definition")
    shared = ctx.shared_testcds

    def key(testcd: str) -> str:
        return finding_key(code, testcd, visit_num, timepoint, shared)

    sid = facts.subject.subject_id
    for testcd, row in rows.items():
        test = instrument.test(testcd)
        if test is None:
            raise ValueError(f"test {testcd!r} is not a test of instrument {code}")
        resource = build_finding(ctx, facts, instrument, test, row, key(testcd))
        members = [cd for cd in test.total_of if cd in rows]
        if members:
            resource["hasMember"] = [ctx.ref("Observation", sid, key(cd)) for cd in members]
        yield resource
    for test in instrument.tests:
        found = [rows[cd] for cd in test.total_of if cd in rows]
        if not found or test.testcd in rows:
            continue
        total = _derived_total(ctx, facts, instrument, test, found, key(test.testcd))
        total["hasMember"] = [ctx.ref("Observation", sid, key(m.testcd)) for m in found]
        yield total


def build_eligibility_exception(ctx: Context, facts: SubjectFacts, row: EligibilityException) -> Resource:
    criterion = ctx.study.criterion(row.criterion_id)
    display = criterion.short or criterion.text if criterion is not None else row.criterion_id
    system = ctx.code_system("criteria")
    text = criterion.text if criterion is not None else row.criterion_id
    code = codes.concept(system, row.criterion_id, display, text)
    sid = facts.subject.subject_id
    resource: Resource = {
        "resourceType": "Observation",
        "id": ctx.id("Observation", sid, f"IE/{row.criterion_id}"),
        "identifier": [ctx.identifier("observation", f"{sid}/IE/{row.criterion_id}")],
        "status": "final",
        "category": _category("survey"),
        "code": code,
        "subject": ctx.ref("Patient", sid),
    }
    if row.assessment_date:
        resource["effectiveDateTime"] = row.assessment_date
    resource["valueBoolean"] = row.result == "Y"
    return resource

"""Read a study definition (YAML or JSON), check it against its JSON Schema and for internal consistency, and build
the typed `StudyDefinition`.

Every problem is collected before anything is built and raised together as one `InputError`, each naming the file,
the JSON pointer of the entry and the field: a schema violation, and the cross-references a schema cannot express
(an arm's element that is not defined, an epoch not in `epochs`, a condition on an unknown subject attribute, a test
total over tests of another instrument, duplicate codes, an id pattern that does not compile).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from trialinterop.countries import country
from trialinterop.ct import cdisc_terms
from trialinterop.definition import model as m
from trialinterop.errors import InputError
from trialinterop.issues import Issue
from trialinterop.source.problems import input_problem

MAX_DEFINITION_BYTES = 5 * 1024 * 1024
EVENTS = frozenset({"CONSENT", "ELIGIBILITY", "DOSING", "AE", "DISPOSITION"})
"""Assessment names a visit may plan besides instrument codes."""
DOSE_EVENTS = frozenset({"first_dose", "day_after_first_dose", "last_dose", "day_after_last_dose"})


@cache
def definition_schema() -> dict[str, Any]:
    """The JSON Schema shipped in the package (`study-definition.schema.json`)."""
    text = resources.files("trialinterop.definition").joinpath("study-definition.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def load_definition(path: str | Path) -> m.StudyDefinition:
    """The checked definition in `path`; InputError listing every problem otherwise."""
    path = Path(path)
    document = _read(path)
    problems = _schema_problems(document, path.name)
    if not problems:
        problems = _consistency_problems(document, path.name)
    if problems:
        raise InputError(problems, summary=f"invalid study definition {path}")
    return _build(document, str(path))


def _read(path: Path) -> Any:
    name = path.name
    if not path.is_file():
        raise InputError([input_problem(str(path), "", "", "study definition not found")], summary="cannot read")
    if path.stat().st_size > MAX_DEFINITION_BYTES:
        raise InputError([input_problem(name, "", "", "file is too large")], summary="cannot read")
    try:
        text = path.read_text(encoding="utf-8")
        return json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as error:
        reason = " ".join(str(error).split())
        raise InputError([input_problem(name, "", "", f"not readable UTF-8 YAML/JSON: {reason}")],
                         summary=f"invalid study definition {path}") from None  # fmt: skip


def _pointer(parts: Any) -> str:
    return "/" + "/".join(str(p) for p in parts)


def _schema_problems(document: Any, name: str) -> list[Issue]:
    validator = jsonschema.Draft202012Validator(definition_schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    found = []
    for error in errors:
        parts = list(error.absolute_path)
        field = str(parts[-1]) if parts else ""
        missing = re.fullmatch(r"'(.+)' is a required property", error.message)
        if error.validator == "required" and missing:
            field = missing.group(1)  # the pointer names the object it is missing from
        found.append(input_problem(name, _pointer(parts), field, error.message))
    return found


def _duplicates(items: list[dict[str, Any]], key: str, where: str, name: str) -> list[Issue]:
    counts = Counter(str(item[key]) for item in items)
    return [input_problem(name, where, key, "defined more than once", v) for v, n in counts.items() if n > 1]


def _consistency_problems(doc: dict[str, Any], name: str) -> list[Issue]:
    found: list[Issue] = []

    def bad(where: str, field: str, message: str, value: object = "") -> None:
        found.append(input_problem(name, where, field, message, str(value)))

    found += _duplicates(doc["arms"], "code", "/arms", name)
    found += _duplicates(doc["elements"], "code", "/elements", name)
    found += _duplicates(doc["visits"]["planned"], "number", "/visits/planned", name)
    found += _duplicates(doc["visits"]["planned"], "name", "/visits/planned", name)
    found += _duplicates(doc["interventions"], "code", "/interventions", name)
    found += _duplicates(doc["interventions"], "treatment", "/interventions", name)
    found += _duplicates(doc["sites"], "id", "/sites", name)
    found += _duplicates(doc["eligibility"]["criteria"], "id", "/eligibility/criteria", name)
    found += _duplicates(doc["instruments"], "code", "/instruments", name)
    found += _duplicates(doc["subjects"].get("attributes", []), "name", "/subjects/attributes", name)
    found += _duplicates(doc.get("trial_summary", []), "parmcd", "/trial_summary", name)
    found += _duplicates(doc.get("codelists", []), "name", "/codelists", name)
    for i, codelist in enumerate(doc.get("codelists", [])):
        found += _duplicates(codelist["terms"], "value", f"/codelists/{i}/terms", name)
    for i, instrument in enumerate(doc["instruments"]):
        found += _duplicates(instrument.get("timepoints", []), "name", f"/instruments/{i}/timepoints", name)
    elements = {e["code"]: e for e in doc["elements"]}
    interventions = {i["code"] for i in doc["interventions"]}
    arms = {a["code"] for a in doc["arms"]}
    epochs = set(doc["epochs"])
    visits = {v["number"] for v in doc["visits"]["planned"]}
    instruments = {i["code"] for i in doc["instruments"]}
    declared = {c["name"] for c in doc.get("codelists", [])}
    attributes = {a["name"]: set(a["values"]) for a in doc["subjects"].get("attributes", [])}
    for i, arm in enumerate(doc["arms"]):
        for code in arm["elements"]:
            if code not in elements:
                bad(f"/arms/{i}/elements", "elements", "element not defined in /elements", code)
        for code in arm["interventions"]:
            if code not in interventions:
                bad(f"/arms/{i}/interventions", "interventions", "intervention not defined in /interventions", code)
    for i, element in enumerate(doc["elements"]):
        if element["epoch"] not in epochs:
            bad(f"/elements/{i}/epoch", "epoch", "epoch not listed in /epochs", element["epoch"])
        start = element["starts_at"]
        if start["event"] in DOSE_EVENTS and start.get("intervention") not in interventions:
            bad(f"/elements/{i}/starts_at", "intervention", "a dose event needs an intervention of /interventions",
                start.get("intervention", ""))  # fmt: skip
        if start["event"] == "visit" and start.get("visit") not in visits:
            bad(f"/elements/{i}/starts_at", "visit", "a visit event needs a planned visit", start.get("visit", ""))
    used = {code for arm in doc["arms"] for code in arm["elements"]}
    for code in elements.keys() - used:
        bad("/elements", "code", "element is in no arm", code)
    for i, visit in enumerate(doc["visits"]["planned"]):
        for code in visit.get("arms", []):
            if code not in arms:
                bad(f"/visits/planned/{i}/arms", "arms", "arm not defined in /arms", code)
        for code in visit.get("assessments", []):
            if code not in instruments and code not in EVENTS:
                bad(f"/visits/planned/{i}/assessments", "assessments",
                    f"neither an instrument code nor one of {', '.join(sorted(EVENTS))}", code)  # fmt: skip
    for i, intervention in enumerate(doc["interventions"]):
        for j, condition in enumerate(intervention.get("given_when", [])):
            where = f"/interventions/{i}/given_when/{j}"
            allowed = attributes.get(condition["attribute"])
            if allowed is None:
                bad(where, "attribute", "not a subject attribute of /subjects/attributes", condition["attribute"])
            else:
                for value in set(condition["in"]) - allowed:
                    bad(where, "in", f"not a value of subject attribute {condition['attribute']}", value)
    for i, site in enumerate(doc["sites"]):
        if country(site["country"]) is None:
            bad(f"/sites/{i}/country", "country", "not an ISO 3166-1 alpha-3 country code", site["country"])
    try:
        re.compile(doc["subjects"]["id_pattern"])
    except re.error as error:
        bad("/subjects/id_pattern", "id_pattern", f"not a regular expression: {error}", doc["subjects"]["id_pattern"])
    for i, outcome in enumerate(doc["outcomes"]):
        if outcome.get("instrument") and outcome["instrument"] not in instruments:
            bad(f"/outcomes/{i}/instrument", "instrument", "not defined in /instruments", outcome["instrument"])
    seen_tests: dict[tuple[str, str, str], str] = {}
    for i, instrument in enumerate(doc["instruments"]):
        own = {t["testcd"] for t in instrument["tests"]}
        for j, test in enumerate(instrument["tests"]):
            where = f"/instruments/{i}/tests/{j}"
            key = (instrument["domain"], instrument.get("category", ""), test["testcd"])
            if key in seen_tests:
                bad(where, "testcd", f"test code already used in {seen_tests[key]} (same domain and category)",
                    test["testcd"])  # fmt: skip
            seen_tests[key] = where
            for part in set(test.get("total_of", [])) - own:
                bad(where, "total_of", "not a test of the same instrument", part)
            if test["result_type"] == "coded" and not test.get("codelist"):
                bad(where, "codelist", "a coded result needs its codelist")
            listed = test.get("codelist")
            if listed and listed not in declared and not cdisc_terms(listed):
                bad(where, "codelist", "neither in /codelists nor a CDISC CT codelist", listed)
            if ("standard_unit" in test) != ("conversion" in test):
                bad(where, "conversion", "standard_unit and conversion come together")
            if "offset" in test and "conversion" not in test:
                bad(where, "offset", "offset needs a conversion")
    return found


def _coded(items: list[dict[str, Any]] | None) -> tuple[m.CodedValue, ...]:
    return tuple(m.CodedValue(c["value"], c.get("code"), c.get("system"), c.get("version")) for c in items or [])


def _pair(values: list[Any] | None) -> tuple[float | None, float | None] | None:
    return None if values is None else (values[0], values[1])


def _build(doc: dict[str, Any], source: str) -> m.StudyDefinition:
    study, design, visits = doc["study"], doc["design"], doc["visits"]
    cutoff = study.get("data_cutoff") or {}
    unscheduled = visits.get("unscheduled") or {}
    return m.StudyDefinition(
        study=m.StudyFacts(
            id=study["id"],
            registry_ids=tuple(m.RegistryId(r["registry"], r["id"]) for r in study["registry_ids"]),
            brief_title=study["brief_title"],
            official_title=study["official_title"],
            sponsor_name=study["sponsor"]["name"],
            sponsor_duns=study["sponsor"].get("duns"),
            status=study["status"],
            type=study["type"],
            enrollment_target=study["enrollment_target"],
            conditions=tuple(m.Condition(c["name"], c.get("snomed"), c.get("meddra")) for c in study["conditions"]),
            brief_summary=study.get("brief_summary"),
            phase=study.get("phase"),
            start_date=study.get("start_date"),
            data_cutoff_date=cutoff.get("date"),
            data_cutoff_description=cutoff.get("description"),
        ),
        design=m.Design(
            allocation=design["allocation"],
            masking=design["masking"],
            intervention_model=design["intervention_model"],
            primary_purpose=design["primary_purpose"],
            masked_roles=tuple(design.get("masked_roles", ())),
            control_type=design.get("control_type"),
            trial_types=tuple(design.get("trial_types", ())),
            trial_length=design.get("trial_length"),
            adaptive=design.get("adaptive"),
            add_on=design.get("add_on"),
            background_treatments=_coded(design.get("background_treatments")),
            pharmacologic_class=_coded(design.get("pharmacologic_class")),
            primary_objective=design.get("primary_objective"),
            secondary_objectives=tuple(design.get("secondary_objectives", ())),
            stop_rules=design.get("stop_rules"),
            pediatric=design.get("pediatric"),
            rare_disease=design.get("rare_disease"),
            extension_trial=design.get("extension_trial"),
        ),
        arms=tuple(
            m.Arm(
                a["code"], a["name"], a["type"], tuple(a["elements"]), tuple(a["interventions"]), a.get("description")
            )
            for a in doc["arms"]
        ),
        epochs=tuple(doc["epochs"]),
        elements=tuple(
            m.Element(
                code=e["code"],
                name=e["name"],
                epoch=e["epoch"],
                start_rule=e["start_rule"],
                starts_at=m.ElementStart(
                    e["starts_at"]["event"], e["starts_at"].get("intervention"), e["starts_at"].get("visit")
                ),
                end_rule=e.get("end_rule"),
                duration=e.get("duration"),
            )
            for e in doc["elements"]
        ),
        visits=m.VisitSchedule(
            planned=tuple(
                m.PlannedVisit(
                    number=v["number"],
                    name=v["name"],
                    start_rule=v["start_rule"],
                    planned_day=v.get("planned_day"),
                    window_before=(v.get("window") or {}).get("before"),
                    window_after=(v.get("window") or {}).get("after"),
                    end_rule=v.get("end_rule"),
                    arms=tuple(v.get("arms", ())),
                    assessments=tuple(v.get("assessments", ())),
                )
                for v in visits["planned"]
            ),
            unscheduled_allowed=unscheduled.get("allowed", True),
            unscheduled_prefix=unscheduled.get("name_prefix", "UNSCHEDULED"),
        ),
        interventions=tuple(_intervention(i) for i in doc["interventions"]),
        sites=tuple(
            m.Site(
                s["id"], s["name"], s["country"], s.get("city"), s.get("state"), s.get("utc_offset"), s.get("status")
            )
            for s in doc["sites"]
        ),
        subjects=m.Subjects(
            id_pattern=doc["subjects"]["id_pattern"],
            usubjid=doc["subjects"].get("usubjid", "{study}-{subject}"),
            attributes=tuple(
                m.SubjectAttribute(a["name"], a["label"], tuple(a["values"]), a.get("qnam"))
                for a in doc["subjects"].get("attributes", ())
            ),
        ),
        eligibility=m.Eligibility(
            sex=doc["eligibility"]["sex"],
            criteria=tuple(
                m.Criterion(c["id"], c["category"], c["text"], c.get("short")) for c in doc["eligibility"]["criteria"]
            ),
            minimum_age=doc["eligibility"].get("minimum_age"),
            maximum_age=doc["eligibility"].get("maximum_age"),
            healthy_volunteers=doc["eligibility"].get("healthy_volunteers", False),
        ),
        outcomes=tuple(
            m.Outcome(o["kind"], o["measure"], o["time_frame"], o.get("description"), o.get("instrument"))
            for o in doc["outcomes"]
        ),
        instruments=tuple(_instrument(i) for i in doc["instruments"]),
        code_system_base=doc["code_systems"]["base_uri"],
        trial_summary=tuple(
            m.TrialSummaryParameter(p["parmcd"], p["parm"], _coded(p["values"])) for p in doc.get("trial_summary", ())
        ),
        codelists=tuple(
            m.SponsorCodelist(
                c["name"],
                c["title"],
                tuple(m.SponsorTerm(t["value"], t.get("decode"), t.get("code")) for t in c["terms"]),
                c.get("extensible", False),
            )
            for c in doc.get("codelists", ())
        ),
        source=source,
    )


def _intervention(i: dict[str, Any]) -> m.Intervention:
    preceded = i.get("preceded_by") or {}
    return m.Intervention(
        code=i["code"],
        name=i["name"],
        type=i["type"],
        treatment=i["treatment"],
        role=i.get("role", "INVESTIGATIONAL"),
        description=i.get("description"),
        dose=i.get("dose"),
        dose_unit=i.get("dose_unit"),
        dose_form=i.get("dose_form"),
        route=i.get("route"),
        frequency=i.get("frequency"),
        doses=i.get("doses"),
        codes=_coded(i.get("codes")),
        population=i.get("population"),
        given_when=tuple(m.SubjectCondition(c["attribute"], tuple(c["in"])) for c in i.get("given_when", ())),
        preceded_by=preceded.get("procedure"),
        preceded_by_snomed=preceded.get("snomed"),
        extrt=i.get("extrt"),
    )


def _instrument(i: dict[str, Any]) -> m.Instrument:
    return m.Instrument(
        code=i["code"],
        name=i["name"],
        domain=i["domain"],
        tests=tuple(
            m.FindingTest(
                testcd=t["testcd"],
                test=t["test"],
                result_type=t["result_type"],
                subcategory=t.get("subcategory"),
                unit=t.get("unit"),
                standard_unit=t.get("standard_unit"),
                conversion=t.get("conversion"),
                offset=t.get("offset"),
                decimals=t.get("decimals"),
                range=_pair(t.get("range")),
                normal_range=_pair(t.get("normal_range")),
                codelist=t.get("codelist"),
                reference=t.get("reference"),
                total_of=tuple(t.get("total_of", ())),
                codes=_coded(t.get("codes")),
            )
            for t in i["tests"]
        ),
        category=i.get("category"),
        subcategory=i.get("subcategory"),
        testcd_codelist=i.get("testcd_codelist"),
        method=i.get("method"),
        position=i.get("position"),
        specimen=i.get("specimen"),
        fhir_category=i.get("fhir_category"),
        timepoints=tuple(
            m.Timepoint(name=t["name"], number=t["number"], elapsed=t.get("elapsed"), reference=t.get("reference"))
            for t in i.get("timepoints", ())
        ),
    )

"""Observations outside the study's instruments: vital signs -> VS, laboratory results -> LB (FHIR-to-CDISC Joint
Mapping IG: an Observation of category `vital-signs` is a VS record, of category `laboratory` an LB record).

The test comes from the LOINC code through `mappings/loinc.csv` (code -> domain and --TESTCD); --TEST is the CDISC
test name with the same NCI code as the --TESTCD term (VSTESTCD/VSTEST, LBTESTCD/LBTEST in the bundled CT). Each such
test joins the study definition of the run as a test of an instrument this module adds (`with_observed_tests`, one
per domain and specimen, only for the tests the input has), so the findings builder, define.xml and the validator
treat the records like any other; the study's own instruments are untouched (an Observation of one of their tests is
read as that test, fhir_in.findings).

Values: valueQuantity (value as written; unit -> CDISC UNIT by fhir_in.terms), valueInteger, valueString,
valueCodeableConcept (text, else the first display or code); a unit by the test where it depends on it
(`mappings/fhir-in/ucum-unit.csv`: `/min` of heart rate 8867-4 is beats/min, of respiratory rate 9279-1
breaths/min); `referenceRange[0]` low/high -> --ORNRLO/--ORNRHI;
`interpretation` (HL7 v3 ObservationInterpretation) -> --NRIND, else the builder derives --NRIND from the range;
effective[x] -> --DTC; the visit from the Encounter when it is a study visit, else none (VISITNUM empty). A panel
the table does not map whose components it all maps (the blood pressure panel 85354-9: systolic 8480-6, diastolic
8462-4) gives one record per component.
An Observation with no category is read by its LOINC code's domain in the table (`observation_domain`). An
Observation of these categories whose LOINC code the table lacks is listed as not mapped, per code.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Iterable
from typing import Any

from trialinterop.ct import cdisc_terms
from trialinterop.definition import model as d
from trialinterop.fhir import codes
from trialinterop.fhir_in.load import FhirInput, Located
from trialinterop.fhir_in.terms import cdisc_unit
from trialinterop.fhir_in.values import code_in, codings, original_dtc
from trialinterop.loinc import load_loinc_table
from trialinterop.source import models as m

CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
DOMAIN_OF_CATEGORY = {"vital-signs": "VS", "laboratory": "LB"}
INSTRUMENT_PREFIX = "FHIR-"
"""Instruments this module adds are coded FHIR-<domain>[-<specimen>] (no study definition uses that prefix)."""
NO_VISIT = math.nan
RANGE_DOMAINS = frozenset({"LB"})
"""Domains with --ORNRLO/--ORNRHI/--NRIND in SDTMIG 3.4 (VS has none)."""
INTERPRETATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
NRIND = {"H": "HIGH", "HH": "HIGH", "HU": "HIGH", "L": "LOW", "LL": "LOW", "LU": "LOW", "N": "NORMAL",
         "A": "ABNORMAL", "AA": "ABNORMAL"}  # fmt: skip
"""HL7 v3 ObservationInterpretation codes -> CDISC NRIND (C78736)."""


def observation_domain(observation: dict[str, Any]) -> str | None:
    """VS or LB from the Observation's category (observation-category code system); an Observation with no category
    at all (R4 makes it optional; the FHIR core laboratory examples have none) is of the domain the LOINC table gives
    its code (else of the first of its components' codes the table knows); else None."""
    categories = observation.get("category") or []
    for concept in categories:
        code = code_in(concept, CATEGORY_SYSTEM)
        if code in DOMAIN_OF_CATEGORY:
            return DOMAIN_OF_CATEGORY[code]
    if categories:
        return None
    parts = [observation, *(c for c in observation.get("component") or [] if isinstance(c, dict))]
    for part in parts:
        found = _tests_by_loinc().get(code_in(part.get("code"), codes.LOINC) or "")
        if found is not None:
            return found[0]
    return None


@functools.cache
def _tests_by_loinc() -> dict[str, tuple[str, str, str]]:
    """LOINC code -> (domain, testcd, specimen) of mappings/loinc.csv."""
    return {entry.code: (entry.domain, entry.testcd, entry.specimen) for entry in load_loinc_table().entries}


def instrument_code(domain: str, specimen: str) -> str:
    return INSTRUMENT_PREFIX + domain + ("-" + specimen.replace(" ", "_") if specimen else "")


def read_observed_findings(
    fhir: FhirInput, item: Located, subject_id: str, visit_num: float | None
) -> list[m.Finding] | None:
    """The `Finding`s of a vital-signs or laboratory Observation whose LOINC code the table maps, or, for a panel the
    table does not map (e.g. the blood pressure panel 85354-9), of its components whose codes it maps (one record
    each, with the panel's date and status); None when nothing maps."""
    obs = item.resource
    domain = observation_domain(obs)
    if domain is None:
        return None
    found = _test_of(obs, domain)
    if found is not None:
        return [_finding(fhir, item, obs, subject_id, visit_num, found)]
    components = [c for c in obs.get("component") or [] if isinstance(c, dict)]
    parts = [(c, test) for c in components if (test := _test_of(c, domain)) is not None]
    if not parts or len(parts) != len(components):
        return None  # a component nothing maps would be dropped: the whole Observation is listed instead
    rows = []
    for component, test in parts:
        merged = {**{k: v for k, v in obs.items() if k.startswith("effective") or k == "status"}, **component}
        rows.append(_finding(fhir, item, merged, subject_id, visit_num, test, element="Observation.component"))
    return rows


def _test_of(element: dict[str, Any], domain: str) -> tuple[str, str, str] | None:
    """(domain, testcd, specimen) of the element's LOINC code when the table maps it to `domain`."""
    loinc = code_in(element.get("code"), codes.LOINC)
    found = _tests_by_loinc().get(loinc or "")
    return found if found is not None and found[0] == domain else None


def _finding(
    fhir: FhirInput,
    item: Located,
    obs: dict[str, Any],
    subject_id: str,
    visit_num: float | None,
    found: tuple[str, str, str],
    element: str = "Observation",
) -> m.Finding:
    domain, testcd, specimen = found
    not_done = obs.get("status") == "cancelled" or ("dataAbsentReason" in obs and not _has_value(obs))
    result, unit = (None, None) if not_done else _result(fhir, item, obs, element)
    ranges = obs.get("referenceRange") or []
    low, high = (_number(ranges[0].get("low")), _number(ranges[0].get("high"))) if ranges else (None, None)
    indicator = _indicator(fhir, item, obs.get("interpretation"), element)
    if domain not in RANGE_DOMAINS and (low is not None or high is not None or indicator is not None):
        message = f"{domain} has no reference range variables (SDTMIG 3.4): referenceRange/interpretation not carried"
        fhir.warn(item, f"{element}.referenceRange", message)
        for name in ("referenceRange", "interpretation"):
            if name in item.resource:  # a component's range is within `component`, which is mapped
                fhir.leave_out(item, name, f"{domain} has no reference range variables (SDTMIG 3.4)")
    when = original_dtc(obs, "effectiveDateTime") or original_dtc(obs, "effectiveInstant")
    when = when or original_dtc(obs.get("effectivePeriod") or {}, "start")
    absent = obs.get("dataAbsentReason") or {}
    reason = absent.get("text") or next((c.get("display") for c in codings(absent)), None)
    return m.Finding(
        subject_id=subject_id,
        instrument=instrument_code(domain, specimen),
        testcd=testcd,
        visit_num=NO_VISIT if visit_num is None else visit_num,
        datetime=when,
        result=result,
        unit=unit,
        status="NOT DONE" if not_done else None,
        reason_not_done=reason if not_done else None,
        normal_low=low,
        normal_high=high,
        range_indicator=indicator,
        origin=item.origin,
    )


def _indicator(fhir: FhirInput, item: Located, interpretation: Any, element: str) -> str | None:
    """--NRIND from the first interpretation coded in HL7 v3 ObservationInterpretation (H/HH/HU -> HIGH, L/LL/LU ->
    LOW, N -> NORMAL, A/AA -> ABNORMAL); another code is a warning (the builder then derives --NRIND from the range)."""
    concepts = interpretation if isinstance(interpretation, list) else []
    for concept in concepts:
        for coding in codings(concept):
            if coding.get("system") in (INTERPRETATION_SYSTEM, None) and coding.get("code") in NRIND:
                return NRIND[str(coding["code"])]
    if concepts:
        shown = ", ".join(f"{c.get('system')}|{c.get('code')}" for k in concepts for c in codings(k)) or "(no code)"
        fhir.warn(item, f"{element}.interpretation", f"{shown} gives no --NRIND: derived from the range instead")
    return None


def _has_value(obs: dict[str, Any]) -> bool:
    return any(key.startswith("value") for key in obs)


def _result(fhir: FhirInput, item: Located, obs: dict[str, Any], element: str) -> tuple[str | None, str | None]:
    quantity = obs.get("valueQuantity")
    if isinstance(quantity, dict):
        value = quantity.get("value")
        text = None if isinstance(value, bool) or not isinstance(value, int | float) else _number_text(value)
        test = code_in(obs.get("code"), codes.LOINC)  # a unit may depend on the test (/min: beats or breaths)
        return text, cdisc_unit(fhir, item, f"{element}.valueQuantity", quantity, test)
    if "valueInteger" in obs and isinstance(obs["valueInteger"], int):
        return str(obs["valueInteger"]), None
    concept = obs.get("valueCodeableConcept")
    if isinstance(concept, dict):
        found = concept.get("text") or next((c.get("display") or c.get("code") for c in codings(concept)), None)
        return (str(found) if found else None), None
    text = obs.get("valueString")
    return (text if isinstance(text, str) else None), None


def _number_text(value: int | float) -> str:
    return str(value) if isinstance(value, int) or not value.is_integer() else str(int(value))


def _number(quantity: Any) -> float | None:
    value = quantity.get("value") if isinstance(quantity, dict) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def with_observed_tests(
    definition: d.StudyDefinition, findings: Iterable[m.Finding], more: Iterable[tuple[str, str]] = ()
) -> d.StudyDefinition:
    """`definition` with an instrument per domain and specimen for the observed tests `findings` holds and the
    (instrument, test code) pairs `more` names (of findings held elsewhere), in the order of mappings/loinc.csv, or
    `definition` itself when there are none."""
    pairs = [*((f.instrument, f.testcd) for f in findings), *more]
    seen = {(instrument, testcd) for instrument, testcd in pairs if instrument.startswith(INSTRUMENT_PREFIX)}
    if not seen:
        return definition
    added: dict[str, list[d.FindingTest]] = {}
    domains: dict[str, tuple[str, str]] = {}
    for entry in load_loinc_table().entries:
        code = instrument_code(entry.domain, entry.specimen)
        if (code, entry.testcd) in seen and all(t.testcd != entry.testcd for t in added.get(code, [])):
            added.setdefault(code, []).append(_test(entry.domain, entry.testcd, entry.code, entry.display))
            domains[code] = (entry.domain, entry.specimen)
    instruments = tuple(
        d.Instrument(
            code=code,
            name=f"{domains[code][0]} observations outside the study's instruments",
            domain=domains[code][0],
            tests=tuple(tests),
            specimen=domains[code][1] or None,
        )
        for code, tests in added.items()
    )
    return dataclasses.replace(definition, instruments=(*definition.instruments, *instruments))


def _test(domain: str, testcd: str, loinc: str, display: str) -> d.FindingTest:
    """A numeric test named by its CDISC --TEST (the term of the same NCI code), coded with its LOINC code."""
    nci = cdisc_terms(f"{domain}TESTCD").get(testcd)
    names = {code: value for value, code in cdisc_terms(f"{domain}TEST").items()}
    return d.FindingTest(
        testcd=testcd,
        test=names.get(nci or "", display)[:40],
        result_type="float",
        codes=(d.CodedValue(value=display, code=loinc, system="LOINC"),),
    )

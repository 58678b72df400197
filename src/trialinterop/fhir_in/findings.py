"""Findings Observations -> `Finding` rows (long form), for any instrument and domain of the study definition.

An Observation is a finding of test T of instrument I when one of its codings is one of T's codes in the definition
(`FindingTest.codes`: LOINC, CDISC CT, ...) or its code is T's TESTCD in the study's CodeSystem
`{base}/CodeSystem/{study}-{domain}testcd` (any base). A code two instruments share is told apart by the instrument
part of the sponsor identifier `<SUBJID>/<VISITNUM>/<instrument>/<TESTCD>[/<timepoint>]` (fhir.build_observations).

Values back as collected text: valueInteger, valueQuantity.value (unit = valueQuantity.unit; the number's originalText
extension when the writer kept one, e.g. '0.30'), valueCodeableConcept text, valueString. `cancelled` is NOT DONE
(reason = dataAbsentReason.text); position from the "Subject position" component; location (--LOC) from bodySite;
referenceRange "Reference result" is the reference result, a normal range differing from the test's is the record's
own. A total whose `method.text`
starts with "Derived:" was derived by the writer: not a record row. The sponsor derived-finding extension gives
`derived` back, and with `standard_result` the value is the record's standard result (no result, no unit).

Decision: a `Finding` read here carries no `origin` (NO_ORIGIN), unlike the other records rebuilt from FHIR. Nothing
reads a finding's origin after mapping (problems are reported while mapping, naming the resource's file and line),
and at 2,000 subjects the 185,000 origins (an object and a line number each) were 16 MB of the run's peak.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from trialinterop.definition import model as d
from trialinterop.fhir import codes, sponsor
from trialinterop.fhir.dates import ORIGINAL_TEXT
from trialinterop.fhir_in.load import Located
from trialinterop.fhir_in.values import codings, fields, original_dtc
from trialinterop.source import models as m
from trialinterop.source.construct import maker

Resource = dict[str, Any]
DERIVED_PREFIX = "Derived:"
REFERENCE_RESULT = "Reference result"
POSITION = "Subject position"


@dataclass(frozen=True, slots=True)
class Test:
    instrument: d.Instrument
    test: d.FindingTest


class TestIndex:
    """The definition's tests by the codes an Observation may carry."""

    def __init__(self, definition: d.StudyDefinition) -> None:
        self.by_code: dict[tuple[str, str], list[Test]] = {}
        self.by_testcd: dict[tuple[str, str], list[Test]] = {}
        for instrument in definition.instruments:
            for test in instrument.tests:
                found = Test(instrument, test)
                for value in test.codes:
                    system = codes.DEFINITION_SYSTEMS.get(value.system or "")
                    if system is not None and value.code:
                        self.by_code.setdefault((system, value.code), []).append(found)
                self.by_testcd.setdefault((instrument.domain.lower(), test.testcd), []).append(found)
        self._domains: dict[str, str | None] = {}
        self._by_pairs: dict[tuple[tuple[Any, Any], ...], tuple[Test, ...]] = {}
        self.testcd_system = re.compile(
            r"/CodeSystem/" + re.escape(definition.study.id.lower()) + r"-([a-z0-9]+)testcd$"
        )

    def candidates(self, concept: Any) -> tuple[Test, ...]:
        """The tests a CodeableConcept's codings name (memoised by its (system, code) pairs: a trial repeats a few
        hundred concepts over hundreds of thousands of Observations; a tuple, so the memo cannot be changed)."""
        pairs = tuple((coding.get("system"), coding.get("code")) for coding in codings(concept))
        try:
            found = self._by_pairs.get(pairs)
        except TypeError:  # a malformed coding (an object as its system or code): not memoised
            return tuple(self._candidates(pairs))
        if found is None:
            found = self._by_pairs[pairs] = tuple(self._candidates(pairs))
        return found

    def _candidates(self, pairs: tuple[tuple[Any, Any], ...]) -> list[Test]:
        found: list[Test] = []
        for given_system, code in pairs:
            system = str(given_system or "")
            if not isinstance(code, str):
                continue
            hits = self.by_code.get((system, code), [])
            domain = self._domain(system)
            if domain is not None:
                hits = hits + self.by_testcd.get((domain, code), [])
            found += [t for t in hits if not any(t is f for f in found)]
        return found

    def _domain(self, system: str) -> str | None:
        """The domain of a sponsor test-code CodeSystem URL (memoised: few distinct systems, many Observations)."""
        if system not in self._domains:
            match = self.testcd_system.search(system)
            self._domains[system] = match.group(1) if match is not None else None
        return self._domains[system]

    def match(self, item: Located, key: list[str], candidates: Sequence[Test] | None = None) -> Test | None:
        """The test of Observation `item` (`key`: its identifier parts after the subject id), None when none;
        `candidates`: its `candidates`, when the caller has them already."""
        found = candidates if candidates is not None else self.candidates(item.resource.get("code"))
        if len(found) > 1:
            named = [t for t in found if t.instrument.code in key[1:-1]]
            found = named or found
        return found[0] if found else None


def identifier_key(observation: Resource, system: str, subject_id: str) -> list[str]:
    """The parts of the sponsor observation identifier after '<SUBJID>/' ([] without one)."""
    for identifier in observation.get("identifier") or []:
        if isinstance(identifier, dict) and identifier.get("system") == system:
            value = identifier.get("value")
            if isinstance(value, str) and value.startswith(subject_id + "/"):
                return value[len(subject_id) + 1 :].split("/")
    return []


def timepoint_of(key: list[str], found: Test) -> str | None:
    """What follows the test code in the identifier (after the visit), else None."""
    rest = key[1:]
    if len(rest) >= 2 and rest[0] == found.instrument.code and rest[1] == found.test.testcd:
        rest = rest[1:]
    if rest and rest[0] == found.test.testcd and len(rest) > 1:
        return "/".join(rest[1:])
    return None


def is_derived(observation: Resource) -> bool:
    text = (observation.get("method") or {}).get("text")
    return isinstance(text, str) and text.startswith(DERIVED_PREFIX)


def read_finding(item: Located, found: Test, subject_id: str, visit_num: float, key: list[str]) -> m.Finding:
    """The `Finding` row of Observation `item` (a finding of `found`)."""
    obs = item.resource
    not_done = obs.get("status") == "cancelled"
    result, unit = (None, None) if not_done else _result(obs)
    derived = fields(obs, sponsor.DERIVED_FINDING) if "extension" in obs else {}
    standard = None
    if derived.get("standard_result") is True:
        standard, result, unit = result, None, None
    low, high = _normal_range(obs, found.test) if "referenceRange" in obs else (None, None)
    # every field of m.Finding by position, in its order (a hot loop: a call by name costs a third more)
    return _new_finding(
        subject_id,
        found.instrument.code,
        found.test.testcd,
        visit_num,
        _interned(timepoint_of(key, found)),
        _interned(original_dtc(obs, "effectiveDateTime")),
        _interned(result),
        _interned(unit),
        "NOT DONE" if not_done else None,
        (obs.get("dataAbsentReason") or {}).get("text") if not_done else None,
        _position(obs) if "component" in obs else None,
        _reference_result(obs) if "referenceRange" in obs else None,
        low,
        high,
        _location(obs) if "bodySite" in obs else None,
        None,
        "Y" if derived.get("derived") == "Y" else None,
        standard,
        m.NO_ORIGIN,
    )


_new_finding = maker(m.Finding)
"""`m.Finding(...)` with every field given, for each of a trial's findings (source.construct.maker)."""


def _interned(text: str | None) -> str | None:
    """One string object for the values many findings repeat (a visit's date, a unit, a time point, a result such as
    '2'): a trial has hundreds of thousands of findings and few distinct values of these."""
    return sys.intern(text) if text is not None else None


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    return str(value)


def _original(element: Resource, name: str) -> str | None:
    """The collected text of primitive `name` (its originalText extension), when the writer had to keep it."""
    carried = element.get("_" + name)
    for extension in (carried.get("extension") or []) if isinstance(carried, dict) else []:
        if isinstance(extension, dict) and extension.get("url") == ORIGINAL_TEXT:
            text = extension.get("valueString")
            return text if isinstance(text, str) else None
    return None


def _result(obs: Resource) -> tuple[str | None, str | None]:
    """(collected text, unit) of the Observation's value; a number's originalText (e.g. '0.30') wins."""
    if "valueInteger" in obs:
        return _original(obs, "valueInteger") or _text(obs["valueInteger"]), None
    quantity = obs.get("valueQuantity")
    if isinstance(quantity, dict):
        unit = quantity.get("unit") or quantity.get("code")
        return _original(quantity, "value") or _text(quantity.get("value")), unit if isinstance(unit, str) else None
    concept = obs.get("valueCodeableConcept")
    if isinstance(concept, dict):
        text = concept.get("text") or next((c.get("code") for c in codings(concept) if c.get("code")), None)
        return _text(text), None
    return _text(obs.get("valueString")), None


def _position(obs: Resource) -> str | None:
    for component in obs.get("component") or []:
        if ((component.get("code") or {}).get("text")) == POSITION:
            concept = component.get("valueCodeableConcept") or {}
            return concept.get("text") or component.get("valueString")
    return None


def _location(obs: Resource) -> str | None:
    """--LOC: bodySite text, else the display of its first coding."""
    site = obs.get("bodySite")
    if not isinstance(site, dict):
        return None
    text = site.get("text") or next((c.get("display") for c in codings(site) if c.get("display")), None)
    return _interned(text) if isinstance(text, str) else None


def _reference_result(obs: Resource) -> str | None:
    for found in obs.get("referenceRange") or []:
        if ((found.get("type") or {}).get("text")) == REFERENCE_RESULT and isinstance(found.get("text"), str):
            return str(found["text"])
    return None


def _normal_range(obs: Resource, test: d.FindingTest) -> tuple[float | None, float | None]:
    """The record's own normal range: the Observation's normal range where it differs from the test's."""
    defined = test.normal_range or (None, None)
    for found in obs.get("referenceRange") or []:
        if ((found.get("type") or {}).get("text")) == REFERENCE_RESULT:
            continue
        low, high = _number(found.get("low")), _number(found.get("high"))
        return (low if low != defined[0] else None), (high if high != defined[1] else None)
    return None, None


def _number(quantity: Any) -> float | None:
    value = quantity.get("value") if isinstance(quantity, dict) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

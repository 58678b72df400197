"""Codes of other systems read back as CDISC terms, from tables under mappings/fhir-in/ (each row names its source):

- route (`route.csv`): SNOMED CT route codes (the FHIR R4 route-codes value set) and HL7 v3 RouteOfAdministration
  codes -> CDISC ROUTE; also an NCI Thesaurus code of a ROUTE term, or a text/display equal to a ROUTE submission
  value (with or without a trailing ' route', or a SNOMED CT semantic tag such as ' (qualifier value)');
- severity (`severity.csv`): SNOMED CT condition-severity codes -> CDISC AESEV (Condition.severity -> MHSEV), or an
  NCI code or text as for routes;
- units (`ucum-unit.csv`): a Quantity's unit -> CDISC UNIT: first a row for its UCUM code and the result's test (LOINC:
  `/min` is beats/min for a heart rate, breaths/min for a respiratory rate; VSRESU has no `/min`), else its `unit`
  text when that is a UNIT submission value (so this tool's own output comes back unchanged), else its UCUM code
  when that is one, else a row for any test (mm[Hg] -> mmHg, Cel -> C, a -> YEARS...), else UCUM `10*n` written as
  CDISC `10^n`.

A route (or a severity) nothing maps leaves --ROUTE (--SEV) blank and is kept as given in SUPP-- (`system|code
(display)`; the caller writes the qualifier, CMSRCRT / EXSRCRT / MHSRCSEV), with a warning naming the element. A unit
nothing maps is kept as given in its variable (--DOSU, --ORRESU; UNIT is extensible): a dose or a result without its
unit could not be read (docs/fhir-in.md, "Unmapped codes"). Administrative gender, US Core race/ethnicity and the AE
severity, seriousness and outcome codes are read with the tables of fhir.codes (the ones to-fhir writes with, data in
`mappings/fhir-terms.csv`), in reverse.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from trialinterop.ct import cdisc_terms, cdisc_values_by_code
from trialinterop.fhir import codes
from trialinterop.fhir_in.load import FhirInput, Located
from trialinterop.fhir_in.values import codings
from trialinterop.resources import mappings_dir

_POWER = re.compile(r"10\*(\d+)")
_SEMANTIC_TAG = re.compile(r" \((QUALIFIER VALUE|PRODUCT|FINDING|DISORDER|SEVERITY MODIFIER)\)$")
"""A SNOMED CT fully specified name's semantic tag, as FHIR examples carry it in a display."""


class _Reading(NamedTuple):
    """What `_coded` reads a concept as: the noun of its warning, the codelist, the variable left blank, the table's
    file and its (system, code) -> term rows."""

    noun: str
    codelist: str
    variable: str
    source: str
    table: Callable[[], dict[tuple[str, str], str]]


@functools.cache
def _table(name: str) -> list[dict[str, str]]:
    with (mappings_dir() / "fhir-in" / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@functools.cache
def route_codes() -> dict[tuple[str, str], str]:
    """(system, code) -> CDISC ROUTE."""
    return {(row["system"], row["code"]): row["route"] for row in _table("route.csv")}


@functools.cache
def severity_codes() -> dict[tuple[str, str], str]:
    """(system, code) -> CDISC AESEV."""
    return {(row["system"], row["code"]): row["severity"] for row in _table("severity.csv")}


@functools.cache
def ucum_units() -> dict[str, str]:
    """UCUM code -> CDISC UNIT (the rows of the table for any test)."""
    return {row["ucum"]: row["unit"] for row in _table("ucum-unit.csv") if not row["loinc"]}


@functools.cache
def ucum_units_of_tests() -> dict[tuple[str, str], str]:
    """(UCUM code, LOINC code of the test) -> CDISC UNIT (the rows of the table for one test)."""
    return {(row["ucum"], row["loinc"]): row["unit"] for row in _table("ucum-unit.csv") if row["loinc"]}


_ROUTE = _Reading("route", "ROUTE", "--ROUTE", "route.csv", route_codes)
_SEVERITY = _Reading("severity", "AESEV", "--SEV", "severity.csv", severity_codes)


def cdisc_route(
    fhir: FhirInput, item: Located, element: str, concept: Any, kept_in: str = "SUPP--"
) -> tuple[str | None, str | None]:
    """(the CDISC ROUTE a route CodeableConcept means, None) (see the module docstring); (None, the route as given)
    when no term maps it (a warning says it is `kept_in`, e.g. 'SUPPCM CMSRCRT'); (None, None) when it is absent."""
    return _coded(fhir, item, element, concept, _ROUTE, kept_in)


def cdisc_severity(
    fhir: FhirInput, item: Located, element: str, concept: Any, kept_in: str
) -> tuple[str | None, str | None]:
    """`cdisc_route` for a severity CodeableConcept and CDISC AESEV (SNOMED CT condition-severity codes by
    `severity.csv`), e.g. Condition.severity -> MHSEV; SNOMED's 'Mild to moderate' has no AESEV term."""
    return _coded(fhir, item, element, concept, _SEVERITY, kept_in)


def _coded(
    fhir: FhirInput,
    item: Located,
    element: str,
    concept: Any,
    read: _Reading,
    kept_in: str,
) -> tuple[str | None, str | None]:
    """The term of `read`'s codelist a CodeableConcept means: an NCI Thesaurus code of one, a (system, code) row of
    its table, else a text or display equal to a submission value once upper-cased (without a trailing ' route' or a
    SNOMED CT semantic tag such as ' (qualifier value)'); else a warning and the concept as given."""
    if not isinstance(concept, dict) or not (concept.get("text") or codings(concept)):
        return None, None
    terms = cdisc_terms(read.codelist)
    by_code = cdisc_values_by_code(read.codelist)
    table = read.table()
    for coding in codings(concept):
        system, code = coding.get("system") or "", coding.get("code") or ""
        if system == codes.NCI and code in by_code:
            return by_code[code], None
        if (system, code) in table:
            return table[(system, code)], None
    texts = [concept.get("text"), *(c.get("display") for c in codings(concept))]
    for text in texts:
        if isinstance(text, str):
            folded = _SEMANTIC_TAG.sub("", text.strip().upper())
            for candidate in (folded, folded.removesuffix(" ROUTE")):
                if candidate in terms:
                    return candidate, None
    given = as_given(concept)
    fhir.warn(item, element, f"{read.noun} {given} has no CDISC {read.codelist} term (mappings/fhir-in/{read.source}): "
              f"{read.variable} left blank, kept in {kept_in}")  # fmt: skip
    return None, given


def as_given(concept: dict[str, Any]) -> str:
    """A CodeableConcept as given: `system|code (display)` of each coding ('; '-joined), else its text."""
    found = codings(concept)
    shown = [f"{c.get('system')}|{c.get('code')}" + (f" ({c['display']})" if c.get("display") else "") for c in found]
    text = concept.get("text")
    if isinstance(text, str) and text and text not in {c.get("display") for c in found}:
        shown.append(text)
    return "; ".join(shown)


def cdisc_unit(fhir: FhirInput, item: Located, element: str, quantity: Any, test: str | None = None) -> str | None:
    """The CDISC UNIT of a Quantity (see the module docstring; `test`: the LOINC code of the result's test, if any);
    None when it gives no unit."""
    if not isinstance(quantity, dict):
        return None
    text, code = quantity.get("unit"), quantity.get("code")
    if test is not None and isinstance(code, str) and (code, test) in ucum_units_of_tests():
        return ucum_units_of_tests()[(code, test)]
    units = cdisc_terms("UNIT")
    if isinstance(text, str) and text in units:
        return text
    if isinstance(code, str) and code:
        if code in units:
            return code
        if code in ucum_units():
            return ucum_units()[code]
        powered = _POWER.sub(r"10^\1", code)
        if powered in units:
            return powered
    given = text if isinstance(text, str) and text else code if isinstance(code, str) and code else None
    if given is None:
        return None
    system = quantity.get("system")
    named = f"{system}|{code}" if isinstance(system, str) and system else f"code {code!r}"
    fhir.warn(item, element, f"unit {given!r} ({named}) has no CDISC UNIT term: kept as given")
    return given

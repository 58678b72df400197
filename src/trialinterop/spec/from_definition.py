"""The study-specific part of the specification, made from a study definition instead of `mappings/` files.

- Value-level metadata of the findings domains: per test of each instrument, --ORRES, --STRESC and --STRESN (and
  --ORREF/--STREFN for a test with a reference) where --TESTCD is the test: result data type, length, codelist, range;
  tests of one instrument with the same metadata share one entry (an IN where clause), named after the instrument.
- Test code codelists: an instrument's `testcd_codelist` (a CDISC list such as VSTESTCD, or a sponsor list such
  as QS01TC) lists its test codes decoded by test name, and its test name list (VSTEST, QS01TN: TESTCD -> TEST,
  TC -> TN) the names; a CDISC list keeps its NCI code, title and extensibility from the bundled CT
  (`mappings/sdtmig-3.4/ct.csv`), its terms their CDISC CT codes from the tests' `codes`. --TESTCD/--TEST of the
  domain name these lists when all the domain's instruments name the same one (else no list).
- The definition's categories, methods, positions and specimens are added to the codelists of --CAT, --METHOD,
  --POS and --SPEC (with their NCI codes when they are CDISC terms; a sponsor value only to an extensible list).
- Define-XML study names and OIDs (study.yaml `study`, `define.file_oid`, `metadata_version_*`) from the study id
  and official title.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING

from trialinterop.countries import country
from trialinterop.ct import Codelist, Term, Terminology, cdisc_terms
from trialinterop.resources import mappings_dir
from trialinterop.spec.model import StudySettings, ValueLevelSpec, VariableSpec

if TYPE_CHECKING:
    from trialinterop.definition.model import FindingTest, Instrument, StudyDefinition

FLOAT_LENGTH = 20
"""Length of a collected number held as text whose digits the definition does not bound."""


def definition_study(definition: StudyDefinition, settings: StudySettings) -> StudySettings:
    study_id = definition.study.id
    return replace(
        settings,
        study_name=study_id,
        study_description=definition.study.official_title,
        protocol_name=study_id,
        study_oid=study_id,
        define_file_oid=f"DEF.{study_id}.{settings.model}",
        metadata_version_oid=f"MDV.{study_id}.{settings.ig_name}.{settings.ig_version}",
        metadata_version_name=f"{study_id} {settings.model} Define-XML 2.1",
    )


def test_name_codelist(testcd_codelist: str) -> str:
    """The codelist of test names paired with a test code codelist: VSTESTCD -> VSTEST, QS01TC -> QS01TN."""
    if testcd_codelist.endswith("TESTCD"):
        return testcd_codelist[: -len("CD")]
    if testcd_codelist.endswith("TC"):
        return testcd_codelist[: -len("TC")] + "TN"
    return testcd_codelist + "TN"


def definition_codelists(definition: StudyDefinition) -> dict[str, Codelist]:
    """Every codelist the definition makes: its declared ones (`codelists`), the sponsor-defined lists of its arms
    (ARMCD), elements (ETCD), criteria (IETESTCD) and site countries (COUNTRY), and its test code/name lists."""
    return {**_declared_codelists(definition), **_design_codelists(definition), **_test_codelists(definition)}


def declared_codelists(definition: StudyDefinition) -> dict[str, Codelist]:
    """The codelists the definition declares (`codelists`), as terminology."""
    return _declared_codelists(definition)


def _declared_codelists(definition: StudyDefinition) -> dict[str, Codelist]:
    return {
        c.name: Codelist(c.name, "", c.title, c.extensible,
                         tuple(Term(c.name, t.value, t.code or "", t.decode or t.value) for t in c.terms))
        for c in definition.codelists
    }  # fmt: skip


def _design_codelists(definition: StudyDefinition) -> dict[str, Codelist]:
    def sponsor(name: str, title: str, pairs: list[tuple[str, str]]) -> Codelist:
        terms = tuple(Term(name, value, "", decode) for value, decode in dict(pairs).items())
        return Codelist(name, "", title, False, terms)

    countries = sorted({site.country for site in definition.sites})
    return {
        "ARMCD": sponsor("ARMCD", "Planned Arm Code (sponsor-defined)", [(a.code, a.name) for a in definition.arms]),
        "ETCD": sponsor(
            "ETCD",
            "Element Code (sponsor-defined)",
            [(e.code, e.name) for e in definition.elements],
        ),
        "IETESTCD": sponsor(
            "IETESTCD",
            "Inclusion/Exclusion Criterion Short Name (sponsor-defined)",
            [(c.id, c.short or c.text) for c in definition.eligibility.criteria],
        ),
        "COUNTRY": sponsor(
            "COUNTRY", "Country (ISO 3166-1 alpha-3)", [(code, _country_name(code)) for code in countries]
        ),
    }


def _country_name(alpha3: str) -> str:
    found = country(alpha3)
    return found.name if found is not None else alpha3


def _test_codelists(definition: StudyDefinition) -> dict[str, Codelist]:
    """The test code and test name codelists of the definition's instruments (instruments sharing a list merge)."""
    terms: dict[str, dict[str, Term]] = {}
    for instrument in definition.instruments:
        if not instrument.testcd_codelist:
            continue
        codes, names = instrument.testcd_codelist, test_name_codelist(instrument.testcd_codelist)
        for test in instrument.tests:
            coded = test.code_in("CDISC CT")
            nci = coded.code if coded is not None and coded.code else ""
            terms.setdefault(codes, {}).setdefault(test.testcd, Term(codes, test.testcd, nci, test.test))
            terms.setdefault(names, {}).setdefault(test.test, Term(names, test.test, nci, test.test))
    return {name: _codelist(name, tuple(found.values()), definition) for name, found in terms.items()}


def _codelist(name: str, terms: tuple[Term, ...], definition: StudyDefinition) -> Codelist:
    standard = _cdisc_codelists().get(name)
    if standard is not None:
        code, title, extensible = standard
        return Codelist(name, code, title, extensible, terms)
    kind = "Test Name" if any(i.testcd_codelist and test_name_codelist(i.testcd_codelist) == name
                              for i in definition.instruments) else "Test Code"  # fmt: skip
    owner = next(i.code for i in definition.instruments if i.testcd_codelist and name in (
        i.testcd_codelist, test_name_codelist(i.testcd_codelist)))  # fmt: skip
    return Codelist(name, "", f"{owner} {kind} (sponsor-defined)", False, terms)


@cache
def _cdisc_codelists() -> dict[str, tuple[str, str, bool]]:
    """Short name -> (NCI code, title, extensible) of every codelist of the bundled CDISC CT."""
    found: dict[str, tuple[str, str, bool]] = {}
    with (mappings_dir() / "sdtmig-3.4" / "ct.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            found.setdefault(row["codelist"], (row["codelist_code"], row["codelist_name"], row["extensible"] == "Yes"))
    return found


def definition_variables(
    definition: StudyDefinition, variables: Mapping[str, tuple[VariableSpec, ...]]
) -> dict[str, tuple[VariableSpec, ...]]:
    """`variables` with --TESTCD/--TEST of each findings domain naming the definition's test code lists; none
    when the domain's instruments do not all name the same list (a list of other tests would reject them)."""
    out = dict(variables)
    for domain in dict.fromkeys(i.domain for i in definition.instruments):
        if domain not in out:
            continue
        lists = {i.testcd_codelist for i in definition.instruments_in(domain)}
        codes = lists.pop() if len(lists) == 1 else None
        chosen = {f"{domain}TESTCD": codes or "", f"{domain}TEST": test_name_codelist(codes) if codes else ""}
        out[domain] = tuple(replace(v, codelist=chosen.get(v.name, v.codelist)) for v in out[domain])
    return out


def definition_value_levels(
    definition: StudyDefinition, variables: Mapping[str, tuple[VariableSpec, ...]]
) -> tuple[ValueLevelSpec, ...]:
    """Value-level entries of every findings domain of the definition that the specification has."""
    entries: list[ValueLevelSpec] = []
    for domain in dict.fromkeys(i.domain for i in definition.instruments):
        if domain not in variables:
            continue
        names = {v.name: v for v in variables[domain]}
        for instrument in definition.instruments_in(domain):
            entries.extend(_instrument_entries(domain, instrument, names))
    return tuple(entries)


def _instrument_entries(domain: str, instrument: Instrument, names: Mapping[str, VariableSpec]) -> list[ValueLevelSpec]:
    """One entry per variable and group of the instrument's tests with the same metadata, in test order."""
    testcd = f"{domain}TESTCD"
    drvfl = names.get(f"{domain}DRVFL")
    groups: dict[tuple, list[str]] = {}
    labels: dict[tuple, str] = {}
    for test in instrument.tests:
        for suffix in ("ORRES", "STRESC", "STRESN", "ORREF", "STREFN"):
            variable = names.get(domain + suffix)
            if variable is None or (suffix in ("ORREF", "STREFN") and not test.reference):
                continue
            if suffix in ("STRESN", "STREFN") and test.result_type not in ("integer", "float"):
                continue
            *shape, label = _shape(domain, suffix, test, variable, drvfl.method_id if drvfl and test.total_of else "")
            key = (variable.name, *shape)
            groups.setdefault(key, []).append(test.testcd)
            labels.setdefault(key, label)
    entries = []
    for key, codes in groups.items():
        name, data_type, length, codelist, low, high, origin, source, method = key
        entries.append(
            ValueLevelSpec(
                dataset=domain,
                variable=name,
                where_variable=testcd,
                where_comparator="IN" if len(codes) > 1 else "EQ",
                where_values=tuple(codes),
                label=instrument.name if len(codes) > 1 else labels[key],
                data_type=data_type,
                length_limit=length,
                codelist=codelist,
                minimum=low,
                maximum=high,
                mandatory=False,
                origin=origin,
                source=source,
                method_id=method,
                comment_id="",
            )
        )
    return entries


def _shape(domain: str, suffix: str, test: FindingTest, variable: VariableSpec, total_method: str) -> tuple:
    """(data type, length, codelist, min, max, origin, source, method, label) of one test's entry."""
    numeric = test.result_type in ("integer", "float")
    data_type = test.result_type if numeric and not (test.codelist and suffix in ("ORRES", "STRESC")) else "text"
    low, high = test.range if test.range else (None, None)
    standard = suffix.startswith("ST")
    factor = test.conversion if standard and test.conversion is not None else 1.0
    offset = test.offset if standard and test.offset is not None else 0.0
    unit = (test.standard_unit or test.unit) if standard else test.unit
    low = None if low is None else _scaled(low, factor, offset)
    high = None if high is None else _scaled(high, factor, offset)
    length = None if variable.is_numeric else _length(test, low, high, variable.length_limit)
    reference = suffix in ("ORREF", "STREFN")
    label = f"{'Reference ' if reference else ''}{test.test}{f' in {unit}' if unit else ''}"
    if suffix == "ORRES":
        origin, source, method = "Collected", "findings.csv result", total_method
    elif suffix == "ORREF":
        origin, source, method = "Collected", "findings.csv reference_result", ""
    elif suffix == "STRESC":
        origin, source, method = "Derived", f"{domain}ORRES", "MT.STRESC"
    else:
        origin, source, method = "Derived", f"{domain}STRESC" if suffix == "STRESN" else f"{domain}ORREF", "MT.STRESN"
    codelist = (test.codelist or "") if suffix in ("ORRES", "STRESC") else ""
    return data_type, length, codelist, low, high, origin, source, method, label


def _scaled(value: float, factor: float, offset: float = 0.0) -> float:
    return float(f"{value * factor + offset:.12g}")


def _length(test: FindingTest, low: float | None, high: float | None, limit: int | None) -> int | None:
    """Characters of a result held as text: the longest bound of an integer range, else FLOAT_LENGTH for a number,
    else the variable's own length."""
    if test.result_type == "integer" and low is not None and high is not None:
        return max(len(str(int(low))), len(str(int(high))))
    if test.result_type in ("integer", "float"):
        return min(FLOAT_LENGTH, limit or FLOAT_LENGTH)
    return limit


def definition_terms(
    definition: StudyDefinition, variables: Mapping[str, tuple[VariableSpec, ...]], terminology: Terminology
) -> dict[str, Codelist]:
    """The codelists of --CAT, --METHOD, --POS and --SPEC with the definition's values they lack."""
    wanted: dict[str, list[str]] = {}
    for domain in dict.fromkeys(i.domain for i in definition.instruments):
        names = {v.name: v.codelist for v in variables.get(domain, ())}
        for instrument in definition.instruments_in(domain):
            for suffix, value in (("CAT", instrument.category), ("METHOD", instrument.method),
                                  ("POS", instrument.position), ("SPEC", instrument.specimen)):  # fmt: skip
                listed = names.get(domain + suffix)
                if value and listed and listed in terminology.codelists:
                    wanted.setdefault(listed, []).append(value)
    out = {}
    for name, values in wanted.items():
        codelist = terminology.codelists[name]
        standard = cdisc_terms(name)
        added = {
            value: standard.get(value, "")
            for value in dict.fromkeys(values)
            if codelist.find(value) is None and (value in standard or codelist.extensible)
        }
        if added:
            out[name] = codelist.with_terms(added)
    return out

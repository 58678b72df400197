"""Controlled terminology: submission values, NCI codes and decodes from `mappings/codelists.csv`.

One frozen `Terminology` object is loaded once per run and passed to builders (no global state).
Codelists without a codelist_code are sponsor-defined (e.g. AEREL); their terms may still carry NCI codes.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from trialinterop.errors import SpecError
from trialinterop.resources import mappings_dir

NCI_SYSTEM = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
CT_PACKAGE = "SDTM CT 2025-03-28"
CT_VERSION = "2025-03-28"


@dataclass(frozen=True, slots=True)
class Term:
    codelist: str
    value: str
    code: str
    decode: str


@dataclass(frozen=True, slots=True)
class Codelist:
    name: str
    code: str
    title: str
    extensible: bool
    terms: tuple[Term, ...]

    def find(self, value: str) -> Term | None:
        for term in self.terms:
            if term.value == value:
                return term
        return None

    @property
    def values(self) -> frozenset[str]:
        return frozenset(t.value for t in self.terms)

    def with_terms(self, codes: Mapping[str, str]) -> Codelist:
        """This codelist with the terms `codes` (submission value -> NCI code, "" if none) appended in the given
        order, each decoded by its submission value (the bundled CDISC CT holds no decodes)."""
        added = tuple(Term(self.name, value, code, value) for value, code in codes.items())
        return replace(self, terms=(*self.terms, *added)) if added else self


@dataclass(frozen=True)
class Terminology:
    codelists: dict[str, Codelist]

    def codelist(self, name: str) -> Codelist:
        try:
            return self.codelists[name]
        except KeyError:
            raise SpecError(f"codelist {name!r} is not defined in mappings/codelists.csv") from None

    def term(self, codelist: str, value: str) -> Term:
        """The term for a submission value; SpecError if the value is not in the codelist."""
        found = self.codelist(codelist).find(value)
        if found is None:
            raise SpecError(f"{value!r} is not a term of codelist {codelist}")
        return found

    def code(self, codelist: str, value: str) -> str:
        return self.term(codelist, value).code

    def has(self, codelist: str, value: str) -> bool:
        return codelist in self.codelists and self.codelists[codelist].find(value) is not None


def load_terminology(path: Path | None = None) -> Terminology:
    """Read and check codelists.csv (unknown columns, duplicate terms and inconsistent headers are errors)."""
    path = path or mappings_dir() / "codelists.csv"
    return _load_cached(str(path))


@cache
def _load_cached(path_text: str) -> Terminology:
    path = Path(path_text)
    expected = ["codelist", "codelist_code", "codelist_name", "extensible", "term", "term_code", "decode"]
    heads: dict[str, tuple[str, str, bool]] = {}
    terms: dict[str, list[Term]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != expected:
            raise SpecError(f"{path}: columns must be {expected}, found {reader.fieldnames}")
        for line, row in enumerate(reader, start=2):
            name = row["codelist"]
            head = (row["codelist_code"], row["codelist_name"], row["extensible"] == "Yes")
            if row["extensible"] not in ("Yes", "No"):
                raise SpecError(f"{path}:{line}: extensible must be Yes or No")
            if heads.setdefault(name, head) != head:
                raise SpecError(f"{path}:{line}: codelist {name} header differs from its first row")
            bucket = terms.setdefault(name, [])
            if any(t.value == row["term"] for t in bucket):
                raise SpecError(f"{path}:{line}: duplicate term {row['term']!r} in {name}")
            bucket.append(Term(name, row["term"], row["term_code"], row["decode"]))
    return Terminology(
        {name: Codelist(name, code, title, ext, tuple(terms[name])) for name, (code, title, ext) in heads.items()}
    )


@cache
def _standard_terms_by_name() -> dict[str, dict[str, str]]:
    from trialinterop.validate.standards import load_standard  # the bundled SDTMIG metadata; loaded on first use

    return {found.name: found.terms for found in load_standard().codelists.values()}


def cdisc_terms(codelist: str) -> dict[str, str]:
    """Submission value -> NCI code of a bundled CDISC CT codelist by its short name (UNIT, ROUTE, ...); {} if the
    codelist is not bundled."""
    return _standard_terms_by_name().get(codelist, {})


@cache
def cdisc_values_by_code(codelist: str) -> dict[str, str]:
    """NCI code -> submission value of `cdisc_terms(codelist)` (the last value where a code repeats), built once per
    codelist: readers look codes up once per resource. Shared: not to be changed."""
    return {code: value for value, code in cdisc_terms(codelist).items()}

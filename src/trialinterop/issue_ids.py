"""Every issue id the tool raises outside the validator's rules, declared once: readers, builders, conform, writers
and the validator's own run. The validator's rules declare theirs with `@rule` (`validate.registry`), which joins
both into the one registry that the catalogue (docs/rules.md) and accepted-findings files read; an id is declared
in exactly one of the two places.

This module imports nothing of the tool but `issues`, so any layer can read its messages without loading the
validator.
"""

from __future__ import annotations

from dataclasses import dataclass

from trialinterop.issues import Severity

E, W, N, R = Severity.ERROR, Severity.WARNING, Severity.NOTICE, Severity.REJECT

STAGES = {
    "input": "Reading inputs (records folder, study definition, ODM export, FHIR input)",
    "build": "Building SDTM datasets",
    "conform": "Conforming datasets to the specification",
    "write": "Writing the package (XPT v5, Dataset-JSON, define.xml)",
    "validator": "The validator's own run",
}
"""Stage -> section title, in pipeline order."""


@dataclass(frozen=True)
class IssueId:
    """An issue id raised outside the validator's rules: the severities it is raised with and what it means."""

    id: str
    severities: tuple[Severity, ...]
    stage: str
    message: str
    raised_by: str


def _ids(stage: str, raised_by: str, *rows: tuple[str, tuple[Severity, ...], str]) -> list[IssueId]:
    return [IssueId(id, severities, stage, message, raised_by) for id, severities, message in rows]


_DECLARED = [
    *_ids(
        "input",
        "records reader, study definition loader, input detection",
        ("INPUT", (E,), "an input is invalid: file, row or record, field and why"),
    ),
    *_ids("input", "ODM reader (`odm/reader.py`)", ("ODM", (E, W), "ODM data does not fit the records or the mapping")),
    *_ids("input", "ODM mapping loader (`odm/mapping.py`)", ("ODM-MAP", (E,), "the ODM mapping file is invalid")),
    *_ids("input", "ODM XML parser (`odm/xmlsafe.py`)", ("ODM-XML", (R,), "the ODM file is not safe, well-formed XML")),
    *_ids("input", "FHIR input reader (`fhir_in/`)", ("FHIR-IN", (E, W), "FHIR input cannot be read or mapped")),
    *_ids(
        "input",
        "FHIR input reader (`fhir_in/unmapped.py`)",
        ("FHIR-IN-UNMAPPED", (W,), "FHIR Observations whose code maps to nothing in the study definition"),
    ),
    *_ids(
        "build",
        "AE builder (`sdtm/domains/ae.py`)",
        ("TI-BLD-AEUNCODED", (W,), "adverse event not coded to MedDRA; AEDECOD set to UNCODED"),
    ),
    *_ids(
        "conform",
        "conform (`sdtm/conform.py`)",
        ("TI-CF001", (E,), "dataset is not in the specification"),
        ("TI-CF002", (E,), "Required or Expected variable is missing (SD0056/SD0057)"),
        ("TI-CF003", (E,), "variable is not in the specification"),
        ("TI-CF004", (E,), "value is not a number in a Num variable"),
        ("TI-CF005", (W,), "numbers converted to text in a Char variable"),
        ("TI-CF006", (E,), "Required variable is null (SD0002)"),
        ("TI-CF007", (E,), "value is longer than the specified length"),
        ("TI-CF008", (E,), "value not in a non-extensible codelist (CT2001)"),
        ("TI-CF009", (W,), "value not in an extensible codelist (CT2002)"),
        ("TI-CF010", (E,), "value outside the value-level range"),
        ("TI-CF011", (W,), "no value-level metadata for this value"),
        ("TI-CF012", (N,), "Permissible variable without data (not a collected item) dropped"),
        ("TI-CF013", (E,), "date/time or other non-text objects in a Char variable"),
        ("TI-CF014", (W,), "SUPP-- QLABEL or QORIG differs from the value-level metadata of its QNAM"),
    ),
    *_ids(
        "write",
        "package writer (`writers/package.py`)",
        ("TI-PKG001", (N,), "dataset has no records and is not written"),
    ),
    *_ids(
        "write",
        "XPT v5 writer (`writers/xpt.py`)",
        ("TI-XPT001", (E,), "dataset name is not 1-8 upper-case letters/digits starting with a letter (SD1457)"),
        ("TI-XPT002", (E,), "no variables, duplicate names, or a name that is not 1-8 letters/digits (SD1474)"),
        ("TI-XPT003", (E,), "variable label missing, not ASCII or longer than 40 bytes; labels do not match columns"),
        ("TI-XPT004", (E,), "dataset label missing, not ASCII or longer than 40 bytes"),
        ("TI-XPT005", (E,), "text value longer than 200 bytes"),
        ("TI-XPT006", (E,), "non-ASCII characters (SD1029)"),
        ("TI-XPT007", (E,), "number not finite or outside the IBM float range"),
        ("TI-XPT008", (E,), "date/time column: SDTM dates must be ISO 8601 text"),
        ("TI-XPT009", (E,), "boolean column, or a value that is neither text nor a number in a text column"),
        ("TI-XPT010", (E,), "trailing blanks would be lost in XPORT"),
    ),
    *_ids(
        "write",
        "XPT read-back check (`writers/xpt_readback.py`)",
        ("TI-XPT011", (E,), "the written file does not read back as the data meant"),
    ),
    *_ids(
        "write",
        "Dataset-JSON writer (`writers/dataset_json.py`)",
        ("TI-DJ001", (E,), "Dataset-JSON document breaks the Dataset-JSON schema"),
    ),
    *_ids(
        "write",
        "define.xml writer (`define/check.py`)",
        ("TI-DEF001", (E,), "define.xml breaks the Define-XML 2.1 schema"),
        ("TI-DEF002", (E,), "a reference in define.xml does not resolve"),
        ("TI-DEF003", (E,), "an OID is defined more than once in define.xml"),
        ("TI-DEF004", (E,), "a definition in define.xml is never referenced"),
    ),
    *_ids(
        "validator",
        "validator (`validate/`)",
        ("TI-READ", (R,), "an input to the validator cannot be read"),
        ("TI-RUN", (W,), "a rule could not run on this package"),
        ("TI-ACCEPT", (W,), "accepted finding no longer occurs"),
    ),
    *_ids(
        "input",
        "compare-sdtm (`compare/`)",
        ("TI-ARGS", (R,), "a compare-sdtm option is malformed or names a dataset or variable neither package has"),
    ),
]

DECLARED: dict[str, IssueId] = {entry.id: entry for entry in _DECLARED}
"""Issue id -> declaration, for every id raised outside the validator's rules."""


def message(issue_id: str) -> str:
    """The declared meaning of `issue_id` (KeyError when it is not declared here)."""
    return DECLARED[issue_id].message

"""Findings domains (QS, VS, LB, ... in any split) -> findings.csv, and the instruments of the definition.

An instrument is one (domain, --CAT) group (the domain itself without --CAT); its code is the category in
identifier form; its planned time points are the distinct --TPT with --TPTNUM, --ELTM and --TPTREF. Each test
(--TESTCD, in order of first appearance) gets: --TEST (the most frequent), --SCAT when constant for the test, the
result type (integer, float or text from --ORRES), the most frequent --ORRESU as unit, and, when --STRESN is
--ORRES times one factor, `standard_unit` + `conversion` + `decimals`: the factor with the fewest significant
digits, and then the fewest decimals, that reproduces --STRESN on at least 99% of the records (equal within 1e-9
relative: XPT numbers carry binary noise); when no factor does, a factor plus an `offset` (an affine conversion
such as F -> C, `_affine`). Normal ranges stay per record (normal_low and normal_high); --LOC is the
record's location; --DRVFL is `derived`, and a derived record without --ORRES keeps its --STRESC as
`standard_result`. Tests get their LOINC code from mappings/loinc.csv where it is unambiguous (`_add_loinc`).
Domains outside the definition schema's instrument domains are not carried.
"""

from __future__ import annotations

import re
from collections import Counter
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from trialinterop.loinc import load_loinc_table
from trialinterop.sdtm_in.carry import Carry
from trialinterop.sdtm_in.package import SdtmInput, distinct_map, number, text
from trialinterop.sdtm_in.tables import Table, build_table, text_column
from trialinterop.sdtm_in.visits import visit_numbers

INSTRUMENT_DOMAINS = ("QS", "RE", "VS", "LB", "FT", "EG", "PE", "MO", "CV", "OE", "RS")
FHIR_CATEGORY = {"VS": "vital-signs", "LB": "laboratory", "QS": "survey", "FT": "exam", "RS": "exam"}
TESTCD_CODELIST = {"VS": "VSTESTCD", "LB": "LBTESTCD", "EG": "EGTESTCD"}
INTEGER = re.compile(r"^[+-]?\d+$")
ELAPSED = re.compile(r"^-?P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
SMALL_DENOMINATOR = 20
"""Largest denominator of the fractions tried first for an affine conversion (F -> C: 5/9 and -160/9)."""


def findings_domains(package: SdtmInput) -> list[str]:
    """Domains of the package in the findings shape (--TESTCD and --ORRES), but IE (eligibility.csv)."""
    return [
        d
        for d, frame in package.domains.items()
        if not d.startswith("SUPP") and d != "IE" and f"{d}TESTCD" in frame.columns and f"{d}ORRES" in frame.columns
    ]


def instrument_codes(frame: pd.DataFrame, domain: str) -> pd.Series:
    """The instrument code of each row: its --CAT in identifier form (the domain when there is no --CAT)."""
    category = frame.get(f"{domain}CAT", pd.Series("", index=frame.index)).fillna("").astype(str).str.strip()
    codes = {c: _identifier(c, domain) for c in category.unique()}
    return category.map(codes)


def _identifier(category: str, domain: str) -> str:
    if not category:
        return domain
    code = re.sub(r"[^A-Z0-9]+", "_", category.upper()).strip("_")
    code = code if code and code[0].isalpha() else f"{domain}_{code}"
    return code[:40]


def instruments(package: SdtmInput) -> list[dict[str, Any]]:
    """The definition's instruments (see the module docstring)."""
    out: list[dict[str, Any]] = []
    for domain in findings_domains(package):
        if domain not in INSTRUMENT_DOMAINS:
            continue
        frame = _stripped(package.domains[domain])
        codes = instrument_codes(frame, domain)
        for code in dict.fromkeys(codes):
            rows = frame[(codes == code).to_numpy()]
            out.append(_instrument(rows, domain, code))
    _add_loinc(out)
    return out


def _add_loinc(instruments: list[dict[str, Any]]) -> None:
    """LOINC codes from mappings/loinc.csv (`trialinterop.loinc`): by domain, test code and the instrument's
    specimen; without a specimen only for a test code that one instrument of its domain has and the table lists
    once (a GLUC in chemistry and in urinalysis gets none rather than the wrong specimen's code)."""
    table = load_loinc_table()
    owners = Counter((i["domain"], t["testcd"]) for i in instruments for t in i["tests"])
    for instrument in instruments:
        for test in instrument["tests"]:
            domain, testcd = instrument["domain"], test["testcd"]
            specimen = instrument.get("specimen")
            if not specimen and owners[(domain, testcd)] > 1:
                continue
            entry = table.lookup(domain, testcd, specimen)
            if entry is not None:
                test["codes"] = [{"value": entry.display, "code": entry.code, "system": "LOINC"}]


def _stripped(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text column as stripped str ("" when missing), each distinct value stripped once."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            codes, uniques = pd.factorize(out[column], use_na_sentinel=True)
            texts = np.array([str(u).strip() for u in uniques] + [""], dtype=object)
            out[column] = texts[codes]
    return out


def _instrument(rows: pd.DataFrame, domain: str, code: str) -> dict[str, Any]:
    category = _constant(rows, f"{domain}CAT")
    entry: dict[str, Any] = {"code": code, "name": category or domain, "domain": domain}
    if category:
        entry["category"] = _ascii(category, 200)
    if domain in TESTCD_CODELIST:
        entry["testcd_codelist"] = TESTCD_CODELIST[domain]
    for key, variable in (("method", "METHOD"), ("specimen", "SPEC")):
        value = _constant(rows, f"{domain}{variable}")
        if value:
            entry[key] = value
    if domain in FHIR_CATEGORY:
        entry["fhir_category"] = FHIR_CATEGORY[domain]
    points = _timepoints(rows, domain)
    if points:
        entry["timepoints"] = points
    entry["tests"] = [_test(part, domain) for _, part in rows.groupby(f"{domain}TESTCD", sort=False) if len(part)]
    return entry


def _timepoints(rows: pd.DataFrame, domain: str) -> list[dict[str, Any]]:
    """The planned time points (--TPT with its --TPTNUM, --ELTM, --TPTREF) in --TPTNUM order; a --TPT without a
    number is left out (its records keep --TPT alone)."""
    if f"{domain}TPT" not in rows.columns or f"{domain}TPTNUM" not in rows.columns:
        return []
    columns = [f"{domain}{v}" for v in ("TPT", "TPTNUM", "ELTM", "TPTREF") if f"{domain}{v}" in rows.columns]
    found: dict[str, dict[str, Any]] = {}
    for values in rows[columns].drop_duplicates().itertuples(index=False):
        cells = dict(zip(columns, values, strict=True))
        name, num = text(cells[f"{domain}TPT"]), number(cells[f"{domain}TPTNUM"])
        if not name or num is None or name in found:
            continue
        point: dict[str, Any] = {"name": _ascii(name, 200), "number": int(num) if num.is_integer() else num}
        elapsed, reference = text(cells.get(f"{domain}ELTM")), text(cells.get(f"{domain}TPTREF"))
        if elapsed and ELAPSED.match(elapsed):
            point["elapsed"] = elapsed
        if reference:
            point["reference"] = _ascii(reference, 200)
        found[name] = point
    return sorted(found.values(), key=lambda p: p["number"])


def _test(rows: pd.DataFrame, domain: str) -> dict[str, Any]:
    testcd = str(rows[f"{domain}TESTCD"].iloc[0]).strip()
    names: Counter[str] = Counter()
    if f"{domain}TEST" in rows:
        names.update({str(k): int(v) for k, v in rows[f"{domain}TEST"].value_counts().items()})
        names.pop("", None)
    test: dict[str, Any] = {"testcd": testcd, "test": _ascii(names.most_common(1)[0][0] if names else testcd, 40)}
    subcategory = _constant(rows, f"{domain}SCAT")
    if subcategory:
        test["subcategory"] = _ascii(subcategory, 200)
    results = [r for r in rows[f"{domain}ORRES"].unique() if r]
    if results and all(INTEGER.match(r) for r in results):
        test["result_type"] = "integer"
    elif results and all(FLOAT.match(r) for r in results):
        test["result_type"] = "float"
    else:
        test["result_type"] = "text"
    units: Counter[str] = Counter()
    if f"{domain}ORRESU" in rows:
        units.update({str(k): int(v) for k, v in rows[f"{domain}ORRESU"].value_counts().items()})
        units.pop("", None)
    if units:
        unit = units.most_common(1)[0][0]
        test["unit"] = unit
        test |= _conversion(rows, domain, unit)
        if test.get("decimals") and test["result_type"] == "integer":
            test["result_type"] = "float"  # the converted result has decimals
    return test


def _conversion(rows: pd.DataFrame, domain: str, unit: str) -> dict[str, Any]:
    """standard_unit, conversion and decimals when --STRESN is --ORRES times one factor (see the docstring)."""
    if f"{domain}STRESN" not in rows.columns or f"{domain}STRESU" not in rows.columns:
        return {}
    same = rows[rows[f"{domain}ORRESU"] == unit]
    original = distinct_map(same[f"{domain}ORRES"], number).to_numpy(dtype=float)
    standard = distinct_map(same[f"{domain}STRESN"], number).to_numpy(dtype=float)
    usable = ~np.isnan(original) & ~np.isnan(standard) & (original != 0)
    if not usable.any():
        return {}
    original, standard = original[usable], standard[usable]
    standard_units = Counter(str(v).strip() for v in same[f"{domain}STRESU"] if str(v).strip())
    standard_unit = standard_units.most_common(1)[0][0] if standard_units else unit
    if standard_unit == unit and np.allclose(standard, original):
        return {}
    ratio = float(np.median(standard / original))
    for digits in range(1, 8):
        factor = float(f"{ratio:.{digits}g}")
        for decimals in range(0, 9):
            if np.mean(np.isclose(np.round(original * factor, decimals), standard, rtol=1e-9, atol=0)) >= 0.99:
                return {"standard_unit": standard_unit, "conversion": factor, "decimals": decimals}
    return _affine(original, standard, standard_unit)


def _affine(original: np.ndarray, standard: np.ndarray, standard_unit: str) -> dict[str, Any]:
    """conversion + offset + decimals when --STRESN is --ORRES times a factor plus an offset (F -> C). Unit
    conversions of this kind are simple ratios, so the least squares slope as a fraction with a small denominator
    (5/9) and the median remaining offset likewise (-160/9) are tried first; else the line rounded to the fewest
    significant digits. The first that gives every result back (else 99% of them) wins."""
    if len(np.unique(original)) < 2:
        return {}
    slope, intercept = (float(v) for v in np.polyfit(original, standard, 1))
    ratio = Fraction(slope).limit_denominator(SMALL_DENOMINATOR)
    shift = Fraction(float(np.median(standard - original * float(ratio)))).limit_denominator(SMALL_DENOMINATOR)
    candidates = [(float(ratio), float(shift))]
    candidates += [(float(f"{slope:.{d}g}"), float(f"{intercept:.{d}g}")) for d in range(2, 13)]
    for share in (1.0, 0.99):
        for factor, offset in candidates:
            if offset == 0 or factor == 0:
                continue
            for decimals in range(0, 9):
                rebuilt = np.round(original * factor + offset, decimals)
                if np.mean(np.isclose(rebuilt, standard, rtol=1e-9, atol=0)) >= share:
                    return {"standard_unit": standard_unit, "conversion": factor, "offset": offset} | {
                        "decimals": decimals
                    }
    return {}


def _constant(rows: pd.DataFrame, variable: str) -> str | None:
    if variable not in rows.columns:
        return None
    values = {str(v).strip() for v in rows[variable]}
    return values.pop() if len(values) == 1 and "" not in values else None


def _ascii(value: str, length: int) -> str:
    return "".join(c if " " <= c <= "~" else "'" if c in "\u2018\u2019" else "?" for c in value)[:length]


def _standard_results(frame: pd.DataFrame, d: str) -> pd.Series:
    """--STRESC of each derived record (--DRVFL = Y) without --ORRES, else None: SDTMIG leaves --ORRES null on a
    derived record, whose result is then its standard result alone."""
    if f"{d}DRVFL" not in frame.columns or f"{d}STRESC" not in frame.columns:
        return pd.Series([None] * len(frame), dtype=object)
    derived = text_column(frame[f"{d}DRVFL"]).to_numpy(dtype=object) == "Y"
    original = text_column(frame[f"{d}ORRES"]).to_numpy(dtype=object) == ""
    standard = text_column(frame[f"{d}STRESC"]).to_numpy(dtype=object, copy=True)
    standard[~(derived & original & (standard != ""))] = None
    return pd.Series(standard, dtype=object)


def map_findings(package: SdtmInput, carry: Carry, domain: str) -> Table | None:
    frame = package.domains[domain]
    if domain not in INSTRUMENT_DOMAINS:
        carry.reject_all(domain, frame.index, f"{domain} is not a findings domain of the study definition schema")
        return None
    d = domain
    normal = {
        side: distinct_map(frame[f"{d}ORNR{side}"], number) if f"{d}ORNR{side}" in frame else None
        for side in ("LO", "HI")
    }
    fields: dict[str, str | pd.Series] = {
        "subject_id": "USUBJID",
        "instrument": instrument_codes(frame, d),
        "testcd": f"{d}TESTCD",
        "visit_num": visit_numbers(frame["VISITNUM"]) if "VISITNUM" in frame else "VISITNUM",
        "timepoint": f"{d}TPT",
        "datetime": f"{d}DTC",
        "result": f"{d}ORRES",
        "unit": f"{d}ORRESU",
        "status": f"{d}STAT",
        "reason_not_done": f"{d}REASND",
        "position": f"{d}POS",
        "location": f"{d}LOC",
        "reference_result": f"{d}ORREF",
        "normal_low": normal["LO"] if normal["LO"] is not None else f"{d}ORNRLO",
        "normal_high": normal["HI"] if normal["HI"] is not None else f"{d}ORNRHI",
        "derived": f"{d}DRVFL",
        "standard_result": _standard_results(frame, d),
    }
    table = build_table("findings.csv", d, frame, fields, carry)
    table.sources |= {"visit_num": "VISITNUM", "normal_low": f"{d}ORNRLO", "normal_high": f"{d}ORNRHI"}
    table.sources["instrument"] = f"{d}CAT"
    table.sources["standard_result"] = f"{d}STRESC"
    carry.plan(
        d,
        carried={
            "VISITNUM": "findings.csv visit_num",
            f"{d}ORNRLO": "findings.csv normal_low",
            f"{d}ORNRHI": "findings.csv normal_high",
            f"{d}CAT": "findings.csv instrument (study.yaml instruments.category)",
            f"{d}TPTNUM": "study.yaml instruments.timepoints (by --TPT)",
            f"{d}ELTM": "study.yaml instruments.timepoints (by --TPT)",
            f"{d}TPTREF": "study.yaml instruments.timepoints (by --TPT)",
            "USUBJID": "findings.csv subject_id",
        },
        recomputed={
            "STUDYID": "study.yaml study.id",
            "DOMAIN": "(the domain)",
            f"{d}SEQ": "order",
            f"{d}TEST": "study.yaml instruments.tests.test",
            f"{d}SCAT": "study.yaml instruments.tests.subcategory",
            f"{d}STRESC": "result and conversion (a derived record without --ORRES: findings.csv standard_result)",
            f"{d}STRESN": "result and conversion",
            f"{d}STRESU": "unit and conversion",
            f"{d}STNRLO": "normal_low and conversion",
            f"{d}STNRHI": "normal_high and conversion",
            f"{d}NRIND": "result and normal range",
            f"{d}BLFL": "last observation before exposure (--LOBXFL)",
            f"{d}LOBXFL": "last observation before exposure",
            f"{d}SPEC": "study.yaml instruments.specimen",
            f"{d}METHOD": "study.yaml instruments.method",
            "VISIT": "study.yaml visits",
            "VISITDY": "study.yaml visits",
            "EPOCH": "SE elements",
            f"{d}DY": "study day",
        },
    )
    return table

"""One passing and one failing package per rule id. `pass_` defaults to the clean package."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from trialinterop.validate.define import Define, DefineVariable
from trialinterop.validate.package import Package
from validate_cases import (
    S1,
    S2,
    STUDY,
    add_row,
    clean_package,
    define_for,
    drop_column,
    drop_dataset,
    make_dataset,
    replace_dataset,
    set_value,
    set_variable,
    with_define,
    with_fhir,
)


@dataclass(frozen=True)
class Case:
    fail: Callable[[Package], Package]
    pass_: Callable[[Package], Package] = lambda p: p
    with_spec: bool = False  # run with this project's specification (mappings/) as the study spec


def _dm_only(p: Package) -> Package:
    """DM alone, as a record of this project's study (NCT05016804), so the study specification applies."""
    dm = p.datasets["DM"]
    frame = dm.frame.assign(STUDYID="NCT05016804")
    return dataclasses.replace(p, datasets={"DM": dataclasses.replace(dm, frame=frame)})


def _with_json_copy(package: Package, copy_from: Package) -> Package:
    """`package` with a Dataset-JSON copy of `copy_from`'s AE beside its XPT AE (as `to-sdtm --format xpt,json`)."""
    copy = dataclasses.replace(copy_from.datasets["AE"], path="ae.json", source_format="dataset-json")
    return dataclasses.replace(package, alternates={"AE": copy})


def _trial_design_only(p: Package) -> Package:
    return dataclasses.replace(p, datasets={k: v for k, v in p.datasets.items() if k in {"TA", "TE", "TI", "TS", "TV"}})


def _define_change(p: Package, dataset: str, variable: str, **changes: object) -> Package:
    define = define_for(p)
    spec = define.datasets[dataset]
    variables = dict(spec.variables)
    variables[variable] = dataclasses.replace(variables[variable], **changes)
    datasets = {**define.datasets, dataset: dataclasses.replace(spec, variables=variables)}
    return with_define(p, dataclasses.replace(define, datasets=datasets))


def _define_with_codelist(p: Package, values: set[str]) -> Package:
    define = define_for(p)
    spec = define.datasets["AE"]
    variables = {**spec.variables, "AEREL": dataclasses.replace(spec.variables["AEREL"], codelist="CL.AEREL")}
    datasets = {**define.datasets, "AE": dataclasses.replace(spec, variables=variables)}
    return with_define(p, Define(define.path, datasets, {"CL.AEREL": frozenset(values)}))


def _extra_define_variable(p: Package) -> Package:
    define = define_for(p)
    spec = define.datasets["DM"]
    extra = DefineVariable("BRTHDTC", "date", None, "Date/Time of Birth", False, 99, None)
    datasets = {**define.datasets, "DM": dataclasses.replace(spec, variables={**spec.variables, "BRTHDTC": extra})}
    return with_define(p, dataclasses.replace(define, datasets=datasets))


def _fhir(p: Package, *extra: dict, drop: str | None = None) -> Package:
    kept = [r for r in p.fhir.resources if r.get("id") != drop]
    return with_fhir(p, kept + list(extra))


def _with_consent(p: Package) -> Package:
    dm = p.datasets["DM"]
    frame = dm.frame.assign(RFICDTC=["2022-02-21", "2022-02-25"])
    return dataclasses.replace(p, datasets={**p.datasets, "DM": dataclasses.replace(dm, frame=frame)})


def _research_subject(start: str) -> dict:
    return {"resourceType": "ResearchSubject", "id": "rs1", "identifier": [{"value": S1}], "period": {"start": start}}


def _ae_body_system(p: Package, codes: list[int | None]) -> Package:
    """AE with MedDRA body system terms (AEBODSYS) and their codes (AEBDSYCD, None = null)."""
    ae = p.datasets["AE"]
    terms = ["Nervous system disorders", "Infections and infestations"]
    frame = ae.frame.assign(AEBODSYS=terms, AEBDSYCD=[float("nan") if c is None else c for c in codes])
    return dataclasses.replace(p, datasets={**p.datasets, "AE": dataclasses.replace(ae, frame=frame)})


CASES: dict[str, Case] = {
    # presence
    "TI-PR001": Case(lambda p: drop_dataset(p, "DM")),
    "TI-PR002": Case(lambda p: drop_dataset(p, "TS")),
    "TI-PR003": Case(lambda p: drop_dataset(p, "AE")),
    "TI-PR004": Case(lambda p: drop_dataset(p, "EX")),
    "TI-PR005": Case(lambda p: drop_column(p, "AE", "AETERM")),
    "TI-PR006": Case(lambda p: drop_column(_trial_design_only(p), "TA", "TABRANCH"), _trial_design_only),
    "TI-PR007": Case(lambda p: set_value(p, "DM", 0, "SEX", "")),
    "TI-PR008": Case(lambda p: _add_column(p, "AE", "AETESTCD", "HEADACHE"), lambda p: _add_column(p, "AE", "AEDY", 5)),
    "TI-PR009": Case(lambda p: _with_suppdm(p, "ITT"), lambda p: _with_suppdm(p, "RACEOTH")),
    "TI-PR010": Case(lambda p: drop_column(p, "AE", "EPOCH"), lambda p: drop_column(p, "DM", "RFSTDTC")),
    "TI-PR011": Case(lambda p: drop_column(p, "AE", "AESTDY")),
    # structure
    "TI-XS001": Case(lambda p: _rename_member(p)),
    "TI-XS002": Case(lambda p: set_variable(p, "AE", "AEREL", name="AE_REL_TOO_LONG")),
    "TI-XS003": Case(lambda p: set_variable(p, "AE", "AEREL", label="A label that is much longer than forty chars")),
    "TI-XS004": Case(lambda p: set_variable(p, "AE", "AETERM", length=200)),
    "TI-XS005": Case(lambda p: set_value(p, "AE", 0, "AETERM", "A" * 201)),
    "TI-XS006": Case(lambda p: set_value(p, "AE", 0, "AETERM", "A" * 200)),
    "TI-XS007": Case(lambda p: set_value(p, "AE", 0, "AETERM", "CÉPHALÉE")),
    "TI-XS008": Case(lambda p: set_value(p, "AE", 0, "AETERM", " HEADACHE")),
    "TI-XS009": Case(lambda p: set_variable(p, "DM", "AGE", type="Char")),
    "TI-XS010": Case(lambda p: set_variable(p, "DM", "AGE", label="Age at consent")),
    "TI-XS011": Case(lambda p: _swap_first_variables(p, "AE")),
    "TI-XS012": Case(
        fail=lambda p: _with_json_copy(set_value(p, "AE", 0, "AETERM", "HEADACHE, CHANGED"), p),
        pass_=lambda p: _with_json_copy(p, p),
    ),
    # identifiers
    "TI-ID001": Case(lambda p: set_value(p, "AE", 0, "DOMAIN", "XX")),
    "TI-ID002": Case(lambda p: set_value(p, "AE", 1, "AESEQ", 1)),
    "TI-ID003": Case(lambda p: set_value(p, "AE", 1, "AESEQ", 2.5)),
    "TI-ID004": Case(lambda p: set_value(p, "DM", 1, "USUBJID", S1)),
    "TI-ID005": Case(lambda p: set_value(p, "AE", 0, "STUDYID", "OTHER")),
    "TI-ID006": Case(lambda p: add_row(p, "AE", AESEQ=9)),
    # dates
    "TI-DT001": Case(lambda p: set_value(p, "AE", 0, "AESTDTC", "05MAR2022")),
    "TI-DT002": Case(lambda p: set_value(p, "TE", 1, "TEDUR", "1 day")),
    "TI-DT003": Case(lambda p: set_value(p, "AE", 0, "AEENDTC", "2022-03-04")),
    "TI-DT004": Case(lambda p: set_value(p, "AE", 0, "AESTDY", 4)),
    "TI-DT005": Case(lambda p: set_value(p, "AE", 0, "AESTDY", 0)),
    "TI-DT006": Case(lambda p: set_value(p, "AE", 0, "EPOCH", "")),
    "TI-DT007": Case(lambda p: drop_column(p, "IE", "IEDY")),
    # DM / EX / AE
    "TI-DM001": Case(lambda p: set_value(p, "DM", 0, "AGE", 0)),
    "TI-DM002": Case(lambda p: set_value(p, "DM", 0, "RFSTDTC", "")),
    "TI-DM003": Case(lambda p: set_value(p, "DM", 0, "ARMCD", "PLACEBO")),
    "TI-DM004": Case(lambda p: set_value(p, "DM", 1, "ARMNRS", "")),
    "TI-DM005": Case(lambda p: set_value(p, "DM", 1, "ARMCD", "SCRNFAIL")),
    "TI-DM006": Case(lambda p: _fatal_ae(p, "2022-04-19"), lambda p: _fatal_ae(p, "2022-04-20T10:00")),
    "TI-EX001": Case(lambda p: set_value(p, "EX", 0, "USUBJID", S2)),
    "TI-EX002": Case(lambda p: set_value(p, "DM", 0, "RFXSTDTC", "2022-03-02")),
    "TI-EX003": Case(lambda p: set_value(p, "EX", 0, "EXDOSU", "")),
    "TI-AE001": Case(lambda p: set_value(p, "AE", 1, "AESHOSP", "N")),
    "TI-AE002": Case(lambda p: set_value(p, "AE", 0, "AESHOSP", "Y")),
    "TI-AE003": Case(lambda p: set_value(p, "AE", 0, "AEENDTC", "")),
    "TI-AE004": Case(lambda p: set_value(p, "AE", 1, "AEENDTC", "2022-04-10")),
    "TI-AE005": Case(lambda p: set_value(p, "AE", 1, "AEOUT", "FATAL")),
    "TI-AE006": Case(
        lambda p: _ae_body_system(p, [10029205, None]), lambda p: _ae_body_system(p, [10029205, 10021881])
    ),
    # findings
    "TI-FN001": Case(lambda p: set_value(p, "QS", 0, "QSTESTCD", "MRSS_FACE1")),
    "TI-FN002": Case(lambda p: set_value(p, "QS", 0, "QSTEST", "Modified Rodnan skin score of the face area")),
    "TI-FN003": Case(lambda p: add_row(p, "QS", QSSEQ=2, QSTEST="mRSS Forehead", VISITNUM=3, QSDTC="2022-03-31")),
    "TI-FN004": Case(lambda p: set_value(p, "RE", 0, "RESTRESC", "")),
    "TI-FN005": Case(lambda p: set_value(p, "RE", 0, "REORRES", "")),
    "TI-FN006": Case(lambda p: set_value(p, "RE", 0, "RESTAT", "NOT DONE")),
    "TI-FN007": Case(lambda p: set_value(p, "RE", 0, "RESTRESN", 2.4)),
    "TI-FN008": Case(
        lambda p: add_row(p, "QS", QSSEQ=2, QSBLFL="Y", QSORRES="", QSSTRESC="", QSSTRESN=None, QSSTAT="NOT DONE"),
        lambda p: add_row(p, "QS", QSSEQ=2, QSBLFL="Y"),
    ),
    "TI-FN009": Case(lambda p: set_value(set_value(p, "RE", 0, "RESTAT", "NOT DONE"), "RE", 0, "REORRES", "")),
    "TI-FN010": Case(
        lambda p: add_row(p, "RE", RESEQ=2, REORRES="<0.5", RESTRESC="<0.5", RESTRESN=None, REORNRLO="1"),
        lambda p: add_row(p, "RE", RESEQ=2, REORNRLO="1"),
    ),
    # trial summary, TI/IE, TA/TE
    "TI-TS001": Case(lambda p: _drop_ts(p, "TITLE")),
    "TI-TS002": Case(lambda p: _drop_ts(p, "SSTDTC")),
    "TI-TS003": Case(lambda p: _set_ts(p, "SSTDTC", "2022-02")),
    "TI-TS004": Case(lambda p: add_row(p, "TS")),
    "TI-TS005": Case(lambda p: _drop_ts(p, "PCLAS")),
    "TI-TS006": Case(lambda p: _set_ts(p, "TITLE", "")),
    "TI-TS007": Case(
        lambda p: _set_ts(_set_ts(p, "ADAPT", "C49488", column="TSVALCD"), "ADAPT", "CDISC CT", column="TSVCDREF")
    ),
    "TI-TS008": Case(lambda p: _set_ts(p, "RANDOM", "", column="TSVCDVER")),
    "TI-TD001": Case(lambda p: set_value(p, "IE", 0, "IETESTCD", "EXCL09")),
    "TI-TD002": Case(lambda p: set_value(p, "TI", 1, "IETESTCD", "INCL01")),
    "TI-TD003": Case(lambda p: set_value(p, "IE", 0, "IEORRES", "N")),
    "TI-TD004": Case(lambda p: set_value(p, "TA", 2, "ETCD", "LTFU")),
    "TI-TD005": Case(lambda p: set_value(p, "SE", 0, "SEENDTC", "2022-02-28")),
    "TI-TD006": Case(lambda p: set_value(set_value(p, "SE", 0, "SESEQ", 3), "SE", 2, "SESEQ", 1)),
    # terminology
    "TI-CT001": Case(lambda p: set_value(p, "DM", 0, "SEX", "FEMALE")),
    "TI-CT002": Case(lambda p: set_value(p, "EX", 0, "EXROUTE", "IV DRIP")),
    "TI-CT003": Case(lambda p: set_value(p, "RE", 0, "RETEST", "Forced Vital Capacity in 6 Seconds")),
    "TI-CT004": Case(lambda p: _set_ts(p, "RANDOM", "C49488", column="TSVALCD")),
    "TI-CT005": Case(lambda p: _set_ts(p, "TBLIND", "OPEN")),
    # cross-domain
    "TI-XD001": Case(lambda p: set_value(p, "AE", 0, "USUBJID", "NCT05016804-ATG01-999")),
    "TI-XD002": Case(lambda p: set_value(p, "QS", 0, "VISITNUM", 5)),
    "TI-XD003": Case(lambda p: set_value(p, "SV", 2, "VISITNUM", 7)),
    "TI-XD004": Case(lambda p: set_value(p, "QS", 0, "VISIT", "BASELINE")),
    "TI-XD005": Case(lambda p: set_value(p, "SUPPAE", 0, "IDVARVAL", "7")),
    # RELREC
    "TI-RL001": Case(lambda p: _relrec(p, RDOMAIN="CE"), lambda p: _relrec(p)),
    "TI-RL002": Case(lambda p: _relrec(p, IDVAR="AEGRPID"), lambda p: _relrec(p)),
    "TI-RL003": Case(lambda p: _relrec(p, IDVARVAL="9"), lambda p: _relrec(p)),
    "TI-RL004": Case(lambda p: _relrec(p, RELID="R2"), lambda p: _relrec(p)),
    "TI-RL005": Case(lambda p: _relrec(p, USUBJID=""), lambda p: _relrec(p)),
    # define.xml
    "TI-DF001": Case(lambda p: with_define(p, define_for(drop_dataset(p, "RE"))), with_define),
    "TI-DF002": Case(_extra_define_variable, with_define),
    "TI-DF003": Case(lambda p: _define_change(p, "DM", "AGE", data_type="text"), with_define),
    "TI-DF004": Case(lambda p: _define_change(p, "AE", "AETERM", length=5), with_define),
    "TI-DF005": Case(lambda p: _define_change(p, "DM", "AGE", label="Age in years"), with_define),
    "TI-DF006": Case(
        lambda p: _define_with_codelist(p, {"RELATED"}), lambda p: _define_with_codelist(p, {"RELATED", "NOT RELATED"})
    ),
    # this project's specification
    "TI-SP001": Case(lambda p: set_value(_dm_only(p), "DM", 0, "AGEU", "MONTHS"), _dm_only, with_spec=True),
    "TI-SP002": Case(lambda p: set_variable(_dm_only(p), "DM", "AGE", label="Age (years)"), _dm_only, with_spec=True),
    # FHIR
    "TI-FH001": Case(lambda p: _fhir(p, {"resourceType": "Patient", "id": "p1"})),
    "TI-FH002": Case(
        lambda p: _fhir(p, {"resourceType": "Observation", "id": "o1", "subject": {"reference": "Patient/p9"}})
    ),
    "TI-FH003": Case(lambda p: _fhir(p, drop="p2")),
    "TI-FH004": Case(lambda p: _fhir(p, drop="ae2")),
    "TI-FH005": Case(
        fail=lambda p: _fhir(_with_consent(p), _research_subject("2022-02-20")),
        pass_=lambda p: _fhir(_with_consent(p), _research_subject("2022-02-21")),
    ),
}


def _rename_member(p: Package) -> Package:
    ds = p.datasets["AE"]
    return dataclasses.replace(p, datasets={**p.datasets, "AE": dataclasses.replace(ds, member="ADVERSE")})


def _swap_first_variables(p: Package, name: str) -> Package:
    ds = p.datasets[name]
    variables = (ds.variables[1], ds.variables[0], *ds.variables[2:])
    return dataclasses.replace(p, datasets={**p.datasets, name: dataclasses.replace(ds, variables=variables)})


def _ts_row(p: Package, code: str) -> int:
    return list(p.datasets["TS"].frame["TSPARMCD"]).index(code)


def _drop_ts(p: Package, code: str) -> Package:
    ds = p.datasets["TS"]
    frame = ds.frame[ds.frame["TSPARMCD"] != code].reset_index(drop=True)
    return dataclasses.replace(p, datasets={**p.datasets, "TS": dataclasses.replace(ds, frame=frame)})


def _set_ts(p: Package, code: str, value: str, *, column: str = "TSVAL") -> Package:
    return set_value(p, "TS", _ts_row(p, code), column, value)


def _add_column(p: Package, name: str, column: str, value: object) -> Package:
    ds = p.datasets[name]
    return replace_dataset(p, dataclasses.replace(ds, frame=ds.frame.assign(**{column: value})))


def _with_suppdm(p: Package, qnam: str) -> Package:
    record = {"STUDYID": STUDY, "RDOMAIN": "DM", "USUBJID": S1, "IDVAR": "", "IDVARVAL": "", "QNAM": qnam,
              "QLABEL": qnam.title(), "QVAL": "Y", "QORIG": "Assigned", "QEVAL": ""}  # fmt: skip
    return replace_dataset(p, make_dataset("SUPPDM", [record]))


def _fatal_ae(p: Package, end: str) -> Package:
    """S1 died on 2022-04-20 (DM.DTHDTC); AE 2 (pneumonia) was fatal and ended on `end`."""
    p = _add_column(p, "DM", "DTHDTC", "")
    p = set_value(set_value(p, "DM", 0, "DTHDTC", "2022-04-20"), "DM", 0, "DTHFL", "Y")
    return set_value(
        set_value(set_value(p, "AE", 1, "AEOUT", "FATAL"), "AE", 1, "AESDTH", "Y"), "AE", 1, "AEENDTC", end
    )


def _relrec(p: Package, **second: str) -> Package:
    """RELREC relating S1's two AEs (AESEQ 1 and 2, RELID R1); `second` changes the second record."""
    base = {"STUDYID": STUDY, "RDOMAIN": "AE", "USUBJID": S1, "IDVAR": "AESEQ", "IDVARVAL": "1", "RELTYPE": "",
            "RELID": "R1"}  # fmt: skip
    return replace_dataset(p, make_dataset("RELREC", [base, {**base, "IDVARVAL": "2", **second}]))


__all__ = ["CASES", "Case", "clean_package"]

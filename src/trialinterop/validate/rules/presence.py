"""Presence: the datasets a submission must have, and SDTMIG Required / Expected variables and their values."""

from __future__ import annotations

import re
from collections.abc import Iterator

from trialinterop.issues import Severity
from trialinterop.validate.context import Context
from trialinterop.validate.registry import Finding, rule
from trialinterop.validate.rules._common import blank, distinct_counts, row_findings, text


def _missing_dataset(ctx: Context, name: str) -> Iterator[Finding]:
    if ctx.package.datasets and not ctx.package.by_domain(name) and ctx.get(name) is None:
        yield Finding(name, detail=f"{name.lower()}.xpt not found")


@rule(
    id="TI-PR001",
    split="package",
    severity=Severity.REJECT,
    scope="package",
    message="DM dataset is missing",
    references=["FDA Technical Rejection Criteria 1736", "P21 SD1020", "SDTMIG 3.4 DM specification"],
)
def check_dm_present(ctx: Context) -> Iterator[Finding]:
    """Every SDTM package needs Demographics."""
    yield from _missing_dataset(ctx, "DM")


@rule(
    id="TI-PR002",
    split="package",
    severity=Severity.REJECT,
    scope="package",
    message="TS dataset is missing",
    references=["FDA Technical Rejection Criteria 1734", "P21 SD1115", "CORE-000505"],
)
def check_ts_present(ctx: Context) -> Iterator[Finding]:
    """Every SDTM package needs Trial Summary (with SSTDTC)."""
    yield from _missing_dataset(ctx, "TS")


@rule(
    id="TI-PR003",
    split="package",
    severity=Severity.WARNING,
    scope="package",
    message="AE dataset is missing",
    references=["P21 SD1106", "SDTMIG 3.4 AE specification"],
)
def check_ae_present(ctx: Context) -> Iterator[Finding]:
    """Adverse events are expected in every interventional study."""
    yield from _missing_dataset(ctx, "AE")


@rule(
    id="TI-PR004",
    split="package",
    severity=Severity.WARNING,
    scope="package",
    message="EX dataset is missing",
    references=["P21 SD1109", "SDTMIG 3.4 EX specification"],
)
def check_ex_present(ctx: Context) -> Iterator[Finding]:
    """Exposure is expected in every interventional study."""
    yield from _missing_dataset(ctx, "EX")


def _standard_vars(ctx: Context, core: str):
    for ds in ctx.datasets():
        for var in ctx.standard.dataset_variables(ds.domain):
            if var.core == core:
                yield ds, var


@rule(
    id="TI-PR005",
    split="dataset",
    severity=Severity.ERROR,
    scope="standard datasets",
    message="Required variable is missing",
    references=["SDTMIG 3.4 variable Core column", "P21 SD0056"],
)
def check_required_variable_present(ctx: Context) -> Iterator[Finding]:
    """A variable whose SDTMIG core is Req must be in the dataset."""
    for ds, var in _standard_vars(ctx, "Req"):
        if var.name not in ds.frame.columns:
            yield Finding(ds.name, field=var.name)


@rule(
    id="TI-PR006",
    split="dataset",
    severity=Severity.WARNING,
    scope="standard datasets",
    message="Expected variable is missing",
    references=["SDTMIG 3.4 variable Core column", "P21 SD0057"],
)
def check_expected_variable_present(ctx: Context) -> Iterator[Finding]:
    """A variable whose SDTMIG core is Exp should be in the dataset (null values allowed)."""
    for ds, var in _standard_vars(ctx, "Exp"):
        if var.name not in ds.frame.columns:
            yield Finding(ds.name, field=var.name)


@rule(
    id="TI-PR007",
    split="subject",
    severity=Severity.ERROR,
    scope="standard datasets",
    message="Required variable has a null value",
    references=["SDTMIG 3.4 variable Core column", "P21 SD0002"],
)
def check_required_not_null(ctx: Context) -> Iterator[Finding]:
    """Req variables may not be null in any record."""
    for ds, var in _standard_vars(ctx, "Req"):
        if var.name in ds.frame.columns:
            yield from row_findings(ds, blank(ds.frame[var.name]), var.name)


# SDTM v2.0 model: what a dataset of a general observation class may carry besides its SDTMIG table (SDTMIG 3.4 §2.5:
# identifiers, timing variables and the qualifiers of its class; "--" is the domain prefix).
_GENERAL = """STUDYID DOMAIN USUBJID POOLID SPDEVID NHOID FETUSID FOCID --SEQ --GRPID --REFID --RECID --SPID --LNKID
--LNKGRP --BEATNO VISITNUM VISIT VISITDY TAETORD EPOCH RPHASE RPPLDY RPPLSTDY RPPLENDY --DTC --STDTC --ENDTC --DY
--STDY --ENDY --NOMDY --NOMLBL --RPDY --RPSTDY --RPENDY --XDY --XSTDY --XENDY --CHDY --CHSTDY --CHENDY --DUR --TPT
--TPTNUM --ELTM --TPTREF --RFTDTC --STRF --ENRF --EVLINT --EVINTX --STRTPT --STTPT --ENRTPT --ENTPT MIDS RELMIDS
MIDSDTC --STINT --ENINT --DETECT --PTFL --PDUR"""
_CLASS_VARIABLES = {
    "Interventions": """--TRT --MODIFY --DECOD --MOOD --CAT --SCAT --PRESP --OCCUR --REASOC --STAT --REASND --CNTMOD
--EPCHGI --INDC --CLAS --CLASCD --DOSE --DOSTXT --DOSU --TDOSD --FTDOSD --DOSFRM --DOSFRQ --DOSTOT --DOSRGM --ROUTE
--LOT --LOC --METHOD --LAT --DIR --PORTOT --FAST --PSTRG --PSTRGU --TRTV --VAMT --VAMTU --ADJ --RSDISC --USCHFL
--RSTIND --RSTMOD""",
    "Events": """--TERM --MODIFY --LLT --LLTCD --DECOD --EVDTYP --PTCD --HLT --HLTCD --HLGT --HLGTCD --CAT --SCAT
--PRESP --OCCUR --REASOC --STAT --REASND --BODSYS --BDSYCD --SOC --SOCCD --CNTMOD --EPCHGI --LOC --LAT --DIR --PORTOT
--PARTY --PRTYID --SEV --SER --ACN --ACNOTH --ACNDEV --REL --RLDEV --RELNST --PATT --OUT --SCAN --SCONG --SDISAB
--SDTH --SHOSP --SLIFE --SOD --SMIE --SINTV --UNANT --RLPRT --RLPRC --CONTRT --TOX --TOXGR --USCHFL""",
    "Findings": """--TESTCD --TEST --SBMRKS --CELSTA --CSMRKS --CNTMOD --EPCHGI --TSTCND --CNDAGT --BDAGNT --ABCLID
--MRKSTR --GATE --GATDEF --TSTOPO --MSCBCE --AGENT --CONC --CONCU --MODIFY --TSTDTL --SPTSTD --CAT --SCAT --TSTPNL --POS
--BODSYS --ORRES --ORRESU --RESSCL --RESTYP --COLSRT --ORNRLO --ORNRHI --ORREF --LLOD --STRESC --IMPLBL --STRESN
--STRESU --STNRLO --STNRHI --STNRC --STREFC --STREFN --NRIND --RESCAT --INHERT --GENREF --CHROM --SYM --SYMTYP
--GENLOC --GENSR --SEQID --PVRID --COPYID --CHRON --DISTR --RESLOC --STAT --REASND --XFN --NAM --LOINC --SPEC --ANTREG
--SPCCND --SPCUFL --LOC --LAT --DIR --PORTOT --METHOD --RUNID --ANMETH --TMTHSN --LEAD --CSTATE --LOBXFL --BLFL --FAST
--DRVFL --EVAL --EVALID --ACPTFL --TOX --TOXGR --SEV --CLSIG --DTHREL --LLOQ --ULOQ --REASPF --EXCLFL --REASEX
--USCHFL --REPNUM --RSTIND --RSTMOD""",
}
_CLASS_VARIABLES["Findings About"] = _CLASS_VARIABLES["Findings"] + " --OBJ"


def _model_variables(domain: str, dataset_class: str) -> frozenset[str]:
    names = (_GENERAL + " " + _CLASS_VARIABLES[dataset_class]).split()
    return frozenset(name.replace("--", domain) for name in names)


@rule(
    id="TI-PR008",
    split="dataset",
    severity=Severity.ERROR,
    scope="general observation class datasets",
    message="Variable is neither in the domain's SDTMIG table nor allowed by the SDTM model for its class",
    references=[
        "SDTMIG 3.4 §2.5",
        "SDTM v2.0 General Observation Classes",
        "CDISC CG0013",
        "P21 SD0058",
        "CORE-000550",
    ],
)
def check_variable_allowed_by_model(ctx: Context) -> Iterator[Finding]:
    """A standard Interventions, Events, Findings or Findings About dataset may add only the model's identifiers,
    timing variables and qualifiers of its class (with the domain prefix); anything else belongs in SUPP--.
    Special-purpose, trial design and relationship datasets are not judged (their SDTMIG assumptions allow
    additions the model tables do not list, e.g. EPOCH and TAETORD in SV by SV assumption 15a), nor are custom
    domains."""
    for ds in ctx.datasets():
        dataset_class = ctx.standard.dataset_class(ds.domain)
        ig = ctx.standard.dataset_variables(ds.domain)
        if dataset_class not in _CLASS_VARIABLES or not ig or len(ds.domain) != 2:
            continue
        allowed = _model_variables(ds.domain, dataset_class) | {var.name for var in ig}
        for name in ds.frame.columns:
            if name not in allowed:
                yield Finding(ds.name, field=name, detail=f"not an SDTM {dataset_class} variable of {ds.domain}")


def _observation_datasets(ctx: Context):
    """Subject-level datasets of a general observation class with records."""
    for ds in ctx.datasets():
        if len(ds.domain) != 2 or ctx.standard.dataset_class(ds.domain) not in _CLASS_VARIABLES:
            continue
        if "USUBJID" in ds.frame.columns and len(ds.frame):
            yield ds


@rule(
    id="TI-PR010",
    split="dataset",
    severity=Severity.WARNING,
    scope="general observation class datasets with a date",
    message="EPOCH is missing from a subject-level observation dataset with dates",
    references=[
        "FDA Study Data Technical Conformance Guide (EPOCH on every clinical subject-level observation)",
        "CORE-000701",
    ],
)
def check_epoch_present(ctx: Context) -> Iterator[Finding]:
    """FDA asks for EPOCH on every clinical subject-level observation; a dataset with --DTC or --STDTC but no
    EPOCH variable is one finding with its number of records. MH is exempt (as in CORE-000701): its conditions
    began before the study, where no epoch applies."""
    for ds in _observation_datasets(ctx):
        if ds.domain == "MH":
            continue
        dated = {f"{ds.domain}DTC", f"{ds.domain}STDTC"} & set(ds.frame.columns)
        if dated and "EPOCH" not in ds.frame.columns:
            dates = ", ".join(sorted(dated))
            yield Finding(ds.name, field="EPOCH", detail=f"{len(ds.frame)} records, dates in {dates}")


_STUDY_DAY = (("DTC", "DY"), ("STDTC", "STDY"), ("ENDTC", "ENDY"))


@rule(
    id="TI-PR011",
    split="dataset",
    severity=Severity.WARNING,
    scope="general observation class datasets with a date",
    message="Study day variable is missing while its date variable is populated",
    references=[
        "SDTMIG 3.4 §4.4.4 (study day variables)",
        "SDTM v2.0 Timing Variables for All Classes",
        "CORE-000328",
        "CORE-000776",
    ],
)
def check_study_day_present(ctx: Context) -> Iterator[Finding]:
    """--DY goes with --DTC, --STDY with --STDTC, --ENDY with --ENDTC: a populated date without its study day
    variable is one finding per dataset and variable."""
    for ds in _observation_datasets(ctx):
        for date_suffix, day_suffix in _STUDY_DAY:
            date, day = ds.domain + date_suffix, ds.domain + day_suffix
            if date in ds.frame.columns and day not in ds.frame.columns and not blank(ds.frame[date]).all():
                yield Finding(ds.name, field=day, detail=f"{date} is populated")


# SDTMIG 3.4 §5.2 DM assumption 5: COMPLT, FULLSET, ITT, PPROT and SAFETY are no longer SUPPDM qualifiers; population
# flags are ADaM's (ADSL). The ADaM flag names and EFFICACY (the SDTMIG 3.1 examples' efficacy population) too.
POPULATION_FLAG = re.compile(
    r"(COMPLT\w*|FULLSET|ITT|PPROT|SAFETY|EFFICACY|ENRLFL|ENRFL|RANDFL|SAFFL|EFFFL|ITTFL|FASFL|PPROTFL|PPSFL"
    r"|COMPLFL|COMP\d+FL)"
)


@rule(
    id="TI-PR009",
    split="dataset",
    severity=Severity.WARNING,
    scope="SUPPDM",
    message="Population flag kept as a supplemental qualifier of DM (population flags belong in ADaM ADSL)",
    references=["SDTMIG 3.4 §5.2 DM assumption 5", "CDISC CG0528", "CORE-000211"],
)
def check_no_population_flags_in_suppdm(ctx: Context) -> Iterator[Finding]:
    """One finding per population-flag QNAM of a DM supplemental qualifier dataset, with its number of records."""
    for ds in ctx.datasets():
        if ds.domain != "SUPPQUAL" or not {"RDOMAIN", "QNAM"} <= set(ds.frame.columns):
            continue
        qnam = text(ds.frame["QNAM"]).where(text(ds.frame["RDOMAIN"]) == "DM", "")
        names, counts = distinct_counts(qnam[qnam != ""])
        for name, count in sorted(zip(names, counts.tolist(), strict=True)):
            if POPULATION_FLAG.fullmatch(str(name)):
                yield Finding(ds.name, field="QNAM", value=str(name), detail=f"{count} records")

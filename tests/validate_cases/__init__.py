"""Small in-memory SDTM packages for the validator's rule tests: one clean package and helpers to break it.

Records are literal; variable labels come from the bundled SDTMIG metadata and lengths from the values, as a
conforming writer would set them, so that structure rules judge only what a case changes.
"""

from __future__ import annotations

import dataclasses
import math
from functools import cache
from pathlib import Path

import pandas as pd
import pyreadstat

from trialinterop.validate.define import Define, DefineDataset, DefineVariable
from trialinterop.validate.package import Dataset, FhirResources, Package, Variable
from trialinterop.validate.standards import load_standard

STUDY = "TI-TEST-01"  # not this project's study id, so its specification is not applied (see TI-SP cases)
S1 = "NCT05016804-ATG01-001"
S2 = "NCT05016804-ATG01-002"
NA = math.nan


def _is_num(values: list[object]) -> bool:
    present = [v for v in values if not (isinstance(v, float) and math.isnan(v))]
    return bool(present) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present)


def make_dataset(name: str, records: list[dict], *, domain: str | None = None) -> Dataset:
    standard = load_standard()
    columns = list(records[0])
    frame = pd.DataFrame(records, columns=columns)
    variables = []
    dom = domain or ("SUPPQUAL" if name.startswith("SUPP") else name)
    for column in columns:
        std = standard.variable(dom, column)
        all_missing = frame[column].isna().all()
        numeric = _is_num(frame[column].tolist()) or bool(all_missing and std is not None and std.type == "Num")
        if numeric:
            frame[column] = pd.to_numeric(frame[column])
            length = 8
        else:
            frame[column] = frame[column].astype(object)
            length = max([len(str(v).encode()) for v in frame[column]] + [1])
        variables.append(Variable(column, std.label if std else column.title(), "Num" if numeric else "Char", length))
    label = f"Supplemental Qualifiers for {name[4:]}" if dom == "SUPPQUAL" else standard.dataset_labels.get(dom, name)
    return Dataset(name, f"{name.lower()}.xpt", frame, tuple(variables), label, name, "xpt5")


def _rows(common: dict, rows: list[dict]) -> list[dict]:
    return [{**common, **row} for row in rows]


def dm() -> Dataset:
    base = {"STUDYID": STUDY, "DOMAIN": "DM"}
    return make_dataset(
        "DM",
        _rows(
            base,
            [
                {"USUBJID": S1, "SUBJID": "001", "RFSTDTC": "2022-03-01", "RFENDTC": "2023-03-01",
                 "RFXSTDTC": "2022-03-01", "RFXENDTC": "2022-03-01", "DTHFL": "", "SITEID": "ATG01", "AGE": 45,
                 "AGEU": "YEARS", "SEX": "F", "RACE": "WHITE", "ARMCD": "ALLORX", "ARM": "AlloRx",
                 "ACTARMCD": "ALLORX", "ACTARM": "AlloRx", "ARMNRS": "", "COUNTRY": "ATG"},
                {"USUBJID": S2, "SUBJID": "002", "RFSTDTC": "", "RFENDTC": "", "RFXSTDTC": "", "RFXENDTC": "",
                 "DTHFL": "", "SITEID": "ATG01", "AGE": 50, "AGEU": "YEARS", "SEX": "M", "RACE": "ASIAN",
                 "ARMCD": "", "ARM": "", "ACTARMCD": "", "ACTARM": "", "ARMNRS": "SCREEN FAILURE", "COUNTRY": "ATG"},
            ],
        ),
    )  # fmt: skip


def ex() -> Dataset:
    return make_dataset(
        "EX",
        [{"STUDYID": STUDY, "DOMAIN": "EX", "USUBJID": S1, "EXSEQ": 1, "EXTRT": "ALLORX", "EXDOSE": 100,
          "EXDOSU": "10^6 Therapeutic Cells", "EXDOSFRM": "INJECTION, SUSPENSION", "EXROUTE": "INTRAVENOUS",
          "EPOCH": "TREATMENT", "EXSTDTC": "2022-03-01", "EXENDTC": "2022-03-01", "EXSTDY": 1, "EXENDY": 1}],
    )  # fmt: skip


def ae() -> Dataset:
    base = {"STUDYID": STUDY, "DOMAIN": "AE", "USUBJID": S1}
    return make_dataset(
        "AE",
        _rows(
            base,
            [
                {"AESEQ": 1, "AETERM": "HEADACHE", "AEDECOD": "Headache", "AESEV": "MILD", "AESER": "N",
                 "AEACN": "NOT APPLICABLE", "AEREL": "NOT RELATED", "AEOUT": "RECOVERED/RESOLVED", "AESDTH": "N",
                 "AESHOSP": "N", "EPOCH": "FOLLOW-UP", "AESTDTC": "2022-03-05", "AEENDTC": "2022-03-06",
                 "AESTDY": 5, "AEENDY": 6},
                {"AESEQ": 2, "AETERM": "PNEUMONIA", "AEDECOD": "Pneumonia", "AESEV": "SEVERE", "AESER": "Y",
                 "AEACN": "NOT APPLICABLE", "AEREL": "NOT RELATED", "AEOUT": "NOT RECOVERED/NOT RESOLVED",
                 "AESDTH": "N", "AESHOSP": "Y", "EPOCH": "FOLLOW-UP", "AESTDTC": "2022-04-01", "AEENDTC": "",
                 "AESTDY": 32, "AEENDY": NA},
            ],
        ),
    )  # fmt: skip


TS_ROWS = [
    ("ACTSUB", "Actual Number of Subjects", "1"), ("ADAPT", "Adaptive Design", "N"),
    ("ADDON", "Added on to Existing Treatments", "Y"), ("AGEMAX", "Planned Maximum Age of Subjects", ""),
    ("AGEMIN", "Planned Minimum Age of Subjects", "P18Y"), ("DCUTDESC", "Data Cutoff Description", "FINAL"),
    ("DCUTDTC", "Data Cutoff Date", "2023-03-01"), ("FCNTRY", "Planned Country of Investigational Sites", "ATG"),
    ("HLTSUBJI", "Healthy Subject Indicator", "N"), ("LENGTH", "Trial Length", "P49M"),
    ("NARMS", "Planned Number of Arms", "1"), ("OBJPRIM", "Trial Primary Objective", "Safety"),
    ("OUTMSPRI", "Primary Outcome Measure", "ADVERSE EVENTS"), ("PLANSUB", "Planned Number of Subjects", "20"),
    ("RANDOM", "Trial is Randomized", "N"), ("REGID", "Registry Identifier", "NCT05016804"),
    ("SENDTC", "Study End Date", "2023-03-01"), ("SEXPOP", "Sex of Participants", "BOTH"),
    ("SPONSOR", "Clinical Study Sponsor", "FORM"), ("SSTDTC", "Study Start Date", "2022-02-20"),
    ("STOPRULE", "Study Stop Rules", "NONE"), ("STYPE", "Study Type", "INTERVENTIONAL"),
    ("TBLIND", "Trial Blinding Schema", "OPEN LABEL"), ("TCNTRL", "Control Type", "NONE"),
    ("TITLE", "Trial Title", "AlloRx in systemic sclerosis"), ("TPHASE", "Trial Phase Classification", "PHASE I TRIAL"),
    ("TTYPE", "Trial Type", "SAFETY"), ("INTMODEL", "Intervention Model", "SINGLE GROUP"),
    ("INTTYPE", "Intervention Type", "BIOLOGIC"), ("PCLAS", "Pharmacologic Class", "Mesenchymal stem cells"),
]  # fmt: skip


NY_PARAMETERS = {"ADAPT", "ADDON", "HLTSUBJI", "RANDOM"}  # TS parameters valued from the NY codelist
NY_CODES = {"N": "C49487", "Y": "C49488"}


def ts() -> Dataset:
    records = []
    for code, name, value in TS_ROWS:
        records.append(
            {"STUDYID": STUDY, "DOMAIN": "TS", "TSSEQ": 1, "TSPARMCD": code, "TSPARM": name, "TSVAL": value,
             "TSVALNF": "PINF" if not value else "",
             "TSVALCD": NY_CODES.get(value, "") if code in NY_PARAMETERS else "",
             "TSVCDREF": "CDISC CT" if code in NY_PARAMETERS else "",
             "TSVCDVER": "2025-03-28" if code in NY_PARAMETERS else ""}
        )  # fmt: skip
    return make_dataset("TS", records)


def ta() -> Dataset:
    base = {"STUDYID": STUDY, "DOMAIN": "TA", "ARMCD": "ALLORX", "ARM": "AlloRx"}
    return make_dataset(
        "TA",
        _rows(
            base,
            [
                {"TAETORD": 1, "ETCD": "SCRN", "ELEMENT": "Screening", "TABRANCH": "", "TATRANS": "",
                 "EPOCH": "SCREENING"},
                {"TAETORD": 2, "ETCD": "MSC", "ELEMENT": "AlloRx", "TABRANCH": "", "TATRANS": "",
                 "EPOCH": "TREATMENT"},
                {"TAETORD": 3, "ETCD": "FU", "ELEMENT": "Follow-up", "TABRANCH": "", "TATRANS": "",
                 "EPOCH": "FOLLOW-UP"},
            ],
        ),
    )  # fmt: skip


def te() -> Dataset:
    base = {"STUDYID": STUDY, "DOMAIN": "TE"}
    return make_dataset(
        "TE",
        _rows(
            base,
            [
                {"ETCD": "SCRN", "ELEMENT": "Screening", "TESTRL": "Informed consent", "TEENRL": "Infusion",
                 "TEDUR": "P1M"},
                {"ETCD": "MSC", "ELEMENT": "AlloRx", "TESTRL": "Infusion", "TEENRL": "1 day later", "TEDUR": "P1D"},
                {"ETCD": "FU", "ELEMENT": "Follow-up", "TESTRL": "Day 2", "TEENRL": "Month 48", "TEDUR": "P48M"},
            ],
        ),
    )  # fmt: skip


def tv() -> Dataset:
    base = {"STUDYID": STUDY, "DOMAIN": "TV"}
    return make_dataset(
        "TV",
        _rows(
            base,
            [
                {"VISITNUM": 1, "VISIT": "SCREENING", "VISITDY": -10, "ARMCD": "", "TVSTRL": "Before infusion"},
                {"VISITNUM": 2, "VISIT": "DAY 1", "VISITDY": 1, "ARMCD": "", "TVSTRL": "Infusion"},
                {"VISITNUM": 3, "VISIT": "MONTH 1", "VISITDY": 31, "ARMCD": "", "TVSTRL": "1 month after"},
            ],
        ),
    )  # fmt: skip


def sv() -> Dataset:
    rows = [  # USUBJID, VISITNUM, VISIT, EPOCH, SVSTDTC, SVSTDY
        (S1, 1, "SCREENING", "SCREENING", "2022-02-20", -9),
        (S1, 2, "DAY 1", "TREATMENT", "2022-03-01", 1),
        (S1, 3, "MONTH 1", "FOLLOW-UP", "2022-03-31", 31),
        (S2, 1, "SCREENING", "SCREENING", "2022-02-25", NA),
    ]
    records = [
        {"STUDYID": STUDY, "DOMAIN": "SV", "USUBJID": subject, "VISITNUM": num, "VISIT": visit, "SVPRESP": "Y",
         "SVOCCUR": "Y", "EPOCH": epoch, "SVSTDTC": start, "SVSTDY": day}
        for subject, num, visit, epoch, start, day in rows
    ]  # fmt: skip
    return make_dataset("SV", records)


def se() -> Dataset:
    rows = [  # USUBJID, SESEQ, ETCD, ELEMENT, TAETORD, EPOCH, SESTDTC, SEENDTC, SESTDY, SEENDY
        (S1, 1, "SCRN", "Screening", 1, "SCREENING", "2022-02-20", "2022-03-01", -9, 1),
        (S1, 2, "MSC", "AlloRx", 2, "TREATMENT", "2022-03-01", "2022-03-02", 1, 2),
        (S1, 3, "FU", "Follow-up", 3, "FOLLOW-UP", "2022-03-02", "2023-03-01", 2, 366),
    ]
    return make_dataset(
        "SE",
        [
            {"STUDYID": STUDY, "DOMAIN": "SE", "USUBJID": subject, "SESEQ": seq, "ETCD": etcd, "ELEMENT": element,
             "TAETORD": order, "EPOCH": epoch, "SESTDTC": start, "SEENDTC": end, "SESTDY": start_day,
             "SEENDY": end_day}
            for subject, seq, etcd, element, order, epoch, start, end, start_day, end_day in rows
        ],
    )  # fmt: skip


def ti() -> Dataset:
    base = {"STUDYID": STUDY, "DOMAIN": "TI"}
    return make_dataset(
        "TI",
        _rows(
            base,
            [
                {"IETESTCD": "INCL01", "IETEST": "Diagnosis of systemic sclerosis", "IECAT": "INCLUSION"},
                {"IETESTCD": "EXCL01", "IETEST": "Active infection", "IECAT": "EXCLUSION"},
            ],
        ),
    )


def ie() -> Dataset:
    return make_dataset(
        "IE",
        [{"STUDYID": STUDY, "DOMAIN": "IE", "USUBJID": S2, "IESEQ": 1, "IETESTCD": "EXCL01",
          "IETEST": "Active infection", "IECAT": "EXCLUSION", "IEORRES": "Y", "IESTRESC": "Y", "VISITNUM": 1,
          "VISIT": "SCREENING", "EPOCH": "SCREENING", "IEDTC": "2022-02-25", "IEDY": NA}],
    )  # fmt: skip


def qs() -> Dataset:
    return make_dataset(
        "QS",
        [{"STUDYID": STUDY, "DOMAIN": "QS", "USUBJID": S1, "QSSEQ": 1, "QSTESTCD": "MRSS01", "QSTEST": "mRSS Face",
          "QSCAT": "ABC", "QSORRES": "2", "QSSTRESC": "2", "QSSTRESN": 2, "QSSTAT": "", "VISITNUM": 2,
          "VISIT": "DAY 1", "EPOCH": "TREATMENT", "QSDTC": "2022-03-01", "QSDY": 1}],
    )  # fmt: skip


def re_() -> Dataset:
    return make_dataset(
        "RE",
        [{"STUDYID": STUDY, "DOMAIN": "RE", "USUBJID": S1, "RESEQ": 1, "RETESTCD": "FVC",
          "RETEST": "Forced Vital Capacity", "REORRES": "2.5", "REORRESU": "L", "RESTRESC": "2.5", "RESTRESN": 2.5,
          "RESTRESU": "L", "RESTAT": "", "VISITNUM": 2, "VISIT": "DAY 1", "EPOCH": "TREATMENT",
          "REDTC": "2022-03-01", "REDY": 1}],
    )  # fmt: skip


def suppae() -> Dataset:
    return make_dataset(
        "SUPPAE",
        [{"STUDYID": STUDY, "RDOMAIN": "AE", "USUBJID": S1, "IDVAR": "AESEQ", "IDVARVAL": "1", "QNAM": "AETRTEM",
          "QLABEL": "Treatment Emergent Flag", "QVAL": "Y", "QORIG": "Derived", "QEVAL": ""}],
    )  # fmt: skip


def fhir() -> FhirResources:
    resources = (
        {"resourceType": "Patient", "id": "p1", "identifier": [{"value": S1}]},
        {"resourceType": "Patient", "id": "p2", "identifier": [{"value": S2}]},
        {"resourceType": "AdverseEvent", "id": "ae1", "subject": {"reference": "Patient/p1"},
         "onsetDateTime": "2022-03-05"},
        {"resourceType": "AdverseEvent", "id": "ae2", "subject": {"reference": "Patient/p1"},
         "onsetDateTime": "2022-04-01"},
    )  # fmt: skip
    return FhirResources(resources, ("bundle.json",) * len(resources), ())


@cache
def clean_package() -> Package:
    """Built once: packages are immutable here (mutations copy), and the validator never changes data."""
    datasets = [dm(), ex(), ae(), ts(), ta(), te(), tv(), sv(), se(), ti(), ie(), qs(), re_(), suppae()]
    return Package({d.name: d for d in sorted(datasets, key=lambda d: d.name)}, None, fhir(), ("package",))


def define_for(package: Package) -> Define:
    """A define.xml model that agrees with the package (as a correct define would)."""
    datasets = {}
    for ds in package.datasets.values():
        variables = {
            v.name: DefineVariable(v.name, "integer" if v.type == "Num" else "text", v.length, v.label, False, n, None)
            for n, v in enumerate(ds.variables, start=1)
        }
        datasets[ds.name] = DefineDataset(ds.name, ds.label, variables)
    return Define("define.xml", datasets, {})


# -- mutations: each returns a new package, the input is left alone -------------------------------------------------


def with_define(package: Package, define: Define | None = None) -> Package:
    return dataclasses.replace(package, define=define or define_for(package))


def replace_dataset(package: Package, dataset: Dataset) -> Package:
    datasets = dict(package.datasets)
    datasets[dataset.name] = dataset
    return dataclasses.replace(package, datasets=dict(sorted(datasets.items())))


def drop_dataset(package: Package, name: str) -> Package:
    return dataclasses.replace(package, datasets={k: v for k, v in package.datasets.items() if k != name})


def set_value(package: Package, name: str, row: int, column: str, value: object) -> Package:
    ds = package.datasets[name]
    frame = ds.frame.copy()
    if column not in frame.columns:
        raise KeyError(column)
    if isinstance(value, str):
        frame[column] = frame[column].astype(object)
    elif isinstance(value, float):
        frame[column] = frame[column].astype(float)
    frame.loc[frame.index[row], column] = value
    return replace_dataset(package, dataclasses.replace(ds, frame=frame))


def drop_column(package: Package, name: str, column: str) -> Package:
    ds = package.datasets[name]
    variables = tuple(v for v in ds.variables if v.name != column)
    return replace_dataset(package, dataclasses.replace(ds, frame=ds.frame.drop(columns=[column]), variables=variables))


def set_variable(package: Package, name: str, column: str, /, **changes: object) -> Package:
    ds = package.datasets[name]
    variables = tuple(dataclasses.replace(v, **changes) if v.name == column else v for v in ds.variables)
    return replace_dataset(package, dataclasses.replace(ds, variables=variables))


def add_row(package: Package, name: str, **values: object) -> Package:
    """Append a copy of the first record with some values changed."""
    ds = package.datasets[name]
    record = {**ds.frame.iloc[0].to_dict(), **values}
    frame = pd.concat([ds.frame, pd.DataFrame([record])], ignore_index=True)
    return replace_dataset(package, dataclasses.replace(ds, frame=frame))


def with_fhir(package: Package, resources: list[dict]) -> Package:
    return dataclasses.replace(package, fhir=FhirResources(tuple(resources), ("x.ndjson",) * len(resources), ()))


def write_xpt_package(package: Package, folder: Path) -> Path:
    """Write each dataset of an in-memory package as a SAS XPORT v5 file (labels kept)."""
    folder.mkdir(parents=True, exist_ok=True)
    for ds in package.datasets.values():
        pyreadstat.write_xport(
            ds.frame,
            str(folder / f"{ds.name.lower()}.xpt"),
            file_label=ds.label,
            column_labels=[v.label for v in ds.variables],
            table_name=ds.name,
            file_format_version=5,
        )
    return folder

"""CM and MH builders on hand-made XANAD01 records: literal expected rows; the validator on CM and MH.

Two subjects: 1001 (site 701, arm Xan_Lo) consented 2013-01-02, patches from 2013-01-10 to 2013-07-10 (screening
until the first, treatment to the last); 1002 (site 703) a screen failure consented 2013-02-01, last seen at the
screening visit on 2013-02-05, never treated.
"""

from __future__ import annotations

import math

import pandas as pd

from trialinterop.ct import load_terminology
from trialinterop.define.build import build_define
from trialinterop.define.check import check_define
from trialinterop.definition import bundled_definition
from trialinterop.sdtm.build import build_sdtm
from trialinterop.sdtm.conform import conform
from trialinterop.sdtm.context import SdtmContext, build_context
from trialinterop.sdtm.domains.cm import build_cm
from trialinterop.sdtm.domains.mh import build_mh
from trialinterop.source import models as m
from trialinterop.spec import load_spec, with_data_terms
from trialinterop.validate.engine import run_rules
from validate_cases import NA, STUDY, clean_package, make_dataset, replace_dataset
from validate_cases import S1 as V1
from validate_cases import S2 as V2

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3"}

S1, S2 = "XANAD01-701-1001", "XANAD01-703-1002"

CM_VARIABLES = (
    "STUDYID", "DOMAIN", "USUBJID", "CMSEQ", "CMSPID", "CMTRT", "CMDECOD", "CMINDC", "CMCLAS", "CMDOSE", "CMDOSU",
    "CMDOSFRQ", "CMROUTE", "EPOCH", "CMSTDTC", "CMENDTC", "CMSTDY", "CMENDY", "CMENRTPT", "CMENTPT",
)  # fmt: skip
MH_VARIABLES = (
    "STUDYID", "DOMAIN", "USUBJID", "MHSEQ", "MHSPID", "MHTERM", "MHDECOD", "MHCAT", "MHBODSYS", "MHSOC", "EPOCH",
    "MHSTDTC", "MHENDTC", "MHSTDY", "MHENDY", "MHENRTPT", "MHENTPT",
)  # fmt: skip


def records(**overrides: object) -> m.TrialRecords:
    parts: dict[str, object] = {
        "subjects": (
            m.Subject("1001", "701", "F", "USA", "2013-01-02", "Y", age=71, arm="Xan_Lo"),
            m.Subject("1002", "703", "M", "USA", "2013-02-01", "N", age=80),
        ),
        "exposures": (m.Exposure("1001", "XANOMELINE 54 MG", "2013-01-10", 54, "mg", "TRANSDERMAL", "2013-07-10"),),
        "visits": (m.Visit("1001", 1, "Y", "2013-01-02"), m.Visit("1002", 1, "Y", "2013-02-05")),
        "medications": (
            m.ConcomitantMedication(
                "1001", 2, "PARACETAMOL", "PARACETAMOL", "ANILIDES", "HEADACHE", 1000, "mg", "intravenous",
                "Once", "2013-01-15", "2013-01-15", "N",
            ),
            m.ConcomitantMedication(
                "1001", 1, "ASPIRIN", "ACETYLSALICYLIC ACID", "SALICYLIC ACID AND DERIVATIVES", "PROPHYLAXIS", 81,
                "mg", "ORAL", "QD", "2010", None, "Y",
            ),
            m.ConcomitantMedication("1001", 3, "DONEPEZIL", start="2012-12", end="2013-01-05"),
            m.ConcomitantMedication("1002", 1, "IBUPROFEN", dose=400.5, start="2013-02-02", ongoing="Y"),
        ),
        "medical_history": (
            m.MedicalHistoryEvent(
                "1001", 1, "HYPERTENSION", "Hypertension", "Vascular disorders", "GENERAL MEDICAL HISTORY", "2005",
                ongoing="Y",
            ),
            m.MedicalHistoryEvent(
                "1001", 2, "BROKEN LEG", "Lower limb fracture", "Injury, poisoning and procedural complications",
                "GENERAL MEDICAL HISTORY", "1998-06", "1998-09", "N",
            ),
            m.MedicalHistoryEvent("1001", 3, "FORGETFULNESS", start="2013-01-05"),
            m.MedicalHistoryEvent("1002", 1, "ASTHMA", "Asthma", ongoing="Y"),
        ),
    }  # fmt: skip
    parts.update(overrides)
    return m.TrialRecords(bundled_definition("XANAD01"), **parts)  # type: ignore[arg-type]


def context(trial: m.TrialRecords) -> SdtmContext:
    return build_context(trial, load_terminology())


def rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    def plain(value: object) -> object:
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return None
        return value.item() if hasattr(value, "item") else value

    return [tuple(plain(v) for v in row) for row in frame[columns].itertuples(index=False, name=None)]


def test_cm_variables_in_sdtmig_order() -> None:
    trial = records()
    assert tuple(build_cm(trial, context(trial)).columns) == CM_VARIABLES


def test_cm_one_record_per_medication_sorted_by_name_and_start() -> None:
    trial = records()
    cm = build_cm(trial, context(trial))
    assert rows(cm, ["STUDYID", "DOMAIN", "USUBJID", "CMSEQ", "CMSPID", "CMTRT", "CMDECOD", "CMCLAS", "CMINDC"]) == [
        ("XANAD01", "CM", S1, 1, "1", "ASPIRIN", "ACETYLSALICYLIC ACID", "SALICYLIC ACID AND DERIVATIVES",
         "PROPHYLAXIS"),
        ("XANAD01", "CM", S1, 2, "3", "DONEPEZIL", None, None, None),
        ("XANAD01", "CM", S1, 3, "2", "PARACETAMOL", "PARACETAMOL", "ANILIDES", "HEADACHE"),
        ("XANAD01", "CM", S2, 1, "1", "IBUPROFEN", None, None, None),
    ]  # fmt: skip


def test_cm_dose_unit_frequency_and_route_through_controlled_terminology() -> None:
    trial = records()
    cm = build_cm(trial, context(trial))
    assert str(cm["CMDOSE"].dtype) == "Float64"
    assert rows(cm, ["CMDOSE", "CMDOSU", "CMDOSFRQ", "CMROUTE"]) == [
        (81.0, "mg", "QD", "ORAL"),  # not in mappings/codelists.csv: kept as collected for conform to report
        (None, None, None, None),
        (1000.0, "mg", "ONCE", "INTRAVENOUS"),  # a decode and a lower-case term become submission values
        (400.5, None, None, None),
    ]


def test_cm_timing_partial_dates_study_days_epoch_and_ongoing() -> None:
    trial = records()
    cm = build_cm(trial, context(trial))
    assert rows(cm, ["EPOCH", "CMSTDTC", "CMENDTC", "CMSTDY", "CMENDY", "CMENRTPT", "CMENTPT"]) == [
        (None, "2010", None, None, None, "ONGOING", "END OF STUDY"),  # before the study: no EPOCH, no study day
        (None, "2012-12", "2013-01-05", None, -5, None, None),  # partial start; ongoing not answered
        ("TREATMENT", "2013-01-15", "2013-01-15", 6, 6, "BEFORE", "END OF STUDY"),
        ("SCREENING", "2013-02-02", None, None, None, "ONGOING", "END OF STUDY"),  # never treated: no RFSTDTC
    ]


def test_mh_variables_in_sdtmig_order_without_mhdy() -> None:
    trial = records()
    assert tuple(build_mh(trial, context(trial)).columns) == MH_VARIABLES


def test_mh_coding_category_and_sequence() -> None:
    trial = records()
    mh = build_mh(trial, context(trial))
    assert rows(mh, ["STUDYID", "DOMAIN", "USUBJID", "MHSEQ", "MHSPID", "MHTERM", "MHDECOD", "MHCAT", "MHBODSYS"]) == [
        ("XANAD01", "MH", S1, 1, "2", "BROKEN LEG", "Lower limb fracture", "GENERAL MEDICAL HISTORY",
         "Injury, poisoning and procedural complications"),
        ("XANAD01", "MH", S1, 2, "3", "FORGETFULNESS", None, None, None),
        ("XANAD01", "MH", S1, 3, "1", "HYPERTENSION", "Hypertension", "GENERAL MEDICAL HISTORY",
         "Vascular disorders"),
        ("XANAD01", "MH", S2, 1, "1", "ASTHMA", "Asthma", None, None),
    ]  # fmt: skip


def test_mh_timing_ongoing_relative_to_informed_consent() -> None:
    trial = records()
    mh = build_mh(trial, context(trial))
    assert rows(mh, ["EPOCH", "MHSTDTC", "MHENDTC", "MHENRTPT", "MHENTPT"]) == [
        (None, "1998-06", "1998-09", "BEFORE", "2013-01-02"),
        ("SCREENING", "2013-01-05", None, None, None),  # began after consent: in the screening element
        (None, "2005", None, "ONGOING", "2013-01-02"),
        (None, None, None, "ONGOING", "2013-02-01"),
    ]


def test_package_holds_cm_and_mh_only_when_there_are_records() -> None:
    with_both = build_sdtm(records(), load_terminology())
    assert {"CM", "MH"} <= set(with_both) and len(with_both["CM"]) == 4 and len(with_both["MH"]) == 4
    assert {"CM", "MH"} & set(build_sdtm(records(medications=(), medical_history=()), load_terminology())) == set()
    assert "MH" not in build_sdtm(records(medical_history=()), load_terminology())


def test_spec_rows_conform_cm_and_mh_and_describe_them_in_define_xml() -> None:
    trial = records()
    ctx = context(trial)
    spec = load_spec(definition=trial.definition)
    conformed, issues = conform({"CM": build_cm(trial, ctx), "MH": build_mh(trial, ctx)}, spec)
    # mg, QD and ORAL are CDISC CT terms of UNIT, FREQ and ROUTE: collected values the study's lists take in
    assert [(i.rule, i.where, i.field, i.value) for i in issues] == []
    assert list(conformed["MH"].columns) == [
        "STUDYID", "DOMAIN", "USUBJID", "MHSEQ", "MHSPID", "MHTERM", "MHDECOD", "MHCAT", "MHBODSYS", "MHSOC", "EPOCH",
        "MHSTDTC", "MHENDTC", "MHSTDY", "MHENDY", "MHENRTPT", "MHENTPT",
    ]  # fmt: skip
    assert conformed["MH"]["MHSTDY"].tolist()[1] == -5  # 2013-01-05, five days before RFSTDTC 2013-01-10
    define = build_define(with_data_terms(spec, conformed), conformed)
    assert check_define(define) == []
    units = define.xpath("//odm:CodeList[@OID='CL.UNIT']/*/@CodedValue", namespaces=NS)
    assert "mg" in units


def test_no_records_give_empty_frames_with_the_variables() -> None:
    trial = records(medications=(), medical_history=())
    ctx = context(trial)
    cm, mh = build_cm(trial, ctx), build_mh(trial, ctx)
    assert cm.empty and tuple(cm.columns) == CM_VARIABLES
    assert mh.empty and tuple(mh.columns) == MH_VARIABLES


def _validated_cm_mh(cm_epoch: str = "FOLLOW-UP") -> list[tuple[str, str, str, str]]:
    """The validator's findings on CM and MH added to its clean package (subject V1: SE from 2022-02-20 to
    2023-03-01, RFSTDTC 2022-03-01; V2: screen failure without SE), as conform writes them (partial dates: null
    study days)."""
    columns = ("STUDYID", "DOMAIN", "USUBJID", "CMSEQ", "CMSPID", "CMTRT", "CMDOSE", "CMDOSU", "CMDOSFRQ",
               "CMROUTE", "EPOCH", "CMSTDTC", "CMSTDY", "CMENRTPT", "CMENTPT")  # fmt: skip
    cm = make_dataset(
        "CM",
        [
            dict(zip(columns, values, strict=True))
            for values in (
                (STUDY, "CM", V1, 1, "1", "ASPIRIN", 81, "mg", "QD", "ORAL", "", "2010", NA, "ONGOING",
                 "END OF STUDY"),
                (STUDY, "CM", V1, 2, "2", "PARACETAMOL", 1000, "mg", "ONCE", "INTRAVENOUS", cm_epoch, "2022-03-05",
                 5, "BEFORE", "END OF STUDY"),
            )
        ],
    )  # fmt: skip
    mh = make_dataset(
        "MH",
        [
            {"STUDYID": STUDY, "DOMAIN": "MH", "USUBJID": V1, "MHSEQ": 1, "MHSPID": "1", "MHTERM": "BROKEN LEG",
             "MHDECOD": "Lower limb fracture", "MHCAT": "GENERAL MEDICAL HISTORY",
             "MHBODSYS": "Injury, poisoning and procedural complications", "EPOCH": "", "MHSTDTC": "1998-06",
             "MHENDTC": "1998-09", "MHSTDY": NA, "MHENDY": NA, "MHENRTPT": "BEFORE", "MHENTPT": "2022-02-20"},
            {"STUDYID": STUDY, "DOMAIN": "MH", "USUBJID": V2, "MHSEQ": 1, "MHSPID": "1", "MHTERM": "ASTHMA",
             "MHDECOD": "Asthma", "MHCAT": "", "MHBODSYS": "", "EPOCH": "", "MHSTDTC": "", "MHENDTC": "",
             "MHSTDY": NA, "MHENDY": NA, "MHENRTPT": "ONGOING", "MHENTPT": "2022-02-25"},
        ],
    )  # fmt: skip
    package = replace_dataset(replace_dataset(clean_package(), cm), mh)
    return [(i.rule, i.where, i.field, i.value) for i in run_rules(package) if i.where in ("CM", "MH")]


def test_validator_reports_nothing_on_cm_and_mh_as_built() -> None:
    # no EPOCH for records that began before the subject's first element (TI-DT006 leaves them alone)
    assert _validated_cm_mh() == []


def test_validator_still_reports_a_missing_epoch_inside_the_study() -> None:
    assert _validated_cm_mh(cm_epoch="") == [("TI-DT006", "CM", "EPOCH", "2022-03-05")]

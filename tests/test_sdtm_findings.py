"""The findings builder (QS, RE, VS, LB) on hand-made records of NCT05016804 and XANAD01: literal expected rows.

NCT05016804 records are the SDTM factory's (tests/test_sdtm_factory.py): subject 01-001 infused on 2022-03-10T10:00,
mRSS at visits 1 (total left blank: derived), 2 (total collected) and 4 (one area not done), spirometry at 1, 2 and
not done at 4. XANAD01: subject 1001 (arm Xan_Lo) consented 2013-01-02, first patch 2013-01-10.
"""

from __future__ import annotations

from test_sdtm_factory import context, records, rows
from trialinterop.ct import load_terminology
from trialinterop.definition import bundled_definition
from trialinterop.sdtm.context import build_context
from trialinterop.sdtm.domains.findings import build_findings
from trialinterop.source import models as m
from trialinterop.spec import load_spec

NCT = load_spec(definition=bundled_definition("NCT05016804"))
XANAD01 = load_spec(definition=bundled_definition("XANAD01"))
X1 = "XANAD01-701-1001"


def _nct(domain: str, trial: m.TrialRecords | None = None):
    trial = trial or records()
    return build_findings(trial, context(trial), domain, variables=NCT.variables(domain))


def test_qs_items_total_and_not_done() -> None:
    qs = _nct("QS")
    assert len(qs) == 3 * 18
    area = qs[qs.QSTESTCD == "MRSS0101"]
    assert rows(area, ["QSSEQ", "QSTEST", "QSCAT", "QSORRES", "QSSTRESC", "QSSTRESN", "QSSTAT", "QSREASND"]) == [
        (1, "MRSS01-Fingers Right", "MRSS", "1", "1", 1.0, None, None),
        (2, "MRSS01-Fingers Right", "MRSS", "2", "2", 2.0, None, None),
        (3, "MRSS01-Fingers Right", "MRSS", None, None, None, "NOT DONE", "PATIENT REFUSED"),
    ]
    total = qs[qs.QSTESTCD == "MRSS0118"]
    assert rows(total, ["QSTEST", "QSORRES", "QSSTRESN", "QSDRVFL", "QSSTAT", "QSREASND", "QSLOBXFL"]) == [
        ("MRSS01-Total Skin Score", "17", 17.0, "Y", None, None, None),  # derived: total left blank
        ("MRSS01-Total Skin Score", "34", 34.0, None, None, None, "Y"),  # collected; date-only on infusion day
        ("MRSS01-Total Skin Score", None, None, None, "NOT DONE", "PATIENT REFUSED", None),  # one area missing
    ]
    assert rows(total, ["VISITNUM", "VISIT", "EPOCH", "QSDTC", "QSDY"]) == [
        (1.0, "SCREENING", "SCREENING", "2022-03-01", -9),
        (2.0, "DAY 1", "TREATMENT", "2022-03-10", 1),
        (4.0, "MONTH 6", "FOLLOW-UP", "2022-09-05", 180),
    ]
    assert rows(qs[qs.QSTESTCD == "MRSS0117"], ["QSTEST"]) == [("MRSS01-Feet Left",)] * 3


def test_qs_has_the_variables_of_today_and_no_unused_permissible_one() -> None:
    assert list(_nct("QS").columns) == [
        "STUDYID",
        "DOMAIN",
        "USUBJID",
        "QSSEQ",
        "QSTESTCD",
        "QSTEST",
        "QSCAT",
        "QSORRES",
        "QSSTRESC",
        "QSSTRESN",
        "QSSTAT",
        "QSREASND",
        "QSLOBXFL",
        "QSBLFL",
        "QSDRVFL",
        "VISITNUM",
        "VISIT",
        "EPOCH",
        "QSDTC",
        "QSDY",
    ]  # fmt: skip  (QSSCAT, QSORRESU, QSSTRESU, QSMETHOD, QSTPT: nothing in NCT05016804 fills them)


def test_total_with_a_component_never_recorded_is_not_done_without_reason() -> None:
    findings = tuple(f for f in records().findings if not (f.testcd == "MRSS0105" and f.visit_num == 1))
    qs = _nct("QS", records(findings=findings))
    total = qs[(qs.QSTESTCD == "MRSS0118") & (qs.VISITNUM == 1)]
    assert rows(total, ["QSORRES", "QSSTAT", "QSREASND", "QSDRVFL", "QSDTC"]) == [
        (None, "NOT DONE", None, None, "2022-03-01")
    ]
    assert len(qs) == 3 * 18 - 1


def test_re_fvc_with_predicted_value_and_percent_predicted() -> None:
    re_ = _nct("RE")
    columns = ["RESEQ", "RETESTCD", "RETEST", "REORRES", "REORRESU", "REORREF", "RESTRESN", "RESTREFN", "RESTRESU"]
    assert rows(re_, columns) == [
        (1, "FVC", "Forced Vital Capacity", "2.5", "L", "3", 2.5, 3.0, "L"),
        (2, "FVC", "Forced Vital Capacity", "2.4", "L", "3", 2.4, 3.0, "L"),
        (3, "FVC", "Forced Vital Capacity", None, None, None, None, None, None),
        (4, "FVCPP", "Percent Predicted Forced Vital Capacity", "83.3", "%", None, 83.3, None, "%"),
        (5, "FVCPP", "Percent Predicted Forced Vital Capacity", "80", "%", None, 80.0, None, "%"),
        (6, "FVCPP", "Percent Predicted Forced Vital Capacity", None, None, None, None, None, None),
    ]
    assert rows(re_, ["RESTAT", "REREASND", "REMETHOD", "REPOS", "RELOBXFL", "VISIT", "EPOCH", "REDY"]) == [
        (None, None, "SPIROMETRY", "SITTING", "Y", "SCREENING", "SCREENING", -9),
        (None, None, "SPIROMETRY", "SITTING", None, "DAY 1", "TREATMENT", 1),  # 14:00, after the infusion
        ("NOT DONE", "SPIROMETER OUT OF SERVICE", "SPIROMETRY", None, None, "MONTH 6", "FOLLOW-UP", None),
        (None, None, "SPIROMETRY", "SITTING", "Y", "SCREENING", "SCREENING", -9),
        (None, None, "SPIROMETRY", "SITTING", None, "DAY 1", "TREATMENT", 1),
        ("NOT DONE", "SPIROMETER OUT OF SERVICE", "SPIROMETRY", None, None, "MONTH 6", "FOLLOW-UP", None),
    ]  # a test not done takes the EPOCH of its visit (2022-09-05); REMETHOD is the instrument's method
    assert list(re_.columns) == [
        "STUDYID", "DOMAIN", "USUBJID", "RESEQ", "RETESTCD", "RETEST", "REPOS", "REORRES", "REORRESU", "REORREF",
        "RESTRESC", "RESTRESN", "RESTRESU", "RESTREFN", "RESTAT", "REREASND", "REMETHOD", "RELOBXFL", "REBLFL",
        "VISITNUM", "VISIT", "EPOCH", "REDTC", "REDY",
    ]  # fmt: skip


# ---- XANAD01 --------------------------------------------------------------------------------------------------------

LYING, STANDING = "AFTER LYING DOWN FOR 5 MINUTES", "AFTER STANDING FOR 1 MINUTE"


def _xanad01_findings() -> tuple[m.Finding, ...]:
    f = m.Finding
    npi_scores = ("NPITM01S", "NPITM02S", "NPITM03S", "NPITM04S", "NPITM05S", "NPITM07S", "NPITM08S", "NPITM09S",
                  "NPITM10S")  # fmt: skip
    return (
        f("1001", "VS", "SYSBP", 1, LYING, "2013-01-02T09:00", "128", "mmHg", position="SUPINE"),
        f("1001", "VS", "SYSBP", 1, STANDING, "2013-01-02T09:06", "121", "mmHg", position="STANDING"),
        f("1001", "VS", "SYSBP", 3, LYING, "2013-01-10T08:00", "131", "mmHg", position="SUPINE"),
        f("1001", "VS", "TEMP", 1, None, "2013-01-02T09:00", "37.26", "C"),
        f("1001", "VS", "WEIGHT", 1, None, "2013-01-02T09:00", status="NOT DONE", reason_not_done="SCALE BROKEN"),
        f("1001", "CHEM", "ALB", 1, None, "2013-01-02T10:00", "3.2", "g/dL"),
        f("1001", "CHEM", "BILI", 1, None, "2013-01-02T10:00", "0.5", "mg/dL"),
        f("1001", "CHEM", "GLUC", 1, None, "2013-01-02T10:00", "130", "mg/dL", normal_low=70, normal_high=110),
        f("1001", "HEMA", "HGB", 1, None, "2013-01-02T10:00", status="NOT DONE", reason_not_done="HEMOLYZED"),
        f("1001", "NPIX", "NPITM01", 3, None, "2013-01-10", "ABSENT"),
        *(f("1001", "NPIX", code, 3, None, "2013-01-10", str(n)) for n, code in enumerate(npi_scores, start=1)),
    )


def _xanad01(domain: str):
    trial = m.TrialRecords(
        bundled_definition("XANAD01"),
        subjects=(m.Subject("1001", "701", "F", "USA", "2013-01-02", "Y", age=71, arm="Xan_Lo"),),
        exposures=(m.Exposure("1001", "XANOMELINE 54 MG", "2013-01-10T12:00", 54, "mg", "TRANSDERMAL", "2013-07-10"),),
        visits=(m.Visit("1001", 1, "Y", "2013-01-02"), m.Visit("1001", 3, "Y", "2013-01-10")),
        findings=_xanad01_findings(),
    )
    return build_findings(trial, build_context(trial, load_terminology()), domain, variables=XANAD01.variables(domain))


def test_vs_positions_time_points_and_decimals() -> None:
    vs = _xanad01("VS")
    assert list(vs.columns) == [
        "STUDYID",
        "DOMAIN",
        "USUBJID",
        "VSSEQ",
        "VSTESTCD",
        "VSTEST",
        "VSPOS",
        "VSORRES",
        "VSORRESU",
        "VSSTRESC",
        "VSSTRESN",
        "VSSTRESU",
        "VSSTAT",
        "VSREASND",
        "VSLOBXFL",
        "VISITNUM",
        "VISIT",
        "EPOCH",
        "VSDTC",
        "VSDY",
        "VSTPT",
    ]  # fmt: skip  (no VSCAT, VSSCAT or VSDRVFL: the definition gives none)
    columns = ["VSSEQ", "VSTESTCD", "VSPOS", "VSTPT", "VSORRES", "VSORRESU", "VSSTRESC", "VSSTRESN", "VSSTRESU"]
    assert rows(vs, columns) == [
        (1, "SYSBP", "SUPINE", LYING, "128", "mmHg", "128", 128.0, "mmHg"),
        (2, "SYSBP", "STANDING", STANDING, "121", "mmHg", "121", 121.0, "mmHg"),
        (3, "SYSBP", "SUPINE", LYING, "131", "mmHg", "131", 131.0, "mmHg"),
        (4, "TEMP", None, None, "37.26", "C", "37.3", 37.3, "C"),  # decimals: 1
        (5, "WEIGHT", None, None, None, None, None, None, None),
    ]
    assert rows(vs, ["VSSTAT", "VSREASND", "VSLOBXFL", "VISIT", "EPOCH", "VSDTC", "VSDY"]) == [
        (None, None, None, "SCREENING 1", "SCREENING", "2013-01-02T09:00", -8),
        (None, None, None, "SCREENING 1", "SCREENING", "2013-01-02T09:06", -8),
        (None, None, "Y", "BASELINE", "SCREENING", "2013-01-10T08:00", 1),  # before the first patch at 12:00
        (None, None, "Y", "SCREENING 1", "SCREENING", "2013-01-02T09:00", -8),
        ("NOT DONE", "SCALE BROKEN", None, "SCREENING 1", "SCREENING", "2013-01-02T09:00", -8),
    ]


def test_lb_conversion_normal_range_and_indicator() -> None:
    lb = _xanad01("LB")
    columns = ["LBSEQ", "LBCAT", "LBTESTCD", "LBORRES", "LBORRESU", "LBORNRLO", "LBORNRHI", "LBNRIND", "LBSPEC"]
    assert rows(lb, columns) == [
        (1, "CHEMISTRY", "ALB", "3.2", "g/dL", "3.5", "4.6", "LOW", "SERUM"),
        (2, "CHEMISTRY", "BILI", "0.5", "mg/dL", "0.2", "1.2", "NORMAL", "SERUM"),
        (3, "CHEMISTRY", "GLUC", "130", "mg/dL", "70", "110", "HIGH", "SERUM"),  # the record's own range
        (4, "HEMATOLOGY", "HGB", None, None, None, None, None, "BLOOD"),
    ]
    assert rows(lb, ["LBSTRESC", "LBSTRESN", "LBSTRESU", "LBSTNRLO", "LBSTNRHI", "LBSTAT", "LBREASND"]) == [
        ("32", 32.0, "g/L", 35.0, 46.0, None, None),
        ("8.55", 8.55, "umol/L", 3.42, 20.52, None, None),
        ("7.2163", 7.2163, "mmol/L", 3.8857, 6.1061, None, None),
        (None, None, None, None, None, "NOT DONE", "HEMOLYZED"),
    ]
    assert "LBDRVFL" not in lb.columns and "LBTPT" not in lb.columns and "LBLOBXFL" in lb.columns


def test_qs_text_results_subcategories_and_derived_total() -> None:
    qs = _xanad01("QS")
    columns = ["QSTESTCD", "QSCAT", "QSSCAT", "QSORRES", "QSSTRESC", "QSSTRESN", "QSDRVFL", "QSDTC"]
    assert rows(qs[qs.QSTESTCD.isin(["NPITM01", "NPITM01S", "NPITM10S", "NPTOT"])], columns) == [
        ("NPITM01", "NPI", "DELUSIONS", "ABSENT", "ABSENT", None, None, "2013-01-10"),
        ("NPITM01S", "NPI", "DELUSIONS", "1", "1", 1.0, None, "2013-01-10"),
        ("NPITM10S", "NPI", "ABERRANT MOTOR BEHAVIOR", "9", "9", 9.0, None, "2013-01-10"),
        ("NPTOT", "NPI", None, "45", "45", 45.0, "Y", "2013-01-10"),  # the sum of the nine scores
    ]
    assert len(qs) == 11


def test_lb_derived_standard_result_alone_gets_its_indicator_from_the_standard_range() -> None:
    """A derived record with no --ORRES: --NRIND compares its standard result (g/L) with --STNRLO/--STNRHI (ALB's
    3.5-4.6 g/dL are 35-46 g/L), not with the original-unit range."""
    trial = m.TrialRecords(
        bundled_definition("XANAD01"),
        subjects=(m.Subject("1001", "701", "F", "USA", "2013-01-02", "Y", age=71, arm="Xan_Lo"),),
        visits=(m.Visit("1001", 1, "Y", "2013-01-02"), m.Visit("1001", 3, "Y", "2013-01-10")),
        findings=(
            m.Finding("1001", "CHEM", "ALB", 1, None, "2013-01-02T10:00", derived="Y", standard_result="30"),
            m.Finding("1001", "CHEM", "ALB", 3, None, "2013-01-10T10:00", derived="Y", standard_result="40"),
        ),
    )
    lb = build_findings(trial, build_context(trial, load_terminology()), "LB", variables=XANAD01.variables("LB"))
    assert rows(lb, ["VISITNUM", "LBORRES", "LBSTRESC", "LBSTRESN", "LBSTNRLO", "LBSTNRHI", "LBNRIND"]) == [
        (1.0, None, "30", 30.0, 35.0, 46.0, "LOW"),
        (3.0, None, "40", 40.0, 35.0, 46.0, "NORMAL"),
    ]

"""The bundled XANAD01 definition (a randomised, double-blind, placebo-controlled 3-arm trial in the shape of the CDISC
pilot): it loads, holds the facts it states, uses only CDISC CT terms that exist, and differs from NCT05016804 on
every design axis."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from trialinterop.definition import bundled_definition, bundled_study_ids
from trialinterop.definition.model import RegistryId, StudyDefinition
from trialinterop.definition.registry_record import study_record

ROOT = Path(__file__).resolve().parents[1]
CT = ROOT / "mappings" / "sdtmig-3.4" / "ct.csv"


@pytest.fixture(scope="module")
def xanad() -> StudyDefinition:
    return bundled_definition("XANAD01")


@pytest.fixture(scope="module")
def nct() -> StudyDefinition:
    return bundled_definition("NCT05016804")


@pytest.fixture(scope="module")
def ct_terms() -> dict[str, set[tuple[str, str]]]:
    """CDISC CT (codelist short name -> {(submission value, C-code)}) of the SDTMIG 3.4 metadata we carry."""
    terms: dict[str, set[tuple[str, str]]] = {}
    with CT.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            terms.setdefault(row["codelist"], set()).add((row["term"], row["term_code"]))
    return terms


def test_xanad01_is_bundled_and_is_not_the_pilot(xanad: StudyDefinition) -> None:
    assert "XANAD01" in bundled_study_ids()
    assert xanad.study.id == "XANAD01" != "CDISCPILOT01"
    assert xanad.study.registry_ids == (RegistryId("SPONSOR", "XANAD01"),)
    assert xanad.study.registry_id("NCT") is None
    assert (xanad.study.status, xanad.study.phase, xanad.study.type) == ("COMPLETED", "PHASE2", "INTERVENTIONAL")
    assert xanad.study.enrollment_target == 300
    assert [(c.name, c.snomed) for c in xanad.study.conditions] == [("Alzheimer's disease", "26929004")]
    assert xanad.code_system_base == "https://xanad01.example.org/fhir"


def test_design_is_randomised_double_blind_placebo_controlled_parallel(xanad: StudyDefinition) -> None:
    design = xanad.design
    assert design.randomised and design.allocation == "RANDOMIZED"
    assert design.masking == "DOUBLE" and design.masked_roles == ("PARTICIPANT", "INVESTIGATOR")
    assert (design.intervention_model, design.primary_purpose) == ("PARALLEL", "TREATMENT")
    assert design.control_type == "PLACEBO"
    assert set(design.trial_types) == {"EFFICACY", "SAFETY"}
    assert design.trial_length == "P26W"


def test_three_arms_with_the_pilot_codes_elements_and_interventions(xanad: StudyDefinition) -> None:
    assert [(a.code, a.name, a.type) for a in xanad.arms] == [
        ("Pbo", "Placebo", "PLACEBO_COMPARATOR"),
        ("Xan_Lo", "Xanomeline Low Dose", "EXPERIMENTAL"),
        ("Xan_Hi", "Xanomeline High Dose", "EXPERIMENTAL"),
    ]
    assert [a.elements for a in xanad.arms] == [("SCRN", "PBO"), ("SCRN", "LO"), ("SCRN", "HIS", "HIM", "HIE")]
    assert [a.interventions for a in xanad.arms] == [("PLACEBO",), ("XAN54",), ("XAN54", "XAN81")]
    assert xanad.epochs == ("SCREENING", "TREATMENT")
    assert {e.epoch for e in xanad.elements} == set(xanad.epochs)  # every epoch is used
    assert {e.code for e in xanad.elements} == {code for a in xanad.arms for code in a.elements}
    assert [(e.code, e.duration) for e in xanad.elements] == [
        ("SCRN", None), ("PBO", "P26W"), ("LO", "P26W"), ("HIS", "P2W"), ("HIM", "P22W"), ("HIE", "P2W"),
    ]  # fmt: skip
    screen = xanad.element("SCRN")
    assert screen is not None and screen.starts_at.event == "consent"
    middle = xanad.element("HIM")
    assert middle is not None and (middle.starts_at.event, middle.starts_at.intervention) == ("first_dose", "XAN81")


def test_interventions_are_daily_transdermal_patches(xanad: StudyDefinition, ct_terms) -> None:
    assert [(i.code, i.role, i.dose) for i in xanad.interventions] == [
        ("PLACEBO", "PLACEBO", 0),
        ("XAN54", "INVESTIGATIONAL", 54),
        ("XAN81", "INVESTIGATIONAL", 81),
    ]
    for intervention in xanad.interventions:
        assert intervention.type == "DRUG" and intervention.doses is None
        assert (intervention.dose_unit, intervention.dose_form) == ("mg", "PATCH")
        assert (intervention.route, intervention.frequency) == ("TRANSDERMAL", "QD")
        assert intervention.dose_unit in {term for term, _ in ct_terms["UNIT"]}
        assert intervention.dose_form in {term for term, _ in ct_terms["FRM"]}
        assert intervention.route in {term for term, _ in ct_terms["ROUTE"]}
        assert intervention.frequency in {term for term, _ in ct_terms["FREQ"]}
    xanomeline = xanad.intervention("XAN81")
    assert xanomeline is not None
    assert [(c.system, c.code) for c in xanomeline.codes] == [("UNII", "9ORI6L73CJ")]


def test_visit_schedule_is_the_pilot_trial_visits(xanad: StudyDefinition) -> None:
    planned = xanad.visits.planned
    assert len(planned) == 21
    assert [v.planned_day for v in planned] == [
        -7, -1, 1, 13, 14, 28, 30, 42, 56, 70, 84, 98, 112, 126, 140, 154, 168, 182, None, 168, None,
    ]  # fmt: skip
    assert [v.number for v in planned][:6] == [1, 2, 3, 3.5, 4, 5]
    assert [v.name for v in planned if v.name.startswith("WEEK")] == [
        "WEEK 2", "WEEK 4", "WEEK 6", "WEEK 8", "WEEK 10 (T)", "WEEK 12", "WEEK 14 (T)", "WEEK 16", "WEEK 18 (T)",
        "WEEK 20", "WEEK 22 (T)", "WEEK 24", "WEEK 26",
    ]  # fmt: skip
    week2, week24 = xanad.visits.visit(4), xanad.visits.visit(12)
    assert week2 is not None and (week2.window_before, week2.window_after) == (2, 1)
    assert week24 is not None and (week24.window_before, week24.window_after) == (2, 2)
    assert {"ADAS", "CIBIC", "NPIX", "DOSING"} <= set(week24.assessments)
    retrieval = xanad.visits.visit(201)
    assert retrieval is not None and retrieval.name == "RETRIEVAL"
    assert xanad.visits.unscheduled_allowed
    planned_anywhere = {a for v in planned for a in v.assessments}
    assert {i.code for i in xanad.instruments} <= planned_anywhere  # every instrument is planned at some visit


def test_instruments_tests_per_instrument_and_domain(xanad: StudyDefinition) -> None:
    assert [(i.code, i.domain, i.category, len(i.tests)) for i in xanad.instruments] == [
        ("ADAS", "QS", "ADAS-COG", 15),
        ("CIBIC", "QS", "ADCS-CGIC", 1),
        ("NPIX", "QS", "NPI", 61),
        ("VS", "VS", None, 6),
        ("CHEM", "LB", "CHEMISTRY", 18),
        ("HEMA", "LB", "HEMATOLOGY", 12),
    ]
    per_domain = {d: sum(len(i.tests) for i in xanad.instruments_in(d)) for d in ("QS", "VS", "LB")}
    assert per_domain == {"QS": 77, "VS": 6, "LB": 30}
    adas = xanad.instrument("ADAS")
    assert adas is not None
    assert [t.testcd for t in adas.tests] == [f"ACITM{n:02d}" for n in range(1, 15)] + ["ACTOT"]
    total = adas.test("ACTOT")
    assert total is not None and total.range == (0, 70)
    assert total.total_of == tuple(f"ACITM{n:02d}" for n in (1, 2, 4, 5, 6, 7, 8, 11, 12, 13, 14))
    npi = xanad.instrument("NPIX")
    assert npi is not None
    npi_total = npi.test("NPTOT")
    assert npi_total is not None and npi_total.total_of == tuple(f"NPITM{n:02d}S" for n in (1, 2, 3, 4, 5, 7, 8, 9, 10))
    vitals = xanad.instrument("VS")
    assert vitals is not None and vitals.fhir_category == "vital-signs"
    assert [(t.testcd, t.unit) for t in vitals.tests] == [
        ("SYSBP", "mmHg"), ("DIABP", "mmHg"), ("PULSE", "beats/min"), ("TEMP", "C"), ("WEIGHT", "kg"), ("HEIGHT", "cm"),
    ]  # fmt: skip
    assert {i.specimen for i in xanad.instruments_in("LB")} == {"SERUM", "BLOOD"}
    assert {i.fhir_category for i in xanad.instruments_in("LB")} == {"laboratory"}


def _loinc(d: StudyDefinition, instrument: str, testcd: str) -> str | None:
    found = d.instrument(instrument)
    test = found.test(testcd) if found else None
    code = test.code_in("LOINC") if test else None
    return code.code if code else None


def test_loinc_codes_and_unit_conversions(xanad: StudyDefinition) -> None:
    assert _loinc(xanad, "VS", "SYSBP") == "8480-6"
    assert _loinc(xanad, "VS", "DIABP") == "8462-4"
    assert _loinc(xanad, "VS", "PULSE") == "8867-4"
    assert _loinc(xanad, "VS", "WEIGHT") == "29463-7"
    assert _loinc(xanad, "CHEM", "GLUC") == "2345-7"
    assert _loinc(xanad, "CHEM", "ALT") == "1742-6"
    assert _loinc(xanad, "HEMA", "HGB") == "718-7"
    assert _loinc(xanad, "HEMA", "LYM") is None  # not verified, so not given
    chemistry = xanad.instrument("CHEM")
    assert chemistry is not None
    glucose = chemistry.test("GLUC")
    assert glucose is not None
    assert (glucose.unit, glucose.standard_unit, glucose.conversion) == ("mg/dL", "mmol/L", 0.05551)
    assert glucose.normal_range == (50, 250)
    alt = chemistry.test("ALT")
    assert alt is not None and alt.standard_unit is None and alt.conversion is None


def test_every_cdisc_code_and_unit_is_a_ct_term(xanad: StudyDefinition, ct_terms) -> None:
    """Each CDISC CT code pairs with its --TEST name in the --TEST codelist and with the test code in --TESTCD."""
    units = {term for term, _ in ct_terms["UNIT"]}
    checked = 0
    for instrument in xanad.instruments:
        for test in instrument.tests:
            for unit in (test.unit, test.standard_unit):
                assert unit is None or unit in units, (test.testcd, unit)
            for code in test.codes:
                if code.system != "CDISC CT":
                    continue
                domain = instrument.domain
                assert (code.value, code.code) in ct_terms[f"{domain}TEST"], (test.testcd, code)
                assert (test.testcd, code.code) in ct_terms[f"{domain}TESTCD"], (test.testcd, code)
                assert code.value == test.test
                checked += 1
    assert checked == 36  # 6 vital signs + 30 laboratory tests
    assert set(xanad.epochs) <= {term for term, _ in ct_terms["EPOCH"]}
    assert {c.category for c in xanad.eligibility.criteria} <= {term for term, _ in ct_terms["IECAT"]}


def test_sites_subjects_and_eligibility(xanad: StudyDefinition) -> None:
    assert {s.country for s in xanad.sites} == {"USA"}
    assert [s.id for s in xanad.sites] == ["701", "703", "704", "708", "710"]
    assert all(s.utc_offset is None for s in xanad.sites)  # US sites keep no fixed offset all year
    assert (xanad.subjects.id_pattern, xanad.subjects.usubjid) == ("[0-9]{4}", "{study}-{site}-{subject}")
    eligibility = xanad.eligibility
    assert (eligibility.sex, eligibility.minimum_age, eligibility.maximum_age) == ("ALL", "P50Y", None)
    assert not eligibility.healthy_volunteers
    categories = [c.category for c in eligibility.criteria]
    assert (categories.count("INCLUSION"), categories.count("EXCLUSION")) == (8, 23)
    assert [c.id for c in eligibility.criteria][:2] == ["INCL01", "INCL02"]
    assert eligibility.criteria[-1].id == "EXCL31"


def test_registry_record_builds_from_the_definition(xanad: StudyDefinition) -> None:
    record = study_record(xanad)
    assert (record.study_id, record.nct_id) == ("XANAD01", "XANAD01")  # no NCT number: the first registry id
    assert len(record.arms) == 3 and len(record.visits) == 21 and len(record.criteria) == 31
    assert {s.country for s in record.sites} == {"USA"}
    week2 = record.planned_visit(4.0)
    assert week2 is not None and week2.window_days == 2  # the wider side of the definition's window


def _countries(d: StudyDefinition) -> set[str]:
    return {s.country for s in d.sites}


def _domains(d: StudyDefinition) -> set[str]:
    return {i.domain for i in d.instruments}


@pytest.mark.parametrize(
    ("axis", "value"),
    [
        ("number of arms", lambda d: len(d.arms)),
        ("allocation", lambda d: d.design.allocation),
        ("masking", lambda d: d.design.masking),
        ("control type", lambda d: d.design.control_type),
        ("intervention model", lambda d: d.design.intervention_model),
        ("domains of instruments", _domains),
        ("countries", _countries),
        ("epochs", lambda d: d.epochs),
        ("intervention roles", lambda d: {i.role for i in d.interventions}),
        ("dose routes", lambda d: {i.route for i in d.interventions}),
        ("registry", lambda d: d.study.registry_ids[0].registry),
        ("code-system base URI", lambda d: d.code_system_base),
    ],
)
def test_the_two_bundled_definitions_differ_on_every_axis(xanad, nct, axis: str, value) -> None:
    assert value(xanad) != value(nct), axis


def test_the_differences_are_the_expected_ones(xanad: StudyDefinition, nct: StudyDefinition) -> None:
    assert (len(xanad.arms), len(nct.arms)) == (3, 1)
    assert (xanad.design.allocation, nct.design.allocation) == ("RANDOMIZED", "NA")
    assert (xanad.design.masking, nct.design.masking) == ("DOUBLE", "NONE")
    assert (xanad.design.control_type, nct.design.control_type) == ("PLACEBO", "NONE")
    assert (_domains(xanad), _domains(nct)) == ({"QS", "VS", "LB"}, {"QS", "RE"})
    assert (_countries(xanad), _countries(nct)) == ({"USA"}, {"ATG", "ARG"})


def test_trial_design_of_xanad01_follows_three_arms() -> None:
    """Each arm has its own element order; HIE is opened by visit 12 (docs/study-definition.md)."""
    from trialinterop.definition.trial_design import trial_design

    design = trial_design(bundled_definition("XANAD01"))
    assert dict(design.arms) == {
        "Pbo": ("SCRN", "PBO"),
        "Xan_Lo": ("SCRN", "LO"),
        "Xan_Hi": ("SCRN", "HIS", "HIM", "HIE"),
    }
    assert [(e.etcd, e.event, e.treatment, e.visit) for e in design.elements if e.etcd.startswith("HI")] == [
        ("HIS", "first_dose", "XANOMELINE 54 MG", None),
        ("HIM", "first_dose", "XANOMELINE 81 MG", None),
        ("HIE", "visit", None, 12.0),
    ]

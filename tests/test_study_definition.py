"""The study definition: the shipped schema, the bundled NCT05016804 definition, and every kind of error a user can
make, each named by file, JSON pointer and field."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from trialinterop.definition import bundled_definition, bundled_study_ids, definition_schema, load_definition
from trialinterop.definition.registry_record import study_record
from trialinterop.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
NCT = ROOT / "mappings" / "studies" / "nct05016804.yaml"


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(definition_schema())


def test_bundled_nct05016804_facts() -> None:
    d = bundled_definition("NCT05016804")
    assert d.study.registry_id("NCT") == "NCT05016804"
    assert d.study.sponsor_name == "The Foundation for Orthopaedics and Regenerative Medicine"
    assert (d.study.status, d.study.phase, d.study.enrollment_target) == ("RECRUITING", None, 20)
    assert (d.design.allocation, d.design.masking, d.design.intervention_model) == ("NA", "NONE", "SINGLE_GROUP")
    assert [a.code for a in d.arms] == ["ALLORX"] and d.arms[0].elements == ("SCRN", "MSC", "FU")
    assert [v.planned_day for v in d.visits.planned] == [None, 1, 31, 181, 366, 731, 1096, 1461]
    assert [c.category for c in d.eligibility.criteria].count("INCLUSION") == 2
    assert [c.category for c in d.eligibility.criteria].count("EXCLUSION") == 10
    assert [(s.id, s.country) for s in d.sites] == [("01", "ATG"), ("02", "ARG")]
    vaccine = d.intervention("TCV")
    assert vaccine is not None and vaccine.preceded_by == "Apheresis"
    assert [(c.attribute, c.values) for c in vaccine.given_when] == [
        ("severity_group", ("SEVERE",)),
        ("methotrexate", ("Y",)),
    ]
    mrss = d.instrument("MRSS")
    assert mrss is not None and mrss.domain == "QS" and len(mrss.tests) == 18
    total = mrss.test("MRSS0118")
    assert total is not None and len(total.total_of) == 17 and total.range == (0, 51)
    fvc = d.instrument("FVC")
    assert fvc is not None and fvc.domain == "RE"
    loinc = fvc.tests[0].code_in("LOINC")
    assert loinc is not None and loinc.code == "19868-9"
    assert d.code_system_base == "https://fomr.example.org/fhir"
    assert "NCT05016804" in bundled_study_ids()


def test_definition_gives_the_registry_record() -> None:
    """The registry record the builders read (formerly the records folder's study.json), from the definition."""
    record = study_record(bundled_definition("NCT05016804"))
    assert (record.study_id, record.nct_id, record.overall_status, record.phase) == (
        "NCT05016804",
        "NCT05016804",
        "RECRUITING",
        None,
    )
    assert (record.allocation, record.masking, record.intervention_model) == ("NA", "NONE", "SINGLE_GROUP")
    assert [(a.code, a.label) for a in record.arms] == [("ALLORX", "AlloRx UC-MSC 100 million cells IV")]
    assert [(i.code, i.treatment, i.dose, i.route) for i in record.interventions] == [
        ("ALLORX", "ALLORX", 100, "INTRAVENOUS"),
        ("TCV", "AUTOLOGOUS T-CELL VACCINE", None, "SUBCUTANEOUS"),
    ]
    assert [(v.visit_num, v.name, v.planned_day, v.window_days) for v in record.visits[:3]] == [
        (1.0, "SCREENING", None, 30),
        (2.0, "DAY 1", 1, 0),
        (3.0, "MONTH 1", 31, 7),
    ]
    assert [(s.site_id, s.country, s.country_name) for s in record.sites] == [
        ("01", "ATG", "Antigua and Barbuda"),
        ("02", "ARG", "Argentina"),
    ]
    assert (record.sex, record.minimum_age, record.maximum_age, len(record.criteria)) == ("ALL", "P18Y", None, 12)


def test_json_definition_loads_like_yaml(tmp_path: Path) -> None:
    path = tmp_path / "study.json"
    path.write_text(json.dumps(yaml.safe_load(NCT.read_text(encoding="utf-8"))), encoding="utf-8")
    from dataclasses import replace

    assert load_definition(path) == replace(load_definition(NCT), source=str(path))


def _edited(tmp_path: Path, change) -> Path:
    document = yaml.safe_load(NCT.read_text(encoding="utf-8"))
    change(document)
    path = tmp_path / "edited.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def test_unscheduled_name_prefix_reaches_the_registry_record(tmp_path: Path) -> None:
    """The definition's unscheduled.name_prefix is what the SDTM builders name unplanned visits with."""
    assert study_record(bundled_definition("NCT05016804")).unscheduled_prefix == "UNSCHEDULED"
    path = _edited(tmp_path, lambda d: d["visits"]["unscheduled"].update(name_prefix="UNPLANNED"))
    assert study_record(load_definition(path)).unscheduled_prefix == "UNPLANNED"


def _problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_definition(path)
    return [issue.render() for issue in caught.value.issues]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["arms"][0].update(code="allo rx"), "edited.yaml [/arms/0/code] code: 'allo rx' does not match"),
        (lambda d: d.pop("visits"), "edited.yaml [/] visits: 'visits' is a required property"),
        (lambda d: d["study"].update(status="OPEN"), "edited.yaml [/study/status] status: 'OPEN' is not one of"),
        (lambda d: d["sites"][1].update(country="AR"), "edited.yaml [/sites/1/country] country: 'AR' does not match"),
        (lambda d: d["visits"]["planned"][2].update(planned_day=0), "[/visits/planned/2/planned_day] planned_day"),
        (lambda d: d["study"].update(surprise=1), "Additional properties are not allowed ('surprise' was unexpected)"),
    ],
)
def test_schema_errors_name_file_pointer_and_field(tmp_path: Path, change, expected: str) -> None:
    problems = _problems(_edited(tmp_path, change))
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["arms"][0]["elements"].append("XX"), "[/arms/0/elements] elements: element not defined"),
        (lambda d: d["elements"][0].update(epoch="RUN-IN"), "[/elements/0/epoch] epoch: epoch not listed in /epochs"),
        (lambda d: d["sites"][0].update(country="XXX"), "[/sites/0/country] country: not an ISO 3166-1 alpha-3"),
        (lambda d: d["visits"]["planned"][3].update(number=2), "[/visits/planned] number: defined more than once"),
        (lambda d: d["subjects"].update(id_pattern="[0-9"), "[/subjects/id_pattern] id_pattern: not a regular expr"),
        (
            lambda d: d["interventions"][1]["given_when"][0].update(attribute="stage"),
            "[/interventions/1/given_when/0] attribute: not a subject attribute",
        ),
        (
            lambda d: d["interventions"][1]["given_when"][0].update({"in": ["MILD"]}),
            "in: not a value of subject attribute severity_group (value 'MILD')",
        ),
        (
            lambda d: d["instruments"][0]["tests"][17]["total_of"].append("FVC"),
            "[/instruments/0/tests/17] total_of: not a test of the same instrument (value 'FVC')",
        ),
        (
            lambda d: d["visits"]["planned"][0]["assessments"].append("ECG"),
            "[/visits/planned/0/assessments] assessments: neither an instrument code nor one of",
        ),
        (lambda d: d["elements"][1]["starts_at"].pop("intervention"), "a dose event needs an intervention"),
    ],
)
def test_consistency_errors_name_file_pointer_and_field(tmp_path: Path, change, expected: str) -> None:
    problems = _problems(_edited(tmp_path, change))
    assert any(expected in p for p in problems), problems


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    def two(d):
        d["sites"][0]["country"] = "XXX"
        d["elements"][0]["epoch"] = "RUN-IN"

    assert len(_problems(_edited(tmp_path, two))) == 2


def test_unreadable_and_unsafe_files(tmp_path: Path) -> None:
    assert _problems(tmp_path / "missing.yaml") == [
        f"ERROR INPUT {tmp_path / 'missing.yaml'}: study definition not found"
    ]
    broken = tmp_path / "broken.yaml"
    broken.write_text("study: [unclosed\n", encoding="utf-8")
    assert "not readable UTF-8 YAML/JSON" in _problems(broken)[0]
    unsafe = tmp_path / "unsafe.yaml"
    unsafe.write_text("study: !!python/object/apply:os.system ['true']\n", encoding="utf-8")
    assert "not readable UTF-8 YAML/JSON" in _problems(unsafe)[0]
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("study: caf\xe9\n".encode("latin-1"))
    assert "not readable UTF-8 YAML/JSON" in _problems(latin)[0]


def test_unknown_bundled_study_names_the_bundled_ones() -> None:
    with pytest.raises(InputError, match=r"no bundled study definition \(bundled: .*NCT05016804"):
        bundled_definition("NCT00000000")


def test_check_study_command(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from trialinterop.cli import main

    done = CliRunner().invoke(main, ["check-study", str(NCT)])
    assert done.exit_code == 0, done.output
    assert done.stdout == (
        f"{NCT}: study NCT05016804, 1 arm(s), 3 element(s), 8 planned visit(s), 2 intervention(s), 2 site(s), "
        "12 criteria, 2 instrument(s) with 20 test(s) (QS, RE): OK\n"
    )
    broken = _edited(tmp_path, lambda d: d["sites"][0].update(country="XXX"))
    done = CliRunner().invoke(main, ["check-study", str(broken)])
    assert done.exit_code == 2
    assert "edited.yaml [/sites/0/country] country: not an ISO 3166-1 alpha-3 country code (value 'XXX')" in done.stderr


def test_definition_gives_the_trial_design_the_builders_take() -> None:
    """TE elements with the event that opens each in SE, and TA element order per arm."""
    from trialinterop.definition.trial_design import trial_design

    design = trial_design(bundled_definition("NCT05016804"))
    assert [(e.etcd, e.epoch, e.event, e.treatment) for e in design.elements] == [
        ("SCRN", "SCREENING", "consent", None),
        ("MSC", "TREATMENT", "first_dose", "ALLORX"),
        ("FU", "FOLLOW-UP", "day_after_first_dose", "ALLORX"),
    ]
    assert dict(design.arms) == {"ALLORX": ("SCRN", "MSC", "FU")}


def test_trial_design_codes_definition_values_with_cdisc_ct(tmp_path: Path) -> None:
    from trialinterop.definition.trial_design import trial_design

    def change(d):
        d["design"].update(control_type="PLACEBO", trial_types=["EFFICACY"], secondary_objectives=["To see  more"])

    design = trial_design(load_definition(_edited(tmp_path, change)))
    by_code = {p.parmcd: p.values for p in design.ts}
    assert [(v.val, v.valcd, v.vcdref) for v in by_code["TCNTRL"]] == [("PLACEBO", "C49648", "CDISC CT")]
    assert [(v.val, v.valcd) for v in by_code["TTYPE"]] == [("EFFICACY", "C49666")]
    assert [v.val for v in by_code["OBJSEC"]] == ["To see more"]


def test_trial_design_follows_an_element_opened_by_a_visit(tmp_path: Path) -> None:
    from trialinterop.definition.trial_design import trial_design

    def visit_start(d):
        d["elements"][2]["starts_at"] = {"event": "visit", "visit": 3}

    element = trial_design(load_definition(_edited(tmp_path, visit_start))).element("FU")
    assert (element.event, element.treatment, element.visit) == ("visit", None, 3.0)

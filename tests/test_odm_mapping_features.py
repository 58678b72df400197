"""Mapping features of issue 15 on small hand-written exports: repeats, arms per event, subject numbers from an
attribute or item, value transforms in the reader, groups feeding several tables, and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from trialinterop.errors import InputError
from trialinterop.odm.mapping import load_mapping
from trialinterop.odm.reader import load_odm
from trialinterop.source import models as m

REPO = Path(__file__).resolve().parents[1]
STUDY = REPO / "fixtures" / "records" / "study.yaml"

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:v="urn:vendor" ODMVersion="1.3.2" FileType="Snapshot" '
    'FileOID="F" CreationDateTime="2024-01-01T00:00:00">\n<ClinicalData StudyOID="S" MetaDataVersionOID="v1">\n'
)
TAIL = "\n</ClinicalData>\n</ODM>\n"
DM = (
    '<FormData FormOID="F.DM"><ItemGroupData ItemGroupOID="IG.DM"><ItemData ItemOID="IT.SEX" Value="F"/>'
    '<ItemData ItemOID="IT.CONSENT" Value="01 MAR 2022"/></ItemGroupData></FormData>'
)
BASE = """\
studies: {S: {}}
item_groups:
  IG.DM:
    table: subjects.csv
    row: subject
    defaults: {site_id: "01", enrolled: "Y"}
    items: {IT.SEX: sex, IT.CONSENT: {field: consent_date, date: DD MON YYYY}}
  IG.SV:
    table: visits.csv
    row: event
    defaults: {occurred: "Y"}
    items: {IT.SVDAT: visit_date}
"""


def _sv(event: str, repeat: str, date: str) -> str:
    return (
        f'<StudyEventData StudyEventOID="{event}" StudyEventRepeatKey="{repeat}"><FormData FormOID="F.SV">'
        f'<ItemGroupData ItemGroupOID="IG.SV"><ItemData ItemOID="IT.SVDAT" Value="{date}"/></ItemGroupData>'
        "</FormData></StudyEventData>"
    )


def _load(tmp_path: Path, body: str, mapping: str):
    odm = tmp_path / "e.xml"
    odm.write_text(HEAD + body + TAIL, encoding="utf-8")
    path = tmp_path / "m.yaml"
    path.write_text(mapping, encoding="utf-8")
    return load_odm(odm, path, STUDY)


def _errors(tmp_path: Path, body: str, mapping: str) -> list[tuple[str, str]]:
    with pytest.raises(InputError) as caught:
        _load(tmp_path, body, mapping)
    return [(i.key, i.message.split("']: ", 1)[-1]) for i in caught.value.issues]


SUBJECT = '<SubjectData SubjectKey="01-001">{}</SubjectData>'


def test_repeated_event_without_a_rule_is_an_error(tmp_path: Path) -> None:
    body = SUBJECT.format(DM + _sv("SE.M1", "1", "2022-04-01") + _sv("SE.M1", "2", "2022-04-09"))
    mapping = BASE + "study_events: {SE.M1: 3}\n"
    assert _errors(tmp_path, body, mapping) == [
        ("line 4", "study event SE.M1 repeats (instance 2); say in the mapping's study_events how repeats map "
                   "(repeats: unscheduled, visits or records)")
    ]  # fmt: skip


def test_repeats_become_unscheduled_visits_or_listed_visits(tmp_path: Path) -> None:
    body = SUBJECT.format(
        DM + _sv("SE.M1", "1", "2022-04-01") + _sv("SE.M1", "2", "2022-04-09") + _sv("SE.FU", "1", "2022-09-01")
        + _sv("SE.FU", "2", "2023-03-01")
    )  # fmt: skip
    mapping = BASE + (
        "study_events:\n  SE.M1: {visit: 3, repeats: unscheduled, unscheduled_reason: Retest}\n"
        "  SE.FU: {visits: [4, 5]}\n"
    )
    visits = _load(tmp_path, body, mapping).records.visits
    assert [(v.visit_num, v.visit_date, v.unplanned_description) for v in visits] == [
        (3.0, "2022-04-01", None),
        (3.01, "2022-04-09", "Retest"),
        (4.0, "2022-09-01", None),
        (5.0, "2023-03-01", None),
    ]
    too_many = body.replace("</SubjectData>", _sv("SE.FU", "3", "2023-09-01") + "</SubjectData>")
    assert _errors(tmp_path, too_many, mapping) == [
        ("line 4", "instance 3 of study event SE.FU has no visit number (the mapping's visits list has 2)")
    ]


def test_subject_number_from_an_attribute_and_several_arms(tmp_path: Path) -> None:
    body = (
        '<SubjectData SubjectKey="0f1e" v:Name="02-007">'
        + DM.replace("<FormData", '<StudyEventData StudyEventOID="SE.A"><FormData').replace(
            "</FormData>", "</FormData></StudyEventData>"
        )
        + "</SubjectData>"
    )
    mapping = BASE.replace('defaults: {site_id: "01", ', "defaults: {").replace(
        "IT.SEX: sex", "IT.SEX: sex, IT.SITE: site_id"
    )
    mapping += (
        "subject_key: {attribute: 'v:Name', pattern: '^(\\d\\d)-(\\d+)$', replace: '\\1-\\2'}\n"
        "study_events: {SE.A: {visit: 1, arm: ALLORX}}\n"
    )
    body = body.replace('<ItemData ItemOID="IT.SEX" Value="F"/>', '<ItemData ItemOID="IT.SEX" Value="F"/>'
                        '<ItemData ItemOID="IT.SITE" Value="02"/>')  # fmt: skip
    [subject] = _load(tmp_path, body, mapping).records.subjects
    assert (subject.subject_id, subject.site_id, subject.country, subject.arm) == ("02-007", "02", "ARG", "ALLORX")
    without = body.replace(' v:Name="02-007"', "")
    assert _errors(tmp_path, without, mapping) == [("line 4", "no subject number (v:Name) for this subject")]


def test_value_transform_errors_name_item_and_value(tmp_path: Path) -> None:
    body = SUBJECT.format(DM.replace("01 MAR 2022", "2022-03-01"))
    with pytest.raises(InputError) as caught:
        _load(tmp_path, body, BASE)
    [issue] = caught.value.issues
    assert (issue.key, issue.field, issue.value) == ("line 4", "IT.CONSENT -> subjects.csv.consent_date", "2022-03-01")
    assert issue.message.endswith("value is not a date laid out as DD MON YYYY")


TWO_TABLES = """\
studies: {S: {}}
study_events: {SE.SCR: 1}
item_groups:
  IG.DM:
    - table: subjects.csv
      row: subject
      defaults: {site_id: "01", enrolled: "Y"}
      items: {IT.SEX: sex, IT.CONSENT: {field: consent_date, date: DD MON YYYY}}
    - table: eligibility.csv
      row: group
      defaults: {criterion_id: INCL001, result: N}
      items: {IT.CONSENT: {field: assessment_date, date: DD MON YYYY}}
  "@StudyEventData":
    table: visits.csv
    row: event
    events: [SE.SCR]
    defaults: {occurred: "Y"}
    items: {"v:Start": visit_date}
"""


def test_one_group_feeds_two_tables_and_events_filter(tmp_path: Path) -> None:
    body = SUBJECT.format(
        '<StudyEventData StudyEventOID="SE.SCR" v:Start="2022-03-02">'
        + DM
        + '</StudyEventData><StudyEventData StudyEventOID="SE.LOG" v:Start="2022-05-05"></StudyEventData>'
    )
    result = _load(tmp_path, body, TWO_TABLES)
    assert [g.table for g in load_mapping(tmp_path / "m.yaml").groups["IG.DM"]] == ["subjects.csv", "eligibility.csv"]
    assert result.records.visits == (m.Visit("01-001", 1.0, "Y", "2022-03-02"),)
    assert [(e.criterion_id, e.assessment_date) for e in result.records.eligibility] == [("INCL001", "2022-03-01")]
    coverage = result.coverage
    assert coverage is not None
    assert dict(coverage.not_mapped) == {"@StudyEventData/v:Start": 1}  # the log event's date: not a visit
    assert coverage.in_output["subjects.csv.consent_date"] == 1  # counted once, though it feeds two tables
    assert coverage.accounted() == coverage.collected == 4


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "study_events: {SE.X: {visit: 1, repeats: sometimes}}\n",
            "must be one of error, unscheduled, visits, records",
        ),
        ("study_events: {SE.X: {repeats: visits}}\n", "repeats: visits needs the list of visit numbers"),
        ("subject_key: {attribute: 'a:b', item: IT.X}\n", "the subject number comes from 'attribute' or 'item'"),
        ("allow_dropped: yes please\n", "must be true or false"),
        ("studies: [S]\n", "must map ClinicalData/@StudyOID"),
    ],
)
def test_mapping_errors(tmp_path: Path, extra: str, message: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(BASE.replace("studies: {S: {}}\n", "") + extra, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_mapping(path)
    assert any(message in issue.message for issue in caught.value.issues), caught.value.render()


def test_bad_date_layout_and_regex_in_mapping(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        BASE.replace("IT.SEX: sex", "IT.SEX: {field: sex, regex: '(['}").replace("DD MON YYYY", "DD MON"),
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        load_mapping(path)
    assert [(i.key, i.message.split(":")[0]) for i in caught.value.issues] == [
        ("item_groups/IG.DM/items/IT.SEX/regex", "not a regular expression"),
        ("item_groups/IG.DM/items/IT.CONSENT/date", "date format 'DD MON' has no year (YYYY)"),
    ]


def test_utf16_export_reads_like_utf8(tmp_path: Path) -> None:
    """Rave can send double-byte (UTF-16) files; the XML declaration says so and lxml decodes them."""
    source = REPO / "tests" / "data" / "edc" / "rave"
    text = (source / "rave-audit-stream.xml").read_text("utf-8").replace('encoding="utf-8"', 'encoding="UTF-16"')
    (tmp_path / "rave16.xml").write_bytes(text.encode("utf-16"))
    wide = load_odm(tmp_path / "rave16.xml", source / "mapping.yaml", STUDY)
    narrow = load_odm(source / "rave-audit-stream.xml", source / "mapping.yaml", STUDY)
    assert [s.subject_id for s in wide.records.subjects] == ["01-101", "02-201"]
    assert wide.records.adverse_events == narrow.records.adverse_events


def test_events_of_two_arms_are_an_error(tmp_path: Path) -> None:
    body = SUBJECT.format(DM + _sv("SE.A1", "1", "2022-03-02") + _sv("SE.B1", "1", "2022-03-09"))
    mapping = BASE + "study_events: {SE.A1: {visit: 1, arm: ALLORX}, SE.B1: {visit: 2, arm: OTHER}}\n"
    assert _errors(tmp_path, body, mapping) == [
        ("line 4", "the subject's study events imply several arms: ALLORX (line 4), OTHER (line 4)")
    ]


def test_rave_repeat_keys_give_the_instance(tmp_path: Path) -> None:
    """Rave writes StudyEventRepeatKey as EVENT[n]; n is the instance."""
    body = SUBJECT.format(DM + _sv("SE.M1", "SE.M1[1]", "2022-04-01") + _sv("SE.M1", "SE.M1[2]", "2022-04-09"))
    mapping = BASE + "study_events: {SE.M1: {visit: 3, repeats: unscheduled, unscheduled_reason: Retest}}\n"
    visits = _load(tmp_path, body, mapping).records.visits
    assert [v.visit_num for v in visits] == [3.0, 3.01]

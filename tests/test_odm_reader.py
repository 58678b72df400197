"""read_odm on small hand-written ODM 1.3 files: snapshot, REDCap and Medidata Rave flavours, and bad input."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from trialinterop.errors import InputError
from trialinterop.odm.mapping import load_mapping
from trialinterop.odm.reader import DroppedDataError, load_odm, read_odm
from trialinterop.source import models as m

STUDY = Path(__file__).resolve().parents[1] / "fixtures" / "records" / "study.yaml"

MAPPING = """\
strict: true
studies: {S: {}}
subject_key: {pattern: '^SUBJ-(\\d{3})$', replace: '01-\\1'}
study_events: {SE.SCREENING: 1, SE.M1: 3}
item_groups:
  IG.DM:
    table: subjects.csv
    row: subject
    defaults: {site_id: "01", enrolled: "Y"}
    items:
      IT.SEX: {field: sex, values: {"1": "F", "2": "M"}}
      IT.CONSENT: consent_date
      IT.RACE_W: {field: race, list: true, values: {"1": "WHITE", "0": null}}
      IT.RACE_B: {field: race, list: true, values: {"1": "BLACK OR AFRICAN AMERICAN", "0": null}}
  IG.AE:
    table: adverse_events.csv
    row: group
    context: {ae_id: ItemGroupRepeatKey}
    defaults: {serious: "N", relationship: "NOT RELATED", action: "NOT APPLICABLE", outcome: "UNKNOWN"}
    items:
      IT.AETERM: term
      IT.AESTDAT: start
      IT.AESEV: severity
  IG.SV:
    table: visits.csv
    row: event
    defaults: {occurred: "Y"}
    items:
      IT.SVDAT: visit_date
"""

HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
ODM_OPEN = (
    '<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" ODMVersion="1.3.2" FileType="Snapshot" FileOID="F1" '
    'CreationDateTime="2024-01-01T00:00:00">'
)


def _write(tmp_path: Path, body: str, mapping: str = MAPPING) -> tuple[Path, Path]:
    odm = tmp_path / "export.xml"
    odm.write_text(HEAD + textwrap.dedent(body).strip() + "\n", encoding="utf-8")
    mapping_path = tmp_path / "mapping.yaml"
    mapping_path.write_text(mapping, encoding="utf-8")
    return odm, mapping_path


SNAPSHOT = f"""
{ODM_OPEN}
<ClinicalData StudyOID="S" MetaDataVersionOID="v1">
<SubjectData SubjectKey="SUBJ-001">
<StudyEventData StudyEventOID="SE.SCREENING">
<FormData FormOID="F.DM">
<ItemGroupData ItemGroupOID="IG.DM">
<ItemData ItemOID="IT.SEX" Value="1"/>
<ItemData ItemOID="IT.CONSENT" Value="2022-03-01"/>
<ItemData ItemOID="IT.RACE_W" Value="1"/>
<ItemData ItemOID="IT.RACE_B" Value="1"/>
</ItemGroupData>
</FormData>
<FormData FormOID="F.SV">
<ItemGroupData ItemGroupOID="IG.SV"><ItemData ItemOID="IT.SVDAT" Value="2022-03-02"/></ItemGroupData>
</FormData>
</StudyEventData>
<StudyEventData StudyEventOID="SE.M1">
<FormData FormOID="F.SV">
<ItemGroupData ItemGroupOID="IG.SV"><ItemData ItemOID="IT.SVDAT" Value="2022-04-05"/></ItemGroupData>
</FormData>
<FormData FormOID="F.AE">
<ItemGroupData ItemGroupOID="IG.AE" ItemGroupRepeatKey="1">
<ItemData ItemOID="IT.AETERM" Value="Headache"/>
<ItemData ItemOID="IT.AESTDAT" Value="2022-03-10"/>
<ItemData ItemOID="IT.AESEV" Value="MILD"/>
</ItemGroupData>
</FormData>
</StudyEventData>
</SubjectData>
</ClinicalData>
</ODM>
"""


def test_snapshot(tmp_path: Path) -> None:
    records = read_odm(*_write(tmp_path, SNAPSHOT), STUDY)
    assert records.subjects == (
        m.Subject("01-001", "01", "F", "ATG", "2022-03-01", "Y", race=("WHITE", "BLACK OR AFRICAN AMERICAN")),
    )
    assert records.visits == (m.Visit("01-001", 1.0, "Y", "2022-03-02"), m.Visit("01-001", 3.0, "Y", "2022-04-05"))
    assert records.adverse_events == (
        m.AdverseEvent("01-001", 1, "Headache", "2022-03-10", "N", "MILD", "NOT RELATED", "NOT APPLICABLE", "UNKNOWN"),
    )
    assert records.subjects[0].origin == m.Origin("export.xml", 4)
    assert records.adverse_events[0].origin == m.Origin("export.xml", 23)


REDCAP = """
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:redcap="https://projectredcap.org" ODMVersion="1.3.1"
     FileType="Snapshot" FileOID="F1" CreationDateTime="2024-01-01T00:00:00" redcap:SourceServerName="x">
<ClinicalData StudyOID="S" MetaDataVersionOID="v1">
<SubjectData SubjectKey="SUBJ-002" redcap:RecordIdField="record_id">
<FormData FormOID="Form.demographics" redcap:CompletionStatus="Complete">
<ItemGroupData ItemGroupOID="IG.DM">
<ItemData ItemOID="IT.SEX" Value="2" redcap:Variable="sex"/>
<ItemData ItemOID="IT.CONSENT" Value="2023-01-09" redcap:Variable="consent_dt"/>
<ItemData ItemOID="IT.RACE_W" Value="0" redcap:Variable="race___1"/>
<ItemData ItemOID="IT.RACE_B" Value="1" redcap:Variable="race___2"/>
<redcap:Extra>ignored vendor element</redcap:Extra>
</ItemGroupData>
</FormData>
</SubjectData>
</ClinicalData>
</ODM>
"""


def test_redcap_form_data_directly_under_subject(tmp_path: Path) -> None:
    records = read_odm(*_write(tmp_path, REDCAP), STUDY)
    assert records.subjects == (
        m.Subject("01-002", "01", "M", "ATG", "2023-01-09", "Y", race=("BLACK OR AFRICAN AMERICAN",)),
    )


RAVE = """
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:mdsol="http://www.mdsol.com/ns/odm/metadata"
     ODMVersion="1.3" FileType="Transactional" FileOID="F1" CreationDateTime="2024-01-01T00:00:00">
<ClinicalData StudyOID="S" MetaDataVersionOID="v1" mdsol:AuditSubCategoryName="Entered">
<SubjectData SubjectKey="SUBJ-003" TransactionType="Insert" mdsol:SubjectKeyType="SubjectName">
<SiteRef LocationOID="ATG-1"/>
<StudyEventData StudyEventOID="SE.SCREENING" TransactionType="Context">
<FormData FormOID="F.DM" TransactionType="Context">
<ItemGroupData ItemGroupOID="IG.DM" TransactionType="Upsert">
<ItemData ItemOID="IT.SEX" Value="1" TransactionType="Insert"><AuditRecord><UserRef UserOID="u1"/>
</AuditRecord></ItemData>
<ItemData ItemOID="IT.CONSENT" Value="2022-05-01" TransactionType="Insert"/>
<ItemData ItemOID="IT.RACE_W" Value="1" TransactionType="Insert"/>
</ItemGroupData>
</FormData>
<FormData FormOID="F.AE" TransactionType="Context">
<ItemGroupData ItemGroupOID="IG.AE" ItemGroupRepeatKey="1" TransactionType="Insert">
<ItemData ItemOID="IT.AETERM" Value="Nausea" TransactionType="Insert"/>
<ItemData ItemOID="IT.AESTDAT" Value="2022-05-03" TransactionType="Insert"/>
<ItemData ItemOID="IT.AESEV" Value="MILD" TransactionType="Insert"/>
</ItemGroupData>
<ItemGroupData ItemGroupOID="IG.AE" ItemGroupRepeatKey="2" TransactionType="Insert">
<ItemData ItemOID="IT.AETERM" Value="Entered in error" TransactionType="Insert"/>
<ItemData ItemOID="IT.AESTDAT" Value="2022-05-04" TransactionType="Insert"/>
<ItemData ItemOID="IT.AESEV" Value="MILD" TransactionType="Insert"/>
</ItemGroupData>
</FormData>
</StudyEventData>
</SubjectData>
</ClinicalData>
<ClinicalData StudyOID="S" MetaDataVersionOID="v1" mdsol:AuditSubCategoryName="DataPoint">
<SubjectData SubjectKey="SUBJ-003" TransactionType="Update">
<StudyEventData StudyEventOID="SE.SCREENING">
<FormData FormOID="F.DM">
<ItemGroupData ItemGroupOID="IG.DM">
<ItemData ItemOID="IT.CONSENT" Value="2022-05-02" TransactionType="Update" mdsol:ReasonForChange="typo"/>
<ItemData ItemOID="IT.RACE_W" TransactionType="Remove"/>
</ItemGroupData>
</FormData>
<FormData FormOID="F.AE">
<ItemGroupData ItemGroupOID="IG.AE" ItemGroupRepeatKey="1">
<ItemData ItemOID="IT.AESEV" Value="MODERATE" TransactionType="Update"/>
</ItemGroupData>
<ItemGroupData ItemGroupOID="IG.AE" ItemGroupRepeatKey="2" TransactionType="Remove"/>
</FormData>
</StudyEventData>
</SubjectData>
</ClinicalData>
</ODM>
"""

RAVE_MAPPING = MAPPING.replace("study_events:", 'sites: {ATG-1: "01"}\nstudy_events:').replace(
    'defaults: {site_id: "01", enrolled: "Y"}', 'defaults: {enrolled: "Y"}'
)


def test_rave_transactions_last_value_wins_and_remove_deletes(tmp_path: Path) -> None:
    records = read_odm(*_write(tmp_path, RAVE, RAVE_MAPPING), STUDY)
    assert records.subjects == (m.Subject("01-003", "01", "F", "ATG", "2022-05-02", "Y"),)
    assert records.adverse_events == (
        m.AdverseEvent(
            "01-003", 1, "Nausea", "2022-05-03", "N", "MODERATE", "NOT RELATED", "NOT APPLICABLE", "UNKNOWN"
        ),
    )


def test_removed_subject_disappears(tmp_path: Path) -> None:
    removal = (
        '<ClinicalData StudyOID="S" MetaDataVersionOID="v1">'
        '<SubjectData SubjectKey="SUBJ-003" TransactionType="Remove"/></ClinicalData>\n</ODM>'
    )
    body = RAVE.strip().removesuffix("</ODM>") + removal
    records = read_odm(*_write(tmp_path, body, RAVE_MAPPING), STUDY)
    assert records.subjects == ()
    assert records.adverse_events == ()


def _messages(tmp_path: Path, body: str, mapping: str = MAPPING, **kwargs) -> list[tuple[str, str, str]]:
    with pytest.raises(InputError) as caught:
        read_odm(*_write(tmp_path, body, mapping), STUDY, **kwargs)
    return [(i.key, i.field, i.message) for i in caught.value.issues]


def test_unknown_item_oid_strict(tmp_path: Path) -> None:
    body = SNAPSHOT.replace(
        '<ItemData ItemOID="IT.SEX" Value="1"/>',
        '<ItemData ItemOID="IT.SEX" Value="1"/><ItemData ItemOID="IT.HEIGHT" Value="170"/>',
    )
    assert _messages(tmp_path, body) == [
        (
            "line 8",
            "IT.HEIGHT",
            "/ODM/ClinicalData/SubjectData[@SubjectKey='SUBJ-001']/StudyEventData[@StudyEventOID='SE.SCREENING']"
            "/FormData[@FormOID='F.DM']/ItemGroupData[@ItemGroupOID='IG.DM']/ItemData[@ItemOID='IT.HEIGHT']: "
            "ItemOID 'IT.HEIGHT' is not mapped for IG.DM (1 value(s) in the export)",
        )
    ]
    assert len(read_odm(*_write(tmp_path, body), STUDY, strict=False).subjects) == 1


def test_unknown_item_group_strict(tmp_path: Path) -> None:
    body = SNAPSHOT.replace(
        '<ItemGroupData ItemGroupOID="IG.SV"><ItemData ItemOID="IT.SVDAT" Value="2022-03-02"/>',
        '<ItemGroupData ItemGroupOID="IG.VS"><ItemData ItemOID="IT.SVDAT" Value="2022-03-02"/>',
    )
    [(key, field, message)] = _messages(tmp_path, body)
    assert (key, field) == ("line 15", "IG.VS")
    assert message.endswith("ItemGroupOID 'IG.VS' is not in the mapping (1 ItemGroupData in the export)")


def test_bad_value_names_element_line_and_field(tmp_path: Path) -> None:
    body = SNAPSHOT.replace('Value="2022-03-01"', 'Value="2022-13-01"')
    [(key, field, message)] = _messages(tmp_path, body)
    assert (key, field) == ("line 9", "IT.CONSENT -> subjects.csv.consent_date")
    assert message == (
        "/ODM/ClinicalData/SubjectData[@SubjectKey='SUBJ-001']/StudyEventData[@StudyEventOID='SE.SCREENING']"
        "/FormData[@FormOID='F.DM']/ItemGroupData[@ItemGroupOID='IG.DM']/ItemData[@ItemOID='IT.CONSENT']: "
        "month out of range in '2022-13-01'"
    )


def test_value_outside_code_list_mapping(tmp_path: Path) -> None:
    body = SNAPSHOT.replace('<ItemData ItemOID="IT.SEX" Value="1"/>', '<ItemData ItemOID="IT.SEX" Value="9"/>')
    [(key, field, message)] = _messages(tmp_path, body)
    assert (key, field) == ("line 8", "IT.SEX -> subjects.csv.sex")
    assert message.endswith("value not in the mapping's code list for IT.SEX (allowed: '1', '2')")


def test_bad_enum_after_translation(tmp_path: Path) -> None:
    body = SNAPSHOT.replace('Value="MILD"', 'Value="GRADE 1"')
    [(key, field, message)] = _messages(tmp_path, body)
    assert (key, field) == ("line 26", "IT.AESEV -> adverse_events.csv.severity")
    assert message.endswith("must be one of MILD, MODERATE, SEVERE")


def test_missing_required_field(tmp_path: Path) -> None:
    body = SNAPSHOT.replace('<ItemData ItemOID="IT.AETERM" Value="Headache"/>', "")
    [(key, field, message)] = _messages(tmp_path, body)
    assert (key, field) == ("line 23", "adverse_events.csv.term")
    assert message.endswith("no value for required adverse_events.csv field(s) term")


def test_missing_required_field_skip_row(tmp_path: Path) -> None:
    odm, mapping = _write(tmp_path, SNAPSHOT.replace('<ItemData ItemOID="IT.AETERM" Value="Headache"/>', ""))
    with pytest.raises(DroppedDataError, match=r"rows skipped: adverse_events\.csv 1; nothing written"):
        load_odm(odm, mapping, STUDY, incomplete="skip_row")  # a run that drops data fails unless allowed
    result = load_odm(odm, mapping, STUDY, incomplete="skip_row", allow_dropped=True)
    assert result.records.adverse_events == ()
    assert len(result.records.subjects) == 1
    assert [(w.severity.name, w.key, w.field) for w in result.warnings] == [
        ("WARNING", "line 23", "adverse_events.csv.term")
    ]


def test_adverse_event_without_start_loads_incomplete(tmp_path: Path) -> None:
    odm, mapping = _write(tmp_path, SNAPSHOT.replace('<ItemData ItemOID="IT.AESTDAT" Value="2022-03-10"/>', ""))
    result = load_odm(odm, mapping, STUDY)
    assert result.warnings == ()
    assert result.records.adverse_events == (
        m.AdverseEvent("01-001", 1, "Headache", None, "N", "MILD", "NOT RELATED", "NOT APPLICABLE", "UNKNOWN"),
    )


def test_subject_key_not_matching_pattern(tmp_path: Path) -> None:
    [(key, field, message)] = _messages(tmp_path, SNAPSHOT.replace("SUBJ-001", "X1"))
    assert (key, field) == ("line 4", "SubjectKey")
    assert "does not match the mapping's subject_key pattern" in message


def test_conflicting_values_for_one_field(tmp_path: Path) -> None:
    mapping = MAPPING.replace("IT.CONSENT: consent_date", "IT.CONSENT: consent_date\n      IT.CONSENT2: consent_date")
    body = SNAPSHOT.replace(
        '<ItemData ItemOID="IT.RACE_W"',
        '<ItemData ItemOID="IT.CONSENT2" Value="2022-03-04"/><ItemData ItemOID="IT.RACE_W"',
    )
    [(_, field, message)] = _messages(tmp_path, body, mapping)
    assert field == "IT.CONSENT2 -> subjects.csv.consent_date"
    assert "conflicting values for subjects.csv.consent_date: '2022-03-01' (line 9) and '2022-03-04'" in message


def test_cross_checks_report_lines(tmp_path: Path) -> None:
    mapping = MAPPING.replace(
        'defaults: {site_id: "01", enrolled: "Y"}', 'defaults: {site_id: "01", country: "ARG", enrolled: "Y"}'
    )
    assert _messages(tmp_path, SNAPSHOT, mapping) == [("line 4", "country", "site 01 is in ATG")]


def test_root_must_be_odm(tmp_path: Path) -> None:
    [(key, _, message)] = _messages(tmp_path, "<Other/>")
    assert key == "line 2"
    assert message == "/Other: the root element is not ODM"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("table: nope.csv", "unknown table"),
        ("row: visit", "must be one of subject, event, group"),
        ("colour: red", "unknown key"),
    ],
)
def test_bad_mapping(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(f"item_groups:\n  IG.X:\n    table: subjects.csv\n    {text}\n", encoding="utf-8")
    if text.startswith("table"):
        path.write_text(f"item_groups:\n  IG.X:\n    {text}\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_mapping(path)
    assert any(message in issue.message for issue in caught.value.issues)


def test_mapping_refuses_unquoted_yes(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "item_groups:\n  IG.X:\n    table: disposition.csv\n    items:\n"
        "      IT.D: {field: event, values: {Yes: COMPLETED}}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="unquoted YAML boolean"):
        load_mapping(path)


def test_visit_number_item_must_agree_with_study_event(tmp_path: Path) -> None:
    mapping = MAPPING.replace("      IT.SVDAT: visit_date", "      IT.SVDAT: visit_date\n      IT.SVNUM: visit_num")
    body = SNAPSHOT.replace(
        '<ItemData ItemOID="IT.SVDAT" Value="2022-04-05"/>',
        '<ItemData ItemOID="IT.SVDAT" Value="2022-04-05"/><ItemData ItemOID="IT.SVNUM" Value="4"/>',
    )
    [(key, field, message)] = _messages(tmp_path, body, mapping)
    assert (key, field) == ("line 20", "IT.SVNUM -> visits.csv.visit_num")
    assert message.endswith("visit number 4 contradicts study event SE.M1 (visit 3)")


def test_typed_item_data_and_is_null(tmp_path: Path) -> None:
    """ODM 1.3 typed ItemData elements carry the value as text; IsNull="Yes" means no value."""
    body = SNAPSHOT.replace(
        '<ItemData ItemOID="IT.CONSENT" Value="2022-03-01"/>',
        '<ItemDataDate ItemOID="IT.CONSENT">2022-03-01</ItemDataDate>',
    ).replace('<ItemData ItemOID="IT.RACE_B" Value="1"/>', '<ItemData ItemOID="IT.RACE_B" IsNull="Yes"/>')
    records = read_odm(*_write(tmp_path, body), STUDY)
    assert records.subjects == (m.Subject("01-001", "01", "F", "ATG", "2022-03-01", "Y", race=("WHITE",)),)


RAVE_AUDIT = """
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:mdsol="http://www.mdsol.com/ns/odm/metadata"
     ODMVersion="1.3" FileType="Transactional" FileOID="F2" CreationDateTime="2024-01-01T00:00:00">
<ClinicalData StudyOID="S" MetaDataVersionOID="v1" mdsol:AuditSubCategoryName="Entered">
<SubjectData SubjectKey="SUBJ-004" TransactionType="Upsert">
<SiteRef LocationOID="ATG-1"/>
<StudyEventData StudyEventOID="SE.SCREENING" TransactionType="Upsert">
<FormData FormOID="F.DM" TransactionType="Upsert">
<ItemGroupData ItemGroupOID="IG.DM" TransactionType="Upsert">
<ItemData ItemOID="IT.SEX" Value="2" TransactionType="Upsert"/>
<ItemData ItemOID="IT.CONSENT" Value="2022-06-01" TransactionType="Upsert"/>
</ItemGroupData>
</FormData>
<FormData FormOID="F.SV" TransactionType="Upsert">
<ItemGroupData ItemGroupOID="IG.SV" TransactionType="Upsert">
<ItemData ItemOID="IT.SVDAT" Value="2022-06-02" TransactionType="Upsert"/>
</ItemGroupData>
</FormData>
</StudyEventData>
</SubjectData>
</ClinicalData>
<ClinicalData StudyOID="S" MetaDataVersionOID="v1" mdsol:AuditSubCategoryName="QueryOpen">
<SubjectData SubjectKey="SUBJ-004" TransactionType="Upsert">
<StudyEventData StudyEventOID="SE.SCREENING" TransactionType="Upsert">
<FormData FormOID="F.DM" TransactionType="Upsert">
<ItemGroupData ItemGroupOID="IG.DM" TransactionType="Upsert">
<ItemData ItemOID="IT.CONSENT" TransactionType="Upsert">
<mdsol:Query QueryRepeatKey="1" Value="Consent after visit?" Status="Open" Recipient="Site from System"/>
</ItemData>
</ItemGroupData>
</FormData>
</StudyEventData>
</SubjectData>
</ClinicalData>
<ClinicalData StudyOID="S" MetaDataVersionOID="v1" mdsol:AuditSubCategoryName="Comment">
<SubjectData SubjectKey="SUBJ-004" TransactionType="Upsert">
<StudyEventData StudyEventOID="SE.SCREENING" TransactionType="Upsert">
<FormData FormOID="F.SV" TransactionType="Upsert">
<ItemGroupData ItemGroupOID="IG.SV" TransactionType="Upsert">
<ItemData ItemOID="IT.SVDAT" TransactionType="Upsert">
<AuditRecord><UserRef UserOID="cra1"/><LocationRef LocationOID="ATG-1"/>
<DateTimeStamp>2022-06-03T10:00:00</DateTimeStamp><ReasonForChange>comment added</ReasonForChange></AuditRecord>
<mdsol:Comment CommentRepeatKey="1">Visit done in the morning</mdsol:Comment>
</ItemData>
</ItemGroupData>
</FormData>
</StudyEventData>
</SubjectData>
</ClinicalData>
<ClinicalData StudyOID="S" MetaDataVersionOID="v1" mdsol:AuditSubCategoryName="Removed">
<SubjectData SubjectKey="SUBJ-004" TransactionType="Upsert">
<StudyEventData StudyEventOID="SE.SCREENING" TransactionType="Upsert">
<FormData FormOID="F.SV" TransactionType="Upsert">
<ItemGroupData ItemGroupOID="IG.SV" TransactionType="Upsert">
<ItemData ItemOID="IT.SVDAT" Value="2022-06-04" TransactionType="Upsert"/>
<ItemData ItemOID="IT.SVDAT" TransactionType="Remove"/>
<ItemData ItemOID="IT.SVDAT" Value="2022-06-05" TransactionType="Upsert"/>
</ItemGroupData>
</FormData>
</StudyEventData>
</SubjectData>
</ClinicalData>
</ODM>
"""


def test_rave_query_and_comment_records_change_no_data(tmp_path: Path) -> None:
    """Rave sends queries and comments as ItemData Upsert without a Value: they are no change (ODM 1.3.2: only
    TransactionType Remove or IsNull clears a value); replay follows file order, so the Remove between two values
    clears the first and the last one stands."""
    result = load_odm(*_write(tmp_path, RAVE_AUDIT, RAVE_MAPPING), STUDY)
    assert result.records.subjects == (m.Subject("01-004", "01", "M", "ATG", "2022-06-01", "Y"),)
    assert result.records.visits == (m.Visit("01-004", 1.0, "Y", "2022-06-05"),)
    coverage = result.coverage
    assert coverage is not None
    assert (coverage.collected, coverage.audit_only, coverage.removed, coverage.superseded) == (5, 2, 1, 1)
    assert dict(coverage.in_output) == {
        "subjects.csv.sex": 1,
        "subjects.csv.consent_date": 1,
        "visits.csv.visit_date": 1,
    }
    assert coverage.accounted() == coverage.collected
    assert coverage.unaccounted == 0

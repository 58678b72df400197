"""The specification in mappings/: loads, has what the trial needs, and every defect is a SpecError naming file:line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from trialinterop.definition import bundled_definition
from trialinterop.errors import SpecError
from trialinterop.spec import load_spec

MAPPINGS = Path(__file__).resolve().parents[1] / "mappings"


@pytest.fixture(scope="module")
def spec():
    return load_spec()


@pytest.fixture(scope="module")
def study_spec():
    """The specification of NCT05016804: its value-level metadata and test codelists come from its definition."""
    return load_spec(definition=bundled_definition("NCT05016804"))


def test_spec_lists_the_datasets(spec) -> None:
    assert spec.dataset_names[:15] == (
        "DM", "SE", "SV", "CM", "EX", "AE", "DS", "MH", "PR", "IE", "QS", "RE", "VS", "LB", "FT",
    )  # fmt: skip
    assert {"TA", "TE", "TV", "TI", "TS", "SUPPDM", "SUPPAE", "SUPPDS"} <= set(spec.dataset_names)


def test_dataset_metadata(spec) -> None:
    ae = spec.dataset("AE")
    assert (ae.label, ae.cls, ae.keys) == ("Adverse Events", "EVENTS", ("STUDYID", "USUBJID", "AEDECOD", "AESTDTC"))
    assert spec.dataset("TS").reference_data is True
    assert spec.dataset("SUPPAE").file_name == "suppae"


def test_dm_variables_in_order(spec) -> None:
    assert [v.name for v in spec.variables("DM")] == [
        "STUDYID", "DOMAIN", "USUBJID", "SUBJID", "RFSTDTC", "RFENDTC", "RFXSTDTC", "RFXENDTC", "RFICDTC", "RFPENDTC",
        "DTHDTC", "DTHFL", "SITEID", "BRTHDTC", "AGE", "AGEU", "SEX", "RACE", "ETHNIC", "ARMCD", "ARM", "ACTARMCD",
        "ACTARM", "ARMNRS", "ACTARMUD", "COUNTRY", "DMDTC", "DMDY",
    ]  # fmt: skip


def test_required_and_expected_variables_of_sdtm_reference_are_present(spec) -> None:
    expected = {
        "EX": "EXSEQ EXTRT EXDOSE EXDOSU EXDOSFRM EXSTDTC EXENDTC",
        "AE": "AESEQ AETERM AELLT AELLTCD AEDECOD AEPTCD AEHLT AEHLTCD AEHLGT AEHLGTCD AEBODSYS AEBDSYCD AESOC AESOCCD "
        "AESER AEACN AEREL AESTDTC AEENDTC",
        "QS": "QSSEQ QSTESTCD QSTEST QSCAT QSORRES QSSTRESC QSLOBXFL VISITNUM QSDTC",
        "RE": "RESEQ RETESTCD RETEST REORRES RESTRESC RELOBXFL VISITNUM REDTC",
        "SV": "VISITNUM SVPRESP SVOCCUR SVSTDTC SVENDTC",
        "SE": "SESEQ ETCD SESTDTC SEENDTC",
        "DS": "DSSEQ DSTERM DSDECOD DSCAT DSSTDTC DSSTDY",
        "IE": "IESEQ IETESTCD IETEST IECAT IEORRES IESTRESC",
        "TS": "TSSEQ TSPARMCD TSPARM TSVAL TSVALCD TSVCDREF TSVCDVER",
        "TA": "ARMCD ARM TAETORD ETCD TABRANCH TATRANS EPOCH",
        "TE": "ETCD ELEMENT TESTRL",
        "TV": "VISITNUM VISIT ARMCD TVSTRL",
        "TI": "IETESTCD IETEST IECAT",
        "SUPPAE": "STUDYID RDOMAIN USUBJID IDVAR IDVARVAL QNAM QLABEL QVAL QORIG QEVAL",
    }
    for dataset, names in expected.items():
        present = {v.name: v.core for v in spec.variables(dataset)}
        for name in names.split():
            assert present.get(name) in ("Req", "Exp"), f"{dataset}.{name}"


def test_variable_attributes(spec) -> None:
    aestdy = spec.variable("AE", "AESTDY")
    assert (aestdy.type, aestdy.data_type, aestdy.origin, aestdy.method_id) == (
        "Num",
        "integer",
        "Derived",
        "MT.STUDYDAY",
    )
    sex = spec.variable("DM", "SEX")
    assert (sex.label, sex.core, sex.codelist, sex.length_limit) == ("Sex", "Req", "SEX", 8)
    assert spec.variable("AE", "AEDECOD").codelist == "MEDDRA"
    assert spec.is_dictionary("MEDDRA") and spec.codelist("MEDDRA") is None
    assert spec.dictionaries["MEDDRA"].dictionary == "MedDRA"


def test_value_level_for_qs_re_from_the_definition_and_supp(spec, study_spec) -> None:
    assert spec.value_level("QS") == study_spec.value_level("QS")  # without a definition: the default study's
    qsorres = study_spec.value_level("QS", "QSORRES")
    assert [e.where_values[0] for e in qsorres] == ["MRSS0101", "MRSS0118"]
    assert len(qsorres[0].where_values) == 17 and qsorres[0].codelist == "MRSS01RS"
    assert [(e.label, e.length_limit, e.method_id) for e in qsorres] == [
        ("Modified Rodnan skin score", 1, ""),
        ("MRSS01-Total Skin Score", 2, "MT.QSDRVFL"),
    ]
    stresn = study_spec.value_level("QS", "QSSTRESN")
    assert [(e.minimum, e.maximum) for e in stresn] == [(0.0, 3.0), (0.0, 51.0)]
    assert [e.where_values for e in study_spec.value_level("RE", "REORRES")] == [("FVC",), ("FVCPP",)]
    assert [e.label for e in study_spec.value_level("RE", "REORREF")] == ["Reference Forced Vital Capacity in L"]
    for found in (spec, study_spec):
        assert {e.where_values[0] for e in found.value_level("SUPPAE")} == {
            "AETRTEM", "AESOSP", "AESRCCD", "AESRCCAT", "AESUSPCT",
            "AESRCSEV", "AESRCSER", "AESRCREL", "AESRCACN", "AESRCOUT",  # AE codes no CDISC term maps (FHIR)
        }  # fmt: skip
        assert found.value_level("SUPPDM")[0].codelist == "RACE"
        assert [e.where_values for e in found.value_level("SUPPCM")] == [("CMSRCRT",)]  # routes as given (FHIR)
        assert [e.where_values for e in found.value_level("SUPPMH")] == [("MHSRCSEV",)]  # severities as given
        assert [e.where_values for e in found.value_level("SUPPEX")] == [("EXSRCRT",)]


def test_xanad01_value_level_groups_tests_and_converts_ranges() -> None:
    spec = load_spec(definition=bundled_definition("XANAD01"))
    lbstresn = spec.value_level("LB", "LBSTRESN")
    assert [(e.label, len(e.where_values), e.minimum, e.maximum) for e in lbstresn] == [
        ("Clinical chemistry", 18, 0.0, None),
        ("Haematology", 11, 0.0, None),
        ("Hematocrit in %", 1, 0.0, 100.0),
    ]
    temp = [e for e in spec.value_level("VS", "VSORRES") if e.where_values == ("TEMP",)]
    assert [(e.label, e.data_type, e.length_limit) for e in temp] == [("Temperature in C", "float", 20)]
    presence = [e for e in spec.value_level("QS", "QSORRES") if "NPITM01" in e.where_values]
    assert [(e.data_type, e.length_limit, e.where_comparator) for e in presence] == [("text", 200, "IN")]
    assert spec.variable("VS", "VSTESTCD").codelist == "VSTESTCD" and spec.variable("LB", "LBTEST").codelist == "LBTEST"
    assert spec.variable("QS", "QSTESTCD").codelist == ""  # ADAS-Cog, CIBIC+ and NPI-X name no list
    vstestcd = spec.codelist("VSTESTCD")
    assert vstestcd is not None and (vstestcd.code, vstestcd.extensible) == ("C66741", True)
    assert [(t.value, t.code, t.decode) for t in vstestcd.terms][:2] == [
        ("SYSBP", "C25298", "Systolic Blood Pressure"),
        ("DIABP", "C25299", "Diastolic Blood Pressure"),
    ]
    assert spec.study.study_oid == "XANAD01" and spec.study.define_file_oid == "DEF.XANAD01.SDTM"
    qscat = spec.codelist("QSCAT")
    assert qscat is not None and [(t.value, t.code) for t in qscat.terms][1:] == [
        ("ADAS-COG", ""),  # not a QSCAT term of current CT: a sponsor extension
        ("ADCS-CGIC", "C103515"),
        ("NPI", "C100772"),
    ]


def test_study_settings_from_the_definition_equal_study_yaml(spec, study_spec) -> None:
    assert study_spec.study == spec.study


def test_study_settings(spec) -> None:
    study = spec.study
    assert (study.ig_name, study.ig_version, study.model_version) == ("SDTMIG", "3.4", "2.0")
    assert [(c.publishing_set, c.version) for c in study.ct] == [("SDTM", "2025-03-28"), ("DEFINE-XML", "2025-03-28")]
    assert study.define_creation_datetime == "2026-01-01T00:00:00"


def test_added_codelists_carry_nci_codes(spec) -> None:
    terms = spec.terminology
    assert terms.code("TSPARMCD", "SSTDTC") == "C69208"
    assert terms.code("TSPARM", "Study Start Date") == "C69208"
    assert terms.code("DOMAIN", "RE") == "C95098"
    assert terms.code("DICTNAM", "MedDRA") == "C43820"
    assert terms.term("QSCAT", "MRSS").code == ""  # sponsor extension: no invented NCI code


def test_definition_test_codelists(study_spec) -> None:
    terms = study_spec.terminology
    assert terms.term("MRSS01TC", "MRSS0118").decode == "MRSS01-Total Skin Score"
    assert terms.term("MRSS01TN", "MRSS01-Feet Left").code == ""
    assert terms.code("RETESTCD", "FVCPP") == "C112381"
    assert (study_spec.variable("QS", "QSTESTCD").codelist, study_spec.variable("QS", "QSTEST").codelist) == (
        "MRSS01TC",
        "MRSS01TN",
    )


def test_unknown_accessors_raise(spec) -> None:
    with pytest.raises(SpecError, match="XX"):
        spec.dataset("XX")
    with pytest.raises(SpecError, match=r"AE\.NOPE"):
        spec.variable("AE", "NOPE")


# ---- defects: each is reported with the file and line -------------------------------------------------------------


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "mappings"
    shutil.copytree(MAPPINGS, folder)
    return folder


def _edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(folder: Path, name: str, fragment: str) -> int:
    for number, line in enumerate((folder / name).read_text(encoding="utf-8").splitlines(), start=1):
        if fragment in line:
            return number
    raise AssertionError(fragment)


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("variables.csv", "dataset,order,variable", "dataset,order,varname", r"variables.csv:1: .*unknown: varname"),
        ("datasets.csv", ",comment_id\n", ",comment_id,extra\n", r"datasets.csv:1: .*unknown: extra"),
        (
            "variables.csv",
            "AE,6,AETERM,Reported Term for the Adverse Event,",
            "AE,6,AETERM,Reported Term for the Adverse Event Verbatim Text,",
            r"variables.csv:\d+: label .* is 49 characters",
        ),
        ("variables.csv", "DM,17,SEX,Sex,", "DM,17,SEX,Séx,", r"variables.csv:\d+: label 'Séx' must be ASCII"),
        ("variables.csv", "DM,17,SEX,", "DM,17,sex,", r"variables.csv:\d+: variable 'sex' must be 1-8 upper-case"),
        ("variables.csv", "DM,17,SEX,", "DM,18,SEX,", r"variables.csv:\d+: order 18 of DM.SEX must be 17"),
        ("variables.csv", "text,Char,8,Req,SEX,", "text,Char,8,Req,GENDER,", r"variables.csv:\d+: codelist 'GENDER'"),
        (
            "variables.csv",
            "DM,17,SEX,Sex,text,Char,8",
            "DM,17,SEX,Sex,integer,Num,8",
            r"length_limit must be empty for Num",
        ),
        (
            "variables.csv",
            "DM,17,SEX,Sex,text,Char,8",
            "DM,17,SEX,Sex,text,Char,201",
            r"length_limit 201 must be 1..200",
        ),
        ("variables.csv", ",Derived,EX.EXSTDTC,MT.RFSTDTC,", ",Derived,EX.EXSTDTC,,", r"Derived but has no method_id"),
        ("variables.csv", "DM,17,SEX,Sex,text,Char,8,Req", "DM,17,SEX,Sex,text,Char,8,Mandatory", r"core 'Mandatory'"),
        (
            "datasets.csv",
            "STUDYID USUBJID AEDECOD AESTDTC",
            "STUDYID USUBJID AETERMX",
            r"datasets.csv:\d+: key AETERMX",
        ),
        ("datasets.csv", "DM,Demographics,SPECIAL PURPOSE", "DM,Demographics,SPECIAL", r"datasets.csv:\d+: class"),
        (
            "value_level.csv",
            "DS,DSDECOD,DSCAT,EQ,DISPOSITION",
            "DS,DSDECOD,DSCATX,EQ,DISPOSITION",
            r"value_level.csv:2: where_variable",
        ),
        (
            "value_level.csv",
            "DS,DSDECOD,DSCAT,EQ,PROTOCOL MILESTONE",
            "DS,DSDECOD,DSCAT,EQ,DISPOSITION EVENT",
            r"value_level.csv:3: .*DISPOSITION EVENT repeats value_level.csv:2",
        ),
        ("methods.csv", "MT.BLFL,Baseline flag", "MT.BLFL2,Baseline flag", r"method_id 'MT.BLFL' is not defined"),
        ("comments.csv", "COM.TV,", "COM.TVX,", r"comment_id 'COM.TV' is not defined"),
        (
            "study.yaml",
            "  protocol_name: NCT05016804",
            "  protocol_name: NCT05016804\n  phase: 2",
            r"unknown key\(s\) phase",
        ),
        ("study.yaml", 'creation_datetime: "2026-01-01T00:00:00"', "creation_datetime: now", r"complete ISO 8601"),
    ],
)
def test_spec_defects_are_reported_with_file_and_line(tmp_path, file, old, new, message) -> None:
    folder = _copy(tmp_path)
    _edit(folder, file, old, new)
    with pytest.raises(SpecError, match=message):
        load_spec(folder)


def test_unused_method_is_an_error(tmp_path) -> None:
    folder = _copy(tmp_path)
    with (folder / "methods.csv").open("a", encoding="utf-8") as handle:
        handle.write("MT.UNUSED,Nothing,Computation,Used by nobody\n")
    with pytest.raises(SpecError, match=r"methods.csv: method\(s\) MT.UNUSED are not used"):
        load_spec(folder)


def test_error_names_the_exact_line(tmp_path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "variables.csv", "AE,6,AETERM,Reported Term for the Adverse Event,", "AE,6,AETERM,,")
    line = _line_of(folder, "variables.csv", "AE,6,AETERM,,")
    with pytest.raises(SpecError, match=rf"variables.csv:{line}: label is empty"):
        load_spec(folder)


def test_spec_is_frozen(spec) -> None:
    with pytest.raises(AttributeError):
        spec.datasets = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        spec.variable("DM", "SEX").label = "x"  # type: ignore[misc]

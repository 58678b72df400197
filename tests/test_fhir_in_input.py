"""FHIR input: bad input is explained (file, entry/line, resource, element) with exit 2 and nothing written; other
tools' shapes (references as `Type/id`, server fullUrls, `_history`) and NDJSON exports are read; `to-sdtm` and
`load_trial` accept FHIR too."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pyreadstat
import pytest
from click.testing import CliRunner

from round_trip_support import canonical
from trialinterop.cli import main
from trialinterop.definition import bundled_definition
from trialinterop.errors import InputError
from trialinterop.fhir.emit import write_fhir
from trialinterop.fhir_in import load_fhir_trial
from trialinterop.fhir_in.values import record_dtc
from trialinterop.inputs import load_trial
from trialinterop.source.generate import generate_records
from trialinterop.source.models import TrialRecords

STUDY = "NCT05016804"


@pytest.fixture(scope="module")
def records() -> TrialRecords:
    generated = generate_records(bundled_definition(STUDY), subjects=3, seed=7)
    return dataclasses.replace(generated, medications=(), medical_history=())  # FHIR carries neither yet


def _bundle(records: TrialRecords, folder: Path, version: str = "R4") -> dict[str, Any]:
    path = folder / f"source-{version}.json"
    write_fhir(records, path, version=version, form="collection")
    return json.loads(path.read_text(encoding="utf-8"))


def _write(folder: Path, document: Any, name: str = "input.json") -> Path:
    path = folder / name
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    return path


def _run(source: Path, out: Path, *extra: str) -> Any:
    arguments = ["fhir-to-sdtm", str(source), "-o", str(out), "--no-define", "--study", STUDY, *extra]
    return CliRunner().invoke(main, arguments)


def _index(bundle: dict[str, Any], resource_type: str) -> int:
    return next(i for i, e in enumerate(bundle["entry"]) if e["resource"]["resourceType"] == resource_type)


def _assert_refused(result: Any, out: Path, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]  # previous output untouched


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "keep.txt").write_text("earlier package", encoding="utf-8")
    return folder


def test_not_json_names_line_and_column(tmp_path: Path, out: Path) -> None:
    source = _write(tmp_path, '{"resourceType": "Bundle",\n  "entry": [}')
    _assert_refused(_run(source, out), out, "input.json", "not valid JSON", "line 2 column 13")


def test_bundle_without_entries(tmp_path: Path, out: Path) -> None:
    source = _write(tmp_path, {"resourceType": "Bundle", "type": "collection"})
    _assert_refused(_run(source, out), out, "input.json", "Bundle.entry", "the Bundle has no entries")


def test_not_a_bundle(tmp_path: Path, out: Path) -> None:
    source = _write(tmp_path, {"resourceType": "Patient", "id": "p"})
    _assert_refused(_run(source, out), out, "expected a FHIR Bundle, found 'Patient'")


def test_unknown_resource_type(tmp_path: Path, out: Path, records: TrialRecords) -> None:
    bundle = _bundle(records, tmp_path)
    bundle["entry"][4]["resource"]["resourceType"] = "Patientt"
    source = _write(tmp_path, bundle)
    _assert_refused(_run(source, out), out, "input.json entry[4]", "resourceType", "unknown resourceType 'Patientt'")


def test_dangling_reference(tmp_path: Path, out: Path, records: TrialRecords) -> None:
    bundle = _bundle(records, tmp_path)
    patient = _index(bundle, "Patient")
    patient_id = bundle["entry"][patient]["resource"]["id"]
    del bundle["entry"][patient]
    subject = _index(bundle, "ResearchSubject")
    source = _write(tmp_path, bundle)
    _assert_refused(
        _run(source, out),
        out,
        f"input.json entry[{subject}] (ResearchSubject/",
        "ResearchSubject.individual",
        f"reference 'urn:uuid:{patient_id}' does not resolve",
    )


def test_r4_resource_in_r5_bundle(tmp_path: Path, out: Path, records: TrialRecords) -> None:
    r4, r5 = _bundle(records, tmp_path, "R4"), _bundle(records, tmp_path, "R5")
    subject = _index(r5, "ResearchSubject")
    r5["entry"][subject] = r4["entry"][_index(r4, "ResearchSubject")]
    source = _write(tmp_path, r5)
    _assert_refused(_run(source, out), out, f"entry[{subject}]", "ResearchSubject.individual", "R4 element in R5 input")


def test_forced_version_that_does_not_match(tmp_path: Path, out: Path, records: TrialRecords) -> None:
    source = _write(tmp_path, _bundle(records, tmp_path, "R4"))
    _assert_refused(_run(source, out, "--fhir-version", "R5"), out, "R4 element in R5 input", "--fhir-version R5")


def test_research_subject_without_patient(tmp_path: Path, out: Path, records: TrialRecords) -> None:
    bundle = _bundle(records, tmp_path)
    subject = _index(bundle, "ResearchSubject")
    del bundle["entry"][subject]["resource"]["individual"]
    source = _write(tmp_path, bundle)
    _assert_refused(_run(source, out), out, f"entry[{subject}]", "ResearchSubject.individual", "required: the Patient")


def test_adverse_event_codes_no_cdisc_term_maps_go_to_suppae(tmp_path: Path, out: Path, records: TrialRecords) -> None:
    """The issue's rule for an unmapped code: a warning, the variable blank, the code as given in SUPP-- (this was
    an error refusing the run for an unknown outcome)."""
    bundle = _bundle(records, tmp_path)
    event = _index(bundle, "AdverseEvent")
    resource = bundle["entry"][event]["resource"]
    resource["outcome"] = {"coding": [{"system": "http://example.org", "code": "x"}]}
    resource["severity"] = {"coding": [{"system": "http://snomed.info/sct", "code": "371923003",
                                        "display": "Mild to moderate"}]}  # fmt: skip
    resource["seriousness"] = {"text": "perhaps"}
    result = _run(_write(tmp_path, bundle), out)
    assert result.exit_code == 0, result.output
    for line in (
        "AdverseEvent.outcome: http://example.org|x has no CDISC OUT term: AEOUT left blank, kept in SUPPAE AESRCOUT",
        "AdverseEvent.severity: http://snomed.info/sct|371923003 (Mild to moderate) has no CDISC AESEV term: AESEV "
        "left blank, kept in SUPPAE AESRCSEV",
        "AdverseEvent.seriousness: perhaps has no CDISC NY term: AESER left blank, kept in SUPPAE AESRCSER",
    ):
        assert line in result.output
    suppae, _ = pyreadstat.read_xport(str(out / "suppae.xpt"))
    kept = suppae[suppae["QNAM"].str.startswith("AESRC")]
    assert sorted(zip(kept["QNAM"], kept["QVAL"], strict=True)) == [
        ("AESRCOUT", "http://example.org|x"),
        ("AESRCSER", "perhaps"),
        ("AESRCSEV", "http://snomed.info/sct|371923003 (Mild to moderate)"),
    ]
    ae, _ = pyreadstat.read_xport(str(out / "ae.xpt"))
    (seq,) = set(kept["IDVARVAL"])
    row = ae[ae["AESEQ"] == float(seq)]
    assert row[["USUBJID", "AEOUT", "AESEV", "AESER"]].to_dict("records") == [
        {"USUBJID": kept["USUBJID"].iloc[0], "AEOUT": "", "AESEV": "", "AESER": ""}
    ]


def test_bad_ndjson_line(tmp_path: Path, out: Path, records: TrialRecords) -> None:
    folder = tmp_path / "export"
    write_fhir(records, folder, version="R4", form="ndjson")
    patients = folder / "Patient.ndjson"
    lines = patients.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1][:-1]  # cut the closing brace
    patients.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _assert_refused(_run(folder, out), out, "Patient.ndjson:2", "not valid JSON")


def test_ndjson_export_reads_like_the_records(tmp_path: Path, records: TrialRecords) -> None:
    folder = tmp_path / "export"
    write_fhir(records, folder, version="R5", form="ndjson")
    assert canonical(load_fhir_trial(folder, study=STUDY)) == canonical(records)
    assert canonical(load_trial(folder, study=STUDY).records) == canonical(records)  # what every command uses


def test_other_tool_shape_with_type_id_references_and_server_urls(tmp_path: Path, records: TrialRecords) -> None:
    """A server's export: fullUrls are server URLs, references `Type/id` or absolute with `_history`, no requests."""
    bundle = _bundle(records, tmp_path)
    types = {e["resource"]["id"]: e["resource"]["resourceType"] for e in bundle["entry"]}
    text = json.dumps(bundle)
    for number, (rid, kind) in enumerate(types.items()):
        target = f"{kind}/{rid}" if number % 2 else f"https://fhir.example.org/r4/{kind}/{rid}/_history/3"
        text = text.replace(f'"reference": "urn:uuid:{rid}"', f'"reference": "{target}"')
    shaped = json.loads(text)
    shaped["type"] = "searchset"
    for item in shaped["entry"]:
        resource = item["resource"]
        item["fullUrl"] = f"https://fhir.example.org/r4/{resource['resourceType']}/{resource['id']}"
    assert "urn:uuid" not in json.dumps([e["resource"] for e in shaped["entry"]])
    source = _write(tmp_path, shaped, "server.json")
    assert canonical(load_fhir_trial(source, study=STUDY)) == canonical(records)


def test_to_sdtm_accepts_a_fhir_bundle(tmp_path: Path, records: TrialRecords) -> None:
    source = _write(tmp_path, _bundle(records, tmp_path, "R5"), "bundle.json")
    result = CliRunner().invoke(
        main, ["to-sdtm", str(source), "-o", str(tmp_path / "sdtm"), "--no-define", "--study", STUDY]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "sdtm" / "dm.xpt").is_file() and (tmp_path / "sdtm" / "qs.xpt").is_file()


def test_to_sdtm_without_study_refuses_unmapped_findings(tmp_path: Path, out: Path, records: TrialRecords) -> None:
    source = _write(tmp_path, _bundle(records, tmp_path, "R5"), "bundle.json")
    result = CliRunner().invoke(main, ["to-sdtm", str(source), "-o", str(out), "--no-define"])
    _assert_refused(result, out, "Observation(s) not mapped (give --study, or use --no-strict")


@pytest.mark.parametrize(
    ("fhir", "record"),
    [
        ("2022-01-15", "2022-01-15"),
        ("2022-01", "2022-01"),
        ("2022-01-15T09:30:00-04:00", "2022-01-15T09:30"),
        ("2022-01-15T09:30:15Z", "2022-01-15T09:30:15"),
        ("2022-01-15T09:30:00+05:30", "2022-01-15T09:30"),
    ],
)
def test_record_dates_drop_zone_and_zero_seconds(fhir: str, record: str) -> None:
    assert record_dtc(fhir) == record


def test_adverse_event_in_the_joint_mapping_ig_shape(tmp_path: Path, records: TrialRecords) -> None:
    """AETERM/MedDRA from resultingCondition -> Condition.code, AEENDTC from the R5 occurrence cross-version
    extension, AESEV and AEOUT from the R4 core codes only (what another R4 system would send)."""
    bundle = _bundle(records, tmp_path)
    base = "http://hl7.org/fhir/uv/ae-research-backport-ig/StructureDefinition/"
    position, event = next(
        (i, e["resource"])
        for i, e in enumerate(bundle["entry"])
        if e["resource"]["resourceType"] == "AdverseEvent"
        and "coding" in e["resource"]["event"]
        and any(x["url"] == base + "resolve-date" for x in e["resource"]["extension"])
    )
    condition = {"resourceType": "Condition", "id": "cond-1", "code": event.pop("event"), "subject": event["subject"]}
    bundle["entry"].append({"fullUrl": "urn:uuid:cond-1", "resource": condition})
    event["resultingCondition"] = [{"reference": "urn:uuid:cond-1"}]
    (resolved,) = [x for x in event["extension"] if x["url"] == base + "resolve-date"]
    event["extension"].remove(resolved)
    occurrence = "http://hl7.org/fhir/5.0/StructureDefinition/extension-AdverseEvent.occurrence"
    event["extension"].append({"url": occurrence, "valuePeriod": {"end": resolved["valueDateTime"]}})
    event["severity"]["coding"] = event["severity"]["coding"][:1]  # R4 core severity only
    event["outcome"]["coding"] = event["outcome"]["coding"][:1]  # R4 core outcome only
    source = _write(tmp_path, bundle)
    back = load_fhir_trial(source, study=STUDY)
    assert back.adverse_events == records.adverse_events
    assert bundle["entry"][position]["resource"] is event and "event" not in event


def test_size_limit_is_checked_before_parsing(tmp_path: Path, out: Path, records: TrialRecords, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import trialinterop.fhir_in.load as load

    source = _write(tmp_path, _bundle(records, tmp_path))
    monkeypatch.setattr(load, "MAX_BUNDLE_BYTES", 1000)
    _assert_refused(_run(source, out), out, "input.json", "over the 1000-byte limit", "export large trials as NDJSON")


def test_other_fhir_resources_are_skipped_but_duplicates_are_not(tmp_path: Path, records: TrialRecords) -> None:
    bundle = _bundle(records, tmp_path)
    bundle["entry"].append({"fullUrl": "urn:uuid:prov-1", "resource": {"resourceType": "Provenance", "id": "prov-1"}})
    assert canonical(load_fhir_trial(_write(tmp_path, bundle, "with-provenance.json"), study=STUDY)) == canonical(
        records
    )
    bundle["entry"].append(bundle["entry"][_index(bundle, "Patient")])
    with pytest.raises(InputError, match=r"duplicate resource Patient/[0-9a-f-]+ \(also at with-duplicate.json entry"):
        load_fhir_trial(_write(tmp_path, bundle, "with-duplicate.json"), study=STUDY)


def test_element_of_the_wrong_json_type_names_its_resource(tmp_path: Path, out: Path, records: TrialRecords) -> None:
    bundle = _bundle(records, tmp_path)
    subject = _index(bundle, "ResearchSubject")
    bundle["entry"][subject]["resource"]["period"] = "2022-01-01"  # a Period object in FHIR
    source = _write(tmp_path, bundle)
    _assert_refused(_run(source, out), out, f"input.json entry[{subject}] (ResearchSubject/", "malformed resource")


def test_deeply_nested_json_is_refused_without_a_traceback(tmp_path: Path, out: Path) -> None:
    source = _write(tmp_path, '{"resourceType": "Bundle", "entry": ' + "[" * 100_000 + "]" * 100_000 + "}")
    _assert_refused(_run(source, out), out, "input.json", "nested too deeply")


def test_version_is_told_by_shape() -> None:
    from trialinterop.fhir_in.load import Located, detect_version
    from trialinterop.source.models import Origin

    def located(resource: dict) -> Located:
        return Located(resource, f"x ({resource['resourceType']})", Origin("x", 1))

    patient = located({"resourceType": "Patient", "id": "p"})
    r4_subject = located({"resourceType": "ResearchSubject", "id": "s", "individual": {"reference": "Patient/p"}})
    r5_event = located({"resourceType": "AdverseEvent", "id": "a", "occurrencePeriod": {"start": "2022"}})
    assert detect_version([patient]) == "R4"  # nothing telling: R4, what most servers speak
    assert detect_version([patient, r4_subject]) == "R4"
    assert detect_version([patient, r5_event]) == "R5"
    assert detect_version([patient], "r5") == "R5"
    with pytest.raises(InputError, match=r"AdverseEvent.occurrencePeriod: R5 element in R4 input"):
        detect_version([r4_subject, r5_event])


def test_r4_backport_severity_or_grade_extension_gives_aesev(tmp_path: Path, out: Path, records: TrialRecords) -> None:
    """The AE Clinical Research IG's R4 backport carries severity in its `severity-or-grade` extension."""
    bundle = _bundle(records, tmp_path)
    url = "http://hl7.org/fhir/uv/ae-research-backport-ig/StructureDefinition/severity-or-grade"
    events = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "AdverseEvent"]
    for resource in events:  # every event: severe, given only in the extension
        resource.pop("severity", None)
        severe = {"system": "http://terminology.hl7.org/CodeSystem/adverse-event-severity", "code": "severe"}
        resource.setdefault("extension", []).append({"url": url, "valueCodeableConcept": {"coding": [severe]}})
    report = tmp_path / "coverage.json"
    result = _run(_write(tmp_path, bundle), out, "--report", str(report))
    assert result.exit_code == 0, result.output
    ae, _ = pyreadstat.read_xport(str(out / "ae.xpt"))
    assert len(ae) == len(events) > 1 and set(ae["AESEV"]) == {"SEVERE"}
    elements = json.loads(report.read_text(encoding="utf-8"))["resources"]["AdverseEvent"]["elements"]
    assert elements[f"extension({url})"] == {"count": len(events), "mapped_to": "AE.AESEV;SUPPAE.AESRCSEV"}


def test_resources_entered_in_error_are_left_out_and_listed(tmp_path: Path, out: Path, records: TrialRecords) -> None:
    """FHIR's status `entered-in-error` (a modifier) marks no valid record: an AdverseEvent so marked by the AE IG
    backport's status modifier extension, and an Observation by its status, are listed, not mapped."""
    bundle = _bundle(records, tmp_path)
    events = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "AdverseEvent"]
    events[0]["modifierExtension"] = [{"url": "http://hl7.org/fhir/uv/ae-research-backport-ig/StructureDefinition/status",
                                       "valueCode": "entered-in-error"}]  # fmt: skip
    observation = bundle["entry"][_index(bundle, "Observation")]["resource"]
    observation["status"] = "entered-in-error"
    report = tmp_path / "coverage.json"
    result = _run(_write(tmp_path, bundle), out, "--no-strict", "--report", str(report))
    assert result.exit_code == 0, result.output
    ae, _ = pyreadstat.read_xport(str(out / "ae.xpt"))
    assert len(ae) == len(events) - 1
    resources = json.loads(report.read_text(encoding="utf-8"))["resources"]
    in_error = "entered-in-error (recorded by mistake: no event to map)"
    assert resources["AdverseEvent"]["not_mapped"] == {in_error: 1}
    assert resources["Observation"]["not_mapped"][in_error] == 1  # beside the derived totals SDTM derives again

"""fhir-to-sdtm streams and groups by subject (fhir_in.groups), maps each group with the pure map_subject and joins
the parts (fhir_in.assemble): NDJSON groups spilled to disk equal the in-memory Bundle groups, parts joined in any
order give the same records, every problem of a run is listed (condensed per kind), and the coverage accounts for every
resource of a generated trial."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from round_trip_support import canonical
from trialinterop.ct import load_terminology
from trialinterop.definition import bundled_definition
from trialinterop.fhir.emit import write_fhir
from trialinterop.fhir_in import read_fhir_trial
from trialinterop.fhir_in.assemble import Assembly, condense
from trialinterop.fhir_in.groups import group_input, reference_key
from trialinterop.fhir_in.pipeline import FhirRefused, mapping_context
from trialinterop.fhir_in.subjects import map_subject
from trialinterop.issues import Issue, Severity
from trialinterop.source.generate import generate_records
from trialinterop.source.models import TrialRecords


@pytest.fixture(scope="module")
def records() -> TrialRecords:
    return generate_records(bundled_definition("NCT05016804"), subjects=6, seed=16)


@pytest.fixture(scope="module")
def written(records: TrialRecords, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("fhir")
    write_fhir(records, folder / "b.json", version="R4", form="transaction")
    write_fhir(records, folder / "nd", version="R4", form="ndjson")
    return {"bundle": folder / "b.json", "ndjson": folder / "nd"}


def test_reference_keys() -> None:
    assert reference_key({"reference": "Patient/7"}) == "Patient/7"
    assert reference_key({"reference": "https://x.org/fhir/Patient/7/_history/2"}) == "Patient/7"
    assert reference_key({"reference": "urn:uuid:abc"}) == "urn:uuid:abc"
    assert reference_key({"identifier": {"system": "s", "value": "v"}}) == "identifier:s|v"
    assert reference_key({"display": "Jim"}) is None


def test_ndjson_groups_spilled_to_disk_hold_the_same_subjects_as_the_bundle(written: dict[str, Path]) -> None:
    with group_input(written["ndjson"]) as nd, group_input(written["bundle"]) as bundle:
        nd_groups = {len(g.resources) for g in nd.groups()}
        bundle_groups = {len(g.resources) for g in bundle.groups()}
        assert len(list(nd.groups())) == len(list(bundle.groups())) == 6  # one group per Patient
        assert nd_groups == bundle_groups
        assert nd._spill is not None and bundle._spill is None
        assert {i.type for i in nd.shared} == {i.type for i in bundle.shared}


def test_parts_joined_in_any_order_give_the_same_records(written: dict[str, Path], records: TrialRecords) -> None:
    with group_input(written["ndjson"]) as grouped:
        context, _, problems = mapping_context(
            grouped, study=records.definition, site=None, terminology=load_terminology()
        )
        parts = [map_subject(context, group) for group in grouped.groups()]
    assert problems == []
    forward, backward = Assembly(context.definition), Assembly(context.definition)
    for part in parts:
        forward.add(part)
    for part in reversed(parts):
        backward.add(part)
    assert canonical(forward.records()) == canonical(backward.records()) == canonical(records)


def test_every_problem_of_a_run_is_listed(tmp_path: Path, written: dict[str, Path], records: TrialRecords) -> None:
    bundle = json.loads(written["bundle"].read_text(encoding="utf-8"))
    broken = copy.deepcopy(bundle)
    events = [e["resource"] for e in broken["entry"] if e["resource"]["resourceType"] == "AdverseEvent"]
    for event in events:
        event["event"] = {"coding": [{"system": "http://example.org", "code": "odd"}]}  # no text or display
    visits = [e["resource"] for e in broken["entry"] if e["resource"]["resourceType"] == "MedicationAdministration"]
    visits[0]["dosage"]["dose"] = {"value": "lots"}
    source = tmp_path / "broken.json"
    source.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(FhirRefused) as refused:
        read_fhir_trial(source, study=records.definition)
    rendered = [i.render() for i in refused.value.issues]
    count = len(events)
    assert count > 5
    assert len(rendered) == 5 + 1 + 1  # five reported-term problems, the rest counted, the dose
    assert sum("AdverseEvent.event.text: required: the reported term (AETERM)" in r for r in rendered) == 5
    assert sum(f"{count - 5} more like the 5 above ({count} of this kind in all)" in r for r in rendered) == 1
    assert sum("MedicationAdministration.dosage.dose.value: a number expected, got 'lots'" in r for r in rendered) == 1
    assert refused.value.coverage.not_mapped["AdverseEvent"] == {"a problem stopped it (see the errors)": count}


def test_condense_keeps_five_of_a_kind_and_counts_the_rest() -> None:
    issues = [Issue("R", Severity.ERROR, f"value '{n}' is bad", where=f"f:{n}", field="X.y") for n in range(8)]
    found = condense([*issues, issues[0]])
    assert [i.message for i in found] == [
        "value '0' is bad", "value '1' is bad", "value '2' is bad", "value '3' is bad", "value '4' is bad",
        "3 more like the 5 above (8 of this kind in all)",
    ]  # fmt: skip


def test_coverage_accounts_for_every_resource(written: dict[str, Path], records: TrialRecords) -> None:
    trial = read_fhir_trial(written["ndjson"], study=records.definition)
    coverage = trial.coverage
    lines = sum(1 for p in written["ndjson"].glob("*.ndjson") for line in p.open() if line.strip())
    assert sum(coverage.read.values()) == lines
    assert {kind: dict(reasons) for kind, reasons in coverage.not_mapped.items()} == {
        "Observation": {"a derived total of a study test (SDTM derives it again)": 8}
    }
    assert coverage.mapped["Consent"] == {"DM": 6}
    assert coverage.mapped["Patient"] == {"DM": 6}
    assert coverage.mapped["ResearchSubject"]["DM"] == 6
    assert coverage.mapped["AdverseEvent"] == {"AE": len(records.adverse_events)}
    unmapped = coverage.unmapped_elements()  # elements to-fhir writes that carry nothing SDTM takes back
    # 28: Observation category and valueInteger, Procedure subject and status are rows of elements.csv (issue 16)
    assert sum(len(names) for names in unmapped.values()) == 28
    assert unmapped["Encounter"] == {"class": 33, "identifier": 33, "location": 33}
    assert "Patient" not in unmapped and "ResearchSubject" not in unmapped


def test_r5_consent_date_from_any_progress_entry(tmp_path: Path, records: TrialRecords) -> None:
    """The R5 core example ResearchSubject-example-crossover-placebo-to-drug puts 'Informed consent signed' in
    progress[1]; the first entry has no date."""
    path = tmp_path / "r5.json"
    write_fhir(records, path, version="R5", form="collection")
    bundle = json.loads(path.read_text(encoding="utf-8"))
    subject = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "ResearchSubject")
    first = subject["progress"][0]
    consent = {"type": {"text": "Enrollment status"}, "reason": {"coding": [{"code": "informedConsentSigned"}],
               "text": "Informed consent signed"}, "startDate": "2020-01-02"}  # fmt: skip
    subject["progress"] = [{k: v for k, v in first.items() if k != "startDate"}, consent]
    subject["consent"] = []
    path.write_text(json.dumps(bundle), encoding="utf-8")
    back = read_fhir_trial(path, study=records.definition).records
    sid = subject["identifier"][0]["value"]
    assert [s.consent_date for s in back.subjects if s.subject_id == sid] == ["2020-01-02"]

"""FHIR output forms on disk (transaction/collection Bundle, NDJSON), the CLI and the API: structure, determinism,
self-contained references, clear errors and nothing half-written."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from fhir_support import FIXTURES, infusion, model_class, serious_ae, small_records
from trialinterop.cli import main
from trialinterop.errors import TrialInteropError
from trialinterop.fhir import emit
from trialinterop.fhir.bundle import iter_references, unresolved_references, write_bundle
from trialinterop.fhir.emit import write_fhir
from trialinterop.fhir_api import convert_to_fhir


@pytest.fixture(scope="module")
def records():  # type: ignore[no-untyped-def]
    return small_records(adverse_events=(serious_ae(),), exposures=(infusion(),))


def test_transaction_bundle_is_self_contained_and_valid(records, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = write_fhir(records, tmp_path / "bundle.json", version="R4")
    bundle = json.loads((tmp_path / "bundle.json").read_text(encoding="utf-8"))
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "transaction"
    assert len(bundle["entry"]) == result.total == sum(result.counts.values())
    for item in bundle["entry"]:
        resource = item["resource"]
        assert item["fullUrl"] == "urn:uuid:" + resource["id"]
        assert item["request"] == {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"}
    assert unresolved_references(bundle) == []
    refs = list(iter_references(bundle))
    assert refs and all(ref.startswith("urn:uuid:") for ref in refs)
    model_class("R4", "Bundle").model_validate(bundle)


def test_collection_bundle_r5_has_no_requests(records, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_fhir(records, tmp_path / "c.json", version="R5", form="collection")
    bundle = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    assert bundle["type"] == "collection"
    assert all("request" not in item for item in bundle["entry"])
    assert unresolved_references(bundle) == []
    model_class("R5", "Bundle").model_validate(bundle)


def test_ndjson_one_file_per_type_with_relative_references(records, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = write_fhir(records, tmp_path / "out", version="R4", form="ndjson")
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == sorted(f"{kind}.ndjson" for kind in result.counts)
    assert "AdverseEvent.ndjson" in files and "ResearchStudy.ndjson" in files
    ids = set()
    refs = set()
    for path in (tmp_path / "out").iterdir():
        lines = path.read_text(encoding="utf-8").splitlines()
        assert len(lines) == result.counts[path.stem]
        for line in lines:
            resource = json.loads(line)
            assert resource["resourceType"] == path.stem
            ids.add(f"{resource['resourceType']}/{resource['id']}")
            refs.update(part.split('"', 1)[0] for part in line.split('"reference":"')[1:])
    assert refs and refs <= ids


def test_output_is_deterministic(records, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_fhir(records, tmp_path / "a.json")
    write_fhir(records, tmp_path / "b.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_failure_mid_stream_leaves_previous_output(records, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "bundle.json"
    out.write_text("previous", encoding="utf-8")
    real = emit.build_resources

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        yield next(iter(real(*args, **kwargs)))
        raise TrialInteropError("boom")

    monkeypatch.setattr(emit, "build_resources", broken)
    with pytest.raises(TrialInteropError, match="boom"):
        write_fhir(records, out)
    assert out.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["bundle.json"]
    with pytest.raises(TrialInteropError, match="boom"):
        write_fhir(records, tmp_path / "nd", form="ndjson")
    assert not (tmp_path / "nd").exists()


def test_dangling_reference_fails_the_write() -> None:
    resource = {"resourceType": "Patient", "id": "p1"}
    with pytest.raises(TrialInteropError, match="1 reference"):
        write_bundle([resource], io.StringIO(), bundle_type="collection", bundle_id="b", referenced={"p1", "missing"})


def test_wrong_form_and_version_are_clear_errors(records, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TrialInteropError, match="unknown output form 'xml'"):
        write_fhir(records, tmp_path / "x", form="xml")
    with pytest.raises(TrialInteropError, match="unknown FHIR version"):
        write_fhir(records, tmp_path / "x", version="DSTU2")
    (tmp_path / "folder").mkdir()
    with pytest.raises(TrialInteropError, match="a folder exists there"):
        write_fhir(records, tmp_path / "folder")


def test_api_reads_the_fixture_folder(tmp_path: Path) -> None:
    result = convert_to_fhir(FIXTURES, tmp_path / "f.json", version="R5", form="collection")
    assert result.counts["ResearchStudy"] == 3 and result.counts["Patient"] >= 1


def test_cli_writes_each_form(tmp_path: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(main, ["to-fhir", str(FIXTURES), "-o", str(tmp_path / "t.json")])
    assert done.exit_code == 0, done.output
    assert "FHIR R4 transaction" in done.output
    done = runner.invoke(main, ["to-fhir", str(FIXTURES), "-o", str(tmp_path / "nd"), "--form", "ndjson",
                                "--fhir-version", "r5"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert (tmp_path / "nd" / "Patient.ndjson").is_file()


def test_cli_bad_record_names_file_and_row_and_writes_nothing(tmp_path: Path) -> None:
    records = tmp_path / "records"
    shutil.copytree(FIXTURES, records)
    subjects = records / "subjects.csv"
    lines = subjects.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("sex")] = "X"
    lines[1] = ",".join(cells)
    subjects.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = CliRunner().invoke(main, ["to-fhir", str(records), "-o", str(tmp_path / "out.json")])
    assert done.exit_code == 2
    assert "subjects.csv [row 2] sex" in done.output
    assert "Traceback" not in done.output
    assert not (tmp_path / "out.json").exists()


def test_cli_rejects_unknown_version(tmp_path: Path) -> None:
    done = CliRunner().invoke(main, ["to-fhir", str(FIXTURES), "-o", str(tmp_path / "x.json"), "--fhir-version", "R3"])
    assert done.exit_code == 2
    assert not (tmp_path / "x.json").exists()


def test_ndjson_never_replaces_a_foreign_folder(records, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(TrialInteropError, match="refusing to replace"):
        write_fhir(records, folder, form="ndjson")
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "keep me"
    write_fhir(records, tmp_path / "export", form="ndjson")
    write_fhir(records, tmp_path / "export", form="ndjson")  # an earlier export may be replaced
    assert (tmp_path / "export" / "Patient.ndjson").is_file()

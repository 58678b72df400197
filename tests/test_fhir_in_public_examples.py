"""The FHIR R4 core examples (npm package hl7.fhir.r4.examples 4.0.1, CC0; tests/data/third_party/fhir-r4-examples)
of one Patient as a collection Bundle: the run is refused with every problem listed, and the coverage report accounts
for each of the nine resources and their elements."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from trialinterop.cli import main

EXAMPLES = Path(__file__).resolve().parent / "data" / "third_party" / "fhir-r4-examples"


def _bundle(tmp_path: Path) -> Path:
    resources = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(EXAMPLES.glob("*.json"))]
    entries = [{"fullUrl": f"http://hl7.org/fhir/{r['resourceType']}/{r['id']}", "resource": r} for r in resources]
    path = tmp_path / "r4-examples.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}), encoding="utf-8")
    return path


def test_r4_core_examples_are_refused_with_every_problem_and_fully_accounted_for(tmp_path: Path) -> None:
    out, report = tmp_path / "out", tmp_path / "coverage.json"
    args = ["fhir-to-sdtm", str(_bundle(tmp_path)), "-o", str(out), "--study", "nct05016804", "--site", "01"]
    result = CliRunner().invoke(main, [*args, "--report", str(report)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and not out.exists()
    assert "FHIR input refused: 1 problem(s)" in result.output
    assert (
        "r4-examples.json entry[7] (ResearchStudy/example) ResearchStudy.identifier: the input's study (no "
        "identifier) is not the study of --study nct05016804" in result.output
    )
    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["refused"] is True and len(document["problems"]) == 1
    assert document["totals"]["resources"] == 9
    assert document["totals"]["not_mapped"] == 8
    resources = document["resources"]
    assert resources["ResearchSubject"]["not_mapped"] == {
        "a candidate who has not given informed consent (not a study subject)": 1
    }
    assert resources["AdverseEvent"]["not_mapped"] == {"the Patient takes part in no ResearchSubject of this study": 1}
    assert resources["ResearchStudy"]["mapped"] == {"study definition (replaced by --study)": 1}
    assert resources["ResearchStudy"]["elements"]["text"] == {"count": 1, "mapped_to": None}
    assert sum(r["read"] for r in resources.values()) == 9

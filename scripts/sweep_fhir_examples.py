"""Run fhir-to-sdtm over every example of the FHIR core examples package that it reads, as a new user would.

    npm pack hl7.fhir.r4.examples@4.0.1 && mkdir r4 && tar xzf hl7.fhir.r4.examples-4.0.1.tgz -C r4
    .venv/bin/python scripts/sweep_fhir_examples.py r4/package --fhir-version r4 -o /tmp/sweep-r4

The examples of the resource types `fhir-to-sdtm` reads (Patient, Observation, Condition, the medication resources,
Procedure, Encounter, Consent, AdverseEvent, Medication) are added to this study's own FHIR output (`to-fhir` of the
bundled fixtures, which brings the ResearchStudy, its sites and the interventions), and each example Patient is
enrolled at the first site by a ResearchSubject copied from the study's own first one (its consent progress kept, its
arm left out).
Then `fhir-to-sdtm --study nct05016804 --no-strict --report` runs on that Bundle; its exit code is this script's.
Not a test: it needs the npm package, which the tests do not download (docs/fhir-in.md, "Public test data").
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from trialinterop.cli import main as cli

READ = {"Patient", "Observation", "Condition", "AdverseEvent", "MedicationAdministration", "MedicationStatement",
        "MedicationRequest", "Procedure", "Encounter", "Consent", "Medication"}  # fmt: skip
STUDY = "nct05016804"


def examples(package: Path) -> list[dict]:
    """The examples of the types fhir-to-sdtm reads, in file name order (files that are no JSON object skipped)."""
    found = []
    for path in sorted(package.glob("*.json")):
        try:
            resource = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(resource, dict) and resource.get("resourceType") in READ and resource.get("id"):
            found.append(resource)
    return found


def enrolment(template: dict, patient: str, number: int, version: str) -> dict:
    subject = copy.deepcopy(template)
    subject["id"] = f"sweep-{number}"
    subject["identifier"][0]["value"] = f"99-{number:03d}"
    subject["individual" if version == "R4" else "subject"] = {"reference": f"Patient/{patient}"}
    arms = ("assignedArm", "actualArm", "assignedComparisonGroup", "actualComparisonGroup")
    for element in ("consent", "extension", *arms):  # not assigned to an arm: no exposure is expected
        subject.pop(element, None)
    return subject


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("package", type=Path, help="the extracted npm package's `package/` folder")
    parser.add_argument("--fhir-version", choices=("r4", "r5"), default="r4")
    parser.add_argument("-o", "--out", type=Path, required=True, help="work folder (bundle, SDTM, coverage.json)")
    args = parser.parse_args()
    version = args.fhir_version.upper()
    args.out.mkdir(parents=True, exist_ok=True)
    own = args.out / "study.json"
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "records"
    made = CliRunner().invoke(cli, ["to-fhir", str(fixtures), "-o", str(own), "--fhir-version", args.fhir_version,
                                    "--form", "collection"])  # fmt: skip
    if made.exit_code:
        print(made.output, file=sys.stderr)
        return made.exit_code
    bundle = json.loads(own.read_text(encoding="utf-8"))
    template = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "ResearchSubject")
    found = examples(args.package)
    patients = [r["id"] for r in found if r["resourceType"] == "Patient"]
    subjects = [enrolment(template, patient, n, version) for n, patient in enumerate(patients)]
    for resource in [*found, *subjects]:
        bundle["entry"].append({"fullUrl": f"https://sweep.example/{resource['resourceType']}/{resource['id']}",
                                "resource": resource})  # fmt: skip
    source = args.out / "sweep.json"
    source.write_text(json.dumps(bundle), encoding="utf-8")
    counts = Counter(r["resourceType"] for r in found)
    print(f"{len(found)} examples ({dict(sorted(counts.items()))}), {len(subjects)} enrolled", file=sys.stderr)
    result = CliRunner().invoke(cli, ["fhir-to-sdtm", str(source), "-o", str(args.out / "sdtm"), "--study", STUDY,
                                      "--no-strict", "--report", str(args.out / "coverage.json")])  # fmt: skip
    print(result.output)
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())

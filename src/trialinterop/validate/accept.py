"""Accepted findings: a YAML file of known, justified findings (for the reviewer's guide), matched to this run.

    accepted:
      - rule: TI-CT002
        dataset: DS            # optional: matches Issue.where
        variable: DSDECOD      # optional: matches Issue.field
        key: "01-701-1015, DSSEQ=2"   # optional
        value: FINAL LAB VISIT # optional
        justification: Sponsor milestone, declared in the SDRG section 4.2.

Every field given must match. `rule` may be any issue id of the registry (`validate.registry.all_issue_ids`, listed in
docs/rules.md), or a CDISC CORE rule id (CORE-nnnnnn): the explanation of an outside validator's finding for the
reviewer's guide (`validate --sdrg --core-report`), not matched against this run. Any other id is refused. Accepted
issues no longer fail the run but stay in the report as accepted; an entry that matches nothing is reported itself
(TI-ACCEPT), so the file does not silently rot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from trialinterop.errors import InputError
from trialinterop.issues import Issue, Severity
from trialinterop.validate.registry import all_issue_ids

STALE_RULE = "TI-ACCEPT"
_EXTERNAL_CHECK = re.compile(r"CORE-\d{6}")


def is_external_check(rule: str) -> bool:
    """A CDISC CORE rule id: a check of an outside validator, explained in the reviewer's guide."""
    return _EXTERNAL_CHECK.fullmatch(rule) is not None


_FIELDS = {"rule": "rule", "dataset": "where", "variable": "field", "key": "key", "value": "value"}


@dataclass(frozen=True, slots=True)
class Acceptance:
    rule: str
    justification: str
    dataset: str | None = None
    variable: str | None = None
    key: str | None = None
    value: str | None = None
    line: int = 0

    def matches(self, issue: Issue) -> bool:
        for name, attribute in _FIELDS.items():
            wanted = getattr(self, name)
            if wanted is not None and str(getattr(issue, attribute)) != str(wanted):
                return False
        return True

    def describe(self) -> str:
        parts = [f"{name}={getattr(self, name)}" for name in _FIELDS if getattr(self, name) is not None]
        return ", ".join(parts)


def _bad(path: Path, message: str) -> InputError:
    return InputError([Issue("TI-READ", Severity.REJECT, message, where=str(path))], summary="invalid accepted file")


def load_accepted(path: str | Path) -> list[Acceptance]:
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise _bad(path, f"not valid YAML: {exc}") from None
    except UnicodeDecodeError:
        raise _bad(path, "not UTF-8 text") from None
    if document is None:
        return []
    entries = document.get("accepted") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise _bad(path, "expected a mapping with an 'accepted' list")
    out = []
    known = all_issue_ids()
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise _bad(path, f"entry {number}: expected a mapping")
        unknown = set(entry) - set(_FIELDS) - {"justification"}
        if unknown:
            raise _bad(path, f"entry {number}: unknown field(s) {sorted(unknown)}")
        if not entry.get("rule"):
            raise _bad(path, f"entry {number}: 'rule' is required")
        if str(entry["rule"]) not in known and not is_external_check(str(entry["rule"])):
            raise _bad(
                path, f"entry {number}: unknown rule {entry['rule']!r} (the issue ids are listed in docs/rules.md)"
            )
        if not str(entry.get("justification") or "").strip():
            raise _bad(path, f"entry {number} ({entry['rule']}): a justification is required")
        values = {k: (None if entry.get(k) is None else str(entry[k])) for k in ("dataset", "variable", "key", "value")}
        justification = str(entry["justification"]).strip()
        out.append(Acceptance(rule=str(entry["rule"]), justification=justification, line=number, **values))
    return out


@dataclass(frozen=True)
class Triage:
    open: list[Issue]
    accepted: list[tuple[Issue, Acceptance]]
    stale: list[Issue]


def apply_accepted(issues: list[Issue], acceptances: list[Acceptance]) -> Triage:
    """Split issues into open and accepted; add a TI-ACCEPT warning for each acceptance that matched nothing."""
    acceptances = [a for a in acceptances if not is_external_check(a.rule)]
    used = [False] * len(acceptances)
    open_issues: list[Issue] = []
    accepted: list[tuple[Issue, Acceptance]] = []
    for issue in issues:
        for index, acceptance in enumerate(acceptances):
            if acceptance.matches(issue):
                used[index] = True
                accepted.append((issue, acceptance))
                break
        else:
            open_issues.append(issue)
    stale = [
        Issue(
            STALE_RULE,
            Severity.WARNING,
            "accepted finding no longer occurs; remove it from the accepted file",
            where=f"entry {acceptance.line}",
            value=acceptance.describe(),
        )
        for acceptance, hit in zip(acceptances, used, strict=True)
        if not hit
    ]
    return Triage(open_issues + stale, accepted, stale)

"""One registry of issue ids: every id raised anywhere in src/ is declared (validator rules or `issue_ids`), listed
in docs/rules.md and accepted by an accepted-findings file; no id outside the validator looks like a rule family."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from trialinterop.errors import InputError
from trialinterop.issue_ids import DECLARED, STAGES
from trialinterop.issues import Issue, Severity
from trialinterop.sdtm.conform import RULES
from trialinterop.validate.accept import apply_accepted, load_accepted
from trialinterop.validate.registry import all_issue_ids, all_rules

SRC = Path(__file__).resolve().parents[1] / "src" / "trialinterop"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "rules.md"
TI_ID = re.compile(r"TI-[A-Z]+(?:-[A-Z]+)*\d*")
DYNAMIC_SITES = {"sdtm/conform.py", "validate/engine.py", "writers/xpt.py"}
"""Modules that build an Issue from an id held in a variable: conform's and the XPT writer's collectors (their ids
are TI- literals, found below) and the validator engine (the id of a registered rule)."""


def _module_constants(tree: ast.Module) -> dict[str, str]:
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            found.update({t.id: node.value.value for t in node.targets if isinstance(t, ast.Name)})
    return found


def _called(node: ast.Call) -> str:
    return node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")


def _raised_ids() -> tuple[dict[str, set[str]], set[str]]:
    """(id -> modules raising it, modules building an Issue from a non-literal id). Ids are the first argument or
    `rule=` of Issue(...) and `rule=` of dataclasses.replace(...), literal or a module constant, and every literal
    that is a whole TI- id (ids handed to a collector such as `out.add("TI-CF007", ...)`)."""
    raised: dict[str, set[str]] = {}
    dynamic: set[str] = set()
    for path in sorted(SRC.rglob("*.py")):
        where = path.relative_to(SRC).as_posix()
        if where == "issue_ids.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _module_constants(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and TI_ID.fullmatch(node.value):
                raised.setdefault(node.value, set()).add(where)
            if not isinstance(node, ast.Call) or _called(node) not in ("Issue", "replace", "dc_replace"):
                continue
            arguments = [k.value for k in node.keywords if k.arg == "rule"]
            if _called(node) == "Issue" and node.args:
                arguments.append(node.args[0])
            for argument in arguments:
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    raised.setdefault(argument.value, set()).add(where)
                elif isinstance(argument, ast.Name) and argument.id in constants:
                    raised.setdefault(constants[argument.id], set()).add(where)
                else:
                    dynamic.add(where)
    return raised, dynamic


RAISED, DYNAMIC = _raised_ids()


def test_every_id_raised_in_src_is_in_the_registry() -> None:
    unknown = {issue_id: sorted(places) for issue_id, places in RAISED.items() if issue_id not in all_issue_ids()}
    assert unknown == {}


def test_the_scan_sees_ids_of_every_stage() -> None:
    for issue_id in ("INPUT", "ODM", "ODM-MAP", "ODM-XML", "FHIR-IN", "TI-BLD-AEUNCODED", "TI-CF007", "TI-XPT004"):
        assert issue_id in RAISED, issue_id
    assert RAISED["TI-ACCEPT"] == {"validate/accept.py"}  # STALE_RULE, a module constant
    assert DYNAMIC == DYNAMIC_SITES


def test_every_declared_id_is_raised_somewhere() -> None:
    assert sorted(set(DECLARED) - set(RAISED)) == []


def test_declarations_are_unique_and_complete() -> None:
    assert len(DECLARED) == 42
    for entry in DECLARED.values():
        assert entry.stage in STAGES and entry.severities and entry.message and entry.raised_by, entry.id
    assert not set(DECLARED) & {r.id for r in all_rules()}


def test_no_id_outside_the_validator_takes_a_rule_family_prefix() -> None:
    families = {re.sub(r"\d+$", "", r.id) for r in all_rules()}
    assert "TI-AE" in families
    clashes = sorted(i for i in DECLARED for family in families if i.startswith(family))
    assert clashes == []


def test_conform_messages_come_from_the_registry() -> None:
    assert RULES["TI-CF012"] == "Permissible variable without data (not a collected item) dropped"
    assert sorted(RULES) == [f"TI-CF{n:03d}" for n in range(1, 15)]


def test_docs_rules_page_lists_every_id() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert [i for i in all_issue_ids() if f"| {i} |" not in text] == []
    assert "| TI-BLD-AEUNCODED | Warning | adverse event not coded to MedDRA; AEDECOD set to UNCODED |" in text


@pytest.mark.parametrize("issue_id", sorted(all_issue_ids()))
def test_every_id_can_be_accepted(tmp_path: Path, issue_id: str) -> None:
    accepted = tmp_path / "accepted.yaml"
    accepted.write_text(f"accepted:\n  - rule: {issue_id}\n    justification: known and explained in the SDRG\n")
    [acceptance] = load_accepted(accepted)
    triage = apply_accepted([Issue(issue_id, Severity.ERROR, "found", where="DM")], [acceptance])
    assert (triage.open, [a.rule for _, a in triage.accepted]) == ([], [issue_id])


def test_an_unknown_id_is_refused(tmp_path: Path) -> None:
    accepted = tmp_path / "accepted.yaml"
    accepted.write_text("accepted:\n  - rule: TI-AE-UNCODED\n    justification: the old name\n")
    with pytest.raises(InputError) as caught:
        load_accepted(accepted)
    [issue] = caught.value.issues
    assert (issue.rule, issue.message) == (
        "TI-READ",
        "entry 1: unknown rule 'TI-AE-UNCODED' (the issue ids are listed in docs/rules.md)",
    )

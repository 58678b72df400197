"""The rule registry: each rule is a small function registered with a stable id, severity, scope and sources.

    @rule(id="TI-ID001", split="dataset", severity=Severity.ERROR, scope="all datasets",
          message="DOMAIN differs from dataset name", references=["SDTMIG 3.4 §4.1.2", "P21 SD0004"])
    def check_domain_matches_name(ctx): yield Finding(...)

Rules yield `Finding`s (where, key, field, value, detail); the engine turns them into `Issue`s carrying the rule's
id and severity, so both are declared once, here. The catalogue (`--list-rules`, docs/rules.md) is read from it.

`split` says what data a rule's findings depend on, so that `validate --engine spark` can run it on a part of a
package (`validate.partition`): "subject" -- its findings on a subject's records depend only on that subject's
records and the trial-level datasets (and its findings on trial-level datasets only on those), so it may run on the
package split by USUBJID; "dataset" -- its findings on a dataset depend only on that dataset (and define.xml), so it
may run on one dataset at a time; "package" -- anything else (several whole datasets, FHIR, the study spec).

Together with the ids declared in `trialinterop.issue_ids` (readers, builders, conform, writers, the validator's own
run) this is the one registry of issue ids: `all_issue_ids()` is every id the tool can raise, which the catalogue
lists and an accepted-findings file may name. No rule may take a declared id.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from trialinterop.issue_ids import DECLARED
from trialinterop.issues import Severity

if TYPE_CHECKING:
    from trialinterop.validate.context import Context


SPLITS = ("subject", "dataset", "package")


class Finding(NamedTuple):
    where: str
    key: str = ""
    field: str = ""
    value: str = ""
    detail: str = ""
    order: tuple[int, int] | None = None
    """(call of `row_findings` within the rule, record's row in the whole dataset) while `validate.partition`
    records a rule's run; None otherwise. Not part of the issue."""


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    scope: str
    message: str
    references: tuple[str, ...]
    family: str
    check: Callable[[Context], Iterable[Finding]]
    split: str  # one of SPLITS (see the module docstring)

    @property
    def description(self) -> str:
        return " ".join((self.check.__doc__ or self.message).split())


_REGISTRY: dict[str, Rule] = {}


def rule(
    *, id: str, split: str, severity: Severity, scope: str, message: str, references: list[str]
) -> Callable[[Callable[[Context], Iterable[Finding]]], Callable[[Context], Iterable[Finding]]]:
    def register(func: Callable[[Context], Iterable[Finding]]) -> Callable[[Context], Iterable[Finding]]:
        if id in _REGISTRY and _REGISTRY[id].check is not func:
            raise RuntimeError(f"rule id {id} registered twice")
        if id in DECLARED:
            raise RuntimeError(f"rule id {id} is already declared in trialinterop.issue_ids")
        if split not in SPLITS:
            raise RuntimeError(f"rule {id}: split {split!r} is not one of {', '.join(SPLITS)}")
        family = func.__module__.rsplit(".", 1)[-1]
        _REGISTRY[id] = Rule(id, severity, scope, message, tuple(references), family, func, split)
        return func

    return register


def all_rules() -> list[Rule]:
    """Every registered rule, by id (imports each module of `validate.rules` once)."""
    from trialinterop.validate import rules as package

    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{module.name}")
    return [_REGISTRY[key] for key in sorted(_REGISTRY)]


def get_rule(rule_id: str) -> Rule:
    rules = {r.id: r for r in all_rules()}
    return rules[rule_id]


def all_issue_ids() -> dict[str, str]:
    """Every issue id the tool can raise -> what it means: the validator's rules and the ids of `issue_ids`, by id."""
    found = {r.id: r.message for r in all_rules()}
    found.update({issue_id: entry.message for issue_id, entry in DECLARED.items()})
    return dict(sorted(found.items()))

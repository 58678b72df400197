"""Natural keys: which variables identify a record of a dataset, so two packages' records can be paired.

The rules are data, `mappings/natural_keys.csv`: a rule per dataset (DM, SE, SV, trial design, RELREC...), else
per SDTMIG 3.4 class of the domain (Findings, Events, Interventions, SUPP-- as Relationship), else a default.
`--` stands for the domain prefix (LB for LBCH). A rule lists every variable that may identify a record; those
absent from both datasets are skipped, those present in one dataset only are not used (and a note says so).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from trialinterop.errors import SpecError
from trialinterop.resources import mappings_dir
from trialinterop.validate.standards import load_standard

KEYS_FILE = "natural_keys.csv"


@dataclass(frozen=True, slots=True)
class KeyRule:
    kind: str  # dataset / class / default
    name: str
    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ResolvedKeys:
    keys: tuple[str, ...]
    source: str
    notes: tuple[str, ...]


@cache
def load_key_rules(path: Path | None = None) -> tuple[KeyRule, ...]:
    path = path or mappings_dir() / KEYS_FILE
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise SpecError(f"natural key rules missing: {path} ({exc.strerror})") from None
    rules = []
    for number, row in enumerate(rows, start=2):
        kind, keys = row.get("kind") or "", tuple((row.get("keys") or "").split())
        if kind not in {"dataset", "class", "default"} or not keys:
            raise SpecError(f"{path} line {number}: needs kind dataset/class/default and keys")
        rules.append(KeyRule(kind, row.get("name") or "", keys))
    return tuple(rules)


def _rule_for(name: str, domain: str) -> KeyRule:
    rules = load_key_rules()
    by_dataset = {r.name: r for r in rules if r.kind == "dataset"}
    for candidate in (name, domain):
        if candidate in by_dataset:
            return by_dataset[candidate]
    cls = load_standard().dataset_class(domain)
    for rule in rules:
        if rule.kind == "class" and rule.name.lower() == cls.lower():
            return rule
    return next(r for r in rules if r.kind == "default")


def _expand(template: tuple[str, ...], domain: str) -> list[str]:
    prefix = domain if len(domain) == 2 else ""
    out = []
    for var in template:
        if var.startswith("--"):
            if not prefix:
                continue
            var = prefix + var[2:]
        out.append(var)
    return out


def resolve_keys(
    name: str,
    domain: str,
    columns_a: list[str],
    columns_b: list[str],
    *,
    override: tuple[str, ...] | None = None,
    ignored: frozenset[str] = frozenset(),
) -> ResolvedKeys:
    """The key variables for dataset `name` (of `domain`) present in both column lists.

    `override` (from --keys) is used as given; the caller has checked that its variables exist on both sides."""
    if override is not None:
        return ResolvedKeys(tuple(override), "--keys", ())
    rule = _rule_for(name, domain)
    where = f"natural keys ({rule.kind} {rule.name})" if rule.name else "natural keys (default)"
    in_a, in_b = set(columns_a), set(columns_b)
    keys, notes = [], []
    for var in _expand(rule.keys, domain):
        if var in ignored:
            if var in in_a or var in in_b:
                notes.append(f"key variable {var} is ignored: not used as a key")
            continue
        if var in in_a and var in in_b:
            keys.append(var)
        elif var in in_a or var in in_b:
            notes.append(f"key variable {var} only in {'A' if var in in_a else 'B'}: not used as a key")
    if not keys:
        notes.append("no key variable in both datasets: records paired by row order")
        return ResolvedKeys((), "row order", tuple(notes))
    return ResolvedKeys(tuple(keys), where, tuple(notes))

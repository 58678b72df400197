"""`compare_packages`: read two SDTM packages and compare them dataset by dataset (see the package docstring)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from trialinterop.compare.keys import ResolvedKeys, resolve_keys
from trialinterop.compare.load import combine_splits as combine
from trialinterop.compare.load import load_side
from trialinterop.compare.model import PackageComparison
from trialinterop.compare.supp import SUPP_COLUMNS, parent_name, supp_keys, with_parent_keys
from trialinterop.compare.values import compare_dataset
from trialinterop.errors import InputError
from trialinterop.issues import Issue, Severity
from trialinterop.validate.package import Dataset

FAMILY = re.compile(r"--([A-Z0-9]+)")


def _bad(message: str, where: str = "arguments") -> InputError:
    return InputError([Issue("TI-ARGS", Severity.REJECT, message, where=where)], summary="cannot compare")


def ignore_matcher(ignore: Iterable[str]) -> Callable[[str], bool]:
    """Variable names to leave out: exact names (AESEQ) or a family suffix (--SEQ: any two-character prefix)."""
    exact, suffixes = set(), set()
    for raw in ignore:
        name = raw.strip().upper()
        family = FAMILY.fullmatch(name)
        if family:
            suffixes.add(family.group(1))
        elif name:
            exact.add(name)

    def is_ignored(variable: str) -> bool:
        return variable in exact or (len(variable) > 2 and variable[2:] in suffixes)

    return is_ignored


def compare_packages(
    path_a: str | Path,
    path_b: str | Path,
    *,
    keys: Mapping[str, Sequence[str]] | None = None,
    ignore: Iterable[str] = (),
    datasets: Iterable[str] | None = None,
    tolerance: float = 0.0,
    combine_splits: bool = False,
    supp_by_parent: bool = False,
) -> PackageComparison:
    """Read package folders (or dataset files) A and B and compare them; InputError for unreadable input."""
    side_a, side_b = load_side(path_a), load_side(path_b)
    return compare_datasets(
        side_a,
        side_b,
        path_a=str(path_a),
        path_b=str(path_b),
        keys=keys,
        ignore=ignore,
        datasets=datasets,
        tolerance=tolerance,
        combine_splits=combine_splits,
        supp_by_parent=supp_by_parent,
    )


def compare_datasets(
    side_a: Mapping[str, Dataset],
    side_b: Mapping[str, Dataset],
    *,
    path_a: str = "A",
    path_b: str = "B",
    keys: Mapping[str, Sequence[str]] | None = None,
    ignore: Iterable[str] = (),
    datasets: Iterable[str] | None = None,
    tolerance: float = 0.0,
    combine_splits: bool = False,
    supp_by_parent: bool = False,
) -> PackageComparison:
    """Compare datasets already read (name -> `validate.package.Dataset`), e.g. packages built in memory."""
    if not (tolerance >= 0 and math.isfinite(tolerance)):
        raise _bad(f"tolerance must be a number >= 0, not {tolerance}")
    notes: list[str] = []
    a, b = dict(side_a), dict(side_b)
    if combine_splits:
        a, notes_a = combine(a)
        b, notes_b = combine(b)
        notes += [f"A {n}" for n in notes_a] + [f"B {n}" for n in notes_b]
    if datasets is not None:
        wanted = {d.strip().upper() for d in datasets if d.strip()}
        unknown = sorted(wanted - set(a) - set(b))
        if unknown:
            raise _bad(f"dataset(s) {', '.join(unknown)} in neither package", "--datasets")
        a = {k: v for k, v in a.items() if k in wanted}
        b = {k: v for k, v in b.items() if k in wanted}
    overrides = _check_keys(keys or {}, a, b)
    ignored = tuple(sorted({i.strip().upper() for i in ignore if i.strip()}))
    is_ignored = ignore_matcher(ignored)
    result = PackageComparison(
        path_a=path_a,
        path_b=path_b,
        datasets_only_a=sorted(set(a) - set(b)),
        datasets_only_b=sorted(set(b) - set(a)),
        datasets={},
        ignored=ignored,
        tolerance=tolerance,
        notes=notes,
    )
    shared = sorted(set(a) & set(b))
    resolved: dict[str, ResolvedKeys] = {}
    for name in sorted(shared, key=lambda n: n.startswith("SUPP")):  # parents first: SUPP-- may pair through them
        ds_a, ds_b = a[name], b[name]
        override = overrides.get(name)
        parent = _supp_parent(ds_a, ds_b, set(shared)) if supp_by_parent and override is None else None
        if parent and resolved[parent].keys:
            ds_a = with_parent_keys(ds_a, a[parent], resolved[parent].keys)
            ds_b = with_parent_keys(ds_b, b[parent], resolved[parent].keys)
            resolved[name] = supp_keys(resolved[parent], parent)
        else:
            names_a = [v.name for v in ds_a.variables]
            names_b = [v.name for v in ds_b.variables]
            ignored_names = frozenset(n for n in names_a + names_b if is_ignored(n))
            resolved[name] = resolve_keys(name, ds_a.domain, names_a, names_b, override=override, ignored=ignored_names)
        result.datasets[name] = compare_dataset(ds_a, ds_b, resolved[name], is_ignored=is_ignored, tolerance=tolerance)
    result.datasets = dict(sorted(result.datasets.items()))
    return result


def _supp_parent(ds_a: Dataset, ds_b: Dataset, shared: set[str]) -> str | None:
    """The parent dataset (in both packages) a SUPP-- dataset pairs through, if it has the SUPP-- columns."""
    if not ds_a.name.startswith("SUPP"):
        return None
    columns = set(SUPP_COLUMNS)
    if not (columns <= set(ds_a.frame.columns) and columns <= set(ds_b.frame.columns)):
        return None
    return parent_name(ds_a, shared)


def _check_keys(
    keys: Mapping[str, Sequence[str]], a: Mapping[str, Dataset], b: Mapping[str, Dataset]
) -> dict[str, tuple[str, ...]]:
    out = {}
    for raw_name, raw_vars in keys.items():
        name = raw_name.strip().upper()
        variables = tuple(v.strip().upper() for v in raw_vars if v.strip())
        if not variables:
            raise _bad(f"--keys {name}: no variables given", "--keys")
        if name not in a and name not in b:
            raise _bad(f"--keys names dataset {name}, which neither package has", "--keys")
        for side, datasets in (("A", a), ("B", b)):
            ds = datasets.get(name)
            if ds is None:
                continue
            missing = [v for v in variables if v not in ds.frame.columns]
            if missing:
                raise _bad(f"--keys {name}: {', '.join(missing)} not in {side}'s {name} ({ds.path})", "--keys")
        out[name] = variables
    return out

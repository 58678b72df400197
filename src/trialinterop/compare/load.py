"""Read one side of a comparison: a package folder (or one dataset file) through the validator's package reader.

Only `.xpt` and Dataset-JSON files are read (a define.xml beside them is left alone, so a broken define does not
stop a data comparison); a dataset given as both is read from the XPT file. With `combine_splits`, split
datasets (LBCH, LBHE, LBUR of domain LB; SUPPLBCH...) are concatenated into one (LB, SUPPLB) in file name order, so
a split package compares with an unsplit one.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from trialinterop.errors import InputError
from trialinterop.issues import Issue, Severity
from trialinterop.validate.package import Dataset, Variable, load_package

DATASET_SUFFIXES = {".xpt", ".json"}


def _fail(path: Path | str, message: str) -> InputError:
    return InputError([Issue("TI-READ", Severity.REJECT, message, where=str(path))], summary="cannot compare")


def load_side(path: str | Path) -> dict[str, Dataset]:
    """Datasets by upper-case name; InputError naming the path when it is missing or holds no SDTM dataset."""
    where = Path(path)
    try:
        if where.is_dir():
            files = sorted(f for f in where.iterdir() if f.is_file() and f.suffix.lower() in DATASET_SUFFIXES)
        elif where.is_file():
            files = [where]
        else:
            raise _fail(where, "no such file or folder")
    except OSError as exc:
        raise _fail(where, f"cannot read: {exc.strerror or exc}") from None
    if not files:
        raise _fail(where, "not an SDTM package: no .xpt or Dataset-JSON file")
    try:
        package = load_package(list[str | Path](files))
    except InputError as exc:
        if exc.issues and exc.issues[0].message.startswith("no .xpt"):
            raise _fail(where, "not an SDTM package: no .xpt or Dataset-JSON dataset") from None
        raise
    except OSError as exc:
        raise _fail(exc.filename or where, f"cannot read: {exc.strerror or exc}") from None
    if not package.datasets:
        raise _fail(where, "not an SDTM package: no .xpt or Dataset-JSON dataset (FHIR or other JSON only)")
    return dict(package.datasets)


def _split_parent(ds: Dataset) -> str | None:
    """The domain a split dataset belongs to (LBCH -> LB), else None."""
    domain = ds.domain
    if ds.name.startswith("SUPP") or len(domain) != 2 or ds.name == domain or not ds.name.startswith(domain):
        return None
    return domain


def combine_splits(datasets: dict[str, Dataset]) -> tuple[dict[str, Dataset], list[str]]:
    """Concatenate split datasets into their domain; notes say which were combined."""
    groups: dict[str, list[Dataset]] = {}
    for ds in datasets.values():
        parent = _split_parent(ds)
        if parent:
            groups.setdefault(parent, []).append(ds)
    for ds in datasets.values():
        parent_name = ds.name[4:]
        if ds.name.startswith("SUPP") and parent_name in datasets:
            parent = _split_parent(datasets[parent_name])
            if parent:
                groups.setdefault("SUPP" + parent, []).append(ds)
    if not groups:
        return datasets, []
    out = dict(datasets)
    notes = []
    for target, members in sorted(groups.items()):
        if target in out and out[target] not in members:
            members = [out[target], *members]
        for member in members:
            out.pop(member.name, None)
        out[target] = _concat(target, members)
        notes.append(f"{target}: combined from {', '.join(m.name for m in members)}")
    return dict(sorted(out.items())), notes


def _concat(name: str, members: list[Dataset]) -> Dataset:
    variables: dict[str, Variable] = {}
    for ds in members:
        for var in ds.variables:
            known = variables.get(var.name)
            if known is None:
                variables[var.name] = var
            elif (var.length or 0) > (known.length or 0):
                variables[var.name] = dataclasses.replace(known, length=var.length)
    frame = pd.concat([ds.frame for ds in members], ignore_index=True)
    frame = frame[list(variables)]
    for var in variables.values():
        if var.type == "Char":
            frame[var.name] = frame[var.name].astype(object).where(frame[var.name].notna(), "")
    first = members[0]
    return Dataset(
        name=name,
        path=" + ".join(ds.path for ds in members),
        frame=frame,
        variables=tuple(variables.values()),
        label=first.label,
        member=name,
        source_format=first.source_format,
    )

"""SDTMIG 3.4 standard metadata bundled as data (`mappings/sdtmig-3.4/`, built by scripts/build_standard_metadata.py).

Used when a package brings no specification of its own: dataset classes, variables (label, type, core, order,
codelist) and the CDISC CT terms of the codelists SDTMIG 3.4 links to variables.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from trialinterop.errors import SpecError
from trialinterop.resources import mappings_dir


@dataclass(frozen=True, slots=True)
class StandardVariable:
    dataset: str
    name: str
    label: str
    type: str  # Char / Num
    core: str  # Req / Exp / Perm
    order: int
    role: str
    codelists: tuple[str, ...]


@dataclass(frozen=True)
class StandardCodelist:
    code: str
    name: str  # submission short name, e.g. SEX
    extensible: bool
    terms: dict[str, str]  # submission value -> NCI code


@dataclass(frozen=True)
class Standard:
    name: str
    dataset_classes: dict[str, str]
    dataset_labels: dict[str, str]
    variables: dict[str, tuple[StandardVariable, ...]]
    codelists: dict[str, StandardCodelist]
    ts_value_codelists: dict[str, str]  # TSPARMCD -> codelist code of its TSVAL

    def dataset_variables(self, domain: str) -> tuple[StandardVariable, ...]:
        return self.variables.get(domain, ())

    def variable(self, domain: str, name: str) -> StandardVariable | None:
        for var in self.variables.get(domain, ()):
            if var.name == name:
                return var
        return None

    def dataset_class(self, domain: str) -> str:
        return self.dataset_classes.get(domain, "")


def load_standard(folder: Path | None = None) -> Standard:
    folder = folder or mappings_dir() / "sdtmig-3.4"
    return _load(str(folder))


def _rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    except OSError as exc:
        raise SpecError(f"standard metadata missing: {path} ({exc.strerror})") from None


@cache
def _load(folder_text: str) -> Standard:
    folder = Path(folder_text)
    datasets = _rows(folder / "datasets.csv")
    variables: dict[str, list[StandardVariable]] = {}
    for row in _rows(folder / "variables.csv"):
        variables.setdefault(row["dataset"], []).append(
            StandardVariable(
                dataset=row["dataset"],
                name=row["variable"],
                label=row["label"],
                type=row["type"],
                core=row["core"],
                order=int(row["order"]),
                role=row["role"],
                codelists=tuple(c for c in row["codelist"].split(";") if c),
            )
        )
    codelists: dict[str, StandardCodelist] = {}
    for row in _rows(folder / "ct.csv"):
        code = row["codelist_code"]
        if code not in codelists:
            codelists[code] = StandardCodelist(code, row["codelist"], row["extensible"] == "Yes", {})
        codelists[code].terms[row["term"]] = row["term_code"]
    return Standard(
        name="SDTMIG 3.4",
        dataset_classes={r["dataset"]: r["class"] for r in datasets},
        dataset_labels={r["dataset"]: r["label"] for r in datasets},
        variables={k: tuple(v) for k, v in variables.items()},
        codelists=codelists,
        ts_value_codelists={r["tsparmcd"]: r["codelist_code"] for r in _rows(folder / "ts_parameters.csv")},
    )

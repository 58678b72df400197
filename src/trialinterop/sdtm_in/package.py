"""Read an SDTM package for conversion: datasets by domain (split datasets such as QSCO/QSNI or LBCH/LBHE joined
in file order, each row remembering its dataset and row), SUPP-- by parent domain, and cell helpers.

The files are read by `validate.package.load_package` (XPT v5 and Dataset-JSON, define.xml without entity
expansion or network), so from-sdtm accepts exactly what `validate` reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trialinterop.errors import InputError
from trialinterop.issues import Issue, Severity
from trialinterop.validate.package import Dataset, load_package

SOURCE, ROW = "_dataset", "_row"
"""Columns added to each domain frame: the dataset a row comes from and its 1-based row in that dataset."""


@dataclass(frozen=True)
class SdtmInput:
    """The package: `domains` maps a domain (DM, QS, SUPPAE, RELREC...) to its rows with SOURCE/ROW columns;
    `datasets` lists the dataset names read per domain; `define` is the define.xml path used, if any."""

    path: str
    domains: dict[str, pd.DataFrame]
    datasets: dict[str, tuple[str, ...]] = field(default_factory=dict)
    define: str | None = None
    files: dict[str, str] = field(default_factory=dict)

    def get(self, domain: str) -> pd.DataFrame | None:
        return self.domains.get(domain)


def read_sdtm(path: str | Path, *, define: str | Path | None = None) -> SdtmInput:
    """Read every dataset of the package folder `path`; InputError naming the file when one is unreadable."""
    folder = Path(path)
    if not folder.is_dir():
        raise InputError(
            [Issue("TI-READ", Severity.REJECT, "no such folder", where=str(folder))], summary="cannot read"
        )
    package = load_package([folder], define=define)
    if not package.datasets:
        raise InputError(
            [Issue("TI-READ", Severity.REJECT, "no SDTM datasets (.xpt or Dataset-JSON)", where=str(folder))],
            summary="cannot read",
        )
    grouped: dict[str, list[Dataset]] = {}
    for dataset in package.datasets.values():
        grouped.setdefault(_domain_of(dataset), []).append(dataset)
    domains = {domain: _joined(parts) for domain, parts in grouped.items()}
    names = {domain: tuple(d.name for d in parts) for domain, parts in grouped.items()}
    define_path = str(define) if define else (str(folder / "define.xml") if (folder / "define.xml").exists() else None)
    files = {d.name: d.path for d in package.datasets.values()}
    return SdtmInput(str(folder), domains, names, define_path, files)


def _domain_of(dataset: Dataset) -> str:
    """SUPPLBCH -> SUPPLB, LBCH -> LB (by its DOMAIN column), RELREC -> RELREC."""
    name = dataset.name
    if name.startswith("SUPP"):
        frame = dataset.frame
        if "RDOMAIN" in frame.columns and len(frame):
            return "SUPP" + str(frame["RDOMAIN"].iloc[0]).strip()
        return name[:6]
    return dataset.domain


def _joined(parts: list[Dataset]) -> pd.DataFrame:
    frames = []
    for dataset in parts:
        frame = dataset.frame.copy()
        frame[SOURCE] = dataset.name
        frame[ROW] = range(1, len(frame) + 1)
        frames.append(frame)
    joined = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True, sort=False)
    return joined.reset_index(drop=True)


def text(value: Any) -> str | None:
    """A character cell: stripped text, None when empty or missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float):
        return number_text(value)
    out = str(value).strip()
    return out or None


def number(value: Any) -> float | None:
    """A numeric cell (or numeric text): float, None when missing or not a number."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        try:
            return float(value)
        except ValueError:
            return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def clean_number(value: float | None) -> float | None:
    """A stored number without binary noise: 1.2000000000000002 -> 1.2 (15 significant digits)."""
    return None if value is None else float(f"{value:.15g}")


def number_text(value: float) -> str:
    """1.0 -> "1", 0.25 -> "0.25" (15 significant digits)."""
    value = float(f"{value:.15g}")
    return str(int(value)) if value.is_integer() else repr(value)


def integer(value: Any) -> int | None:
    """An integral number (or digits) as int; None otherwise."""
    found = number(value)
    return int(found) if found is not None and found.is_integer() else None


def distinct_map(values: pd.Series, convert: Any) -> pd.Series:
    """`convert` applied once per distinct value of `values` (missing values included), as an object Series."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    converted = np.empty(len(uniques) + 1, dtype=object)
    converted[: len(uniques)] = [convert(u) for u in uniques]
    converted[-1] = convert(None)
    return pd.Series(converted[codes], index=values.index, dtype=object)

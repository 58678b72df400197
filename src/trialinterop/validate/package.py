"""Read what is to be validated: a folder (or files) of SDTM datasets, an optional define.xml, FHIR output.

Datasets come from SAS XPORT (`.xpt`, via pyreadstat, with labels, types, storage lengths and the format version
read from the header bytes) or CDISC Dataset-JSON v1.1 (`.json`). FHIR output is a Bundle (`.json`) or NDJSON.
define.xml is parsed with lxml with entity resolution and network access off. Every unreadable input becomes an
`InputError` naming the file; the data are never changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from trialinterop.errors import InputError
from trialinterop.issues import Issue, Severity
from trialinterop.validate.define import Define, read_define
from trialinterop.validate.xpt_columns import decoded_frame
from trialinterop.writers.xpt_decode import read_xport

XPT_V5_MAGIC = b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!"
XPT_V8_MAGIC = b"HEADER RECORD*******LIBV8"  # then spaces and "HEADER RECORD!!!!!!!"
MAX_JSON_BYTES = 2_000_000_000
MAX_LABEL_CHARS = 1000  # far beyond any valid label (40); larger ones are damaged or hostile files, not findings


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    label: str
    type: str  # "Char" or "Num"
    length: int | None  # storage length in the file (XPT) or declared length (Dataset-JSON); None if unknown


@dataclass(frozen=True)
class Dataset:
    """One dataset as read: values untouched except that missing character values are "" (as SAS stores them)."""

    name: str  # upper-case file stem: "DM", "SUPPAE"
    path: str
    frame: pd.DataFrame
    variables: tuple[Variable, ...]
    label: str = ""
    member: str = ""  # member / dataset name stored inside the file
    source_format: str = "xpt5"  # "xpt5" or "dataset-json"
    positions: np.ndarray | None = field(default=None, compare=False, repr=False)
    """Row of each record in the whole dataset when this is a part of it (`validate.partition`); None: whole."""

    @cached_property
    def domain(self) -> str:
        """The domain the dataset belongs to: SUPPAE -> SUPPQUAL metadata, split QSxx -> QS (by its DOMAIN)."""
        if self.name.startswith("SUPP"):
            return "SUPPQUAL"
        if "DOMAIN" in self.frame.columns and len(self.frame):
            first = str(self.frame["DOMAIN"].iloc[0]).strip()
            if first:
                return first
        return self.name

    def variable(self, name: str) -> Variable | None:
        for var in self.variables:
            if var.name == name:
                return var
        return None


@dataclass(frozen=True)
class FhirResources:
    """FHIR resources found in the inputs, flattened out of Bundles; `sources` maps resource index -> file."""

    resources: tuple[dict, ...] = ()
    sources: tuple[str, ...] = ()
    bundles: tuple[tuple[str, dict], ...] = ()


@dataclass(frozen=True)
class Package:
    datasets: dict[str, Dataset] = field(default_factory=dict)
    define: Define | None = None
    fhir: FhirResources = field(default_factory=FhirResources)
    inputs: tuple[str, ...] = ()
    alternates: dict[str, Dataset] = field(default_factory=dict)  # Dataset-JSON copies of datasets given as XPT

    def get(self, name: str) -> Dataset | None:
        return self.datasets.get(name)

    def by_domain(self, domain: str) -> list[Dataset]:
        return [ds for ds in self.datasets.values() if ds.domain == domain]


def _fail(path: Path | str, message: str) -> InputError:
    issue = Issue("TI-READ", Severity.REJECT, message, where=str(path))
    return InputError([issue], summary="cannot read input")


def detect_xpt_version(path: Path) -> int:
    """5 or 8 from the first header record; InputError when the file is not SAS XPORT at all."""
    with path.open("rb") as handle:
        head = handle.read(80)
    if head.startswith(XPT_V5_MAGIC):
        return 5
    if head.startswith(XPT_V8_MAGIC):
        return 8
    raise _fail(path, "not a SAS XPORT file (no library header record)")


def read_xpt(path: Path) -> Dataset:
    version = detect_xpt_version(path)
    if version == 8:
        raise _fail(path, "SAS XPORT version 8 file: submissions need version 5 (FDA TCG; Pinnacle 21 SD0062)")
    size = path.stat().st_size
    if size % 80:
        raise _fail(path, f"truncated or damaged SAS XPORT file: {size} bytes is not a whole number of 80-byte records")
    fast = _read_decoded(path)
    if fast is not None:
        return fast
    try:
        frame, meta = pyreadstat.read_xport(str(path))
    except Exception as exc:  # pyreadstat raises its own error types for damaged files
        raise _fail(path, f"unreadable SAS XPORT file: {exc}") from None
    types = meta.readstat_variable_types or {}
    widths = meta.variable_storage_width or {}
    labels = meta.column_names_to_labels or {}
    variables = tuple(
        Variable(
            name=name,
            label=labels.get(name) or "",
            type="Char" if types.get(name) == "string" else "Num",
            length=widths.get(name),
        )
        for name in meta.column_names
    )
    frame = _normalise_char(frame, variables)
    return Dataset(
        name=path.stem.upper(),
        path=str(path),
        frame=frame,
        variables=variables,
        label=meta.file_label or "",
        member=meta.table_name or "",
        source_format="xpt5",
    )


def _read_decoded(path: Path) -> Dataset | None:
    """The member through the numpy decoder (`validate.xpt_columns`); None where pyreadstat should read it instead
    (a structure the decoder refuses, date-formatted numbers, no observations), so its messages and its date
    handling still apply there."""
    try:
        data = read_xport(path)
    except (ValueError, OSError):
        return None
    frame = decoded_frame(data)
    if frame is None:
        return None
    variables = tuple(
        Variable(name=v.name, label=v.label, type="Num" if v.numeric else "Char", length=v.length)
        for v in data.variables
    )
    return Dataset(
        name=path.stem.upper(),
        path=str(path),
        frame=frame,
        variables=variables,
        label=data.label,
        member=data.dataset,
        source_format="xpt5",
    )


def _normalise_char(frame: pd.DataFrame, variables: tuple[Variable, ...]) -> pd.DataFrame:
    chars = [v.name for v in variables if v.type == "Char"]
    if chars:
        frame = frame.copy()
        for name in chars:
            frame[name] = frame[name].astype(object).where(frame[name].notna(), "").astype(object)
    return frame


def _load_json(path: Path) -> object:
    if path.stat().st_size > MAX_JSON_BYTES:
        raise _fail(path, "JSON file too large")
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except UnicodeDecodeError:
        raise _fail(path, "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise _fail(path, f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise _fail(path, "JSON nested too deeply") from None


_JSON_TYPES = {"string": "Char", "date": "Char", "datetime": "Char", "time": "Char", "URI": "Char", "decimal": "Char"}


def read_dataset_json(path: Path, document: dict) -> Dataset:
    """CDISC Dataset-JSON v1.1: `columns` (name, label, dataType, length) and `rows` (lists of values)."""
    columns = document.get("columns")
    rows = document.get("rows")
    if not isinstance(columns, list) or not isinstance(rows, list):
        raise _fail(path, "Dataset-JSON needs a 'columns' list and a 'rows' list")
    variables = []
    for number, column in enumerate(columns, start=1):
        if not isinstance(column, dict) or not isinstance(column.get("name"), str):
            raise _fail(path, f"column {number}: needs a 'name'")
        length = column.get("length")
        variables.append(
            Variable(
                name=column["name"],
                label=str(column.get("label") or ""),
                type=_JSON_TYPES.get(str(column.get("dataType")), "Num"),
                length=length if isinstance(length, int) else None,
            )
        )
    labels = [("dataset label", str(document.get("label") or ""))] + [
        (f"label of {v.name}", v.label) for v in variables
    ]
    for what, label in labels:
        if len(label) > MAX_LABEL_CHARS:
            raise _fail(path, f"{what} has {len(label)} characters (a label holds at most 40)")
    width = len(variables)
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, list) or len(row) != width:
            raise _fail(path, f"row {number}: expected a list of {width} values")
    names = [v.name for v in variables]
    if len(set(names)) != len(names):
        raise _fail(path, "duplicate column names")
    frame = pd.DataFrame(rows, columns=names, dtype=object) if rows else pd.DataFrame(columns=names, dtype=object)
    for var in variables:
        if var.type == "Num":
            frame[var.name] = pd.to_numeric(frame[var.name], errors="coerce")
    frame = _normalise_char(frame, tuple(variables))
    name = str(document.get("name") or path.stem).upper()
    return Dataset(
        name=path.stem.upper(),
        path=str(path),
        frame=frame,
        variables=tuple(variables),
        label=str(document.get("label") or ""),
        member=name,
        source_format="dataset-json",
    )


def _read_ndjson(path: Path) -> list[dict]:
    resources = []
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise _fail(path, f"line {number}: not valid JSON: {exc.msg}") from None
                if not isinstance(item, dict):
                    raise _fail(path, f"line {number}: not a JSON object")
                resources.append(item)
    except UnicodeDecodeError:
        raise _fail(path, "not UTF-8 text") from None
    return resources


def _bundle_resources(bundle: dict) -> list[dict]:
    out = []
    for entry in bundle.get("entry") or []:
        if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
            out.append(entry["resource"])
    return out


def _expand(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.is_file())
        elif path.is_file():
            files.append(path)
        else:
            raise _fail(path, "no such file or folder")
    return files


def load_package(
    paths: list[str | Path],
    *,
    define: str | Path | None = None,
    names: Collection[str] | None = None,
    each: Callable[[Dataset], Dataset] | None = None,
) -> Package:
    """Read every .xpt, .json and .ndjson file in the given folders/files; define.xml beside them is used if present.

    A dataset given both as XPT and as Dataset-JSON (what `to-sdtm --format xpt,json` writes) is validated from the
    XPT file, and rule TI-XS012 checks that the JSON copy holds the same variables and records.

    For a part of a package (`validate.partition`): `names` reads only the dataset files of these names and
    define.xml (no .ndjson file, no Dataset-JSON twin of an XPT file: only the package-wide TI-XS012 compares them;
    no "nothing found" error); `each` is applied to every dataset as soon as it is read (e.g. cutting it to some
    subjects), so that only the kept records stay in memory.
    """
    files = _expand([Path(p) for p in paths])
    if names is not None:
        wanted = {n.upper() for n in names}
        files = [
            f
            for f in files
            if (f.suffix.lower() in (".xpt", ".json") and f.stem.upper() in wanted) or f.name.lower() == "define.xml"
        ]
        xpt = {(f.parent, f.stem.upper()) for f in files if f.suffix.lower() == ".xpt"}
        files = [f for f in files if f.suffix.lower() != ".json" or (f.parent, f.stem.upper()) not in xpt]
    datasets: dict[str, Dataset] = {}
    alternates: dict[str, Dataset] = {}
    resources: list[dict] = []
    sources: list[str] = []
    bundles: list[tuple[str, dict]] = []
    define_path = Path(define) if define else None
    for path in files:
        suffix = path.suffix.lower()
        if suffix == ".xpt":
            ds = read_xpt(path)
        elif suffix == ".ndjson":
            found = _read_ndjson(path)
            resources += found
            sources += [str(path)] * len(found)
            continue
        elif suffix == ".json":
            document = _load_json(path)
            if not isinstance(document, dict):
                raise _fail(path, "expected a JSON object (Dataset-JSON or a FHIR resource)")
            if "resourceType" in document:
                if document["resourceType"] == "Bundle":
                    found = _bundle_resources(document)
                    bundles.append((str(path), document))
                else:
                    found = [document]
                resources += found
                sources += [str(path)] * len(found)
                continue
            if "datasetJSONVersion" not in document and "columns" not in document:
                continue  # some other JSON file (a report, a schema): not ours to validate
            ds = read_dataset_json(path, document)
        elif suffix == ".xml" and define_path is None and path.name.lower() == "define.xml":
            define_path = path
            continue
        else:
            continue
        if each is not None:
            ds = each(ds)
        other = datasets.get(ds.name) or alternates.get(ds.name)
        if other is not None and (other.source_format == ds.source_format or ds.name in alternates):
            raise _fail(path, f"dataset {ds.name} is given twice ({other.path} and {path})")
        if other is None:
            datasets[ds.name] = ds
        elif ds.source_format == "xpt5":  # the XPT file is the submission copy; its Dataset-JSON twin is compared
            alternates[ds.name], datasets[ds.name] = other, ds
        else:
            alternates[ds.name] = ds
    if not datasets and not resources and names is None:
        raise _fail(", ".join(str(p) for p in paths), "no .xpt, Dataset-JSON, FHIR .json or .ndjson files found")
    parsed_define = read_define(define_path) if define_path else None
    return Package(
        datasets=dict(sorted(datasets.items())),
        define=parsed_define,
        fhir=FhirResources(tuple(resources), tuple(sources), tuple(bundles)),
        inputs=tuple(str(p) for p in paths),
        alternates=dict(sorted(alternates.items())),
    )


def dataset_file_names(paths: list[str | Path]) -> list[str]:
    """The names (upper-case stems) of the files in `paths` that may hold a dataset (.xpt, .json), sorted, without
    reading them: what `load_package(names=...)` can be asked for."""
    return sorted({p.stem.upper() for p in _expand([Path(p) for p in paths]) if p.suffix.lower() in (".xpt", ".json")})

"""Write a whole SDTM package (XPT v5, optional Dataset-JSON, define.xml) of conformed datasets, or nothing at all.

The caller conforms the frames (`trialinterop.sdtm.conform.conform`) and hands over what conform found; writers never
run conform themselves. Order: each dataset's XPORT limits are checked and, while nothing is an ERROR (conform's or a
limit's), it is written into a staged folder that replaces `out_dir` only when complete; every dataset is checked,
and any ERROR stops the run with all of them listed together, the staged folder removed. A failure at any step leaves
a previous `out_dir` exactly as it was. What the limit check computed (`CheckedXpt`, an immutable snapshot) is
written and let go before the next dataset is checked, so no dataset is checked twice, what is written is what was
checked, and one snapshot is held at a time.

A dataset may come in parts held elsewhere (`DatasetParts`: Spark's executors keep the findings datasets): its
parts are checked, encoded and read back where they are and concatenated here into the same files; define.xml reads
its `sample`. When a part breaks an XPORT limit, the dataset is taken whole and checked here, so that its issues
are those of the whole dataset.

Decision: datasets with no rows are not written (the FDA asks for no empty datasets); each is reported as a NOTICE.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

import pandas as pd

from trialinterop.atomic import staged_directory
from trialinterop.define.write import write_define, write_define_html
from trialinterop.errors import ConformanceError
from trialinterop.issues import Issue, Severity
from trialinterop.spec import Spec, with_data_terms
from trialinterop.writers.dataset_json import write_dataset_json
from trialinterop.writers.xpt import ENGINES, Engine, check_and_prepare, write_checked_xpt
from trialinterop.writers.xpt_member import XptMember

FORMATS = ("xpt", "json")


class DatasetParts(Protocol):
    """A conformed dataset held in parts elsewhere, in the dataset's row order (`spark.findings`)."""

    sample: pd.DataFrame
    """The dataset's columns, with the values define.xml reads (`sdtm.conform_parts.define_sample`)."""

    def __len__(self) -> int: ...

    def write_xpt(self, out_dir: Path, member: XptMember) -> Path | None:
        """The XPT file from the parts (`writers.xpt.write_xpt_parts`); None (no file) when a part breaks a limit."""
        ...

    def write_json(self, out_dir: Path, spec: Spec, creation_datetime: str | None) -> Path | None:
        """The Dataset-JSON file from the parts (`writers.dataset_json.write_dataset_json_parts`), or None."""
        ...

    def whole(self) -> pd.DataFrame:
        """The parts as one frame."""
        ...


Conformed = pd.DataFrame | DatasetParts


@dataclass(frozen=True)
class PackageResult:
    out_dir: Path
    files: tuple[str, ...]
    issues: tuple[Issue, ...]
    frames: Mapping[str, Conformed]


def xpt_member(spec: Spec, dataset: str, frame: pd.DataFrame, *, created: str | None = None) -> XptMember:
    """Member metadata from the spec; the header timestamp is `created` (ISO 8601), else the define.xml one."""
    labels = {v.name: v.label for v in spec.variables(dataset)}
    stamp = datetime.fromisoformat(created or spec.study.define_creation_datetime)
    return XptMember(dataset, spec.dataset(dataset).label, tuple(labels.get(str(c), "") for c in frame.columns), stamp)


def write_package(
    conformed: Mapping[str, Conformed],
    out_dir: str | Path,
    *,
    spec: Spec,
    issues: Iterable[Issue] = (),
    formats: Iterable[str] = ("xpt",),
    define: bool = True,
    define_html: bool = False,
    creation_datetime: str | None = None,
    xpt_engine: Engine = "native",
) -> PackageResult:
    """Write `conformed` (datasets as conform returns them: spec datasets, typed, ordered); `issues` are what conform
    found. ConformanceError (listing every issue, nothing written) on any ERROR among them or from the XPORT limits.

    `xpt_engine` picks the XPORT encoder ("native", or the reference "pyreadstat"); the XPT header timestamp is
    `creation_datetime` or the define.xml creation time of the spec, so the package is byte-deterministic.
    """
    formats = tuple(formats)
    if xpt_engine not in ENGINES:
        raise ValueError(f"xpt_engine must be one of {ENGINES}, got {xpt_engine!r}")
    engine_option = {} if xpt_engine == "native" else {"engine": xpt_engine}
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ValueError(f"formats must be a non-empty selection of {FORMATS}, got {formats}")
    unknown_datasets = [name for name in conformed if name not in spec.dataset_names]
    if unknown_datasets:
        raise ValueError(f"not conformed: datasets {unknown_datasets} are not in the specification")
    samples = {name: _sample(frame) for name, frame in conformed.items()}
    spec = with_data_terms(spec, samples)  # define.xml lists the CDISC CT terms the data use
    found = list(issues)
    written: dict[str, Conformed] = {}
    for name, frame in conformed.items():
        if len(frame):
            written[name] = frame
        else:
            found.append(Issue("TI-PKG001", Severity.NOTICE, "dataset has no records and is not written", name))
    files: list[str] = []
    with staged_directory(out_dir) as staging:  # removed, out_dir untouched, when anything below fails
        refused = any(issue.severity >= Severity.ERROR for issue in found)
        for name, held in written.items():
            if not isinstance(held, pd.DataFrame):
                if not refused and _write_parts(held, name, staging, spec, formats, creation_datetime, files):
                    continue
                held = held.whole()  # a part breaks a limit (or the run is refused): checked whole, as on one machine
            frame = held
            # each dataset checked, then written (when nothing so far is an ERROR) and its snapshot let go before the
            # next is checked: one XPT snapshot at a time; every dataset is still checked, so all issues are listed
            checked = None
            if "xpt" in formats:
                checked = check_and_prepare(frame, xpt_member(spec, name, frame, created=creation_datetime))
                found.extend(checked.issues)
                refused = refused or any(issue.severity >= Severity.ERROR for issue in checked.issues)
            if refused:
                continue
            if checked is not None:
                files.append(write_checked_xpt(checked, staging, **engine_option).name)
                del checked
            if "json" in formats:
                files.append(write_dataset_json(frame, staging, name, spec, creation_datetime=creation_datetime).name)
        if refused:
            raise ConformanceError(found, summary="SDTM package not written")
        if define:
            extension = "xpt" if "xpt" in formats else "json"
            leaves = {name: f"{spec.dataset(name).file_name}.{extension}" for name in written}
            define_path = write_define(spec, {name: samples[name] for name in written}, staging, files=leaves)
            files.append(define_path.name)
            if define_html:
                files.append(write_define_html(define_path).name)
    return PackageResult(Path(out_dir), tuple(files), tuple(found), written)


def _sample(frame: Conformed) -> pd.DataFrame:
    return frame if isinstance(frame, pd.DataFrame) else frame.sample


def _write_parts(
    parts: DatasetParts,
    name: str,
    staging: Path,
    spec: Spec,
    formats: tuple[str, ...],
    creation_datetime: str | None,
    files: list[str],
) -> bool:
    """Write a dataset held in parts in each format; False (the caller then writes it whole) when a format cannot be
    written from parts."""
    written = []
    if "xpt" in formats:
        path = parts.write_xpt(staging, xpt_member(spec, name, parts.sample, created=creation_datetime))
        if path is None:
            return False
        written.append(path.name)
    if "json" in formats:
        path = parts.write_json(staging, spec, creation_datetime)
        if path is None:
            return False
        written.append(path.name)
    files.extend(written)
    return True

"""A dataset held on Spark's executors in ranges of subjects: cut, conformed and written range by range.

Every per-subject derivation (--SEQ, --DY, EPOCH, --LOBXFL, reference dates) reads one subject's records, so a
dataset built some subjects at a time is the whole dataset's rows. The built pieces are cut by USUBJID into ranges of
`RANGE_SUBJECTS` subjects (`split_by_range`; the boundaries come from the driver's list of subjects) and shuffled so
that one task holds one range, which it joins and conforms (`sdtm.conform_parts.conform_part`) and keeps persisted;
the driver merges the ranges' facts (`merge_facts`) and the writers take the ranges one at a time, encoded on the
executors (`ConformedRanges`): the dataset never exists whole on the driver. When the facts do not merge exactly (an
issue in a range, ranges out of key order), the caller joins the pieces in subject order (`in_subject_order`) and
conforms the whole dataset as one machine does.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trialinterop.sdtm.conform_parts import Merged, PartFacts, concat_parts, conform_part, merge_facts
from trialinterop.spec import Spec
from trialinterop.text_columns import text_codes
from trialinterop.writers.dataset_json import dataset_json_part, write_dataset_json_parts
from trialinterop.writers.xpt import XptPart, encode_xpt_part, write_xpt_parts
from trialinterop.writers.xpt_member import XptMember

RANGE_SUBJECTS = 250
"""Subjects per range of a dataset: a range (QS: 84 rows a subject) is what the driver holds of it at once, as XPT
observations or Dataset-JSON text (QS: 21,000 rows, a few MB)."""


RANGE_ROWS = 20_000
"""About the rows one task conforms and the driver writes at once: a dataset with few rows a subject (DM: one) takes
several consecutive ranges of subjects per task, so that each task and each fetch of encoded rows is worth its fixed
cost (a Spark job per fetch: about 0.15 s)."""


def ranges_per_task(rows: int, ranges: int) -> int:
    """How many consecutive ranges of subjects one task takes for a dataset of `rows` rows cut into `ranges` ranges:
    about RANGE_ROWS rows a task, at least one range."""
    return max(1, RANGE_ROWS * ranges // max(rows, 1))


def subject_ranges(usubjids: Iterable[str], size: int | None = None) -> list[str]:
    """The first USUBJID of every range of `size` (default RANGE_SUBJECTS) subjects but the first, in sorted order:
    subject u is in range `bisect_right(boundaries, u)`."""
    step = size or RANGE_SUBJECTS
    return sorted(usubjids)[step::step]


def split_by_range(frame: pd.DataFrame, boundaries: Sequence[str]) -> Iterator[tuple[int, pd.DataFrame]]:
    """(range, the rows of `frame` whose USUBJID is in that range, in their order) for each range with rows; a
    missing USUBJID goes to the last range (where the order check of `merge_facts` then refuses it)."""
    codes, uniques = text_codes(frame["USUBJID"])
    of_value = np.array([bisect_right(boundaries, u) for u in uniques.tolist()] + [len(boundaries)], dtype=np.intp)
    ranges = of_value[codes]  # code -1 (missing) picks the last entry
    for number in np.unique(ranges).tolist():
        yield number, frame.take(np.flatnonzero(ranges == number)).reset_index(drop=True)


def in_subject_order(frame: pd.DataFrame, usubjids: Iterable[str]) -> pd.DataFrame:
    """`frame`'s rows in the order of `usubjids` (stable: each subject's rows keep their order), and each text
    column's categories in order of first appearance, as the single-machine build leaves them."""
    subjects = frame["USUBJID"]
    rank = {usubjid: n for n, usubjid in enumerate(usubjids)}
    if isinstance(subjects.dtype, pd.CategoricalDtype):
        ranks = np.array([rank[u] for u in subjects.cat.categories], dtype=np.int64)[subjects.cat.codes.to_numpy()]
    else:
        ranks = np.array([rank[u] for u in subjects], dtype=np.int64)
    order = np.argsort(ranks, kind="stable")
    ordered = frame.take(order).reset_index(drop=True)
    for name in ordered.columns:
        column = ordered[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes = column.cat.codes.to_numpy()
            present = codes[codes >= 0]
            _, first = np.unique(present, return_index=True)
            seen = np.unique(present)[np.argsort(first, kind="stable")]
            ordered[name] = column.cat.reorder_categories(column.cat.categories[seen])
    return ordered


def conform_ranges(
    pieces: Any,
    ranges: int,
    join: Callable[[list[pd.DataFrame]], pd.DataFrame],
    name: str,
    spec: Spec,
    *,
    rows: int,
    drop_empty_perm: bool,
) -> tuple[Any, Merged | None]:
    """Conform dataset `name` (about `rows` rows) from `pieces` (an RDD of (range, built rows of some subjects of
    that range), `ranges` ranges): the pieces of `ranges_per_task` consecutive ranges joined by `join` and conformed
    by one task, kept persisted (MEMORY_AND_DISK); the tasks' facts merged here. (the conformed RDD, the merged facts),
    or (None, None) when they do not merge exactly."""
    from pyspark import StorageLevel

    shared = pieces.context.broadcast(spec)

    def conform_here(pairs: Iterator[tuple[int, pd.DataFrame]]) -> Iterator[tuple[pd.DataFrame, PartFacts]]:
        found = [piece for _, piece in pairs]
        if found:
            yield conform_part(join(found), name, shared.value)

    step = ranges_per_task(rows, ranges)
    tasks = -(-ranges // step)
    conformed = pieces.partitionBy(tasks, lambda number: number // step).mapPartitions(conform_here)
    conformed = conformed.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        facts = conformed.map(lambda pair: pair[1]).collect()  # in range order
    finally:
        shared.unpersist()
    merged = merge_facts(facts, name, spec, drop_empty_perm=drop_empty_perm)
    if merged is None:
        conformed.unpersist()
        return None, None
    return conformed, merged


class ConformedRanges:
    """A conformed dataset in ranges of subjects on the executors (`writers.package.DatasetParts`): each range is
    encoded there and the driver writes the ranges one after the other."""

    def __init__(self, conformed: Any, merged: Merged, domain: str) -> None:
        self.conformed, self.merged, self.domain = conformed, merged, domain
        self.sample = merged.sample

    def __len__(self) -> int:
        return self.merged.rows

    def write_xpt(self, out_dir: Path, member: XptMember) -> Path | None:
        columns, widths = list(self.merged.columns), self.merged.lengths

        def encode(pair: tuple[pd.DataFrame, PartFacts]) -> XptPart:
            return encode_xpt_part(pair[0][columns], member, widths)

        return write_xpt_parts(out_dir, member, self.conformed.map(encode).toLocalIterator())

    def write_json(self, out_dir: Path, spec: Spec, creation_datetime: str | None) -> Path | None:
        columns, domain = list(self.merged.columns), self.domain

        def encode(pair: tuple[pd.DataFrame, PartFacts]) -> tuple[str, list[list[Any]]]:
            return dataset_json_part(pair[0][columns], domain, spec)

        return write_dataset_json_parts(
            out_dir,
            domain,
            spec,
            names=columns,
            lengths=self.merged.lengths,
            records=self.merged.rows,
            parts=self.conformed.map(encode).toLocalIterator(),
            creation_datetime=creation_datetime,
        )

    def whole(self) -> pd.DataFrame:
        columns = list(self.merged.columns)
        return concat_parts(self.conformed.map(lambda pair: pair[0][columns]).collect())

"""Text columns as codes into their distinct values, shared by conform, the writers and Define-XML.

A 10,000-subject package has 840,000 QS rows whose text columns hold a few dozen distinct values each. `conform`
hashes each text column once and hands it on as a pandas Categorical (codes + categories); every later step (XPORT
limit checks and encoding, Dataset-JSON, lengths in define.xml) then works on the categories and the integer codes
instead of hashing the column again. An object column is factorised on demand, so callers accept both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def is_categorical(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.CategoricalDtype)


def text_codes(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values): code -1 marks a missing value; for a Categorical, only categories a row uses are
    kept (codes renumbered), so a check of the distinct values never sees a value no row has."""
    if is_categorical(series):
        codes = series.cat.codes.to_numpy().astype(np.intp, copy=False)
        categories = series.cat.categories.to_numpy(dtype=object)
        used = np.bincount(codes[codes >= 0], minlength=len(categories)) > 0
        if used.all():
            return codes, categories
        renumber = np.cumsum(used) - 1
        return np.where(codes >= 0, renumber[codes], -1), categories[used]
    if isinstance(series.dtype, pd.StringDtype | pd.ArrowDtype):
        # Arrow-backed text (pandas' default str): encoded natively, in order of first appearance as below, without
        # a Python object per row (QS: two columns' objects were 20 MB at 2,000 subjects)
        arrow_codes, arrow_uniques = pd.factorize(series)
        return np.asarray(arrow_codes, dtype=np.intp), np.asarray(arrow_uniques, dtype=object)
    codes, uniques = pd.factorize(series.to_numpy(dtype=object))
    return codes, np.asarray(uniques, dtype=object)


def as_categorical(codes: np.ndarray, values: np.ndarray, *, index: pd.Index | None = None, name: str | None = None):
    """A Categorical column from `text_codes`-style codes and distinct (non-null, unique) values."""
    dtype = pd.CategoricalDtype(pd.Index(values, dtype=object))
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype), index=index, name=name, copy=False)


def with_nulls(series: pd.Series) -> np.ndarray:
    """The values as an object array with None (not NaN) for missing values."""
    values = series.to_numpy(dtype=object)
    if is_categorical(series):
        values[series.cat.codes.to_numpy() < 0] = None
    return values

"""Apply the specification to built SDTM frames, attribute by attribute, in the manner of R's xportr.

Builders never label, order or type their output: this module does, and reports everything it finds as an `Issue`
instead of repairing data silently. `conform_dataset` is a chain of small named steps, each usable alone on a
`Conforming` (one dataset on its way): `check_known_variables` -> per variable `check_present`, `apply_type`,
`check_length`, `check_codelist`, `check_required` -> `check_value_level` -> `check_supp_labels` (SUPP-- QLABEL/QORIG
per QNAM) -> `drop_empty_permissible` -> `select_and_order` (spec variables, spec order) -> `sort_rows` (dataset
keys). A check types the column it reads (`apply_type`) when no step has yet.

Decision (SDTMIG 3.4 sections 2.5 and 4.1.5): a Permissible variable for a data item the study collects stays in the
dataset even when every value is null (Define-XML then marks it def:HasNoData); a Permissible variable with no data
whose origin is not Collected (a derivation or assignment this package does not make, e.g. --BLFL) is dropped and
each drop is reported as a NOTICE, so Define-XML lists only what was submitted; a study-day variable is kept
beside its date variable even when no day can be computed. Required and Expected variables are
never added or dropped: when absent they are an ERROR. Char values that arrive as numbers are converted to text
(WARNING); Num values that are not numbers are an ERROR and become missing in the conformed frame.

Speed (a 10,000-subject trial has 840,000 QS rows): each check first proves a column clean with whole-array
operations, or over its distinct values (a column has few), and only the rows that may fail go through the
row-by-row code that words the issues; row keys are worded only for rows that get an issue.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from trialinterop.distinct import lexsort_rows
from trialinterop.issue_ids import DECLARED
from trialinterop.issues import Issue, Severity
from trialinterop.number_text import format_number
from trialinterop.spec import Spec, ValueLevelSpec, VariableSpec, with_data_terms
from trialinterop.text_columns import as_categorical, is_categorical, text_codes, with_nulls

ITEMISE_LIMIT = 25
"""At most this many issues per rule and variable; then one summary issue with the remaining count."""

RULES = {issue_id: entry.message for issue_id, entry in DECLARED.items() if entry.stage == "conform"}
"""Conform's issue ids and what they mean, as declared in `trialinterop.issue_ids`."""


@dataclass
class _Collector:
    """Gathers issues for one dataset, itemising at most ITEMISE_LIMIT per (rule, variable)."""

    dataset: str
    issues: list[Issue] = field(default_factory=list)
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    severities: dict[tuple[str, str], Severity] = field(default_factory=dict)

    def add(
        self, rule: str, severity: Severity, message: str, *, key: str = "", var: str = "", value: str = ""
    ) -> None:
        slot = (rule, var)
        self.counts[slot] = self.counts.get(slot, 0) + 1
        self.severities[slot] = severity
        if self.counts[slot] <= ITEMISE_LIMIT:
            self.issues.append(Issue(rule, severity, message, self.dataset, key, var, value))

    def finish(self) -> list[Issue]:
        """The itemised issues, then one summary per (rule, variable) that had more than ITEMISE_LIMIT."""
        summaries = []
        for (rule, var), count in self.counts.items():
            if count > ITEMISE_LIMIT:
                extra = count - ITEMISE_LIMIT
                message = f"{extra} more like this ({count} in all): {RULES[rule]}"
                summaries.append(Issue(rule, self.severities[(rule, var)], message, self.dataset, "", var))
        return [*self.issues, *summaries]


def conform(
    frames: Mapping[str, pd.DataFrame], spec: Spec, *, drop_empty_perm: bool = True
) -> tuple[dict[str, pd.DataFrame], list[Issue]]:
    """Return conformed copies of `frames` (spec datasets only, in spec order) and every issue found. A value that is
    a term of the variable's CDISC codelist is a term of the study's list too (`spec.with_data_terms`)."""
    spec = with_data_terms(spec, frames)
    issues: list[Issue] = []
    result: dict[str, pd.DataFrame] = {}
    for name in frames:
        if name not in spec.dataset_names:
            issues.append(Issue("TI-CF001", Severity.ERROR, RULES["TI-CF001"], name))
    for name in spec.dataset_names:
        if name in frames:
            frame, found = conform_dataset(frames[name], name, spec, drop_empty_perm=drop_empty_perm)
            result[name] = frame
            issues.extend(found)
    return result, issues


class InParts(Protocol):
    """A built dataset held in parts elsewhere (Spark's executors, `spark.findings`), conformed where it is: the
    conformed dataset (still in parts when they merge exactly, `sdtm.conform_parts`) and the issues, as
    `conform_dataset` gives them for the whole frame."""

    def conform(self, spec: Spec, *, drop_empty_perm: bool) -> tuple[Any, list[Issue]]: ...


def conform_each(
    frames: Iterable[tuple[str, pd.DataFrame | InParts]], spec: Spec, *, drop_empty_perm: bool = True
) -> tuple[dict[str, Any], list[Issue]]:
    """`conform` of (name, frame) pairs taken one at a time (e.g. `sdtm.build.iter_sdtm`), so that the caller never
    holds more than one unconformed frame: each is conformed as it comes and let go. Same datasets, same order, same
    issues as `conform`; the CDISC terms a dataset's codelists gain (`spec.with_data_terms`) are those its own data
    use, which is all a dataset's checks read."""
    issues: list[Issue] = []
    found: dict[str, tuple[Any, list[Issue]]] = {}
    for name, frame in frames:
        if name not in spec.dataset_names:
            issues.append(Issue("TI-CF001", Severity.ERROR, RULES["TI-CF001"], name))
            continue
        if not isinstance(frame, pd.DataFrame):  # held in parts elsewhere (Spark's executors): conformed there
            found[name] = frame.conform(spec, drop_empty_perm=drop_empty_perm)
            continue
        found[name] = conform_own(frame, name, spec, drop_empty_perm=drop_empty_perm)
        del frame
    result: dict[str, Any] = {}
    for name in spec.dataset_names:
        if name in found:
            result[name], dataset_issues = found.pop(name)
            issues.extend(dataset_issues)
    return result, issues


def conform_own(
    frame: pd.DataFrame, name: str, spec: Spec, *, drop_empty_perm: bool = True
) -> tuple[pd.DataFrame, list[Issue]]:
    """`conform_dataset` under `spec` whose codelists gain the CDISC terms this dataset's own data use (a check reads
    one value at a time, so the result is the same for the dataset whole or in parts)."""
    own = with_data_terms(spec, {name: frame})
    return conform_dataset(frame, name, own, drop_empty_perm=drop_empty_perm)


def conform_dataset(
    frame: pd.DataFrame, name: str, spec: Spec, *, drop_empty_perm: bool = True
) -> tuple[pd.DataFrame, list[Issue]]:
    """The conformed copy of dataset `name` and every issue found: the steps below, in order."""
    dataset = Conforming(frame, name, spec)
    check_known_variables(dataset)
    for variable in dataset.variables:
        if check_present(dataset, variable):
            apply_type(dataset, variable)
            check_length(dataset, variable)
            check_codelist(dataset, variable)
            check_required(dataset, variable)
    check_value_level(dataset)
    check_supp_labels(dataset)
    if drop_empty_perm:
        drop_empty_permissible(dataset)
    return sort_rows(select_and_order(dataset), name, spec), dataset.issues()


class Conforming:
    """One dataset on its way through conform: the input frame (index 0..n-1), a key per row, the typed columns so
    far, the variables dropped and the issues found. Each step takes one and adds to it."""

    def __init__(self, frame: pd.DataFrame, name: str, spec: Spec) -> None:
        self.name = name
        self.spec = spec
        self.frame = frame.reset_index(drop=True)
        self.variables = spec.variables(name)
        self.keys = _row_keys(self.frame, spec.dataset(name).keys)
        self.columns: dict[str, pd.Series] = {}
        self.distincts: dict[str, _Distinct] = {}
        self.dropped: set[str] = set()
        self.out = _Collector(name)

    def present(self) -> list[VariableSpec]:
        """The specified variables the frame has and no step dropped, in spec order."""
        return [v for v in self.variables if v.name in self.frame.columns and v.name not in self.dropped]

    def issues(self) -> list[Issue]:
        """Every issue so far: at most ITEMISE_LIMIT per rule and variable, then one summary for the rest."""
        return self.out.finish()


def check_known_variables(dataset: Conforming) -> None:
    """TI-CF003 (ERROR) for each column the specification does not list for the dataset; such columns are not kept."""
    known = {v.name for v in dataset.variables}
    for column in dataset.frame.columns:
        if column not in known:
            dataset.out.add("TI-CF003", Severity.ERROR, RULES["TI-CF003"], var=str(column))


def check_present(dataset: Conforming, variable: VariableSpec) -> bool:
    """Whether the frame has `variable`; TI-CF002 (ERROR) when a Required or Expected one is absent."""
    if variable.name in dataset.frame.columns:
        return True
    if variable.core in ("Req", "Exp"):
        message = f"{variable.core} variable {variable.name} is missing"
        dataset.out.add("TI-CF002", Severity.ERROR, message, var=variable.name)
    return False


def apply_type(dataset: Conforming, variable: VariableSpec) -> pd.Series:
    """The column of `variable` typed as specified, once (later calls return it): Char -> text, empty text null
    (TI-CF005 WARNING for numbers made text, TI-CF013 ERROR for other objects); Num -> float64 (TI-CF004 ERROR, then
    NaN, for a value that is not a number)."""
    if variable.name not in dataset.columns:
        series, distinct = _coerce(dataset.frame[variable.name], variable, dataset.keys, dataset.out)
        dataset.columns[variable.name], dataset.distincts[variable.name] = series, distinct
    return dataset.columns[variable.name]


def check_length(dataset: Conforming, variable: VariableSpec) -> None:
    """TI-CF007 (ERROR) for each Char value longer in UTF-8 bytes than the variable's specified length."""
    distinct = _typed(dataset, variable.name)
    if distinct is not None and not variable.is_numeric:
        _check_lengths(distinct, variable.length_limit, variable.name, dataset.keys, dataset.out)


def check_codelist(dataset: Conforming, variable: VariableSpec) -> None:
    """Each value outside the variable's codelist: TI-CF008 (ERROR) when it is non-extensible, TI-CF009 (WARNING)
    when extensible; external dictionaries (MedDRA, ...) are not checked."""
    distinct = _typed(dataset, variable.name)
    if distinct is not None:
        _check_codelist(distinct, variable.codelist, variable.name, dataset.spec, dataset.keys, dataset.out)


def check_required(dataset: Conforming, variable: VariableSpec) -> None:
    """TI-CF006 (ERROR) for each null value of a Required variable."""
    distinct = _typed(dataset, variable.name)
    if distinct is None or variable.core != "Req":
        return
    for index in distinct.missing_rows():
        message = f"Req variable {variable.name} is null"
        dataset.out.add("TI-CF006", Severity.ERROR, message, key=dataset.keys[index], var=variable.name)


def check_value_level(dataset: Conforming) -> None:
    """Each value against the value-level metadata its where-clause selects: length (TI-CF007), codelist (TI-CF008,
    TI-CF009), type and range (TI-CF010); TI-CF011 (WARNING) when no entry matches."""
    name, spec = dataset.name, dataset.spec
    for variable in dict.fromkeys(e.variable for e in spec.value_level(name)):
        entries = spec.value_level(name, variable)
        values, selectors = _typed(dataset, variable), _typed(dataset, entries[0].where_variable)
        if values is not None and selectors is not None:
            _check_value_level(values, selectors, variable, entries, spec, dataset.keys, dataset.out)


def check_supp_labels(dataset: Conforming) -> None:
    """In a SUPP-- dataset, TI-CF014 (WARNING) for each QLABEL or QORIG that differs from the value-level metadata
    of its QNAM (the Define-XML shows one label and origin per QNAM)."""
    if not dataset.name.startswith("SUPP") or _typed(dataset, "QNAM") is None:
        return
    columns = {n: dataset.columns[n] for n in ("QNAM", "QLABEL", "QORIG") if _typed(dataset, n) is not None}
    _check_supp_labels(columns, dataset.spec.value_level(dataset.name, "QVAL"), dataset.keys, dataset.out)


def drop_empty_permissible(dataset: Conforming) -> None:
    """Drop each Permissible variable that has no data and is not a collected item, with a TI-CF012 NOTICE; a study
    day stays beside its date (`_has_dated_partner`)."""

    def is_empty(name: str) -> bool:
        distinct = _typed(dataset, name)
        return distinct is not None and len(distinct.missing_rows()) == len(dataset.frame)

    for name in permissible_drops(dataset.variables, [v.name for v in dataset.present()], is_empty):
        dataset.dropped.add(name)
        del dataset.columns[name], dataset.distincts[name]
        add_drop_notice(dataset.out, name)


def permissible_drops(
    variables: Iterable[VariableSpec], present: Collection[str], is_empty: Callable[[str], bool]
) -> list[str]:
    """The variables `drop_empty_permissible` drops, in order: Permissible, not Collected, among `present` (the
    dataset's columns), with no data (`is_empty`), and not a study day beside a submitted date. The dataset may be
    whole or in parts (`sdtm.conform_parts`: then empty in every part)."""
    dropped: list[str] = []
    for variable in variables:
        if variable.core != "Perm" or variable.origin == "Collected" or variable.name not in present:
            continue
        if not is_empty(variable.name):
            continue
        if _has_dated_partner(variable.name, [name for name in present if name not in dropped]):
            continue
        dropped.append(variable.name)
    return dropped


def add_drop_notice(out: _Collector, name: str) -> None:
    """TI-CF012: Permissible variable `name` had no data and was dropped."""
    out.add("TI-CF012", Severity.NOTICE, f"Perm variable {name} has no data and was dropped", var=name)


def drop_notices(dataset: str, names: Iterable[str]) -> list[Issue]:
    """The issues `drop_empty_permissible` reports for dropping `names` from `dataset` (and nothing else)."""
    out = _Collector(dataset)
    for name in names:
        add_drop_notice(out, name)
    return out.finish()


def select_and_order(dataset: Conforming) -> pd.DataFrame:
    """The typed columns of the specified variables present (and not dropped), in spec order."""
    columns = {v.name: apply_type(dataset, v) for v in dataset.present()}
    # the typed columns as they are (no copy into consolidated blocks: the sort that follows makes the one copy)
    return pd.DataFrame(columns, index=dataset.frame.index, copy=False)


def sort_rows(frame: pd.DataFrame, name: str, spec: Spec) -> pd.DataFrame:
    """Rows in the order of the dataset keys present (missing values last, stable), then --SEQ when there is one."""
    return _sort_by_keys(frame, spec.dataset(name).keys, spec.variables(name))


def _typed(dataset: Conforming, name: str) -> _Distinct | None:
    """The typed values of specified variable `name` (typed now when no step has yet); None when it is not in the
    specification, not in the frame, or dropped."""
    if name in dataset.distincts:
        return dataset.distincts[name]
    variable = next((v for v in dataset.present() if v.name == name), None)
    if variable is None:
        return None
    apply_type(dataset, variable)
    return dataset.distincts[name]


def _has_dated_partner(name: str, columns: Collection[str]) -> bool:
    """A study day (--DY, --STDY, --ENDY) stays, even empty, beside its date (--DTC, --STDTC, --ENDTC) whenever that
    date is submitted: validators expect the pair (CDISC CORE-000321, TI-DT007) and an empty --DY says "not
    computable" (e.g. no RFSTDTC). The date may itself be all null: an Expected AESTDTC stays in AE when no AE of
    a data cut has a start yet, and so does AESTDY."""
    for day_suffix, date_suffix in (("STDY", "STDTC"), ("ENDY", "ENDTC"), ("DY", "DTC")):
        if name.endswith(day_suffix):
            return name[: -len(day_suffix)] + date_suffix in columns
    return False


class _RowKeys:
    """A readable key per input row, worded only when asked for: `row N, USUBJID=…, --SEQ=…` (USUBJID and --SEQ
    when present, else the dataset keys)."""

    def __init__(self, frame: pd.DataFrame, dataset_keys: Iterable[str]) -> None:
        seq = [c for c in frame.columns if isinstance(c, str) and c.endswith("SEQ") and c != "TSSEQ"]
        chosen = [c for c in ("USUBJID", *seq[:1]) if c in frame.columns]
        chosen = chosen or [k for k in dataset_keys if k in frame.columns]
        self._columns = [(c, _positional(frame[c])) for c in chosen]
        self._length = len(frame)

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, position: int) -> str:
        parts = [f"{c}={_text(values[position])}" for c, values in self._columns if not _is_null(values[position])]
        return ", ".join([f"row {position + 1}", *parts])


class _Positional:
    """A column's values one position at a time, as `tolist()` gives them (a category, NaN when missing; a Python
    number), without a Python object per row held for the whole conform (QS: 11 MB at 2,000 subjects)."""

    def __init__(self, series: pd.Series) -> None:
        if is_categorical(series):
            self.codes: np.ndarray = series.cat.codes.to_numpy()
            self.categories: list[Any] | None = series.cat.categories.tolist()
        else:
            self.codes, self.categories = series.to_numpy(), None

    def __getitem__(self, position: int) -> Any:
        if self.categories is None:
            return self.codes[position].item()
        code = int(self.codes[position])
        return self.categories[code] if code >= 0 else math.nan


def _positional(series: pd.Series) -> _Positional | list[Any]:
    """`_Positional` for categorical and NumPy numeric columns, else the values as a list."""
    numeric = isinstance(series.dtype, np.dtype) and series.dtype.kind in "biuf"
    return _Positional(series) if numeric or is_categorical(series) else series.tolist()


def _row_keys(frame: pd.DataFrame, dataset_keys: Iterable[str]) -> _RowKeys:
    """Keys for the rows of `frame` (its index must be 0..n-1)."""
    return _RowKeys(frame, dataset_keys)


class _Distinct:
    """A column's values with their distinct values found once (one hash pass), so that every check runs per
    distinct value and only the rows of a failing value are visited."""

    def __init__(self, series: pd.Series, *, factorized: tuple[np.ndarray, list] | None = None) -> None:
        self._series = series
        self._values: np.ndarray | None = None
        self._factorized = factorized if factorized is None else (_compact_codes(factorized[0]), factorized[1])

    @property
    def values(self) -> np.ndarray:
        if self._values is None:
            self._values = with_nulls(self._series)
        return self._values

    def codes(self) -> tuple[np.ndarray, list]:
        """(code per row, distinct values): -1 marks a missing value; text by `text_codes` (a Categorical's own
        codes), numbers by their own dtype; unhashable values make every row its own value."""
        if self._factorized is None:
            series = self._series
            uniques: np.ndarray | pd.Index
            try:
                if is_categorical(series) or series.dtype == object:
                    codes, uniques = text_codes(series)
                else:
                    codes, uniques = pd.factorize(series)
                self._factorized = (_compact_codes(np.asarray(codes)), list(uniques))
            except TypeError:
                codes = np.arange(len(self.values))
                codes[pd.isna(self.values)] = -1
                self._factorized = (codes, list(self.values))
        return self._factorized

    def missing_rows(self) -> np.ndarray:
        if self._factorized is None and self._series.dtype != object:
            return np.flatnonzero(self._series.isna().to_numpy())
        return np.flatnonzero(self.codes()[0] < 0)

    def suspect_rows(self, is_bad: Callable[[Any], bool]) -> np.ndarray:
        """Positions whose value `is_bad` says may produce an issue; `is_bad` runs once per distinct present value."""
        codes, uniques = self.codes()
        bad = [code for code, value in enumerate(uniques) if is_bad(value)]
        if not bad:
            return np.zeros(0, dtype=np.intp)
        return np.flatnonzero(np.isin(codes, bad))


def _compact_codes(codes: np.ndarray) -> np.ndarray:
    """Codes kept per column while a dataset is conformed, in the smallest signed type that holds them (a dataset's
    columns have few distinct values; int64 codes of every column would cost 8 bytes a cell)."""
    if not len(codes):
        return codes
    return codes.astype(np.promote_types(np.min_scalar_type(-int(codes.max()) - 1), np.int8), copy=False)


def _is_null(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _text(value: object) -> str:
    """A value as shown in a key or an issue: numbers as `format_number` writes them ("1" for 1.0)."""
    return format_number(value) if isinstance(value, float) else str(value)


def _coerce(series: pd.Series, variable: VariableSpec, keys: _RowKeys, out: _Collector) -> tuple[pd.Series, _Distinct]:
    """Char -> object column of str/None (empty text is null); Num -> float64 (non-numbers are ERROR, then NaN)."""
    if variable.is_numeric:
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            numbers = series.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)  # the column's own array
            coerced = pd.Series(numbers, index=series.index, dtype="float64", name=variable.name, copy=False)
            return coerced, _Distinct(coerced)
    elif _is_text(series):
        return _coerce_text(series, variable.name)
    coerced = _coerce_row_by_row(series, variable, keys, out)
    return coerced, _Distinct(coerced)


def _is_text(series: pd.Series) -> bool:
    """Only str values and nulls (a Categorical: only str categories)."""
    values = series.cat.categories if is_categorical(series) else series
    return pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")


def _coerce_text(series: pd.Series, name: str) -> tuple[pd.Series, _Distinct]:
    """A column of text and missing values: missing and empty text -> null, as a Categorical (the one hashing of the
    column; `text_columns` says why) that the checks and the writers reuse."""
    codes, uniques = text_codes(series)
    blank = [code for code, value in enumerate(uniques.tolist()) if value == ""]
    if blank:
        keep = np.ones(len(uniques), dtype=bool)
        keep[blank] = False
        renumber = np.where(keep, np.cumsum(keep) - 1, -1)
        codes = np.where(codes >= 0, renumber[codes], -1)
        uniques = uniques[keep]
    coerced = as_categorical(codes, uniques, index=series.index, name=name)
    return coerced, _Distinct(coerced, factorized=(codes, uniques.tolist()))


def _coerce_row_by_row(series: pd.Series, variable: VariableSpec, keys: _RowKeys, out: _Collector) -> pd.Series:
    """The general case, itemising every value that cannot be coerced."""
    values = list(series)
    if variable.is_numeric:
        numbers: list[float] = []
        for index, value in enumerate(values):
            if _is_null(value) or (isinstance(value, str) and not value.strip()):
                numbers.append(math.nan)
                continue
            if isinstance(value, bool):
                number = None
            else:
                try:
                    number = float(value)
                except (TypeError, ValueError):
                    number = None
            if number is None:
                out.add(
                    "TI-CF004", Severity.ERROR, RULES["TI-CF004"], key=keys[index], var=variable.name, value=str(value)
                )
                numbers.append(math.nan)
            else:
                numbers.append(number)
        return pd.Series(numbers, index=series.index, dtype="float64", name=variable.name)
    texts: list[str | None] = []
    converted = 0
    for index, value in enumerate(values):
        if _is_null(value):
            texts.append(None)
        elif isinstance(value, str):
            texts.append(value if value != "" else None)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            converted += 1
            texts.append(_text(value))
        else:
            out.add(
                "TI-CF013", Severity.ERROR, RULES["TI-CF013"], key=keys[index], var=variable.name, value=repr(value)
            )
            texts.append(None)
    if converted:
        out.add("TI-CF005", Severity.WARNING, f"{converted} number(s) converted to text", var=variable.name)
    return pd.Series(texts, index=series.index, dtype="object", name=variable.name)


def _check_lengths(distinct: _Distinct, limit: int | None, name: str, keys: _RowKeys, out: _Collector) -> None:
    if limit is None:
        return
    for index in distinct.suspect_rows(lambda v: isinstance(v, str) and len(v.encode("utf-8")) > limit):
        value = distinct.values[index]  # a row's value, made only for a suspect row (an object array per row)
        if isinstance(value, str) and len(value.encode("utf-8")) > limit:
            size = len(value.encode("utf-8"))
            out.add(
                "TI-CF007", Severity.ERROR, f"{size} bytes, limit {limit}", key=keys[index], var=name, value=value[:60]
            )


def _check_codelist(
    distinct: _Distinct, codelist_name: str, name: str, spec: Spec, keys: _RowKeys, out: _Collector
) -> None:
    if not codelist_name or spec.is_dictionary(codelist_name):
        return
    codelist = spec.codelist(codelist_name)
    assert codelist is not None
    allowed = codelist.values
    rule, severity = ("TI-CF009", Severity.WARNING) if codelist.extensible else ("TI-CF008", Severity.ERROR)
    for index in distinct.suspect_rows(lambda v: not _is_null(v) and _text(v) not in allowed):
        value = distinct.values[index]
        if _is_null(value) or _text(value) in allowed:
            continue
        out.add(rule, severity, f"not a term of {codelist_name}", key=keys[index], var=name, value=_text(value))


def _check_value_level(
    value_column: _Distinct,
    selector_column: _Distinct,
    variable: str,
    entries: tuple[ValueLevelSpec, ...],
    spec: Spec,
    keys: _RowKeys,
    out: _Collector,
) -> None:
    """Value-level checks over the (selector, value) pairs the columns' own codes make: no column is hashed again."""
    where_variable = entries[0].where_variable
    selectors, values = selector_column.codes(), value_column.codes()
    for index in _suspect_value_level_rows(values, selectors, entries, variable, spec):
        value = values[1][values[0][index]]
        code = selectors[0][index]
        selector = selectors[1][code] if code >= 0 else None
        entry = next((e for e in entries if e.matches(selector)), None)
        if entry is None:
            message = f"no value-level entry for {where_variable}={selector}"
            out.add("TI-CF011", Severity.WARNING, message, key=keys[index], var=variable, value=_text(value))
            continue
        _check_entry(value, entry, variable, keys[index], spec, out)


_Codes = tuple[np.ndarray, list]


def _suspect_value_level_rows(
    values: _Codes, selectors: _Codes, entries: tuple[ValueLevelSpec, ...], variable: str, spec: Spec
) -> np.ndarray:
    """Rows (in order) with a value whose (selector, value) pair may give an issue: each distinct pair is checked
    once."""
    (value_codes, value_values), (selector_codes, selector_values) = values, selectors
    present = value_codes >= 0
    if not present.any():
        return np.zeros(0, dtype=np.intp)
    width = len(value_values) + 1
    pair_codes = (selector_codes.astype(np.int64) + 1) * width + value_codes
    bad = []
    for code in np.unique(pair_codes[present]).tolist():
        selector_code, value_code = divmod(code, width)
        selector = selector_values[selector_code - 1] if selector_code else None
        value = value_values[value_code]
        entry = next((e for e in entries if e.matches(selector)), None)
        probe = _Collector("")
        if entry is not None:
            _check_entry(value, entry, variable, "", spec, probe)
        if entry is None or probe.issues:
            bad.append(code)
    if not bad:
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero(present & np.isin(pair_codes, bad))


def _check_entry(value: object, entry: ValueLevelSpec, variable: str, key: str, spec: Spec, out: _Collector) -> None:
    shown = _text(value)
    context = f"{entry.where_variable}={'|'.join(entry.where_values[:1])}"
    if entry.length_limit is not None and isinstance(value, str) and len(value.encode("utf-8")) > entry.length_limit:
        out.add(
            "TI-CF007",
            Severity.ERROR,
            f"longer than {entry.length_limit} for {context}",
            key=key,
            var=variable,
            value=shown,
        )
    if entry.codelist and not spec.is_dictionary(entry.codelist):
        codelist = spec.codelist(entry.codelist)
        assert codelist is not None
        if shown not in codelist.values:
            rule, severity = ("TI-CF009", Severity.WARNING) if codelist.extensible else ("TI-CF008", Severity.ERROR)
            out.add(rule, severity, f"not a term of {entry.codelist} ({context})", key=key, var=variable, value=shown)
    if entry.data_type in ("integer", "float") or entry.minimum is not None or entry.maximum is not None:
        try:
            number = float(value)  # type: ignore[arg-type]  # any cell value; a non-number is caught below
        except (TypeError, ValueError):
            out.add("TI-CF010", Severity.ERROR, f"not a number ({context})", key=key, var=variable, value=shown)
            return
        if entry.data_type == "integer" and not number.is_integer():
            out.add("TI-CF010", Severity.ERROR, f"not an integer ({context})", key=key, var=variable, value=shown)
        low, high = entry.minimum, entry.maximum
        if (low is not None and number < low) or (high is not None and number > high):
            span = f"{_text(low) if low is not None else ''}..{_text(high) if high is not None else ''}"
            out.add("TI-CF010", Severity.ERROR, f"outside {span} ({context})", key=key, var=variable, value=shown)


def _check_supp_labels(
    columns: dict[str, pd.Series], entries: tuple[ValueLevelSpec, ...], keys: _RowKeys, out: _Collector
) -> None:
    """QLABEL and QORIG are fixed per QNAM by the value-level metadata (the Define-XML shows one label/origin)."""
    if "QNAM" not in columns:
        return
    by_qnam = {value: e for e in entries if e.where_variable == "QNAM" for value in e.where_values}
    given = {variable: columns[variable].tolist() for variable in ("QLABEL", "QORIG") if variable in columns}
    for index, qnam in enumerate(columns["QNAM"].tolist()):
        entry = by_qnam.get(qnam)
        if entry is None:
            continue
        for variable, expected in (("QLABEL", entry.label), ("QORIG", entry.origin)):
            actual = given[variable][index] if variable in given else None
            if actual is not None and actual != expected:
                message = f"{variable} for QNAM {qnam} should be {expected!r}"
                out.add("TI-CF014", Severity.WARNING, message, key=keys[index], var=variable, value=str(actual))


def _sort_by_keys(frame: pd.DataFrame, keys: tuple[str, ...], variables: tuple[VariableSpec, ...]) -> pd.DataFrame:
    """Stable sort by the dataset keys present (missing values last), then by --SEQ when the dataset has one."""
    order = [k for k in keys if k in frame.columns]
    seq = [v.name for v in variables if v.name.endswith("SEQ") and v.name in frame.columns and v.name not in order]
    by = order + seq
    if by and len(frame):
        rows = lexsort_rows(*(frame[c] for c in by))
        if np.any(rows[1:] < rows[:-1]):
            frame = frame.take(rows)
    return frame.reset_index(drop=True)

"""The points table and its charts without a UI: AG Grid's filter and sort models applied to a metadata
frame, and the counts a histogram or a bar chart draws (all points against the selected ones).

A filter model is what AG Grid sends, ``{column: model}``; every column's model must pass. A model is one
condition ``{"filterType": "text"|"number", "type": ..., "filter": ..., "filterTo": ...}`` or a combined
one ``{"filterType", "operator": "AND"|"OR", "conditions": [condition, ...]}`` (older grids send
``"condition1"``/``"condition2"``). The rules are AG Grid's own, so the server's rows are the ones the
grid would keep:

- text: case-insensitive (both sides lower-cased); a missing value passes only ``notContains``,
  ``notEqual`` and ``blank``; ``blank`` is missing or whitespace only (JavaScript's ``trim``);
- number: a missing value (NaN) passes only ``blank``; ``inRange`` excludes both ends.

Values are as the store keeps them: numeric columns are numbers (NaN when missing), other columns text
(:func:`projector.formats.column_as_text`, where ``""`` is missing).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DataError
from .formats import column_as_text

TEXT_TYPES = frozenset({"contains", "notContains", "equals", "notEqual", "startsWith", "endsWith", "blank",
                        "notBlank"})
NUMBER_TYPES = frozenset({"equals", "notEqual", "lessThan", "lessThanOrEqual", "greaterThan", "greaterThanOrEqual",
                          "inRange", "blank", "notBlank"})
VALUELESS = frozenset({"blank", "notBlank"})
CONDITIONS_MAX = 50          # conditions in one column's combined model
SORT_KEYS_MAX = 50           # columns in one sort model
# What JavaScript's String.prototype.trim removes: its WhiteSpace and LineTerminator characters.
JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
           "\u2028\u2029\u202f\u205f\u3000\ufeff"


class TableError(DataError):
    """A filter or sort the table cannot apply (unknown column, a number filter without a number…)."""


def is_numeric(series: pd.Series) -> bool:
    """Numbers (filtered and charted as numbers); booleans and text are text."""
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)


def _rows(frame: pd.DataFrame, rows) -> np.ndarray:
    if rows is None:
        return np.arange(len(frame), dtype=np.int64)
    return np.asarray(rows, dtype=np.int64)


def _texts(series: pd.Series, rows: np.ndarray) -> np.ndarray:
    return np.asarray(column_as_text(series.iloc[rows]), dtype=object)


def _numbers(series: pd.Series, rows: np.ndarray) -> np.ndarray:
    return series.iloc[rows].to_numpy(dtype=np.float64, na_value=np.nan)


# ---------------------------------------------------------------- filtering

def filter_rows(frame: pd.DataFrame, rows, filter_model) -> np.ndarray:
    """The ``rows`` (indices into ``frame``, None = all) that pass every column's model, in their order.

    An unknown column, an unknown filter type, or a number filter without a number is a :class:`TableError`.
    """
    rows = _rows(frame, rows)
    if not filter_model:
        return rows
    if not isinstance(filter_model, dict):
        raise TableError("the table's filter is not a set of column filters; clear the filters and try again.")
    for column, model in filter_model.items():
        if column not in frame.columns:
            raise TableError(f"the table has no column {str(column)[:80]!r}; clear that filter or reload the page.")
        if not len(rows):
            break
        rows = rows[_passes(frame[column], rows, model, str(column))]
    return rows


def _passes(series: pd.Series, rows: np.ndarray, model, name: str) -> np.ndarray:
    if not isinstance(model, dict):
        raise TableError(f"the filter of “{name[:80]}” is not a filter; clear it and try again.")
    kind = model.get("filterType") or ("number" if is_numeric(series) else "text")
    if "conditions" in model or "operator" in model:
        conditions = model.get("conditions")
        if conditions is None:
            conditions = [model[k] for k in ("condition1", "condition2") if k in model]
        if not isinstance(conditions, list) or not conditions or len(conditions) > CONDITIONS_MAX:
            raise TableError(f"the filter of “{name[:80]}” combines no conditions (or more than {CONDITIONS_MAX}); "
                             "clear it and try again.")
        operator = model.get("operator", "AND")
        if operator not in ("AND", "OR"):
            raise TableError(f"filters combine with AND or OR, not {str(operator)[:20]!r}.")
        masks = [_condition(series, rows, c if not isinstance(c, dict) or "filterType" in c else
                            {**c, "filterType": kind}, name) for c in conditions]
        return np.logical_and.reduce(masks) if operator == "AND" else np.logical_or.reduce(masks)
    return _condition(series, rows, {**model, "filterType": kind}, name)


def _condition(series: pd.Series, rows: np.ndarray, condition, name: str) -> np.ndarray:
    if not isinstance(condition, dict):
        raise TableError(f"a condition of the filter of “{name[:80]}” is not a condition; clear it and try again.")
    kind, how = condition.get("filterType"), condition.get("type")
    how = how if isinstance(how, str) else repr(how)
    if kind == "text":
        if how not in TEXT_TYPES:
            raise TableError(f"{str(how)[:40]!r} is not a text filter; use contains, equals, starts with…")
        return _text_condition(_texts(series, rows), how, condition, name)
    if kind == "number":
        if how not in NUMBER_TYPES:
            raise TableError(f"{str(how)[:40]!r} is not a number filter; use equals, less than, in range…")
        if not is_numeric(series):
            raise TableError(f"“{name[:80]}” holds text, not numbers; filter it as text.")
        return _number_condition(_numbers(series, rows), how, condition, name)
    raise TableError(f"the table filters text and numbers, not {str(kind)[:40]!r}; clear that filter.")


def _text_condition(texts: np.ndarray, how: str, condition: dict, name: str) -> np.ndarray:
    missing = texts == ""
    if how in VALUELESS:
        blank = np.fromiter((t.strip(JS_SPACE) == "" for t in texts), dtype=bool, count=len(texts))
        return blank if how == "blank" else ~blank
    wanted = condition.get("filter")
    if not isinstance(wanted, str):
        raise TableError(f"the text filter of “{name[:80]}” needs text to look for.")
    f = wanted.lower()
    lowered = (t.lower() for t in texts)
    test = {"contains": lambda t: f in t, "notContains": lambda t: f not in t, "equals": lambda t: t == f,
            "notEqual": lambda t: t != f, "startsWith": lambda t: t.startswith(f),
            "endsWith": lambda t: t.endswith(f)}[how]
    hit = np.fromiter((test(t) for t in lowered), dtype=bool, count=len(texts))
    # a missing value passes the negative filters only, as in AG Grid
    return np.where(missing, how in ("notContains", "notEqual"), hit)


def _number(value, what: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise TableError(f"the number filter of “{name[:80]}” needs a number {what}; "
                         f"{str(value)[:40]!r} is not one.")
    return float(value)


def _number_condition(values: np.ndarray, how: str, condition: dict, name: str) -> np.ndarray:
    missing = np.isnan(values)
    if how == "blank":
        return missing
    if how == "notBlank":
        return ~missing
    f = _number(condition.get("filter"), "to compare with", name)
    with np.errstate(invalid="ignore"):
        if how == "inRange":
            to = _number(condition.get("filterTo"), "to end the range", name)
            hit = (values > f) & (values < to)
        else:
            hit = {"equals": np.equal, "notEqual": np.not_equal, "lessThan": np.less, "lessThanOrEqual": np.less_equal,
                   "greaterThan": np.greater, "greaterThanOrEqual": np.greater_equal}[how](values, f)
    return hit & ~missing


# ---------------------------------------------------------------- sorting

def sort_rows(frame: pd.DataFrame, indices, sort_model) -> np.ndarray:
    """``indices`` ordered by ``sort_model`` (``[{"colId", "sort": "asc"|"desc"}, ...]``, first key first):
    stable (ties keep their order in ``indices``), missing values last in either direction, numbers by
    value, text by code point."""
    indices = _rows(frame, indices)
    if not sort_model:
        return indices
    if not isinstance(sort_model, list) or len(sort_model) > SORT_KEYS_MAX:
        raise TableError(f"the table sorts by at most {SORT_KEYS_MAX} columns; sort by fewer.")
    keys = []   # most significant first
    for item in sort_model:
        if not isinstance(item, dict) or item.get("sort") not in ("asc", "desc"):
            raise TableError("a column sorts ascending or descending; click its header again.")
        column = item.get("colId")
        if not isinstance(column, str) or column not in frame.columns:
            raise TableError(f"the table has no column {str(column)[:80]!r} to sort by; reload the page.")
        series = frame[column]
        if is_numeric(series):
            values = _numbers(series, indices)
            missing = np.isnan(values)
        else:
            values = _texts(series, indices)
            missing = values == ""
        codes = np.zeros(len(values), dtype=np.int64)
        if (~missing).any():
            present = values[~missing]
            _, codes[~missing] = np.unique(present.astype(str) if present.dtype == object else present,
                                           return_inverse=True)
        keys += [missing.astype(np.int8), codes if item["sort"] == "asc" else -codes]
    order = np.lexsort([np.arange(len(indices))] + keys[::-1])
    return indices[order]


# ---------------------------------------------------------------- charts

@dataclass
class Histogram:
    """Counts of the finite values per bin: ``edges`` (bins + 1, ascending), ``counts`` of all points,
    ``selected`` of the selected ones; ``missing``: values that are NaN or infinite (not drawn)."""
    edges: np.ndarray
    counts: np.ndarray
    selected: np.ndarray
    missing: int


@dataclass
class Bars:
    """The most frequent values (most first, ties by value; ``""`` is missing) with their counts among all
    points and the selected ones; ``others``: how many values are not shown, ``other_count`` their points."""
    values: list
    counts: np.ndarray
    selected: np.ndarray
    others: int
    other_count: int


def _edges(finite: np.ndarray, bins: int) -> np.ndarray:
    if not len(finite):
        return np.empty(0)
    lo, hi = float(finite.min()), float(finite.max())
    if lo == hi:
        return np.array([lo - 0.5, hi + 0.5]) if abs(lo) < 1e300 else np.array([lo, np.nextafter(lo, np.inf)])
    t = np.arange(bins + 1) / bins
    edges = lo * (1 - t) + hi * t      # a weighted mean never overflows, whatever the span
    edges[0], edges[-1] = lo, hi
    return edges


def bin_of(values, edges: np.ndarray) -> np.ndarray:
    """The bin of each value (the last bin includes its right edge); -1 for values outside or not finite."""
    values = np.asarray(values, dtype=np.float64)
    out = np.full(len(values), -1, dtype=np.int64)
    if len(edges) < 2:
        return out
    inside = np.isfinite(values) & (values >= edges[0]) & (values <= edges[-1])
    out[inside] = np.clip(np.searchsorted(edges, values[inside], side="right") - 1, 0, len(edges) - 2)
    return out


def histogram(values, bins: int = 30, selected=None) -> Histogram:
    """``bins`` equal bins over the finite ``values``; ``selected``: the selected points' values."""
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    edges = _edges(values[finite], int(bins))
    n = max(len(edges) - 1, 0)

    def count(v):
        b = bin_of(v, edges)
        return np.bincount(b[b >= 0], minlength=n).astype(np.int64)

    chosen = np.empty(0) if selected is None else np.asarray(selected, dtype=np.float64)
    return Histogram(edges=edges, counts=count(values), selected=count(chosen), missing=int((~finite).sum()))


def in_range(values, lo: float, hi: float) -> np.ndarray:
    """Which values lie in [lo, hi] (either order), ends included."""
    values = np.asarray(values, dtype=np.float64)
    lo, hi = min(lo, hi), max(lo, hi)
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & (values >= lo) & (values <= hi)


def bar_counts(texts, top: int = 30, selected=None) -> Bars:
    """The ``top`` most frequent of ``texts`` and how often each occurs among all and among ``selected``
    (the selected points' texts)."""
    texts = pd.Series(np.asarray(texts, dtype=object), dtype=object).fillna("")
    if not len(texts):
        return Bars([], np.empty(0, np.int64), np.empty(0, np.int64), 0, 0)
    codes, uniques = pd.factorize(texts)           # by hashing: a million labels in a fraction of a second
    values = np.asarray(uniques, dtype=object).astype(str)
    counts = np.bincount(codes, minlength=len(values))
    order = np.lexsort((np.argsort(np.argsort(values, kind="stable")), -counts))   # most first, ties by value
    keep, rest = order[:int(top)], order[int(top):]
    picked = np.zeros(len(keep), dtype=np.int64)
    if selected is not None and len(selected):
        at = pd.Index(values[keep]).get_indexer(np.asarray(selected, dtype=object).astype(str))
        picked = np.bincount(at[at >= 0], minlength=len(keep)).astype(np.int64)
    return Bars(values=values[keep].tolist(), counts=counts[keep].astype(np.int64), selected=picked, others=len(rest),
                other_count=int(counts[rest].sum()))

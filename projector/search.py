"""Search point labels by substring or regular expression."""
from __future__ import annotations

import re

import numpy as np

from . import formats
from .errors import DataError

MAX_PATTERN_LENGTH = 1_000


def compile_query(query: str, *, regex: bool = False) -> re.Pattern:
    """Compile a user's query, case-insensitive; a bad regex is a :class:`DataError`."""
    if len(query) > MAX_PATTERN_LENGTH:
        raise DataError(f"the search is {len(query):,} characters long; keep it under {MAX_PATTERN_LENGTH:,}.")
    if not regex:
        return re.compile(re.escape(query), re.IGNORECASE)
    try:
        return re.compile(query, re.IGNORECASE)
    except re.error as exc:
        raise DataError(f"{query!r} is not a valid regular expression ({exc.msg} at position "
                        f"{exc.pos}); fix it or turn regex off.") from None


def column_text(dataset, column: str | None) -> tuple[str, list[str]]:
    """The searchable text of one metadata column (missing values as empty strings)."""
    column = column if column is not None else dataset.default_column()
    if column is None:
        raise DataError("this data set has no metadata to search; upload a metadata .tsv.")
    if column not in dataset.metadata.columns:
        raise DataError(f"there is no metadata column {column!r}; choose one of "
                        f"{', '.join(map(str, dataset.metadata.columns))}.")
    key = ("text", column)
    cache = dataset._derived
    if key not in cache:
        cache[key] = formats.column_as_text(dataset.metadata[column])
    return column, cache[key]


def search(dataset, query: str, *, column: str | None = None, regex: bool = False,
           subset=None) -> np.ndarray:
    """Indices (ascending) of the points whose ``column`` matches ``query``.

    Case-insensitive; a substring match unless ``regex=True``; ``column`` defaults to the first
    non-numeric column; ``subset`` limits the search to those points. An empty query matches none.
    """
    pattern = compile_query(query, regex=regex)
    _, texts = column_text(dataset, column)
    if query == "":
        return np.empty(0, dtype=np.int64)
    probe = pattern.search
    if subset is None:
        hits = [i for i, t in enumerate(texts) if t and probe(t)]
    else:
        hits = [int(i) for i in np.unique(np.asarray(subset, dtype=np.int64)) if texts[i] and probe(texts[i])]
    return np.asarray(hits, dtype=np.int64)

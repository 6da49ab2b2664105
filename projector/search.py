"""Search point labels by substring or regular expression."""
from __future__ import annotations

import re
import time

import numpy as np
import regex as timed_regex

from . import formats, patterns
from .errors import DataError

MAX_PATTERN_LENGTH = patterns.MAX_PATTERN_LENGTH
SEARCH_TIME_LIMIT_S = 2.0   # one search over every label; a pattern that needs longer is refused


class Query:
    """A compiled search: ``labelwise`` matches one label, ``joined`` scans many labels joined by
    newlines at once (^ and $ at every label), which is ten times faster and can be given a time
    limit without a timer per label."""

    def __init__(self, labelwise, joined, pattern: str | None = None):
        self.labelwise, self.joined = labelwise, joined
        self.pattern = pattern if pattern is not None else labelwise.pattern   # what the user typed

    def search(self, text: str):
        return self.labelwise.search(text)


def compile_query(query: str, *, regex: bool = False) -> Query:
    """Compile a user's query, case-insensitive; a bad or unbounded pattern is a :class:`DataError`.

    Parsed by Python's ``re`` (its syntax and messages), its unrolled size checked before any engine
    compiles it, then matched by RE2 when RE2 can take it exactly (linear time, bounded memory) and
    otherwise by the ``regex`` module with a time limit (see :mod:`projector.patterns`).
    """
    tree = patterns.check(query, regex)
    if not regex:
        return Query(*patterns.compile_plain(query), pattern=query)
    try:
        re.compile(query, re.IGNORECASE)   # what only the compiler checks (e.g. look-behind widths)
    except (re.error, OverflowError, RecursionError) as exc:
        raise patterns.invalid(query, exc) from None
    engines = patterns.compile_re2(tree, original=query)
    if engines is not None:
        return Query(*engines)
    text, extra = patterns.for_regex_module(tree, query)
    try:
        flags = timed_regex.IGNORECASE | timed_regex.V0 | extra
        return Query(timed_regex.compile(text, flags), timed_regex.compile(text, flags | timed_regex.MULTILINE),
                     pattern=query)
    except (timed_regex.error, OverflowError, RecursionError, MemoryError) as exc:
        raise patterns.invalid(query, exc) from None


# Lookarounds and absolute anchors see the newline between joined labels: such patterns match label by label.
_LABELWISE_ONLY = re.compile(r"\\[AZzG]|\(\?<?[=!]")
CHUNK = 4_096


def matching(query: Query, texts, rows=None, limit_s: float = SEARCH_TIME_LIMIT_S) -> list[int]:
    """Positions (from ``rows``, or all) whose text ``query`` finds, in ascending order, within
    ``limit_s`` seconds in all; a pattern that needs longer is a :class:`DataError`."""
    deadline = time.monotonic() + limit_s
    rows = np.arange(len(texts)) if rows is None else np.asarray(rows, dtype=np.int64)
    labelwise_only = bool(_LABELWISE_ONLY.search(query.pattern))
    hits: list[int] = []
    try:
        for s in range(0, len(rows), CHUNK):
            block = rows[s:s + CHUNK]
            parts = [texts[i] for i in block]
            found = None if labelwise_only else _joined_hits(query.joined, parts, deadline)
            if found is None:   # a match ran across labels (or cannot be judged joined): label by label
                found = [k for k, t in enumerate(parts)
                         if t and query.labelwise.search(t, timeout=max(deadline - time.monotonic(), 1e-3),
                                                         concurrent=True)]
            hits.extend(int(block[k]) for k in found)
            if time.monotonic() > deadline:
                raise TimeoutError
    except TimeoutError:
        raise DataError(f"the pattern {query.pattern[:60]!r} took more than {limit_s:g} s over these labels "
                        "(nested repeats such as (a+)+ backtrack without end); simplify it.") from None
    return hits


def _joined_hits(pattern, parts: list[str], deadline: float):
    """Indices of ``parts`` holding a match, found in one scan of the parts joined by newlines; None
    when a match crosses from one label into the next (the caller then matches label by label)."""
    joined = "\n".join(parts)
    ends = np.cumsum([len(p) + 1 for p in parts]) - 1   # where each label's text stops
    found = []
    # concurrent: the interpreter lock is released while matching, so other users' requests go on
    for m in pattern.finditer(joined, timeout=max(deadline - time.monotonic(), 1e-3), concurrent=True):
        k = int(np.searchsorted(ends, m.start()))
        if m.end() > ends[k]:
            return None
        if parts[k] and (not found or found[-1] != k):
            found.append(k)
    return found


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
    query_ = compile_query(query, regex=regex)
    _, texts = column_text(dataset, column)
    if query == "":
        return np.empty(0, dtype=np.int64)
    rows = None if subset is None else np.unique(np.asarray(subset, dtype=np.int64))
    return np.asarray(matching(query_, texts, rows), dtype=np.int64)

"""The table engine against a straightforward pandas reference: AG Grid filter models (text and number,
one condition, two, many, AND/OR, every column), multi-column stable sorts with missing values last,
and the counts the histogram and bar chart draw — over frames and models Hypothesis makes up."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projector.formats import column_as_text
from projector.table import (JS_SPACE, NUMBER_TYPES, TEXT_TYPES, TableError, bar_counts, bin_of, filter_rows,
                             histogram, in_range, sort_rows)

# letters whose lower case is unusual (dotted İ grows, final sigma, ß), spaces JavaScript trims and Python's
# str.strip would treat otherwise (\ufeff, \x1c)
ALPHABET = "aAbB zZİiΣσςßẞ\u00a0\ufeff\x1c\t"
words = st.one_of(st.none(), st.text(ALPHABET, min_size=1, max_size=5))
NUMBERS = [0.0, -0.0, 1.0, -1.0, 2.5, 3.0, 1e300, -1e300, np.inf, -np.inf, np.nan]
numbers = st.sampled_from(NUMBERS)


@st.composite
def frames(draw, min_rows=0, max_rows=40):
    n = draw(st.integers(min_rows, max_rows))
    word = draw(st.lists(words, min_size=n, max_size=n))
    score = draw(st.lists(numbers, min_size=n, max_size=n))
    count = draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n))
    # as the store keeps metadata: text as objects (None when missing), numbers as float64 (NaN when missing)
    return pd.DataFrame({"word": pd.array(word, dtype=object), "score": pd.array(score, dtype="float64"),
                         "count": pd.array(count, dtype="float64")})


def text_condition(draw):
    how = draw(st.sampled_from(sorted(TEXT_TYPES)))
    c = {"filterType": "text", "type": how}
    if how not in ("blank", "notBlank"):
        c["filter"] = draw(st.text(ALPHABET, max_size=3))
    return c


def number_condition(draw):
    how = draw(st.sampled_from(sorted(NUMBER_TYPES)))
    c = {"filterType": "number", "type": how}
    finite = st.sampled_from([v for v in NUMBERS if np.isfinite(v)] + [0.5, 2, -2])
    if how not in ("blank", "notBlank"):
        c["filter"] = draw(finite)
    if how == "inRange":
        c["filterTo"] = draw(finite)
    return c


@st.composite
def column_models(draw, kind):
    make = text_condition if kind == "text" else number_condition
    shape = draw(st.sampled_from(["one", "legacy", "many"]))
    if shape == "one":
        return make(draw)
    operator = draw(st.sampled_from(["AND", "OR"]))
    if shape == "legacy":
        return {"filterType": kind, "operator": operator, "condition1": make(draw), "condition2": make(draw)}
    return {"filterType": kind, "operator": operator,
            "conditions": [make(draw) for _ in range(draw(st.integers(1, 4)))]}


@st.composite
def filter_models(draw):
    model = {}
    if draw(st.booleans()):
        model["word"] = draw(column_models("text"))
    if draw(st.booleans()):
        model["score"] = draw(column_models("number"))
    if draw(st.booleans()):   # a numeric column filtered as the text it shows
        model["count"] = draw(column_models(draw(st.sampled_from(["number", "text"]))))
    return model


# ---------------------------------------------------------------- the reference

def ref_text(series: pd.Series, c: dict) -> pd.Series:
    s = pd.Series(column_as_text(series), dtype=object).replace("", None)
    how = c["type"]
    if how == "blank":
        return s.isna() | (s.fillna("").str.strip(JS_SPACE) == "")
    if how == "notBlank":
        return ~ref_text(series, {**c, "type": "blank"})
    low, f = s.fillna("").str.lower(), c["filter"].lower()
    hit = {"contains": lambda: low.str.contains(f, regex=False), "notContains": lambda: ~low.str.contains(f, regex=False),
           "equals": lambda: low == f, "notEqual": lambda: low != f,
           "startsWith": lambda: low.str.startswith(f), "endsWith": lambda: low.str.endswith(f)}[how]()
    return hit.astype(bool).where(s.notna(), how in ("notContains", "notEqual")).astype(bool)


def ref_number(series: pd.Series, c: dict) -> pd.Series:
    v, how = series.astype(float), c["type"]
    if how == "blank":
        return v.isna()
    present = v.notna()
    if how == "notBlank":
        return present
    f = c["filter"]
    hit = {"equals": v == f, "notEqual": v != f, "lessThan": v < f, "lessThanOrEqual": v <= f, "greaterThan": v > f,
           "greaterThanOrEqual": v >= f, "inRange": (v > f) & (v < c.get("filterTo", 0))}[how]
    return hit & present


def ref_condition(series, c):
    return ref_text(series, c) if c["filterType"] == "text" else ref_number(series, c)


def ref_filter(frame: pd.DataFrame, rows, model: dict) -> list:
    keep = pd.Series(True, index=frame.index)
    for column, m in model.items():
        if "operator" in m:
            conds = m.get("conditions") or [m["condition1"], m["condition2"]]
            masks = [ref_condition(frame[column], c) for c in conds]
            passed = masks[0]
            for other in masks[1:]:
                passed = (passed & other) if m["operator"] == "AND" else (passed | other)
        else:
            passed = ref_condition(frame[column], m)
        keep &= passed
    return [int(r) for r in rows if keep.iloc[r]]


def ref_sort(frame: pd.DataFrame, indices, sort_model) -> list:
    cols = [s["colId"] for s in sort_model]
    part = frame.iloc[indices][cols].reset_index(drop=True)
    for c in cols:
        if part[c].dtype == object:
            part[c] = part[c].replace("", None)
    order = part.sort_values(by=[f"{c}" for c in cols], ascending=[s["sort"] == "asc" for s in sort_model],
                             na_position="last", kind="stable").index
    return [int(indices[i]) for i in order]


# ---------------------------------------------------------------- filtering

@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames(), filter_models(), st.data())
def test_filter_rows_matches_the_reference(frame, model, data):
    rows = data.draw(st.permutations(range(len(frame))))
    rows = np.asarray(rows[:data.draw(st.integers(0, len(rows)))], dtype=np.int64)
    got = filter_rows(frame, rows, model)
    assert got.dtype == np.int64
    assert got.tolist() == ref_filter(frame, rows, model)


def test_text_filters_ignore_case_and_blanks_pass_only_the_negative_ones():
    frame = pd.DataFrame({"w": pd.array(["Politics", "police", None, "  ", "POLL", "bad"], dtype=object)})

    def rows(how, f=None):
        return filter_rows(frame, None, {"w": {"filterType": "text", "type": how, "filter": f}}).tolist()

    assert rows("contains", "POL") == [0, 1, 4]
    assert rows("notContains", "pol") == [2, 3, 5]
    assert rows("equals", "poll") == [4]
    assert rows("notEqual", "poll") == [0, 1, 2, 3, 5]
    assert rows("startsWith", "pOl") == [0, 1, 4]
    assert rows("endsWith", "ICS") == [0]
    assert rows("blank") == [2, 3]
    assert rows("notBlank") == [0, 1, 4, 5]


def test_number_filters_exclude_missing_and_in_range_excludes_its_ends():
    frame = pd.DataFrame({"x": pd.array([1.0, 2.0, np.nan, 3.0, 4.0], dtype="float64")})

    def rows(how, f=None, to=None):
        return filter_rows(frame, None, {"x": {"filterType": "number", "type": how, "filter": f,
                                               "filterTo": to}}).tolist()

    assert rows("equals", 2) == [1]
    assert rows("notEqual", 2) == [0, 3, 4]
    assert rows("lessThan", 3) == [0, 1]
    assert rows("lessThanOrEqual", 3) == [0, 1, 3]
    assert rows("greaterThan", 3) == [4]
    assert rows("greaterThanOrEqual", 3) == [3, 4]
    assert rows("inRange", 1, 4) == [1, 3]
    assert rows("blank") == [2]
    assert rows("notBlank") == [0, 1, 3, 4]
    both = {"x": {"filterType": "number", "operator": "OR", "conditions": [
        {"filterType": "number", "type": "lessThan", "filter": 2}, {"filterType": "number", "type": "blank"}]}}
    assert filter_rows(frame, None, both).tolist() == [0, 2]


@pytest.mark.parametrize("model, says", [
    ({"nope": {"filterType": "text", "type": "contains", "filter": "a"}}, "no column 'nope'"),
    ({"x": {"filterType": "number", "type": "equals", "filter": "abc"}}, "needs a number"),
    ({"x": {"filterType": "number", "type": "equals", "filter": True}}, "needs a number"),
    ({"x": {"filterType": "number", "type": "inRange", "filter": 1}}, "needs a number to end the range"),
    ({"w": {"filterType": "number", "type": "equals", "filter": 1}}, "holds text, not numbers"),
    ({"w": {"filterType": "text", "type": "contains", "filter": 5}}, "needs text"),
    ({"w": {"filterType": "text", "type": "matches", "filter": "a"}}, "is not a text filter"),
    ({"x": {"filterType": "number", "type": "contains", "filter": 1}}, "is not a number filter"),
    ({"w": {"filterType": "date", "type": "equals", "filter": "2020"}}, "text and numbers"),
    ({"w": {"filterType": "text", "operator": "XOR", "conditions": [{"type": "blank"}]}}, "AND or OR"),
    ({"w": {"filterType": "text", "operator": "AND", "conditions": []}}, "combines no conditions"),
    ({"w": {"filterType": "text", "operator": "AND", "conditions": [1]}}, "is not a condition"),
    ({"w": "contains a"}, "is not a filter"),
    (["w"], "not a set of column filters"),
])
def test_a_filter_the_table_cannot_apply_is_one_sentence(model, says):
    frame = pd.DataFrame({"w": pd.array(["a", "b"], dtype=object), "x": pd.array([1.0, 2.0])})
    with pytest.raises(TableError, match=says):
        filter_rows(frame, None, model)


def test_filtering_a_million_rows_takes_about_a_second():
    import time

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"w": pd.array(rng.choice(["alpha", "Beta", "gamma", None], 1_000_000), dtype=object),
                          "x": rng.normal(size=1_000_000)})
    start = time.perf_counter()
    rows = filter_rows(frame, None, {"w": {"filterType": "text", "type": "contains", "filter": "a"},
                                     "x": {"filterType": "number", "type": "greaterThan", "filter": 0}})
    assert time.perf_counter() - start < 3
    assert 0.3 < len(rows) / 1_000_000 < 0.45


# ---------------------------------------------------------------- sorting

@st.composite
def sort_models(draw):
    cols = draw(st.lists(st.sampled_from(["word", "score", "count"]), min_size=1, max_size=3, unique=True))
    return [{"colId": c, "sort": draw(st.sampled_from(["asc", "desc"]))} for c in cols]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames(), sort_models(), st.data())
def test_sort_rows_matches_a_stable_pandas_sort_with_missing_last(frame, model, data):
    indices = np.asarray(data.draw(st.permutations(range(len(frame)))), dtype=np.int64)
    assert sort_rows(frame, indices, model).tolist() == ref_sort(frame, indices, model)


def test_missing_values_sort_last_both_ways_and_ties_keep_their_order():
    frame = pd.DataFrame({"x": pd.array([2.0, np.nan, 1.0, 2.0, np.nan], dtype="float64"),
                          "w": pd.array(["b", None, "a", "a", "c"], dtype=object)})
    assert sort_rows(frame, None, [{"colId": "x", "sort": "asc"}]).tolist() == [2, 0, 3, 1, 4]
    assert sort_rows(frame, None, [{"colId": "x", "sort": "desc"}]).tolist() == [0, 3, 2, 1, 4]
    assert sort_rows(frame, [4, 3, 2, 1, 0], [{"colId": "x", "sort": "desc"}]).tolist() == [3, 0, 2, 4, 1]
    assert sort_rows(frame, None, [{"colId": "x", "sort": "desc"}, {"colId": "w", "sort": "asc"}]).tolist() == \
        [3, 0, 2, 4, 1]
    with pytest.raises(TableError, match="no column 'y'"):
        sort_rows(frame, None, [{"colId": "y", "sort": "asc"}])
    with pytest.raises(TableError, match="ascending or descending"):
        sort_rows(frame, None, [{"colId": "x", "sort": "up"}])


# ---------------------------------------------------------------- charts

@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(numbers, st.floats(-1e6, 1e6)), max_size=60), st.integers(1, 40), st.data())
def test_histogram_counts_every_finite_value_once_as_numpy_does(values, bins, data):
    values = np.asarray(values, dtype=np.float64)
    chosen = values[data.draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values)))] \
        if len(values) else values
    h = histogram(values, bins, selected=chosen)
    finite = values[np.isfinite(values)]
    assert h.missing == len(values) - len(finite)
    if not len(finite):
        assert len(h.counts) == 0
        return
    assert np.all(np.diff(h.edges) >= 0) and h.edges[0] <= finite.min() and h.edges[-1] >= finite.max()
    assert len(h.edges) == (bins + 1 if finite.min() < finite.max() else 2)
    assert h.counts.tolist() == np.histogram(finite, bins=h.edges)[0].tolist()
    assert h.selected.tolist() == np.histogram(chosen[np.isfinite(chosen)], bins=h.edges)[0].tolist()
    members = bin_of(values, h.edges)
    assert [int((members == k).sum()) for k in range(len(h.counts))] == h.counts.tolist()


def test_histogram_of_extreme_values_has_finite_edges_and_a_range_selects_inclusively():
    h = histogram([-1e308, 1e308, 0.0, np.inf], bins=4)
    assert np.all(np.isfinite(h.edges)) and h.counts.sum() == 3 and h.missing == 1
    values = np.array([1.0, 2.0, 3.0, np.nan, 4.0])
    assert in_range(values, 3, 2).tolist() == [False, True, True, False, False]
    one = histogram([5.0, 5.0], bins=30)
    assert one.edges.tolist() == [4.5, 5.5] and one.counts.tolist() == [2]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c", "d", "", "B"]), max_size=50), st.integers(1, 6), st.data())
def test_bar_counts_are_the_most_frequent_values_as_pandas_counts_them(texts, top, data):
    chosen = [t for t in texts if data.draw(st.booleans())]
    bars = bar_counts(texts, top=top, selected=chosen)
    counts = pd.Series(texts, dtype=object).value_counts()
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    assert list(zip(bars.values, bars.counts.tolist())) == ranked[:top]
    picked = pd.Series(chosen, dtype=object).value_counts()
    assert bars.selected.tolist() == [int(picked.get(v, 0)) for v in bars.values]
    assert bars.others == max(0, len(ranked) - top) and bars.other_count == sum(c for _, c in ranked[top:])


@pytest.mark.parametrize("condition", [{"filterType": "text", "type": ["contains"], "filter": "a"},
                                       {"filterType": ["text"], "type": "contains", "filter": "a"},
                                       {"filterType": "number", "type": {"a": 1}, "filter": 1}])
def test_a_condition_made_of_the_wrong_kinds_of_value_is_one_sentence(condition):
    frame = pd.DataFrame({"w": pd.array(["a", "b"], dtype=object)})
    with pytest.raises(TableError):
        filter_rows(frame, None, {"w": condition})

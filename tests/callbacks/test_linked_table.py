"""The table and chart as functions: columns that follow the data set, rows narrowed by a selection made
elsewhere (never by the table's own), filters that select their rows and give back what was selected
before, blocks sliced from one kept order, and chart clicks and boxes mapped to points."""
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import projector

from callbacks import services, table
from callbacks.views import empty_selection, keep_points, selected_points, selection_of
from conftest import PCA, view_of

TEXT = {"filterType": "text", "type": "contains", "filter": "POL"}


def with_selection(ds, view, selection):
    return {**view, "selection": selection}


def test_columns_follow_the_data_set_with_a_filter_each_kind(data_dir, words):
    defs = table.column_defs(words)
    assert [(d["field"], d["headerName"], d["filter"]) for d in defs] == [
        ("i", "#", "agNumberColumnFilter"), ("c0", "word", "agTextColumnFilter"),
        ("c1", "group", "agTextColumnFilter"), ("c2", "score", "agNumberColumnFilter")]
    out = table.follow_view(view_of(words, PCA), None, None)
    assert out["columns"] == defs and out["filters"] == {} and out["column"] == "score"
    assert table.follow_view(view_of(words, PCA), out["key"], "score")["key"] is table.no_update
    tagged_set = services.store().tag(words.id, "mood", "grim", [1, 2])     # a tag adds a column
    tagged = view_of(tagged_set, PCA)
    again = table.follow_view(tagged, out["key"], "word")
    assert again["columns"] == defs + [{"field": "c3", "headerName": "mood", "headerTooltip": "mood",
                                        "filter": "agTextColumnFilter"}]
    assert again["filters"] is table.no_update and again["column"] == "word"
    answer, *_ = table.rows({"startRow": 0, "endRow": 3, "filterModel": {
        "c3": {"filterType": "text", "type": "equals", "filter": "GRIM"}}}, tagged)
    assert [(r["i"], r["c3"]) for r in answer["rowData"]] == [(1, "grim"), (2, "grim")]


def test_rows_are_filtered_sorted_and_sliced_from_one_kept_order(data_dir, words):
    view = view_of(words, PCA)
    request = {"startRow": 0, "endRow": 5, "filterModel": {"c0": TEXT},
               "sortModel": [{"colId": "c2", "sort": "desc"}]}
    answer, said, kind = table.rows(request, view)
    meta = words.metadata
    expected = meta[meta["word"].str.lower().str.contains("pol")].sort_values("score", ascending=False).index.tolist()
    assert answer["rowCount"] == len(expected) == 30
    assert [r["i"] for r in answer["rowData"]] == expected[:5]
    assert answer["rowData"][0] == {"i": expected[0], "c0": meta["word"][expected[0]],
                                    "c1": meta["group"][expected[0]], "c2": float(meta["score"][expected[0]])}
    assert said == "30 of 60 points match the table's filters." and kind == "message info"
    later, *_ = table.rows({**request, "startRow": 25, "endRow": 30}, view)
    assert [r["i"] for r in later["rowData"]] == expected[25:30]


def test_a_bad_filter_is_one_sentence_and_no_rows(data_dir, words):
    view = view_of(words, PCA)
    answer, said, kind = table.rows({"startRow": 0, "endRow": 100, "filterModel": {
        "c2": {"filterType": "number", "type": "equals", "filter": "abc"}}}, view)
    assert answer["rowData"] == [table.NO_ROWS] and answer["rowCount"] == 1 and kind == "message error"
    assert said == "The number filter of “score” needs a number to compare with; 'abc' is not one."
    answer, said, kind = table.rows({"startRow": 0, "endRow": 100, "filterModel": {
        "c0": {"filterType": "text", "type": "equals", "filter": "nobody"}}}, view)
    assert answer["rowData"] == [table.NO_ROWS] and said == "0 of 60 points match the table's filters."
    answer, said, _ = table.rows({"startRow": 0, "endRow": 100, "filterModel": {"c9": TEXT}}, view)
    assert "does not have" in said and answer["rowData"] == [table.NO_ROWS]


def test_a_map_selection_narrows_the_table_and_the_tables_own_selection_does_not(data_dir, words):
    lasso = keep_points(empty_selection(words.id), range(20))
    view = view_of(words, PCA, selection=lasso)
    answer, said, _ = table.rows({"startRow": 0, "endRow": 100}, view)
    assert answer["rowCount"] == 20 and "within the 20 selected" in said
    chosen, *_ = table.filter_selects({"c0": TEXT}, view)
    assert chosen["source"] == "table" and chosen["within"] == lasso
    assert sorted(selected_points(chosen).tolist()) == [i for i in range(20) if "pol" in words.metadata["word"][i]]
    filtered = view_of(words, PCA, selection=chosen)
    assert table.table_key(filtered) == table.table_key(view)            # the table does not reload itself
    answer, *_ = table.rows({"startRow": 0, "endRow": 100, "filterModel": {"c0": TEXT}}, filtered)
    assert answer["rowCount"] == len(selected_points(chosen))
    rows_picked, *_ = table.rows_select([{"i": 1}, {"i": 2}, {"i": 99}, {"i": True}], {"c0": TEXT}, filtered)
    assert selected_points(rows_picked).tolist() == [1, 2] and rows_picked["within"] == lasso
    back, *_ = table.filter_selects({}, filtered)
    assert back == lasso                                                  # clearing the filter gives it back
    assert table.filter_selects({}, view)[0] is table.no_update           # nothing of the table's to clear
    nothing, *_ = table.filter_selects({}, view_of(words, PCA, selection=table.table_selection(view_of(words, PCA), [3])))
    assert nothing == empty_selection(words.id)


def test_the_chart_draws_all_points_behind_the_selected_and_picks_by_range_bar_and_value(data_dir, words):
    selection = keep_points(empty_selection(words.id), range(10))
    view = view_of(words, PCA, selection=selection)
    figure, _ = table.chart_figure(view, "score")
    every, chosen = figure["data"]
    assert sum(every["y"]) == 60 and sum(chosen["y"]) == 10 and every["marker"]["color"] == table.GREY
    points, what = table.chart_pick(view, "score", {"points": [], "range": {"x": [9.5, 20.2]}}, True)
    assert points.tolist() == list(range(10, 21)) and what == "score from 9.5 to 20.2"
    points, _ = table.chart_pick(view, "score", {"points": [{"curveNumber": 0, "pointIndex": 0}]}, False)
    assert points.tolist() == [0, 1]                                       # the first of 30 bins over 0..59
    figure, _ = table.chart_figure(view, "word")
    assert figure["layout"]["xaxis"]["ticktext"] == ["bad", "evil", "good", "policy", "political", "politics"]
    points, what = table.chart_pick(view, "word", {"points": [{"pointIndex": 2}, {"pointIndex": True}]}, True)
    assert points.tolist() == [i for i in range(60) if words.metadata["word"][i] == "good"] and "“good”" in what
    isolated = view_of(words, PCA, subset=range(30))
    figure, _ = table.chart_figure(isolated, "score")
    assert sum(figure["data"][0]["y"]) == 30


def test_rows_of_a_large_set_come_from_the_cache_once_ordered(data_dir):
    import projector

    rng = np.random.default_rng(5)
    n = 200_000
    import pandas as pd

    meta = pd.DataFrame({"w": pd.array(rng.choice(["alpha", "beta", None], n), dtype=object), "x": rng.normal(size=n)})
    ds = projector.load_dataset(rng.normal(size=(n, 2)).astype(np.float32), meta, name="big")
    services.store().add(ds)
    view = view_of(ds, PCA)
    request = {"startRow": 150_000, "endRow": 150_100, "sortModel": [{"colId": "c1", "sort": "asc"}]}
    answer, *_ = table.rows(request, view)
    assert len(answer["rowData"]) == 100 and answer["rowCount"] == n
    expected = np.argsort(meta["x"].to_numpy(), kind="stable")[150_000:150_100]
    assert [r["i"] for r in answer["rowData"]] == expected.tolist()
    assert selection_of(view)["points"] is None


# ---------------------------------------------------------------- any request the boundary lets through

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", "a", "pol", "c0", "c2", "i", "text", "number", "contains", "inRange", "AND", "OR",
                       "blank", "asc", "desc", "filterType", "type", "filter"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["filterType", "type", "filter", "filterTo", "operator", "conditions", "condition1",
                         "colId", "sort", "c0", "c2", "i", "c9"]), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(filters=json_values, sorts=json_values, picked=json_values, event=json_values)
def test_whatever_the_boundary_lets_through_gets_rows_or_one_sentence(data_dir, words, filters, sorts, picked, event):
    from callbacks import boundary

    view = view_of(words, PCA, selection=keep_points(empty_selection(words.id), range(5)))
    request = {"startRow": 0, "endRow": 100, "filterModel": filters, "sortModel": sorts}
    try:
        request = boundary.CONTROLS[("points-table", "getRowsRequest")](request)
    except boundary.Refused:
        request = None
    if request is not None:
        answer, said, kind = table.rows(request, view)
        assert kind in ("message info", "message error") and isinstance(answer["rowData"], list)
        assert answer["rowCount"] >= 1 and (kind == "message error") == ("of 60 points" not in said)
    if isinstance(filters, dict):
        out = table.filter_selects(filters, view)
        assert out[0] is table.no_update or out[0]["source"] == "table"
    rows_picked = picked if isinstance(picked, list) and all(isinstance(r, dict) for r in picked) else None
    table.rows_select(rows_picked, filters if isinstance(filters, dict) else None, view)
    for column in ("score", "word", "nope"):
        for boxed in (True, False):
            try:
                table.chart_pick(view, column, event if isinstance(event, dict) else {}, boxed)
            except projector.DataError:
                assert column == "nope"

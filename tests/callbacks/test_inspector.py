"""The Inspector as functions: exact neighbours, searches scoped to the neighbours or the selection,
isolating, and clicks on the plot mapped back to points."""
import pytest

import projector
from callbacks import inspector, plot, services
from callbacks.views import empty_selection, event_points, highlighted, keep_points, selected_points, visible_neighbors
from conftest import PCA, view_of


def test_neighbours_then_regex_filter_then_isolate_points(data_dir, words):
    view = view_of(words, PCA)
    neighbors = inspector.neighbours_of(view, 0, 20, "cosine")
    assert len(neighbors) == 20 and neighbors[0][1] <= neighbors[-1][1]
    clicked = view_of(words, PCA, selection={**empty_selection(words.id), "anchor": 0, "neighbors": neighbors})
    filtered = inspector.search_selection(clicked, "^polic", True, "word", "neighbors")
    kept = visible_neighbors(filtered)
    assert filtered["filter"] and kept and all(words.metadata["word"][i].startswith("polic") for i, _ in kept)
    pts, roles = highlighted(filtered)
    assert roles[pts.tolist().index(0)] == 0
    assert set(selected_points(filtered).tolist()) == {0} | {i for i, _ in kept}
    subset, selection, *_ = inspector.isolate(1, view_of(words, PCA, selection=filtered))
    assert subset["n"] == len(kept) + 1 and services.get_points(subset["id"]).tolist() == sorted({0, *(i for i, _ in kept)})
    assert selection == empty_selection(words.id)


def test_search_scopes(data_dir, words):
    everywhere = inspector.search_selection(view_of(words, PCA), "good", False, None, "all")
    assert everywhere["points"]["n"] == 10
    assert inspector.search_selection(view_of(words, PCA, subset=range(30)), "good", False, None, "all")["points"]["n"] == 5
    within = inspector.search_selection(view_of(words, PCA, selection=keep_points(empty_selection(words.id), range(12))),
                                        "o", False, None, "selection")
    assert services.get_points(within["points"]["id"]).tolist() == [0, 1, 2, 4, 6, 7, 8, 10]
    with pytest.raises(projector.DataError, match="not a valid regular expression"):
        inspector.search_selection(view_of(words, PCA), "(", True, None, "all")


def test_isolating_fewer_than_two_points_says_so(data_dir, words):
    out = inspector.isolate(1, view_of(words, PCA, selection={**empty_selection(words.id), "anchor": 3}))
    assert out[0] is inspector.no_update and out[3] == "message error" and "at least 2 points" in out[2]


def test_clicks_map_to_the_points_of_the_view(data_dir, words):
    view = view_of(words, PCA, subset=[3, 9, 15, 21, 27])
    assert event_points({"points": [{"curveNumber": 0, "pointIndex": 1}]}, view) == [9]
    assert event_points({"points": [{"curveNumber": 1, "pointIndex": 0, "customdata": 21}]}, view) == [21]
    assert event_points({"points": [{"curveNumber": 0, "pointIndex": 99}]}, view) == []
    assert event_points({"points": [{"curveNumber": 1, "customdata": -1}, "junk"]}, view) == []


def test_the_card_and_lists_follow_the_selection(data_dir, words):
    neighbors = inspector.neighbours_of(view_of(words, PCA), 4, 5, "euclidean")
    view = view_of(words, PCA, label="word", neighbours={"k": 5, "metric": "euclidean"},
                   selection={**empty_selection(words.id), "anchor": 4, "neighbors": neighbors})
    card, nlist, results = inspector.inspector_lists(view)
    assert card[0].children == "good" and nlist[0].children == "5 nearest neighbours (euclidean)" and results is None
    many = view_of(words, PCA, selection=keep_points(empty_selection(words.id), range(60)))
    assert inspector.inspector_lists(many)[2][0].children == "60 selected"
    assert inspector.render_inspector(many, None, inspector.listed(many)) == (inspector.no_update,) * 4   # not drawn twice


def test_large_views_label_hovered_points_from_the_server(data_dir, words, monkeypatch):
    view = view_of(words, PCA, label="word")
    assert plot.hover_label({"points": [{"curveNumber": 0, "pointIndex": 4}]}, view) is plot.no_update
    monkeypatch.setattr(plot, "HOVER_TEXT_MAX", 10)  # this view now counts as large
    assert plot.hover_label({"points": [{"curveNumber": 0, "pointIndex": 4}]}, view) == "good"


def test_large_3d_views_say_what_they_draw(data_dir):
    from callbacks.views import draw_notice

    assert draw_notice(1_000_000, 3).startswith("Drawing all 1,000,000 points in 3D")
    assert draw_notice(1_000_000, 2) == "" and draw_notice(1_000, 3) == ""
    shown = {"method": "pca", "dims": 3, "n": 600_000, "params": {"components": [0, 1, 2]}}
    view = {"dataset": "x", "name": "s", "num_points": 600_000, "dim": 4, "subset": None, "n": 600_000}
    assert plot.header(view, "shown", shown, None).endswith("all 600,000 points drawn in 3D (2D is faster) · 0 selected")
    assert "drawn in 3D" not in plot.header(view, "shown", {**shown, "dims": 2, "params": {"components": [0, 1]}}, None)

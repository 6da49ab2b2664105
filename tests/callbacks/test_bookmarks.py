"""Bookmarks and links between the panels and the state store: what is kept, what restoring sets, files."""
import json

import pytest

import projector
from callbacks import bookmarks, services
from callbacks.views import as_view, projection_request
from projector.state import bookmarks_file


def tsne_view(ds, subset_id=None):
    request = projection_request(ds.id, subset_id, True, "tsne", 2,
                                 {"perplexity": 5, "learning_rate": "auto", "iterations": 50})
    subset = services.get_subset(subset_id)
    proj = projector.project(services.store().get(ds.id), "tsne", subset=subset, params=request["params"],
                             spherize=True, cache=services.cache())
    return as_view(request, proj)


def keep(ds, view, subset_id=None, selection=None, camera=None):
    return bookmarks.current_state(ds.id, subset_id, ["on"], view, "group", "word",
                                   selection or {"anchor": 3, "neighbors": [[4, 0.1]], "points": [], "filter": False},
                                   {"query": "pol", "regex": False, "column": "word", "scope": "all"},
                                   {"k": 20, "metric": "euclidean"}, camera)


def test_restoring_a_state_sets_every_control_back_and_names_the_cached_projection(words):
    subset_id = services.cache().put_subset(range(40))
    view = tsne_view(words, subset_id)
    state = keep(words, view, subset_id, camera={"x": [0, 1], "y": [2, 3]})
    sid = services.states().put(state)
    controls = bookmarks.controls_for(services.states().get(sid), services.store().get(words.id), sid)
    assert controls["tab"] == "tsne" and controls["perplexity"] == 5 and controls["iterations"] == 50
    assert controls["lr"] is None and controls["tsne_3d"] == [] and controls["spherize"] == ["on"]
    assert controls["subset"] == subset_id and controls["colour"] == "group" and controls["label"] == "word"
    assert controls["selection"]["anchor"] == 3 and controls["selection"]["search"]["query"] == "pol"
    assert controls["k"] == 20 and controls["metric"] == "euclidean"
    assert controls["camera"]["camera"] == {"x": [0, 1], "y": [2, 3]} and controls["camera"]["view_key"] == view["key"]
    # the same controls ask for the same projection: it comes from the cache, nothing is recomputed
    from callbacks.projection import build_request
    from callbacks.views import find_cached
    request = build_request(words.id, controls["subset"], controls["spherize"], controls["tab"], [0, 1, 2], [],
                            controls["tsne_3d"], [], [], [None] * 6,
                            [controls["perplexity"], controls["lr"], controls["iterations"]], [15, 0.1])
    hit = find_cached(request)
    assert hit is not None and as_view(request, hit)["key"] == view["key"]


def test_the_tray_renames_moves_and_deletes():
    tray = [{"uid": u, "name": u, "state": "x"} for u in ("a", "b", "c")]
    assert [b["uid"] for b in bookmarks.tray_after(tray, "bookmark-up", "c")] == ["a", "c", "b"]
    assert [b["uid"] for b in bookmarks.tray_after(tray, "bookmark-down", "c")] == ["a", "b", "c"]
    assert [b["uid"] for b in bookmarks.tray_after(tray, "bookmark-delete", "b")] == ["a", "c"]
    assert bookmarks.tray_after(tray, "bookmark-name", "a", "  politics  ")[0]["name"] == "politics"
    assert bookmarks.tray_after(tray, "bookmark-name", "a", "   ")[0]["name"] == "a"


def test_a_saved_file_loads_back_and_one_for_a_missing_data_set_is_refused(words):
    state = keep(words, tsne_view(words))
    data = bookmarks_file([{"name": "mine", "state": state}])
    [entry] = bookmarks.imported_bookmarks(data, None)
    assert entry["name"] == "mine" and services.states().get(entry["state"]) == state
    gone = json.loads(data)
    gone["bookmarks"][0]["state"]["dataset"] = "0" * 16
    with pytest.raises(projector.DataError, match="not on this server; upload that data set first"):
        bookmarks.imported_bookmarks(json.dumps(gone).encode(), None)
    services.store().delete(words.id)
    with pytest.raises(projector.DataError, match="no longer on this server"):
        bookmarks.restore_request(entry["state"])


def test_a_tensorboard_file_is_mapped_onto_the_data_set_shown(words):
    tb = [{"label": "tb", "selectedProjection": "pca", "pcaComponentDimensions": [0, 1], "dataSetDimensions": [60, 8],
           "projections": [{"pca-0": i, "pca-1": -i} for i in range(60)], "selectedPoints": [2]}]
    [entry] = bookmarks.imported_bookmarks(json.dumps(tb).encode(), words.id)
    state = services.states().get(entry["state"])
    assert state["method"] == "given" and state["selection"]["points"] == [2] and entry["summary"].startswith("PCA 2D (stored)")
    tb[0]["dataSetDimensions"] = [60, 9]
    with pytest.raises(projector.DataError, match=r"wrong dataset, expected dataset with shape \(60, 9\)"):
        bookmarks.imported_bookmarks(json.dumps(tb).encode(), words.id)

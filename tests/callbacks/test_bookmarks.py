"""Bookmarks and links between the panels and the state store: what is kept, what restoring sets, files."""
import json

import pytest

import projector
from callbacks import bookmarks, services
from callbacks.view import state_of
from callbacks.views import empty_selection
from conftest import view_of
from projector.state import bookmarks_file


def kept(ds, camera=None, subset=None):
    selection = {**empty_selection(ds.id), "anchor": 3, "neighbors": [[4, 0.1]]}
    view = view_of(ds, {"method": "tsne", "dims": 2, "params": {"perplexity": 5, "learning_rate": "auto",
                                                                "iterations": 50}},
                   subset=subset, spherize=True, colour="group", label="word", selection=selection,
                   search={"query": "pol", "regex": False, "column": "word", "scope": "all"},
                   neighbours={"k": 20, "metric": "euclidean"})
    return state_of(view, camera)


def test_a_kept_state_holds_the_view_and_its_camera(words):
    state = kept(words, camera={"x": [0, 1], "y": [2, 3]}, subset=range(40))
    assert state["method"] == "tsne" and state["params"]["perplexity"] == 5 and state["subset"] == list(range(40))
    assert state["spherize"] and state["colour_by"] == "group" and state["label_by"] == "word"
    assert state["selection"]["anchor"] == 3 and state["search"]["query"] == "pol"
    assert state["neighbours"] == {"k": 20, "metric": "euclidean"} and state["camera"] == {"x": [0.0, 1.0], "y": [2.0, 3.0]}
    sid = services.states().put(state)
    assert services.states().get(sid) == state and services.states().put(state) == sid   # content-addressed


def test_the_tray_renames_moves_and_deletes():
    tray = [{"uid": u, "name": u, "state": "x"} for u in ("a", "b", "c")]
    assert [b["uid"] for b in bookmarks.tray_after(tray, "bookmark-up", "c")] == ["a", "c", "b"]
    assert [b["uid"] for b in bookmarks.tray_after(tray, "bookmark-down", "c")] == ["a", "b", "c"]
    assert [b["uid"] for b in bookmarks.tray_after(tray, "bookmark-delete", "b")] == ["a", "c"]
    assert bookmarks.tray_after(tray, "bookmark-name", "a", "  politics  ")[0]["name"] == "politics"
    assert bookmarks.tray_after(tray, "bookmark-name", "a", "   ")[0]["name"] == "a"


def test_a_saved_file_loads_back_and_one_for_a_missing_data_set_is_refused(words):
    state = kept(words)
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


def test_a_tensorboard_view_draws_its_stored_coordinates(words):
    from callbacks import plot, projection

    tb = [{"label": "tb", "selectedProjection": "tsne", "tSNEis3d": False, "dataSetDimensions": [60, 8],
           "projections": [{"tsne-0": float(i), "tsne-1": float(-i)} for i in range(60)]}]
    [entry] = bookmarks.imported_bookmarks(json.dumps(tb).encode(), words.id)
    state = services.states().get(entry["state"])
    view = view_of(words, {"method": "given", "dims": 2, "params": {"state": entry["state"], "axes": state["given"]["axes"]}})
    shown = projection.plan(view, None, None, False)["shown"]
    assert shown["method"] == "given" and shown["n"] == 60
    xs = plot.coordinates("shown", shown)[:, 0]
    assert xs.tolist() == [float(i) for i in range(60)]

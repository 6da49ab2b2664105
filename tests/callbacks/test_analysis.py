"""The Analysis panel and the map's overlays as functions: a request made from the view, the engine's column
back on the view, clusters listed and selected, the most unusual points selected, names and density drawn."""
import numpy as np
import pandas as pd
import pytest

import projector
from callbacks import analysis, plot, projection, services
from callbacks.figures import untyped
from conftest import PCA, view_of
from projector.analyses import run_analysis
from test_plot import touched


def blobs(data_dir, n_per=40, seed=0):
    """Three well-separated groups of words; the words say which group."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, 16)) * 10
    X = np.vstack([c + rng.normal(size=(n_per, 16)) for c in centres]).astype(np.float32)
    words = [w for g in (["king", "queen"], ["apple", "pear"], ["car", "bus"]) for w in g * (n_per // 2)]
    ds = projector.load_dataset(X, pd.DataFrame({"word": words, "group": np.repeat(["a", "b", "c"], n_per)}),
                                name="blobs")
    services.store().add(ds)
    return ds


def run(view, shown, kind, params):
    request = analysis.start(1, kind, *[params.get(k) for k in ("algorithm", "space", "min_cluster_size", "k",
                                                                   "name_by", "method", "outlier_k", "outlier_space", "trust_k",
                                                                   "seed")],
                             view, shown)[0]
    assert isinstance(request, dict), request
    return request, run_analysis(request["dataset"], request, store=services.store(), cache=services.cache())


def test_clusters_become_a_named_column_the_view_is_coloured_by_and_a_cluster_is_selected(data_dir):
    ds = blobs(data_dir)
    view = view_of(ds, PCA)
    request, out = run(view, None, "clusters", {"algorithm": "kmeans", "space": "vectors", "k": 3, "name_by": "word"})
    assert request["projection"] is None and out["column"] == "clusters (k-means 3)"
    goto = analysis.finished({**request, **out}, view)[0]
    state = services.states().get(goto["state"])
    assert state["colour_by"] == "clusters (k-means 3)"
    fresh = services.store().get(ds.id)
    values = fresh.metadata["clusters (k-means 3)"].astype(str).to_numpy()
    assert {frozenset(v.split(": ")[1].split(" · ")) for v in values} == {
        frozenset({"king", "queen"}), frozenset({"apple", "pear"}), frozenset({"car", "bus"})}
    coloured = view_of(fresh, PCA, colour="clusters (k-means 3)")
    rows = analysis.cluster_list(coloured)
    assert rows[0].children.startswith("3 clusters") and [r.children[1].children for r in rows[1:]] == ["40"] * 3
    king = next(v for v in set(values) if "king" in v)
    np.testing.assert_array_equal(analysis.points_with_value(coloured, "clusters (k-means 3)", king), np.arange(40))
    # the names are drawn at their clusters' centres, and only while the column colours the map
    fig = plot.full_draw(coloured, "shown", shown_of(coloured), "x", None)[0]
    names = fig["data"][3]
    assert sorted(names["customdata"]) == sorted(set(values)) and len(untyped(names["x"])) == 3
    plain = plot.full_draw(view_of(fresh, PCA, colour="group"), "shown", shown_of(coloured), "x", None)[0]
    assert plain["data"][3]["customdata"] == []


def shown_of(view):
    return projection.plan(view, None, None, False)["shown"]


def test_the_most_unusual_points_are_the_far_ones(data_dir):
    ds = blobs(data_dir)
    X = np.vstack([ds.vectors, np.full((3, 16), 60, np.float32) + np.eye(3, 16, dtype=np.float32) * 9])
    meta = pd.concat([ds.metadata, pd.DataFrame({"word": ["odd"] * 3, "group": ["z"] * 3})], ignore_index=True)
    odd = projector.load_dataset(X, meta, name="odd")
    services.store().add(odd)
    view = view_of(odd, PCA, neighbours={"k": 100, "metric": "euclidean"})
    for method in ("lof", "kth"):
        request, out = run(view, None, "outliers", {"method": method, "outlier_k": 10})
        coloured = view_of(services.store().get(odd.id), PCA, colour=out["column"])
        selection = analysis.select_unusual(1, 3, coloured)[0]
        assert services.get_points(selection["points"]["id"]).tolist() == [120, 121, 122]
    out = analysis.select_unusual(1, 0, coloured)
    assert out[0] is analysis.no_update and "at least 1" in out[1]
    assert "Score the points first" in analysis.select_unusual(1, 5, view_of(ds, PCA))[1]


def test_the_maps_analyses_need_the_map_and_say_so(data_dir):
    ds = blobs(data_dir)
    view = view_of(ds, PCA)
    for kind in ("faithfulness", "stability"):
        out = analysis.start(1, kind, "hdbscan", "vectors", 15, 10, None, "lof", 20, "stored", 10, 1, view, None)
        assert out[0] is analysis.no_update and "map on screen" in out[1] and out[2] == "message error"
    shown = shown_of(view)
    out = analysis.start(1, "stability", "hdbscan", "vectors", 15, 10, None, "lof", 20, "stored", 10, 1, view, shown)
    assert "t-SNE or UMAP" in out[1]
    out = analysis.start(1, "clusters", "hdbscan", "vectors", 1, 10, None, "lof", 20, "stored", 10, 1, view, shown)
    assert "minimum cluster size" in out[1]
    request, result = run(view, shown, "faithfulness", {"trust_k": 10})
    assert request["projection"]["key"] == shown["key"] and 0 < result["summary"]["trustworthiness"] <= 1
    assert "Trustworthiness" in analysis.summary_text({**request, **result})


def test_density_contours_are_a_patch_of_their_own(data_dir):
    ds = blobs(data_dir)
    view = view_of(ds, PCA, colour="group")
    shown = shown_of(view)
    fig, drawn, *_ = plot.full_draw(view, "shown", shown, "x", None)
    assert fig["data"][2]["type"] == "contour" and fig["data"][2]["visible"] is False
    on = {**view, "density": True}
    patch, drawn_on, *_ = plot.update(on, "shown", shown, drawn, None, False)
    assert touched(patch) >= {"data.2.z", "data.2.visible"} and not any(t.startswith("data.0") for t in touched(patch))
    fig_on = plot.full_draw(on, "shown", shown, "x", None)[0]
    z = fig_on["data"][2]["z"]
    assert fig_on["data"][2]["visible"] is True and untyped(z).max() == pytest.approx(1.0)
    # the contours cover the points and no more than a grid node around them: the axes keep the map's range
    coords = plot.coordinates("shown", shown)
    x, y = untyped(fig_on["data"][2]["x"]), untyped(fig_on["data"][2]["y"])
    rows, cols = (int(v) for v in z["shape"].split(", "))
    assert (rows, cols) == (len(y), len(x)) and rows < 96 and cols < 96
    for axis, nodes in ((0, x), (1, y)):
        step = nodes[1] - nodes[0]
        assert nodes[0] <= coords[:, axis].min() and nodes[-1] >= coords[:, axis].max()
        assert coords[:, axis].min() - nodes[0] <= 1.01 * step and nodes[-1] - coords[:, axis].max() <= 1.01 * step
    assert plot.update(on, "shown", shown, drawn_on, None, False)[0] is plot.no_update   # nothing else changed

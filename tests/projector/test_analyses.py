"""run_analysis: an analysis of a view's points, cached by content, kept as a metadata column."""
import numpy as np
import pandas as pd
import pytest

import projector
from projector import DataError, DatasetStore, ResultCache
from projector.analyses import run_analysis
from projector.cache import subset_digest


@pytest.fixture
def stored(tmp_path):
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(size=(30, 12)) + c for c in (0, 12, 24)]).astype(np.float32)
    ds = projector.load_dataset(X, pd.DataFrame({"word": ["sun", "moon", "star"] * 30}), name="three")
    store, cache = DatasetStore(tmp_path / "s"), ResultCache(tmp_path / "c")
    return store, cache, store.add(ds), X


def test_an_isolated_subset_gets_its_column_and_the_other_points_are_missing(stored):
    store, cache, ds_id, X = stored
    points = np.arange(0, 90, 2)
    sid = cache.put_subset(points)
    request = {"kind": "outliers", "subset": sid, "params": {"method": "kth", "k": 5}}
    out = run_analysis(ds_id, request, store=store, cache=cache)
    values = store.get(ds_id).metadata[out["column"]].to_numpy(dtype=float)
    assert np.isnan(values[1::2]).all() and np.isfinite(values[::2]).all()
    # the k-th distance among the subset's own points, as plain numpy computes it
    sub = X[points].astype(np.float64)
    d = np.sqrt(((sub[:, None] - sub[None]) ** 2).sum(-1))
    np.testing.assert_allclose(values[::2], np.sort(d, axis=1)[:, 5], rtol=1e-5)
    again = run_analysis(ds_id, request, store=store, cache=cache)
    assert again["cached"] and again["version"] == out["version"]   # the same values: no new metadata version
    assert subset_digest(points) == sid


def test_the_maps_analyses_read_the_cached_projection_and_say_what_they_need(stored):
    store, cache, ds_id, _ = stored
    ds = store.get(ds_id)
    pca = projector.project(ds, "pca", dims=2, cache=cache)
    projection = {"key": pca.key, "method": "pca", "dims": 2, "params": pca.params}
    out = run_analysis(ds_id, {"kind": "faithfulness", "params": {"k": 5}, "projection": projection},
                       store=store, cache=cache)
    assert 0.5 < out["summary"]["trustworthiness"] <= 1 and out["summary"]["exact"]
    with pytest.raises(DataError, match="draw a projection first"):
        run_analysis(ds_id, {"kind": "faithfulness", "params": {"k": 5}}, store=store, cache=cache)
    with pytest.raises(DataError, match="t-SNE or UMAP"):
        run_analysis(ds_id, {"kind": "stability", "params": {"seed": 3}, "projection": projection},
                     store=store, cache=cache)
    with pytest.raises(DataError, match="whole number"):
        run_analysis(ds_id, {"kind": "outliers", "params": {"k": 0.5}}, store=store, cache=cache)
    with pytest.raises(DataError, match="unknown analysis"):
        run_analysis(ds_id, {"kind": "nope"}, store=store, cache=cache)


def test_clusters_are_named_and_noise_is_its_own_value(stored):
    store, cache, ds_id, _ = stored
    out = run_analysis(ds_id, {"kind": "clusters", "params": {"algorithm": "hdbscan", "min_cluster_size": 10,
                                                              "name_by": "word"}}, store=store, cache=cache)
    listed = out["summary"]["clusters_list"]
    assert out["summary"]["clusters"] == 3 and [c["size"] for c in listed if c["value"] != "noise"] == [30, 30, 30]
    values = store.get(ds_id).metadata[out["column"]].astype(str)
    assert set(values) == {c["value"] for c in listed}
    assert all(v.split(": ")[0].isdigit() for v in values if v != "noise")


def test_a_graph_of_more_neighbours_serves_fewer_exactly(stored):
    from projector.analyses import neighbour_graph
    from projector.knn import all_neighbors

    store, cache, ds_id, X = stored
    ds = store.get(ds_id)
    idx20, dist20 = neighbour_graph(ds, None, False, "cosine", 20, cache)
    idx10, dist10 = neighbour_graph(ds, None, False, "cosine", 10, cache)   # from the cached 20-neighbour graph
    want_idx, want_dist = all_neighbors(X, 10, "cosine")
    np.testing.assert_array_equal(idx10, want_idx)
    np.testing.assert_array_equal(dist10, want_dist)
    np.testing.assert_array_equal(idx20[:, :10], idx10)


def test_stability_runs_the_map_again_with_another_seed_and_says_how_far_each_point_moved(stored):
    from projector.faithfulness import procrustes_displacement

    store, cache, ds_id, _ = stored
    ds = store.get(ds_id)
    tsne = projector.project(ds, "tsne", dims=2, params={"iterations": 60}, cache=cache)
    projection = {"key": tsne.key, "method": "tsne", "dims": 2, "params": tsne.params}
    out = run_analysis(ds_id, {"kind": "stability", "params": {"seed": 7}, "projection": projection},
                       store=store, cache=cache)
    moved = store.get(ds_id).metadata[out["column"]].to_numpy(dtype=float)
    other = projector.project(ds, "tsne", dims=2, params={**tsne.params, "seed": 7}, cache=cache)
    assert other.cached   # the second map is the cached result of the same request with seed 7
    want, median = procrustes_displacement(tsne.coords.astype(float), other.coords.astype(float))
    np.testing.assert_allclose(moved, want, rtol=1e-9)
    assert out["summary"]["median"] == pytest.approx(median) and out["column"] == "moved (t-SNE, seed 7)"
    with pytest.raises(DataError, match="pick another seed"):
        run_analysis(ds_id, {"kind": "stability", "params": {"seed": tsne.params["seed"]}, "projection": projection},
                     store=store, cache=cache)

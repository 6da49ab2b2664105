"""PCA, t-SNE, UMAP, custom and raw projections on every point, with progress, cancel and cache."""
import numpy as np
import pandas as pd
import pytest

import projector
from projector import Cancelled, DataError, ResultCache


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    centers = rng.normal(0, 5, size=(3, 20))
    labels = np.repeat([0, 1, 2], 100)
    X = (centers[labels] + rng.normal(size=(300, 20))).astype(np.float32)
    meta = pd.DataFrame({"label": [f"c{l}" for l in labels], "n": labels.astype(float)})
    return projector.load_dataset(X, meta, name="blobs")


def test_pca_is_exact_and_reports_variance(blobs):
    from sklearn.decomposition import PCA

    p = projector.project(blobs, "pca", dims=3, params={"components": [0, 2, 4]})
    ref = PCA(n_components=10, svd_solver="full").fit(np.asarray(blobs.vectors, np.float64))
    scores = ref.transform(np.asarray(blobs.vectors, np.float64))[:, [0, 2, 4]]
    assert p.coords.dtype == np.float32 and p.coords.shape == (300, 3)
    np.testing.assert_allclose(np.abs(p.coords), np.abs(scores), rtol=1e-3, atol=1e-3)
    assert p.info["explained_variance_ratio"] == pytest.approx(list(ref.explained_variance_ratio_), rel=1e-4)
    assert p.info["components"] == [0, 2, 4]
    assert p.params == {"components": [0, 2, 4]}


def test_pca_on_a_subset_is_recomputed_not_cropped(blobs):
    sub = np.arange(100, 300)
    p = projector.project(blobs, "pca", subset=sub)
    full = projector.project(blobs, "pca")
    assert p.coords.shape == (200, 2)
    assert not np.allclose(np.abs(p.coords), np.abs(full.coords[sub]), atol=1e-2)
    assert p.subset.tolist() == sub.tolist()


def test_tsne_progress_frames_and_separation(blobs):
    frames = []
    p = projector.project(blobs, "tsne", params={"iterations": 300},
                          on_progress=lambda d, t, coords=None: frames.append((d, t, coords)))
    assert p.coords.shape == (300, 2)
    assert p.params["perplexity"] == projector.default_perplexity(300) == 5
    assert p.info["iterations"] == 300 and p.info["kl_divergence"] > 0
    assert frames[-1][0] == frames[-1][1] == 300
    assert sum(1 for f in frames if f[2] is not None) >= 20  # intermediate coordinates to animate
    labels = np.repeat([0, 1, 2], 100)
    centroids = np.array([p.coords[labels == c].mean(0) for c in range(3)])
    spread = max(p.coords[labels == c].std(0).max() for c in range(3))
    assert min(np.linalg.norm(centroids[a] - centroids[b]) for a, b in [(0, 1), (0, 2), (1, 2)]) > 2 * spread


def test_tsne_3d(blobs):
    p = projector.project(blobs, "tsne", dims=3, params={"iterations": 60})
    assert p.coords.shape == (300, 3)


def test_should_stop_cancels_tsne_promptly(blobs):
    seen = []

    def stop():
        return len(seen) >= 3

    with pytest.raises(Cancelled):
        projector.project(blobs, "tsne", params={"iterations": 1000},
                          on_progress=lambda d, t, coords=None: seen.append(d), should_stop=stop)
    assert max(seen) < 100


def test_umap_projects_all_points_with_progress(blobs):
    done = []
    p = projector.project(blobs, "umap", params={"n_neighbors": 10, "min_dist": 0.2},
                          on_progress=lambda d, t, coords=None: done.append((d, t)))
    assert p.coords.shape == (300, 2) and np.isfinite(p.coords).all()
    assert p.params["n_neighbors"] == 10 and p.params["min_dist"] == 0.2
    assert done[-1][0] == done[-1][1] and len(done) >= 3


def test_custom_axes_from_searches(blobs):
    p = projector.project(blobs, "custom", params={"left": "c0", "right": "c1", "up": "c2", "down": "c0"})
    X = np.asarray(blobs.vectors, np.float64)
    labels = np.repeat([0, 1, 2], 100)
    c = [X[labels == k].mean(0) for k in range(3)]
    np.testing.assert_allclose(p.coords[:, 0], X @ (c[1] - c[0]), rtol=1e-3, atol=1e-2)
    np.testing.assert_allclose(p.coords[:, 1], X @ (c[2] - c[0]), rtol=1e-3, atol=1e-2)
    assert p.info["matches"] == {"left": 100, "right": 100, "down": 100, "up": 100}
    assert p.info["problems"] == []


def test_custom_axis_without_matches_is_reported(blobs):
    p = projector.project(blobs, "custom", params={"left": "c0", "right": "zzz", "up": "^c2$", "down": "^c[01]$",
                                                    "regex": True})
    assert p.info["matches"]["right"] == 0 and p.info["matches"]["up"] == 100
    assert any("'zzz'" in msg for msg in p.info["problems"])
    assert (p.coords[:, 0] == 0).all() and p.coords[:, 1].std() > 0


def test_raw_needs_three_dims_or_fewer(blobs):
    ds = projector.load_dataset(np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32))
    assert projector.project(ds, "raw", dims=3).coords.shape == (5, 3)
    with pytest.raises(DataError, match="at most 3 dimensions"):
        projector.project(blobs, "raw")


def test_bad_parameters_are_data_errors(blobs):
    with pytest.raises(DataError, match="unknown projection"):
        projector.project(blobs, "mds")
    with pytest.raises(DataError, match="perplexity"):
        projector.project(blobs, "tsne", params={"perplexity": 1000})
    with pytest.raises(DataError, match="PCA axes"):
        projector.project(blobs, "pca", params={"components": [0, 12]})
    with pytest.raises(DataError, match="at least 2 points"):
        projector.project(blobs, "pca", subset=[3])


def test_cache_returns_a_hit_without_recomputing(blobs, tmp_path):
    cache = ResultCache(tmp_path / "cache")
    calls = []
    first = projector.project(blobs, "tsne", params={"iterations": 60}, cache=cache,
                              on_progress=lambda *a, **k: calls.append(1))
    assert not first.cached and calls
    calls.clear()
    again = projector.project(blobs, "tsne", params={"iterations": 60}, cache=ResultCache(tmp_path / "cache"),
                              on_progress=lambda *a, **k: calls.append(1))
    assert again.cached and not calls
    np.testing.assert_array_equal(first.coords, again.coords)
    other = projector.project(blobs, "tsne", params={"iterations": 70}, cache=cache)
    assert not other.cached
    # PCA axes are picked from one cached 10-component result.
    projector.project(blobs, "pca", cache=cache)
    assert projector.project(blobs, "pca", params={"components": [3, 1]}, cache=cache).cached


def test_damaged_cache_entry_is_recomputed(blobs, tmp_path):
    cache = ResultCache(tmp_path / "cache")
    p = projector.project(blobs, "pca", cache=cache)
    key = cache.key(blobs.id, "pca", 10, {}, None, False)
    cache.set_blob(key, b"garbage")
    again = projector.project(blobs, "pca", cache=cache)
    assert not again.cached
    np.testing.assert_array_equal(p.coords, again.coords)


@pytest.mark.parametrize("spherize", [False, True])
def test_blockwise_pca_equals_scikit_learn_and_copies_nothing_whole(spherize):
    from projector.dataset import Rows
    from projector.projections import exact_pca

    rng = np.random.default_rng(7)
    X = (rng.normal(size=(3000, 40)) * np.linspace(5, 0.1, 40) + 2).astype(np.float32)
    ds = projector.load_dataset(X)
    subset = np.arange(0, 3000, 3)
    rows = Rows(ds, spherize, subset)
    want_scores, want_ratios = exact_pca(np.asarray(rows), 10)               # scikit-learn, in memory
    scores, ratios = exact_pca(rows, 10, in_memory_max=0)                    # block by block
    assert ratios == pytest.approx(want_ratios, rel=1e-5, abs=1e-7)
    np.testing.assert_allclose(scores, want_scores, rtol=1e-3, atol=1e-3 * np.abs(want_scores).max())
    if spherize:  # the rows are the spherized matrix's rows
        np.testing.assert_allclose(np.asarray(rows), projector.spherize_vectors(X)[subset], atol=1e-6)

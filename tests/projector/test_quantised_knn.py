"""The int8 scan of :mod:`projector.quantised`, and the float32 scan with its per-row error bounds, give
exactly the float64 brute-force neighbours."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import projector
from projector import neighbors, quantised


def brute(X, index, k, metric, subset=None, spherize=False):
    V = np.asarray(X, dtype=np.float64)
    if spherize:   # the data set's own centroid: a near-tie can hang on the centroid's last bit (its summation order)
        V = neighbors._spherized(V, projector.load_dataset(X).sphere()[0])
    ids = np.arange(len(V)) if subset is None else np.unique(subset)
    d = neighbors._exact_distances(V[ids], V[index], metric)
    d[ids == index] = np.inf
    order = np.lexsort((ids, d))[:min(k, len(ids) - int((ids == index).any()))]
    return [int(i) for i in ids[order]], d[order]


@pytest.mark.parametrize("quantised_path", [True, False])
def test_spherized_near_ties_of_tiny_rows(quantised_path):
    # Hypothesis's find: three rows a float32 ulp apart near 1e-6; spherized, their cosine order is decided
    # in float64 (the float32 scan's fixed tolerance once dropped the nearest: x·q − c·q cancels there).
    X = np.array([[-6.0653616e-07, -1.7434986e-06, -9.8918827e-07],
                  [-6.0653616e-07, -1.7434986e-06, -9.8918815e-07],
                  [-6.0653628e-07, -1.7434986e-06, -9.8918827e-07]], dtype=np.float32)
    mp = pytest.MonkeyPatch()
    try:
        got = run(mp, X, 0, 1, "cosine", quantised_path, spherize=True)
    finally:
        mp.undo()
    assert [i for i, _ in got] == brute(X, 0, 1, "cosine", spherize=True)[0]


def run(monkeypatch, X, index, k, metric, quantised_path, **kw):
    monkeypatch.setattr(neighbors, "QUANTISED_MIN_CELLS", 0 if quantised_path else 1 << 62)
    return neighbors.nearest_neighbors(projector.load_dataset(X), index, k, metric, **kw)


@st.composite
def awkward(draw):
    n = draw(st.integers(3, 60))
    d = draw(st.integers(2, 12))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = rng.normal(size=(n, d)).astype(np.float32) * np.float32(draw(st.sampled_from([1e-6, 1.0, 1e5])))
    for _ in range(draw(st.integers(0, 6))):
        i, j = rng.integers(0, n, size=2)
        kind = draw(st.sampled_from(["duplicate", "ulp", "zero", "constant", "scaled"]))
        if kind == "duplicate":
            X[i] = X[j]
        elif kind == "ulp":   # differs from row j in the last bit of one value
            X[i] = X[j]
            c = rng.integers(0, d)
            X[i, c] = np.nextafter(X[j, c], np.float32(np.inf))
        elif kind == "zero":
            X[i] = 0
        elif kind == "constant":
            X[i] = X[j, 0]
        else:
            X[i] = X[j] * np.float32(2.0)
    return X


@settings(max_examples=300, deadline=None)
@given(X=awkward(), data=st.data())
def test_both_scans_are_the_float64_brute_force(X, data):
    mp = pytest.MonkeyPatch()
    try:
        n = len(X)
        index = data.draw(st.integers(0, n - 1))
        k = data.draw(st.integers(1, n + 2))
        metric = data.draw(st.sampled_from(neighbors.METRICS))
        spherize = data.draw(st.booleans())
        subset = data.draw(st.none() | st.lists(st.integers(0, n - 1), min_size=1, max_size=n))
        kw = dict(subset=subset, spherize=spherize)
        got = run(mp, X, index, k, metric, data.draw(st.booleans()), **kw)
        ref_ids, ref_d = brute(X, index, k, metric, subset, spherize)
        np.testing.assert_allclose([d for _, d in got], ref_d, rtol=1e-12, atol=1e-12)
        # each listed point is at its listed distance, so the list is the k nearest; two points whose float64
        # distances agree to the last bits (a matrix product over other rows rounds differently) may swap
        everyone, all_d = brute(X, index, n + 2, metric, subset, spherize)
        exact = dict(zip(everyone, all_d))
        close = lambda a, b: abs(a - b) <= 1e-12 * max(1.0, abs(b))   # noqa: E731 - as assert_allclose above
        for (i, d), r in zip(got, ref_ids):
            assert i == r or close(exact[i], exact[r]), (i, r)
            assert close(exact[i], d)
    finally:
        mp.undo()


def test_candidates_are_few_on_clustered_data():
    rng = np.random.default_rng(3)
    means = rng.normal(size=(20, 64)) * 3
    X = (means[rng.integers(0, 20, size=20_000)] + rng.normal(size=(20_000, 64))).astype(np.float32)
    ds = projector.load_dataset(X)
    qr = neighbors._quantised_copy(ds, False)
    ids = np.arange(len(X))
    for metric in neighbors.METRICS:
        pick = quantised.candidates(qr, ids, X[5].astype(np.float64), 100, metric, np.array([5]))
        assert 100 <= len(pick) < len(X) // 20   # the bound rules out over 95 % of the rows
        assert [i for i, _ in neighbors.nearest_neighbors(ds, 5, 100, metric)] == brute(X, 5, 100, metric)[0]


def test_portable_kernel_gives_the_same_candidates(monkeypatch):
    rng = np.random.default_rng(4)
    X = (rng.normal(size=(3_000, 70)) * rng.uniform(0.1, 10, size=(3_000, 1))).astype(np.float32)
    qr = neighbors._quantised_copy(projector.load_dataset(X), False)
    ids = np.arange(len(X))
    q = X[9].astype(np.float64)
    fast = quantised.candidates(qr, ids, q, 30, "euclidean", np.array([9]))
    monkeypatch.setattr(quantised, "VNNI", False)
    assert np.array_equal(quantised.candidates(qr, ids, q, 30, "euclidean", np.array([9])), fast)

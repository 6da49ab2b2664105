"""Valid but unusual vectors: for any finite float32 array the loader accepts — zeros, constants,
identical rows, values at the edges of float32's range, two or three points — every method gives a
finite layout or a DataError sentence, and the neighbours equal a float64 brute-force reference."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import projector
from projector import DataError

F32 = np.finfo(np.float32)
SCALES = [0.0, 1.0, 1e-45, 1e-40, 1e-30, 1e-12, 1e12, 1e30, 1e37, float(F32.max) / 4]


@st.composite
def vectors(draw, max_points=24):
    n = draw(st.integers(2, max_points))
    d = draw(st.integers(2, 6))
    kind = draw(st.sampled_from(["random", "zeros", "constant", "identical rows", "duplicates", "mixed scales",
                                 "one column"]))
    scale = draw(st.sampled_from(SCALES))
    base = draw(hnp.arrays(np.float64, (n, d), elements=st.floats(-1, 1, allow_nan=False, width=32)))
    if kind == "zeros":
        X = np.zeros((n, d))
    elif kind == "constant":
        X = np.full((n, d), draw(st.floats(-1, 1, width=32)))
    elif kind == "identical rows":
        X = np.tile(base[:1], (n, 1))
    elif kind == "duplicates":
        X = base[np.arange(n) % max(1, n // 3)]
    elif kind == "mixed scales":
        X = base * np.array([draw(st.sampled_from(SCALES)) for _ in range(n)])[:, None]
        scale = 1.0
    elif kind == "one column":
        X = np.zeros((n, d))
        X[:, 0] = base[:, 0]
    else:
        X = base
    with np.errstate(over="ignore"):
        X = (X * scale).astype(np.float32)
    return np.clip(X, -F32.max, F32.max)


def reference_distances(X, i, metric, spherize):
    V = X.astype(np.float64)
    if spherize:
        V = V - V.mean(axis=0)
        norms = np.sqrt(np.einsum("ij,ij->i", V, V))
        V[norms > 0] /= norms[norms > 0, None]
    if metric == "cosine":
        norms = np.sqrt(np.einsum("ij,ij->i", V, V))
        with np.errstate(all="ignore"):
            sim = np.where(norms * norms[i] > 0, (V @ V[i]) / (norms * norms[i]), 0.0)
        d = np.clip(1 - sim, 0, 2)
    else:
        d = np.sqrt(np.einsum("ij,ij->i", V - V[i], V - V[i]))
    return d


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(vectors(), st.sampled_from(["cosine", "euclidean"]), st.booleans(), st.integers(1, 30), st.data())
def test_neighbours_equal_a_float64_brute_force_for_any_finite_input(X, metric, spherize, k, data):
    ds = projector.load_dataset(X)
    i = data.draw(st.integers(0, len(X) - 1))
    got = projector.nearest_neighbors(ds, i, k, metric, spherize=spherize)
    ref = reference_distances(X, i, metric, spherize)
    others = np.delete(ref, i)
    assert len(got) == min(k, len(X) - 1)
    assert len({j for j, _ in got}) == len(got) and all(j != i for j, _ in got)
    expected = np.sort(others)[:len(got)]
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    for (j, dist), want in zip(got, expected):
        assert np.isfinite(dist)
        assert abs(dist - ref[j]) <= 1e-9 * scale, (j, dist, ref[j])   # the distance given is the true one
        assert abs(dist - want) <= 1e-9 * scale                        # and the k-th nearest is the k-th


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(vectors(max_points=40), st.sampled_from(["pca", "tsne", "custom"]), st.booleans())
def test_every_projection_is_finite_or_a_sentence(X, method, spherize):
    import pandas as pd

    ds = projector.load_dataset(X, pd.DataFrame({"label": [f"w{j % 3}" for j in range(len(X))]}))
    params = {"left": "w0", "right": "w1", "up": "", "down": "", "column": "label"} if method == "custom" else None
    if method == "tsne":
        params = {"iterations": 60}
    try:
        proj = projector.project(ds, method, dims=2, params=params, spherize=spherize)
    except DataError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert proj.coords.shape == (len(X), 2) and np.isfinite(proj.coords).all()


@pytest.mark.parametrize("kind", ["zeros", "identical", "huge", "tiny", "three", "two"])
def test_umap_on_degenerate_vectors_is_finite_or_a_sentence(kind):
    rng = np.random.default_rng(1)
    X = {"zeros": np.zeros((30, 5)), "identical": np.tile(rng.normal(size=(1, 5)), (30, 1)),
         "huge": rng.normal(size=(30, 5)) * 1e37, "tiny": rng.normal(size=(30, 5)) * 1e-40,
         "three": rng.normal(size=(3, 5)), "two": rng.normal(size=(2, 5))}[kind].astype(np.float32)
    try:
        proj = projector.project(projector.load_dataset(X), "umap", dims=2)
    except DataError as exc:
        assert "UMAP" in str(exc)
        return
    assert np.isfinite(proj.coords).all()


def test_pca_of_huge_values_is_in_the_vectors_own_units():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 6))
    big = (X * 1e30).astype(np.float32)
    from sklearn.decomposition import PCA

    want = PCA(n_components=2).fit_transform(big.astype(np.float64))
    got = projector.project(projector.load_dataset(big), "pca", dims=2).coords
    assert np.allclose(np.abs(got), np.abs(want), rtol=1e-3, atol=1e-4 * np.abs(want).max())

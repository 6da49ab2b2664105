"""Two embeddings of the same rows: per-point overlap of their exact neighbourhoods (as a column, checked
against Python sets), the most changed points, and B's map laid over A's (Procrustes, a t-SNE started from A's)."""
import pathlib
import tempfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import projector
from projector import DataError, DatasetStore, ResultCache
from projector.analyses import MOST_CHANGED, run_analysis
from projector.compare import (aligned_layout, compare_neighbourhoods, most_changed, neighbour_overlap,
                               procrustes_align)
from projector.faithfulness import procrustes_displacement


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(1, 12), st.integers(0, 2**31 - 1))
def test_overlap_is_the_jaccard_of_the_two_neighbour_sets(n, k, seed):
    rng = np.random.default_rng(seed)
    universe = max(k, 3 * k)
    a = np.stack([rng.choice(universe, k, replace=False) for _ in range(n)])
    b = np.stack([rng.choice(universe, k, replace=False) for _ in range(n)])
    want = [len(set(x) & set(y)) / len(set(x) | set(y)) for x, y in zip(a.tolist(), b.tolist())]
    np.testing.assert_allclose(neighbour_overlap(a, b), want)


def test_a_rotated_copy_keeps_every_neighbourhood_and_noise_loses_them():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 16)).astype(np.float32)
    Q, _ = np.linalg.qr(rng.normal(size=(16, 16)))
    same = compare_neighbourhoods(X, (X @ Q).astype(np.float32), k=10, metric="euclidean")
    assert same["mean"] >= 0.99   # a rotation keeps distances (float32 rounding may swap a tie at the k-th)
    other = compare_neighbourhoods(X, rng.normal(size=(300, 8)).astype(np.float32), k=10, metric="euclidean")
    assert other["mean"] < 0.1
    with pytest.raises(DataError, match="same points"):
        compare_neighbourhoods(X, X[:10])


# ---------------------------------------------------------------- run_analysis(kind="compare")


def reference_neighbours(X, k, metric):
    """Each row's k nearest other rows, as plain Python sets: float64 distances, ties to the lower index (a
    zero row is at cosine distance 1 from everything, as the Inspector has it)."""
    X = np.asarray(X, dtype=np.float64)
    norms = np.sqrt((X * X).sum(axis=1))
    out = []
    for i in range(len(X)):
        scored = []
        for j in range(len(X)):
            if j == i:
                continue
            if metric == "euclidean":
                d = float(np.sqrt(((X[i] - X[j]) ** 2).sum()))
            elif norms[i] == 0 or norms[j] == 0:
                d = 1.0
            else:
                d = min(2.0, max(0.0, 1.0 - float(X[i] @ X[j]) / (norms[i] * norms[j])))
            scored.append((d, j))
        out.append([j for _, j in sorted(scored)[:k]])
    return out


def stored_pair(root, A, B, name_b="B"):
    store, cache = DatasetStore(root / "store"), ResultCache(root / "cache")
    a = store.add(projector.load_dataset(A, name="A"))
    b = store.add(projector.load_dataset(B, pd.DataFrame({"side": ["b"] * len(B)}), name=name_b))
    return store, cache, a, b


# small whole numbers: many exact ties, repeated rows and zero rows
small_ints = st.integers(4, 24).flatmap(lambda n: st.integers(2, 4).flatmap(lambda d: st.tuples(
    arrays(np.int8, (n, d), elements=st.integers(-2, 2)), arrays(np.int8, (n, d), elements=st.integers(-2, 2)))))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_ints, st.integers(2, 6), st.sampled_from(["euclidean", "cosine"]), st.booleans(),
       st.integers(0, 2**31 - 1))
def test_the_agreement_column_is_the_jaccard_of_python_sets_of_exact_neighbours(pair, k, metric, isolate, seed):
    A, B = (p.astype(np.float32) for p in pair)
    n = len(A)
    rng = np.random.default_rng(seed)
    B = np.where(rng.random((n, 1)) < 0.5, A, B)    # some rows the same in both, some changed
    points = np.sort(rng.choice(n, size=int(rng.integers(min(n, max(3, k + 1)), n + 1)), replace=False)) if isolate \
        else None
    rows = np.arange(n) if points is None else points
    k = min(k, len(rows) - 1)
    with tempfile.TemporaryDirectory() as tmp:
        store, cache, a, b = stored_pair(pathlib.Path(tmp), A, B)
        subset = cache.put_subset(points) if points is not None else None
        out = run_analysis(a, {"kind": "compare", "subset": subset, "metric": metric, "params": {"other": b, "k": k}},
                           store=store, cache=cache)
        values = store.get(a).metadata[out["column"]].to_numpy(dtype=float)
    near_a = reference_neighbours(A[rows], k, metric)
    near_b = reference_neighbours(B[rows], k, metric)
    want = np.array([len(set(x) & set(y)) / len(set(x) | set(y)) for x, y in zip(near_a, near_b)])
    np.testing.assert_allclose(values[rows], want, rtol=0, atol=1e-12)
    outside = np.setdiff1d(np.arange(n), rows)
    assert np.isnan(values[outside]).all()
    summary = out["summary"]
    assert summary["agreement"] == pytest.approx(want.mean(), abs=1e-12)
    assert out["column"] == f"agreement@{k} vs B"
    # the most changed: lowest agreement first, ties by index, with both neighbour lists in the data set's numbers
    order = sorted(range(len(rows)), key=lambda r: (want[r], r))[:MOST_CHANGED]
    assert [m["point"] for m in summary["most_changed"]] == [int(rows[r]) for r in order]
    for m, r in zip(summary["most_changed"], order):
        assert set(m["a"]) == {int(rows[j]) for j in near_a[r]} and set(m["b"]) == {int(rows[j]) for j in near_b[r]}


def test_a_comparison_needs_the_same_rows_another_data_set_and_a_k_below_the_points(tmp_path):
    rng = np.random.default_rng(1)
    A = rng.normal(size=(40, 6)).astype(np.float32)
    store, cache, a, b = stored_pair(tmp_path, A, A[:30] + 1)
    ask = lambda params: run_analysis(a, {"kind": "compare", "params": params}, store=store, cache=cache)  # noqa: E731
    with pytest.raises(DataError, match=r"^B has 30 points and A 40: a comparison needs two embeddings of the same "
                                        r"rows\.$"):
        ask({"other": b})
    with pytest.raises(DataError, match="pick another one"):
        ask({"other": a})
    with pytest.raises(DataError, match="pick the data set B"):
        ask({})
    with pytest.raises(DataError, match="not on the server"):
        ask({"other": "0" * 20})
    same = store.add(projector.load_dataset(A + 1, name="C"))
    with pytest.raises(DataError, match="whole number from 2 to 200"):
        ask({"other": same, "k": 500})
    small = cache.put_subset([0, 1, 2, 3])
    with pytest.raises(DataError, match="at most 3 neighbours"):
        run_analysis(a, {"kind": "compare", "subset": small, "params": {"other": same, "k": 5}}, store=store,
                     cache=cache)


def test_most_changed_is_lowest_first_ties_by_index():
    assert most_changed([0.5, 0.0, 1.0, 0.0, 0.5], 4).tolist() == [1, 3, 0, 4]
    assert most_changed([0.2], 5).tolist() == [0] and most_changed([], 3).tolist() == []


# ---------------------------------------------------------------- B's map laid over A's

def rotation(rng, d, reflect):
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    if reflect:
        Q[:, 0] *= -1
    return Q


@settings(max_examples=50, deadline=None)
@given(st.integers(3, 200), st.sampled_from([2, 3]), st.floats(0.01, 100), st.booleans(), st.integers(0, 2**31 - 1))
def test_procrustes_recovers_a_known_rotation_scale_and_translation(n, d, scale, reflect, seed):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, d)) * rng.uniform(0.1, 10)
    shift = rng.normal(size=d) * 100
    B = scale * A @ rotation(rng, d, reflect) + shift
    np.testing.assert_allclose(procrustes_align(A, B), A, atol=1e-9 * (1 + np.abs(A).max()))
    # and it is the transform procrustes_displacement measures moves after: none
    assert procrustes_displacement(A, B)[1] < 1e-9


def test_procrustes_of_a_map_at_one_spot_lands_on_the_centre_and_bad_maps_are_refused():
    A = np.array([[0.0, 0], [2, 0], [0, 2]])
    np.testing.assert_allclose(procrustes_align(A, np.ones((3, 2))), np.full((3, 2), [2 / 3, 2 / 3]))
    with pytest.raises(DataError, match="same points"):
        procrustes_align(A, A[:2])
    with pytest.raises(DataError, match="not finite"):
        procrustes_align(A, np.full((3, 2), np.nan))


def digits(n=600):
    from sklearn.datasets import load_digits

    return load_digits().data[:n].astype(np.float32)


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_b_map_of_an_identical_embedding_equals_a_map(tmp_path, method):
    X = digits()
    store, cache, a, b = stored_pair(tmp_path, X, X.copy())   # the same vectors, other metadata: another data set
    made = projector.project(store.get(a), method, cache=cache, params={"iterations": 100} if method == "tsne" else None)
    projection = {"key": made.key, "method": method, "dims": 2, "params": made.params}
    out = run_analysis(a, {"kind": "compare", "params": {"other": b}, "projection": projection, "metric": "euclidean"},
                       store=store, cache=cache)
    assert out["summary"]["agreement"] == 1.0 and out["summary"]["map"]["median_move"] < 1e-9
    coords = cache.get(out["summary"]["map"]["key"])[0]
    np.testing.assert_allclose(coords, made.coords, atol=1e-4 * np.abs(made.coords).max())
    # without A to compare rows with, B's PCA is made from B's own vectors: the same map
    if method == "pca":
        again = aligned_layout(store.get(b), made.coords, projection, spherize=False)
        np.testing.assert_allclose(again["coords"], made.coords, atol=1e-4 * np.abs(made.coords).max())


def test_b_tsne_starts_from_a_map_and_the_start_is_part_of_its_key(tmp_path):
    X = digits()
    Y = X.copy()
    Y[:30] = X[300:330]            # in B, rows 0–29 hold the vectors of items 300–329
    store, cache, a, b = stored_pair(tmp_path, X, Y)
    ds_a, ds_b = store.get(a), store.get(b)
    made = projector.project(ds_a, "tsne", cache=cache, params={"iterations": 150})
    projection = {"key": made.key, "method": "tsne", "dims": 2, "params": made.params}
    layout = aligned_layout(ds_b, made.coords, projection, cache=cache, ds_a=ds_a)
    moved = procrustes_displacement(made.coords, layout["coords"])[0]
    # the rows that changed went to where A has the items they now hold; the others stayed near their places
    radius = np.sqrt(((made.coords - made.coords.mean(axis=0)) ** 2).sum(axis=1).mean())
    to_donor = np.linalg.norm(layout["coords"][:30] - made.coords[300:330], axis=1) / radius
    assert np.median(to_donor) < 0.25 < np.median(moved[:30]) and np.median(moved[30:]) < 0.15
    started = projector.project(ds_b, "tsne", params=made.params, init=made.coords, cache=cache)
    plain = projector.project(ds_b, "tsne", params=made.params, cache=cache)
    assert started.key != plain.key and started.params["init"] and "init" not in plain.params
    np.testing.assert_allclose(procrustes_align(made.coords, started.coords), layout["coords"], atol=1e-3)
    assert aligned_layout(ds_b, made.coords, projection, cache=cache, ds_a=ds_a)["cached"]
    with pytest.raises(DataError, match="only t-SNE and UMAP"):
        projector.project(ds_b, "pca", init=made.coords)
    with pytest.raises(DataError, match="one row of 2 numbers per projected point"):
        projector.project(ds_b, "tsne", init=made.coords[:10])

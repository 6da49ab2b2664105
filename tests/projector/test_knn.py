"""Exact neighbours of every point, against a float64 brute force: ties, duplicates, near-ties, zero rows."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from projector import knn
from projector.errors import Cancelled, DataError


def brute(X, k, metric="euclidean"):
    """Float64 brute force, sorted by (distance, index); a zero row is at cosine distance 1 from all."""
    X = np.asarray(X, dtype=np.float64)
    n = len(X)
    if metric == "euclidean":
        D = np.vstack([np.sqrt(np.square(X[s:s + 64, None, :] - X[None, :, :]).sum(-1)) for s in range(0, n, 64)])
    else:
        norms = np.sqrt(np.square(X).sum(1))
        with np.errstate(divide="ignore", invalid="ignore"):
            D = np.clip(1 - (X @ X.T) / (norms[:, None] * norms[None, :]), 0, 2)
        D[norms == 0, :] = 1
        D[:, norms == 0] = 1
    np.fill_diagonal(D, np.inf)
    order = np.lexsort((np.broadcast_to(np.arange(n), D.shape), D), axis=-1)[:, :k]
    return order, np.take_along_axis(D, order, 1), D


def assert_same(got, X, k, metric="euclidean", exact_ties=False):
    idx, dist = got
    ref_idx, ref_dist, D = brute(X, k, metric)
    assert idx.dtype == np.int32 and dist.dtype == np.float32 and idx.shape == (len(X), k)
    np.testing.assert_allclose(dist, ref_dist, rtol=2e-6, atol=1e-6)
    if exact_ties:   # exact arithmetic in any order: every tie must go to the lower index
        np.testing.assert_array_equal(idx, ref_idx)
        return
    for i in range(len(X)):
        # the neighbours' true distances are the k smallest, and where no near-tie exists, the same points
        np.testing.assert_allclose(D[i, idx[i]], ref_dist[i], rtol=1e-12, atol=1e-12)
        row = np.sort(D[i])
        gap_ok = np.r_[np.diff(row[:k + 1]) > 1e-9 * (1 + row[k])]
        for j in range(k):
            if gap_ok[j] and (j == 0 or gap_ok[j - 1]):
                assert idx[i, j] == ref_idx[i, j]


def point_sets(integer):
    elems = st.integers(-3, 3).map(float) if integer else st.floats(-100, 100, allow_nan=False, width=32)
    return st.integers(3, 30).flatmap(lambda n: st.integers(1, 5).flatmap(
        lambda d: arrays(np.float64, (n, d), elements=elems)))


@settings(max_examples=60, deadline=None)
@given(point_sets(integer=True), st.integers(1, 6), st.sampled_from(["euclidean", "cosine"]))
def test_small_integer_points_ties_to_the_lower_index(X, k, metric):
    k = min(k, len(X) - 1)
    exact = metric == "euclidean"   # cosine divides: ties stay ties only up to rounding
    assert_same(knn.all_neighbors(X, k, metric), X, k, metric, exact_ties=exact)


@settings(max_examples=60, deadline=None)
@given(point_sets(integer=False), st.integers(1, 6), st.sampled_from(["euclidean", "cosine"]),
       st.integers(0, 3))
def test_random_points_with_duplicates_and_near_ties(X, k, metric, dups):
    X = X.copy()
    for j in range(min(dups, len(X) - 1)):
        X[j + 1] = X[0]                                       # duplicates
    if len(X) > 4:
        X[-1] = X[-2] * (1 + 1e-7)                            # a near-tie below float32's resolution
    k = min(k, len(X) - 1)
    assert_same(knn.all_neighbors(X, k, metric), X, k, metric)


def test_near_ties_float32_cannot_see_are_ordered_exactly():
    # Far from the origin, neighbours 1e-9 apart in distance: float32 sees them as equal, float64 does not.
    rng = np.random.default_rng(3)
    base = np.full(16, 1000.0)
    dirs = rng.normal(size=(40, 16))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    radii = 1.0 + 1e-9 * rng.permutation(40)
    X = np.vstack([base, base + dirs * radii[:, None]])
    idx, _ = knn.all_neighbors(X, 10)
    expected = 1 + np.argsort(radii)[:10]
    np.testing.assert_array_equal(idx[0], expected)


def test_cosine_zero_rows_are_at_distance_one_from_everything():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 0.0], [-1.0, 0.0], [1.0, 1.0]])
    idx, dist = knn.all_neighbors(X, 3, "cosine")
    assert idx[0].tolist() == [1, 2, 3] and dist[0].tolist() == [1.0, 1.0, 1.0]
    # from (1, 0): (1, 1) at 1 − 1/√2, then both zero rows at 1 (lower index first), before (−1, 0) at 2
    assert idx[1].tolist() == [4, 0, 2]
    np.testing.assert_allclose(dist[1], [1 - 2 ** -0.5, 1, 1], rtol=1e-6)


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_grouped_search_prunes_and_stays_exact(monkeypatch, metric):
    monkeypatch.setattr(knn, "PRUNE_MIN_POINTS", 500)
    monkeypatch.setattr(knn, "GROUP_ROWS", 64)
    monkeypatch.setattr(knn, "QUERY_ROWS", 200)
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 10, size=(12, 24))
    X = (centres[rng.integers(0, 12, 2400)] + rng.normal(size=(2400, 24))).astype(np.float32)
    X[100:130] = X[99]                                        # a run of duplicates larger than the buffer
    pairs = []
    merge = knn._merge

    def counting(prod, *args):
        pairs.append(prod.size)
        return merge(prod, *args)

    monkeypatch.setattr(knn, "_merge", counting)
    got = knn.all_neighbors(X, 12, metric)
    assert sum(pairs) < 0.5 * len(X) ** 2                    # the bound skipped most groups
    assert_same(got, X, 12, metric)


def test_many_duplicates_search_again_with_a_larger_buffer(monkeypatch):
    X = np.vstack([np.zeros((60, 12)), np.eye(12), np.ones((5, 12))])
    assert_same(knn.all_neighbors(X, 5), X, 5, exact_ties=True)
    monkeypatch.setattr(knn, "MAX_BUFFER", 20)                # and past the largest buffer: every row scored
    assert_same(knn.all_neighbors(X, 5), X, 5, exact_ties=True)


def test_k_must_leave_a_point_out():
    with pytest.raises(DataError, match="only 5 points; use k of at most 4"):
        knn.all_neighbors(np.zeros((5, 2)), 5)
    with pytest.raises(DataError):
        knn.map_neighbors(np.zeros((3, 2)), 3)


def test_non_finite_values_are_refused_with_a_sentence():
    X = np.ones((5, 2))
    X[2, 1] = np.nan
    with pytest.raises(DataError, match="not finite"):
        knn.all_neighbors(X, 2)


def test_cancel_and_progress(monkeypatch):
    monkeypatch.setattr(knn, "QUERY_ROWS", 50)
    X = np.random.default_rng(1).normal(size=(300, 12))
    calls = []
    knn.all_neighbors(X, 3, on_progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (300, 300) and len(calls) >= 6
    for points in (X, X[:, :3]):     # the scan, and the k-d tree of few dimensions
        with pytest.raises(Cancelled):
            knn.all_neighbors(points, 3, should_stop=lambda: True)


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 40).flatmap(lambda n: arrays(np.float64, (n, 2), elements=st.integers(0, 3).map(float))),
       st.integers(1, 8))
def test_map_neighbors_on_a_grid_full_of_ties(C, k):
    k = min(k, len(C) - 1)
    assert_same(knn.map_neighbors(C, k), C, k, exact_ties=True)


def test_map_neighbors_3d():
    C = np.random.default_rng(2).normal(size=(500, 3)).astype(np.float32)
    assert_same(knn.map_neighbors(C, 7), C, 7)

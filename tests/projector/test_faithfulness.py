"""Map faithfulness against scikit-learn's trustworthiness, and the other measures by construction."""
import numpy as np
import pytest
from scipy.stats import special_ortho_group
from sklearn.manifold import trustworthiness

from projector import faithfulness as fa
from projector.errors import Cancelled, DataError
from projector.knn import all_neighbors, map_neighbors


def noisy_map(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[: n // 4] += 4                                           # some structure for the map to keep
    C = X[:, :2] + rng.normal(0, 0.7, size=(n, 2))
    return X, C


@pytest.mark.parametrize("seed,k", [(0, 5), (1, 10), (2, 30)])
def test_exact_mode_is_scikit_learns(seed, k):
    X, C = noisy_map(700, 12, seed)
    got = fa.trustworthiness_continuity(X, C, k)
    assert got["exact"] and got["rows"] == 700 and got["stderr_trustworthiness"] == 0.0
    assert got["trustworthiness"] == pytest.approx(trustworthiness(X, C, n_neighbors=k), abs=1e-12)
    assert got["continuity"] == pytest.approx(trustworthiness(C, X, n_neighbors=k), abs=1e-12)


def test_cosine_trustworthiness_is_scikit_learns():
    X, C = noisy_map(400, 8, 3)
    got = fa.trustworthiness_continuity(X, C, 10, "cosine")
    assert got["trustworthiness"] == pytest.approx(trustworthiness(X, C, n_neighbors=10, metric="cosine"),
                                                   abs=1e-12)


def test_a_zero_row_ranks_every_point_at_distance_one_by_index():
    # (scikit-learn's argsort orders those ties arbitrarily; ours go to the lower index, as neighbours do)
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0], [1.0, 1.0], [2.0, 1.0]])
    ranks = fa._original_ranks(X, np.array([0]), np.array([[6, 1, 3]]), "cosine", lambda: False)
    assert ranks.tolist() == [[6, 1, 3]]


def test_sample_estimate_is_within_four_standard_errors():
    X, C = noisy_map(30_000, 6, 4)
    exact = fa.trustworthiness_continuity(X, C, 10, exact_max=30_000)
    est = fa.trustworthiness_continuity(X, C, 10, exact_max=20_000, sample=2_000, seed=1)
    assert not est["exact"] and est["rows"] == 2_000
    for key in ("trustworthiness", "continuity"):
        se = est[f"stderr_{key}"]
        assert 0 < se < 0.01
        assert abs(est[key] - exact[key]) <= 4 * se


def test_the_map_of_a_plane_is_perfectly_trustworthy():
    rng = np.random.default_rng(5)
    C = rng.normal(size=(300, 2))
    X = np.hstack([C, np.zeros((300, 3))]) @ special_ortho_group.rvs(5, random_state=1)
    got = fa.trustworthiness_continuity(X, C * 3 + 1, 7)
    assert got["trustworthiness"] == pytest.approx(1.0) and got["continuity"] == pytest.approx(1.0)


def test_k_must_stay_below_half_the_points_and_cancel():
    X, C = noisy_map(20, 3, 6)
    with pytest.raises(DataError, match="less than half"):
        fa.trustworthiness_continuity(X, C, 10)
    with pytest.raises(Cancelled):
        fa.trustworthiness_continuity(X, C, 3, should_stop=lambda: True)


def test_neighbourhood_preservation_counts_shared_neighbours():
    orig = np.array([[1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2]])
    mapped = np.array([[3, 2, 1], [2, 3, 4], [5, 6, 4], [0, 1, 2]])
    np.testing.assert_allclose(fa.neighbourhood_preservation(orig, mapped), [1, 2 / 3, 0, 1])
    X, _ = noisy_map(500, 2, 7)
    share = fa.neighbourhood_preservation(all_neighbors(X, 10)[0], map_neighbors(X, 10)[0])
    assert np.all(share == 1.0)      # the map is the space itself


def test_procrustes_of_a_moved_turned_scaled_mirrored_copy_is_zero():
    rng = np.random.default_rng(8)
    A = rng.normal(size=(200, 3))
    R = special_ortho_group.rvs(3, random_state=2) @ np.diag([1, 1, -1])
    per, med = fa.procrustes_displacement(A, 2.5 * A @ R + [4, -1, 7])
    assert per.shape == (200,) and per.max() < 1e-9 and med < 1e-9
    B = A.copy()
    B[5] += [3, 0, 0]                                           # one point moved
    per, _ = fa.procrustes_displacement(A, B)
    assert int(np.argmax(per)) == 5 and per[5] > 10 * np.median(per)


def test_far_on_map_ranks_among_all_points():
    C = np.array([[0, 0], [1, 0], [2, 0], [3, 0], [4, 0], [1, 0]], dtype=float)
    # from point 0: 1 and 5 tie at 1 (ranks 1, 2), 2 is rank 3, 3 rank 4, 4 rank 5
    assert fa.far_on_map(C, 0, [4, 5, 2, 3], 3) == [4, 3]
    assert fa.far_on_map(C, 0, [5], 1) == [5]
    with pytest.raises(DataError):
        fa.far_on_map(C, 9, [1], 2)


def test_pruned_float32_ranks_are_exact_with_duplicates_and_near_ties():
    # above knn.PRUNE_MIN_POINTS rows in more than knn.TREE_MAX_DIMS dimensions: grouped rows, pruned ranks
    rng = np.random.default_rng(4)
    centres = rng.normal(0, 4, size=(6, 24))
    X = (centres[rng.integers(0, 6, 9_000)] + rng.normal(0, 1, size=(9_000, 24))).astype(np.float32)
    X[100:140] = X[7]                                  # duplicates: ties broken by index
    X[200:220] = X[9] + np.float32(1e-6) * rng.normal(size=(20, 24)).astype(np.float32)
    from projector.knn import Space

    space = Space(X, "euclidean")
    assert space.Z is not None
    rows = np.array([7, 9, 100, 139, 200, 3, 4_000, 8_999])
    targets = np.vstack([rng.choice(9_000, size=12, replace=False) for _ in rows])
    targets[0, :3] = [100, 120, 139]
    targets[1, :3] = [205, 210, 219]
    ranks = fa._space_ranks(space, rows, targets, lambda: False)
    X64 = X.astype(np.float64)
    for r, i in enumerate(rows):
        d = np.square(X64 - X64[i]).sum(axis=1)
        d[i] = np.inf
        ids = np.arange(len(X))
        for t, j in enumerate(targets[r]):
            assert ranks[r, t] == 1 + np.count_nonzero((d < d[j]) | ((d == d[j]) & (ids < j)))


def test_shared_space_and_graphs_give_the_same_estimate():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(9_000, 20)).astype(np.float32)
    C = X[:, :2] + 0.3 * rng.normal(size=(9_000, 2))
    plain = fa.trustworthiness_continuity(X, C, 10, exact_max=1_000, sample=300)
    from projector.knn import all_neighbors, euclidean_space, map_neighbors

    space = euclidean_space(X)
    graph = all_neighbors(X, 15, space=space)[0]
    assert np.array_equal(graph, all_neighbors(X, 15)[0])
    shared = fa.trustworthiness_continuity(X, C, 10, exact_max=1_000, sample=300, space=space,
                                           original_neighbors=graph, map_neighbors=map_neighbors(C, 12)[0])
    assert shared == plain

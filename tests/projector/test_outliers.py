"""Outlier scores from exact neighbours, against scikit-learn's LocalOutlierFactor and NearestNeighbors."""
import numpy as np
import pytest
from sklearn.neighbors import LocalOutlierFactor, NearestNeighbors

from projector.errors import DataError
from projector.knn import all_neighbors
from projector.outliers import most_unusual, outlier_scores


@pytest.mark.parametrize("k", [1, 5, 20])
def test_lof_is_scikit_learns(k):
    rng = np.random.default_rng(k)
    X = np.vstack([rng.normal(0, 1, (300, 6)), rng.normal(5, 0.3, (100, 6)), rng.uniform(-8, 8, (10, 6))])
    ref = -LocalOutlierFactor(n_neighbors=k).fit(X).negative_outlier_factor_
    ours = outlier_scores(*all_neighbors(X, k), method="lof")
    assert ours.dtype == np.float64
    np.testing.assert_allclose(ours, ref, rtol=1e-5)


def test_kth_is_the_distance_to_the_kth_neighbour():
    X = np.random.default_rng(0).normal(size=(200, 4))
    ref = NearestNeighbors(n_neighbors=8).fit(X).kneighbors()[0][:, -1]
    np.testing.assert_allclose(outlier_scores(*all_neighbors(X, 8), method="kth"), ref, rtol=1e-6)


def test_an_injected_point_ranks_first():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(500, 10))
    X[123] += 12
    for method in ("kth", "lof"):
        assert most_unusual(outlier_scores(*all_neighbors(X, 10), method=method), 1).tolist() == [123]


def test_most_unusual_highest_first_ties_to_the_lower_index():
    scores = np.array([0.5, 2.0, 1.0, 2.0, 1.0])
    assert most_unusual(scores, 4).tolist() == [1, 3, 2, 4]
    assert most_unusual(scores, 99).tolist() == [1, 3, 2, 4, 0]
    assert most_unusual(scores, 0).dtype == np.int64


def test_unknown_method_and_bad_tables_are_sentences():
    idx, dist = all_neighbors(np.eye(4), 2)
    with pytest.raises(DataError, match="use 'kth' or 'lof'"):
        outlier_scores(idx, dist, method="iforest")
    with pytest.raises(DataError):
        outlier_scores(idx[:, :1], dist)

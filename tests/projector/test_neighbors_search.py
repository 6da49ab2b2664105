"""Exact neighbours (TensorBoard's kNN fixture and more) and label search."""
import numpy as np
import pandas as pd
import pytest

import projector
from projector import DataError

TB_VECTORS = [[1, 2, 0], [1, 1, 3], [100, 30, 0], [95, 23, 3], [100, 10, 0], [95, 23, 100]]


def test_tensorboard_knn_fixture_cosine():
    ds = projector.load_dataset(np.array(TB_VECTORS, np.float32))
    got = [[i for i, _ in projector.nearest_neighbors(ds, j, k=4)] for j in range(6)]
    assert got == [[2, 3, 4, 5], [5, 0, 3, 2], [3, 4, 5, 0], [2, 4, 5, 0], [3, 2, 5, 0], [1, 3, 2, 4]]


def test_two_points_k4_gives_one_neighbour_each():
    ds = projector.load_dataset(np.array([[1, 2], [3, 4]], np.float32))
    assert [i for i, _ in projector.nearest_neighbors(ds, 0, k=4)] == [1]
    assert [i for i, _ in projector.nearest_neighbors(ds, 1, k=4)] == [0]


def test_identical_vectors_tie_to_the_lowest_index():
    ds = projector.load_dataset(np.tile(np.array([[0.3, -1.2, 5.0]], np.float32), (261, 1)))
    assert projector.nearest_neighbors(ds, 0, k=1)[0][0] == 1
    assert projector.nearest_neighbors(ds, 100, k=1)[0][0] == 0
    assert [i for i, _ in projector.nearest_neighbors(ds, 5, k=5)] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_matches_brute_force_and_is_sorted(metric):
    from sklearn.metrics import pairwise_distances

    X = np.random.default_rng(1).normal(size=(500, 32)).astype(np.float32)
    ds = projector.load_dataset(X)
    res = projector.nearest_neighbors(ds, 17, k=25, metric=metric)
    D = pairwise_distances(X[17:18].astype(np.float64), X.astype(np.float64), metric=metric)[0]
    D[17] = np.inf
    expected = np.lexsort((np.arange(500), D))[:25]
    assert [i for i, _ in res] == list(expected)
    assert [d for _, d in res] == pytest.approx(list(D[expected]), rel=1e-5, abs=1e-6)
    assert all(a[1] <= b[1] for a, b in zip(res, res[1:]))


def test_subset_restricts_candidates_and_spherize_changes_the_space():
    X = np.random.default_rng(2).normal(size=(200, 8)).astype(np.float32) + 3
    ds = projector.load_dataset(X)
    res = projector.nearest_neighbors(ds, 0, k=10, subset=[0, 5, 9, 50, 77])
    assert sorted(i for i, _ in res) == [5, 9, 50, 77]
    plain = projector.nearest_neighbors(ds, 0, k=10, metric="euclidean")
    sph = projector.nearest_neighbors(ds, 0, k=10, metric="euclidean", spherize=True)
    assert [i for i, _ in plain] != [i for i, _ in sph]
    assert max(d for _, d in sph) <= 2.0  # unit vectors


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_spherized_neighbours_equal_brute_force_on_the_spherized_matrix(metric):
    rng = np.random.default_rng(4)
    X = (rng.normal(size=(400, 12)) + 2).astype(np.float32)
    X[7] = X.mean(axis=0)  # (almost) the centroid itself
    ds = projector.load_dataset(X)
    S = X.astype(np.float64) - X.astype(np.float64).mean(axis=0)  # spherized, in float64
    S /= np.linalg.norm(S, axis=1, keepdims=True)
    for i in (0, 7, 123):
        got = projector.nearest_neighbors(ds, i, k=30, metric=metric, spherize=True, subset=None if i else range(0, 400, 2))
        cand = np.arange(400) if i else np.arange(0, 400, 2)
        if metric == "euclidean":
            D = np.linalg.norm(S[cand] - S[i], axis=1)
        else:
            nrm = np.linalg.norm(S[cand], axis=1) * np.linalg.norm(S[i])
            D = 1 - np.where(nrm > 0, S[cand] @ S[i] / np.where(nrm > 0, nrm, 1), 0)
        D[cand == i] = np.inf
        want = cand[np.lexsort((cand, D))[:30]]
        assert [j for j, _ in got] == list(want)
        assert [d for _, d in got] == pytest.approx(list(np.sort(D)[:30]), rel=1e-5, abs=1e-5)


def test_zero_vector_is_at_cosine_distance_one():
    ds = projector.load_dataset(np.array([[0, 0], [1, 0], [0, 1]], np.float32))
    assert projector.nearest_neighbors(ds, 0, k=2) == [(1, 1.0), (2, 1.0)]


def test_neighbour_errors():
    ds = projector.load_dataset(np.ones((3, 2), np.float32))
    with pytest.raises(DataError, match="does not exist"):
        projector.nearest_neighbors(ds, 3)
    with pytest.raises(DataError, match="unknown distance"):
        projector.nearest_neighbors(ds, 0, metric="manhattan")


def test_spherize_centres_and_normalises_leaving_zero_rows():
    X = np.array([[1, 1], [3, 3], [2, 2]], np.float32)
    S = projector.spherize_vectors(X)
    np.testing.assert_allclose(S[0], [-0.70710677, -0.70710677], rtol=1e-6)
    assert (S[2] == 0).all()  # the centroid itself is a zero vector and stays zero


@pytest.fixture
def words():
    meta = pd.DataFrame({"word": ["politics", "Political", "police", "apple", None, "(a+)"],
                         "count": [5.0, 3.0, 2.0, 1.0, 7.0, 0.0]})
    return projector.load_dataset(np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32), meta)


def test_search_substring_is_case_insensitive_on_the_first_text_column(words):
    assert projector.search(words, "POLI").tolist() == [0, 1, 2]
    assert projector.search(words, "(a+)").tolist() == [5]  # substring: no regex meaning


def test_search_regex_and_column(words):
    assert projector.search(words, "^polit", regex=True).tolist() == [0, 1]
    assert projector.search(words, "^[57]$", regex=True, column="count").tolist() == [0, 4]
    assert projector.search(words, "pol", subset=[1, 2, 3]).tolist() == [1, 2]


def test_bad_regex_and_bad_column_are_data_errors(words):
    with pytest.raises(DataError, match="not a valid regular expression"):
        projector.search(words, "poli(", regex=True)
    with pytest.raises(DataError, match="no metadata column 'nope'"):
        projector.search(words, "x", column="nope")


def test_joined_scanning_finds_exactly_what_matching_label_by_label_finds():
    import re

    from projector.search import compile_query, matching

    rng = np.random.default_rng(0)
    labels = ["".join(rng.choice(list("abcdeé _-x1"), size=rng.integers(0, 10))) for _ in range(20_000)]
    for pattern in ["a", "^a", "a$", "^$", "b.*c", r"\s", r"\s*$", r"^\w+$", "a|b$", "(?=a)b?", "é", r"(a)\1",
                    "^.{3}$", "[^a]+", "x*", r"\bab", r"a\Z", r"\Aa", "(?<!b)a$", "E", "1?$"]:
        expected = [i for i, t in enumerate(labels) if t and re.search(pattern, t, re.IGNORECASE)]
        assert matching(compile_query(pattern, regex=True), labels) == expected, pattern


@pytest.mark.parametrize("pattern", ["(a|aa)+$", "(a+)+$", "(x+x+)+y"])
def test_a_pattern_that_backtracks_without_end_is_refused_in_bounded_time(pattern):
    import time

    from projector.search import compile_query, matching

    labels = ["a" * 5_000 + "!", "x" * 5_000] * 3 + ["plain"] * 10_000
    started = time.monotonic()
    try:
        matching(compile_query(pattern, regex=True), labels, limit_s=1.0)
    except DataError as exc:
        assert "simplify it" in str(exc)
    assert time.monotonic() - started < 3.0

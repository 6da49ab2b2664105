"""Cluster labels against scikit-learn, and c-TF-IDF names checked by hand."""
import math

import numpy as np
import pytest
from sklearn.cluster import HDBSCAN, KMeans
from sklearn.metrics import adjusted_rand_score

from projector import clusters, knn
from projector.errors import Cancelled, DataError


def same_partition(a, b):
    """Equal up to renumbering of the clusters (noise stays noise)."""
    a, b = np.asarray(a), np.asarray(b)
    assert np.array_equal(a == -1, b == -1)
    pairs = set(zip(a[a >= 0].tolist(), b[b >= 0].tolist()))
    assert len(pairs) == len(set(a[a >= 0].tolist())) == len(set(b[b >= 0].tolist()))


def separated(seed, n=2400, d=6):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(n // 25, n // 8, 7)
    parts = [rng.normal(rng.uniform(-40, 40, d), rng.uniform(0.5, 2), (s, d)) for s in sizes]
    return np.vstack(parts + [rng.uniform(-50, 50, (n - sizes.sum(), d))])


def sklearn_labels(P, mcs, ms, perm=None):
    if perm is None:
        return HDBSCAN(min_cluster_size=mcs, min_samples=ms, copy=True).fit_predict(P)
    out = np.empty(len(P), dtype=np.int64)
    out[perm] = HDBSCAN(min_cluster_size=mcs, min_samples=ms, copy=True).fit_predict(P[perm])
    return out


@pytest.mark.parametrize("seed,mcs,ms", [(0, 15, None), (1, 10, 5), (2, 25, 2), (3, 5, 3)])
def test_borůvka_route_gives_scikit_learns_clusters(monkeypatch, seed, mcs, ms):
    monkeypatch.setattr(clusters, "SKLEARN_HDBSCAN_MAX", 100)
    monkeypatch.setattr(knn, "PRUNE_MIN_POINTS", 500)        # the grouped, pruned search too
    monkeypatch.setattr(knn, "GROUP_ROWS", 64)
    P = separated(seed)
    ref = sklearn_labels(P, mcs, ms)
    ours = clusters.hdbscan_labels(P, mcs, ms)
    # Equal-weight edges (a sparse point's core distance weighs all its edges) may be merged in any
    # order, and the order decides whether a few such points join a cluster or stay noise: scikit-learn
    # itself labels some points otherwise when the rows come in another order. Ours must agree with it
    # as well as its own runs on shuffled rows do (within 0.01 of the adjusted Rand index), with a
    # number of clusters in the range those runs give.
    rng = np.random.default_rng(seed)
    own = [sklearn_labels(P, mcs, ms, rng.permutation(len(P))) for _ in range(6)]
    assert adjusted_rand_score(ours, ref) >= min(adjusted_rand_score(o, ref) for o in own) - 0.01
    counts = [len(set(o.tolist())) for o in own + [ref]]
    assert min(counts) - 1 <= len(set(ours.tolist())) <= max(counts) + 1


def test_without_equal_weights_the_labels_are_exactly_scikit_learns(monkeypatch):
    # min_samples=1: no core distances, all distances distinct — one tree, one answer
    monkeypatch.setattr(knn, "PRUNE_MIN_POINTS", 500)
    monkeypatch.setattr(knn, "GROUP_ROWS", 64)
    P = separated(8)
    same_partition(clusters._boruvka_labels(P, 10, 1), sklearn_labels(P, 10, 1))


def test_mst_weights_are_scikit_learns_on_overlapping_clusters():
    # Where clusters overlap, ties in the tree can move a point (scikit-learn itself moves some when
    # the rows are permuted); the tree's weights must still be exactly its own.
    rng = np.random.default_rng(4)
    P = np.vstack([rng.normal(c, 0.6, (300, 5)) for c in range(5)])
    for ms in (2, 7, 15):
        ref = HDBSCAN(min_cluster_size=15, min_samples=ms, copy=True).fit(P)._single_linkage_tree_["value"]
        _, _, w = clusters.mst_edges(P, ms)
        np.testing.assert_allclose(np.sort(w), np.sort(ref), rtol=1e-12, atol=1e-12)


def test_labels_are_numbered_by_size():
    labels = clusters.hdbscan_labels(separated(5, n=1500), 15)
    sizes = [np.count_nonzero(labels == c) for c in range(labels.max() + 1)]
    assert labels.dtype == np.int64 and sizes == sorted(sizes, reverse=True) and -1 in labels


def test_kmeans_is_scikit_learns_renumbered_by_size():
    P = separated(6, n=1000)
    ref = KMeans(n_clusters=6, n_init="auto", random_state=3).fit_predict(P)
    ours = clusters.kmeans_labels(P, 6, seed=3)
    same_partition(ours, ref)
    sizes = np.bincount(ours)
    assert list(sizes) == sorted(sizes, reverse=True)


def test_cancel_and_bad_parameters():
    P = separated(7, n=600)
    with pytest.raises(Cancelled):
        clusters.hdbscan_labels(P, should_stop=lambda: True)
    with pytest.raises(DataError):
        clusters.hdbscan_labels(P, min_cluster_size=1)
    with pytest.raises(DataError):
        clusters.kmeans_labels(P, 0)


def test_ctfidf_names_by_hand():
    labels = [0, 0, 1, 1, -1, 2]
    texts = ["King queen", "king prince", "apple pear", "apple", "king", ""]
    names = clusters.cluster_names(labels, texts)
    # 8 tokens in 4 classes: A = 2; f(king) = 3, f(apple) = 2, the rest 1.
    # cluster 0: king 2·log(1 + 2/3) = 1.02 < prince = queen = log 3 = 1.10 → prince, queen, king
    assert names[0] == {"name": "prince · queen · king", "terms": ["prince", "queen", "king"], "size": 2, "by": "terms"}
    # cluster 1: apple 2·log(1 + 2/2) = 1.39 > pear log 3 = 1.10
    assert names[1]["name"] == "apple · pear"
    assert names[-1]["name"] == "noise" and names[-1]["size"] == 1
    assert names[2] == {"name": "cluster 2", "terms": [], "size": 1, "by": "terms"}
    assert math.isclose(2 * math.log(1 + 2 / 3), 1.0217, abs_tol=1e-4)


def test_single_word_values_are_whole_tokens():
    labels = [0, 0, 0, 1, 1]
    texts = ["New York", "Paris", "Paris", "Rome", "Oslo"]       # one value in five has two words
    names = clusters.cluster_names(labels, texts, top=2)
    assert names[0]["terms"] == ["Paris", "New York"]
    assert names[1]["name"] == "Oslo · Rome"


def test_centres_are_medians():
    C = np.array([[0, 0], [1, 0], [10, 10], [2, 6], [5, 5]], dtype=float)
    assert clusters.cluster_centres(C, [0, 0, -1, 0, 1]) == {0: (1.0, 0.0), 1: (5.0, 5.0)}


def test_a_stray_term_does_not_name_a_cluster_and_unique_values_name_it_by_its_central_points():
    # 181 sixes and one 5: "6", not "6 · 5"
    names = clusters.cluster_names([0] * 182, ["6"] * 181 + ["5"])
    assert names[0]["name"] == "6"
    # a vocabulary: every value once; the cluster is named by the values of its points nearest its mean
    rng = np.random.default_rng(0)
    space = np.r_[rng.normal(0, 1, size=(50, 2)), rng.normal(20, 1, size=(40, 2))]
    labels = np.r_[np.zeros(50, int), np.ones(40, int)]
    tokens = [f"tok{i:03d}" for i in range(90)]
    central = clusters.central_members(space, labels)
    for c, rows in central.items():
        own = np.flatnonzero(labels == c)
        d = ((space[own] - space[own].mean(axis=0)) ** 2).sum(axis=1)
        assert rows == own[np.argsort(d, kind="stable")[:3]].tolist()
    names = clusters.cluster_names(labels, tokens, central=central)
    assert names[1] == {"name": " · ".join(tokens[r] for r in central[1]), "terms": [tokens[r] for r in central[1]],
                        "size": 40, "by": "central"}
    assert clusters.cluster_names(labels, tokens)[0]["name"] == "tok000 · tok001 · tok002"   # no central points given

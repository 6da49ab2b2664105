"""The faster t-SNE steps give openTSNE's answers."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openTSNE import affinity, nearest_neighbors, tsne

from projector import tsne_fast
from projector.errors import Cancelled


def brute_knn(X, k):
    X = X.astype(np.float64)
    sq = (X * X).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * X @ X.T, 0)
    np.fill_diagonal(d2, np.inf)
    idx = np.argsort(d2, axis=1, kind="stable")[:, :k]
    return idx, np.sqrt(np.take_along_axis(d2, idx, axis=1))


def test_knn_is_exact_and_excludes_each_point_itself():
    X = np.random.default_rng(0).normal(size=(700, 12)).astype(np.float32)
    idx, dist, recall = tsne_fast.knn(X, 20)
    assert recall == 1.0
    want_idx, want_dist = brute_knn(X, 20)
    assert idx.shape == (700, 20) and not (idx == np.arange(700)[:, None]).any()
    np.testing.assert_allclose(dist, want_dist, rtol=1e-4, atol=1e-4)
    assert np.mean([len(set(a) & set(b)) / 20 for a, b in zip(idx, want_idx)]) > 0.999


def test_knn_with_many_duplicates_still_gives_k_other_points():
    X = np.zeros((50, 4), dtype=np.float32)
    X[40:] = 1.0
    idx, dist, _ = tsne_fast.knn(X, 10)
    assert not (idx == np.arange(50)[:, None]).any()
    assert (dist[:40] == 0).all()
    assert len(set(map(tuple, np.sort(idx, axis=1)))) > 1


@pytest.mark.parametrize("clustered", [True, False])
def test_large_sets_use_an_inverted_file_whose_recall_is_measured(clustered):
    rng = np.random.default_rng(2)
    if clustered:
        X = (rng.normal(size=(40, 16))[rng.integers(0, 40, 4000)] * 4 + rng.normal(size=(4000, 16)))
    else:  # no structure for the lists to follow: more of them are scanned until the recall is reached
        X = rng.uniform(size=(4000, 16))
    X = X.astype(np.float32)
    idx, dist, recall = tsne_fast.knn(X, 15, exact_max=1000)
    want_idx, want_dist = brute_knn(X, 15)
    actual = np.mean([np.intersect1d(a, b).size / 15 for a, b in zip(idx, want_idx)])
    assert recall >= tsne_fast.KNN_MIN_RECALL and actual >= 0.98
    assert not (idx == np.arange(4000)[:, None]).any() and (idx >= 0).all()
    assert (np.diff(dist, axis=1) >= -1e-5).all()


def test_knn_stops_when_asked():
    X = np.random.default_rng(0).normal(size=(9000, 8)).astype(np.float32)
    with pytest.raises(Cancelled):
        tsne_fast.knn(X, 5, stop=lambda: True)


@pytest.mark.parametrize("dims,use_fft", [(2, True), (2, False), (3, False)])
def test_gradient_matches_opentsne(dims, use_fft):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(1500, 10))
    idx, dist, _ = tsne_fast.knn(X, 30)
    P = affinity.PerplexityBasedNN(knn_index=nearest_neighbors.PrecomputedNeighbors(idx, dist),
                                   perplexity=10, verbose=False).P
    Y = rng.normal(size=(1500, dims)) * 5
    params = dict(dof=1, bh_params={"theta": 0.5},
                  fft_params={"n_interpolation_points": 3, "min_num_intervals": 50, "ints_in_interval": 1})
    theirs = (tsne.kl_divergence_fft if use_fft else tsne.kl_divergence_bh)(Y, P, **params)[1]
    error, ours = tsne_fast.objective(Y, P, use_fft=use_fft, **params)
    assert error is None
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    # when the optimiser asks for the error, it is openTSNE's KL divergence
    their_error = (tsne.kl_divergence_fft if use_fft else tsne.kl_divergence_bh)(Y, P, should_eval_error=True, **params)[0]
    error, ours = tsne_fast.objective(Y, P, use_fft=use_fft, should_eval_error=True, **params)
    assert error > 0
    assert error == pytest.approx(their_error, rel=1e-9)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 60), data=st.data())
def test_joint_probabilities_are_opentsnes(n, data):
    """(P + Pᵀ) / 2 normalised, from any neighbour lists (mutual or not, any order): openTSNE's matrix, the same
    entries in the same places, values to the last bits of a sum's order."""
    from openTSNE.affinity import joint_probabilities_nn

    k = data.draw(st.integers(1, n - 1))
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    idx = np.stack([rng.permutation(np.delete(np.arange(n), i))[:k] for i in range(n)])
    dist = np.sort(rng.uniform(0.1, 5, size=(n, k)), axis=1)
    perplexity = max(1.0, k / 3)
    ref = joint_probabilities_nn(idx, dist, [perplexity], symmetrize=True, n_jobs=1)
    ref.sort_indices()
    from openTSNE import _tsne

    cond = np.asarray(_tsne.compute_gaussian_perplexity(dist, np.array([perplexity]), num_threads=1))
    ours = tsne_fast.joint_probabilities(idx, cond)
    assert np.array_equal(ours.indptr, ref.indptr) and np.array_equal(ours.indices, ref.indices)
    np.testing.assert_allclose(ours.data, ref.data, rtol=1e-13)
    assert abs(ours.sum() - 1) < 1e-12


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 20), k=st.integers(2, 40), data=st.data())
def test_gaussian_perplexity_is_opentsnes(n, k, data):
    """Each row's Gaussian has the perplexity asked for (entropy within 1e-8), as openTSNE's bisection finds it,
    on distances with ties, zeros and wide spreads."""
    from openTSNE import _tsne

    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    kind = data.draw(st.sampled_from(["uniform", "ties", "zeros", "wide"]))
    dist = {"uniform": rng.uniform(0.1, 3, size=(n, k)), "ties": rng.integers(1, 3, size=(n, k)) * 1.0,
            "zeros": np.where(rng.random((n, k)) < 0.3, 0.0, rng.uniform(0, 2, size=(n, k))),
            "wide": np.exp(rng.uniform(-3, 3, size=(n, k)))}[kind]
    dist = np.sort(dist, axis=1)
    perplexity = data.draw(st.floats(1.0, k / 3 if k >= 3 else 1.0))
    ours = tsne_fast.gaussian_perplexity(dist, perplexity)
    ref = np.asarray(_tsne.compute_gaussian_perplexity(dist, np.array([perplexity]), num_threads=1))
    np.testing.assert_allclose(ours.sum(axis=1), 1, rtol=1e-12)
    entropy = -(np.where(ours > 0, ours * np.log(np.where(ours > 0, ours, 1)), 0)).sum(axis=1)
    # reachable: a row's entropy runs from log(its ties at the smallest distance) to log k (all equal)
    sq = dist ** 2
    ties = (sq == sq.min(axis=1, keepdims=True)).sum(axis=1)
    ok = (np.log(ties) < np.log(perplexity) - 1e-6) & (np.log(perplexity) < np.log(k) - 1e-6)
    assert np.all(np.abs(entropy[ok] - np.log(perplexity)) <= 1e-7)
    # openTSNE's where it met its own tolerance (with d² in the hundreds its exp(−β·d²) underflows and it stops
    # short; the shift by the nearest d² here does not); everywhere at least as near the target as openTSNE's
    ref_entropy = -(np.where(ref > 0, ref * np.log(np.where(ref > 0, ref, 1)), 0)).sum(axis=1)
    met = ok & (np.abs(ref_entropy - np.log(perplexity)) <= 1e-7)
    np.testing.assert_allclose(ours[met], ref[met], rtol=1e-4, atol=1e-9)
    assert np.all(np.abs(entropy - np.log(perplexity)) <= np.abs(ref_entropy - np.log(perplexity)) + 1e-7)

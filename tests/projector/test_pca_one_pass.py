"""The block-by-block PCA (used above PCA_IN_MEMORY_MAX values): one pass for the mean and covariance,
equal to scikit-learn's full SVD in float64, also where a large common offset would cancel."""
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from projector import projections
from projector.projections import _mean_and_scatter, exact_pca


def _blocks(X, size):
    return ((s, X[s:s + size]) for s in range(0, len(X), size))


def _reference(X, k):
    from sklearn.decomposition import PCA

    with np.errstate(invalid="ignore", divide="ignore"):   # no spread at all: scikit-learn divides 0 by 0
        pca = PCA(n_components=k, svd_solver="full").fit(X.astype(np.float64))
    return pca.transform(X.astype(np.float64)), pca.explained_variance_ratio_, pca.explained_variance_


@st.composite
def matrices(draw):
    """float32 matrices: tall or wide-ish, full rank or not, centred or far off the origin, rows in
    random order or sorted (so that blocks have very different means)."""
    n = draw(st.integers(2, 120))
    d = draw(st.integers(1, 24))
    base = draw(arrays(np.float32, (n, d), elements=st.floats(-10, 10, width=32)))
    X = base.astype(np.float64)
    rank = draw(st.integers(1, d))
    if rank < d:  # rank-deficient: every row in a rank-dimensional subspace
        mix = draw(arrays(np.float64, (rank, d), elements=st.floats(-1, 1)))
        X = X[:, :rank] @ mix
    X = X + draw(st.sampled_from([0.0, 1e2, 1e4, -3e4]))
    if draw(st.booleans()):
        X = X[np.argsort(X[:, 0], kind="stable")]
    return X.astype(np.float32)


@settings(max_examples=150, deadline=None)
@given(X=matrices(), block=st.integers(1, 40))
def test_one_pass_mean_and_covariance_equal_float64_two_pass(X, block):
    mean, scatter = _mean_and_scatter(_blocks(X, block), X.shape[1])
    X64 = X.astype(np.float64)
    want_mean = X64.mean(axis=0)
    want = (X64 - want_mean).T @ (X64 - want_mean)
    np.testing.assert_allclose(mean, want_mean, rtol=1e-12, atol=1e-12 * np.abs(want_mean).max())
    # float32 products of rows centred on their block's mean: round-off relative to the spread only
    np.testing.assert_allclose(scatter, want, rtol=0, atol=1e-5 * max(np.abs(want).max(), 1e-30))


def test_a_mean_of_1e4_next_to_a_spread_of_1_loses_nothing():
    rng = np.random.default_rng(3)
    X = (1e4 + rng.normal(size=(20_000, 16)) * np.linspace(1, 0.1, 16)).astype(np.float32)
    X = X[np.argsort(X[:, 0])]   # sorted: every block's mean differs from the others
    X64 = X.astype(np.float64)
    want = np.cov(X64.T)
    # what the naive one pass (XᵀX − nμμᵀ, float32 products) gives: nothing of the covariance is left
    naive = ((X.T @ X).astype(np.float64) - len(X) * np.outer(X64.mean(0), X64.mean(0))) / (len(X) - 1)
    assert np.abs(naive - want).max() > 10 * np.abs(want).max()
    mean, scatter = _mean_and_scatter(_blocks(X, 1000), 16)
    np.testing.assert_allclose(scatter / (len(X) - 1), want, rtol=0, atol=1e-6 * np.abs(want).max())


@settings(max_examples=60, deadline=None)
@given(X=matrices(), k=st.integers(1, 10), block=st.integers(1, 40))
def test_blockwise_pca_equals_full_svd_in_float64(X, k, block):
    k = min(k, *X.shape)
    with mock.patch.object(projections, "block_rows", lambda d: block):
        scores, ratios = exact_pca(X, k, in_memory_max=0)
    want_scores, want_ratios, variances = _reference(X, k)
    assert scores.shape == (len(X), k) and scores.dtype == np.float32
    assert np.isfinite(scores).all()
    top = variances[0] if len(variances) else 0.0
    if top <= 1e-6 * max(1.0, float(np.abs(X).max())) ** 2:
        return   # no spread beyond float32's resolution of the values: nothing to compare against
    np.testing.assert_allclose(ratios, want_ratios, rtol=0, atol=1e-5)
    # each component whose variance stands apart from its neighbours' is the same axis, sign included
    # (up to the sign when the largest entry is a near tie)
    spectrum = np.concatenate([[np.inf], variances, [-np.inf]])
    for j in range(k):
        if min(spectrum[j] - spectrum[j + 1], spectrum[j + 1] - spectrum[j + 2]) < 0.05 * top:
            continue
        got, want = scores[:, j].astype(np.float64), want_scores[:, j]
        sign = np.sign(got @ want) or 1.0
        np.testing.assert_allclose(sign * got, want, rtol=0, atol=1e-3 * np.sqrt(top))


def test_components_follow_the_largest_entry_positive_rule_like_scikit_learn():
    rng = np.random.default_rng(5)
    X = (rng.normal(size=(5000, 12)) * np.linspace(4, 0.5, 12) + 7).astype(np.float32)
    with mock.patch.object(projections, "block_rows", lambda d: 333):
        scores, ratios = exact_pca(X, 5, in_memory_max=0)
    want_scores, want_ratios, _ = _reference(X, 5)
    np.testing.assert_allclose(ratios, want_ratios, rtol=1e-6)
    np.testing.assert_allclose(scores, want_scores, rtol=0, atol=1e-4 * np.abs(want_scores).max())


@pytest.mark.parametrize("offset", [0.0, 1e4])
def test_scores_keep_their_precision_far_from_the_origin(offset):
    rng = np.random.default_rng(11)
    X = (offset + rng.normal(size=(4000, 20)) * np.linspace(3, 0.2, 20)).astype(np.float32)
    with mock.patch.object(projections, "block_rows", lambda d: 512):
        scores, ratios = exact_pca(X, 10, in_memory_max=0)
    want_scores, want_ratios, _ = _reference(X, 10)
    np.testing.assert_allclose(ratios, want_ratios, rtol=1e-5)
    # the scores' mean is 0 to float32 precision of the spread, not of the offset (1e4 · 6e-8 = 6e-4)
    assert np.abs(scores.astype(np.float64).mean(axis=0)).max() < 1e-5
    np.testing.assert_allclose(scores, want_scores, rtol=0, atol=1e-4 * np.abs(want_scores).max())


def test_rows_that_leave_the_origin_half_way_are_centred_from_there_on():
    rng = np.random.default_rng(13)
    spread = rng.normal(size=(6000, 8)) * np.linspace(1, 0.3, 8)
    far = np.zeros((6000, 8))
    far[3000:] = 1e4    # the first blocks are near the origin, the last ones far from it
    X = (spread + far).astype(np.float32)
    X64 = X.astype(np.float64)
    mean, scatter = _mean_and_scatter(_blocks(X, 500), 8)
    want = (X64 - X64.mean(0)).T @ (X64 - X64.mean(0))
    np.testing.assert_allclose(scatter, want, rtol=0, atol=1e-6 * np.abs(want).max())
    # and the far half alone, whose spread of 1 sits on 1e4: its scatter to the same precision
    mean, scatter = _mean_and_scatter(_blocks(X[3000:], 500), 8)
    half = X64[3000:] - X64[3000:].mean(0)
    np.testing.assert_allclose(scatter, half.T @ half, rtol=0, atol=1e-6 * np.abs(half.T @ half).max())

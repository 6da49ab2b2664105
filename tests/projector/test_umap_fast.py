"""UMAP's epochs (projector.umap_fast) against umap-learn's own optimiser and a plain-Python reference."""
import numpy as np
import pytest
import scipy.sparse as sp
import umap
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits
from sklearn.manifold import trustworthiness
from umap.layouts import optimize_layout_euclidean
from umap.umap_ import make_epochs_per_sample

from projector import umap_fast


@pytest.fixture(scope="module")
def digits():
    return load_digits().data.astype(np.float32)


@pytest.mark.parametrize("dims", [2, 3])
def test_without_repulsion_the_epochs_are_umap_learns_step_for_step(digits, dims):
    """gamma = 0 leaves only the attraction along the graph's edges, which draws no random numbers: the pruning,
    the schedule, the gradient, the clipping and the learning rate must then give umap-learn's layout."""
    reducer = umap.UMAP(n_neighbors=10, n_epochs=0, random_state=0, n_components=dims).fit(digits[:400])
    start = reducer.embedding_.copy()
    # only 3: attraction alone pulls neighbours onto each other, where the curve's gradient is singular, so any two
    # float implementations part after a few epochs (umap-learn against a float64 copy of its step: 0.6 after 5)
    n_epochs = 3
    ours = umap_fast.optimize_layout(start, reducer.graph_, n_epochs, reducer._a, reducer._b, gamma=0.0, seed=0)
    g = umap_fast.prune(reducer.graph_, n_epochs)
    theirs = start.copy()
    optimize_layout_euclidean(theirs, theirs, g.row, g.col, n_epochs, g.shape[1], make_epochs_per_sample(g.data, n_epochs),
                              reducer._a, reducer._b, np.zeros(3, dtype=np.int64), 0.0, 1.0, 5, parallel=False,
                              move_other=True)
    assert np.abs(ours - theirs).max() < 2e-3 * np.abs(theirs).max()     # float32 powers against float64 ones
    assert np.abs(ours - start).max() > 100 * np.abs(ours - theirs).max()   # and it did move


def xorshift(state):
    mask = (1 << 64) - 1
    state ^= state >> 12
    state ^= (state << 25) & mask
    state ^= state >> 27
    return state, ((state * 2685821657736338717) & mask) >> 32


def reference_epochs(start, graph, n_epochs, a, b, gamma, rate, seed):
    """The epochs as the module documents them, one float64 step at a time in plain Python (one thread)."""
    g = umap_fast.prune(graph, n_epochs)
    Y = start.astype(np.float64).copy()
    head, tail, w = g.row, g.col, g.data.astype(np.float64)
    samples = n_epochs * (w / w.max())   # umap-learn's order: an edge due at a whole epoch stays due there
    every = np.where(samples > 0, n_epochs / np.maximum(samples, 1e-300), -1.0)
    every_neg = every / rate
    next_s, next_n = every.copy(), every_neg.copy()
    n, chunks, m = len(Y), umap_fast.CHUNKS, len(head)
    base = int(np.random.SeedSequence(seed).generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    clip = lambda v: np.clip(v, -4.0, 4.0)  # noqa: E731
    for epoch in range(n_epochs):
        alpha = 1.0 if epoch == 0 else 1.0 - (epoch - 1) / n_epochs
        for c in range(chunks):
            state = (base * 0x9E3779B97F4A7C15 + epoch * chunks + c + 1) & ((1 << 64) - 1)
            state ^= state >> 31
            state = state or 1
            for i in range(c * m // chunks, (c + 1) * m // chunks):
                if next_s[i] > epoch:
                    continue
                j, k = head[i], tail[i]
                diff = Y[j] - Y[k]
                d2 = diff @ diff
                coeff = -2 * a * b * d2 ** (b - 1) / (a * d2 ** b + 1) if d2 > 0 else 0.0
                step = clip(coeff * diff) * alpha
                Y[j] += step
                Y[k] -= step
                next_s[i] += every[i]
                negatives = int((epoch - next_n[i]) / every_neg[i])
                push = np.zeros(Y.shape[1])
                for _ in range(negatives):
                    state, r = xorshift(state)
                    e = Y[j] - Y[(r * n) >> 32]
                    d2 = e @ e
                    if d2 > 0:
                        push += clip(2 * gamma * b / ((0.001 + d2) * (a * d2 ** b + 1)) * e)
                Y[j] += push * alpha
                next_n[i] += negatives * every_neg[i]
    return Y


@settings(max_examples=12, deadline=None)
@given(n=st.integers(6, 40), k=st.integers(2, 5), gamma=st.sampled_from([0.5, 1.0, 2.0]), rate=st.integers(1, 7),
       dims=st.sampled_from([2, 3]), seed=st.integers(0, 2**31), data_seed=st.integers(0, 1000))
def test_one_thread_follows_the_documented_steps(n, k, gamma, rate, dims, seed, data_seed):
    rng = np.random.default_rng(data_seed)
    X = rng.normal(size=(n, 5)).astype(np.float32)
    rows = np.repeat(np.arange(n), k)
    cols = (rows + rng.integers(1, n, size=len(rows))) % n
    graph = sp.coo_matrix((rng.uniform(0.05, 1, size=len(rows)), (rows, cols)), shape=(n, n))
    graph = (graph + graph.T).tocsr()
    start = rng.uniform(0, 10, size=(n, dims)).astype(np.float32)
    a, b = 1.577, 0.895
    ours = umap_fast.optimize_layout(start, graph, 4, a, b, gamma=gamma, negative_sample_rate=rate, seed=seed)
    ref = reference_epochs(start, graph, 4, a, b, gamma, rate, seed)
    # float32 steps against float64 ones part within a few epochs, as any two float orders do (points pulled onto
    # each other); a wrong sign, clip, power or schedule parts them by whole units from the second epoch
    assert np.abs(ours - ref).max() < 5e-3 * max(1.0, np.abs(ref).max()), np.abs(ours - ref).max()


def test_the_layout_is_as_good_as_umap_learns(digits):
    """On scikit-learn's digits: trustworthiness at 10 within 0.01 of umap-learn's, from the same graph and start,
    in one thread (seeded: the same result twice) and in two."""
    reducer = umap.UMAP(n_neighbors=15, n_epochs=0, random_state=1).fit(digits)
    theirs = umap.UMAP(n_neighbors=15, random_state=1).fit_transform(digits)
    t_theirs = trustworthiness(digits, theirs, n_neighbors=10)
    once = umap_fast.optimize_layout(reducer.embedding_, reducer.graph_, 500, reducer._a, reducer._b, seed=3)
    again = umap_fast.optimize_layout(reducer.embedding_, reducer.graph_, 500, reducer._a, reducer._b, seed=3)
    np.testing.assert_array_equal(once, again)
    both = umap_fast.optimize_layout(reducer.embedding_, reducer.graph_, 500, reducer._a, reducer._b, seed=None)
    for ours in (once, both):
        assert trustworthiness(digits, ours, n_neighbors=10) >= t_theirs - 0.01

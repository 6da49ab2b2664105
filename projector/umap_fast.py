"""UMAP's layout optimisation (the epochs of stochastic gradient descent), faster than umap-learn's own.

umap-learn builds the fuzzy graph and the spectral start (``UMAP(n_epochs=0)`` returns them); the epochs here
follow its ``optimize_layout_euclidean``: the same graph pruning (edges sampled less than once in
all epochs dropped), the same sampling schedule (an edge of weight w is sampled every max(w)/w epochs, with
``negative_sample_rate`` negative samples per positive one), the same attractive and repulsive gradients, each
coordinate clipped to ±4, both ends of an edge moved, a learning rate falling linearly from 1. One change
of order: an edge's negative samples are computed from the same head position and their steps applied
together, where umap-learn applies each before drawing the next (its chain of dependent steps was most of the
time; the difference is second order in the learning rate).

What differs is how it is computed: the curve's power ``d²ᵇ`` once per pair, in float32 (umap-learn calls float64
``pow`` twice for a positive sample, for ``d²ᵇ`` and ``d²⁽ᵇ⁻¹⁾``, the second being the first divided by d²),
the work split into fixed chunks of edges, each with its own random stream (umap-learn keeps one per vertex in
shared memory, which the threads race on). Like umap-learn's parallel mode, the threads update the shared
layout without locks (Hogwild), so a run is reproducible only with ``threads=1``, as umap-learn is only with a
seed (it then runs one thread); :func:`optimize_layout` does the same.
"""
from __future__ import annotations

import os

import numpy as np
from numba import njit, prange

from .threads import serialised

os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")

CHUNKS = 256           # chunks of edges per epoch; each has its own random stream
CLIP = np.float32(4.0)


@njit(cache=True, inline="always")
def _next(state):
    """xorshift64*: the next pseudo-random 64-bit state and a 32-bit output."""
    state ^= state >> np.uint64(12)
    state ^= state << np.uint64(25)
    state ^= state >> np.uint64(27)
    return state, (state * np.uint64(2685821657736338717)) >> np.uint64(32)


@njit(cache=True, inline="always")
def _clip(v):
    if v > CLIP:
        return CLIP
    if v < -CLIP:
        return -CLIP
    return v


# no fast-math: a reciprocal in place of the division would move an edge's count of negative samples at whole
# numbers (it is a floor of a quotient), and the count is part of the schedule
@serialised
@njit(parallel=True, fastmath=False, cache=True)
def _epoch(Y, head, tail, every, every_negative, next_sample, next_negative, epoch, a, b, gamma, alpha, seed,
           chunks):
    """One epoch over the edges that are due (umap-learn's ``_optimize_layout_euclidean_single_epoch``)."""
    m = head.shape[0]
    n_vertices = Y.shape[0]
    dim = Y.shape[1]
    two_ab = np.float32(2.0) * a * b
    two_gb = np.float32(2.0) * gamma * b
    for c in prange(chunks):
        state = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(epoch * chunks + c + 1)
        state ^= state >> np.uint64(31)
        if state == 0:
            state = np.uint64(1)
        lo = c * m // chunks
        hi = (c + 1) * m // chunks
        for i in range(lo, hi):
            if next_sample[i] > epoch:
                continue
            j = head[i]
            k = tail[i]
            d2 = np.float32(0.0)
            for d in range(dim):
                diff = Y[j, d] - Y[k, d]
                d2 += diff * diff
            if d2 > 0.0:
                p = d2 ** b
                g = -two_ab * (p / d2) / (a * p + np.float32(1.0))
            else:
                g = np.float32(0.0)
            for d in range(dim):
                step = _clip(g * (Y[j, d] - Y[k, d])) * alpha
                Y[j, d] += step
                Y[k, d] -= step
            next_sample[i] += every[i]
            n_negative = int((epoch - next_negative[i]) / every_negative[i])
            # the negative samples of this edge all push from where its head is now, and their steps are added
            # once: the samples are independent, so the processor overlaps them (one after another, each waited
            # for the last one's step — the difference is of the order of alpha², far below the sampling noise)
            c0 = Y[j, 0]
            c1 = Y[j, 1]
            c2 = Y[j, 2] if dim == 3 else np.float32(0.0)
            s0 = np.float32(0.0)
            s1 = np.float32(0.0)
            s2 = np.float32(0.0)
            for _ in range(n_negative):
                state, r = _next(state)
                kk = np.int64((r * np.uint64(n_vertices)) >> np.uint64(32))   # r < 2³²: uniform, no division
                e0 = c0 - Y[kk, 0]
                e1 = c1 - Y[kk, 1]
                e2 = c2 - Y[kk, 2] if dim == 3 else np.float32(0.0)
                d2 = e0 * e0 + e1 * e1 + e2 * e2
                if d2 > 0.0:
                    g = two_gb / ((np.float32(0.001) + d2) * (a * d2 ** b + np.float32(1.0)))
                    s0 += _clip(g * e0)
                    s1 += _clip(g * e1)
                    s2 += _clip(g * e2)
                # d² = 0 (the head itself, or a point on top of it): umap-learn's step is zero
            Y[j, 0] += s0 * alpha
            Y[j, 1] += s1 * alpha
            if dim == 3:
                Y[j, 2] += s2 * alpha
            next_negative[i] += n_negative * every_negative[i]


def prune(graph, n_epochs: int):
    """umap-learn's edges for ``n_epochs``: COO, duplicates summed, those below max / n_epochs dropped."""
    graph = graph.tocoo(copy=True)   # the caller's graph is left as it was
    graph.sum_duplicates()
    graph.data[graph.data < graph.data.max() / float(n_epochs)] = 0.0
    graph.eliminate_zeros()
    return graph


def optimize_layout(start, graph, n_epochs: int, a: float, b: float, *, gamma: float = 1.0,
                    negative_sample_rate: int = 5, seed: int | None = None, on_epoch=None):
    """Lay out ``graph`` (umap-learn's fuzzy graph) from ``start`` (N × dims, umap-learn's scaled start) in
    ``n_epochs``. ``on_epoch(done)`` after each epoch (it may raise to stop). With a ``seed`` one thread runs and
    the result is the same every time; without, both cores run, as umap-learn's unseeded parallel mode."""
    import numba

    graph = prune(graph, n_epochs)
    Y = np.ascontiguousarray(start, dtype=np.float32).copy()
    weights = graph.data.astype(np.float64)
    samples = n_epochs * (weights / weights.max())
    every = np.where(samples > 0, float(n_epochs) / np.maximum(samples, 1e-300), -1.0)
    every_negative = every / negative_sample_rate
    next_sample, next_negative = every.copy(), every_negative.copy()
    head = graph.row.astype(np.int64)
    tail = graph.col.astype(np.int64)
    base = int(np.random.SeedSequence(seed).generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    threads = numba.get_num_threads()
    if seed is not None:
        numba.set_num_threads(1)
    try:
        for epoch in range(n_epochs):
            alpha = np.float32(1.0 if epoch == 0 else 1.0 - (epoch - 1) / n_epochs)   # as umap-learn steps it
            _epoch(Y, head, tail, every, every_negative, next_sample, next_negative, epoch, np.float32(a),
                   np.float32(b), np.float32(gamma), alpha, base, CHUNKS)
            if on_epoch is not None:
                on_epoch(epoch + 1)
    finally:
        numba.set_num_threads(threads)
    return Y


def warm() -> None:
    """Compile (or load from numba's cache) the epoch kernel for 2-D and 3-D layouts."""
    import scipy.sparse as sp

    g = sp.coo_matrix((np.ones(4, dtype=np.float32), ([0, 1, 2, 3], [1, 2, 3, 0])), shape=(4, 4))
    for dims in (2, 3):
        optimize_layout(np.random.default_rng(0).normal(size=(4, dims)), g, 2, 1.58, 0.9, seed=0)

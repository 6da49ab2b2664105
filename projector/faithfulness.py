"""How faithfully a 2D/3D map keeps the neighbourhoods of the original space.

- ``trustworthiness_continuity``: scikit-learn's trustworthiness (are a point's map neighbours
  near it in the original space?) and continuity (the same with the spaces swapped), exact up to
  ``exact_max`` points and an unbiased sample estimate with its standard error above.
- ``neighbourhood_preservation``: per point, the share of its k original neighbours that are
  among its k map neighbours.
- ``procrustes_displacement``: how far each point moved between two maps of the same points,
  after the best similarity transform of one onto the other.
- ``far_on_map``: which of a point's original neighbours the map puts far away.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from .errors import Cancelled, DataError
from .knn import METRICS, TREE_MAX_DIMS, Space, map_neighbors_of, neighbors_of
from .threads import serialised

RANK_BLOCK_BYTES = 256 << 20    # float64 products from a block of rows to all points, held at once


def trustworthiness_continuity(X, coords, k: int = 10, metric: str = "euclidean", *, exact_max: int = 20_000,
                               sample: int = 2_000, seed: int = 0, on_progress=None, should_stop=None,
                               space=None, original_neighbors=None, map_neighbors=None) -> dict:
    """Trustworthiness and continuity of the map ``coords`` of the points ``X`` at ``k`` neighbours.

    Trustworthiness is ``sklearn.manifold.trustworthiness(X, coords, n_neighbors=k, metric=metric)``
    (ranks in the original space ordered by distance, ties to the lower index); continuity is the
    same with the two spaces' roles swapped. Up to ``exact_max`` points both are exact; above, the
    per-point penalties of ``sample`` random points (exact ranks among all N) give an unbiased
    estimate and its standard error. Memory is O(N·k + one block of distances).

    Work already done can be passed in (the answer is the same): ``space``, the Euclidean
    :class:`~projector.knn.Space` of X (``knn.euclidean_space``); ``original_neighbors`` and
    ``map_neighbors``, exact N×≥k neighbour graphs of X (in ``metric``) and of the map over all
    points, sorted with ties to the lower index, as ``all_neighbors`` and ``map_neighbors`` give them.

    Returns dict(trustworthiness, continuity, exact, rows, stderr_trustworthiness, stderr_continuity).
    """
    progress = on_progress or (lambda done, total: None)
    stop = should_stop or (lambda: False)
    if metric not in METRICS:
        raise DataError(f"unknown distance {metric!r}; use 'cosine' or 'euclidean'.")
    X = np.asarray(X)
    C = np.asarray(coords, dtype=np.float64)
    if X.ndim != 2 or C.ndim != 2 or len(X) != len(C):
        raise DataError("the map must have one row of coordinates per point of the data set.")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if not (np.isfinite(X).all() and np.isfinite(C).all()):
        raise DataError("some values are not finite numbers (NaN or infinity); faithfulness needs finite ones.")
    n = len(X)
    k = int(k)
    if not 1 <= k < n / 2:
        raise DataError(f"the number of neighbours must be between 1 and {max(1, (n - 1) // 2)} for {n} points "
                        "(less than half of them).")
    exact = n <= exact_max
    if exact:
        rows = np.arange(n)
    else:
        rng = np.random.default_rng(seed)
        rows = np.sort(rng.choice(n, size=min(n, int(sample)), replace=False))
    steps = 4
    progress(0, steps)
    map_idx = _graph_rows(map_neighbors, n, k, rows)
    if map_idx is None:
        map_idx, _ = map_neighbors_of(C, rows, k)
    if stop():
        raise Cancelled()
    progress(1, steps)
    orig_idx = _graph_rows(original_neighbors, n, k, rows)
    if metric == "euclidean" and X.shape[1] > TREE_MAX_DIMS:
        # one float32 working copy (with its proven error bounds) for the neighbours and the ranks
        if space is None:
            space = Space(X, "euclidean", stop)
        elif not isinstance(space, Space) or space.metric != "euclidean" or space.n_rows != n \
                or space.X.shape != X.shape:
            raise DataError("the shared search space was built for other vectors.")
        if orig_idx is None:
            orig_idx, _ = space.neighbors(rows, k)
        progress(2, steps)
        t_pen = _penalties(_space_ranks(space, rows, map_idx, stop), k)
    else:
        if orig_idx is None:
            orig_idx, _ = neighbors_of(X, rows, k, metric, should_stop=stop)
        progress(2, steps)
        t_pen = _penalties(_original_ranks(X, rows, map_idx, metric, stop), k)
    progress(3, steps)
    c_pen = _penalties(_map_ranks(C, rows, orig_idx, stop), k)
    progress(4, steps)
    norm = 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0))
    out = {"exact": bool(exact), "rows": len(rows)}
    for name, pen in (("trustworthiness", t_pen), ("continuity", c_pen)):
        if exact:
            out[name] = float(1.0 - norm * pen.sum())
            out[f"stderr_{name}"] = 0.0
        else:
            s = len(pen)
            out[name] = float(1.0 - norm * n * pen.mean())
            fpc = np.sqrt(max(0.0, 1.0 - s / n))    # sampled without replacement
            sd = pen.std(ddof=1) if s > 1 else 0.0
            out[f"stderr_{name}"] = float(norm * n * sd / np.sqrt(s) * fpc)
    return out


def _graph_rows(graph, n, k, rows):
    """The sampled rows' k neighbours from a given N×≥k graph (its first k columns), or None."""
    if graph is None:
        return None
    G = np.asarray(graph)
    if G.ndim != 2 or len(G) != n or G.shape[1] < k:
        raise DataError(f"a neighbour graph given must have one row per point and at least {k} columns.")
    return np.ascontiguousarray(G[rows, :k], dtype=np.int64)


def _penalties(ranks, k):
    return np.maximum(ranks - k, 0).sum(axis=1).astype(np.float64)


def _original_ranks(X, rows, targets, metric, stop):
    """Rank (1 = nearest) of each ``targets[r]`` among all points by distance from ``rows[r]`` in X."""
    n, d = X.shape
    U = np.asarray(X, dtype=np.float64)
    if metric == "cosine":
        norms = np.sqrt(np.einsum("ij,ij->i", U, U))
        U = np.divide(U, norms[:, None], out=np.zeros_like(U), where=norms[:, None] > 0)   # zero rows stay zero
    sq = np.einsum("ij,ij->i", U, U)
    step = max(1, RANK_BLOCK_BYTES // (8 * n))
    ranks = np.empty(targets.shape, dtype=np.int64)
    for s in range(0, len(rows), step):
        if stop():
            raise Cancelled()
        part = rows[s:s + step]
        # cosine: 1 − u·v (a zero row is 1 from everything, as the neighbours have it); else |x|² + |y|² − 2x·y
        if d <= 16:   # few dimensions: products on the fly, no block of them in memory
            _rank_direct(U, sq, part, targets[s:s + step], metric == "cosine", ranks[s:s + step])
        else:
            _rank_products(U[part] @ U.T, sq, part, targets[s:s + step], metric == "cosine", ranks[s:s + step])
    return ranks


def _space_ranks(space, rows, targets, stop):
    """Exact ranks as :func:`_original_ranks` gives them (Euclidean), from float32 products with error bounds.

    A point whose float32 distance is farther from a target's than the products' error bound is
    counted (or not) at once; the few within it are compared by their exact float64 distances.
    Groups of points that the space's lower bounds put farther than every target of a row are
    passed over: none of their points is closer than a target, nor tied with one.
    """
    n = space.n_rows
    pos = space.inverse[rows]
    tpos = space.inverse[targets]
    sq, rn, err = space.sq, space.rn, space.err
    big_sq, big_rn, big_err = sq.max(), rn.max(), err.max()
    c = err + big_err
    # the largest error of any pair from each row (see knn._merge)
    emax = space.gamma * (sq + big_sq) + c * (2.0 * (rn + big_rn + c) + c) + 4e-15 * (sq + big_sq)
    below = np.zeros(targets.shape, dtype=np.int64)
    dt = np.empty(targets.shape)        # each target's exact (scaled) distance, once
    _target_distances(space.X, space.scale, space.ids, pos, tpos, dt)
    if space.Z is None:
        step = max(1, (256 << 20) // (4 * n))
        for s in range(0, len(rows), step):
            if stop():
                raise Cancelled()
            sub = np.arange(s, min(len(rows), s + step))
            _count_float32(space.W[pos[sub]] @ space.W.T, 0, sub, pos, tpos, sq, rn, err, space.gamma, emax, dt,
                           space.X, space.scale, space.search_scale, space.ids, below)
        return 1 + below
    # the farthest target of each row (exact, squared, in the products' units), with a wide margin
    reach = (dt.max(axis=1) / space.scale * space.search_scale) ** 2 * (1 + 1e-6) + 2.0 * emax[pos] + 1e-300
    need = np.empty((len(rows), len(space.starts) - 1), dtype=bool)
    for s in range(0, len(rows), 1024):
        need[s:s + 1024] = space.lower_bounds(pos[s:s + 1024]) <= reach[s:s + 1024, None]
    Q = space.W[pos]
    for g in range(len(space.starts) - 1):
        if stop():
            raise Cancelled()
        a, b = int(space.starts[g]), int(space.starts[g + 1])
        sub = np.flatnonzero(need[:, g])
        if not len(sub) or b == a:
            continue
        # a group no row needs holds no point closer than (or tied with) any of that row's targets
        _count_float32(Q[sub] @ space.W[a:b].T, a, sub, pos, tpos, sq, rn, err, space.gamma, emax, dt, space.X,
                       space.scale, space.search_scale, space.ids, below)
    return 1 + below


@serialised
@njit(parallel=True, cache=True, nogil=True)
def _count_float32(prod, start, sub, pos, tpos, sq, rn, err, gamma, emax, dts, X, scale, wscale, ids, below):
    """below[r, t] += points among positions start… (the products' columns) closer to row r than its target t
    (ties: lower id)."""
    n = prod.shape[1]
    k = tpos.shape[1]
    for i in prange(prod.shape[0]):
        r = sub[i]
        q = pos[r]
        vals = np.empty(n)
        sqq = sq[q]
        for l in range(n):
            vals[l] = sqq + sq[start + l] - 2.0 * np.float64(prod[i, l])
        if start <= q < start + n:
            vals[q - start] = np.inf                # the point itself is nobody's neighbour
        e = emax[q]
        for t in range(k):
            j = tpos[r, t]
            dt = dts[r, t]
            v = (dt / scale * wscale) ** 2          # the target's exact squared distance, in the products' units
            lo = v * (1 - 1e-9) - e
            hi = v * (1 + 1e-9) + e
            cnt = 0
            upto = 0
            for l in range(n):
                cnt += vals[l] < lo
                upto += vals[l] <= hi
            if upto > cnt:                          # within the largest error bound: this pair's own bound,
                for l in range(n):                  # then (still within it) the exact distances decide
                    if lo <= vals[l] <= hi:
                        y = start + l
                        c = err[q] + err[y]
                        ey = gamma * (sqq + sq[y]) + c * (2.0 * (rn[q] + rn[y] + c) + c) + 4e-15 * (sqq + sq[y])
                        if vals[l] < v * (1 - 1e-9) - ey:
                            cnt += 1
                        elif vals[l] <= v * (1 + 1e-9) + ey:
                            dl = _exact_scaled(X, scale, ids[q], ids[y])
                            if dl < dt or (dl == dt and ids[y] < ids[j]):
                                cnt += 1
            below[r, t] += cnt


@serialised
@njit(parallel=True, cache=True, nogil=True)
def _target_distances(X, scale, ids, pos, tpos, out):
    for r in prange(tpos.shape[0]):
        for t in range(tpos.shape[1]):
            out[r, t] = _exact_scaled(X, scale, ids[pos[r]], ids[tpos[r, t]])


@njit(cache=True, nogil=True, fastmath=True)
def _exact_scaled(X, scale, a, b):
    """√Σ(x − y)² of two rows of X times a power of two (the same sum for the same rows, every time)."""
    s = 0.0
    for j in range(X.shape[1]):
        t = (np.float64(X[a, j]) - np.float64(X[b, j])) * scale
        s += t * t
    return np.sqrt(s)


def _map_ranks(C, rows, targets, stop):
    """Rank of each ``targets[r]`` among all points by map distance from ``rows[r]``."""
    ranks = np.empty(targets.shape, dtype=np.int64)
    for s in range(0, len(rows), 1024):
        if stop():
            raise Cancelled()
        _rank_map(C, rows[s:s + 1024], targets[s:s + 1024], ranks[s:s + 1024])
    return ranks


@serialised
@njit(parallel=True, cache=True, nogil=True)
def _rank_products(prod, sq, rows, targets, cosine, out):
    for r in prange(prod.shape[0]):
        i = rows[r]
        vals = np.empty(prod.shape[1])
        for l in range(prod.shape[1]):
            vals[l] = 1.0 - prod[r, l] if cosine else sq[i] + sq[l] - 2.0 * prod[r, l]
        _rank_in_row(vals, i, targets[r], out[r])


@serialised
@njit(parallel=True, cache=True, nogil=True)
def _rank_direct(U, sq, rows, targets, cosine, out):
    n, d = U.shape
    for r in prange(len(rows)):
        i = rows[r]
        vals = np.empty(n)
        for l in range(n):
            p = 0.0
            for j in range(d):
                p += U[i, j] * U[l, j]
            vals[l] = 1.0 - p if cosine else sq[i] + sq[l] - 2.0 * p
        _rank_in_row(vals, i, targets[r], out[r])


@serialised
@njit(parallel=True, cache=True, nogil=True)
def _rank_map(C, rows, targets, out):
    n, d = C.shape
    for r in prange(len(rows)):
        i = rows[r]
        vals = np.empty(n)
        for l in range(n):
            s = 0.0
            for j in range(d):
                t = C[i, j] - C[l, j]
                s += t * t
            vals[l] = s
        _rank_in_row(vals, i, targets[r], out[r])


@njit(cache=True, nogil=True, fastmath=False)
def _rank_in_row(vals, i, targets, out):
    """out[t] = 1 + #{l ≠ i : (vals[l], l) < (vals[j], j)} for j = targets[t] (ties to the lower index).

    One branch-free counting pass per target (k passes of N compares vectorise far better than one
    pass with a search per point).
    """
    vals[i] = np.inf                        # the point itself is nobody's neighbour
    n = len(vals)
    for t in range(len(targets)):
        j = targets[t]
        v = vals[j]
        below = 0
        for l in range(n):
            below += vals[l] < v
        tied = 0
        for l in range(j):
            tied += vals[l] == v
        out[t] = 1 + below + tied


def neighbourhood_preservation(original_indices, map_indices) -> np.ndarray:
    """Per point (float64 N), the share of its k original neighbours that are among its k map neighbours."""
    A = np.asarray(original_indices)
    B = np.asarray(map_indices)
    if A.ndim != 2 or A.shape != B.shape or A.shape[1] < 1:
        raise DataError("neighbourhood preservation needs two N×k neighbour tables of the same shape.")
    k = A.shape[1]
    out = np.empty(len(A), dtype=np.float64)
    step = max(1, (64 << 20) // (k * k))
    for s in range(0, len(A), step):
        a, b = A[s:s + step], B[s:s + step]
        out[s:s + step] = (a[:, :, None] == b[:, None, :]).any(axis=2).sum(axis=1) / k
    return out


def procrustes_displacement(reference, other):
    """How far each point of ``other`` is from its place in ``reference`` once ``other`` is aligned onto it.

    The alignment is the best translation, rotation/reflection and uniform scale (least squares,
    ``scipy.linalg.orthogonal_procrustes``). Returns (per-point float64 N, median), each distance
    divided by the reference's RMS distance from its centroid.
    """
    from .compare import procrustes_align

    A = np.asarray(reference, dtype=np.float64)
    B = np.asarray(other, dtype=np.float64)
    if A.ndim != 2 or A.shape != B.shape or len(A) < 2:
        raise DataError("the two maps must place the same points (at least 2) in the same number of dimensions.")
    if not (np.isfinite(A).all() and np.isfinite(B).all()):
        raise DataError("some coordinates are not finite numbers; the maps cannot be compared.")
    return moves(A, procrustes_align(A, B))


def moves(reference, aligned) -> tuple[np.ndarray, float]:
    """(per point, median): each point's distance from ``reference`` to ``aligned`` (a map already moved onto
    it), in units of the reference's RMS distance from its centroid."""
    A = np.asarray(reference, dtype=np.float64)
    A0 = A - A.mean(axis=0)
    rms = float(np.sqrt(np.mean(np.einsum("ij,ij->i", A0, A0))))
    if rms == 0:
        raise DataError("the reference map puts every point at one spot; there is nothing to compare against.")
    gap = np.asarray(aligned, dtype=np.float64) - A
    per_point = np.sqrt(np.einsum("ij,ij->i", gap, gap)) / rms
    return per_point, float(np.median(per_point))


def far_on_map(coords, anchor: int, neighbor_indices, k: int) -> list[int]:
    """Those of ``anchor``'s original neighbours whose rank by map distance from it is beyond ``k``.

    Ranks count all other points of ``coords`` (1 = nearest, ties to the lower index); the
    neighbours come back in the order given.
    """
    C = np.asarray(coords, dtype=np.float64)
    n = len(C)
    anchor = int(anchor)
    if not 0 <= anchor < n:
        raise DataError(f"point {anchor} does not exist; the map has points 0 to {n - 1}.")
    nb = np.asarray(neighbor_indices, dtype=np.int64).reshape(-1)
    if nb.size == 0:
        return []
    if nb.min() < 0 or nb.max() >= n:
        raise DataError("some neighbours name points that do not exist on this map.")
    d = np.square(C - C[anchor]).sum(axis=1)
    d[anchor] = np.inf
    ranks = np.empty(len(nb), dtype=np.int64)
    ids = np.arange(n)
    for t, j in enumerate(nb):
        ranks[t] = 1 + int(np.count_nonzero((d < d[j]) | ((d == d[j]) & (ids < j))))
    return [int(j) for j, r in zip(nb, ranks) if r > k]

"""Exact k nearest neighbours of every point, in the original space and on the map.

``all_neighbors`` finds candidates with float32 matrix products, block by block, and re-scores in
float64 every candidate that float32 rounding could have misplaced, so the answer is the exact one
(ties to the lower index) — also on duplicates and near-ties. Above ``PRUNE_MIN_POINTS`` points
the rows are grouped (k-means on a projection onto their top principal directions) and a group of
candidates is skipped for a block of queries when a lower bound proves none of it can be among
their k nearest: ‖x − y‖² ≥ ‖P(x − y)‖² + (‖Rx‖ − ‖Ry‖)² for the projection P and its residual R.
Where nothing can be pruned this is the plain full scan, at about the same cost.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .errors import Cancelled, DataError
from .threads import serialised

METRICS = ("euclidean", "cosine")
BLOCK_BYTES = 512 << 20      # float32 distances held at once, per block of queries
MAX_BUFFER = 4096            # candidates kept per query at most; beyond, every row is scored exactly
QUERY_ROWS = 1024            # queries per block; a cancel is noticed between blocks
BATCH_COLUMNS = 8192         # candidates gathered into one product, at most …
FIRST_COLUMNS = 2048         # … once this many have been scored group by group
GROUP_ROWS = 1024            # points per group of candidates, when the rows are grouped
PRUNE_MIN_POINTS = 8192      # fewer points than this: a plain blocked scan
TREE_MAX_DIMS = 8             # up to this many dimensions a k-d tree (euclidean)
PRUNE_DIMS = 32              # principal directions of the lower bound
PRUNE_SAMPLE = 10_000        # rows the principal directions are estimated from (any orthonormal ones are valid)
U32 = 2.0 ** -24             # float32 unit roundoff


def all_neighbors(X, k: int, metric: str = "euclidean", *, on_progress=None, should_stop=None, space=None):
    """The exact ``k`` nearest neighbours of every row among all rows: (indices int32 N×k, distances float32 N×k).

    The row itself is excluded; each row is sorted by ascending distance, ties to the lower index.
    ``metric`` is "euclidean" or "cosine" (1 − cosine similarity; a zero row is at distance 1 from
    everything). Distances are the float64 ones, rounded to float32 at the end. ``space``: a
    Euclidean :class:`Space` of these X (see :func:`euclidean_space`) to search instead of building one.
    """
    X, k, metric = _checked(X, k, metric)
    idx, dist = neighbors_of(X, np.arange(len(X)), k, metric, on_progress, should_stop, space=space)
    return idx.astype(np.int32), dist.astype(np.float32)


def euclidean_space(X, should_stop=None):
    """The Euclidean :class:`Space` that :func:`all_neighbors` would search for ``X``, or None where it uses none
    (cosine goes through its own; up to ``TREE_MAX_DIMS`` dimensions a k-d tree). It can be shared with
    :func:`projector.faithfulness.trustworthiness_continuity`."""
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] <= TREE_MAX_DIMS or len(X) < 2:
        return None
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if not np.isfinite(X).all():
        raise DataError("some values are not finite numbers (NaN or infinity); neighbours need finite vectors.")
    return Space(X, "euclidean", should_stop or (lambda: False))


def neighbors_of(X, rows, k, metric="euclidean", on_progress=None, should_stop=None, space=None):
    """The exact k nearest neighbours among all rows of X of the given ``rows``: (int64 ids, float64 distances)."""
    progress = on_progress or (lambda done, total: None)
    stop = should_stop or (lambda: False)
    rows = np.asarray(rows, dtype=np.int64)
    if space is not None and metric == "euclidean" and X.shape[1] > TREE_MAX_DIMS:
        _check_space(space, X)
        return space.neighbors(rows, k, progress)
    if metric == "cosine":
        return _cosine(X, rows, k, progress, stop)
    if X.shape[1] <= TREE_MAX_DIMS:
        # few dimensions: a k-d tree finds the candidates far faster than any scan
        if stop():
            raise Cancelled()
        idx, dist = map_neighbors_of(X, rows, k)
        progress(len(rows), len(rows))
        return idx, dist
    return Space(X, metric, stop).neighbors(rows, k, progress)


def map_neighbors(coords, k: int):
    """The exact ``k`` nearest neighbours of every point of a 2D/3D map: (indices int32 N×k, distances float32 N×k).

    Same conventions as :func:`all_neighbors` (Euclidean, self excluded, ties to the lower index).
    """
    C, k, _ = _checked(coords, k, "euclidean")
    idx, dist = map_neighbors_of(C, np.arange(len(C)), k)
    return idx.astype(np.int32), dist.astype(np.float32)


def map_neighbors_of(coords, rows, k):
    """The exact k nearest map neighbours of the given ``rows``: (int64 ids, float64 distances)."""
    from scipy.spatial import cKDTree

    C = np.ascontiguousarray(coords, dtype=np.float64)
    rows = np.asarray(rows, dtype=np.int64)
    n = len(C)
    tree = cKDTree(C)
    extra = min(n - 1 - k, 8)
    idx = np.empty((len(rows), k), dtype=np.int64)
    dist = np.empty((len(rows), k), dtype=np.float64)
    for s in range(0, len(rows), 65_536):
        part = rows[s:s + 65_536]
        _, found = tree.query(C[part], k=k + 1 + extra, workers=-1)
        cand = np.asarray(found, dtype=np.int64).reshape(len(part), -1)
        d = _map_distances(C, part, cand)
        d[cand == part[:, None]] = np.inf
        order = np.lexsort((cand, d), axis=-1)
        cand, d = np.take_along_axis(cand, order, 1), np.take_along_axis(d, order, 1)
        idx[s:s + len(part)], dist[s:s + len(part)] = cand[:, :k], d[:, :k]
        if cand.shape[1] == n:
            continue   # every point was returned: nothing can be missing
        # The farthest point returned within rounding of the k-th: a tie may reach past what the tree
        # returned, so ask for every point at that distance.
        last = np.where(np.isfinite(d[:, -1]), d[:, -1], d[:, -2])
        for r in np.flatnonzero(last <= d[:, k - 1] * (1 + 1e-9) + 1e-300):
            i = int(part[r])
            near = np.asarray(tree.query_ball_point(C[i], d[r, k - 1] * (1 + 1e-9) + 1e-300), dtype=np.int64)
            near = near[near != i]
            dn = _map_distances(C, np.array([i]), near[None])[0]
            o = np.lexsort((near, dn))[:k]
            idx[s + r], dist[s + r] = near[o], dn[o]
    return idx, dist


def _map_distances(C, rows, cand):
    diff = C[cand] - C[rows][:, None, :]
    return np.sqrt(np.square(diff).sum(axis=-1))


def _checked(X, k, metric):
    if metric not in METRICS:
        raise DataError(f"unknown distance {metric!r}; use 'cosine' or 'euclidean'.")
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise DataError("neighbours need a table of points: one row per point, at least one column.")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    n = len(X)
    if isinstance(k, bool) or int(k) != k or k < 1:
        raise DataError("the number of neighbours must be a whole number of at least 1.")
    k = int(k)
    if k >= n:
        raise DataError(f"the data set has only {n} points; use k of at most {n - 1}.")
    if not np.isfinite(X).all():
        raise DataError("some values are not finite numbers (NaN or infinity); neighbours need finite vectors.")
    return X, k, metric


def _check_space(space, X):
    if not isinstance(space, Space) or space.metric != "euclidean" or space.n_rows != len(X) \
            or space.X.shape != X.shape or len(space.inverse) != len(X):
        raise DataError("the shared search space was built for other vectors.")


def _cosine(X, rows, k, progress, stop):
    """Cosine neighbours: Euclidean ones of the unit vectors, with zero rows (distance 1 to all) merged in."""
    is_zero = ~np.any(X != 0, axis=1)
    nonzero = np.flatnonzero(~is_zero)
    first_zeros = np.flatnonzero(is_zero)[:k]
    idx = np.empty((len(rows), k), dtype=np.int64)
    dist = np.empty((len(rows), k), dtype=np.float64)
    zq = is_zero[rows]
    for r in np.flatnonzero(zq):   # every other row is at distance 1: the lowest indices win
        others = np.arange(k + 1)
        idx[r] = others[others != rows[r]][:k]
        dist[r] = 1.0
    qn = np.flatnonzero(~zq)
    if len(qn):
        kk = min(k, len(nonzero) - 1)
        if kk >= 1:
            cand, sub_dist = Space(X, "cosine", stop, rows=nonzero).neighbors(rows[qn], kk, progress)
        else:
            cand, sub_dist = np.empty((len(qn), 0), np.int64), np.empty((len(qn), 0))
        cand = np.hstack([cand, np.broadcast_to(first_zeros, (len(qn), len(first_zeros)))])
        d = np.hstack([sub_dist, np.ones((len(qn), len(first_zeros)))])
        order = np.lexsort((cand, d), axis=-1)[:, :k]
        idx[qn] = np.take_along_axis(cand, order, 1)
        dist[qn] = np.take_along_axis(d, order, 1)
    progress(len(rows), len(rows))
    return idx, dist


class Space:
    """The rows of ``X`` (or ``X[rows]``) as a float32 working copy with proven error bounds, grouped for pruning.

    Positions (0…len−1) index the working copy in group order; ``ids[pos]`` is the row of ``X``.
    """

    def __init__(self, X, metric: str, stop=lambda: False, rows=None, group_rows=None):
        self.X, self.metric, self.stop = X, metric, stop
        ids = np.arange(len(X)) if rows is None else np.asarray(rows, dtype=np.int64)
        n, d = len(ids), X.shape[1]
        # Exact float64 distances are taken of X times a power of two (exact), so no square overflows.
        top = float(np.max(np.abs(X))) if X.size else 0.0
        self.scale = 2.0 ** -math.ceil(math.log2(top)) if top > 0 else 1.0
        self.row_norms = _row_norms(X, self.scale) if metric == "cosine" else np.zeros(1)
        if metric == "euclidean" and rows is None:
            # any centre will do (distances do not move); float32's own keeps W one rounding from exact
            centre = (X.sum(axis=0, dtype=np.float64) / max(1, n)).astype(X.dtype)
            spread = float(max(np.max(X.max(axis=0) - centre), np.max(centre - X.min(axis=0))))
            wscale = 2.0 ** -math.ceil(math.log2(spread)) if spread > 0 else 1.0
            W = np.empty((n, d), dtype=np.float32)
            for s in range(0, n, 16_384):
                W[s:s + 16_384] = (X[s:s + 16_384] - centre) * X.dtype.type(wscale)
        else:
            mean = np.zeros(d, dtype=np.float64)
            for s in range(0, n, 8192):
                mean += self._rows64(ids[s:s + 8192]).sum(axis=0)
            mean /= max(1, n)
            spread = 0.0
            for s in range(0, n, 8192):
                spread = max(spread, float(np.max(np.abs(self._rows64(ids[s:s + 8192]) - mean), initial=0.0)))
            wscale = 2.0 ** -math.ceil(math.log2(spread)) if spread > 0 else 1.0
            W = np.empty((n, d), dtype=np.float32)
            for s in range(0, n, 8192):
                W[s:s + 8192] = (self._rows64(ids[s:s + 8192]) - mean) * wscale
        self.search_scale = wscale
        groups = None
        if n >= PRUNE_MIN_POINTS and d > 1:
            if stop():
                raise Cancelled()
            groups, Z, _ = _partition(W, stop, group_rows or GROUP_ROWS)
        if groups is not None:
            order = np.argsort(groups, kind="stable")
            W = W[order]
            Z = Z[order]
            ids = ids[order]
            groups = groups[order]
        self.W, self.ids, self.n_rows = W, ids, n
        self.inverse = np.full(len(X), -1, dtype=np.int64)
        self.inverse[ids] = np.arange(n)
        self.sq = np.einsum("ij,ij->i", W, W, dtype=np.float64)
        self.rn = np.sqrt(self.sq)
        # |w − a| for the exact scaled, centred row a: float32 rounding of each value (and float64 before it).
        self.err = 2.0 ** -23 * np.sqrt(self.sq) + 1e-12 * math.sqrt(float(self.sq.max(initial=0.0))) + 1e-300
        if metric == "cosine":
            self.err += 1e-12 * wscale * 4   # the float64 unit vectors themselves are off by ~D·2⁻⁵³
        self.gamma = d * U32 / (1 - d * U32) + 1e-14
        if groups is None:
            self.starts = np.array([0, n], dtype=np.int64)
            self.Z = None
        else:
            self.starts = np.searchsorted(groups, np.arange(groups.max() + 2)).astype(np.int64)
            self._group_bounds(Z)

    def _rows64(self, rows):
        V = np.asarray(self.X[rows], dtype=np.float64) * self.scale
        if self.metric == "cosine":
            V /= self.row_norms[rows, None]
        return V

    def _group_bounds(self, Z):
        """Per group: centre and radius of its projections, range of its residual norms, largest error."""
        G = len(self.starts) - 1
        self.Z = Z
        zsq = np.einsum("ij,ij->i", Z, Z)
        slack = 1e-12 * (self.sq + 1e-300)
        res2 = np.maximum(self.sq - zsq, 0.0)
        self.r_lo = np.sqrt(np.maximum(res2 - slack, 0.0))
        self.r_hi = np.sqrt(res2 + slack)
        m = Z.shape[1]
        self.centre = np.empty((G, m))
        self.radius = np.empty(G)
        self.g_rlo, self.g_rhi, self.g_err = np.empty(G), np.empty(G), np.empty(G)
        for g in range(G):
            a, b = self.starts[g], self.starts[g + 1]
            c = Z[a:b].mean(axis=0)
            self.centre[g] = c
            self.radius[g] = np.sqrt(np.max(np.square(Z[a:b] - c).sum(axis=1))) * (1 + 1e-12) + 1e-300
            self.g_rlo[g], self.g_rhi[g] = self.r_lo[a:b].min(), self.r_hi[a:b].max()
            self.g_err[g] = self.err[a:b].max()
        self.csq = np.einsum("ij,ij->i", self.centre, self.centre)
        # Along the line between two groups' centres the members spread far less than the balls'
        # radii: |⟨z_q − z_y, u⟩| ≤ ‖z_q − z_y‖ for the unit vector u from group g's centre to h's.
        self.group_of = np.repeat(np.arange(G), np.diff(self.starts))
        diff = self.centre[None, :, :] - self.centre[:, None, :]            # [g, h] = c_h − c_g
        length = np.sqrt(np.einsum("ghm,ghm->gh", diff, diff))
        self.axis_len = length
        self.axis = np.divide(diff, length[:, :, None], out=np.zeros_like(diff), where=length[:, :, None] > 0)
        self.axis_lo = np.empty((G, G))
        self.axis_hi = np.empty((G, G))
        for h in range(G):
            a, b = self.starts[h], self.starts[h + 1]
            proj = Z[a:b] @ self.axis[:, h, :].T                            # members of h on every g→h axis
            self.axis_lo[:, h] = proj.min(axis=0)
            self.axis_hi[:, h] = proj.max(axis=0)
        self.znorm = np.sqrt(zsq)

    def lower_bounds(self, pos):
        """Squared lower bounds (chunk × groups) on the exact scaled distance from each position to any group member."""
        pos = np.asarray(pos, dtype=np.int64)
        zc = self.Z[pos] @ self.centre.T
        out = np.empty_like(zc)
        _lower_bounds(zc, pos, self.group_of, self.znorm, self.csq, self.radius, self.axis_len, self.axis_lo,
                      self.axis_hi, self.r_lo, self.r_hi, self.g_rlo, self.g_rhi, self.err, self.g_err, out)
        return out

    def neighbors(self, rows, k, progress=lambda done, total: None):
        """Exact k nearest (row ids of X, float64 distances) of the given rows of X, in the order given."""
        pos = self.inverse[np.asarray(rows, dtype=np.int64)]
        total = len(pos)
        idx = np.empty((total, k), dtype=np.int64)
        dist = np.empty((total, k), dtype=np.float64)
        order = np.argsort(pos, kind="stable")   # queries of one group together: their bounds prune alike
        for s in range(0, total, QUERY_ROWS):
            if self.stop():
                raise Cancelled()
            sel = order[s:s + QUERY_ROWS]
            idx[sel], dist[sel] = self._block(pos[sel], k)
            progress(min(total, s + QUERY_ROWS), total)
        return idx, dist

    def _block(self, qpos, k, extra=None):
        extra = extra or max(8, k // 2)
        K = min(k + extra, self.n_rows - 1)
        lo_d, lo_i, hi_top = self._candidates(qpos, k, K)
        T = hi_top[:, k - 1]
        # A full buffer whose last lower end is within the k-th upper end may have dropped a contender.
        unsafe = (lo_d[:, K - 1] <= T) if K < self.n_rows - 1 else np.zeros(len(qpos), dtype=bool)
        idx, dist = self._finish(qpos, k, lo_d, lo_i, T, ~unsafe)
        if unsafe.any():   # more near-ties than the buffer holds: those queries again, with a larger one
            sub = np.flatnonzero(unsafe)
            if k + extra * 4 <= MAX_BUFFER:
                idx[sub], dist[sub] = self._block(qpos[sub], k, extra * 4)
            else:             # thousands of (near-)copies: every row scored exactly, a few queries at a time
                idx[sub], dist[sub] = self._everything(qpos[sub], k)
        return idx, dist

    def _everything(self, qpos, k):
        idx = np.empty((len(qpos), k), dtype=np.int64)
        dist = np.empty((len(qpos), k))
        step = max(1, (64 << 20) // (8 * self.n_rows))
        everyone = np.arange(self.n_rows, dtype=np.int64)
        for s in range(0, len(qpos), step):
            if self.stop():
                raise Cancelled()
            q = qpos[s:s + step]
            cand = np.concatenate([everyone[everyone != p] for p in q])
            ptr = np.arange(len(q) + 1, dtype=np.int64) * (self.n_rows - 1)
            idx[s:s + step], dist[s:s + step] = self._exact_topk(q, k, ptr, cand)
        return idx, dist

    def _candidates(self, qpos, k, K):
        nq = len(qpos)
        lo_d = np.full((nq, K), np.inf)
        lo_i = np.full((nq, K), -1, dtype=np.int64)
        hi_top = np.full((nq, k), np.inf)
        Q = self.W[qpos]
        G = len(self.starts) - 1
        cap = max(256, BLOCK_BYTES // (4 * max(1, nq)))
        if self.Z is None:
            plan = [(g, None) for g in range(G)]
            lb = None
        else:
            lb = self.lower_bounds(qpos)
            first = np.min(lb, axis=0)
            plan = [(int(g), None) for g in np.argsort(first, kind="stable")]
        order = [g for g, _ in plan if self.starts[g + 1] > self.starts[g]]
        seen = 0
        while order:
            # The nearest groups one by one first (they set the buffers' bounds), then the groups still
            # needed a batch at a time: few large calls keep both cores busy when other work shares them.
            T = hi_top[:, k - 1]
            if lb is not None:
                order = [g for g in order if np.any(lb[:, g] <= T)]
                if not order:
                    break
            take, width = [], 0
            for g in order:
                size = int(self.starts[g + 1] - self.starts[g])
                if take and (seen < FIRST_COLUMNS or width + size > min(cap, BATCH_COLUMNS)):
                    break
                take.append(g)
                width += size
            order = order[len(take):]
            seen += width
            rows = np.arange(nq)
            if lb is not None:
                need = np.any(lb[:, take] <= T[:, None], axis=1)
                if need.sum() < nq:
                    rows = np.flatnonzero(need)
            Qr = Q if len(rows) == nq else Q[rows]
            if len(take) == 1:
                a, b = int(self.starts[take[0]]), int(self.starts[take[0] + 1])
                for c0 in range(a, b, cap):
                    c1 = min(b, c0 + cap)
                    _merge(Qr @ self.W[c0:c1].T, rows, qpos, np.arange(c0, c1), self.sq, self.rn, self.err,
                           self.gamma, lo_d, lo_i, hi_top)
            else:
                cols = np.concatenate([np.arange(self.starts[g], self.starts[g + 1]) for g in take])
                _merge(Qr @ self.W[cols].T, rows, qpos, cols, self.sq, self.rn, self.err, self.gamma,
                       lo_d, lo_i, hi_top)
        return lo_d, lo_i, hi_top

    def _finish(self, qpos, k, lo_d, lo_i, T, rows_done):
        keep = (lo_d <= T[:, None]) & (lo_i >= 0) & rows_done[:, None]
        ptr = np.concatenate([[0], np.cumsum(keep.sum(axis=1))]).astype(np.int64)
        return self._exact_topk(qpos, k, ptr, lo_i[keep])

    def _exact_topk(self, qpos, k, ptr, cand):
        cid = self.ids[cand]
        d = np.empty(len(cand), dtype=np.float64)
        _exact(self.X, self.scale, self.ids[qpos], ptr, cid, self.metric == "cosine", self.row_norms, d)
        idx = np.full((len(qpos), k), -1, dtype=np.int64)
        dist = np.full((len(qpos), k), np.inf)
        _select(ptr, cid, d, k, idx, dist)
        if self.metric == "euclidean":
            dist = dist / self.scale
        return idx, dist

    def exact_distances(self, qid, ptr, cid):
        """Exact float64 distances from rows ``qid[r]`` to rows ``cid[ptr[r]:ptr[r+1]]`` of X."""
        d = np.empty(len(cid), dtype=np.float64)
        _exact(self.X, self.scale, np.asarray(qid, np.int64), np.asarray(ptr, np.int64), np.asarray(cid, np.int64),
               self.metric == "cosine", self.row_norms, d)
        return d / self.scale if self.metric == "euclidean" else d


def _partition(W, stop, group_rows):
    """Group labels (k-means on the top principal directions), the projections (float64) and the directions."""
    import faiss
    from scipy.linalg import eigh

    n, d = W.shape
    m = min(PRUNE_DIMS, d)
    rng = np.random.default_rng(0)
    sample = W[np.sort(rng.choice(n, size=min(n, PRUNE_SAMPLE), replace=False))]
    sample = sample - sample.mean(axis=0)
    cov = (sample.T @ sample).astype(np.float64)
    _, vectors = eigh(cov, subset_by_index=(d - m, d - 1))
    V = np.ascontiguousarray(vectors[:, ::-1])   # orthonormal in float64: the bound holds for any such basis
    Z = np.empty((n, m), dtype=np.float64)
    for s in range(0, n, 16_384):
        Z[s:s + 16_384] = W[s:s + 16_384].astype(np.float64) @ V
    if stop():
        raise Cancelled()
    groups = max(1, n // group_rows)
    Zk = np.ascontiguousarray(Z[:, :min(m, 16)], dtype=np.float32)
    km = faiss.Kmeans(Zk.shape[1], groups, niter=15, seed=0, verbose=False)
    km.train(Zk)
    _, labels = km.index.search(Zk, 1)
    _, labels = np.unique(labels[:, 0], return_inverse=True)   # a centre no point chose leaves no empty group
    return labels.astype(np.int64), Z, V


def _row_norms(X, scale):
    out = np.empty(len(X), dtype=np.float64)
    _norms(X, scale, out)
    return out


@serialised
@njit(parallel=True, cache=True, nogil=True)
def _norms(X, scale, out):
    for i in prange(X.shape[0]):
        s = 0.0
        for j in range(X.shape[1]):
            v = np.float64(X[i, j]) * scale
            s += v * v
        out[i] = np.sqrt(s)


@serialised
@njit(parallel=True, cache=True, nogil=True)
def _lower_bounds(zc, pos, group_of, znorm, csq, radius, axis_len, axis_lo, axis_hi, r_lo, r_hi, g_rlo, g_rhi,
                  err, g_err, out):
    """out[r, h]: a squared lower bound on the distance from the point at ``pos[r]`` to any member of group h.

    In the projection: the larger of (distance to h's centre − h's radius) and the gap along the line
    from the point's own group centre to h's; then the gap between residual norms; then float32's
    error of the working rows taken off. ``zc`` holds z·c_h. All slacks are far above float64 rounding.
    """
    G = zc.shape[1]
    for r in prange(zc.shape[0]):
        p = pos[r]
        g = group_of[p]
        zn = znorm[p]
        zsq = zn * zn
        own = zc[r, g]
        for h in range(G):
            cn = np.sqrt(csq[h])
            d2 = zsq + csq[h] - 2.0 * zc[r, h]
            d2 -= 1e-10 * (zsq + csq[h]) + 1e-300
            proj = max(np.sqrt(max(d2, 0.0)) - radius[h], 0.0)
            length = axis_len[g, h]
            if length > 0:
                along = (zc[r, h] - own) / length
                slack = 1e-9 * (zn + cn + radius[h]) * (1.0 + cn / length)
                side = max(axis_lo[g, h] - along, along - axis_hi[g, h]) - slack
                proj = max(proj, side)
            gap = max(0.0, max(g_rlo[h] - r_hi[p], r_lo[p] - g_rhi[h]))
            lb = np.sqrt(proj * proj + gap * gap) * (1 - 1e-10) - err[p] - g_err[h]
            lb = max(lb, 0.0)
            out[r, h] = lb * lb


@serialised
@njit(parallel=True, cache=True, nogil=True, fastmath=True)
def _merge(prod, rows, qpos, cols, sq, rn, err, gamma, lo_d, lo_i, hi_top):
    """Fold one block of float32 dot products into each query's buffers.

    Each candidate's squared distance is known to lie in [d − e, d + e] (e: float32 rounding of the
    values and of the dot product); ``hi_top`` keeps the k smallest upper ends, ``lo_d``/``lo_i`` the K
    smallest lower ends. A candidate whose lower end exceeds the k-th upper end cannot be a neighbour.
    Runs of 32 candidates that are all farther than both buffers are passed over with one vector test.
    """
    k = hi_top.shape[1]
    K = lo_d.shape[1]
    nb = prod.shape[1]
    ymax_sq = 0.0
    ymax_rn = 0.0
    ymax_err = 0.0
    half_y = np.empty(nb, dtype=np.float32)
    for b in range(nb):
        y = cols[b]
        ymax_sq = max(ymax_sq, sq[y])
        ymax_rn = max(ymax_rn, rn[y])
        ymax_err = max(ymax_err, err[y])
        half_y[b] = np.float32(0.5 * sq[y])
    for a in prange(prod.shape[0]):
        r = rows[a]
        q = qpos[r]
        nq = sq[q]
        eq = err[q]
        cm = eq + ymax_err
        # the largest error of any pair in this block: a candidate farther than both buffers by it is out
        emax = gamma * (nq + ymax_sq) + cm * (2.0 * (rn[q] + ymax_rn + cm) + cm) + 4e-15 * (nq + ymax_sq)
        loose = 1e-5 * (nq + ymax_sq)   # far above float32 rounding of the vector test's terms
        thr = max(lo_d[r, K - 1], hi_top[r, k - 1]) + emax
        pre = np.inf
        if thr == np.inf and nb > K + 1:
            # empty buffers: the block's own K-th smallest distance bounds what they will hold after it
            tmp = np.empty(nb)
            for b in range(nb):
                tmp[b] = nq + sq[cols[b]] - 2.0 * np.float64(prod[a, b]) if cols[b] != q else np.inf
            pre = np.partition(tmp, K - 1)[K - 1] + 2.0 * emax + 1e-300
            thr = pre
        for b0 in range(0, nb, 32):
            b1 = min(nb, b0 + 32)
            # dd ≤ thr  ⇔  prod ≥ (nq − thr)/2 + sq/2
            h = np.float32(0.5 * (nq - thr) - loose)
            best = np.float32(-np.inf)
            for b in range(b0, b1):
                best = max(best, prod[a, b] - half_y[b])
            if best < h:
                continue
            for b in range(b0, b1):
                y = cols[b]
                dd = nq + sq[y] - 2.0 * np.float64(prod[a, b])
                if dd > thr or y == q:
                    continue
                ny = sq[y]
                c = eq + err[y]
                e = gamma * (nq + ny) + c * (2.0 * (rn[q] + rn[y] + c) + c) + 4e-15 * (nq + ny)
                hi = dd + e
                lo = dd - e
                if hi < hi_top[r, k - 1]:
                    j = k - 1
                    while j > 0 and hi_top[r, j - 1] > hi:
                        hi_top[r, j] = hi_top[r, j - 1]
                        j -= 1
                    hi_top[r, j] = hi
                if lo < lo_d[r, K - 1]:
                    j = K - 1
                    while j > 0 and lo_d[r, j - 1] > lo:
                        lo_d[r, j] = lo_d[r, j - 1]
                        lo_i[r, j] = lo_i[r, j - 1]
                        j -= 1
                    lo_d[r, j] = lo
                    lo_i[r, j] = y
                thr = min(pre, max(lo_d[r, K - 1], hi_top[r, k - 1]) + emax)
                h = np.float32(0.5 * (nq - thr) - loose)


@serialised
@njit(parallel=True, cache=True, nogil=True, fastmath=True)
def _exact(X, scale, qid, ptr, cid, cosine, norms, out):
    """float64 distances: √Σ(x − y)², or 1 − x·y / (|x||y|) clipped to [0, 2], of the scaled rows.

    (fastmath only lets the sum be vectorised: identical rows still give identical sums, so ties stay ties.)
    """
    for r in prange(len(qid)):
        q = qid[r]
        for p in range(ptr[r], ptr[r + 1]):
            y = cid[p]
            s = 0.0
            if cosine:
                for j in range(X.shape[1]):
                    s += (np.float64(X[q, j]) * scale) * (np.float64(X[y, j]) * scale)
                v = 1.0 - s / (norms[q] * norms[y])
                out[p] = min(2.0, max(0.0, v))
            else:
                for j in range(X.shape[1]):
                    t = (np.float64(X[q, j]) - np.float64(X[y, j])) * scale
                    s += t * t
                out[p] = np.sqrt(s)


@serialised
@njit(parallel=True, cache=True, nogil=True)
def _select(ptr, cid, d, k, idx, dist):
    """Per row, the k smallest (distance, id) of its candidates, sorted."""
    for r in prange(len(ptr) - 1):
        m = 0
        for p in range(ptr[r], ptr[r + 1]):
            dv, iv = d[p], cid[p]
            if m == k and (dv > dist[r, k - 1] or (dv == dist[r, k - 1] and iv > idx[r, k - 1])):
                continue
            j = m if m < k else k - 1
            while j > 0 and (dist[r, j - 1] > dv or (dist[r, j - 1] == dv and idx[r, j - 1] > iv)):
                dist[r, j] = dist[r, j - 1]
                idx[r, j] = idx[r, j - 1]
                j -= 1
            dist[r, j] = dv
            idx[r, j] = iv
            if m < k:
                m += 1

"""Exact k nearest neighbours in the original (or spherized) space."""
from __future__ import annotations

import numpy as np

from . import quantised
from .errors import DataError

METRICS = ("cosine", "euclidean")
# Rows × dims from which the int8 scan is used: with AVX-512 VNNI it beats one float32 X·q; without it, its
# pmaddwd loop measured no faster than the float32 path on the 2-core bench machine, so it stays off.
QUANTISED_MIN_CELLS = 1 << 22 if quantised.VNNI else 1 << 62


def nearest_neighbors(dataset, index: int, k: int = 100, metric: str = "cosine", *,
                      subset=None, spherize: bool = False) -> list[tuple[int, float]]:
    """The ``k`` points closest to point ``index``, exact, as ``[(point, distance), …]``.

    Sorted by distance, ties to the lower index; the point itself is excluded. Cosine distance
    is 1 − cosine similarity (a zero vector is at distance 1 from everything). ``subset``
    restricts the candidates to those point indices.
    """
    if metric not in METRICS:
        raise DataError(f"unknown distance {metric!r}; use 'cosine' or 'euclidean'.")
    n = dataset.num_points
    index = int(index)
    if not 0 <= index < n:
        raise DataError(f"point {index} does not exist; the data set has points 0 to {n - 1}.")
    k = int(k)
    if k < 1:
        raise DataError("the number of neighbours must be at least 1.")
    X = dataset.vectors
    cand = None
    if subset is not None:
        cand = np.unique(np.asarray(subset, dtype=np.int64))
        if cand.size and (cand[0] < 0 or cand[-1] >= n):
            raise DataError("the subset names points that do not exist in this data set.")
    rows = slice(None) if cand is None else cand
    ids = np.arange(n) if cand is None else cand
    if (not dataset.extreme() and X.shape[1] <= quantised.MAX_DIM
            and len(ids) * X.shape[1] >= QUANTISED_MIN_CELLS):
        return _nearest_quantised(dataset, index, ids, k, metric, spherize)
    # Values beyond float32's comfortable range (|x| > 2³⁰, or rows below 2⁻³⁰) are scored in float64, whose
    # squares hold all of float32's range: "exact" then holds for every finite input.
    dtype = np.float64 if dataset.extreme() else np.float32
    if spherize:
        # Spherized vectors are (x − c) / |x − c|: scored from the raw vectors, the centroid and the radii,
        # so the spherized matrix is never copied (that copy would double the memory of a large set).
        centroid, radii = dataset.sphere()
        q = _spherized(np.asarray(X[index], dtype=np.float64)[None], centroid)[0].astype(dtype)
        r = radii[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            dots = np.where(r > 0, (_dots(X, rows, q) - dtype(centroid @ q)) / r, 0.0).astype(dtype)
        cand_norms = (r > 0).astype(dtype)
        qnorm = float(radii[index] > 0)
    else:
        q = np.asarray(X[index], dtype=dtype)
        norms = dataset.norms()
        dots = _dots(X, rows, q)
        cand_norms = norms[rows]
        qnorm = float(norms[index])
    lo, hi = _distance_bounds(dots, cand_norms, qnorm, metric, X.shape[1],
                              (dataset.norms()[rows], radii[rows], abs(float(centroid @ q))) if spherize else None)
    self_pos = np.flatnonzero(ids == index)
    lo[self_pos] = hi[self_pos] = np.inf
    k = min(k, len(ids) - len(self_pos))
    if k <= 0:
        return []
    # The fast pass bounds every row's distance; a row whose lower bound is beyond the k-th smallest upper
    # bound cannot be among the k nearest, every other row is re-scored in float64.
    kth = float(np.partition(hi, k - 1)[k - 1])
    pick = np.flatnonzero(lo <= kth)
    q64 = np.asarray(X[index], dtype=np.float64)
    if spherize:
        q64 = _spherized(q64[None], centroid)[0]
    return _rescored(X, ids, pick, q64, centroid if spherize else None, metric, k)


def _nearest_quantised(dataset, index: int, ids: np.ndarray, k: int, metric: str,
                       spherize: bool) -> list[tuple[int, float]]:
    """The same answer as the float32 path, from the int8 copy: see :mod:`projector.quantised`."""
    X = dataset.vectors
    centroid = dataset.sphere()[0] if spherize else None
    q64 = np.asarray(X[index], dtype=np.float64)
    if spherize:
        q64 = _spherized(q64[None], centroid)[0]
    self_pos = np.flatnonzero(ids == index)
    k = min(k, len(ids) - len(self_pos))
    if k <= 0:
        return []
    pick = quantised.candidates(_quantised_copy(dataset, spherize), ids, q64, k, metric, self_pos)
    sel = ids[pick]
    exact = np.empty(len(sel))
    V = np.ascontiguousarray(X[sel])
    if V.dtype not in (np.float32, np.float64):
        V = V.astype(np.float64)
    quantised.exact_distances(V, q64, centroid if spherize else q64, spherize, metric == "cosine", exact)
    order = np.lexsort((sel, exact))[:k]
    return [(int(sel[o]), float(exact[o])) for o in order]


def _quantised_copy(dataset, spherize: bool) -> quantised.QuantisedRows:
    """The int8 copy of the (spherized) vectors, built once per data set (N × D bytes)."""
    key = "quantised-sphere" if spherize else "quantised"
    if key not in dataset._derived:
        X = dataset.vectors
        centroid = dataset.sphere()[0] if spherize else None
        step = max(256, (16 << 20) // (8 * max(1, X.shape[1])))

        def blocks():
            for s in range(0, X.shape[0], step):
                V = np.asarray(X[s:s + step], dtype=np.float64)
                yield s, (_spherized(V, centroid) if spherize else V)

        dataset._derived[key] = quantised.quantise_rows(blocks(), X.shape[0], X.shape[1])
    return dataset._derived[key]


def _rescored(X, ids: np.ndarray, pick: np.ndarray, q64: np.ndarray, centroid, metric: str,
              k: int) -> list[tuple[int, float]]:
    """The k nearest of ``ids[pick]``, scored exactly in float64, ties to the lower index."""
    spherize = centroid is not None
    exact = np.empty(len(pick), dtype=np.float64)
    step = max(256, (16 << 20) // (8 * max(1, X.shape[1])))   # re-scored block by block: ~16 MB at a time
    for s in range(0, len(pick), step):
        V = np.asarray(X[ids[pick[s:s + step]]], dtype=np.float64)
        if spherize:
            V = _spherized(V, centroid)
        exact[s:s + len(V)] = _exact_distances(V, q64, metric)
    order = np.lexsort((ids[pick], exact))[:k]
    return [(int(ids[pick][o]), float(exact[o])) for o in order]


def _dots(X, rows, q: np.ndarray) -> np.ndarray:
    """``X[rows] @ q`` in ``q``'s precision; float64 block by block (never a float64 copy of X)."""
    if q.dtype == np.float32:
        return X[rows] @ q
    idx = np.arange(X.shape[0]) if isinstance(rows, slice) else rows
    out = np.empty(len(idx), dtype=np.float64)
    step = max(256, (16 << 20) // (8 * max(1, X.shape[1])))
    for s in range(0, len(idx), step):
        part = idx[s:s + step]
        block = X[part[0]:part[-1] + 1] if isinstance(rows, slice) else X[part]
        out[s:s + len(part)] = np.asarray(block, dtype=np.float64) @ q
    return out


def _distance_bounds(dots, cand_norms, qnorm: float, metric: str, dim: int, sphere=None):
    """(lower, upper) bounds, float64, of each row's exact distance, from ``dots`` computed in float32 (or
    float64). A dot of D terms is within γ·Σ|xᵢqᵢ| ≤ γ·|x||q| of the exact one (γ = D·u/(1 − D·u), u the unit
    round-off; D + 8 terms leave room for the norms', the conversions' and the divisions' own rounding).
    ``sphere`` = (raw row norms, radii, |c·q|): the dots are then (x·q − c·q)/r of unit vectors, whose error is
    (γ|x||q| + u|c·q|)/r — large where r is small beside |x|, which a fixed tolerance missed."""
    u = 2.0 ** -24 if dots.dtype == np.float32 else 2.0 ** -53
    g = (dim + 8) * u / (1 - (dim + 8) * u)
    d = dots.astype(np.float64)
    n = np.asarray(cand_norms, dtype=np.float64) * (1 + g)     # upper bounds of the true norms
    qn = float(qnorm) * (1 + g)
    if sphere is not None:
        raw, radii, cq = sphere
        with np.errstate(divide="ignore", invalid="ignore"):
            err = np.where(radii > 0, (g * np.asarray(raw, dtype=np.float64) * (1 + g) + 2 * g * cq) / radii, 0.0)
        err = err + g * np.abs(d)
    else:
        err = g * n * qn + g * np.abs(d)
    if metric == "cosine":
        denom = np.asarray(cand_norms, dtype=np.float64) * float(qnorm)
        with np.errstate(divide="ignore", invalid="ignore"):
            sim = np.where(denom > 0, d / denom, 0.0)
            # the norms themselves are within g: the similarity moves by at most 3g|sim| more
            slack = np.where(denom > 0, err / denom + 3 * g * np.abs(sim), 0.0) if sphere is None else err
        dist = 1.0 - sim
        return dist - slack - 4 * u, dist + slack + 4 * u
    n0, q0 = np.asarray(cand_norms, dtype=np.float64), float(qnorm)
    d2 = n0 * n0 - 2.0 * d + q0 * q0
    err2 = 2.0 * err + 3 * g * (n0 * n0 + q0 * q0) + 4 * u * (n0 * n0 + q0 * q0 + 2 * np.abs(d))
    return np.sqrt(np.maximum(d2 - err2, 0.0)), np.sqrt(np.maximum(d2 + err2, 0.0))


def _distances(dots: np.ndarray, cand_norms: np.ndarray, qnorm: float, metric: str) -> np.ndarray:
    dtype = np.float64 if dots.dtype == np.float64 else np.float32
    if metric == "cosine":
        denom = cand_norms * dtype(qnorm)
        with np.errstate(divide="ignore", invalid="ignore"):
            sim = np.where(denom > 0, dots / denom, 0.0)
        return (1.0 - sim).astype(dtype)
    d2 = cand_norms * cand_norms - 2.0 * dots + dtype(qnorm) * dtype(qnorm)
    return np.sqrt(np.maximum(d2, 0.0)).astype(dtype)


def _spherized(V: np.ndarray, centroid: np.ndarray) -> np.ndarray:
    """Rows minus the centroid, scaled to unit length (zero rows stay zero), in float64."""
    V = np.asarray(V, dtype=np.float64) - centroid
    norms = np.linalg.norm(V, axis=1)
    V[norms > 0] /= norms[norms > 0, None]
    return V


def _exact_distances(V: np.ndarray, q64: np.ndarray, metric: str) -> np.ndarray:
    if metric == "cosine":
        denom = np.linalg.norm(V, axis=1) * np.linalg.norm(q64)
        with np.errstate(divide="ignore", invalid="ignore"):
            sim = np.where(denom > 0, V @ q64 / denom, 0.0)
        return np.clip(1.0 - sim, 0.0, 2.0)
    return np.linalg.norm(V - q64, axis=1)

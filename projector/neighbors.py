"""Exact k nearest neighbours in the original (or spherized) space."""
from __future__ import annotations

import numpy as np

from .errors import DataError

METRICS = ("cosine", "euclidean")


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
    if spherize:
        # Spherized vectors are (x − c) / |x − c|: scored from the raw vectors, the centroid and the radii,
        # so the spherized matrix is never copied (that copy would double the memory of a large set).
        centroid, radii = dataset.sphere()
        q = _spherized(np.asarray(X[index], dtype=np.float64)[None], centroid)[0].astype(np.float32)
        r = radii[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            dots = np.where(r > 0, (X[rows] @ q - np.float32(centroid @ q)) / r, 0.0).astype(np.float32)
        cand_norms = (r > 0).astype(np.float32)
        qnorm = float(radii[index] > 0)
    else:
        q = np.asarray(X[index], dtype=np.float32)
        norms = dataset.norms()
        dots = X[rows] @ q
        cand_norms = norms[rows]
        qnorm = float(norms[index])
    dist = _distances(dots, cand_norms, qnorm, metric)
    ids = np.arange(n) if cand is None else cand
    self_pos = np.flatnonzero(ids == index)
    dist[self_pos] = np.inf
    k = min(k, len(ids) - len(self_pos))
    if k <= 0:
        return []
    # The float32 pass picks candidates; everything within rounding of the k-th is re-scored in float64.
    kth = np.partition(dist, k - 1)[k - 1]
    tol = 1e-4 * max(1.0, abs(float(kth)))
    pick = np.flatnonzero(dist <= kth + tol)
    pick = pick[np.isfinite(dist[pick])]
    V = np.asarray(X[ids[pick]], dtype=np.float64)
    q64 = np.asarray(X[index], dtype=np.float64)
    if spherize:
        V, q64 = _spherized(V, centroid), _spherized(q64[None], centroid)[0]
    exact = _exact_distances(V, q64, metric)
    order = np.lexsort((ids[pick], exact))[:k]
    return [(int(ids[pick][o]), float(exact[o])) for o in order]


def _distances(dots: np.ndarray, cand_norms: np.ndarray, qnorm: float, metric: str) -> np.ndarray:
    if metric == "cosine":
        denom = cand_norms * np.float32(qnorm)
        with np.errstate(divide="ignore", invalid="ignore"):
            sim = np.where(denom > 0, dots / denom, 0.0)
        return (1.0 - sim).astype(np.float32)
    d2 = cand_norms * cand_norms - 2.0 * dots + np.float32(qnorm * qnorm)
    return np.sqrt(np.maximum(d2, 0.0)).astype(np.float32)


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

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
    X = dataset.space(spherize)
    norms = dataset.norms(spherize)
    q = np.asarray(X[index], dtype=np.float32)
    if subset is None:
        cand = None
        dots = X @ q
        cand_norms = norms
    else:
        cand = np.unique(np.asarray(subset, dtype=np.int64))
        if cand.size and (cand[0] < 0 or cand[-1] >= n):
            raise DataError("the subset names points that do not exist in this data set.")
        dots = X[cand] @ q
        cand_norms = norms[cand]
    dist = _distances(dots, cand_norms, float(norms[index]), metric)
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
    exact = _exact_distances(X, ids[pick], q, metric)
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


def _exact_distances(X: np.ndarray, rows: np.ndarray, q: np.ndarray, metric: str) -> np.ndarray:
    V = np.asarray(X[rows], dtype=np.float64)
    q64 = q.astype(np.float64)
    if metric == "cosine":
        denom = np.linalg.norm(V, axis=1) * np.linalg.norm(q64)
        with np.errstate(divide="ignore", invalid="ignore"):
            sim = np.where(denom > 0, V @ q64 / denom, 0.0)
        return np.clip(1.0 - sim, 0.0, 2.0)
    return np.linalg.norm(V - q64, axis=1)

"""How unusual each point is, from its k nearest neighbours (see :func:`projector.knn.all_neighbors`)."""
from __future__ import annotations

import numpy as np

from .errors import DataError

METHODS = ("kth", "lof")


def outlier_scores(indices, distances, method: str = "kth") -> np.ndarray:
    """One score per point (float64), higher = more unusual, from a kNN result (N×k indices and distances).

    "kth" is the distance to the k-th neighbour. "lof" is the Local Outlier Factor as scikit-learn
    defines it (``-LocalOutlierFactor(n_neighbors=k).fit(X).negative_outlier_factor_``): the mean
    local reachability density of a point's neighbours over its own.
    """
    if method not in METHODS:
        raise DataError(f"unknown outlier score {method!r}; use 'kth' or 'lof'.")
    indices = np.asarray(indices)
    distances = np.asarray(distances, dtype=np.float64)
    if indices.ndim != 2 or indices.shape != distances.shape or indices.shape[1] < 1:
        raise DataError("outlier scores need the neighbours of every point: two N×k tables of the same shape.")
    kth = distances[:, -1]
    if method == "kth":
        return kth.copy()
    # scikit-learn's: reachability = max(k-distance of the neighbour, distance); lrd = 1 / (mean + 1e-10)
    reach = np.maximum(distances, kth[indices])
    lrd = 1.0 / (reach.mean(axis=1) + 1e-10)
    return (lrd[indices] / lrd[:, None]).mean(axis=1)


def most_unusual(scores, n: int) -> np.ndarray:
    """Indices (int64) of the ``n`` highest scores, highest first, ties to the lower index."""
    scores = np.asarray(scores, dtype=np.float64)
    n = max(0, min(int(n), len(scores)))
    order = np.lexsort((np.arange(len(scores)), -scores))
    return order[:n].astype(np.int64)

"""Two embeddings of the same rows (two checkpoints of a model, two models over the same items): how much
each point's neighbourhood is the same in both."""
from __future__ import annotations

import numpy as np

from .errors import DataError


def neighbour_overlap(indices_a, indices_b) -> np.ndarray:
    """Per row, the Jaccard overlap |A ∩ B| / |A ∪ B| of its neighbour sets in two graphs (N × k each)."""
    a, b = np.asarray(indices_a), np.asarray(indices_b)
    if a.shape != b.shape or a.ndim != 2:
        raise DataError("the two neighbour graphs must have the same points and the same k.")
    n, k = a.shape
    if k == 0:
        return np.ones(n)
    sa, sb = np.sort(a, axis=1), np.sort(b, axis=1)
    shared = np.zeros(n, dtype=np.int64)
    for j in range(k):   # how many of A's neighbours are among B's, row by row (sorted rows: one search each)
        col = sa[:, j:j + 1]
        pos = np.minimum(np.argmax(sb >= col, axis=1), k - 1)
        shared += sb[np.arange(n), pos] == col[:, 0]
    return shared / (2 * k - shared)


def compare_neighbourhoods(XA, XB, k: int = 10, metric: str = "cosine", *, on_progress=None,
                           should_stop=None) -> dict:
    """Every point's exact k neighbours in ``XA`` and in ``XB`` (the same N rows, any dimensions) and
    their overlap: ``{"overlap" (N), "mean", "indices_a", "indices_b"}``."""
    from .knn import all_neighbors

    if len(XA) != len(XB):
        raise DataError(f"the two embeddings must hold the same points: one has {len(XA):,} rows, the other "
                        f"{len(XB):,}.")
    progress = on_progress or (lambda done, total: None)
    half_a = lambda d, t: progress(d, 2 * max(t, 1))  # noqa: E731
    half_b = lambda d, t: progress(max(t, 1) + d, 2 * max(t, 1))  # noqa: E731
    idx_a, _ = all_neighbors(XA, k, metric, on_progress=half_a, should_stop=should_stop)
    idx_b, _ = all_neighbors(XB, k, metric, on_progress=half_b, should_stop=should_stop)
    overlap = neighbour_overlap(idx_a, idx_b)
    return {"overlap": overlap, "mean": float(overlap.mean()), "indices_a": idx_a, "indices_b": idx_b}

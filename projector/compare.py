"""Two embeddings of the same rows (two checkpoints of a model, two models over the same items): how much
each point's neighbourhood is the same in both, and the second one's map laid over the first's.

- ``neighbour_overlap``: per row, the Jaccard overlap of its neighbour sets in two graphs.
- ``compare_neighbourhoods``: both exact graphs of two arrays and their overlap (a notebook's entry point;
  the app goes through :func:`projector.analyses.run_analysis` with ``kind="compare"``).
- ``most_changed``: the rows whose neighbourhoods changed most (lowest overlap, ties by index).
- ``procrustes_align``: a map moved onto another by the best rotation/reflection, uniform scale and translation.
- ``aligned_layout``: B's map of the view's points, made as A's was (t-SNE/UMAP started from A's map), aligned
  onto A's and cached by content.
"""
from __future__ import annotations

import hashlib
import json

import numpy as np

from .errors import DataError

ALIGNED_VERSION = "1"   # bump when the aligned layout of the same inputs changes


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


def most_changed(overlap, count: int) -> np.ndarray:
    """Positions of the ``count`` rows with the lowest overlap, lowest first, ties to the lower position."""
    overlap = np.asarray(overlap, dtype=np.float64)
    count = max(0, min(int(count), len(overlap)))
    if not count:
        return np.empty(0, np.int64)
    return np.lexsort((np.arange(len(overlap)), overlap))[:count].astype(np.int64)


def procrustes_align(reference, other) -> np.ndarray:
    """``other`` (N × d) moved onto ``reference`` (N × d) by the similarity transform — translation,
    rotation or reflection, one uniform scale — that leaves the least squared distance between them
    (``scipy.linalg.orthogonal_procrustes`` on the centred maps). float64 N × d. A map whose points all
    sit at one spot lands on the reference's centre."""
    from scipy.linalg import orthogonal_procrustes

    A = np.asarray(reference, dtype=np.float64)
    B = np.asarray(other, dtype=np.float64)
    if A.ndim != 2 or A.shape != B.shape or len(A) < 1:
        raise DataError("the two maps must place the same points in the same number of dimensions.")
    if not (np.isfinite(A).all() and np.isfinite(B).all()):
        raise DataError("some coordinates are not finite numbers; the maps cannot be aligned.")
    centre = A.mean(axis=0)
    A0, B0 = A - centre, B - B.mean(axis=0)
    bss = float(np.einsum("ij,ij->", B0, B0))
    if bss == 0 or not np.any(A0):
        return np.broadcast_to(centre, A.shape).copy()
    R, singular_sum = orthogonal_procrustes(B0, A0)
    return (singular_sum / bss) * (B0 @ R) + centre


def same_rows(ds_a, ds_b, points=None, spherize: bool = False) -> bool:
    """Do A and B hold exactly the same vectors for the view's rows (as the view reads them, spherized or not)?
    Read block by block; the first block that differs ends it."""
    from .dataset import Rows

    if ds_a.id == ds_b.id:
        return True
    if ds_a.dim != ds_b.dim or ds_a.num_points != ds_b.num_points:
        return False
    rows_a, rows_b = Rows(ds_a, spherize, points), Rows(ds_b, spherize, points)
    for (s, block), (_, other) in zip(rows_a.blocks(), rows_b.blocks()):
        if not np.array_equal(block, other):
            return False
    return True


def _layout_key(ds_b, projection: dict, points_digest, spherize: bool) -> str:
    from .cache import ENGINE_VERSION

    doc = {"a": projection.get("key"), "method": projection.get("method"), "dims": int(projection.get("dims") or 2),
           "params": projection.get("params") or {}, "b": ds_b.id, "subset": points_digest,
           "spherize": bool(spherize), "engine": ENGINE_VERSION, "aligned": ALIGNED_VERSION}
    text = json.dumps(doc, sort_keys=True, default=str)
    return "aligned:" + hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def aligned_layout(ds_b, reference, projection: dict, points=None, *, spherize: bool = False, cache=None,
                   on_progress=None, should_stop=None, ds_a=None) -> dict:
    """B's map of the view's points (``points``: all, or these rows), aligned onto A's map ``reference``.

    ``projection`` is A's shown projection (``{"key", "method", "dims", "params"}``). B is projected with
    the same method and parameters; a t-SNE or UMAP starts from A's coordinates (its ``init``), so the
    two runs begin alike. Then B's map is moved onto A's by :func:`procrustes_align`. With ``cache`` the
    aligned map is kept under a key of what made it, and asked again it is read back. When ``ds_a`` (A)
    holds exactly B's vectors for these rows, B's map is A's map: the same rows make the same map (a
    t-SNE restarted from a finished map would only add its own drift, about a tenth of the map's radius).

    Returns ``{"key", "coords" (float32 N × dims), "cached", "median_move"}``: ``median_move`` is the
    median distance between a point's two places (after the alignment) over A's map's RMS radius.
    """
    from .cache import subset_digest
    from .faithfulness import moves
    from .projections import project

    method = projection.get("method")
    if method in (None, "given"):
        raise DataError("a bookmark's stored coordinates have no method to make B's map with; run a projection.")
    reference = np.asarray(reference, dtype=np.float64)
    key = _layout_key(ds_b, projection, subset_digest(points), spherize)
    hit = cache.get(key) if cache is not None else None
    if hit is not None and hit[0].shape == reference.shape:
        return {"key": key, "coords": hit[0], "cached": True, "median_move": float(hit[1].get("median_move", 0))}
    dims = int(projection.get("dims") or reference.shape[1])
    params = dict(projection.get("params") or {})
    if ds_a is not None and same_rows(ds_a, ds_b, points, spherize):
        coords_b, made_key = reference, None
    else:
        init = reference if method in ("tsne", "umap") else None
        made = project(ds_b, method, dims=dims, subset=points, params=params, spherize=spherize, cache=cache,
                       on_progress=on_progress, should_stop=should_stop, init=init)
        coords_b, made_key = np.asarray(made.coords, dtype=np.float64), made.key
    if coords_b.shape != reference.shape:
        raise DataError(f"B's {method} map has {coords_b.shape[1]} axes and A's {reference.shape[1]}; "
                        "they cannot be laid over each other.")
    aligned64 = procrustes_align(reference, coords_b)
    aligned = aligned64.astype(np.float32)
    try:
        _, median = moves(reference, aligned64)   # the same alignment, not made again
    except DataError:   # A's map at one spot: nothing to measure the moves against
        median = 0.0
    if cache is not None:
        try:
            cache.put(key, aligned, {"median_move": float(median), "b_key": made_key})
        except DataError:
            pass   # a full disk: the map is drawn, only not kept
    return {"key": key, "coords": aligned, "cached": False, "median_move": float(median)}

"""Clusters of points and a name for each: HDBSCAN or k-means labels, c-TF-IDF names, label positions."""
from __future__ import annotations

import math
import re
import warnings

import numpy as np
from numba import njit, prange

from .errors import Cancelled, DataError
from .threads import serialised

SKLEARN_HDBSCAN_MAX = 5_000   # up to this many points scikit-learn's HDBSCAN itself (its MST is O(N²))
MST_GROUP_ROWS = 256         # points per group of the spanning-tree search (at least) …
MST_GROUPS = 128             # … and at most this many groups (each costs a bound per query)
NAME_TERMS = 3
WORD = re.compile(r"\w+")
WORDS_SHARE = 0.25            # a column is read word by word when this share of its values hold several words


def hdbscan_labels(points, min_cluster_size: int = 15, min_samples=None, *, on_progress=None,
                   should_stop=None) -> np.ndarray:
    """HDBSCAN cluster labels (int64; −1 = noise) of the rows of ``points``, renumbered by size (0 = largest).

    The semantics are ``sklearn.cluster.HDBSCAN(min_cluster_size, min_samples)``'s (Euclidean; a core
    distance counts the point itself among its ``min_samples``). Up to ``SKLEARN_HDBSCAN_MAX`` points
    scikit-learn runs; above, the exact minimum spanning tree of the mutual reachability graph comes
    from the ``hdbscan`` package's Borůvka search (the same tree weights — only an equal-weight edge
    may be another) and scikit-learn turns that tree into clusters.
    """
    progress = on_progress or (lambda done, total: None)
    stop = should_stop or (lambda: False)
    P = _points(points)
    n = len(P)
    mcs = int(min_cluster_size)
    ms = mcs if min_samples is None else int(min_samples)
    if mcs < 2:
        raise DataError("a cluster must have at least 2 points (min_cluster_size ≥ 2).")
    if ms < 1:
        raise DataError("min_samples must be at least 1.")
    if n < 2:
        return np.full(n, -1, dtype=np.int64)
    ms = min(ms, n)
    progress(0, 2)
    if stop():
        raise Cancelled()
    if n <= SKLEARN_HDBSCAN_MAX or ms == 1:
        from sklearn.cluster import HDBSCAN

        labels = HDBSCAN(min_cluster_size=mcs, min_samples=ms, copy=True).fit_predict(P)
    else:
        labels = _boruvka_labels(P, mcs, ms, progress, stop)
    progress(2, 2)
    return _by_size(labels)


def _boruvka_labels(P, mcs, ms, progress=lambda d, t: None, stop=lambda: False):
    """scikit-learn's clusters from the exact mutual-reachability minimum spanning tree (:func:`mst_edges`)."""
    import scipy.sparse as sp
    from sklearn.cluster import HDBSCAN

    n = len(P)
    i, j, w = mst_edges(P, ms, stop)
    progress(1, 2)
    # 0 would read as "no edge" in a sparse matrix; the smallest float gives the same λ = 1/w = ∞
    w = np.maximum(w, np.nextafter(0.0, 1.0))
    graph = sp.csr_matrix((np.r_[w, w], (np.r_[i, j], np.r_[j, i])), shape=(n, n))
    # With min_samples=1 a row's core distance is its smallest edge, never above any of its edges, so
    # scikit-learn keeps these mutual-reachability weights as they are and builds its tree from them.
    return HDBSCAN(min_cluster_size=mcs, min_samples=1, metric="precomputed", copy=True).fit_predict(graph)


def mst_edges(P, ms: int, stop=lambda: False):
    """The exact minimum spanning tree of the mutual reachability graph: (i, j, weight) arrays of N − 1 edges.

    Mutual reachability is max(core_i, core_j, d(i, j)) with core the distance to the (ms − 1)-th other
    point (scikit-learn counts the point itself). Borůvka: each round every component takes its
    lightest outgoing edge. Candidates come first from each point's exact nearest neighbours (an edge
    to a point beyond them weighs at least the farthest of them); points that could still do better
    search the rest block by block, skipping groups a lower bound proves too far (see knn.Space).
    """
    from .knn import Space

    X = np.asarray(P, dtype=np.float64)
    n = len(X)
    K = min(n - 1, ms + 5)              # a few beyond the core distance: most points need no search
    # small groups: in few dimensions their products are cheap, and tighter bounds prune more
    space = Space(X, "euclidean", stop, group_rows=max(MST_GROUP_ROWS, n // MST_GROUPS))
    ids = space.ids
    nb_ids, nb_d = space.neighbors(ids, K)              # in position order
    nb = space.inverse[nb_ids]
    core = nb_d[:, ms - 2].copy() if ms >= 2 else np.zeros(n)
    dK = nb_d[:, -1]
    Xp = X[ids] - X.mean(axis=0)                        # centred: the dot-product form loses less
    sq = np.einsum("ij,ij->i", Xp, Xp)
    parent = np.arange(n)
    comp = np.arange(n)
    edges = []
    starts = space.starts
    G = len(starts) - 1
    while len(edges) < n - 1:
        if stop():
            raise Cancelled()
        # 1. the lightest edge to another component among each point's neighbours
        w_nb = np.maximum(np.maximum(core[:, None], core[nb]), nb_d)
        w_nb[comp[nb] == comp[:, None]] = np.inf
        pick = np.argmin(w_nb, axis=1)
        best_w = w_nb[np.arange(n), pick]
        best_y = np.where(np.isfinite(best_w), nb[np.arange(n), pick], -1)
        B = np.full(n, np.inf)
        np.minimum.at(B, comp, best_w)
        # 2. points whose neighbours all lie within d_K: an edge beyond them may still be lighter
        need = np.flatnonzero(dK < B[comp])
        if need.size:
            gcomp = np.array([comp[starts[g]] if np.all(comp[starts[g]:starts[g + 1]] == comp[starts[g]]) else -1
                              for g in range(G)])
            gcore = np.array([core[starts[g]:starts[g + 1]].min() for g in range(G)])
            if space.Z is not None:
                # nearest foreign group first: the components' bounds tighten early and prune the rest
                near = np.empty(len(need))
                for s in range(0, len(need), 4096):
                    q = need[s:s + 4096]
                    lbq = np.sqrt(space.lower_bounds(q)) / space.search_scale
                    lbq[gcomp[None, :] == comp[q][:, None]] = np.inf
                    near[s:s + len(q)] = np.maximum(lbq.min(axis=1), core[q])
                keep = near < B[comp[need]]
                need = need[keep][np.argsort(near[keep], kind="stable")]
            for s in range(0, len(need), 1024):
                if stop():
                    raise Cancelled()
                q = need[s:s + 1024]
                q = q[dK[q] < B[comp[q]]]
                if not q.size:
                    continue
                lb = None if space.Z is None else np.sqrt(space.lower_bounds(q)) / space.search_scale
                bw, by = best_w[q].copy(), best_y[q].copy()
                order = range(G) if lb is None else np.argsort(lb.min(axis=0), kind="stable")
                for g in order:
                    a, b = int(starts[g]), int(starts[g + 1])
                    bound = B[comp[q]]
                    rows = (gcomp[g] != comp[q]) & (core[q] < bound) & (gcore[g] < bound)
                    if lb is not None:
                        rows &= lb[:, g] < bound
                    rows = np.flatnonzero(rows)
                    if not rows.size:
                        continue
                    prod = Xp[q[rows]] @ Xp[a:b].T
                    _foreign(prod, rows, q, a, sq, comp, core, bound[rows], bw, by)
                    np.minimum.at(B, comp[q[rows]], bw[rows])
                best_w[q], best_y[q] = bw, by
        # 3. each component's lightest edge, lightest first; one closing a cycle (a tie) is skipped
        ok = np.flatnonzero(best_y >= 0)
        order = ok[np.lexsort((best_y[ok], ok, best_w[ok]))]
        _, first = np.unique(comp[order], return_index=True)
        chosen = order[np.sort(first)]
        chosen = chosen[np.lexsort((best_y[chosen], chosen, best_w[chosen]))]
        for x in chosen.tolist():
            y = int(best_y[x])
            rx, ry = _root(parent, x), _root(parent, y)
            if rx != ry:
                parent[max(rx, ry)] = min(rx, ry)
                edges.append((x, y))
        while True:   # every point to its root
            nxt = parent[parent]
            if np.array_equal(nxt, parent):
                break
            parent = nxt
        comp = parent.copy()
    e = np.array(edges, dtype=np.int64).reshape(-1, 2)
    a, b = e[:, 0], e[:, 1]
    ptr = np.arange(len(e) + 1, dtype=np.int64)
    d = space.exact_distances(ids[a], ptr, ids[b])      # the weights in float64, from the rows themselves
    w = np.maximum(np.maximum(core[a], core[b]), d)
    return ids[a], ids[b], w


def _root(parent, x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@serialised
@njit(parallel=True, cache=True, nogil=True)
def _foreign(prod, rows, qpos, c0, sq, comp, core, bound, best_w, best_y):
    """Lightest mutual-reachability edge from each query to a point of another component in one block.

    Only edges lighter than the query's component's best so far (``bound``) can matter.
    """
    for a in prange(prod.shape[0]):
        r = rows[a]
        q = qpos[r]
        cq = comp[q]
        nq = sq[q]
        cr = core[q]
        bw = best_w[r]
        by = best_y[r]
        lim = min(bw, bound[a])
        lim2 = lim * lim * (1 + 1e-12) if lim < np.inf else np.inf
        for b in range(prod.shape[1]):
            d2 = nq + sq[c0 + b] - 2.0 * prod[a, b]
            if d2 > lim2:
                continue
            y = c0 + b
            if comp[y] == cq:
                continue
            w = max(cr, core[y], np.sqrt(max(d2, 0.0)))
            if w < bw or (w == bw and y < by):
                bw = w
                by = y
                lim = min(bw, bound[a])
                lim2 = lim * lim * (1 + 1e-12)
        best_w[r] = bw
        best_y[r] = by


def kmeans_labels(points, k: int, seed: int = 0) -> np.ndarray:
    """k-means labels (int64) of the rows of ``points`` (scikit-learn KMeans, n_init="auto"), renumbered by size."""
    from sklearn.cluster import KMeans

    P = _points(points)
    k = int(k)
    if not 1 <= k <= len(P):
        raise DataError(f"k-means needs between 1 and {len(P)} clusters for {len(P)} points.")
    with warnings.catch_warnings():
        # fewer distinct points than k: scikit-learn warns and still labels every point
        warnings.filterwarnings("ignore", message="Number of distinct clusters", category=UserWarning)
        labels = KMeans(n_clusters=k, n_init="auto", random_state=int(seed)).fit_predict(P)
    return _by_size(labels)


def _points(points) -> np.ndarray:
    P = np.asarray(points)
    if P.ndim != 2 or P.shape[1] == 0:
        raise DataError("clusters need a table of points: one row per point, at least one column.")
    if P.dtype not in (np.float32, np.float64):
        P = P.astype(np.float64)
    if not np.isfinite(P).all():
        raise DataError("some values are not finite numbers (NaN or infinity); clusters need finite vectors.")
    return P


def _by_size(labels) -> np.ndarray:
    """Cluster numbers by size, largest first (ties to the lower old number); −1 stays −1."""
    labels = np.asarray(labels, dtype=np.int64)
    found = np.unique(labels[labels >= 0])
    if found.size == 0:
        return labels.copy()
    sizes = np.array([np.count_nonzero(labels == c) for c in found])
    order = np.lexsort((found, -sizes))
    new = np.empty(found.max() + 1, dtype=np.int64)
    new[found[order]] = np.arange(len(found))
    out = np.full(len(labels), -1, dtype=np.int64)
    out[labels >= 0] = new[labels[labels >= 0]]
    return out


def central_members(space, labels, top: int = NAME_TERMS) -> dict[int, list[int]]:
    """The ``top`` points of each cluster (labels ≥ 0) nearest its mean in ``space`` (the space it was found in),
    nearest first, ties to the lower index: {label: [row, ...]}."""
    X = np.asarray(space, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    out = {}
    for lab in np.unique(labels[labels >= 0]):
        rows = np.flatnonzero(labels == lab)
        d = ((X[rows] - X[rows].mean(axis=0)) ** 2).sum(axis=1)
        out[int(lab)] = rows[np.lexsort((rows, d))[:max(0, int(top))]].tolist()
    return out


def cluster_names(labels, texts, top: int = NAME_TERMS, central=None) -> dict[int, dict]:
    """A name for each cluster from the words of its points' ``texts``: {label: {"name", "terms", "size"}}.

    Terms are weighted by class-based TF-IDF (BERTopic's c-TF-IDF): W(t, c) = tf(t, c) · log(1 + A / f(t)),
    tf the count of t in cluster c, A the mean number of tokens per cluster, f(t) the count of t in
    all clusters (noise included). Tokens are lower-cased words (``\\w+``) when at least a quarter of the
    column's values hold several words, the whole value otherwise; empty values are skipped. The
    name joins the ``top`` terms with " · " (ties to the alphabetically first); only terms that occur at
    least a tenth as often in the cluster as its most frequent one are kept (one stray 5 among 181 sixes does
    not name the cluster). A cluster larger than ``top`` where no term repeats —
    a column of unique values such as a vocabulary's tokens — is named by the values of its most central
    points instead, when ``central`` ({label: rows, nearest its mean first}, :func:`central_members`) gives
    them (``"by": "central"``). A cluster without tokens is "cluster <i>"; −1 is "noise".
    """
    labels = np.asarray(labels, dtype=np.int64)
    values = [_text(v) for v in texts]
    if len(values) != len(labels):
        raise DataError("cluster names need one text value per point.")
    present = [v for v in values if v]
    by_words = bool(present) and sum(len(WORD.findall(v)) > 1 for v in present) >= WORDS_SHARE * len(present)
    counts: dict[int, dict[str, int]] = {}
    for lab, v in zip(labels.tolist(), values):
        bag = counts.setdefault(lab, {})
        if not v:
            continue
        for t in (WORD.findall(v.lower()) if by_words else [v]):
            bag[t] = bag.get(t, 0) + 1
    total = {}
    for bag in counts.values():
        for t, c in bag.items():
            total[t] = total.get(t, 0) + c
    mean_tokens = sum(total.values()) / max(1, len(counts))
    out = {}
    for lab in sorted(counts):
        bag = counts[lab]
        weights = {t: c * math.log(1 + mean_tokens / total[t]) for t, c in bag.items()}
        ranked = sorted(weights, key=lambda t: (-weights[t], t))
        first = bag[ranked[0]] if ranked else 0
        size = int(np.count_nonzero(labels == lab))
        members = [values[r] for r in (central or {}).get(int(lab), []) if values[r]]
        by = "terms"
        if first >= 2:
            terms = [t for t in ranked if bag[t] >= 0.1 * first][:max(0, int(top))]
        elif members and size > top:       # no term repeats in it: its own central points name it
            terms, by = members, "central"
        else:
            terms = ranked[:max(0, int(top))]
        if lab < 0:
            name = "noise"
        else:
            name = " · ".join(terms) if terms else f"cluster {lab}"
        out[int(lab)] = {"name": name, "terms": terms, "size": size, "by": by}
    return out


def _text(value) -> str:
    import pandas as pd

    if value is None:
        return ""
    try:
        if pd.isna(value):      # NaN, None, pd.NA, NaT: an empty value
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).strip()


def cluster_centres(coords, labels) -> dict[int, tuple]:
    """The median position of each cluster (labels ≥ 0) on the map: {label: (x, y[, z])}, for drawing its name."""
    C = np.asarray(coords, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    if C.ndim != 2 or len(C) != len(labels):
        raise DataError("cluster centres need one map position per label.")
    out = {}
    for lab in np.unique(labels[labels >= 0]):
        out[int(lab)] = tuple(float(v) for v in np.median(C[labels == lab], axis=0))
    return out

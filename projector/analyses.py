"""Analyses of a view's points that become metadata columns: named clusters, outlier scores, how well the map
keeps each point's neighbours, how far each point moves when the map is made again with another seed, how much
of each point's neighbourhood another embedding of the same rows keeps (compare).

One entry point, :func:`run_analysis`, serves the job process and a notebook alike. An analysis works on the
points a view shows (all, or an isolated subset), in the original space (spherized when the view is) or on the
projection on screen; its result is cached by content, and it is kept as the next metadata version of the data
set, so it colours, searches, isolates, exports and bookmarks like any column (points outside the subset are
missing). A request is plain JSON::

    {"kind": "clusters" | "outliers" | "faithfulness" | "stability" | "compare", "dataset",
     "subset" (digest or None), "spherize", "metric", "params" {...},
     "projection" {"key", "method", "dims", "params"} or None}

A comparison's ``params`` name data set B (``other``, the same number of points) and ``k``; its column is
the Jaccard overlap of each point's k exact neighbours in A and in B (the same rows of B when a subset is
isolated), and with a projection on screen it also makes B's map aligned onto it
(:func:`projector.compare.aligned_layout`).
"""
from __future__ import annotations

import hashlib
import io
import json

import numpy as np

from .cache import ENGINE_VERSION
from .dataset import Rows
from .errors import DataError

KINDS = ("clusters", "outliers", "faithfulness", "stability", "compare")
ANALYSIS_VERSION = "1"
MIN_CLUSTER_SIZE = (2, 100_000)
KMEANS_K = (2, 1_000)
NEIGHBOURS_K = (2, 200)
NAME_TERMS = 3
NOISE = "noise"                 # the value of the points in no cluster
CLUSTER_PREFIX = "clusters ("   # how the columns of each analysis begin
OUTLIER_PREFIX = "outlier score ("
COMPARE_PREFIX = "agreement@"
TRUST_PREFIX = "neighbours kept ("
MOVED_PREFIX = "moved ("
SCORE_PREFIXES = (OUTLIER_PREFIX, COMPARE_PREFIX, TRUST_PREFIX, MOVED_PREFIX)   # columns of scores: a gradient
MOST_CHANGED = 20               # points a comparison lists whose neighbourhoods changed most


def _whole(params: dict, name: str, default: int, bounds: tuple[int, int], what: str) -> int:
    value = params.get(name, default)
    try:
        number = float(value if value not in (None, "") else default)
    except (TypeError, ValueError):
        raise DataError(f"{what} must be a whole number from {bounds[0]:,} to {bounds[1]:,}.") from None
    if not np.isfinite(number) or number != int(number) or not bounds[0] <= number <= bounds[1]:
        raise DataError(f"{what} must be a whole number from {bounds[0]:,} to {bounds[1]:,}.")
    return int(number)


def analysis_params(kind: str, params: dict | None, n: int) -> dict:
    """The parameters an analysis uses: the caller's, checked, with defaults; ``n`` points are analysed."""
    p = dict(params or {})
    if kind == "clusters":
        algorithm = p.get("algorithm") or "hdbscan"
        if algorithm not in ("hdbscan", "kmeans"):
            raise DataError("clusters are found with HDBSCAN or k-means.")
        space = p.get("space") or "vectors"
        if space not in ("vectors", "map"):
            raise DataError("clusters are found in the original vectors or on the map on screen.")
        out = {"algorithm": algorithm, "space": space}
        if algorithm == "hdbscan":
            out["min_cluster_size"] = _whole(p, "min_cluster_size", 15, MIN_CLUSTER_SIZE, "the minimum cluster size")
        else:
            out["k"] = _whole(p, "k", 10, KMEANS_K, "the number of clusters k")
            if out["k"] >= n:
                raise DataError(f"k-means needs fewer clusters than points ({n:,}); lower k.")
        out["name_by"] = p.get("name_by") if isinstance(p.get("name_by"), str) else None
        return out
    if kind == "outliers":
        method = p.get("method") or "kth"
        if method not in ("lof", "kth"):
            raise DataError("outlier scores are the local outlier factor (lof) or the distance to the k-th neighbour (kth).")
        space = p.get("space") or "stored"
        if space not in ("stored", "view"):
            raise DataError("outlier scores are measured on the stored vectors or as the Inspector measures distances.")
        return {"method": method, "k": _whole(p, "k", 20, NEIGHBOURS_K, "the number of neighbours k"), "space": space}
    if kind == "faithfulness":
        return {"k": _whole(p, "k", 10, NEIGHBOURS_K, "the number of neighbours k")}
    if kind == "stability":
        return {"seed": _whole(p, "seed", 1, (0, 2**31 - 1), "the seed")}
    if kind == "compare":
        other = p.get("other")
        if not isinstance(other, str) or not other:
            raise DataError("pick the data set B to compare with.")
        return {"other": other, "k": _whole(p, "k", 10, NEIGHBOURS_K, "the number of neighbours k")}
    raise DataError(f"unknown analysis {kind!r}; use one of {', '.join(KINDS)}.")


def compared_with(store, dataset_id: str, other_id) -> object:
    """Data set B of a comparison with data set A (``dataset_id``): another stored data set of as many points."""
    if other_id == dataset_id:
        raise DataError("B is the data set on screen; pick another one to compare with.")
    if not isinstance(other_id, str) or other_id not in store:
        raise DataError("data set B is not on the server (any more); pick another one to compare with.")
    a, b = store.get(dataset_id), store.get(other_id)
    if b.num_points != a.num_points:
        raise DataError(f"{b.name} has {b.num_points:,} points and {a.name} {a.num_points:,}: a comparison needs "
                        "two embeddings of the same rows.")
    return b


def column_name(kind: str, params: dict, projection: dict | None = None, other_name: str | None = None) -> str:
    """The metadata column an analysis writes (a comparison's names data set B, ``other_name``)."""
    from .jobs import method_name

    shown = method_name((projection or {}).get("method", "")) if projection else ""
    if kind == "clusters":
        how = f"HDBSCAN {params['min_cluster_size']}" if params["algorithm"] == "hdbscan" else f"k-means {params['k']}"
        return f"{CLUSTER_PREFIX}{how}{', on ' + shown if params['space'] == 'map' else ''})"
    if kind == "outliers":
        how = "" if params.get("space", "stored") == "stored" else ", as the Inspector measures"
        return f"{OUTLIER_PREFIX}{'LOF' if params['method'] == 'lof' else 'k-th distance'}, k={params['k']}{how})"
    if kind == "faithfulness":
        return f"{TRUST_PREFIX}{shown}, k={params['k']})"
    if kind == "compare":
        other = " ".join(str(other_name or params["other"]).split())   # no tab or line break in a column name
        return f"{COMPARE_PREFIX}{params['k']} vs {other if len(other) <= 60 else other[:59] + '…'}"
    return f"{MOVED_PREFIX}{shown}, seed {params['seed']})"


def result_key(request: dict, used: dict) -> str:
    """The cache key of an analysis's arrays: what they are computed from, never the names' column."""
    stored = request["kind"] == "outliers" and used.get("space") == "stored"   # measured without the view's choices
    # a comparison's column reads no map (B's aligned map is kept under its own key)
    no_map = request["kind"] in ("outliers", "compare") or (request["kind"] == "clusters" and used.get("space") == "vectors")
    doc = {"kind": request["kind"], "dataset": request["dataset"], "subset": request.get("subset"),
           "spherize": bool(request.get("spherize")) and not stored,
           "metric": "euclidean" if stored else request.get("metric") or "cosine",
           "params": {k: v for k, v in used.items() if k != "name_by"},
           "projection": None if no_map else (request.get("projection") or {}).get("key"),
           "components": None if request["kind"] == "compare" else
           (request.get("projection") or {}).get("params", {}).get("components"),
           "engine": ENGINE_VERSION, "analysis": ANALYSIS_VERSION}
    return "analysis:" + hashlib.blake2b(json.dumps(doc, sort_keys=True, default=str).encode(), digest_size=16).hexdigest()


def _pack(arrays: dict, summary: dict) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, summary=np.frombuffer(json.dumps(summary).encode(), dtype=np.uint8), **arrays)
    return buf.getvalue()


def _unpack(blob: bytes):
    with np.load(io.BytesIO(blob), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files if k != "summary"}
        summary = json.loads(z["summary"].tobytes())
    return arrays, summary


class _Stages:
    """One progress bar over several stages: ``stage(i, text)`` starts stage i of n; engine callbacks fill it."""

    def __init__(self, on_progress, n: int):
        self.report, self.n, self.i, self.text = on_progress or (lambda done, total, text="": None), n, 0, ""

    def stage(self, i: int, text: str):
        self.i, self.text = i, text
        self.report(i * 100, self.n * 100, text)

    def __call__(self, done, total, *_):
        self.report(self.i * 100 + int(100 * done / max(total, 1)), self.n * 100, self.text)


def _vectors(ds, spherize: bool, points: np.ndarray | None) -> np.ndarray:
    rows = Rows(ds, spherize, points)
    out = np.empty(rows.shape, dtype=np.float32)
    for s, block in rows.blocks():
        out[s:s + len(block)] = block
    return out


def _map_coords(cache, projection: dict | None, n: int) -> np.ndarray:
    if not projection or not projection.get("key"):
        raise DataError("this analysis reads the map on screen: draw a projection first.")
    if projection.get("method") == "given":
        raise DataError("a bookmark's stored coordinates cannot be analysed; run a projection first.")
    hit = cache.get(projection["key"])
    if hit is None:
        raise DataError("the projection on screen is no longer cached on the server; run it again.")
    coords = hit[0]
    if projection.get("method") == "pca":
        coords = coords[:, (projection.get("params") or {}).get("components") or [0, 1]]
    coords = np.ascontiguousarray(coords, dtype=np.float64)
    if len(coords) != n:
        raise DataError("the projection on screen holds other points than the view; run it again.")
    return coords


GRAPH_K = (20, 50, 100, 200)   # cached graphs of more neighbours that serve fewer (outliers use 20 by default)


def _graph_key(ds, points, spherize: bool, metric: str, k: int) -> str:
    from .cache import subset_digest

    doc = [ds.id, subset_digest(points), bool(spherize), metric, int(k), ENGINE_VERSION, ANALYSIS_VERSION]
    return "knn:" + hashlib.blake2b(json.dumps(doc).encode(), digest_size=16).hexdigest()


def neighbour_graph(ds, points, spherize: bool, metric: str, k: int, cache=None, on_progress=None, should_stop=None,
                    vectors=None, space=None, only_cached: bool = False):
    """(indices into the view's points, distances): every view point's k exact neighbours in the original
    space, cached by content. A graph of more neighbours serves fewer: its first k columns are exactly the
    k-neighbour graph (sorted, ties to the lower index). ``vectors``/``space``: the view's vectors already
    read, and a Euclidean search space of them (``knn.euclidean_space``), used when the graph is computed.
    ``only_cached``: nothing is computed; without a cached graph the answer is None."""
    from .knn import all_neighbors

    n = ds.num_points if points is None else len(points)
    if k >= n:
        raise DataError(f"the view has {n:,} points; use at most {n - 1:,} neighbours.")
    if cache is not None:
        for kk in sorted({k, *(g for g in GRAPH_K if g > k)}):
            blob = cache.get_blob(_graph_key(ds, points, spherize, metric, kk))
            if blob is None:
                continue
            try:
                arrays, _ = _unpack(blob)
                return arrays["indices"][:, :k], arrays["distances"][:, :k]
            except (ValueError, KeyError, OSError):
                continue
    if only_cached:
        return None
    kk = k   # exactly k: more would cost the search time, and a later larger k computes its own
    X = _vectors(ds, spherize, points) if vectors is None else vectors
    indices, distances = all_neighbors(X, kk, metric, on_progress=on_progress, should_stop=should_stop,
                                       space=space if metric == "euclidean" else None)
    if cache is not None:
        try:
            cache.set_blob(_graph_key(ds, points, spherize, metric, kk),
                           _pack({"indices": indices, "distances": distances}, {}))
        except DataError:
            pass   # a full disk: the graph is used, only not kept
    return indices[:, :k], distances[:, :k]


def _compute(kind, request, used, ds, points, n, cache, stages, should_stop, project_fn, other=None):
    spherize, metric = bool(request.get("spherize")), request.get("metric") or "cosine"
    if kind == "compare":
        return _compare(used, ds, other, points, n, spherize, metric, cache, stages, should_stop)
    if kind == "clusters":
        from .clusters import hdbscan_labels, kmeans_labels

        stages.stage(0, "Reading the points…")
        if used["space"] == "map":
            space = _map_coords(cache, request.get("projection"), n)
        else:
            from .projections import _reduce

            stages.stage(0, "Exact PCA to 50 dimensions…")
            space = _reduce(Rows(ds, spherize, points))
        stages.stage(1, "Finding clusters…")
        if used["algorithm"] == "hdbscan":
            if n <= used["min_cluster_size"]:
                raise DataError(f"the minimum cluster size must be below the number of points ({n:,}).")
            labels = hdbscan_labels(space, used["min_cluster_size"], on_progress=stages, should_stop=should_stop)
        else:
            labels = kmeans_labels(space, used["k"])
        found = int(labels.max()) + 1 if len(labels) else 0
        from .clusters import central_members

        central = central_members(space, labels)   # a name where the column's terms cannot give one
        table = np.full((found, NAME_TERMS), -1, dtype=np.int64)
        for c, rows in central.items():
            table[c, :len(rows)] = rows
        return ({"labels": np.asarray(labels, dtype=np.int64), "central": table},
                {"clusters": found, "noise": int((labels < 0).sum())})
    if kind == "outliers":
        from .outliers import outlier_scores

        if used["space"] == "stored":   # the vectors as they are: a point's distances keep its length
            spherize, metric = False, "euclidean"
        stages.stage(0, f"Finding every point's {used['k']} exact neighbours…")
        idx, dist = neighbour_graph(ds, points, spherize, metric, used["k"], cache, stages, should_stop)
        stages.stage(1, "Scoring…")
        scores = outlier_scores(idx, dist, used["method"])
        return {"scores": np.asarray(scores, dtype=np.float64)}, {"median": float(np.median(scores))}
    if kind == "faithfulness":
        from .faithfulness import neighbourhood_preservation, trustworthiness_continuity
        from .knn import euclidean_space, map_neighbors

        coords = _map_coords(cache, request.get("projection"), n)
        k = used["k"]
        if k >= n:
            raise DataError(f"the view has {n:,} points; use at most {n - 1:,} neighbours.")
        stages.stage(0, f"Finding every point's {k} exact neighbours…")
        # the vectors read once; a Euclidean search space serves both the graph and the trust ranks
        X = _vectors(ds, spherize, points)
        space = euclidean_space(X, should_stop) if metric == "euclidean" else None
        idx, _ = neighbour_graph(ds, points, spherize, metric, k, cache, stages, should_stop, vectors=X, space=space)
        stages.stage(1, "Neighbours on the map…")
        map_idx, _ = map_neighbors(coords, k)
        kept = neighbourhood_preservation(idx, map_idx)
        stages.stage(2, "Trustworthiness and continuity…")
        tc = trustworthiness_continuity(X, coords, k, metric, on_progress=stages, should_stop=should_stop,
                                        space=space, original_neighbors=idx, map_neighbors=map_idx)
        return {"kept": np.asarray(kept, dtype=np.float64)}, {**tc, "mean_kept": float(np.mean(kept))}
    # stability: the same projection with another seed, aligned onto the one on screen
    from .faithfulness import procrustes_displacement

    projection = request.get("projection") or {}
    if projection.get("method") not in ("tsne", "umap"):
        raise DataError("stability compares two runs of t-SNE or UMAP; draw one of them first.")
    reference = _map_coords(cache, projection, n)
    params = dict(projection.get("params") or {})
    if params.get("seed") == used["seed"]:
        raise DataError(f"the map on screen was made with seed {used['seed']}; pick another seed.")
    params["seed"] = used["seed"]
    from .jobs import method_name

    stages.stage(0, f"Running {method_name(projection['method'])} again with seed {used['seed']}…")
    other = project_fn(ds, projection["method"], dims=int(projection.get("dims") or 2), subset=points, params=params,
                       spherize=spherize, cache=cache, on_progress=lambda d, t, c=None: stages(d, t),
                       should_stop=should_stop).coords
    stages.stage(1, "Aligning the two maps…")
    moved, median = procrustes_displacement(reference, np.asarray(other, dtype=np.float64))
    return {"moved": np.asarray(moved, dtype=np.float64)}, {"median": float(median)}


def _compare(used, ds, other, points, n, spherize, metric, cache, stages, should_stop):
    """Both exact k-neighbour graphs of the view's points (A's, and B's of the same rows) and their overlap."""
    from .compare import most_changed, neighbour_overlap

    k = used["k"]
    if k >= n:
        raise DataError(f"the view has {n:,} points; use at most {n - 1:,} neighbours.")
    graphs = []
    for i, (which, dataset) in enumerate((("A", ds), ("B", other))):
        stages.stage(i, f"Finding every point's {k} exact neighbours in {which} ({dataset.name})…")
        graphs.append(neighbour_graph(dataset, points, spherize, metric, k, cache, stages, should_stop)[0])
    overlap = neighbour_overlap(*graphs)
    rows = np.arange(n) if points is None else np.asarray(points)
    listed = [{"point": int(rows[r]), "agreement": float(overlap[r]),
               "a": rows[graphs[0][r]].tolist(), "b": rows[graphs[1][r]].tolist()}
              for r in most_changed(overlap, MOST_CHANGED)]
    return {"agreement": np.asarray(overlap, dtype=np.float64)}, {
        "agreement": float(overlap.mean()), "k": k, "points": n, "unchanged": int((overlap == 1).sum()),
        "most_changed": listed}


def _compare_map(request, ds_a, ds_b, points, n, cache, stages, should_stop) -> tuple[dict, bool]:
    """B's map aligned onto A's on screen (see :func:`projector.compare.aligned_layout`): (``{"map": …}``, whether
    it was cached), or ``{"map": None, "map_note": why}`` when there is none to make (no map on screen, a
    bookmark's coordinates, a method B's vectors cannot be projected with)."""
    from .compare import aligned_layout
    from .jobs import method_name

    projection = request.get("projection") or {}
    if not projection.get("key"):
        return {"map": None, "map_note": "draw a projection to see B's map beside A's."}, True
    try:
        reference = _map_coords(cache, projection, n)
        how = " started from A's map" if projection.get("method") in ("tsne", "umap") else ""
        stages.stage(2, f"B's {method_name(projection.get('method', ''))}{how}, aligned onto A's…")
        layout = aligned_layout(ds_b, reference, projection, points, spherize=bool(request.get("spherize")),
                                cache=cache, on_progress=lambda done, total, coords=None: stages(done, total),
                                should_stop=should_stop, ds_a=ds_a)
    except DataError as exc:
        return {"map": None, "map_note": str(exc)}, True
    return {"map": {"key": layout["key"], "method": projection.get("method"), "dims": int(reference.shape[1]),
                    "projection": projection.get("key"),
                    "components": (projection.get("params") or {}).get("components"),
                    "median_move": layout["median_move"]}, "map_note": None}, layout["cached"]


def run_analysis(dataset_id: str, request: dict, *, store, cache, on_progress=None, should_stop=None) -> dict:
    """Compute ``request`` (see the module) for data set ``dataset_id`` and keep its column.

    Returns ``{"column", "version", "summary", "cached"}``; for clusters the summary lists each cluster's
    value, name and size; for a comparison it holds the overall agreement (mean Jaccard), the most changed
    points with both neighbour lists, data set B and B's aligned map (``"map"``: its key in the result
    cache, or None and ``"map_note"``). ``on_progress(done, total, text)``; ``should_stop()`` → :class:`Cancelled`.
    """
    from .projections import project

    kind = request.get("kind")
    if kind not in KINDS:
        raise DataError(f"unknown analysis {kind!r}; use one of {', '.join(KINDS)}.")
    ds = store.get(dataset_id)
    points = None
    if request.get("subset"):
        points = cache.get_subset(request["subset"])
        if points is None:
            raise DataError("the isolated points are no longer on the server; press Show all data and isolate again.")
    n = ds.num_points if points is None else len(points)
    if n < 3:
        raise DataError("an analysis needs at least 3 points.")
    used = analysis_params(kind, request.get("params"), n)
    other = compared_with(store, dataset_id, used["other"]) if kind == "compare" else None
    request = {**request, "dataset": dataset_id}
    key = result_key(request, used)
    last = 4 if kind == "compare" else 3   # a comparison's stages: A's graph, B's graph, B's map, the column
    stages = _Stages(on_progress, last)
    blob = cache.get_blob(key)
    cached = blob is not None
    arrays = summary = None
    if cached:
        try:
            arrays, summary = _unpack(blob)
        except (ValueError, KeyError, OSError):
            cached = False
    if not cached:
        arrays, summary = _compute(kind, request, used, ds, points, n, cache, stages, should_stop, project, other)
        try:
            cache.set_blob(key, _pack(arrays, summary))
        except DataError:
            pass   # a full disk: the column is still written below (or says why not)
    if kind == "compare":
        made, map_cached = _compare_map(request, ds, other, points, n, cache, stages, should_stop)
        cached = cached and map_cached
        summary = {**summary, "other": other.id, "other_name": other.name, "subset": request.get("subset"),
                   "metric": request.get("metric") or "cosine", "spherize": bool(request.get("spherize")), **made}
    stages.stage(last - 1, "Saving the column…")
    name = column_name(kind, used, request.get("projection"), other.name if other is not None else None)
    values, summary = _column(kind, arrays, summary, used, ds, points)
    ds = store.add_columns(dataset_id, {name: values}, note={"analysis": kind, "params": used})
    stages.stage(last, "Done.")
    return {"column": name, "version": ds.metadata_version, "summary": summary, "cached": cached, "kind": kind}


def _column(kind, arrays, summary, used, ds, points):
    """The column's values over every point of the data set (missing outside the view) and the summary."""
    rows = np.arange(ds.num_points) if points is None else points
    if kind != "clusters":
        values = np.full(ds.num_points, np.nan)
        values[rows] = next(iter(arrays.values()))
        return values, summary
    from .clusters import cluster_names
    from .formats import column_as_text

    labels = arrays["labels"]
    column = used.get("name_by") if used.get("name_by") in ds.metadata.columns else ds.default_column()
    texts = None
    if column is not None:
        texts = np.asarray(column_as_text(ds.metadata[column]), dtype=object)[rows]
    central = {c: [r for r in row.tolist() if r >= 0] for c, row in enumerate(arrays.get("central", []))}
    names = cluster_names(labels, texts, top=NAME_TERMS, central=central) if texts is not None else {}
    width = len(str(max(int(labels.max()), 0))) if len(labels) else 1
    value_of = {}
    for c in sorted(set(labels.tolist())):
        if c < 0:
            value_of[c] = NOISE
            continue
        name = (names.get(c) or {}).get("name") or f"cluster {c}"
        value_of[c] = f"{c:0{width}d}: {name}"
    values = np.full(ds.num_points, None, dtype=object)
    values[rows] = [value_of[c] for c in labels.tolist()]
    sizes = np.bincount(labels[labels >= 0], minlength=int(labels.max()) + 1 if (labels >= 0).any() else 0)
    listed = [{"value": value_of[c], "size": int(sizes[c])} for c in range(len(sizes))]
    if (labels < 0).any():
        listed.append({"value": NOISE, "size": int((labels < 0).sum())})
    return values, {**summary, "clusters_list": listed, "named_by": column}

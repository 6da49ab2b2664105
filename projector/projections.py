"""Projections of all points (or a subset) to 2 or 3 dimensions: PCA, t-SNE, UMAP, custom, raw.

Every method runs on every point it is given — nothing is sampled. Long methods report
``on_progress(done, total, coords=None)`` and stop with :class:`Cancelled` when ``should_stop()``.
"""
from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass, field

import numpy as np

from .cache import subset_digest
from .dataset import Rows, block_rows
from .errors import Cancelled, DataError
from .search import search

METHODS = ("pca", "tsne", "umap", "custom", "raw")
PCA_COMPONENTS = 10
TSNE_PCA_DIMS = 50          # t-SNE and UMAP work on an exact PCA to this many dims when D is larger
TSNE_DEFAULT_ITERATIONS = 300    # trustworthiness@10 is within 0.001 of 750 iterations on 10k digits
TSNE_EARLY_FRACTION = 1 / 3      # share of iterations with early exaggeration (at most 250)
TSNE_FFT_MIN_POINTS = 20_000     # FFT gradients beat Barnes-Hut above this size (2D only)
TSNE_THETA = 0.8                 # Barnes-Hut accuracy; 0.8 is 25% faster than 0.5 at equal trustworthiness
TSNE_FAISS_MAX = 1_000_000   # faiss neighbours (recall ≥ 0.99, measured) up to this size, Annoy above
TSNE_FRAME_EVERY = 10       # iterations between intermediate frames
UMAP_DEFAULTS = {"n_neighbors": 15, "min_dist": 0.1}


@dataclass
class Projection:
    """Coordinates of the projected points (float32, len(subset or all) × dims) and how they were made."""
    method: str
    dims: int
    coords: np.ndarray
    params: dict
    info: dict = field(default_factory=dict)
    subset: np.ndarray | None = None
    cached: bool = False
    key: str | None = None      # its key in the result cache, when one was given


def default_perplexity(n: int) -> int:
    """The anchor's default perplexity: max(5, ceil(√N / 4)), kept below N/3."""
    return int(min(max(5, math.ceil(math.sqrt(n) / 4)), max(1, (n - 1) // 3)))


def fill_params(method: str, dims: int, n: int, dim: int, params: dict | None) -> dict:
    """The parameters a projection actually uses: the caller's, with defaults filled in and checked."""
    p = dict(params or {})
    if method == "pca":
        comps = list(p.get("components") or list(range(dims)))
        ncomp = min(PCA_COMPONENTS, dim, n)
        if len(comps) != dims or any(not 0 <= int(c) < ncomp for c in comps):
            raise DataError(f"PCA axes must be {dims} component numbers between 0 and {ncomp - 1}.")
        return {"components": [int(c) for c in comps]}
    if method == "tsne":
        perplexity = float(p.get("perplexity") or default_perplexity(n))
        if not 1 <= perplexity < n:
            raise DataError(f"perplexity must be between 1 and the number of points ({n}); it is {perplexity:g}.")
        lr = p.get("learning_rate", "auto")
        if lr not in ("auto", None):
            lr = float(lr)
            if lr <= 0:
                raise DataError("the learning rate must be positive.")
        iterations = int(p.get("iterations") or TSNE_DEFAULT_ITERATIONS)
        if not 10 <= iterations <= 100_000:
            raise DataError("t-SNE iterations must be between 10 and 100,000.")
        return {"perplexity": perplexity, "learning_rate": lr or "auto", "iterations": iterations,
                "seed": int(p.get("seed", 42))}
    if method == "umap":
        nn = int(p.get("n_neighbors") or UMAP_DEFAULTS["n_neighbors"])
        md = float(p.get("min_dist", UMAP_DEFAULTS["min_dist"]))
        if not 2 <= nn <= 999:
            raise DataError("UMAP neighbours must be between 2 and 999.")
        if not 0 <= md <= 1:
            raise DataError("UMAP min_dist must be between 0 and 1.")
        return {"n_neighbors": nn, "min_dist": md, "seed": p.get("seed")}
    if method == "custom":
        return {k: str(p.get(k) or "") for k in ("left", "right", "up", "down")} | {
            "regex": bool(p.get("regex", False)), "column": p.get("column")}
    if method == "raw":
        if dim > 3:
            raise DataError(f"raw coordinates need at most 3 dimensions; this data set has {dim}. Use PCA.")
        return {}
    raise DataError(f"unknown projection {method!r}; use one of {', '.join(METHODS)}.")


def _checked(dataset, method: str, dims: int, subset):
    """(method, dims, subset indices) after the checks every projection shares."""
    method = str(method).lower()
    if method not in METHODS:
        raise DataError(f"unknown projection {method!r}; use one of {', '.join(METHODS)}.")
    if dims not in (2, 3):
        raise DataError("a projection has 2 or 3 dimensions.")
    if method == "custom":
        dims = 2
    if method == "raw":
        dims = min(dims, dataset.dim)
    subset_idx = None
    if subset is not None:
        subset_idx = np.unique(np.asarray(subset, dtype=np.int64))
        if subset_idx.size < 2:
            raise DataError("a projection needs at least 2 points; select more before isolating.")
        if subset_idx[0] < 0 or subset_idx[-1] >= dataset.num_points:
            raise DataError("the subset names points that do not exist in this data set.")
    return method, dims, subset_idx


def projection_key(dataset, method: str, *, dims: int = 2, points: int | None = None, subset_digest: str | None = None,
                   params: dict | None = None, spherize: bool = False, cache) -> tuple[str, dict]:
    """(result-cache key, parameters used) of a projection, found without computing or reading it.

    ``points`` is how many points are projected (all, or the subset's size) and ``subset_digest``
    the subset's id (:func:`projector.cache.subset_digest`), so no index list is read to ask.
    """
    method, dims, _ = _checked(dataset, method, dims, None)
    n = dataset.num_points if points is None else int(points)
    used = fill_params(method, dims, n, dataset.dim, params)
    return _key(dataset, method, dims, used, subset_digest, spherize, cache), used


def _key(dataset, method, dims, used, subset_digest, spherize, cache) -> str:
    # PCA computes all 10 components once; the axes are picked from them, so changing axes is free.
    key_params = {} if method == "pca" else used
    if method == "custom" and getattr(dataset, "metadata_version", 0):
        key_params = {**used, "metadata_version": dataset.metadata_version}  # the axes come from the labels
    key_dims = PCA_COMPONENTS if method == "pca" else dims
    return cache.key(dataset.id, method, key_dims, key_params, subset_digest, spherize)


def project(dataset, method: str, *, dims: int = 2, subset=None, params: dict | None = None,
            spherize: bool = False, cache=None, on_progress=None, should_stop=None,
            only_cached: bool = False, init=None) -> Projection | None:
    """Project all points of ``dataset`` (or the points in ``subset``) with ``method``.

    ``method`` is "pca", "tsne", "umap", "custom" or "raw"; ``dims`` is 2 or 3 (custom is 2D).
    Returns a :class:`Projection`; with a :class:`ResultCache` as ``cache`` an earlier result
    for the same data, method and parameters is returned without recomputing. With
    ``only_cached=True`` nothing is computed: a cache miss returns None.

    ``init`` (t-SNE and UMAP only): the starting coordinates, one row per projected point, instead of
    the method's own start (PCA for t-SNE, spectral for UMAP); a digest of them is one of the parameters
    (``params["init"]``), so it is part of the result's cache key.
    """
    method, dims, subset_idx = _checked(dataset, method, dims, subset)
    n = dataset.num_points if subset_idx is None else len(subset_idx)
    used = fill_params(method, dims, n, dataset.dim, params)
    if init is not None:
        init = _checked_init(method, init, n, dims)
        used["init"] = hashlib.blake2b(init.tobytes(), digest_size=10).hexdigest()
    progress = on_progress or (lambda done, total, coords=None: None)
    stop = should_stop or (lambda: False)
    key = _key(dataset, method, dims, used, subset_digest(subset_idx), spherize, cache) if cache else None
    hit = cache.get(key) if cache else None
    if hit is not None:
        coords, info = hit
        cached = True
    elif only_cached:
        return None
    else:
        X = Rows(dataset, spherize, subset_idx)  # read block by block: a large set is never copied whole
        runner = {"pca": _pca, "tsne": _tsne, "umap": _umap, "custom": _custom, "raw": _raw}[method]
        coords, info = runner(dataset, X, PCA_COMPONENTS if method == "pca" else dims, used, subset_idx,
                              progress, stop, **({} if init is None else {"init": init}))
        if X.scale != 1.0 and method in ("pca", "custom", "raw"):   # back to the vectors' own units
            with np.errstate(over="ignore"):
                unscaled = (np.asarray(coords, dtype=np.float64) / X.scale).astype(np.float32)
            if np.isfinite(unscaled).all():
                coords = unscaled
            else:
                info = {**info, "unit": f"2^{-int(np.log2(X.scale))}"}   # beyond float32 in the vectors' units
        coords = np.ascontiguousarray(coords, dtype=np.float32)
        if cache:
            try:
                cache.put(key, coords, info)
            except DataError as exc:   # a full disk: the result is given, only not kept
                info = {**info, "not_kept": str(exc)}
        cached = False
    info = dict(info)
    if method == "pca":
        comps = used["components"]
        ratios = info.get("explained_variance_ratio", [])
        info["components"] = comps
        info["variance_shown"] = float(sum(ratios[c] for c in comps if c < len(ratios)))
        coords = np.ascontiguousarray(coords[:, comps])
    return Projection(method=method, dims=coords.shape[1], coords=coords, params=used, info=info,
                      subset=subset_idx, cached=cached, key=key)


def _checked_init(method: str, init, n: int, dims: int) -> np.ndarray:
    """Starting coordinates as float64 n × dims, or the sentence that says why they cannot be used."""
    if method not in ("tsne", "umap"):
        raise DataError("only t-SNE and UMAP start from given coordinates.")
    init = np.ascontiguousarray(init, dtype=np.float64)
    if init.shape != (n, dims):
        raise DataError(f"the starting coordinates must be one row of {dims} numbers per projected point ({n:,}).")
    if not np.isfinite(init).all():
        raise DataError("some starting coordinates are not finite numbers.")
    return init


PCA_IN_MEMORY_MAX = 16_000_000   # values (n × D) up to which scikit-learn's solver gets the rows in memory


def exact_pca(X, n_components: int, in_memory_max: int = PCA_IN_MEMORY_MAX):
    """Exact PCA of all rows: (scores float32 n×k, explained variance ratio of the k components).

    ``X`` is an array or :class:`Rows`. Small inputs go to scikit-learn's covariance solver. Larger
    ones are read twice block by block, and no centred copy of the data is ever made (it would add
    1× the data's size): one pass gathers the mean and the covariance (float64, see
    :func:`_mean_and_scatter`), then eigh, then a second pass gives the scores.
    Component signs follow scikit-learn's rule: each component's largest entry is positive.
    """
    n, d = X.shape
    k = min(n_components, n, d)
    if n * d <= in_memory_max:
        from sklearn.decomposition import PCA

        # "auto" picks the covariance eigensolver for tall data: exact, and ~10× faster than full SVD.
        pca = PCA(n_components=k, svd_solver="auto")
        with np.errstate(invalid="ignore", divide="ignore"):   # all points alike: no variance to share out
            scores = pca.fit_transform(np.asarray(X, dtype=np.float32))
        ratios = [float(r) if np.isfinite(r) else 0.0 for r in pca.explained_variance_ratio_]
        return np.nan_to_num(scores.astype(np.float32), nan=0.0), ratios
    step = block_rows(d)
    blocks = X.blocks if isinstance(X, Rows) else (
        lambda: ((s, np.asarray(X[s:s + step], dtype=np.float32)) for s in range(0, n, step)))
    mean, scatter = _mean_and_scatter(blocks(), d)
    cov = scatter / max(1, n - 1)
    # numpy's own LAPACK: scipy's top-k eigh is faster alone but runs on a second OpenBLAS whose
    # threads contend with numpy's still-spinning ones (measured ~0.1 s slower at 100k×768)
    values, vectors = np.linalg.eigh(cov)
    values = np.clip(values, 0.0, None)
    order = np.argsort(values)[::-1][:k]
    comps = vectors[:, order]
    comps *= np.sign(comps[np.argmax(np.abs(comps), axis=0), np.arange(k)])
    total = values.sum()
    ratios = [float(v / total) if total > 0 else 0.0 for v in values[order]]
    c32 = comps.astype(np.float32)
    # Rows near the origin are multiplied as they are and the mean's scores taken off after (no copy);
    # rows far from it are centred first. x − m32 is exact for rows near a large mean, and the part of
    # the mean float32 dropped is put back in float64.
    centre = not _near_origin(mean, np.diag(cov))
    m32 = mean.astype(np.float32) if centre else np.zeros(d, dtype=np.float32)
    offset = ((mean - m32.astype(np.float64)) @ comps).astype(np.float32)
    scores = np.empty((n, k), dtype=np.float32)
    buf = np.empty((min(n, step), d), dtype=np.float32) if centre else None
    for s, block in blocks():
        rows = np.subtract(block, m32, out=buf[:len(block)]) if centre else block
        np.matmul(rows, c32, out=scores[s:s + len(block)])
        scores[s:s + len(block)] -= offset
    return scores, ratios


def _near_origin(mean, variances) -> bool:
    """Whether every column's mean is within its own spread: float32 products of such rows, uncentred,
    have at most twice the round-off of centred ones (|x| ≤ |x − μ| + σ), so centring can be skipped."""
    return bool(np.all(mean * mean <= variances))


def _mean_and_scatter(blocks, d: int):
    """Mean and scatter Σ(x−μ)(x−μ)ᵀ of all rows (float64) in one pass over the blocks.

    Rows near the origin (:func:`_near_origin`) are multiplied in float32 as they are and their
    products summed as one group. Once a block is far from the origin, each block from there on is
    centred at its own mean before its float32 product (so a common offset as large as 1e4 next to a
    spread of 1 loses nothing to cancellation). The parts are joined exactly at the end: the sum of
    their own scatters plus Σ nᵢ(mᵢ − μ)(mᵢ − μ)ᵀ of their means mᵢ around the overall mean μ.
    """
    near_count, near_sum = 0, np.zeros(d, dtype=np.float64)
    scatter = np.zeros((d, d), dtype=np.float64)
    counts, means, lefts = [], [], []   # of each centred block
    buf, centre = None, False    # centre once a block's rows turn out to be far from the origin
    for _, block in blocks:
        nb = len(block)
        block_sum = block.sum(axis=0, dtype=np.float64)
        block_mean = block_sum / nb
        if not centre:
            product = block.T @ block
            centre = not _near_origin(block_mean, np.diag(product) / nb - block_mean * block_mean)
            if not centre:
                near_count += nb
                near_sum += block_sum
                scatter += product
                continue
        if buf is None or len(buf) < nb:
            buf = np.empty((nb, d), dtype=np.float32)
        shift = block_mean.astype(np.float32)
        centred = np.subtract(block, shift, out=buf[:nb])
        scatter += centred.T @ centred
        counts.append(nb)
        means.append(block_mean)
        lefts.append(block_mean - shift)   # the centred block's own mean: what rounding the shift left
    if near_count:   # the near group's products are around the origin: its −n·m·mᵀ, as a left-over mean
        counts.append(near_count)
        means.append(near_sum / near_count)
        lefts.append(means[-1])
    counts = np.asarray(counts, dtype=np.float64)[:, None]
    means, lefts = np.asarray(means).reshape(-1, d), np.asarray(lefts).reshape(-1, d)
    mean = (counts * means).sum(axis=0) / max(1.0, counts.sum())
    apart = means - mean
    scatter += (counts * apart).T @ apart - (counts * lefts).T @ lefts
    return mean, scatter


def _pca(dataset, X, dims, params, subset, progress, stop):
    progress(0, 1)
    scores, ratios = exact_pca(X, PCA_COMPONENTS)
    if scores.shape[1] < PCA_COMPONENTS:  # fewer dims than 10: pad so component numbers stay stable
        scores = np.hstack([scores, np.zeros((len(scores), PCA_COMPONENTS - scores.shape[1]), np.float32)])
    progress(1, 1)
    return scores, {"explained_variance_ratio": ratios, "total_variance": float(sum(ratios))}


def _reduce(X) -> np.ndarray:
    if X.shape[1] > TSNE_PCA_DIMS and X.shape[0] > TSNE_PCA_DIMS:
        return exact_pca(X, TSNE_PCA_DIMS)[0]
    return np.asarray(X, dtype=np.float32)


def _tsne(dataset, X, dims, params, subset, progress, stop, init=None):
    from openTSNE import TSNEEmbedding, affinity, initialization

    from . import tsne_fast

    n = X.shape[0]
    total = params["iterations"]
    early = min(250, int(total * TSNE_EARLY_FRACTION))
    progress(0, total)
    Xr = _reduce(X).astype(np.float64)
    _require_spread(Xr, "t-SNE")
    if stop():
        raise Cancelled()
    n_jobs = os.cpu_count() or 1
    perplexity = min(params["perplexity"], (n - 1) / 3)
    k = min(n - 1, int(3 * perplexity))
    if n <= TSNE_FAISS_MAX:
        idx, dist, recall = tsne_fast.knn(Xr, k, stop, n_jobs)
        if stop():
            raise Cancelled()
        # openTSNE's affinities (PerplexityBasedNN with these neighbours), made by tsne_fast: the per-point
        # Gaussians (4.6 s by openTSNE's bisection at 100k points) and the symmetric, normalised matrix (5 s)
        effective = affinity.PerplexityBasedNN.check_perplexity(perplexity, idx.shape[1])
        conditional = tsne_fast.gaussian_perplexity(dist, effective)
        aff = affinity.Affinities()
        aff.P = tsne_fast.joint_probabilities(idx, conditional)
    else:
        recall = None  # Annoy's, not measured
        aff = affinity.PerplexityBasedNN(Xr, perplexity=perplexity, method="annoy", n_jobs=n_jobs,
                                         random_state=params["seed"], verbose=False)
    if stop():
        raise Cancelled()
    if init is not None and np.any(init.std(axis=0) > 0):
        # a finished map to start from (another embedding's): kept at its own scale and without early
        # exaggeration, so the points keep their places unless their neighbours moved (on digits, the
        # unchanged points move a quarter as far as from openTSNE's rescaled start, which forgets the map)
        init, early = init - init.mean(axis=0), 0
    elif init is not None:   # every point at one spot: nothing to start from
        init = initialization.random(Xr, n_components=dims, random_state=params["seed"], verbose=False)
    else:
        init = initialization.pca(Xr, n_components=dims, random_state=params["seed"], verbose=False)
    aff.P = aff.P.astype(np.float32)  # halves P's memory (37.6M values, 150 MB saved, at 100k points)
    gradient = "fft" if dims == 2 and n >= TSNE_FFT_MIN_POINTS else "bh"
    objective = tsne_fast.fft_objective if gradient == "fft" else tsne_fast.bh_objective
    emb = TSNEEmbedding(init, aff, n_jobs=n_jobs, negative_gradient_method=objective, theta=TSNE_THETA,
                        random_state=params["seed"], verbose=False)
    lr = params["learning_rate"]
    state = {"offset": 0}

    def callback(iteration, error, embedding):
        if stop():
            raise Cancelled()
        progress(state["offset"] + iteration, total, np.asarray(embedding, dtype=np.float32))
        return False

    common = dict(callbacks=callback, callbacks_every_iters=TSNE_FRAME_EVERY, n_jobs=n_jobs)
    if early:
        emb = emb.optimize(n_iter=early, exaggeration=12, momentum=0.5, learning_rate=lr, **common)
    state["offset"] = early
    emb = emb.optimize(n_iter=total - early, exaggeration=1, momentum=0.8, learning_rate=lr, **common)
    coords = _finite(emb, "t-SNE")
    progress(total, total, coords)
    return coords, {"iterations": total, "kl_divergence": float(emb.kl_divergence),
                    "gradient": gradient, "perplexity": perplexity, "neighbours_recall": recall,
                    "pca_dims": int(Xr.shape[1]) if Xr.shape[1] != X.shape[1] else None}


def _umap(dataset, X, dims, params, subset, progress, stop, init=None):
    import warnings

    import umap

    from . import umap_fast

    n = X.shape[0]
    Xr = _reduce(X)
    n_epochs = 500 if n <= 10_000 else 200  # umap-learn's own defaults by size
    total = n_epochs + 1
    progress(0, total)
    if stop():
        raise Cancelled()
    if n < UMAP_MIN_POINTS:
        raise DataError(f"UMAP needs at least {UMAP_MIN_POINTS} points to build its neighbour graph; there are "
                        f"{n}. Use PCA or t-SNE for so few.")
    _require_spread(Xr, "UMAP")
    # the spectral start needs more points than dimensions plus neighbours; below that, a random start
    start = "spectral" if n > max(params["n_neighbors"], dims) + 10 else "random"
    if init is not None and np.all(init.std(axis=0) > 0):
        start = init   # umap-learn scales each axis of a given start to 0–10 itself
    # umap-learn makes the fuzzy graph and the start (no epochs); projector.umap_fast runs the epochs
    reducer = umap.UMAP(n_neighbors=max(2, min(params["n_neighbors"], n - 1)), min_dist=params["min_dist"],
                        n_components=dims, n_epochs=0, random_state=params["seed"], init=start)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*(n_jobs value|Graph is not fully connected|n_epochs).*")
        layout_start = reducer.fit_transform(Xr)
    if stop():
        raise Cancelled()
    progress(1, total)

    def epoch_done(done):
        if stop():
            raise Cancelled()
        if done % 5 == 0 or done == n_epochs:
            progress(1 + done, total)

    coords = _finite(umap_fast.optimize_layout(layout_start, reducer.graph_, n_epochs, reducer._a, reducer._b,
                                               seed=params["seed"], on_epoch=epoch_done), "UMAP")
    progress(total, total)
    return coords, {"epochs": n_epochs}


UMAP_MIN_POINTS = 4


def _require_spread(X, method: str) -> None:
    """A :class:`DataError` when every row is the same vector: nothing for ``method`` to arrange."""
    X = np.asarray(X)
    if np.all(X.max(axis=0) == X.min(axis=0)):
        raise DataError(f"all {len(X):,} points are the same vector, so {method} has nothing to arrange; "
                        "PCA shows them (at one spot).")


def _finite(coords, method: str) -> np.ndarray:
    coords = np.asarray(coords, dtype=np.float32)
    if not np.isfinite(coords).all():
        raise DataError(f"{method} gave no finite layout for these points (too many of them coincide); try PCA, "
                        "or isolate points that differ.")
    return coords


def _centroid(dataset, spherize, query, regex, column):
    """The mean vector of every point of the whole data set matching ``query`` (TensorBoard matches axis
    queries among all points, not only the ones shown), and how many matched."""
    if not query:
        return None, 0
    hits = search(dataset, query, column=column, regex=regex)
    if hits.size == 0:
        return None, 0
    rows = Rows(dataset, spherize, hits)
    total = np.zeros(dataset.dim, dtype=np.float64)
    for _, block in rows.blocks():
        total += block.sum(axis=0, dtype=np.float64)
    return total / hits.size, int(hits.size)


def _custom(dataset, X, dims, params, subset, progress, stop):
    """Each axis runs from the centroid of one query's matches to the other's; the points shown (all,
    or the isolated ones) are projected onto those directions."""
    info, axes = {"matches": {}, "problems": []}, []
    for a, b, axis in (("left", "right", "x"), ("down", "up", "y")):
        ends = {}
        for end in (a, b):
            ends[end], count = _centroid(dataset, X.sphere is not None, params[end], params["regex"],
                                         params["column"])
            info["matches"][end] = count
            if params[end] and not count:
                info["problems"].append(f"no point matches {params[end]!r} ({end}); the {axis} axis is flat.")
        if ends[a] is None or ends[b] is None:
            if not params[a] and not params[b]:
                info["problems"].append(f"the {axis} axis has no queries; it is flat.")
            axes.append(None)
        else:
            axes.append(ends[b] - ends[a])
    coords = np.zeros((X.shape[0], 2), dtype=np.float32)
    for j, direction in enumerate(axes):
        if direction is not None:
            for s, block in X.blocks():
                coords[s:s + len(block), j] = block @ direction.astype(np.float32)
    return coords, info


def _raw(dataset, X, dims, params, subset, progress, stop):
    return np.asarray(X, dtype=np.float32)[:, :dims], {}

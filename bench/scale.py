"""A large data set end to end in headless Chromium, the way a user meets it, with the server's memory.

    python bench/scale.py [--points 100000 --dim 768] [--gb 2] [--three-d]

Makes a seeded Gaussian-mixture data set (``bench.datasets.blobs``, 20 clusters, labels c0…c19),
starts the app on an empty data folder, and in the browser: uploads the .npy and .tsv through the
Data panel (chunked PUTs), presses Load, waits for the first picture (PCA of every point), colours
by label, opens the table, scrolls to row 0.9 N and sorts it, clicks a point and waits for its 100 neighbours, searches a label, box-selects, isolates the
selection and shows all again (and, with ``--three-d``, draws PCA in 3D). Prints one JSON row per
step with the seconds it took, then the peak memory of the web process and of the job processes
against the size of the vectors. ``--gb 2`` sizes the file to 2 GB instead of ``--points``.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench.datasets import blobs  # noqa: E402
from screenshot import click_point, driver, wait  # noqa: E402

GRAPH = "#scatter .js-plotly-plot"
DRAWN = ("const g=document.querySelector('#scatter .js-plotly-plot');"
         "return g && g._fullData && g._fullData[arguments[0]] && g._fullData[arguments[0]].x ?"
         " g._fullData[arguments[0]].x.length : -1;")


class Memory(threading.Thread):
    """Peak resident memory of the app's process and, separately, of its children (the job server and jobs)."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.proc, self.web, self.jobs, self.running = psutil.Process(pid), 0, 0, True

    def run(self):
        while self.running:
            try:
                self.web = max(self.web, self.proc.memory_info().rss)
                kids = [c.memory_info().rss for c in self.proc.children(recursive=True)]
                self.jobs = max(self.jobs, max(kids, default=0))
            except psutil.Error:
                pass
            time.sleep(0.2)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=768)
    ap.add_argument("--gb", type=float, help="size the .npy to this many GB instead of --points")
    ap.add_argument("--three-d", action="store_true", help="also draw PCA in 3D")
    ap.add_argument("--load-only", action="store_true",
                    help="upload, Load → first picture (and 3D): skip the interactions, which a browser without a "
                         "GPU draws slowly at several hundred thousand points")
    ap.add_argument("--port", type=int, default=8067)
    args = ap.parse_args()
    n = math.ceil(args.gb * 1e9 / (4 * args.dim)) if args.gb else args.points

    work = Path(tempfile.mkdtemp(prefix="projector-scale-"))
    X, labels = blobs(n, args.dim, seed=5)
    np.save(work / "vectors.npy", X)
    nbytes = X.nbytes
    del X
    (work / "metadata.tsv").write_text("label\tcluster\n" + "".join(f"c{v}\t{v}\n" for v in labels))
    timing = work / "callbacks.jsonl"
    env = {**os.environ, "PROJECTOR_WARM_UMAP": "0",  # this run starts no UMAP job
           "PROJECTOR_TIMING": str(timing)}  # the app logs each callback's server time there
    app = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--no-sample", "--data-dir", str(work / "data"),
                            "--port", str(args.port), "--max-upload-gb", str(max(4, math.ceil(args.gb or 0) + 1))],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    memory = Memory(app.pid)
    memory.start()
    d = driver()
    rows = []

    def step(name, fn, timeout=600):
        t = time.time()
        fn()
        end = time.time()
        rows.append({"row": name, "seconds": round(end - t, 2)})
        # the callbacks answered during the step, with their server time: the rest is network and browser
        calls = [json.loads(line) for line in timing.read_text().splitlines()] if timing.exists() else []
        rows[-1]["server"] = [[c["output"].split(".")[0][:28], c["ms"], c["bytes"], round(c["t"] - t, 2)] for c in calls
                              if t - 0.5 <= c["t"] <= end + 0.5 and c["ms"] > 20]
        print(json.dumps(rows[-1], ensure_ascii=False), flush=True)

    drawn = lambda trace=0: d.execute_script(DRAWN, trace)  # noqa: E731
    text = lambda css: d.find_element("css selector", css).text  # noqa: E731
    try:
        url = f"http://127.0.0.1:{args.port}/"
        wait(lambda: urllib.request.urlopen(url, timeout=2).status == 200, 60)
        time.sleep(5)  # let the job server finish starting, as it has on a server that has been up a while
        d.get(url)
        wait(lambda: d.find_element("id", "upload-vectors-file"), 30)
        d.execute_script("document.querySelector('#data-panel details').open = true;")
        mb = nbytes / 1e6

        def send(box, path):
            d.find_element("id", f"upload-{box}-file").send_keys(str(path))
            wait(lambda: text(f"#upload-{box}-name").endswith("ready"), 1800)

        step(f"upload vectors.npy ({mb:,.0f} MB) in 8 MB chunks", lambda: send("vectors", work / "vectors.npy"))
        rows[-1]["MB_per_s"] = round(mb / rows[-1]["seconds"], 1)
        step("upload metadata.tsv", lambda: send("metadata", work / "metadata.tsv"))

        marks = {}

        def load():
            t = time.time()
            d.find_element("id", "load-upload").click()
            wait(lambda: text("#data-message").startswith("Loaded"), 900)
            marks["stored"] = time.time() - t
            wait(lambda: drawn() == n, 900)
        step(f"Load → first picture (PCA of all {n:,} × {args.dim})", load)
        rows[-1].update(target_s=5, of_which_checked_and_stored_s=round(marks["stored"], 2))

        if not args.load_only:
            grid = "dash_ag_grid.getApi('points-table')"
            row_at = f"const r={grid}.getDisplayedRowAtIndex(arguments[0]); return r && r.data ? r.data.i : null;"

            def table():
                d.find_element("id", "table-toggle").click()
                wait(lambda: text("#table-message").startswith(f"{n:,} of {n:,} points"), 300)
                far = int(n * 0.9)
                d.execute_script(f"{grid}.ensureIndexVisible(arguments[0], 'middle');", far)
                wait(lambda: d.execute_script(row_at, far) == far, 300)
                d.find_element("css selector", '#points-table .ag-header-cell[col-id="c1"] .ag-header-cell-label').click()
                wait(lambda: d.execute_script(row_at, far) not in (None, far), 300)   # the cluster order, row 0.9 n
                d.find_element("id", "table-toggle").click()
            step("table: open it, scroll to row 0.9 N, sort all rows by a column there", table)

            def colour():
                d.execute_script("Plotly.relayout(document.querySelector(arguments[0]), {'xaxis.autorange': true});", GRAPH)
                for choice, shows in (("cluster", lambda: "c19" not in text("#legend")),
                                      ("label", lambda: "c19" in text("#legend"))):
                    d.find_element("id", "color-by").click()
                    options = d.find_elements("css selector", ".dash-dropdown-options .dash-dropdown-option")
                    next(o for o in options if o.text == choice).click()
                    wait(shows, 300)
            step("colour by a number (gradient), then by label (20 values): two Patches", colour)

            def neighbours():
                click_point(d, 7)
                wait(lambda: "100 nearest neighbours" in text("#neighbor-list") and drawn(1) == 101, 300)
            step("click a point → 100 exact neighbours listed and highlighted", neighbours)

            def search():
                box = d.find_element("id", "search-query")
                box.clear()
                box.send_keys("c3\n")
                wait(lambda: "matches" in text("#search-message"), 300)
            step("search a label over all points", search)
            rows[-1]["matches"] = text("#search-message")

            def box_select():
                from selenium.webdriver.common.action_chains import ActionChains
                d.execute_script("Plotly.relayout(document.querySelector(arguments[0]), {dragmode: 'select'});", GRAPH)
                layer = d.find_element("css selector", GRAPH + " .nsewdrag")
                w, h = layer.size["width"], layer.size["height"]
                ActionChains(d).move_to_element_with_offset(layer, int(w * 0.35), int(h * 0.35)).click_and_hold() \
                    .move_by_offset(int(w * 0.15), int(h * 0.15)).move_by_offset(int(w * 0.05), int(h * 0.05)) \
                    .release().perform()
                wait(lambda: "selected" in text("#result-list"), 300)
            step("box select", box_select)
            selected = int(text("#result-list").split()[0].replace(",", ""))
            rows[-1]["selected"] = selected

            def isolate():
                d.find_element("id", "isolate").click()
                wait(lambda: drawn() == selected, 600)
            step(f"isolate the {selected:,} selected points (PCA again on them)", isolate)

            def show_all():
                d.find_element("id", "show-all").click()
                wait(lambda: drawn() == n, 600)
            step("show all (cached PCA)", show_all)

        if args.three_d:
            def three_d():
                d.find_element("css selector", "#pca-3d input").click()
                wait(lambda: d.execute_script(f"return document.querySelector('{GRAPH}')._fullData[0].type") == "scatter3d"
                     and drawn() == n, 900)
            step("PCA in 3D, every point", three_d)
            rows[-1]["notice"] = text("#status")
            if os.environ.get("SCALE_SCREENSHOT"):
                d.save_screenshot(os.environ["SCALE_SCREENSHOT"])
        time.sleep(1)
        memory.running = False
        memory.join()
        summary = {"row": "server memory", "vectors_MB": round(mb), "web_peak_MB": round(memory.web / 1e6),
                   "web_ratio": round(memory.web / nbytes, 2), "job_peak_MB": round(memory.jobs / 1e6),
                   "job_ratio": round(memory.jobs / nbytes, 2), "target_ratio": 3}
        print(json.dumps(summary), flush=True)
    finally:
        d.quit()
        app.terminate()
        app.wait(timeout=30)
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main()

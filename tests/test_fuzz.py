"""The fuzzer (tests/fuzz.py) against a real app process for a bounded time: every callback from the app's
own /_dash-dependencies and every HTTP route, hostile payloads of every class. Properties: no answer
is a 5xx, the app's log holds no traceback, the app still answers, every stored data set is
byte-identical afterwards, and the web process stays under its memory ceiling."""
import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.request

import numpy as np
import psutil

from appproc import ENV, ROOT, free_port, stop
from fuzz import Fuzzer

FUZZ_SECONDS = float(os.environ.get("PROJECTOR_FUZZ_SECONDS", "45"))
MEMORY_CEILING = 1.5 * 2**30   # the web process (README: Reliability) after the whole run


def store_digest(data_dir):
    """Every file of every stored data set, by path and content."""
    h = {}
    for p in sorted((data_dir / "store" / "datasets").rglob("*")):
        if p.is_file():
            h[str(p.relative_to(data_dir))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return h


def test_hostile_payloads_to_every_callback_and_route_never_break_the_app(tmp_path):
    rng = np.random.default_rng(3)
    np.save(tmp_path / "mine.npy", rng.normal(size=(400, 12)).astype(np.float32))
    (tmp_path / "mine.tsv").write_text("word\tn\n" + "".join(f"w{i}\t{i % 7}\n" for i in range(400)))
    data = tmp_path / "data"
    port = free_port()
    log = open(tmp_path / "app.log", "w")
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), "--data-dir", str(data),
                             "--embeddings", str(tmp_path / "mine.npy"), "--metadata", str(tmp_path / "mine.tsv")],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=ENV, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                urllib.request.urlopen(url + "/_dash-layout", timeout=2).read()
                break
            except OSError:
                assert time.time() < deadline and proc.poll() is None, (tmp_path / "app.log").read_text()
                time.sleep(0.3)
        before = store_digest(data)
        report = Fuzzer(url, str(data), seed=int(time.time()) % 1000, num_points=400).run(FUZZ_SECONDS)
        rss = psutil.Process(proc.pid).memory_info().rss
        print(json.dumps({**{k: v for k, v in report.items() if k != "examples"}, "web_rss_mb": rss // 2**20}))
        assert report["server_errors"] == 0, json.dumps(report["examples"], indent=1)[:4000]
        assert report["payloads"] > 2_000
        with urllib.request.urlopen(url + "/", timeout=10) as r:
            assert r.status == 200
        after = store_digest(data)
        # the vectors, sprites and uploaded metadata are byte-identical (a valid tag request may add a metadata
        # version beside them, and name it in the manifest)
        kept = {p: h for p, h in before.items() if not p.endswith("manifest.json")}
        assert {p: after.get(p) for p in kept} == kept
        assert rss < MEMORY_CEILING, f"the web process holds {rss / 2**20:,.0f} MB"
    finally:
        stop(proc)
        log.close()
    text = (tmp_path / "app.log").read_text()
    assert "Traceback" not in text, text[text.index("Traceback") - 300:][:3000]

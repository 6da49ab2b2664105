"""The command line: help, a bad file's sentence, and data sets that survive a restart."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PROJECTOR_WARM_UMAP": "0"}  # these app starts run no jobs: skip the UMAP warm-up


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_app(*args, wait_for=None):
    """Start app.py; return (process, layout JSON) once it serves its layout."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_dash-layout", timeout=2) as r:
                return proc, json.dumps(json.loads(r.read()), ensure_ascii=False)
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise AssertionError(f"the app did not start: {proc.stdout.read()}")


def stop(proc):
    proc.terminate()
    proc.wait(timeout=20)


def test_help_lists_the_options():
    out = subprocess.run([sys.executable, str(ROOT / "app.py"), "--help"], capture_output=True, text=True,
                         timeout=60, env=ENV)
    assert out.returncode == 0
    for flag in ("--embeddings", "--metadata", "--config", "--data-dir", "--host", "--port", "--max-upload-gb"):
        assert flag in out.stdout


def test_a_bad_file_is_one_sentence_and_exit_2(tmp_path):
    (tmp_path / "x.npy").write_text("not an array")
    out = subprocess.run([sys.executable, str(ROOT / "app.py"), "--embeddings", str(tmp_path / "x.npy"),
                          "--data-dir", str(tmp_path / "d")], capture_output=True, text=True, timeout=60, env=ENV)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1].startswith("error: x.npy is not a NumPy .npy file")


def test_data_sets_survive_a_restart(tmp_path):
    np.save(tmp_path / "v.npy", np.random.default_rng(0).normal(size=(40, 5)).astype(np.float32))
    (tmp_path / "m.tsv").write_text("".join(f"w{i}\n" for i in range(40)))
    data = str(tmp_path / "data")
    proc, layout = run_app("--embeddings", str(tmp_path / "v.npy"), "--metadata", str(tmp_path / "m.tsv"),
                           "--name", "mine", "--no-sample", "--data-dir", data)
    stop(proc)
    assert "mine (40 × 5)" in layout
    proc, layout = run_app("--no-sample", "--data-dir", data)  # no files named this time
    stop(proc)
    assert "mine (40 × 5)" in layout and '"id": "scatter"' in layout  # the real page, with the data set

"""Start and stop app.py as a real process (its own job server included), on a free loopback port."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PROJECTOR_WARM_UMAP": "0"}  # these app starts run no UMAP job: skip its warm-up


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_app(*args, timeout=60):
    """Start app.py; return (process, url, layout JSON) once it serves its layout."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_dash-layout", timeout=2) as r:
                return proc, url, json.dumps(json.loads(r.read()), ensure_ascii=False)
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.3)
    proc.kill()
    raise AssertionError(f"the app did not start: {proc.stdout.read()}")


def stop(proc):
    """Stop the app the way a service manager does (SIGTERM), its job server with it."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()

"""Start and stop app.py as a real process (its own job server included), on a free loopback port."""
import json
import os
import signal
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


def run_app(*args, timeout=60, env=None, gunicorn_workers=0, headers=None):
    """Start app.py (or, with ``gunicorn_workers``, gunicorn serving ``app:wsgi()``); return
    (process, url, layout JSON) once it serves its layout."""
    port = free_port()
    env = {**ENV, **(env or {})}
    if gunicorn_workers:
        command = [sys.executable, "-m", "gunicorn", "-w", str(gunicorn_workers), "--threads", "4",
                   "-b", f"127.0.0.1:{port}", "--timeout", "120", "app:wsgi()"]
    else:
        command = [sys.executable, str(ROOT / "app.py"), "--port", str(port), *args]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            request = urllib.request.Request(f"{url}/_dash-layout", headers=headers or {})
            with urllib.request.urlopen(request, timeout=2) as r:
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
    try:
        os.killpg(proc.pid, signal.SIGKILL)   # anything it started and left behind
    except OSError:
        pass


def run_redis(folder):
    """A throwaway redis-server on a free loopback port (Debian's package); returns (process, url)."""
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(folder)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("redis-server did not start")


def run_worker(env, log_path):
    """A Celery worker (worker.py) with one pool process, logging to ``log_path``."""
    log = open(log_path, "w")
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "worker", "worker", "--concurrency", "1",
                             "--loglevel", "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"],
                            cwd=ROOT, env={**ENV, **env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

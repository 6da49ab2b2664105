"""Scale-out: with two Celery workers (one pool process each, as two machines would run them), two
projections asked for at once run at the same time, one on each worker — a busy worker holds back no
second job (late acknowledgement, prefetch 1)."""
import secrets
import shutil
import threading
import time

import numpy as np
import pandas as pd
import pytest

import projector
from appproc import ENV, ROOT, run_app, run_redis, stop  # noqa: F401
from httpclient import Client
from projector.projections import projection_key


def run_named_worker(env, log_path, name):
    import subprocess
    import sys

    log = open(log_path, "w")
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "worker", "worker", "--concurrency", "1", "-n", name,
                             "--loglevel", "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"],
                            cwd=ROOT, env={**ENV, **env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_two_jobs_at_once_run_on_two_workers(tmp_path):
    data = tmp_path / "data"
    rng = np.random.default_rng(4)
    X = (rng.normal(size=(3_000, 32)) + rng.integers(0, 6, size=(3_000, 1)) * 3).astype(np.float32)
    ds = projector.load_dataset(X, pd.DataFrame({"w": [f"w{i}" for i in range(3_000)]}), name="spread")
    projector.DatasetStore(data / "store").add(ds)
    redis, redis_url = run_redis(tmp_path)
    env = {"REDIS_URL": redis_url, "PROJECTOR_DATA_DIR": str(data), "PROJECTOR_SECRET": "t" * 32}
    workers = [run_named_worker(env, tmp_path / f"w{i}.log", f"w{i}@%h") for i in (1, 2)]
    proc = None
    try:
        proc, url, _ = run_app(gunicorn_workers=1, env=env, timeout=120)
        # both workers ready first: otherwise the first could finish its job and take the second too
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not all(
                " ready." in (tmp_path / f"w{i}.log").read_text() for i in (1, 2)):
            time.sleep(0.25)
        results = projector.ResultCache(data / "cache")
        answers, errors = {}, []

        def ask(seed):
            try:
                params = {"perplexity": 30, "iterations": 250, "seed": seed}
                key, used = projection_key(ds, "tsne", params=params, cache=results)
                job = {"dataset": ds.id, "subset": None, "spherize": False, "method": "tsne", "dims": 2,
                       "params": used, "key": key, "points": ds.num_points, "job": secrets.token_hex(6)}
                c = Client(url, data_dir=data, secret=env["PROJECTOR_SECRET"])
                answers[seed] = c.call_background("projection-job.data", job, {}, timeout=300)
            except Exception as exc:   # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=ask, args=(seed,)) for seed in (1, 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=400)
        assert not errors, errors
        assert all(a["projection-job-result"]["data"]["state"] == "done" for a in answers.values()), answers
    finally:
        for p in (proc, *workers, redis):
            if p is not None:
                stop(p)
    ran = [(tmp_path / f"w{i}.log").read_text().count("succeeded in") for i in (1, 2)]
    assert ran == [1, 1], ran

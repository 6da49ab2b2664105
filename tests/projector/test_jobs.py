"""Projection jobs: the registry every page follows a job through, and the body every job process runs."""
import time

import numpy as np
import pandas as pd
import pytest

import projector
from projector import jobs
from projector.projections import projection_key


@pytest.fixture
def world(tmp_path):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(120, 10)).astype(np.float32)
    ds = projector.load_dataset(X, pd.DataFrame({"w": [f"w{i % 7}" for i in range(120)]}), name="w")
    store = projector.DatasetStore(tmp_path / "store")
    store.add(ds)
    cache = projector.ResultCache(tmp_path / "cache")
    return store, cache, jobs.JobRegistry(cache), ds


def request(ds, cache, method="tsne", params=None, dims=2):
    key, used = projection_key(ds, method, dims=dims, params=params or {"perplexity": 5, "iterations": 40},
                               cache=cache)
    return {"dataset": ds.id, "subset": None, "spherize": False, "method": method, "dims": dims, "params": used,
            "key": key, "points": ds.num_points}


def test_a_job_computes_into_the_cache_and_its_record_says_done(world):
    store, cache, registry, ds = world
    req = request(ds, cache)
    registry.queue(req, "j1", "Starting t-SNE…")
    assert registry.active(req["key"])["state"] == "queued"
    out = jobs.run(req, "j1", store=store, cache=cache, registry=registry)
    assert out == {"job": "j1", "key": req["key"], "state": "done", "error": None}
    assert registry.status(req["key"])["state"] == "done" and registry.active(req["key"]) is None
    hit = projector.project(ds, "tsne", params=req["params"], cache=cache, only_cached=True)
    assert hit is not None and hit.key == req["key"] and hit.coords.shape == (120, 2)
    frame = registry.frame("j1")   # the last frame is the result
    assert frame is not None and np.allclose(frame, hit.coords)


def test_a_cancel_reaches_the_job_from_any_process_and_its_record_stays_cancelled(world):
    store, cache, registry, ds = world
    req = request(ds, cache, params={"perplexity": 5, "iterations": 5000})
    registry.queue(req, "j2")
    registry.request_cancel("j2")   # what Cancel on any page does
    out = jobs.run(req, "j2", store=store, cache=cache, registry=registry)
    assert out["state"] == "cancelled" and registry.status(req["key"])["state"] == "cancelled"
    registry.update(req["key"], "j2", state="running")   # an ended record is final: a late heartbeat changes nothing
    assert registry.status(req["key"])["state"] == "cancelled"


def test_a_user_error_is_a_sentence_and_a_silent_job_has_died(world):
    store, cache, registry, ds = world
    req = request(ds, cache)
    bad = {**req, "dataset": "0" * 20}
    registry.queue(bad, "j3")
    out = jobs.run(bad, "j3", store=store, cache=cache, registry=registry)
    assert out["state"] == "failed" and "not in the store" in out["error"]
    registry.queue(req, "j4")
    registry.update(req["key"], "j4", state="running")
    assert registry.status(req["key"], now=time.time() + jobs.STALE_S + 1)["state"] == "died"
    assert registry.status(req["key"])["state"] == "running"
    registry.queue(req, "j5")   # a job asked for whose page went away before it started
    assert registry.status(req["key"], now=time.time() + jobs.QUEUED_STALE_S + 1)["state"] == "died"
    registry.queue(req, "j6")
    registry.starting({**req, "job": "j6"})   # handed to a job server (or a worker's queue): it may wait there
    later = time.time() + jobs.QUEUED_STALE_S + 1
    assert registry.status(req["key"], now=later)["state"] == "starting" and registry.active(req["key"])


def test_progress_says_the_stage_and_the_iteration_with_time_left(world):
    assert jobs.progress_text("tsne", 0, 60).startswith("Finding") and \
        jobs.progress_text("tsne", 30, 60) == "t-SNE iteration 30 of 60"
    assert jobs.progress_text("umap", 1, 201) == "Building the neighbour graph…" and \
        jobs.progress_text("umap", 11, 201) == "UMAP epoch 10 of 200"
    assert jobs.eta_text(15.2) == " · about 15 s left" and jobs.eta_text(0.3) == " · almost done"
    store, cache, registry, ds = world
    req = request(ds, cache, params={"perplexity": 5, "iterations": 300})
    seen = []
    original = registry.update

    def spy(key, job, **fields):
        seen.append(fields.get("text"))
        original(key, job, **fields)

    registry.update = spy
    jobs.PROGRESS_EVERY_S, saved = 0.0, jobs.PROGRESS_EVERY_S
    try:
        jobs.run(req, "j6", store=store, cache=cache, registry=registry)
    finally:
        jobs.PROGRESS_EVERY_S = saved
    texts = [t for t in seen if t]
    # a time-left estimate after the iterations began ("almost done" when under a second: 120 points are quick)
    assert any(t.startswith("t-SNE iteration") and (" left" in t or "almost done" in t) for t in texts), texts
    assert registry.record(req["key"])["frame"] > 1   # frames were written along the way


def test_the_quick_job_server_starts_jobs_without_waiting_for_the_umap_warm_up(tmp_path):
    """Measured, not mocked: both fork servers really start; a job from the quick one finishes while the
    warm one is still compiling UMAP."""
    import subprocess
    import sys

    script = tmp_path / "two_servers.py"
    script.write_text(f"""
import sys, time
sys.path.insert(0, {str(jobs.__file__.rsplit('/projector/', 1)[0])!r})
from projector import forkservers

def nothing():
    pass

if __name__ == "__main__":
    t0 = time.time()
    forkservers.start(warm_umap=True)
    p = forkservers.process(nothing, (), warm=False)
    p.join()
    print("quick", round(time.time() - t0, 2), forkservers.warm_ready(), flush=True)
""")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    _, seconds, warm = out.stdout.split()
    assert warm == "False", f"the quick job ended after {seconds} s, once the warm-up was done: it waited for it"


def test_a_ctrl_c_for_the_process_group_ends_neither_a_job_nor_its_servers(tmp_path):
    """Jupyter's "interrupt kernel" sends SIGINT to the kernel's whole process group: a job running then,
    and the servers (one of them still warming up), carry on."""
    import subprocess
    import sys

    script = tmp_path / "interrupted.py"
    done = tmp_path / "done"
    script.write_text(f"""
import os, signal, sys, time
sys.path.insert(0, {str(jobs.__file__.rsplit('/projector/', 1)[0])!r})
from projector import forkservers

def slow(path):
    time.sleep(3)
    open(path, "w").write("finished")

if __name__ == "__main__":
    os.setpgrp()
    forkservers.start(warm_umap=True)
    p = forkservers.process(slow, ({str(done)!r},), warm=False)
    time.sleep(1.5)
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # this process stands for the kernel, which catches it
    os.killpg(os.getpgrp(), signal.SIGINT)
    p.join()
    servers = [s._forkserver_pid for s in (forkservers.forkserver._forkserver, forkservers._warm)]
    alive = [os.waitpid(pid, os.WNOHANG) == (0, 0) for pid in servers]
    print(p.exitcode, *alive, flush=True)
""")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "True", "True"], out.stderr[-2000:]
    assert done.read_text() == "finished"

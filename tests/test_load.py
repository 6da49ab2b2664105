"""Load: 20 clients at once against gunicorn with several worker processes; every answer is checked
(neighbours against brute force, searches against re, projections against their own request)."""
import shutil

import pytest

import projector
from appproc import run_app, run_redis, run_worker, stop
from loadwork import make_dataset, run


def tracebacks(log: str) -> str:
    """The app's tracebacks (the first three), for a failure's report."""
    parts = log.split("Traceback")[1:4]
    return "\n".join("Traceback" + p[:2_000] for p in parts)


def test_twenty_clients_at_once_get_their_own_correct_answers(tmp_path):
    data = tmp_path / "data"
    ds = make_dataset(n=5_000, dim=64)
    projector.DatasetStore(data / "store").add(ds)
    proc, url, _ = run_app(gunicorn_workers=3, env={"PROJECTOR_DATA_DIR": str(data)}, timeout=120)
    try:
        report = run(url, ds, data, clients=20, seconds=12)
    finally:
        stop(proc)
    print(report)
    log = proc.stdout.read()
    assert report["errors"] == 0, (report["error_examples"], tracebacks(log))
    assert "Traceback" not in log, tracebacks(log)
    assert report["neighbours_count"] > 20 and report["search_count"] > 10 and report["projection_count"] >= 5


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_twenty_clients_through_gunicorn_and_a_celery_worker(tmp_path):
    data = tmp_path / "data"
    ds = make_dataset(n=5_000, dim=64)
    projector.DatasetStore(data / "store").add(ds)
    redis, redis_url = run_redis(tmp_path)
    env = {"REDIS_URL": redis_url, "PROJECTOR_DATA_DIR": str(data), "PROJECTOR_SECRET": "s" * 32}
    worker = run_worker(env, tmp_path / "worker.log")
    proc = None
    try:
        proc, url, _ = run_app(gunicorn_workers=2, env=env, timeout=120)
        report = run(url, ds, data, clients=20, seconds=10, secret=env["PROJECTOR_SECRET"])
    finally:
        for p in (proc, worker, redis):
            if p is not None:
                stop(p)
    assert report["errors"] == 0, report["error_examples"]
    assert report["projection_count"] >= 5
    # every projection ran on the worker, none in a web process (a task that Dash revoked after its answer
    # was read — its page polled once more — logs "revoked" instead of "succeeded")
    log = (tmp_path / "worker.log").read_text()
    assert log.count("succeeded in") + log.count("revoked:") >= report["projection_count"]

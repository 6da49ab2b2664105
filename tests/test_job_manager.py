"""The job manager's answer to a poll that races the job's end: a job that writes its result and exits
between Dash's read of the result and its question whether the job still runs must not look cancelled
(Dash answers a cancelled job with HTTP 204 and the page never gets its projection)."""
import subprocess
import sys

import diskcache

from app import JobManager


def test_a_job_that_ends_between_the_two_looks_is_still_answered(tmp_path):
    manager = JobManager(diskcache.Cache(str(tmp_path / "jobs")))
    job = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    key = "result-key"
    try:
        assert manager.get_result(key, job.pid) is manager.UNDEFINED     # still running, nothing yet
        manager.handle.set(key, {"answer": 42})                         # the job leaves its result...
        job.stdin.close()
        job.wait(timeout=30)                                            # ...and ends
        # Dash's own question, in the same poll: not "cancelled" — the next poll reads the result
        assert manager.job_running(job.pid)
        assert manager.get_result(key, None) == {"answer": 42}
    finally:
        job.kill()
        job.wait()


def test_a_job_that_ended_without_a_result_is_cancelled(tmp_path):
    manager = JobManager(diskcache.Cache(str(tmp_path / "jobs")))
    job = subprocess.Popen([sys.executable, "-c", "pass"])
    job.wait(timeout=30)
    assert manager.get_result("other-key", job.pid) is manager.UNDEFINED
    assert not manager.job_running(job.pid)


def test_a_job_that_ends_while_dash_looks_at_it_has_ended(tmp_path, monkeypatch):
    """Dash asks psutil.pid_exists, then opens psutil.Process: a job ending in between raised NoSuchProcess,
    an HTTP 500 for that poll (seen once in ~1,000 polls under the load test). The window is made certain
    here: the process has ended, and pid_exists still says it is there."""
    import psutil

    manager = JobManager(diskcache.Cache(str(tmp_path / "jobs")))
    job = subprocess.Popen([sys.executable, "-c", "pass"])
    job.wait(timeout=30)
    monkeypatch.setattr(psutil, "pid_exists", lambda pid: True)
    assert not manager.job_running(job.pid)
    assert manager.get_result("no-result", job.pid) is manager.UNDEFINED

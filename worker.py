"""Projection jobs on Celery workers, for when the app runs with ``REDIS_URL`` set.

    export REDIS_URL=redis://127.0.0.1:6379/0 PROJECTOR_DATA_DIR=/shared/projector
    .venv/bin/celery -A worker worker --concurrency 2 --loglevel INFO

Every worker and every web process must see the same ``PROJECTOR_DATA_DIR`` (the data-set store,
the result cache and the kept views live there) and the same Redis (the job queue, progress and
results, and the secret that signs job handles when ``PROJECTOR_SECRET`` is not set).
"""
from __future__ import annotations

import os
import threading

# Before numba or any pool process starts: numba's workqueue layer avoids OpenMP, which cannot fork.
os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")

from celery import Celery  # noqa: E402
from celery.signals import worker_process_init  # noqa: E402
from dash import CeleryManager  # noqa: E402

import callbacks.jobs  # noqa: E402,F401  (defines the background callback that becomes the task here)

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def make_celery(url: str) -> Celery:
    app = Celery("embedding_projector", broker=url, backend=url)
    app.conf.update(
        worker_prefetch_multiplier=1,            # a long t-SNE does not hold back the jobs queued behind it:
        task_acks_late=True,                     # a busy worker reserves no second job, an idle one takes it
        broker_connection_retry_on_startup=True,
        result_expires=3600,
        worker_hijack_root_logger=False,
    )
    return app


class CeleryJobManager(CeleryManager):
    """Dash's CeleryManager, except that a job whose result has just been collected is revoked, not
    terminated.

    Dash terminates a job when it collects the job's result, and a Celery task has written its result
    a moment before it returns. Terminating sends SIGTERM to the pool process, which by then may be
    running the next user's job: under load (20 clients, 60 s) 2 of 402 jobs died that way. A Cancel,
    or a job replaced by a newer request, is still terminated.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._collected = threading.local()

    def call_job_fn(self, key, job_fn, args, context):
        from callbacks import services

        services.jobs().starting(args[0] if isinstance(args, (list, tuple)) and args else None)   # queued for a worker
        return super().call_job_fn(key, job_fn, args, context)

    def get_result(self, key, job):
        self._collected.job = job if self.result_ready(key) else None
        result = super().get_result(key, job)
        # Dash reads the result, then asks whether the task still runs; a task that finishes in between
        # looked cancelled (HTTP 204, no answer): read once more when it has just ended.
        if result is self.UNDEFINED and job is not None and not self.job_running(job):
            self._collected.job = job if self.result_ready(key) else None
            result = super().get_result(key, job)
        return result

    def terminate_job(self, job):
        if job is not None and getattr(self._collected, "job", None) == job:
            self.handle.control.revoke(job)   # finished or finishing: never signal its process
            return
        super().terminate_job(job)


celery_app = make_celery(os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL)
manager = CeleryJobManager(celery_app)   # every background callback becomes a task of this Celery app


@worker_process_init.connect
def _warm(**_):
    """Each pool process compiles UMAP's and t-SNE's numba code once, in a thread: other jobs start at
    once, and a UMAP job that arrives meanwhile waits for it (saying so)."""
    from projector import warmup

    warmup.warm_in_background()

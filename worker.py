"""Projection jobs on Celery workers, for when the app runs with ``REDIS_URL`` set.

    export REDIS_URL=redis://127.0.0.1:6379/0 PROJECTOR_DATA_DIR=/shared/projector
    .venv/bin/celery -A worker worker --concurrency 2 --loglevel INFO

Every worker and every web process must see the same ``PROJECTOR_DATA_DIR`` (the data-set store,
the result cache and the kept views live there) and the same Redis (the job queue, progress and
results, and the secret that signs job handles when ``PROJECTOR_SECRET`` is not set).
"""
from __future__ import annotations

import os

# Before numba or any pool process starts: numba's workqueue layer avoids OpenMP, which cannot fork.
os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")

from celery import Celery  # noqa: E402
from celery.signals import worker_process_init  # noqa: E402
from dash import CeleryManager  # noqa: E402

import callbacks  # noqa: E402,F401  (defines the background callbacks that become tasks here)

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def make_celery(url: str) -> Celery:
    app = Celery("embedding_projector", broker=url, backend=url)
    app.conf.update(
        worker_prefetch_multiplier=1,            # a long t-SNE does not hold back the jobs queued behind it
        broker_connection_retry_on_startup=True,
        result_expires=3600,
        worker_hijack_root_logger=False,
    )
    return app


celery_app = make_celery(os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL)
manager = CeleryManager(celery_app)   # every background callback becomes a task of this Celery app


@worker_process_init.connect
def _warm(**_):
    """Each pool process compiles UMAP's and t-SNE's numba code once, before its first job."""
    import projector.warmup  # noqa: F401

"""One numba parallel region at a time in a process.

Numba's workqueue threading layer (the one used here: OpenMP does not survive the job servers' forks) aborts
the whole process when two Python threads launch parallel regions at once ("Concurrent access has been
detected"). Two threads do: the web server's request threads (a click's neighbours), and a Celery pool
process's warm-up thread beside its job. Every parallel kernel is therefore called through
:func:`serialised`, which holds :data:`LOCK` for the call; the warm-up thread holds it while it runs.
"""
from __future__ import annotations

import functools
import threading

LOCK = threading.RLock()


def serialised(kernel):
    """``kernel`` (a numba ``parallel=True`` dispatcher, called from Python only) behind :data:`LOCK`."""
    @functools.wraps(kernel.py_func)
    def call(*args, **kwargs):
        with LOCK:
            return kernel(*args, **kwargs)

    call.kernel = kernel
    return call

"""Numba's workqueue layer aborts a process when two threads launch parallel regions at once: the kernels of
``projector`` take one lock (``projector.threads``), as the web server's request threads and a Celery pool
process's warm-up thread need. Run in a child process, since the failure is an abort."""
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import os, sys, threading
    os.environ["NUMBA_THREADING_LAYER"] = "workqueue"
    sys.path.insert(0, {root!r})
    import numpy as np
    import scipy.sparse as sp
    from projector import tsne_fast, umap_fast
    direct = {direct}
    rng = np.random.default_rng(0)
    P = sp.random(4000, 4000, density=0.01, format="csr", random_state=0)
    Y = rng.normal(size=(4000, 2))
    attract = tsne_fast._attract.kernel if direct else tsne_fast._attract
    attract(P.indptr, P.indices, P.data, Y, np.zeros_like(Y), False)     # compiled before the threads start
    def work():
        for _ in range(300):
            attract(P.indptr, P.indices, P.data, Y, np.zeros_like(Y), False)
    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("done")
""")


def run(direct: bool):
    return subprocess.run([sys.executable, "-c", SCRIPT.format(root=str(ROOT), direct=direct)], capture_output=True,
                          text=True, timeout=300)


def test_parallel_kernels_called_from_several_threads_at_once_do_not_abort_the_process():
    out = run(direct=False)
    assert out.returncode == 0 and out.stdout.strip() == "done", out.stderr[-2000:]
    assert "Concurrent access" not in out.stderr


def test_without_the_lock_the_same_calls_abort_it():
    """The failure the lock prevents, shown on the bare kernel (so the test above can fail)."""
    out = run(direct=True)
    assert out.returncode != 0 and "Concurrent access" in out.stderr + out.stdout

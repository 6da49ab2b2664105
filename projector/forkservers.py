"""Job processes start from fork servers, never by forking the web process; UMAP jobs from a warm one.

After the web process has run OpenMP code (scikit-learn, openTSNE), ``fork()`` can hang, so every
job is forked from a clean server process instead. There are two: the *quick* server imports the
job code only and is ready within seconds of start-up; the *warm* server also fits a throwaway UMAP
first (~25 s: numba compiles pynndescent's routines in every new process), so the UMAP jobs forked
from it start compiled. Only a UMAP job ever waits for that warm-up.
"""
from __future__ import annotations

import io
import atexit
import os
import signal
import tempfile
import threading
from pathlib import Path

import multiprocess
from multiprocess import forkserver, popen_forkserver, spawn, util
from multiprocess.context import ForkServerProcess, reduction, set_spawning_popen

QUICK_PRELOAD = ["projector.nointerrupt", "projector.jobs", "callbacks.jobs", "sklearn.decomposition"]
WARM_PRELOAD = ["projector.nointerrupt", "projector.warm", "callbacks.jobs"]
READY_FLAG_ENV = "PROJECTOR_WARM_FLAG"   # the file the warm server creates once its warm-up is done

_warm = forkserver.ForkServer()
_started = False
_starters: list[threading.Thread] = []


class _WarmPopen(popen_forkserver.Popen):
    """multiprocess's fork-server launch, asking the warm server instead of the module's own one."""

    def _launch(self, process_obj):
        prep_data = spawn.get_preparation_data(process_obj._name)
        buf = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            set_spawning_popen(None)
        self.sentinel, w = _warm.connect_to_new_process(self._fds)
        _parent_w = os.dup(w)
        self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class WarmProcess(ForkServerProcess):
    _start_method = "forkserver"

    @staticmethod
    def _Popen(process_obj):
        return _WarmPopen(process_obj)


def start(warm_umap: bool = True) -> None:
    """Start both servers in the background (the warm one warms up meanwhile); once per process."""
    global _started
    if _started:
        return
    multiprocess.set_start_method("forkserver", force=True)
    multiprocess.set_forkserver_preload(QUICK_PRELOAD)
    flag = Path(tempfile.gettempdir()) / f"projector-warm-{os.getpid()}-{os.urandom(4).hex()}"
    os.environ[READY_FLAG_ENV] = str(flag)
    os.environ["PROJECTOR_WARM_UMAP"] = "1" if warm_umap and os.environ.get("PROJECTOR_WARM_UMAP") != "0" else "0"
    _warm.set_forkserver_preload(WARM_PRELOAD)
    _starters[:] = [threading.Thread(target=forkserver.ensure_running, daemon=True),
                    threading.Thread(target=_warm.ensure_running, daemon=True)]
    for t in _starters:
        t.start()
    _started = True
    atexit.register(stop)   # runs before multiprocess removes its temporary folder (registered earlier)


def stop() -> None:
    """Stop both servers (a command that ends early): the start-up threads are waited for first, so
    nothing is still being created in multiprocess's temporary folder when the interpreter removes it."""
    global _started
    for t in _starters:
        t.join(timeout=60)
    for server in (forkserver._forkserver, _warm):
        with server._lock:
            pid, server._forkserver_pid = server._forkserver_pid, None
            if pid is None:
                continue
            try:   # killed, not asked: the warm server would first finish its ~25 s warm-up
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            os.close(server._forkserver_alive_fd)
            server._forkserver_alive_fd = None
            if server._forkserver_address and not util.is_abstract_socket_namespace(server._forkserver_address):
                Path(server._forkserver_address).unlink(missing_ok=True)
    _started = False


def warm_ready() -> bool:
    """Has the warm server finished its warm-up (so a UMAP job starts at once)?"""
    flag = os.environ.get(READY_FLAG_ENV)
    return not _started or not flag or Path(flag).exists()


def _uninterrupted(target, *args):
    # the fork server restores SIGINT's default in each child: ignored again here (see projector.nointerrupt)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return target(*args)


def process(target, args, *, warm: bool):
    """A started job process running ``target(*args)``, forked from the warm or the quick server."""
    cls = WarmProcess if warm and _started else multiprocess.Process
    proc = cls(target=_uninterrupted, args=(target, *args))
    proc.start()
    return proc

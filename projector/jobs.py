"""Projection jobs: the body every job process runs, and the registry every process reads.

A job computes one projection request and leaves its result in the result cache. While it runs it
keeps a record under the result's key — state, progress, the latest t-SNE frame, a heartbeat — in
the folder every web process and worker shares, so any page asking for the same projection (a
reload, a second tab, a teammate) follows the same job instead of starting another, and Cancel
from any of them reaches it. Nothing here imports the UI: the Dash background callback and the
Celery worker call :func:`run`.

A request is plain JSON: ``{"dataset", "subset" (digest or None), "spherize", "method", "dims",
"params", "key"}``.
"""
from __future__ import annotations

import io
import json
import os
import socket
import sys
import threading
import time
import traceback

import numpy as np

from .errors import Cancelled, DataError

PROGRESS_EVERY_S = 0.4    # how often a job writes its progress (and a t-SNE frame)
HEARTBEAT_S = 1.0         # a running job says it is alive this often, whatever it is doing
STALE_S = 8.0             # a running job silent for longer has died (killed, out of memory)
QUEUED_STALE_S = 20.0     # asked for by a page whose request to start it never came (the page went away)
STARTING_STALE_S = 900.0  # handed to a job server or a worker queue that never ran it
RECORD_TTL_S = 3600.0
FRAME_TTL_S = 600.0
METHOD_NAMES = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP", "custom": "Custom", "raw": "Raw",
                "given": "Stored coordinates"}
ACTIVE = ("queued", "starting", "running")
ENDED = ("done", "failed", "cancelled", "died")


def method_name(method: str) -> str:
    return METHOD_NAMES.get(method, method)


class JobRegistry:
    """Job records by result key, kept as JSON in a diskcache shared by every process.

    A record: ``{"job", "key", "method", "points", "state", "done", "total", "text", "frame" (sequence
    number or 0), "beat" (time), "error", "host", "pid"}``. The state goes queued (a page asked for it)
    → starting (its request reached the job manager) → running (its process works, beating every
    second) → done, failed or cancelled; :meth:`status` reports one that went silent as ``"died"``.
    """

    def __init__(self, cache):
        self._cache = cache   # a ResultCache: set_blob / get_blob

    def _put(self, key: str, record: dict) -> None:
        self._cache.set_blob("job:" + key, json.dumps(record).encode(), expire=RECORD_TTL_S)

    def record(self, key: str) -> dict | None:
        blob = self._cache.get_blob("job:" + key) if key else None
        if blob is None:
            return None
        try:
            return json.loads(blob)
        except ValueError:
            return None

    def status(self, key: str, now: float | None = None) -> dict | None:
        """The job record for ``key`` with a silent running job marked ``died`` (None: no job)."""
        rec = self.record(key)
        if rec is None:
            return None
        age = (now or time.time()) - float(rec.get("beat", 0))
        limit = {"running": STALE_S, "queued": QUEUED_STALE_S, "starting": STARTING_STALE_S}.get(rec.get("state"))
        if limit is not None and age > limit:
            rec["state"] = "died"
        return rec

    def active(self, key: str) -> dict | None:
        """The record of a job that is queued or running for ``key`` now, or None."""
        rec = self.status(key)
        return rec if rec and rec["state"] in ACTIVE else None

    def queue(self, request: dict, job: str, text: str = "") -> dict:
        """Record that job ``job`` was asked to compute ``request`` (before its process starts)."""
        rec = {"job": job, "key": request["key"], "method": request["method"], "points": request.get("points"),
               "dataset": request["dataset"], "subset": request.get("subset"), "state": "queued",
               "done": 0, "total": 1, "text": text, "frame": 0, "beat": time.time(), "error": None,
               "request": request}
        self._put(request["key"], rec)
        return rec

    def update(self, key: str, job: str, **fields) -> None:
        """Change job ``job``'s record (a newer job for the same key owns it from then on)."""
        rec = self.record(key) or {"job": job, "key": key}
        if rec.get("job") != job or rec.get("state") in ENDED:   # an ended job's record is final
            return
        rec.update(fields, beat=time.time())
        self._put(key, rec)

    def starting(self, request) -> None:
        """The request to start a job reached the job manager (called where the job is handed over)."""
        if isinstance(request, dict) and request.get("key") and request.get("job"):
            self.update(str(request["key"]), str(request["job"]), state="starting")

    def request_cancel(self, job: str) -> None:
        self._cache.set_blob("cancel:" + str(job), b"1", expire=RECORD_TTL_S)

    def cancel_requested(self, job: str) -> bool:
        return self._cache.get_blob("cancel:" + str(job)) is not None

    def put_frame(self, job: str, coords: np.ndarray) -> None:
        buf = io.BytesIO()
        np.save(buf, np.ascontiguousarray(coords, dtype=np.float32), allow_pickle=False)
        self._cache.set_blob("frame:" + str(job), buf.getvalue(), expire=FRAME_TTL_S)

    def frame(self, job: str) -> np.ndarray | None:
        blob = self._cache.get_blob("frame:" + str(job))
        if blob is None:
            return None
        try:
            return np.load(io.BytesIO(blob), allow_pickle=False)
        except ValueError:
            return None


def progress_text(method: str, done: int, total: int) -> str:
    """What the progress bar says: the stage and the iteration."""
    if method == "tsne":
        return "Finding neighbours and affinities…" if done == 0 else f"t-SNE iteration {done:,} of {total:,}"
    if method == "umap":
        return "Building the neighbour graph…" if done <= 1 else f"UMAP epoch {done - 1:,} of {total - 1:,}"
    return f"Computing {method_name(method)}…"


def eta_text(seconds_left: float) -> str:
    return f" · about {seconds_left:,.0f} s left" if seconds_left >= 1 else " · almost done"


class _Reporter:
    """Turns the engine's ``on_progress`` calls into records and frames, at most every PROGRESS_EVERY_S,
    with a time-left estimate from the iterations so far; a thread keeps the heartbeat meanwhile."""

    def __init__(self, registry: JobRegistry, request: dict, job: str):
        self.registry, self.key, self.job, self.method = registry, request["key"], job, request["method"]
        self.last, self.seq, self.clock = 0.0, 0, {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.beat = threading.Thread(target=self._beat, daemon=True)

    def _beat(self):
        while not self.stopped.wait(HEARTBEAT_S):
            with self.lock:
                try:
                    self.registry.update(self.key, self.job)
                except DataError:   # a full disk: the job goes on; its record catches up when space is back
                    pass

    def __call__(self, done, total, coords=None):
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY_S and done < total:
            return
        self.last = now
        text = progress_text(self.method, done, total)
        if done and "t0" not in self.clock:   # time the iterations, not the preparation before them
            self.clock.update(t0=now, d0=done)
        elif self.clock and self.clock["d0"] < done < total:
            text += eta_text((now - self.clock["t0"]) / (done - self.clock["d0"]) * (total - done))
        fields = {"state": "running", "done": int(done), "total": int(max(total, 1)), "text": text}
        with self.lock:
            try:
                if coords is not None:
                    self.registry.put_frame(self.job, coords)
                    self.seq += 1
                    fields["frame"] = self.seq
                self.registry.update(self.key, self.job, **fields)
            except DataError:   # a full disk: progress is not shown meanwhile, the job goes on
                pass


def run(request: dict, job: str, *, store, cache, registry: JobRegistry) -> dict:
    """Compute ``request`` as job ``job``: the result goes into ``cache``, the progress into
    ``registry``. Returns ``{"job", "key", "state", "error"}``; a user's error is a sentence, a
    programming error is logged in full and reported in one line."""
    from .projections import project

    key = request["key"]
    report = _Reporter(registry, request, job)
    try:
        registry.update(key, job, state="running", text=progress_text(request["method"], 0, 1),
                        host=socket.gethostname(), pid=os.getpid(), error=None)
    except DataError as exc:   # a full disk: nothing can be reported, so nothing is started
        return {"job": job, "key": key, "state": "failed", "error": str(exc)}
    report.beat.start()
    started = time.time()
    state, error = "done", None
    try:
        ds = store.get(request["dataset"])
        subset = cache.get_subset(request["subset"]) if request.get("subset") else None
        if request.get("subset") and subset is None:
            raise DataError("the isolated points are no longer on the server; press Show all data and isolate again.")
        proj = project(ds, request["method"], dims=request["dims"], subset=subset, params=request["params"],
                       spherize=request["spherize"], cache=cache, on_progress=report,
                       should_stop=lambda: registry.cancel_requested(job))
        if proj.key != key:   # the request was planned for other data (a tag since?): it is not what was asked
            raise DataError("the data set changed while the projection ran; press Run again.")
        if proj.info.get("not_kept"):   # the page reads the result from the cache: without it there is none
            raise DataError(proj.info["not_kept"])
    except Cancelled:
        state = "cancelled"
    except DataError as exc:
        state, error = "failed", str(exc)
    except Exception as exc:  # logged in full; the user reads one line and Run works again
        traceback.print_exc(file=sys.stderr)
        state, error = "failed", f"The {method_name(request['method'])} job failed: {type(exc).__name__}: {exc}"
    finally:
        report.stopped.set()
    with report.lock:
        try:
            registry.update(key, job, state=state, error=error, done=1, total=1)
        except DataError:
            pass   # a full disk: the page sees the job's heartbeat stop and says it ended without a result
    if os.environ.get("PROJECTOR_TIMING"):  # the same log the web process writes its callback times to
        with open(os.environ["PROJECTOR_TIMING"], "a") as f:
            f.write(json.dumps({"output": f"job:{request['method']}", "ms": round((time.time() - started) * 1e3, 1),
                                "bytes": 0, "t": round(time.time(), 2)}) + "\n")
    return {"job": job, "key": key, "state": state, "error": error}

"""Embedding Projector: the Dash app, its settings, the background-job manager and the command line.

    python app.py                                   # the bundled digits sample + every stored data set
    python app.py --embeddings X.npy --metadata M.tsv --name "My model"
    python app.py --config projector_config.json    # TensorBoard's projector config (JSON or pbtxt)
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path

# Before numba or any job process starts: numba's workqueue layer avoids OpenMP, which cannot fork.
os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")

import diskcache  # noqa: E402
from dash import Dash, DiskcacheManager  # noqa: E402

import callbacks.all  # noqa: E402,F401  (registers every callback)
import projector  # noqa: E402
from callbacks import boundary, services, sprites, staging  # noqa: E402
from callbacks.data import dataset_options  # noqa: E402
from components.page import page  # noqa: E402
from projector import forkservers  # noqa: E402

ROOT = Path(__file__).resolve().parent
SAMPLE = ROOT / "data" / "digits"
MAX_REQUEST_BYTES = 96 * 2**20  # one request: a callback (a 64 MB bookmark file as base64), or one upload chunk


def configure_jobs(warm_umap: bool = True) -> None:
    """Background jobs start from fork servers, never by forking the web process (see
    :mod:`projector.forkservers`): a quick one for every job, a warm one (UMAP compiled) for UMAP jobs."""
    forkservers.start(warm_umap)


class JobManager(DiskcacheManager):
    """Dash's DiskcacheManager, with job processes forked from the fork servers (UMAP jobs from the warm
    one), and a job process that exits while its result is being collected is not an error: Dash 4.4.1
    lets psutil's NoSuchProcess escape from terminate_job (between pid_exists and children()), which
    under load turned 2% of job polls into HTTP 500s."""

    def call_job_fn(self, key, job_fn, args, context):
        # the same call as DiskcacheManager's own, from the server the job's method needs
        request = args[0] if isinstance(args, (list, tuple)) and args else {}
        services.jobs().starting(request)
        warm = isinstance(request, dict) and request.get("method") == "umap"
        return forkservers.process(job_fn, (key, self._make_progress_key(key), args, context), warm=warm).pid

    def terminate_job(self, job):
        import psutil

        try:
            super().terminate_job(job)
        except psutil.NoSuchProcess:
            pass

    _polled = threading.local()   # the (key, job) this request's get_result found no result for yet

    def get_result(self, key, job):
        # Dash reads the result, then asks whether the job still runs; a job that finishes in between
        # looked cancelled (HTTP 204, no answer): read once more when it has just ended.
        result = super().get_result(key, job)
        if result is self.UNDEFINED and job is not None and not self._running(job):
            result = super().get_result(key, job)
        self._polled.pending = (key, str(job)) if result is self.UNDEFINED else None
        return result

    def _running(self, job) -> bool:
        """Dash's job_running, for a process that may end while it looks."""
        import psutil

        try:
            return super().job_running(job)
        except psutil.NoSuchProcess:
            return False

    def job_running(self, job):
        # ... and a job that ends after that second look, before Dash's own question, has left its result:
        # it still counts as running for this poll, so the page's next poll reads the result. A process that
        # ends between Dash's pid_exists and its psutil.Process (one poll in ~1,000 under load: HTTP 500)
        # has ended.
        running = self._running(job)
        pending = getattr(self._polled, "pending", None)
        if not running and pending and pending[1] == str(job) and self.result_ready(pending[0]):
            return True
        return running


def background_manager():
    """Celery workers (see worker.py) when REDIS_URL is set; otherwise job processes started by the
    fork servers, with their state in a diskcache folder under the data directory."""
    if os.environ.get("REDIS_URL"):
        import worker

        return worker.manager
    return JobManager(diskcache.Cache(str(services.data_dir() / "jobs")))


def add_sample(store: projector.DatasetStore) -> str:
    """The bundled sample (scikit-learn's 8×8 digits, 1,797 × 64) in the store; returns its id."""
    ds = projector.load_dataset(SAMPLE / "embeddings.npy", SAMPLE / "metadata.tsv", name="Digits (sample)")
    ds.sprite, _ = projector.read_sprite(SAMPLE / "sprite.png", (24, 24), ds.num_points)
    return store.add(ds)


def opening_link(ds: projector.Dataset, *, images: bool = False) -> str:
    """Store ``ds`` and return the query (``?view=<id>``) of a shared view that opens it as a first visit
    would (PCA in 2-D, the Data panel's default colour, label and spherize; its images when ``images``),
    whatever the browser showed last: how ``projector.show`` opens the data set it was just given."""
    from callbacks.data import SPHERIZE_MIN_DIM, colour_choices, default_colour_column
    from projector.state import clean_state

    stored = services.store().get(services.store().add(ds))
    _, unusable = colour_choices(stored)
    raw = {"dataset": stored.id, "method": "pca", "dims": 2, "params": {"components": [0, 1]},
           "colour_by": default_colour_column(stored, unusable), "label_by": stored.default_column(),
           "spherize": stored.dim >= SPHERIZE_MIN_DIM, "images": images and stored.sprite is not None}
    return "?view=" + services.states().put(clean_state(raw, stored.num_points, stored.dim)) + "&opened=show"


def create_app(data_dir=None, *, datasets: list[projector.Dataset] = (), sample: bool = True,
               warm_umap: bool = True) -> Dash:
    """The app over the store in ``data_dir`` (default ``data/``), with ``datasets`` added to it.

    One app per process: Dash gives the callbacks registered with ``@callback`` to the first app.
    """
    services.configure(data_dir or services.DEFAULT_DATA_DIR)
    if not os.environ.get("REDIS_URL"):
        configure_jobs(warm_umap)  # first: the job servers start while the data sets are stored
    store = services.store()
    services.cache(), services.states()   # opened now: a disk that fills later cannot stop them opening
    first = add_sample(store) if sample else None
    given = [store.add(ds) for ds in datasets]
    first = given[0] if given else first   # the first one given is shown first (a log folder's: see main)
    app = Dash(__name__, title="Embedding Projector", background_callback_manager=background_manager(),
               assets_folder=str(ROOT / "assets"))
    app.server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    if os.environ.get("PROJECTOR_SECRET"):  # signs job handles; the same in every web process
        app.server.secret_key = os.environ["PROJECTOR_SECRET"]
    if os.environ.get("PROJECTOR_AUTH"):
        require_login(app.server, os.environ["PROJECTOR_AUTH"])
    boundary.install(app)
    staging.register_routes(app.server)
    sprites.register_routes(app.server)
    if os.environ.get("PROJECTOR_TIMING"):
        log_callback_times(app.server, os.environ["PROJECTOR_TIMING"])

    def layout():
        options = dataset_options()
        ids_ = [o["value"] for o in options]
        chosen = first if first in ids_ else (ids_[0] if ids_ else None)
        return page(options, chosen)

    app.layout = layout
    return app


def require_login(server, credentials: str) -> None:
    """HTTP basic authentication for every request (page, callbacks, uploads, thumbnails).

    ``credentials`` is ``user:password``. Basic authentication sends the password with every
    request: put the app behind HTTPS (a reverse proxy) when it leaves the machine.
    """
    import hmac

    from flask import Response, request

    user, sep, password = credentials.partition(":")
    if not sep or not user or not password:
        raise SystemExit("PROJECTOR_AUTH must be user:password (both non-empty).")

    @server.before_request
    def _login():
        auth = request.authorization
        if auth is not None and auth.type == "basic" and \
                hmac.compare_digest((auth.username or "").encode(), user.encode()) and \
                hmac.compare_digest((auth.password or "").encode(), password.encode()):
            return None
        return Response("Sign in to use the Embedding Projector.\n", 401,
                        {"WWW-Authenticate": 'Basic realm="Embedding Projector", charset="UTF-8"'})


def wsgi():
    """The WSGI application for a production server, configured from the environment::

        PROJECTOR_DATA_DIR=/srv/projector gunicorn -w 4 --threads 4 -b 127.0.0.1:8050 "app:wsgi()"

    (also REDIS_URL, PROJECTOR_SECRET, PROJECTOR_AUTH, PROJECTOR_MAX_UPLOAD_BYTES, and PROJECTOR_LOGDIR with
    PROJECTOR_RELOAD_INTERVAL: a log folder every worker process watches, as --logdir; see the README).
    """
    server = create_app(os.environ.get(services.DATA_DIR_ENV) or None).server
    if os.environ.get("PROJECTOR_LOGDIR"):
        from projector.watch import LogdirWatcher
        try:
            interval = float(os.environ.get("PROJECTOR_RELOAD_INTERVAL") or 5)
        except ValueError:
            raise SystemExit("PROJECTOR_RELOAD_INTERVAL must be a number of seconds (0: only at start).") from None
        watcher = LogdirWatcher(os.environ["PROJECTOR_LOGDIR"], services.store(), interval=interval)
        watcher.scan()           # stored before this worker serves anyone (what another worker stored is skipped)
        watcher.start()
    # Dash finishes its set-up (the callback map) on the first request; with several threads, a
    # callback arriving meanwhile was answered 500 "Callback function not found". One request
    # here, before the worker serves anyone, finishes it.
    server.test_client().get("/_dash-layout")
    return server


def log_callback_times(server, path: str) -> None:
    """Append one JSON line per callback request (outputs, server milliseconds, bytes) to ``path``."""
    import json
    import time

    from flask import g, request

    @server.before_request
    def _start():
        g.t0 = time.perf_counter()

    @server.after_request
    def _log(response):
        if request.path.endswith("_dash-update-component"):
            body = request.get_json(silent=True) or {}
            entry = {"output": str(body.get("output", ""))[:80], "ms": round((time.perf_counter() - g.t0) * 1e3, 1),
                     "bytes": response.calculate_content_length(), "t": round(time.time(), 2)}
            with open(path, "a") as f:
                f.write(json.dumps(entry) + "\n")
        return response


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Embedding Projector: look inside embeddings in the browser.")
    p.add_argument("--embeddings", help="vectors: .npy, .npz (file.npz:key), tensor .tsv, raw float32 .bytes, Parquet or "
                   "Arrow with a vector column (its other columns are the metadata), safetensors (file.safetensors:name)")
    p.add_argument("--vector-column", help="the vector column of a Parquet/Arrow file, or the tensor of a safetensors file")
    p.add_argument("--metadata", help="metadata .tsv, one row per point (header row when several columns)")
    p.add_argument("--name", help="a name for the data set (default: the file's name)")
    p.add_argument("--dim", type=int, help="the dimension D of a .bytes file")
    p.add_argument("--sprite", help="a sprite sheet (PNG) for --embeddings: thumbnails row-major from the top left")
    p.add_argument("--sprite-dim", type=int, nargs=2, metavar=("W", "H"), help="one thumbnail's width and height")
    p.add_argument("--config", help="a TensorBoard projector config (.json or projector_config.pbtxt)")
    p.add_argument("--logdir", help="a TensorBoard log folder: every run's projector_config.pbtxt (as PyTorch's "
                   "SummaryWriter.add_embedding and tensorboardX write them), every tag and step")
    p.add_argument("--reload-interval", type=float, default=5.0, metavar="SECONDS",
                   help="how often the --logdir folder is scanned for new checkpoints, steps and runs "
                        "(default 5; 0: only at start)")
    p.add_argument("--data-dir", default=str(services.DEFAULT_DATA_DIR),
                   help="where the data-set store, result cache and jobs live (default: data/)")
    p.add_argument("--no-sample", action="store_true", help="do not add the bundled digits sample")
    p.add_argument("--max-upload-gb", type=float, default=4.0,
                   help="largest file a browser may upload, in GB (default 4)")
    p.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8050, help="port (default 8050)")
    p.add_argument("--auth-file", help="a file holding user:password: every request must sign in with it "
                                        "(HTTP basic authentication; same as PROJECTOR_AUTH)")
    p.add_argument("--debug", action="store_true", help="Dash debug mode (never on a shared server)")
    return p.parse_args(argv)


def latest_first(found: list) -> list:
    """A log folder's data sets with the latest step of its first tensor first (what is shown first, as
    TensorBoard opens a run's latest checkpoint)."""
    if not found:
        return found
    key = lambda ds: ((ds.source or {}).get("run"), (ds.source or {}).get("tensor"))  # noqa: E731
    same = [ds for ds in found if key(ds) == key(found[0])]
    latest = max(same, key=lambda ds: ((ds.source or {}).get("step") is not None, (ds.source or {}).get("step") or 0))
    return [latest] + [ds for ds in found if ds is not latest]


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ["PROJECTOR_MAX_UPLOAD_BYTES"] = str(int(args.max_upload_gb * 2**30))
    if args.auth_file:
        try:
            os.environ["PROJECTOR_AUTH"] = Path(args.auth_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            print(f"error: cannot read --auth-file {args.auth_file}: {exc.strerror}", file=sys.stderr)
            return 2
    services.configure(args.data_dir)
    if not os.environ.get("REDIS_URL"):
        configure_jobs()  # start the job server's warm-up before reading the user's files
    datasets = []
    try:
        if args.embeddings:
            shape = (None, args.dim) if args.dim else None
            ds = projector.load_dataset(args.embeddings, args.metadata, name=args.name, shape=shape,
                                        column=args.vector_column)
            if args.sprite:
                ds.sprite, warning = projector.read_sprite(args.sprite, args.sprite_dim, ds.num_points)
                if warning:
                    ds.warnings.append(warning)
            datasets.append(ds)
        if args.config:
            datasets.extend(projector.load_projector_config(args.config))
        if args.logdir:
            found, skipped = projector.load_logdir(args.logdir)
            datasets.extend(latest_first(found))
            for w in skipped:
                print(f"warning: {w}", file=sys.stderr)
    except projector.DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for ds in datasets:
        for w in ds.warnings:
            print(f"warning: {w}", file=sys.stderr)
    app = create_app(args.data_dir, datasets=datasets, sample=not args.no_sample)
    app.server.test_client().get("/_dash-layout")   # Dash's set-up done before threads serve (see wsgi)
    if args.logdir and args.reload_interval > 0:
        from projector.watch import LogdirWatcher
        LogdirWatcher(args.logdir, services.store(), interval=args.reload_interval).start()
    print(f"Embedding Projector on http://{args.host}:{args.port}/  (data in {services.data_dir()})", flush=True)
    app.run(host=args.host, port=args.port, debug=args.debug)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``projector.show``: the whole dashboard over your own vectors, in a notebook's output or a browser tab.

    import projector
    projector.show(vectors, metadata=labels)                 # Jupyter: the dashboard inline, under the cell
    board = projector.show(vectors, metadata="meta.tsv", block=False)   # a script: a browser tab
    board.url, board.stop()

The app is the one ``app.py`` builds, imported only when ``show`` first runs: the engine itself never
imports dash. One app per process (Dash gives its callbacks to the first app), so later calls add their
data set to the running app's store and open it through a shared-view link (``/?view=<id>``).
"""
from __future__ import annotations

import math
import os
import socket
import sys
import threading
import webbrowser
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .dataset import SPRITE_MAX_PIXELS, Dataset, Sprite, load_dataset, read_sprite
from .errors import DataError

MODES = ("inline", "tab", "external", "jupyterlab")
DEFAULT_PORT = 8050           # Dash's; a free one is picked when it is taken and no port was asked for
IFRAME_HEIGHT = 800           # px: the three columns of panels need more than Dash's 650


def default_data_dir() -> Path:
    """Where ``show`` keeps data sets, results and jobs unless told: one folder per user, so every
    notebook and script of that user shares one store and one result cache."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "embedding-projector"


@dataclass
class Dashboard:
    """What :func:`show` started: the page's ``url`` (it opens data set ``dataset_id``), on ``port``."""
    url: str
    dataset_id: str
    port: int
    _server: _Server = field(repr=False, compare=False)

    @property
    def running(self) -> bool:
        return self._server.running

    def stop(self) -> None:
        """Stop serving on this port (every page open on it stops answering). The job servers keep
        running for the next ``show`` in this process."""
        self._server.stop()

    def wait(self) -> None:
        """Serve until :meth:`stop` or Ctrl-C."""
        try:
            while self._server.thread.is_alive():
                self._server.thread.join(0.5)
        except KeyboardInterrupt:
            self.stop()


class _Server:
    """The app served on one port from a daemon thread (as Dash's Jupyter runner does), kept so it can stop."""

    def __init__(self, app, host: str, port: int):
        from werkzeug.serving import make_server

        try:
            self.httpd = make_server(host, port, app.server, threaded=True)
        except SystemExit:   # werkzeug exits when the port was taken after our check
            raise DataError(f"port {port} is in use by another program; pass another port= or none.") from None
        self.host, self.port = host, self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, name=f"projector-{self.port}", daemon=True)
        self.thread.start()

    @property
    def running(self) -> bool:
        return self.thread.is_alive()

    def stop(self) -> None:
        if self.running:
            self.httpd.shutdown()
            self.thread.join(5)
        self.httpd.server_close()
        _running.servers.pop(self.port, None)


class _Running:
    """This process's app and the ports it serves on (one app per process)."""

    def __init__(self):
        self.app = None
        self.data_dir: Path | None = None
        self.servers: dict[int, _Server] = {}
        self.lock = threading.Lock()


_running = _Running()


def show(vectors, metadata=None, *, sprite=None, sprite_dim=None, name: str | None = None, port: int | None = None,
         host: str = "127.0.0.1", data_dir=None, mode: str | None = None, block: bool | None = None,
         height: int = IFRAME_HEIGHT) -> Dashboard:
    """Open the Embedding Projector on ``vectors``: inline in a Jupyter notebook, in a browser tab from a script.

    ``vectors``: an N×D array (any numeric dtype; a DataFrame of numeric columns, or anything
    ``numpy.asarray`` reads), a :class:`Dataset`, or a path :func:`load_dataset` reads (``.npy``,
    ``.npz``, tensor ``.tsv``, Parquet/Arrow — ``file.parquet:column`` —, safetensors).
    ``metadata``: a DataFrame with one row per point, a path to a metadata TSV, a list of labels (one
    per point) or a dict of columns. ``sprite``: a sprite sheet PNG (thumbnails row-major; ``sprite_dim``
    = one thumbnail's (width, height), found when the sheet has ⌈√N⌉ thumbnails a row) or an
    N×h×w or N×h×w×c array of images (uint8, or floats in 0–1).
    ``port``: default the port this process already serves on, else 8050, else a free one.
    ``data_dir``: the store, result cache and jobs (default :func:`default_data_dir`); one per process,
    so later calls may leave it out.
    ``mode``: ``"inline"`` (notebook default), ``"tab"`` (script default: ``webbrowser.open``),
    ``"external"`` (print the address), ``"jupyterlab"`` (a JupyterLab tab; needs Dash's JupyterLab extension).
    ``block``: serve until Ctrl-C before returning; default only from a script.
    Calling it again adds the new data set to the running app and opens it. Raises :class:`DataError`
    with one sentence when an input is bad, before anything starts.
    """
    notebook = _in_notebook()
    mode = mode or ("inline" if notebook else "tab")
    if mode not in MODES:
        raise DataError(f"mode must be one of {', '.join(MODES)}, not {str(mode)[:40]!r}.")
    if mode in ("inline", "jupyterlab") and not notebook:
        raise DataError(f"mode={mode!r} needs a Jupyter notebook; from a script use mode='tab' or 'external'.")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536):
        raise DataError(f"port must be a number from 1 to 65535, not {str(port)[:40]!r}.")
    ds = _dataset(vectors, metadata, sprite, sprite_dim, name)
    for w in ds.warnings:
        print(f"warning: {w}", file=sys.stderr)
    with _running.lock:
        app = _app(data_dir)
        server = _server(app, host, port)
        # imported here, never at module import: the engine does not import dash (see the module docstring)
        import app as app_module

        link = app_module.opening_link(ds, images=ds.sprite is not None)
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    board = Dashboard(url=f"http://{shown_host}:{server.port}/{link}", dataset_id=ds.id, port=server.port,
                      _server=server)
    _display(board, mode, notebook, height)
    if block if block is not None else not notebook:
        print("Serving until Ctrl-C.", flush=True)
        board.wait()
    return board


def _in_notebook() -> bool:
    """In a Jupyter kernel (IPython with a kernel attached; not the terminal IPython)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def _app(data_dir):
    """This process's app, made on the first call over ``data_dir`` (None: :func:`default_data_dir`)."""
    if _running.app is not None:
        if data_dir is not None and Path(data_dir).expanduser().resolve() != _running.data_dir:
            raise DataError(f"this process already keeps its data in {_running.data_dir} (one data_dir per "
                            "process); leave data_dir out, or restart the kernel to use another one.")
        return _running.app
    data_dir = Path(data_dir if data_dir is not None else default_data_dir()).expanduser().resolve()
    # imported here, never at module import: the engine does not import dash (see the module docstring)
    import logging

    import app as app_module

    dash_app = app_module.create_app(data_dir, sample=False)   # starts the job servers (once per process)
    dash_app.server.test_client().get("/_dash-layout")   # Dash's set-up done before threads serve (see app.wsgi)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)   # as Dash's Jupyter runner: no line per request
    _running.app, _running.data_dir = dash_app, data_dir
    return dash_app


def _server(app, host: str, port: int | None) -> _Server:
    """The server on ``port`` (started if needed); no port: the one running, else 8050, else a free one."""
    if port is None and _running.servers:
        return next(iter(_running.servers.values()))
    if port in _running.servers:
        return _running.servers[port]
    if port is None:
        port = DEFAULT_PORT if _port_free(host, DEFAULT_PORT) else 0
    elif not _port_free(host, port):
        raise DataError(f"port {port} is in use by another program; pass another port= or none.")
    server = _Server(app, host, port)
    _running.servers[server.port] = server
    return server


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as werkzeug binds
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _display(board: Dashboard, mode: str, notebook: bool, height: int) -> None:
    """Show the page as Dash's Jupyter modes do (``dash/_jupyter.py``), with the link to this data set:
    Dash's own iframe cannot carry a query, and without one a page opens the browser's last view."""
    if not notebook:
        print(f"Embedding Projector on {board.url}  (data in {_running.data_dir})", flush=True)
        if mode == "tab":
            webbrowser.open(board.url)
        return
    from IPython.display import IFrame, Javascript, display

    if mode == "inline":
        display(IFrame(board.url, "100%", height))
    elif mode == "tab":
        print(f"Embedding Projector on {board.url}")
        display(Javascript(f"window.open({board.url!r})"))
    elif mode == "external":
        print(f"Embedding Projector on {board.url}")
    else:   # the message Dash sends its JupyterLab extension, on a comm of the same target
        from comm import create_comm

        print(f"Embedding Projector on {board.url}")
        create_comm(target_name="dash").send({"type": "show", "port": board.port, "url": board.url})


# ---------------------------------------------------------------- inputs into one Dataset

def _dataset(vectors, metadata, sprite, sprite_dim, name) -> Dataset:
    if isinstance(vectors, Dataset):   # its own metadata, sprite and name unless others are given
        metadata = vectors.metadata if metadata is None else metadata
        sprite = vectors.sprite if sprite is None else sprite
        vectors, name = vectors.vectors, name or vectors.name
    elif isinstance(vectors, pd.DataFrame):
        vectors = _frame_vectors(vectors)
    elif not isinstance(vectors, (str, os.PathLike, np.ndarray)):
        try:
            vectors = np.asarray(vectors)
        except (TypeError, ValueError, RuntimeError):
            raise DataError(f"the vectors ({type(vectors).__name__}) cannot be read as an N×D array of numbers; "
                            "give a numpy array, a DataFrame of numeric columns or a file path.") from None
    # a TSV path is read, checked and aligned as an upload's; load_dataset checks a frame's row count
    ds = load_dataset(vectors, _metadata_frame(metadata), name=name)
    if isinstance(sprite, Sprite):
        ds.sprite = sprite
    elif isinstance(sprite, (str, os.PathLike)):
        ds.sprite, warning = read_sprite(sprite, sprite_dim or _grid_tile(sprite, ds.num_points), ds.num_points)
        if warning:
            ds.warnings.append(warning)
    elif sprite is not None:
        ds.sprite = sprite_from_images(sprite, ds.num_points)
    return ds


def _frame_vectors(frame: pd.DataFrame) -> np.ndarray:
    other = [str(c) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c].dtype)]
    if other:
        shown = ", ".join(other[:3]) + (" …" if len(other) > 3 else "")
        raise DataError(f"the vectors DataFrame has columns that are not numbers ({shown}); pass its numeric "
                        "columns as vectors and the others as metadata=.")
    return frame.to_numpy(dtype=np.float64, na_value=np.nan)   # a missing value is then NaN, refused by its row


def _metadata_frame(metadata):
    """The metadata as a DataFrame; a path (a TSV) or None as it is."""
    if metadata is None or isinstance(metadata, (str, os.PathLike, pd.DataFrame)):
        return metadata
    if isinstance(metadata, pd.Series):
        return metadata.to_frame(str(metadata.name) if metadata.name is not None else "label")
    if isinstance(metadata, dict):
        if not metadata:
            raise DataError("the metadata dict has no columns; give it one list of values per column.")
        lengths = {len(v) if hasattr(v, "__len__") and not isinstance(v, str) else None for v in metadata.values()}
        if None in lengths or len(lengths) > 1:
            raise DataError("the metadata dict's columns are not lists of the same length; give each column one "
                            "value per point.")
        return pd.DataFrame({str(c): v for c, v in metadata.items()})   # numbers stay numbers (colour scales)
    if isinstance(metadata, (list, tuple, np.ndarray)):
        nested = metadata.ndim != 1 if isinstance(metadata, np.ndarray) else \
            any(isinstance(v, (list, tuple, dict, np.ndarray)) for v in metadata)
        if nested:
            raise DataError("the metadata labels are not one value per point; give a list of labels, or a "
                            "DataFrame for several columns.")
        return pd.DataFrame({"label": pd.array(list(metadata), dtype=object)})
    raise DataError(f"metadata must be a DataFrame, a path to a TSV, a list of labels or a dict of columns, "
                    f"not {type(metadata).__name__}.")


def _grid_tile(path, n: int):
    """One thumbnail's (width, height) in a sheet of ⌈√n⌉ thumbnails a row, with ⌈√n⌉ rows (TensorBoard's
    own sprite maker pads the sheet square) or just the rows needed (as :func:`sprite_from_images` writes)."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            width, height = im.size
    except (OSError, ValueError, SyntaxError):   # read_sprite reports a missing or unreadable sheet in its words
        return 1, 1
    side = math.ceil(math.sqrt(n))
    heights = [height // rows for rows in (side, math.ceil(n / side)) if height % rows == 0]
    if width % side or not heights:
        raise DataError(f"the sprite {Path(path).name} ({width} × {height} px) is not a grid of {side} thumbnails "
                        "a row; give sprite_dim=(width, height) of one thumbnail.")
    w = width // side
    return w, w if w in heights else heights[0]   # both fit: the one with square thumbnails


def sprite_from_images(images, n: int) -> Sprite:
    """A sprite sheet (row-major, ⌈√n⌉ thumbnails a row) from an n×h×w (grey) or n×h×w×c (c = 1, 3, 4)
    array: uint8 as it is, values within 0–1 times 255, within 0–255 as they are, others scaled to 0–255."""
    import io

    from PIL import Image

    try:
        arr = np.asarray(images)
    except (TypeError, ValueError, RuntimeError):
        raise DataError("the sprite images cannot be read as an array; give an N×h×w(×c) array or a PNG path.") from None
    if arr.ndim == 4 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if not (arr.ndim == 3 or (arr.ndim == 4 and arr.shape[-1] in (3, 4))) or 0 in arr.shape:
        raise DataError(f"the sprite images have shape {tuple(arr.shape)}; give one image per point as N×h×w "
                        "(grey) or N×h×w×3 / ×4 (colour).")
    if len(arr) != n:
        raise DataError(f"there are {len(arr):,} sprite images but {n:,} points; give one image per point.")
    if arr.dtype.kind not in "biuf":
        raise DataError(f"the sprite images hold {arr.dtype} values, not pixels; give uint8 (0–255) or floats (0–1).")
    h, w = arr.shape[1:3]
    per_row = math.ceil(math.sqrt(n))
    rows = math.ceil(n / per_row)
    if per_row * w * rows * h > SPRITE_MAX_PIXELS:
        raise DataError(f"{n:,} images of {w} × {h} px make a sheet of more than the {SPRITE_MAX_PIXELS:,} "
                        "pixels the app reads; make the images smaller.")
    arr = _pixels(arr)
    sheet = np.zeros((rows * h, per_row * w) + arr.shape[3:], dtype=np.uint8)
    for i in range(n):
        r, c = divmod(i, per_row)
        sheet[r * h:(r + 1) * h, c * w:(c + 1) * w] = arr[i]
    out = io.BytesIO()
    Image.fromarray(sheet).save(out, format="PNG")
    return Sprite(png=out.getvalue(), tile=(int(w), int(h)))


def _pixels(arr: np.ndarray) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr
    arr = arr.astype(np.float32)
    if not np.isfinite(arr).all():
        raise DataError("the sprite images hold NaN or infinite values; give finite pixel values.")
    lo, hi = float(arr.min()), float(arr.max())
    if lo >= 0 and hi <= 1:
        arr = arr * 255
    elif not (lo >= 0 and hi <= 255):
        arr = (arr - lo) * (255 / (hi - lo))
    return np.rint(arr).astype(np.uint8)

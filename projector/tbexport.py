"""Export back: a TensorBoard log folder of a data set (all its points or some rows) that ``tensorboard
--logdir <folder>`` opens as it is, and that :func:`projector.load_logdir` reads back to the same vectors
(bit for bit) and metadata::

    projector_config.pbtxt   one ``embeddings`` entry with TensorBoard's field names (projector_config.proto)
    tensors.tsv              one row per point, tab-separated, no header; every float32 as ``%.9g`` — nine
                             significant digits always parse back to the same float32, also through the
                             float64 that TensorBoard's ``float()`` makes first
    metadata.tsv             TensorBoard's metadata TSV: a header row iff there are several columns
    sprite.png               the exported points' thumbnails, re-tiled (square grid) when rows are chosen
    bookmarks.txt            TensorBoard's bookmarks (its ``State`` array), when bookmarks are given

What such a folder cannot hold is changed, and :attr:`LogdirExport.warnings` says so in a sentence each:

* a tab, carriage return or line feed inside a metadata value or column name becomes a space (TensorBoard
  splits fields on tabs and rows on line feeds; no escape exists);
* a row that TensorBoard would skip as blank (every value empty or whitespace) would shift every later
  label onto the wrong point, so an ``index`` column (the points' numbers in the data set) is added first;
* a single metadata column is written without a header (a header would be read as a label) and
  TensorBoard calls it ``label``;
* a sprite sheet larger than the 8,192 × 8,192 pixels TensorBoard shows is left out;
* NaN or infinite values are refused (:class:`DataError`): TensorBoard would read them, but no projection
  can use them and this app's loader refuses them.

Streaming: :meth:`LogdirExport.zip_chunks` yields a zip of the folder piece by piece (about 1 MB of tensor
text at a time), so a 100k × 768 data set (~1 GB of TSV) is never one string in memory.
"""
from __future__ import annotations

import io
import json
import math
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .disk import writing
from .errors import DataError
from .formats import column_as_text, is_blank
from .projections import default_perplexity, project

CONFIG = "projector_config.pbtxt"
TENSORS = "tensors.tsv"
METADATA = "metadata.tsv"
SPRITE = "sprite.png"
BOOKMARKS = "bookmarks.txt"

FLOAT_FORMAT = "%.9g"          # float32 needs 9 significant digits to round-trip
TSV_BLOCK_VALUES = 1 << 16     # values formatted at a time (about 1 MB of text)
TB_SPRITE_MAX_PX = 8192        # TensorBoard refuses a larger sheet (and then shows no metadata either)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SHEET_MODES = ("1", "L", "LA", "RGB", "RGBA", "I", "I;16")   # re-tiled as they are; others as RGBA
ZIP_LEVEL = 1                  # tensor text compresses to ~48% at level 1, at ~7 s per GB

# TensorBoard's default camera (scatterPlot.ts makeDefaultCameraDef), written into every bookmark
CAMERA_2D = {"orthographic": True, "position": [0, 0, 4], "target": [0, 0, 0], "zoom": 1}
CAMERA_3D = {"orthographic": False, "position": [0.45, 0.9, 1.6], "target": [0, 0, 0], "zoom": 1}
TB_METHODS = ("pca", "tsne", "umap", "custom")   # TensorBoard's projections (no raw dimensions)
TB_LEARNING_RATE = 10          # TensorBoard's t-SNE learning rate (used when ours is "auto")

_BREAK = re.compile(r"\r\n|[\t\r\n]")


def write_logdir(dataset, folder, *, rows=None, name: str | None = None, bookmarks=None, cache=None) -> list[str]:
    """Write ``dataset`` (or its ``rows``, in that order) as a TensorBoard log folder into ``folder``.

    ``bookmarks``: ``[{"name", "state"}]`` (states as :mod:`projector.state` keeps them) become
    ``bookmarks.txt``; their t-SNE/UMAP coordinates come from ``cache`` (a :class:`ResultCache`).
    Returns the warnings (see the module's docstring); raises :class:`DataError` for what cannot be
    exported at all.
    """
    export = LogdirExport(dataset, rows=rows, name=name, bookmarks=bookmarks, cache=cache)
    export.write(folder)
    return export.warnings


def logdir_zip(dataset, *, rows=None, name: str | None = None, bookmarks=None, cache=None,
               folder_name: str | None = None) -> bytes:
    """The log folder as zip bytes (small data sets; use :meth:`LogdirExport.zip_chunks` to stream)."""
    return LogdirExport(dataset, rows=rows, name=name, bookmarks=bookmarks, cache=cache).zip_bytes(folder_name)


class LogdirExport:
    """One export, checked when made: its files, its warnings, and ways to write them.

    Nothing large is made here: the tensor text, the sprite sheet and the zip are produced when written.
    """

    def __init__(self, dataset, *, rows=None, name: str | None = None, bookmarks=None, cache=None):
        self.dataset = dataset
        self.rows = _checked_rows(rows, dataset.num_points)
        self.name = (str(name) if name is not None else str(dataset.name or "")).strip() or "embeddings"
        self.warnings: list[str] = []
        self._check_finite()
        self.columns: dict[str, str] = {}        # data-set column -> its name in metadata.tsv
        self._metadata = self._metadata_lines()
        self._sprite = self._sprite_plan()
        self.bookmarks, notes = tensorboard_bookmarks(bookmarks or [], dataset, self.rows, cache=cache,
                                                      columns=self.columns)
        self.warnings.extend(notes)

    # ---------------------------------------------------------------- what it holds

    @property
    def num_points(self) -> int:
        return self.dataset.num_points if self.rows is None else len(self.rows)

    @property
    def dim(self) -> int:
        return self.dataset.dim

    @property
    def points(self) -> np.ndarray:
        """The data set's point numbers, in the order of the exported rows."""
        return np.arange(self.dataset.num_points) if self.rows is None else self.rows

    def files(self) -> list[str]:
        """The folder's files, the config first."""
        return [CONFIG, TENSORS] + ([METADATA] if self._metadata is not None else []) \
            + ([SPRITE] if self._sprite is not None else []) + ([BOOKMARKS] if self.bookmarks else [])

    def config_text(self) -> str:
        """``projector_config.pbtxt``: protobuf text format of TensorBoard's ``ProjectorConfig``."""
        lines = ["embeddings {", f"  tensor_name: {pbtxt_string(self.name)}",
                 f"  tensor_shape: {self.num_points}", f"  tensor_shape: {self.dim}", f'  tensor_path: "{TENSORS}"']
        if self._metadata is not None:
            lines.append(f'  metadata_path: "{METADATA}"')
        if self._sprite is not None:
            w, h = self.dataset.sprite.tile
            lines += ["  sprite {", f'    image_path: "{SPRITE}"', f"    single_image_dim: {w}",
                      f"    single_image_dim: {h}", "  }"]
        if self.bookmarks:
            lines.append(f'  bookmarks_path: "{BOOKMARKS}"')
        return "\n".join(lines + ["}"]) + "\n"

    def about(self) -> dict:
        """What the folder holds, as plain JSON (for a provenance file)."""
        return {"tensor_name": self.name, "points": self.num_points, "dim": self.dim, "files": self.files(),
                "rows": None if self.rows is None else self.rows.tolist(), "float_format": FLOAT_FORMAT,
                "metadata_columns": self.columns, "bookmarks": len(self.bookmarks), "warnings": list(self.warnings)}

    def chunks(self, filename: str) -> Iterator[bytes]:
        """The bytes of one of :meth:`files`, piece by piece."""
        if filename == CONFIG:
            yield self.config_text().encode("utf-8")
        elif filename == TENSORS:
            yield from self._tensor_chunks()
        elif filename == METADATA and self._metadata is not None:
            yield from self._metadata_chunks()
        elif filename == SPRITE and self._sprite is not None:
            yield self._sprite_png()
        elif filename == BOOKMARKS and self.bookmarks:
            yield json.dumps(self.bookmarks, ensure_ascii=False, allow_nan=False).encode("utf-8")
        else:
            raise KeyError(filename)

    # ---------------------------------------------------------------- writing it

    def write(self, folder) -> Path:
        """Write the files into ``folder`` (made if needed; other files in it are left alone)."""
        folder = Path(folder)
        with writing("the log folder was not written"):
            folder.mkdir(parents=True, exist_ok=True)
        for filename in self.files():
            path = folder / filename
            with writing(f"{filename} was not written", path), open(path, "wb") as f:
                f.writelines(self.chunks(filename))
        return folder

    def zip_chunks(self, folder_name: str | None = None, extra: dict[str, bytes] | None = None) -> Iterator[bytes]:
        """A zip of the folder (inside one folder, ``folder_name``), as pieces of bytes to send one by one;
        ``extra`` adds small files beside TensorBoard's (e.g. ``provenance.json``)."""
        folder = (folder_name or folder_name_for(self.name)).strip("/")
        sink = _Sink()
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as zf:
            members = [(f, self.chunks(f)) for f in self.files()] + [(f, iter([b])) for f, b in (extra or {}).items()]
            for filename, pieces in members:
                # opened by name, so the archive's compression level applies (a ZipInfo would get level 6)
                with zf.open(f"{folder}/{filename}", "w", force_zip64=True) as member:
                    for piece in pieces:
                        member.write(piece)
                        if sink.size() >= 1 << 20:
                            yield sink.take()
                if sink.size():
                    yield sink.take()
        if sink.size():
            yield sink.take()

    def zip_bytes(self, folder_name: str | None = None, extra: dict[str, bytes] | None = None) -> bytes:
        return b"".join(self.zip_chunks(folder_name, extra))

    # ---------------------------------------------------------------- the parts

    def _blocks(self):
        """(start, float32 block) over the exported rows, about TSV_BLOCK_VALUES values each."""
        X = self.dataset.vectors
        step = max(1, TSV_BLOCK_VALUES // max(1, self.dim))
        for s in range(0, self.num_points, step):
            idx = slice(s, s + step) if self.rows is None else self.rows[s:s + step]
            yield s, np.asarray(X[idx], dtype=np.float32)

    def _check_finite(self) -> None:
        for s, block in self._blocks():
            ok = np.isfinite(block).all(axis=1)
            if not ok.all():
                point = int(self.points[s + int(np.flatnonzero(~ok)[0])])
                raise DataError(f"point {point:,} has a NaN or infinite value, which a TensorBoard log folder "
                                "should not hold; fix or drop that point and export again.")

    def _tensor_chunks(self) -> Iterator[bytes]:
        row = "\t".join([FLOAT_FORMAT] * self.dim) + "\n"
        for _, block in self._blocks():
            # float32 -> float64 is exact; '%.9g' of it parses back (through float64, too) to the same float32
            yield ((row * len(block)) % tuple(block.astype(np.float64).ravel().tolist())).encode("ascii")

    def _metadata_lines(self) -> list[str] | None:
        frame = self.dataset.metadata
        if not len(frame.columns):
            return None
        part = frame if self.rows is None else frame.iloc[self.rows]
        names = [str(c) for c in frame.columns]
        cols = [column_as_text(part[c]) for c in frame.columns]
        changed = [sum(1 for v in col if _BREAK.search(v)) for col in cols]
        renamed = [n for n in names if _BREAK.search(n)]
        if any(changed) or renamed:
            cols = [[_BREAK.sub(" ", v) for v in col] if k else col for col, k in zip(cols, changed)]
            where = [f"{k:,} in “{n}”" for n, k in zip(names, changed) if k][:3]
            total = sum(changed)
            self.warnings.append(
                (f"{total:,} metadata value{'s' if total != 1 else ''} ({', '.join(where)}) held a tab or a line "
                 "break, which a TensorBoard TSV cannot hold; each was written as a space" if total else
                 "a metadata column name held a tab or a line break, which a TensorBoard TSV cannot hold; "
                 "it was written as a space") + ".")
        exported = [_BREAK.sub(" ", n) for n in names]
        lines = _tsv_lines(exported, cols)
        body = lines if len(cols) == 1 else lines[1:]
        if any(map(is_blank, body)) or lines[0].startswith("\ufeff") or (len(cols) > 1 and is_blank(lines[0])):
            # TensorBoard skips blank lines (every later label would shift) and readers drop a leading BOM
            index = _free_name("index", exported)
            self.columns = dict(zip(names, exported))
            lines = _tsv_lines([index] + exported, [[str(int(p)) for p in self.points]] + cols)
            self.warnings.append(f"some metadata rows are blank (every value empty or spaces), which TensorBoard "
                                 f"skips, shifting every later label; a first column “{index}” (each point's "
                                 "number in the data set) keeps every row in its place.")
        elif len(cols) == 1:
            self.columns = {names[0]: "label"}
            if names[0] != "label":
                self.warnings.append(f"TensorBoard reads a single metadata column without a header row and calls it "
                                     f"“label”, so “{names[0]}” is called that in the export.")
        else:
            self.columns = dict(zip(names, exported))
        return lines

    def _metadata_chunks(self) -> Iterator[bytes]:
        lines = self._metadata
        for s in range(0, len(lines), 20_000):
            yield ("".join(line + "\n" for line in lines[s:s + 20_000])).encode("utf-8")

    def _sprite_plan(self):
        """None (no sprite in the folder), "copy" (the sheet as it is) or "retile"."""
        sprite = self.dataset.sprite
        if sprite is None:
            return None
        w, h = sprite.tile
        im = sprite.decoded()
        width, height = im.size
        if self.rows is None and sprite.png.startswith(PNG_MAGIC) and width % w == 0 and height % h == 0 \
                and max(width, height) <= TB_SPRITE_MAX_PX:
            return "copy"
        cols, rows = sheet_grid(self.num_points)
        if max(cols * w, rows * h) > TB_SPRITE_MAX_PX:
            self.warnings.append(f"the {self.num_points:,} thumbnails of {w} × {h} px make a sprite sheet of "
                                 f"{cols * w:,} × {rows * h:,} px, larger than the {TB_SPRITE_MAX_PX:,} × "
                                 f"{TB_SPRITE_MAX_PX:,} px TensorBoard shows, so the sprite was left out "
                                 "(isolate fewer points to keep it).")
            return None
        return "retile"

    def _sprite_png(self) -> bytes:
        sprite = self.dataset.sprite
        if self._sprite == "copy":
            return sprite.png
        return retile(sprite, self.points)


def sheet_grid(n: int) -> tuple[int, int]:
    """(tiles across, tiles down) of a square-ish sheet for ``n`` thumbnails, as TensorBoard's docs make them."""
    cols = max(1, math.ceil(math.sqrt(n)))
    return cols, max(1, math.ceil(n / cols))


def retile(sprite, points) -> bytes:
    """A new sheet (PNG) holding the thumbnails of ``points`` in that order, row-major from the top left."""
    from PIL import Image

    im = sprite.decoded()
    w, h = sprite.tile
    per_row = max(1, im.size[0] // w)
    cols, rows = sheet_grid(len(points))
    mode = im.mode if im.mode in SHEET_MODES else "RGBA"
    out = Image.new(mode, (cols * w, rows * h))
    for k, p in enumerate(np.asarray(points, dtype=np.int64).tolist()):
        x, y = (p % per_row) * w, (p // per_row) * h
        tile = im.crop((x, y, x + w, y + h))
        if tile.mode != mode:
            tile = tile.convert(mode)
        out.paste(tile, ((k % cols) * w, (k // cols) * h))
    buf = io.BytesIO()
    out.save(buf, format="PNG")
    return buf.getvalue()


def pbtxt_string(text: str) -> str:
    """``text`` as a protobuf text-format string literal that protobuf's own parser and
    :func:`projector.formats.parse_pbtxt` both read back as it is (non-ASCII as \\u escapes)."""
    out = []
    for ch in text:
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\{o:03o}")
        elif o < 0x80:
            out.append(ch)
        elif o <= 0xFFFF:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    return '"' + "".join(out) + '"'


def folder_name_for(name: str) -> str:
    """A file-system-safe folder name for a data set's log folder."""
    return (re.sub(r"[^A-Za-z0-9._-]+", "-", str(name)).strip("-.")[:60] or "embeddings") + "-tensorboard"


# ---------------------------------------------------------------- bookmarks as TensorBoard's State array

def tensorboard_bookmarks(bookmarks, dataset, rows=None, *, cache=None, columns=None) -> tuple[list[dict], list[str]]:
    """Bookmarks ``[{"name", "state"}]`` of ``dataset`` as TensorBoard's bookmark States for the exported
    ``rows`` (None: all points), and the warnings about those that could not come along.

    Point numbers become positions among the exported rows; a bookmark's isolated points outside them are
    dropped (fewer than 2 left: the bookmark is left out). t-SNE and UMAP coordinates are what TensorBoard
    shows without recomputing, so they come from ``cache`` (or the bookmark's stored coordinates); a
    t-SNE/UMAP bookmark without them is left out. TensorBoard recomputes PCA and custom axes itself (their
    coordinates are written too when known, as TensorBoard's own bookmarks hold them).
    ``columns`` maps metadata column names to their names in the export.
    """
    n = dataset.num_points
    rows = np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64)
    position = np.full(n, -1, dtype=np.int64)     # data-set point -> its row in the export
    position[rows] = np.arange(len(rows))
    columns = columns if columns is not None else {str(c): str(c) for c in dataset.metadata.columns}
    first = dataset.default_column()
    default_label = columns.get(str(first)) if first is not None else None
    out, other, few, uncached, raw = [], 0, [], [], []
    for mark in bookmarks:
        name, state = str(mark.get("name") or f"Bookmark {len(out) + 1}"), mark.get("state") or {}
        if state.get("dataset") != dataset.id:
            other += 1
            continue
        shown = np.asarray(state["subset"], dtype=np.int64) if state.get("subset") is not None else np.arange(n)
        at = position[shown]
        kept = np.flatnonzero(at >= 0)
        kept = kept[np.argsort(at[kept], kind="stable")]     # TensorBoard's order: the export's
        if len(kept) < 2:
            few.append(name)
            continue
        method = state["method"]
        tb_method = (state.get("controls") or "pca") if method == "given" else method
        if tb_method not in TB_METHODS:
            tb_method = "pca"
            raw.append(name)
        coords = _coordinates(dataset, state, cache)
        if coords is None and tb_method in ("tsne", "umap"):
            uncached.append(name)
            continue
        tb = _tb_state(name, state, tb_method, dataset.dim, len(kept), columns, default_label)
        keys = _projection_keys(tb_method, tb["dims"], state.get("params") or {})
        del tb["dims"]
        if coords is not None and coords.ndim == 2 and coords.shape == (len(shown), len(keys)):
            tb["projections"] = [dict(zip(keys, map(float, coords[j]))) for j in kept.tolist()]
        if len(kept) != len(rows):
            tb["filteredPoints"] = at[kept].tolist()
        index_of = {int(p): i for i, p in enumerate(shown[kept].tolist())}   # TensorBoard's selectedPoints index the shown points
        sel = state.get("selection") or {}
        asked = [sel["anchor"]] if sel.get("anchor") is not None else list(sel.get("points") or [])
        tb["selectedPoints"] = [index_of[p] for p in asked if p in index_of]
        out.append(tb)
    notes = []
    if other:
        notes.append(f"{other:,} bookmark{'s' if other != 1 else ''} of other data sets {'were' if other != 1 else 'was'}"
                     " left out of bookmarks.txt.")
    if few:
        notes.append(f"{_names(few)} left out of bookmarks.txt: fewer than 2 of {_its(few)} points are exported.")
    if uncached:
        notes.append(f"{_names(uncached)} left out of bookmarks.txt: {_its(uncached)} t-SNE or UMAP coordinates are "
                     "no longer cached on this server (restore it to compute them, then export again).")
    if raw:
        notes.append(f"TensorBoard has no projection of raw dimensions, so {_names(raw, verb=False)} "
                     f"open{'s' if len(raw) == 1 else ''} on its PCA there.")
    return out, notes


def _tb_state(name: str, state: dict, method: str, dim: int, shown: int, columns: dict, default_label) -> dict:
    """The fields of TensorBoard's ``State`` (vz_projector data.ts) for a bookmark, every one it reads on
    restore present with the right type (it dereferences them without checks)."""
    params = state.get("params") or {}
    dims = 2 if method == "custom" else (3 if state.get("dims") == 3 else 2)
    comps = [int(c) for c in params.get("components") or [] if isinstance(c, int)][:3] if method == "pca" else []
    perplexity = _number(params.get("perplexity"), default_perplexity(shown))
    tb = {"label": name, "isSelected": False, "dataSetDimensions": [shown, dim], "selectedProjection": method,
          "tSNEIteration": int(_number(params.get("iterations"), 0)) if method == "tsne" else 0,
          "tSNEPerplexity": perplexity, "tSNELearningRate": _number(params.get("learning_rate"), TB_LEARNING_RATE),
          "tSNEis3d": method == "tsne" and dims == 3, "umapIs3d": method == "umap" and dims == 3,
          "umapNeighbors": int(_number(params.get("n_neighbors"), 15)),
          "pcaComponentDimensions": comps or list(range(dims)),
          "customSelectedSearchByMetadataOption": columns.get(str(params.get("column"))) or default_label or "",
          "customXLeftText": str(params.get("left") or ""), "customXRightText": str(params.get("right") or ""),
          "customYUpText": str(params.get("up") or ""), "customYDownText": str(params.get("down") or ""),
          **{k: bool(params.get("regex")) for k in ("customXLeftRegex", "customXRightRegex", "customYUpRegex",
                                                    "customYDownRegex")},
          "projections": [], "selectedPoints": [],
          "cameraDef": dict(CAMERA_3D if dims == 3 else CAMERA_2D), "forceCategoricalColoring": False, "dims": dims}
    label = columns.get(str(state.get("label_by"))) or default_label
    if label:
        tb["selectedLabelOption"] = label
    if columns.get(str(state.get("colour_by"))):
        tb["selectedColorOptionName"] = columns[str(state["colour_by"])]
    return tb


def _number(value, default):
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if ok else default


def _coordinates(dataset, state: dict, cache) -> np.ndarray | None:
    """A bookmark's coordinates (one row per shown point, ascending): stored in it, or in the cache."""
    if state["method"] == "given":
        return np.asarray((state.get("given") or {}).get("coords") or [], dtype=np.float64)
    if cache is None or state["method"] == "raw":
        return None
    try:
        proj = project(dataset, state["method"], dims=int(state["dims"]), subset=state.get("subset"),
                       params=state.get("params"), spherize=bool(state.get("spherize")), cache=cache,
                       only_cached=True)
    except DataError:
        return None
    return None if proj is None else np.asarray(proj.coords, dtype=np.float64)


def _projection_keys(method: str, dims: int, params: dict) -> list[str]:
    """The names TensorBoard gives a point's projected coordinates (``point.projections``)."""
    if method == "pca":
        return [f"pca-{int(c)}" for c in (params.get("components") or range(dims))][:dims]
    if method == "custom":
        return ["linear-x", "linear-y"]
    return [f"{method}-{j}" for j in range(dims)]


def _names(names: list[str], verb: bool = True) -> str:
    shown = ", ".join(f"“{n[:60]}”" for n in names[:3]) + (f" and {len(names) - 3:,} more" if len(names) > 3 else "")
    return shown + ((" were" if len(names) > 1 else " was") if verb else "")


def _its(names: list[str]) -> str:
    return "their" if len(names) > 1 else "its"


# ---------------------------------------------------------------- small pieces

def _checked_rows(rows, n: int) -> np.ndarray | None:
    if rows is None:
        if n < 2:
            raise DataError("a log folder needs at least 2 points.")
        return None
    try:
        idx = np.asarray(rows)
        if idx.dtype.kind not in "iu":
            raise TypeError
        idx = idx.astype(np.int64).reshape(-1)
    except (TypeError, ValueError):
        raise DataError("the rows to export must be point numbers.") from None
    if len(idx) < 2:
        raise DataError("export at least 2 points: TensorBoard and this app need 2 to project.")
    if idx.min() < 0 or idx.max() >= n:
        raise DataError(f"the rows to export name points outside the data set's {n:,}.")
    if len(np.unique(idx)) != len(idx):
        raise DataError("the rows to export name a point twice; name each point once.")
    return idx


def _tsv_lines(names: list[str], cols: list[list[str]]) -> list[str]:
    if len(cols) == 1:
        return list(cols[0])
    return ["\t".join(names)] + list(map("\t".join, zip(*cols)))


def _free_name(wanted: str, taken: list[str]) -> str:
    name, k = wanted, 1
    stripped = {t.strip() for t in taken}
    while name in stripped:
        k += 1
        name = f"{wanted} ({k})"
    return name


class _Sink:
    """Where zipfile writes: bytes collected until taken (zipfile writes a streamable zip when it cannot seek)."""

    def __init__(self):
        self._parts: list[bytes] = []
        self._size = 0

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        self._size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def size(self) -> int:
        return self._size

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts, self._size = [], 0
        return out


__all__ = ["LogdirExport", "logdir_zip", "tensorboard_bookmarks", "write_logdir"]

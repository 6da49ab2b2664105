"""The Dataset: vectors (float32 N×D, read-only) with one metadata row per point."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import formats
from .errors import DataError

HASH_CHUNK_ROWS = 65_536
BLOCK_BYTES = 16 << 20   # blocks of rows computed on at a time: big enough for BLAS, small next to the data


SAFE_MAX = 2.0 ** 30    # |values| float32 squares and sums hold with room to spare (D up to millions)
SAFE_MIN = 2.0 ** -30


def block_rows(dim: int) -> int:
    """How many float32 rows of ``dim`` values make one block of about BLOCK_BYTES."""
    return max(256, BLOCK_BYTES // (4 * max(1, int(dim))))


@dataclass
class Sprite:
    """A sprite sheet: PNG bytes holding row-major thumbnails of ``tile`` = (width, height) pixels."""
    png: bytes
    tile: tuple[int, int]
    _image: object = field(default=None, repr=False, compare=False)

    def thumbnail(self, index: int) -> bytes:
        """Point ``index``'s thumbnail as PNG bytes."""
        import io

        im = self.decoded()
        w, h = self.tile
        per_row = max(1, im.size[0] // w)
        x, y = (index % per_row) * w, (index // per_row) * h
        if index < 0 or y + h > im.size[1]:
            raise IndexError(f"the sprite has no thumbnail for point {index}.")
        tile = im.crop((x, y, x + w, y + h))
        if tile.mode not in PNG_MODES:          # e.g. CMYK, 32-bit float: PNG cannot hold them as they are
            tile = tile.convert("RGBA")
        out = io.BytesIO()
        tile.save(out, format="PNG")
        return out.getvalue()

    def data_uri(self, index: int) -> str:
        """Point ``index``'s thumbnail as a ``data:image/png`` URI, made once per point."""
        uris = self.__dict__.setdefault("_uris", {})
        if index not in uris:
            import base64

            uris[index] = "data:image/png;base64," + base64.b64encode(self.thumbnail(index)).decode("ascii")
        return uris[index]

    def decoded(self):
        """The sheet as a decoded image, decoded once (a stored data set keeps its Sprite)."""
        if self._image is None:
            self._image = decode_sheet(self.png, "the sprite")
        return self._image


SPRITE_MAX_PIXELS = 1 << 27   # 134 million pixels (11,585²; 100,000 tiles of 36 × 36): decoded at most 0.5 GB
PNG_MODES = ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16")


def decode_sheet(png: bytes, shown: str):
    """A sprite sheet decoded, its size checked *before* decoding against :data:`SPRITE_MAX_PIXELS` (the
    check is per sheet: Pillow's process-wide decompression-bomb limit is never changed)."""
    import io
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(png))
            width, height = im.size
            if width * height > SPRITE_MAX_PIXELS:
                raise SpriteError(f"{shown} is {width:,} × {height:,} pixels, more than the "
                                  f"{SPRITE_MAX_PIXELS:,} read", "make its thumbnails smaller")
            im.load()
    except Image.DecompressionBombError:
        raise SpriteError(f"{shown} declares more than {SPRITE_MAX_PIXELS:,} pixels, the most that is read",
                          "make its thumbnails smaller") from None
    except DataError:
        raise
    except Exception:   # Pillow raises many kinds (OSError, SyntaxError, ValueError, struct.error…) for a bad file
        raise SpriteError(f"{shown} is not a complete, readable image", "save it again as PNG") from None
    return im


class SpriteError(DataError):
    """A sprite sheet that cannot be used: ``reason`` and ``advice``, also as one sentence."""

    def __init__(self, reason: str, advice: str):
        super().__init__(f"{reason}; {advice}.")
        self.reason, self.advice = reason, advice


@dataclass(eq=False)
class Dataset:
    """Embeddings and their metadata.

    ``vectors`` is float32 N×D and read-only (memory-mapped when it comes from a file or the
    store); ``metadata`` has one row per point; ``warnings`` lists what was tolerated on load.
    """
    vectors: np.ndarray
    metadata: pd.DataFrame
    name: str = "embeddings"
    warnings: list[str] = field(default_factory=list)
    sprite: Sprite | None = None
    _id: str | None = None
    _derived: dict = field(default_factory=dict, repr=False)
    metadata_version: int = 0   # 0: the metadata as loaded; each tag edit in the store adds one
    source: dict | None = None  # where a log folder's data set came from: {"logdir", "run", "tensor", "step"}

    def with_metadata(self, frame: pd.DataFrame, version: int) -> "Dataset":
        """The same vectors (and id) with another version of the metadata; what only the vectors
        determine (centroid, radii, norms) is kept, what the labels determine is not."""
        keep = {k: v for k, v in self._derived.items() if k in ("sphere", "norms", "range")}
        return Dataset(vectors=self.vectors, metadata=frame, name=self.name, warnings=list(self.warnings),
                       sprite=self.sprite, _id=self.id, _derived=keep, metadata_version=int(version),
                       source=self.source)

    @property
    def num_points(self) -> int:
        return int(self.vectors.shape[0])

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    @property
    def id(self) -> str:
        """Content hash of the vectors and metadata (the same data always gets the same id)."""
        if self._id is None:
            self._id = content_id(self.vectors, self.metadata, self.metadata_tsv())
        return self._id

    def metadata_tsv(self) -> bytes:
        """The metadata as the TSV the store keeps (and the id hashes), made once."""
        if "metadata_tsv" not in self._derived:
            self._derived["metadata_tsv"] = formats.write_metadata_tsv(self.metadata)
        return self._derived["metadata_tsv"]

    def value_range(self) -> tuple[float, float]:
        """(largest |value|, smallest largest-|value| of a non-zero row), computed once."""
        if "range" not in self._derived:
            X, step = self.vectors, block_rows(self.dim)
            top, low = 0.0, np.inf
            for s in range(0, self.num_points, step):
                row_max = np.abs(np.asarray(X[s:s + step], dtype=np.float32)).max(axis=1)
                top = max(top, float(row_max.max(initial=0.0)))
                nonzero = row_max[row_max > 0]
                if nonzero.size:
                    low = min(low, float(nonzero.min()))
            self._derived["range"] = (top, low if np.isfinite(low) else 0.0)
        return self._derived["range"]

    def extreme(self) -> bool:
        """Whether float32 arithmetic on these vectors could overflow or underflow (values beyond 2³⁰ or
        rows below 2⁻³⁰): then norms, dot products and centring are done in float64."""
        top, low = self.value_range()
        return top > SAFE_MAX or (0 < low < SAFE_MIN)

    def scale(self) -> float:
        """A power of two that brings the largest |value| near 1 when it is far from it (else 1): the
        methods see scaled rows, an exact change of units that float32 then holds without overflow."""
        top, _ = self.value_range()
        if top == 0 or SAFE_MIN <= top <= SAFE_MAX:
            return 1.0
        return float(2.0 ** -np.frexp(top)[1])

    def sphere(self) -> tuple[np.ndarray, np.ndarray]:
        """(centroid float64, each row's distance to it float64): spherizing without a spherized copy."""
        if "sphere" not in self._derived:
            X = self.vectors
            step = block_rows(self.dim)
            centroid = np.zeros(self.dim, dtype=np.float64)
            for s in range(0, self.num_points, step):
                centroid += np.asarray(X[s:s + step], dtype=np.float32).sum(axis=0, dtype=np.float64)
            centroid /= max(1, self.num_points)
            radii = np.empty(self.num_points, dtype=np.float64)
            exact = self.extreme()
            c32 = centroid.astype(np.float32)
            for s in range(0, self.num_points, step):
                if exact:
                    block = np.asarray(X[s:s + step], dtype=np.float64) - centroid
                else:
                    block = np.asarray(X[s:s + step], dtype=np.float32) - c32
                radii[s:s + len(block)] = np.sqrt(np.einsum("ij,ij->i", block, block))
            self._derived["sphere"] = (centroid, radii)
        return self._derived["sphere"]

    def norms(self) -> np.ndarray:
        """Euclidean row norms of the vectors, computed once (float64 when :meth:`extreme`, else float32;
        spherized: see :meth:`sphere`)."""
        key = "norms"
        if key not in self._derived:
            X = self.vectors
            exact = self.extreme()
            out = np.empty(X.shape[0], dtype=np.float64 if exact else np.float32)
            for s in range(0, X.shape[0], HASH_CHUNK_ROWS):
                block = np.asarray(X[s:s + HASH_CHUNK_ROWS], dtype=np.float64 if exact else np.float32)
                out[s:s + len(block)] = np.sqrt(np.einsum("ij,ij->i", block, block))
            self._derived[key] = out
        return self._derived[key]

    def text_columns(self) -> list[str]:
        return [c for c in self.metadata.columns if not pd.api.types.is_numeric_dtype(self.metadata[c])]

    def default_column(self) -> str | None:
        """The column labels and searches use when none is named: the first non-numeric one."""
        text = self.text_columns()
        if text:
            return text[0]
        return self.metadata.columns[0] if len(self.metadata.columns) else None


class Rows:
    """The rows a projection works on — all points or a subset, as given or spherized — read block by
    block from the (memory-mapped) vectors, so a large data set is never copied whole.

    Spherized rows use the whole data set's centroid and each point's distance to it
    (:meth:`Dataset.sphere`), so a subset is spherized exactly as it is inside the full set.
    """

    def __init__(self, dataset: "Dataset", spherize: bool = False, subset: np.ndarray | None = None):
        self.vectors = dataset.vectors
        self.subset = subset
        self.sphere = dataset.sphere() if spherize else None
        self.exact = dataset.extreme()
        self.scale = 1.0 if spherize else dataset.scale()   # spherized rows have unit length already
        self.shape = (dataset.num_points if subset is None else len(subset), dataset.dim)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows) -> np.ndarray:
        """Rows by position (a slice or an integer array) as float32."""
        idx = rows if self.subset is None else self.subset[rows]
        if self.sphere is None:
            block = np.asarray(self.vectors[idx], dtype=np.float32)
            # the factor itself may be beyond float32 (2¹³² for values near 1e-40): applied in float64
            return block if self.scale == 1.0 else (block.astype(np.float64) * self.scale).astype(np.float32)
        centroid, radii = self.sphere
        if self.exact:
            block = np.asarray(self.vectors[idx], dtype=np.float64) - centroid
        else:   # one new block, then scaled in place: two passes over it (a masked division made four)
            block = np.subtract(self.vectors[idx], centroid.astype(np.float32), dtype=np.float32)
        r = radii[idx]
        with np.errstate(divide="ignore"):
            inverse = np.where(r > 0, 1.0 / r, 0.0).astype(block.dtype)   # a point at the centroid stays 0
        block *= inverse[:, None]
        return block.astype(np.float32, copy=False)

    def blocks(self, size: int | None = None):
        """(start, float32 block) pairs covering every row in order, ~16 MB per block by default."""
        size = size or block_rows(self.shape[1])
        for s in range(0, self.shape[0], size):
            yield s, self[s:min(self.shape[0], s + size)]

    def __array__(self, dtype=None, copy=None):
        out = self[np.arange(self.shape[0])] if self.subset is not None else np.asarray(self[:], dtype=np.float32)
        return out if dtype is None else out.astype(dtype, copy=False)


def spherize_vectors(vectors: np.ndarray) -> np.ndarray:
    """Subtract the centroid and scale every vector to unit norm (all-zero rows stay zero); in float64,
    so values anywhere in float32's range neither overflow nor underflow."""
    X = np.asarray(vectors, dtype=np.float64)
    out = X - X.mean(axis=0)
    norms = np.sqrt(np.einsum("ij,ij->i", out, out))
    nonzero = norms > 0
    out[nonzero] /= norms[nonzero, None]
    out = out.astype(np.float32)
    out.flags.writeable = False
    return out


def content_id(vectors: np.ndarray, metadata: pd.DataFrame, metadata_tsv: bytes | None = None) -> str:
    """A short hex digest of vectors (shape and little-endian float32 bytes) and metadata (as TSV)."""
    h = hashlib.blake2b(digest_size=10)
    h.update(f"v1:{vectors.shape[0]}x{vectors.shape[1]}:".encode())
    for s in range(0, vectors.shape[0], HASH_CHUNK_ROWS):
        h.update(np.ascontiguousarray(vectors[s:s + HASH_CHUNK_ROWS], dtype="<f4"))  # hashed in place, no copy
    h.update(metadata_tsv if metadata_tsv is not None else formats.write_metadata_tsv(metadata))
    return h.hexdigest()


def _align_metadata(table: formats.MetadataTable, n: int, shown: str) -> tuple[pd.DataFrame, list[str]]:
    frame = table.frame
    m = len(frame)
    notes = [table.note] if table.note else []
    if m == n:
        return frame, notes
    spaced = table.with_spaces
    if spaced is not None and m < len(spaced.frame) <= n:
        # rows are missing either way: then blank lines between rows are rows, so none after them shifts
        skipped = len(spaced.frame) - m
        frame, m = spaced.frame, len(spaced.frame)
        notes.append(f"{shown} has {skipped:,} empty or whitespace-only line{'s' if skipped != 1 else ''} "
                     "between its rows; they were kept as rows so that row i describes point i.")
        if m == n:
            return frame, notes
        spaced = None
    else:
        ncols = len(frame.columns)
        if ncols == 1 and m == n + 1:
            raise DataError(f"{shown} has {m:,} rows but there are {n:,} points: a single-column metadata "
                            "file should not have a header row — delete the first line and upload again.")
        if ncols > 1 and m == n - 1:
            raise DataError(f"{shown} has {m:,} rows but there are {n:,} points: a metadata file with several "
                            "columns should have a header row naming them — add one and upload again.")
    if m > n:
        warning = (f"{shown} has {m:,} rows but there are {n:,} points; the last {m - n:,} rows "
                   "were ignored.")
        frame = frame.iloc[:n].reset_index(drop=True)
    else:
        warning = (f"{shown} has {m:,} rows but there are {n:,} points; the last {n - m:,} points "
                   "have no metadata.")
        frame = frame.reindex(pd.RangeIndex(n))
        for c in frame.columns:
            if not pd.api.types.is_numeric_dtype(frame[c]):
                frame[c] = pd.array([None if isinstance(v, float) else v for v in frame[c]], dtype=object)
    if spaced is not None:
        warning += (f" ({len(spaced.frame) - m:,} empty or whitespace-only lines were skipped as blank, as "
                    "TensorBoard does; check that row i describes point i.)")
    return frame, notes + [warning]


def load_dataset(vectors, metadata=None, *, name: str | None = None, shape=None, column: str | None = None) -> Dataset:
    """Load embeddings and optional metadata into a :class:`Dataset`.

    ``vectors``: a path to ``.npy``, ``.npz`` (one array, or ``file.npz:key``), tensor ``.tsv``,
    raw float32 ``.bytes`` (with ``shape=(N, D)`` or ``(None, D)``), Parquet/Arrow (a vector column —
    ``column``, or the only one — and its other columns as the metadata), safetensors (the tensor
    ``column``, or the only 2-D one), or a numpy array.
    ``metadata``: a path to a metadata ``.tsv`` or a DataFrame with one row per point (it replaces the
    columns a Parquet/Arrow file brings).
    Raises :class:`DataError` with one sentence for a person when the input is bad.
    """
    if shape is not None:
        try:
            shape = tuple(None if s is None else int(s) for s in shape)
        except (TypeError, ValueError):
            raise DataError(f"shape must be (N, D) or (None, D), not {shape!r}.") from None
    X, labels = formats.read_vectors(vectors, shape=shape, column=column)
    n = X.shape[0]
    warnings: list[str] = []
    if metadata is None:
        if isinstance(labels, pd.DataFrame):
            frame = labels
        elif labels is not None:
            frame = pd.DataFrame({"label": pd.array(labels, dtype=object)})
        else:
            frame = pd.DataFrame(index=pd.RangeIndex(n))
    elif isinstance(metadata, pd.DataFrame):
        if len(metadata) != n:
            raise DataError(f"the metadata has {len(metadata):,} rows but there are {n:,} points; "
                            "give one row per point.")
        frame = metadata.reset_index(drop=True)
        frame.columns = [str(c) for c in frame.columns]
    else:
        shown = Path(os.fspath(metadata)).name
        frame, warnings = _align_metadata(formats.read_metadata_tsv(metadata), n, shown)
    if name is None:
        name = Path(os.fspath(vectors)).stem if not isinstance(vectors, np.ndarray) else "embeddings"
        name = name.split(":")[0]
        for suffix in (".parquet", ".arrow", ".feather", ".safetensors", ".npz"):   # file.parquet:column
            name = name[:-len(suffix)] if name.lower().endswith(suffix) else name
    return Dataset(vectors=X, metadata=frame, name=name, warnings=warnings)


def load_projector_config(path) -> list[Dataset]:
    """Load every embedding a TensorBoard projector config (JSON or pbtxt) names."""
    return [_load_spec(spec) for spec in formats.read_projector_config(path)]


def _load_spec(spec) -> Dataset:
    """One embedding a projector config names: its tensor, metadata and sprite."""
    shape = spec.shape
    if spec.tensor_path.suffix.lower() == ".bytes" and shape is not None:
        shape = (None, shape[1])  # the anchor shows the rows the file holds
    ds = load_dataset(spec.tensor_path, spec.metadata_path, name=spec.name, shape=shape)
    if spec.shape and spec.shape[0] and spec.shape[0] > ds.num_points:
        ds.warnings.append(f"{spec.name}: the config says {spec.shape[0]:,} points but the tensor "
                           f"file holds {ds.num_points:,}; showing those.")
    if spec.sprite_path is not None:
        ds.sprite, warning = read_sprite(spec.sprite_path, spec.sprite_dim, ds.num_points)
        if warning:
            ds.warnings.append(warning)
    return ds


def load_logdir(path, skip=frozenset()):
    """Every embedding under a TensorBoard log folder: see :func:`projector.logdir.load_logdir`."""
    from .logdir import load_logdir as load   # logdir builds on this module

    return load(path, skip)


def read_sprite(path, dim, n: int):
    """(Sprite or None, warning or None) for the sprite sheet at ``path`` with tiles ``dim`` = (w, h)
    covering ``n`` points. A missing, unreadable or too small sheet is a warning: the data set loads
    without images. Sheets larger than TensorBoard's 8192 × 8192 limit are fine."""
    path = Path(path)
    if not path.is_file():
        return None, f"the sprite {path.name} was not found; the data set loads without images."
    if not dim or len(dim) != 2 or min(dim) <= 0:
        return None, f"the sprite {path.name} has no valid singleImageDim; the data set loads without images."
    png = path.read_bytes()
    try:
        # decoded in full once here: a sheet that only *starts* well (truncated, corrupt) is refused now,
        # not found out by every thumbnail later
        width, height = decode_sheet(png, f"the sprite {path.name}").size
    except SpriteError as exc:
        return None, f"{exc.reason}, so the data set loads without images ({exc.advice} to see them)."
    if int(dim[0]) > width or int(dim[1]) > height:
        return None, (f"the sprite {path.name} is {width} × {height} pixels, too small for thumbnails of "
                      f"{dim[0]}×{dim[1]} px; the data set loads without images.")
    per_row = width // int(dim[0])
    capacity = per_row * (height // int(dim[1]))
    if capacity < n:
        return None, (f"the sprite {path.name} holds {capacity:,} thumbnails of {dim[0]}×{dim[1]} px but "
                      f"there are {n:,} points; the data set loads without images.")
    return Sprite(png=png, tile=(int(dim[0]), int(dim[1]))), None

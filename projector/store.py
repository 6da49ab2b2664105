"""A content-addressed data-set store on disk that survives restarts."""
from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from .dataset import Dataset, Sprite
from .disk import writing
from .errors import DataError
from .formats import column_as_text, metadata_needs_escapes, read_escaped_field, write_metadata_tsv

_ID_RE = re.compile(r"^[0-9a-f]{8,64}$")
TAG_COLUMN_MAX = 100     # characters in a column name a tag creates
TAG_VALUE_MAX = 1000     # characters in a tag value


class DatasetStore:
    """Data sets kept under ``root/datasets/<id>/``: vectors.npy (memory-mapped when read),
    metadata.tsv, optional sprite.png and manifest.json.

    Writes go to a temporary folder that is renamed into place, so a crash never leaves a
    half-written data set listed; adding the same content twice keeps one copy.
    """

    def __init__(self, root):
        self.root = Path(root)
        self._sets = self.root / "datasets"
        self._tmp = self.root / "tmp"
        self._sets.mkdir(parents=True, exist_ok=True)
        self._tmp.mkdir(parents=True, exist_ok=True)
        self.recover()
        self._loaded: dict[str, Dataset] = {}
        self._stamps: dict[str, int] = {}   # manifest mtime of each loaded set: another process may tag it

    def recover(self) -> list[str]:
        """Roll back what a crash left half-done: every work folder under ``tmp/`` that no live process holds
        (each add or delete holds a lock on its folder while it works). Nothing in them was ever listed:
        an add becomes visible only by its final rename, and an upload it adopted is still in its upload
        folder (adopting links the file, it never moves it). Returns the folders removed."""
        removed = []
        for work in self._tmp.iterdir():
            try:
                with open(work / ".lock", "a") as lock:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    shutil.rmtree(work, ignore_errors=True)
                    removed.append(work.name)
            except BlockingIOError:
                continue     # another process is adding or deleting right now
            except OSError:
                if work.is_dir() and time.time() - work.stat().st_mtime > 3600:
                    shutil.rmtree(work, ignore_errors=True)
                    removed.append(work.name)
        return removed

    def _dir(self, dataset_id: str) -> Path:
        if not isinstance(dataset_id, str) or not _ID_RE.match(dataset_id):
            raise DataError(f"{str(dataset_id)[:40]!r} is not a data-set id; pick a data set from the list.")
        return self._sets / dataset_id

    def add(self, dataset: Dataset, adopt=None) -> str:
        """Store ``dataset`` (if not already there) and return its id.

        ``adopt`` names the .npy file the vectors were read from when the caller no longer needs it
        (a finished upload): if it already holds them as the store keeps them (little-endian float32,
        C order), it is moved into the store instead of copied — for a 2 GB upload that saves
        writing 2 GB again.
        """
        target = self._dir(dataset.id)
        if (target / "manifest.json").exists():
            if dataset.sprite is not None:
                self._add_sprite(dataset.id, dataset.sprite)
            return dataset.id
        try:
            return self._add_new(dataset, adopt, target)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            raise DataError(f"the server's disk is full, so {dataset.name} was not stored (nothing of it was "
                            "kept); ask whoever runs it to free space, then load it again.") from None

    def _add_new(self, dataset: Dataset, adopt, target: Path) -> str:
        work = Path(tempfile.mkdtemp(prefix="add-", dir=self._tmp))
        lock = open(work / ".lock", "a")
        fcntl.flock(lock, fcntl.LOCK_EX)   # held until the folder is gone: recover() leaves it alone meanwhile
        try:
            adopted = False
            if _can_adopt(dataset.vectors, adopt):
                try:
                    # a second name for the upload's file: no copy, and a crash from here on loses nothing
                    # (the upload keeps its own name until the caller removes it after this add)
                    os.link(adopt, work / "vectors.npy")
                    adopted = True
                except OSError:
                    adopted = False         # another file system, or no hard links: copy below
            if not adopted:
                _write_vectors(work / "vectors.npy", dataset.vectors)
            (work / "metadata.tsv").write_bytes(dataset.metadata_tsv())
            numeric = [c for c in dataset.metadata.columns
                       if pd.api.types.is_numeric_dtype(dataset.metadata[c])]
            manifest = {"id": dataset.id, "name": dataset.name, "num_points": dataset.num_points,
                        "dim": dataset.dim, "columns": list(map(str, dataset.metadata.columns)),
                        "numeric_columns": numeric, "warnings": list(dataset.warnings),
                        "metadata_escaped": metadata_needs_escapes(dataset.metadata), "added": time.time()}
            if dataset.sprite is not None:
                (work / "sprite.png").write_bytes(dataset.sprite.png)
                manifest["sprite_tile"] = list(dataset.sprite.tile)
            if dataset.source:
                manifest["source"] = dataset.source
            (work / "manifest.json").write_text(json.dumps(manifest, indent=1))
            try:
                os.rename(work, target)
            except OSError:
                if not (target / "manifest.json").exists():  # another writer did not win the race
                    raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
            lock.close()
        return dataset.id

    def _add_sprite(self, dataset_id: str, sprite) -> None:
        """Give a stored data set that has no images the sprite it now comes with (atomic file swaps),
        in the copy already loaded too."""
        target = self._dir(dataset_id)
        manifest = json.loads((target / "manifest.json").read_text())
        if manifest.get("sprite_tile"):
            return
        with_sprite = json.dumps({**manifest, "sprite_tile": list(sprite.tile)}, indent=1).encode()
        for name, data in (("sprite.png", sprite.png), ("manifest.json", with_sprite)):
            tmp = target / f".{name}.tmp"
            with writing("the sprite was not added", tmp):
                tmp.write_bytes(data)
                os.replace(tmp, target / name)
        if dataset_id in self._loaded:
            self._loaded[dataset_id].sprite = sprite

    def get(self, dataset_id: str) -> Dataset:
        """The stored data set, vectors memory-mapped; kept open for later calls (and brought up to
        date when another process has tagged it since)."""
        d = self._dir(dataset_id)
        manifest_path = d / "manifest.json"
        try:
            stamp = manifest_path.stat().st_mtime_ns
        except OSError:
            self._loaded.pop(dataset_id, None)
            raise DataError(f"data set {dataset_id} is not in the store (it may have been deleted); "
                            "pick another or upload it again.") from None
        loaded = self._loaded.get(dataset_id)
        if loaded is not None and self._stamps.get(dataset_id) == stamp:
            return loaded
        manifest = json.loads(manifest_path.read_text())
        if loaded is not None and manifest.get("metadata_version", 0) != loaded.metadata_version:
            frame = _read_stored_metadata(d / manifest.get("metadata_file", "metadata.tsv"), manifest, loaded.num_points)
            ds = loaded.with_metadata(frame, manifest.get("metadata_version", 0))
        elif loaded is not None:
            ds = loaded
        else:
            vectors = np.load(d / "vectors.npy", mmap_mode="r", allow_pickle=False)
            frame = _read_stored_metadata(d / manifest.get("metadata_file", "metadata.tsv"), manifest, vectors.shape[0])
            ds = Dataset(vectors=vectors, metadata=frame, name=manifest["name"], warnings=manifest.get("warnings", []),
                         _id=manifest["id"], metadata_version=manifest.get("metadata_version", 0),
                         source=manifest.get("source"))
        if ds.sprite is None and (d / "sprite.png").exists() and manifest.get("sprite_tile"):
            ds.sprite = Sprite(png=(d / "sprite.png").read_bytes(), tile=tuple(manifest["sprite_tile"]))
        self._loaded[dataset_id] = ds
        self._stamps[dataset_id] = stamp
        return ds

    def tag(self, dataset_id: str, column: str, value: str, points) -> Dataset:
        """Set ``column`` (made if new) to ``value`` for ``points`` and keep the result as the next
        version of the metadata (``metadata.v<N>.tsv``); the uploaded metadata is never rewritten.

        Returns the data set with the new metadata. A numeric column stays numeric when ``value``
        is a number; otherwise it becomes text.
        """
        column, value = str(column or "").strip(), str(value if value is not None else "").strip()
        if not column:
            raise DataError("name the column to tag (an existing one or a new one).")
        if len(column) > TAG_COLUMN_MAX or len(value) > TAG_VALUE_MAX:
            raise DataError(f"a tag's column name may have at most {TAG_COLUMN_MAX} characters and its value "
                            f"at most {TAG_VALUE_MAX}; shorten it.")
        if any(ch in column + value for ch in "\t\r\n"):
            raise DataError("a tag cannot contain tabs or line breaks; type it on one line.")
        d = self._dir(dataset_id)
        with writing("the tag was not saved"):
            lock = open(d / ".lock", "a")   # made when the data set was stored; older stores make it here
        with lock:  # two people tagging at once each get their own version
            fcntl.flock(lock, fcntl.LOCK_EX)
            ds = self.get(dataset_id)
            idx = np.unique(np.asarray(list(points), dtype=np.int64))
            if not len(idx):
                raise DataError("select points to tag first (click a point, search or lasso).")
            if idx[0] < 0 or idx[-1] >= ds.num_points:
                raise DataError("the points to tag are not all in this data set; select them again.")
            frame = ds.metadata.copy()
            number = _as_number(value)
            if column in frame.columns and pd.api.types.is_numeric_dtype(frame[column]) and number is not None:
                values = frame[column].to_numpy(dtype=np.float64, copy=True)
                values[idx] = number
                frame[column] = pd.array(values, dtype="float64")
            else:
                texts = column_as_text(frame[column]) if column in frame.columns else [""] * ds.num_points
                for i in idx:
                    texts[i] = value
                frame[column] = pd.array([t if t != "" else None for t in texts], dtype=object)
            self._write_version(d, frame, {"column": column, "value": value, "points": int(len(idx))},
                                "the tag was not saved")
            return self.get(dataset_id)

    def add_columns(self, dataset_id: str, columns: dict, note: dict | None = None) -> Dataset:
        """Keep ``columns`` (name → N values: numbers, or text with None for missing) as the next metadata
        version, replacing columns of the same names; the uploaded metadata is never rewritten. Columns
        whose values are already stored make no new version. Returns the data set with the metadata."""
        d = self._dir(dataset_id)
        with writing("the new column was not saved"):
            lock = open(d / ".lock", "a")
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            ds = self.get(dataset_id)
            frame = ds.metadata.copy()
            changed = False
            for name, values in columns.items():
                name = str(name).strip()
                if not name or len(name) > TAG_COLUMN_MAX or any(ch in name for ch in "\t\r\n"):
                    raise DataError(f"a column name must be 1 to {TAG_COLUMN_MAX} characters on one line.")
                values = np.asarray(values)
                if values.shape != (ds.num_points,):
                    raise DataError(f"a new column needs one value per point ({ds.num_points:,}); got {values.size:,}.")
                if values.dtype.kind in "fiub":
                    column = pd.array(values.astype(np.float64), dtype="float64")
                else:
                    texts = [None if v is None or str(v) == "" else str(v) for v in values.tolist()]
                    if any(t is not None and any(ch in t for ch in "\t\r\n") for t in texts):
                        raise DataError("a column's values cannot contain tabs or line breaks.")
                    column = pd.array(texts, dtype=object)
                if name in frame.columns and _same_values(frame[name], column):
                    continue
                frame[name] = column
                changed = True
            if not changed:
                return ds
            self._write_version(d, frame, {"columns": list(columns), **(note or {})}, "the new column was not saved")
            return self.get(dataset_id)

    def _write_version(self, d: Path, frame: pd.DataFrame, entry: dict, failed: str) -> None:
        """Write ``frame`` as the next metadata version of the data set in ``d`` (its lock held)."""
        manifest = json.loads((d / "manifest.json").read_text())
        version = int(manifest.get("metadata_version", 0)) + 1
        name = f"metadata.v{version}.tsv"
        tmp = d / f".{name}.tmp"
        escaped = metadata_needs_escapes(frame)
        with writing(failed, tmp):
            tmp.write_bytes(write_metadata_tsv(frame, escaped))
            os.replace(tmp, d / name)
        numeric = [str(c) for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
        history = manifest.get("metadata_history", []) + [{"version": version, **entry, "time": time.time()}]
        manifest.update(columns=list(map(str, frame.columns)), numeric_columns=numeric, metadata_version=version,
                        metadata_file=name, metadata_history=history, metadata_escaped=escaped)
        tmp = d / ".manifest.json.tmp"
        with writing(failed, tmp, d / name):   # its metadata version goes too
            tmp.write_text(json.dumps(manifest, indent=1))
            os.replace(tmp, d / "manifest.json")

    def metadata_file(self, dataset_id: str) -> Path:
        """The stored metadata TSV of the data set's current version."""
        manifest = json.loads((self._dir(dataset_id) / "manifest.json").read_text())
        return self._dir(dataset_id) / manifest.get("metadata_file", "metadata.tsv")

    def __contains__(self, dataset_id) -> bool:
        try:
            return (self._dir(dataset_id) / "manifest.json").exists()
        except DataError:
            return False

    def list(self) -> list[dict]:
        """Manifests of every stored data set, oldest first."""
        out = []
        for d in self._sets.iterdir():
            try:
                out.append(json.loads((d / "manifest.json").read_text()))
            except (OSError, ValueError):
                continue  # not a finished data set
        return sorted(out, key=lambda m: (m.get("added", 0), m["id"]))

    def delete(self, dataset_id: str) -> None:
        d = self._dir(dataset_id)
        if not d.exists():
            raise DataError(f"data set {dataset_id} is not in the store.")
        trash = Path(tempfile.mkdtemp(prefix="del-", dir=self._tmp))
        with open(trash / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            os.rename(d, trash / dataset_id)
            self._loaded.pop(dataset_id, None)
            shutil.rmtree(trash, ignore_errors=True)


def _same_values(old: pd.Series, new) -> bool:
    """Does a stored column already hold exactly these values (numbers, or texts with None missing)?"""
    new = pd.Series(new)
    if pd.api.types.is_numeric_dtype(old) != pd.api.types.is_numeric_dtype(new):
        return False
    if pd.api.types.is_numeric_dtype(old):
        a, b = old.to_numpy(dtype=np.float64), new.to_numpy(dtype=np.float64)
        return bool(np.array_equal(a, b, equal_nan=True))
    return column_as_text(old) == column_as_text(new)


def _as_number(text: str):
    try:
        number = float(text)
    except ValueError:
        return None
    return number if np.isfinite(number) else None


def _write_vectors(path: Path, vectors: np.ndarray) -> None:
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": "<f4", "fortran_order": False, "shape": tuple(vectors.shape)})
        for s in range(0, vectors.shape[0], 65_536):
            f.write(np.ascontiguousarray(vectors[s:s + 65_536], dtype="<f4"))
        f.flush()
        os.fsync(f.fileno())


def _can_adopt(vectors: np.ndarray, path) -> bool:
    """Is ``path`` a .npy file whose array is exactly ``vectors``, stored as the store stores them?"""
    if path is None or not isinstance(vectors, np.memmap) or getattr(vectors, "filename", None) is None:
        return False
    try:
        if os.path.samefile(vectors.filename, path) is False or vectors.dtype.str != "<f4":
            return False
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                           (2, 0): np.lib.format.read_array_header_2_0}.get(version)
            if read_header is None:
                return False
            shape, fortran, dtype = read_header(f)
            offset = f.tell()
        return (tuple(shape) == tuple(vectors.shape) and not fortran and dtype.str == "<f4"
                and vectors.offset == offset and vectors.flags.c_contiguous
                and os.path.getsize(path) == offset + vectors.nbytes)
    except (OSError, ValueError):
        return False


def _read_stored_metadata(path: Path, manifest: dict, n: int) -> pd.DataFrame:
    columns = manifest.get("columns", [])
    if not columns:
        return pd.DataFrame(index=pd.RangeIndex(n))
    numeric = set(manifest.get("numeric_columns", []))
    field = read_escaped_field if manifest.get("metadata_escaped") else (lambda t: t)
    lines = path.read_text(encoding="utf-8").split("\n")[1:n + 1]
    data = {c: [] for c in columns}
    for line in lines:
        fields = line.split("\t")
        for j, c in enumerate(columns):
            v = field(fields[j]) if j < len(fields) else ""
            data[c].append(v if v != "" else None)
    frame = {}
    for c in columns:
        if c in numeric:
            frame[c] = pd.array([np.nan if v is None else float(v) for v in data[c]], dtype="float64")
        else:
            frame[c] = pd.array(data[c], dtype=object)
    return pd.DataFrame(frame, columns=columns, index=pd.RangeIndex(n))

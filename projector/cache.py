"""Projection results on disk, keyed by what made them (content, method, parameters, subset)."""
from __future__ import annotations

import hashlib
import io
import json
import struct

import diskcache

from .disk import writing
import numpy as np

ENGINE_VERSION = "2"  # bump when a method's output changes, so old results are not reused (2: custom axes from all points)
SIZE_LIMIT = 8 * 2**30


def subset_digest(subset) -> str | None:
    """A stable short id for a set of point indices (order and repeats do not matter)."""
    if subset is None:
        return None
    idx = np.unique(np.asarray(subset, dtype=np.int64))
    return hashlib.blake2b(idx.tobytes(), digest_size=10).hexdigest()


class ResultCache:
    """Projection results and point subsets kept in a diskcache folder.

    Values are stored as plain bytes (npy + JSON), never pickled; an entry that cannot be read
    back is dropped and treated as a miss, so the caller recomputes it.
    """

    def __init__(self, root, size_limit: int = SIZE_LIMIT):
        self.root = str(root)
        self._cache = diskcache.Cache(self.root, size_limit=size_limit, eviction_policy="least-recently-used")

    def key(self, dataset_id: str, method: str, dims: int, params: dict, subset: str | None, spherize: bool) -> str:
        """The key of a projection's result; ``subset`` is the subset's digest (:func:`subset_digest`) or None."""
        doc = {"dataset": dataset_id, "method": method, "dims": int(dims), "params": params,
               "subset": subset, "spherize": bool(spherize), "engine": ENGINE_VERSION}
        text = json.dumps(doc, sort_keys=True, default=str)
        return "proj:" + hashlib.blake2b(text.encode(), digest_size=16).hexdigest()

    def put(self, key: str, coords: np.ndarray, info: dict) -> None:
        with writing("the result could not be kept"):
            self._cache.set(key, _pack(coords, info))

    def get(self, key: str):
        """``(coords, info)`` for ``key``, or None when absent or unreadable."""
        blob = self._cache.get(key)
        if blob is None:
            return None
        try:
            return _unpack(blob)
        except Exception:  # a damaged entry is recomputed, never served
            self._cache.delete(key)
            return None

    def __contains__(self, key: str) -> bool:
        return key in self._cache

    def put_subset(self, indices) -> str:
        """Keep a set of point indices; returns its id."""
        idx = np.unique(np.asarray(indices, dtype=np.int64))
        sid = subset_digest(idx)
        with writing("those points could not be kept on the server"):
            self._cache.set("subset:" + sid, idx.tobytes())
        return sid

    def get_subset(self, sid: str):
        blob = self._cache.get("subset:" + str(sid))
        return None if blob is None else np.frombuffer(blob, dtype=np.int64).copy()

    def set_blob(self, key: str, value: bytes, expire: float | None = None) -> None:
        with writing("the job's record could not be written"):
            self._cache.set(key, value, expire=expire)

    def get_blob(self, key: str):
        return self._cache.get(key)

    def close(self) -> None:
        self._cache.close()


def _pack(coords: np.ndarray, info: dict) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(coords, dtype=np.float32), allow_pickle=False)
    meta = json.dumps(info, default=float).encode()
    return struct.pack("<I", len(meta)) + meta + buf.getvalue()


def _unpack(blob: bytes):
    (n,) = struct.unpack_from("<I", blob)
    info = json.loads(blob[4:4 + n])
    coords = np.load(io.BytesIO(blob[4 + n:]), allow_pickle=False)
    return coords, info

"""The server-side things callbacks share: the data-set store and the result cache.

They are found through ``PROJECTOR_DATA_DIR`` so a background job (a separate process) opens the
same store and cache as the web process that started it.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import projector
from projector.state import StateStore

DATA_DIR_ENV = "PROJECTOR_DATA_DIR"
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1] / "data"


def data_dir() -> Path:
    return Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)


def configure(path) -> Path:
    """Point every process of this app at ``path`` (store, cache and job folders live under it)."""
    path = Path(path).resolve()
    path.mkdir(parents=True, exist_ok=True)
    os.environ[DATA_DIR_ENV] = str(path)
    store.cache_clear()
    cache.cache_clear()
    states.cache_clear()
    return path


@lru_cache(maxsize=1)
def store() -> projector.DatasetStore:
    return projector.DatasetStore(data_dir() / "store")


@lru_cache(maxsize=1)
def cache() -> projector.ResultCache:
    return projector.ResultCache(data_dir() / "cache")


@lru_cache(maxsize=1)
def states() -> StateStore:
    """Bookmarked and shared view states (small JSON files every process sees)."""
    return StateStore(data_dir() / "states")


def uploads_dir() -> Path:
    d = data_dir() / "uploads"
    d.mkdir(parents=True, exist_ok=True)
    return d


def get_subset(subset_id):
    """The point indices of an isolated subset id (None → all points)."""
    if not subset_id:
        return None
    idx = cache().get_subset(subset_id)
    if idx is None:
        raise projector.DataError("the isolated subset is no longer on the server; press Show all data.")
    return idx

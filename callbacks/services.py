"""The server-side things callbacks share: the data-set store, the result cache, kept views, the job registry.

They are found through ``PROJECTOR_DATA_DIR`` so a background job (a separate process) opens the
same store and cache as the web process that started it.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

import projector
from projector.jobs import JobRegistry
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
    for handle in (store, cache, states, jobs):
        handle.cache_clear()
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


@lru_cache(maxsize=1)
def jobs() -> JobRegistry:
    """What every running projection job is doing, by the key of its result."""
    return JobRegistry(cache())


def uploads_dir() -> Path:
    d = data_dir() / "uploads"
    d.mkdir(parents=True, exist_ok=True)
    return d


def put_points(indices) -> str:
    """Keep a set of point indices server-side (isolated subsets, selections); returns its id."""
    return cache().put_subset(indices)


def get_points(points_id) -> np.ndarray | None:
    """The point indices kept under ``points_id`` (None → None: all points)."""
    if not points_id:
        return None
    idx = cache().get_subset(points_id)
    if idx is None:
        raise projector.DataError("the selected or isolated points are no longer on the server; "
                                  "press Show all data and select them again.")
    return idx


get_subset = get_points

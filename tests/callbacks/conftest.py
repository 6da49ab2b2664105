import os

import numpy as np
import pandas as pd
import pytest

import projector
from callbacks import services


@pytest.fixture
def data_dir(tmp_path):
    """Point the callbacks' store and cache at a fresh folder; put the previous one back afterwards."""
    before = os.environ.get(services.DATA_DIR_ENV)
    services.configure(tmp_path / "data")
    yield tmp_path / "data"
    if before:
        services.configure(before)
    else:
        os.environ.pop(services.DATA_DIR_ENV, None)
        for handle in (services.store, services.cache, services.states, services.jobs):
            handle.cache_clear()


@pytest.fixture
def words(data_dir):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 8)).astype(np.float32)
    labels = ["politics", "political", "policy", "bad", "good", "evil"] * 10
    meta = pd.DataFrame({"word": labels, "group": [f"g{i % 4}" for i in range(60)],
                         "score": np.arange(60, dtype=float)})
    ds = projector.load_dataset(X, meta, name="words")
    services.store().add(ds)
    return ds


PCA = {"method": "pca", "dims": 2, "params": {"components": [0, 1]}}


def view_of(ds, request=None, *, subset=None, selection=None, spherize=False, colour=None, label=None, images=False,
            camera=None, search=None, neighbours=None):
    """The view record the page composes for ``ds`` with these choices (``subset``: point indices)."""
    from callbacks.view import compose_view

    subset_part = None
    if subset is not None:
        idx = sorted(set(subset))
        subset_part = {"dataset": ds.id, "id": services.put_points(idx), "n": len(idx)}
    data = {"dataset": ds.id, "colour_by": colour, "label_by": label, "spherize": spherize, "images": images}
    inspector = {"subset": subset_part, "selection": selection,
                 "search": search or {"query": "", "regex": False, "column": None, "scope": "all"},
                 "neighbours": neighbours or {"k": 100, "metric": "cosine"}}
    return compose_view(data, request or PCA, inspector, camera)

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
        services.store.cache_clear()
        services.cache.cache_clear()
        services.states.cache_clear()


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

"""The content-addressed data-set store and the result cache survive restarts."""
import os

import numpy as np
import pandas as pd
import pytest

import projector
from projector import DataError, DatasetStore, ResultCache


def make(n=50, d=6, seed=0, labels=None):
    X = np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)
    meta = pd.DataFrame({"word": labels or [f"w{i}" for i in range(n)], "score": np.arange(n, dtype=float) / 3})
    return projector.load_dataset(X, meta, name=f"set{seed}")


def test_add_get_list_delete_and_restart(tmp_path):
    store = DatasetStore(tmp_path)
    a, b = make(seed=1), make(seed=2)
    ida, idb = store.add(a), store.add(b)
    assert ida == a.id and store.add(make(seed=1)) == ida  # same content, same id, one copy
    restarted = DatasetStore(tmp_path)
    assert [m["id"] for m in restarted.list()] == [ida, idb]
    got = restarted.get(ida)
    assert isinstance(got.vectors, np.memmap) and not got.vectors.flags.writeable
    np.testing.assert_array_equal(got.vectors, a.vectors)
    pd.testing.assert_frame_equal(got.metadata, a.metadata, check_dtype=False)
    assert got.id == ida and got.name == "set1"
    restarted.delete(ida)
    assert [m["id"] for m in DatasetStore(tmp_path).list()] == [idb]
    with pytest.raises(DataError, match="not in the store"):
        DatasetStore(tmp_path).get(ida)


def test_ids_cannot_reach_outside_the_store(tmp_path):
    store = DatasetStore(tmp_path / "s")
    for bad in ["../etc", "..", "/etc/passwd", "abc/../../x", ""]:
        with pytest.raises(DataError, match="not a data-set id"):
            store.get(bad)


def test_half_written_data_sets_are_never_listed(tmp_path):
    store = DatasetStore(tmp_path)
    store.add(make(seed=3))
    # A crash mid-write leaves only a temporary folder, and a folder without manifest is not a data set.
    os.makedirs(tmp_path / "tmp" / "add-crashed")
    (tmp_path / "tmp" / "add-crashed" / "vectors.npy").write_bytes(b"partial")
    os.makedirs(tmp_path / "datasets" / "0123456789abcdef0123")
    assert len(DatasetStore(tmp_path).list()) == 1


def test_metadata_round_trips_verbatim(tmp_path):
    ds = make(n=4, labels=['"', "nan", "null", "<b>x</b>"])
    got = DatasetStore(tmp_path).get(DatasetStore(tmp_path).add(ds))
    assert list(got.metadata["word"]) == ['"', "nan", "null", "<b>x</b>"]
    assert got.metadata["score"].dtype.kind == "f"


def test_subsets_are_kept_by_content(tmp_path):
    cache = ResultCache(tmp_path)
    sid = cache.put_subset([5, 3, 3, 9])
    assert sid == cache.put_subset([9, 5, 3])
    assert ResultCache(tmp_path).get_subset(sid).tolist() == [3, 5, 9]
    assert cache.get_subset("nope") is None


def test_an_upload_already_stored_as_float32_is_moved_not_copied(tmp_path):
    X = np.random.default_rng(0).normal(size=(300, 6)).astype(np.float32)
    np.save(tmp_path / "f32.npy", X)
    np.save(tmp_path / "f64.npy", X.astype(np.float64))
    np.save(tmp_path / "fortran.npy", np.asfortranarray(X))
    store = DatasetStore(tmp_path / "store")
    kept = {}
    for name in ("f32", "f64", "fortran"):
        ds = projector.load_dataset(tmp_path / f"{name}.npy", name=name)
        dataset_id = store.add(ds, adopt=tmp_path / f"{name}.npy")
        np.testing.assert_array_equal(store.get(dataset_id).vectors, X)
        kept[name] = (tmp_path / f"{name}.npy").exists()
        store.delete(dataset_id)
    assert kept == {"f32": False, "f64": True, "fortran": True}

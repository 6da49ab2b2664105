"""The content-addressed data-set store and the result cache survive restarts."""
import os

import numpy as np
import pandas as pd
import pytest

import projector
from projector import DataError, DatasetStore, ResultCache
from projector.formats import column_as_text


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


def test_an_upload_already_stored_as_float32_is_linked_not_copied(tmp_path):
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
        stored = tmp_path / "store" / "datasets" / dataset_id / "vectors.npy"
        # the same file under a second name (no second copy), and the upload's own name still holds it
        kept[name] = os.stat(stored).st_ino == os.stat(tmp_path / f"{name}.npy").st_ino
        store.delete(dataset_id)
    assert kept == {"f32": True, "f64": False, "fortran": False}
    assert all((tmp_path / f"{name}.npy").exists() for name in kept)


def test_tagging_keeps_each_edit_as_a_new_metadata_version(tmp_path):
    store = DatasetStore(tmp_path)
    ds = make(n=20)
    store.add(ds)
    original = (tmp_path / "datasets" / ds.id / "metadata.tsv").read_bytes()
    other_process = DatasetStore(tmp_path)
    assert other_process.get(ds.id).metadata_version == 0

    tagged = store.tag(ds.id, "topic", "politics", [3, 1, 3])
    assert tagged.id == ds.id and tagged.metadata_version == 1
    assert column_as_text(tagged.metadata["topic"])[:4] == ["", "politics", "", "politics"]
    tagged = store.tag(ds.id, "score", "99", [0])          # a numeric column stays numeric
    assert tagged.metadata["score"].dtype == np.float64 and tagged.metadata["score"][0] == 99
    tagged = store.tag(ds.id, "score", "high", [1])        # text turns it into text, values kept as typed
    assert tagged.metadata["score"][0] == "99" and tagged.metadata["score"][1] == "high"
    assert tagged.metadata_version == 3

    # the upload's metadata file is never rewritten; every version stays on disk
    folder = tmp_path / "datasets" / ds.id
    assert (folder / "metadata.tsv").read_bytes() == original
    assert sorted(p.name for p in folder.glob("metadata.v*.tsv")) == [f"metadata.v{i}.tsv" for i in (1, 2, 3)]
    assert store.metadata_file(ds.id).name == "metadata.v3.tsv"
    # a process that loaded the set before sees the edit (the vectors stay mapped, not re-read)
    seen = other_process.get(ds.id)
    assert seen.metadata_version == 3 and seen.metadata["topic"][1] == "politics"
    assert DatasetStore(tmp_path).get(ds.id).metadata["score"][1] == "high"   # and after a restart


def test_tags_that_cannot_be_kept_say_why(tmp_path):
    store = DatasetStore(tmp_path)
    ds = make(n=5)
    store.add(ds)
    for column, value, points, message in [("", "x", [0], "name the column"),
                                           ("topic", "a\tb", [0], "tabs or line breaks"),
                                           ("topic", "x", [], "select points"),
                                           ("topic", "x", [7], "not all in this data set"),
                                           ("t" * 101, "x", [0], "at most 100")]:
        with pytest.raises(DataError, match=message):
            store.tag(ds.id, column, value, points)
    assert store.get(ds.id).metadata_version == 0


def test_custom_projections_are_cached_per_metadata_version(tmp_path):
    store, cache = DatasetStore(tmp_path / "s"), ResultCache(tmp_path / "c")
    ds = make(n=30, d=5)
    store.add(ds)
    params = {"left": "^bad$", "right": "^good$", "regex": True, "column": "word"}
    tagged = store.tag(ds.id, "word", "bad", [0, 1])
    tagged = store.tag(ds.id, "word", "good", [2, 3])
    first = projector.project(tagged, "custom", params=params, cache=cache)
    tagged = store.tag(ds.id, "word", "good", [4, 5, 6])
    assert projector.project(tagged, "custom", params=params, cache=cache, only_cached=True) is None
    second = projector.project(tagged, "custom", params=params, cache=cache)
    assert second.info["matches"]["right"] == 5 and first.info["matches"]["right"] == 2


def test_new_columns_are_a_new_metadata_version_and_the_same_values_make_none(tmp_path):
    store = DatasetStore(tmp_path)
    ds = make(n=40)
    ds_id = store.add(ds)
    scores = np.linspace(0, 1, 40)
    names = np.array([None if i % 7 == 0 else f"c{i % 3}: a · b" for i in range(40)], dtype=object)
    got = store.add_columns(ds_id, {"outlier score (LOF, k=20)": scores, "clusters (HDBSCAN 5)": names},
                            note={"analysis": "test"})
    assert got.metadata_version == 1
    again = DatasetStore(tmp_path).get(ds_id)   # as another process reads it
    np.testing.assert_array_equal(again.metadata["outlier score (LOF, k=20)"].to_numpy(dtype=float), scores)
    assert column_as_text(again.metadata["clusters (HDBSCAN 5)"]) == [v or "" for v in names]
    assert column_as_text(again.metadata["word"]) == [f"w{i}" for i in range(40)]   # the other columns are kept
    assert store.add_columns(ds_id, {"outlier score (LOF, k=20)": scores}).metadata_version == 1   # nothing new
    assert store.add_columns(ds_id, {"outlier score (LOF, k=20)": scores[::-1]}).metadata_version == 2
    with pytest.raises(DataError, match="one value per point"):
        store.add_columns(ds_id, {"x": np.zeros(39)})
    with pytest.raises(DataError, match="tabs or line breaks"):
        store.add_columns(ds_id, {"x": np.array(["a\tb"] * 40, dtype=object)})
    assert DatasetStore(tmp_path).get(ds_id).metadata_version == 2   # a refused column leaves no version

"""The log-folder watcher: what training writes while the app runs — a new checkpoint (TensorFlow wrote
these files), a new global step of tensorboardX's add_embedding — is stored at the next scan; an unchanged
folder stores nothing; a checkpoint still being written is stored once it is whole."""
import shutil
from pathlib import Path

import numpy as np
import pytest

import projector
from projector.watch import LogdirWatcher

TF1 = Path(__file__).resolve().parents[1] / "fixtures" / "tf" / "tf1_word2vec"


def steps(store, tensor="embedding"):
    return sorted(m["source"]["step"] for m in store.list()
                  if m.get("source", {}).get("tensor") == tensor and m["source"]["run"] in (".", ""))


def test_a_checkpoint_saved_while_watching_is_stored_at_the_next_scan(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    for name in ("metadata.tsv", "projector_config.pbtxt", "model.ckpt-400.index", "model.ckpt-400.data-00000-of-00001"):
        shutil.copy(TF1 / name, logs / name)
    (logs / "checkpoint").write_text('model_checkpoint_path: "model.ckpt-400"\n'
                                     'all_model_checkpoint_paths: "model.ckpt-400"\n')
    store = projector.DatasetStore(tmp_path / "store")
    said = []
    watcher = LogdirWatcher(logs, store, interval=0, on_warning=said.append)
    assert watcher.scan() and steps(store) == [400]
    assert watcher.scan() == []                                   # nothing new: nothing stored
    # training saves step 600: the data shard first, then its index, then the checkpoint file
    shutil.copy(TF1 / "model.ckpt-600.data-00000-of-00001", logs / "model.ckpt-600.data-00000-of-00001")
    (logs / "model.ckpt-600.index").write_bytes((TF1 / "model.ckpt-600.index").read_bytes()[:50])   # half-written
    (logs / "checkpoint").write_text((TF1 / "checkpoint").read_text())
    assert watcher.scan() == [] and steps(store) == [400]         # not whole yet: a warning, not a data set
    assert any("model.ckpt-600" in w for w in said), said             # the warning names the file
    shutil.copy(TF1 / "model.ckpt-600.index", logs / "model.ckpt-600.index")
    added = watcher.scan()
    assert steps(store) == [400, 600] and len(added) >= 1
    words = (TF1 / "metadata.tsv").read_text().splitlines()
    ds = store.get(next(m["id"] for m in store.list() if m["source"].get("step") == 600
                        and m["source"]["tensor"] == "embedding"))
    assert list(ds.metadata.iloc[:, 0].astype(str)) == words
    assert watcher.scan() == []


def test_a_new_global_step_of_add_embedding_is_stored(tmp_path):
    tensorboardX = pytest.importorskip("tensorboardX")
    logs = tmp_path / "runs"
    writer = tensorboardX.SummaryWriter(str(logs / "exp"))
    rng = np.random.default_rng(0)
    labels = [f"w{i}" for i in range(40)]
    writer.add_embedding(rng.normal(size=(40, 8)).astype(np.float32), metadata=labels, global_step=1, tag="emb")
    writer.flush()
    store = projector.DatasetStore(tmp_path / "store")
    watcher = LogdirWatcher(logs, store, interval=0, on_warning=lambda _: None)
    assert len(watcher.scan()) == 1
    writer.add_embedding(rng.normal(size=(40, 8)).astype(np.float32), metadata=labels, global_step=2, tag="emb")
    writer.close()
    assert len(watcher.scan()) == 1 and watcher.scan() == []
    got = sorted((m["source"]["run"], m["source"]["tensor"], m["source"]["step"]) for m in store.list())
    assert got == [("exp", "emb", 1), ("exp", "emb", 2)]


def test_the_watching_thread_stores_without_being_asked(tmp_path):
    logs = tmp_path / "logs"
    shutil.copytree(TF1, logs, ignore=shutil.ignore_patterns("sharded"))
    store = projector.DatasetStore(tmp_path / "store")
    watcher = LogdirWatcher(logs, store, interval=0.2, on_warning=lambda _: None).start()
    try:
        import time
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and steps(store) != [400, 600]:
            time.sleep(0.1)
        assert steps(store) == [400, 600]
    finally:
        watcher.stop()

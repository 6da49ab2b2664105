"""TensorBoard log folders as tensorboardX (and PyTorch's SummaryWriter) and TensorFlow write them, read as
`--logdir` does; the TensorFlow ones are tests/fixtures/tf (scripts/make_tf_checkpoints.py)."""
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from tensorboardX import SummaryWriter

import projector
from projector import DataError, logdir
from projector.checkpoint import CheckpointReader
from projector.formats import column_as_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tf"
TF1, TF2 = FIXTURES / "tf1_word2vec", FIXTURES / "tf2_embedding"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())["checkpoints"]
VALUES = np.load(FIXTURES / "expected.npz")
WORDS = (TF1 / "metadata.tsv").read_text().splitlines()


def tf_value(prefix: str, name: str) -> np.ndarray:
    """What TensorFlow's reader gave for ``name`` in ``prefix`` (bfloat16 stored as its bits)."""
    meta = EXPECTED[prefix]
    value = VALUES[meta["tensors"][name]]
    return (value.astype(np.uint32) << 16).view(np.float32) if meta["dtypes"][name] == "bfloat16" else value


def words(ds) -> list[str]:
    return column_as_text(ds.metadata["label"]) if "label" in ds.metadata.columns else []


def test_every_run_tag_and_step_of_a_tensorboardx_log_folder(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 6)).astype(np.float32)
    images = rng.random((24, 3, 8, 8)).astype(np.float32)
    for run in ("baseline", "tuned"):
        w = SummaryWriter(str(tmp_path / run))
        w.add_embedding(X, metadata=[f"w{i}" for i in range(24)], label_img=images, global_step=0, tag="words")
        w.add_embedding(X * 3, metadata=[f"w{i}" for i in range(24)], global_step=100, tag="words")
        w.close()
    found, warnings = projector.load_logdir(tmp_path)
    assert warnings == []
    by_name = {d.name: d for d in found}
    assert sorted(by_name) == ["baseline · words:00000", "baseline · words:00100", "tuned · words:00000",
                               "tuned · words:00100"]
    step0, step100 = by_name["tuned · words:00000"], by_name["tuned · words:00100"]
    np.testing.assert_allclose(step0.vectors, X, rtol=1e-6)
    np.testing.assert_allclose(step100.vectors, X * 3, rtol=1e-6)
    assert column_as_text(step0.metadata.iloc[:, 0])[:2] == ["w0", "w1"]
    assert step0.sprite is not None and step0.sprite.tile == (8, 8) and step100.sprite is None


def test_checkpoint_entries_and_bad_runs_are_warnings_and_the_rest_loads(tmp_path):
    w = SummaryWriter(str(tmp_path / "ok"))
    w.add_embedding(np.eye(5, dtype=np.float32), global_step=0, tag="t")
    w.close()
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "projector_config.pbtxt").write_text('embeddings {\n  tensor_name: "embedding/.ATTRIBUTES/VARIABLE_VALUE"\n}\n')
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "projector_config.pbtxt").write_text('embeddings {\n  tensor_path: "missing.tsv"\n}\n')
    found, warnings = projector.load_logdir(tmp_path)
    assert [d.name for d in found] == ["ok · t:00000"]
    assert found[0].source == {"logdir": str(tmp_path), "run": "ok", "tensor": "t", "step": 0}
    assert any(w.startswith("ckpt: projector_config.pbtxt names embedding/.ATTRIBUTES/VARIABLE_VALUE, tensors inside "
                            "a checkpoint, but no checkpoint is in ckpt") for w in warnings)
    assert any(w.startswith("broken · ") and "was not found" in w for w in warnings)
    with pytest.raises(DataError, match="holds no projector_config.pbtxt and no TensorFlow checkpoint"):
        projector.load_logdir(tmp_path / "ok" / "00000")
    with pytest.raises(DataError, match="is not a folder"):
        projector.load_logdir(tmp_path / "nothing")


def by_name(found) -> dict:
    return {d.name: d for d in found}


def test_a_tf1_word2vec_log_folder_gives_every_kept_step_of_every_2d_variable():
    found, warnings = projector.load_logdir(TF1)
    sets = by_name(found)
    assert sorted(sets) == ["embedding · step 400", "embedding · step 600", "nce_weights · step 400",
                            "nce_weights · step 600", "sharded · embedding · step 600", "sharded · nce_weights · step 600"]
    assert warnings == ["sharded · step 600 · partitioned: 'partitioned' in model.ckpt-600 is saved in 3 slices (a "
                        "partitioned variable), which is not read; save it unpartitioned or export it to .npy."]
    for step in (400, 600):
        ds = sets[f"embedding · step {step}"]
        np.testing.assert_array_equal(ds.vectors, tf_value(f"tf1_word2vec/model.ckpt-{step}", "embedding"))
        assert words(ds) == WORDS and len(WORDS) == 250 and WORDS[:3] == ["UNK", "the", "and"]
        assert ds.source == {"logdir": str(TF1), "run": ".", "tensor": "embedding", "step": step}
        assert words(sets[f"nce_weights · step {step}"]) == []          # the config names only the embedding
    assert not np.array_equal(sets["embedding · step 400"].vectors, sets["embedding · step 600"].vectors)
    sharded = sets["sharded · embedding · step 600"]       # three data shards; its config says "embedding:0"
    np.testing.assert_array_equal(sharded.vectors, tf_value("tf1_word2vec/sharded/model.ckpt-600", "embedding"))
    assert words(sharded) == WORDS and sharded.source["run"] == "sharded" and sharded.source["tensor"] == "embedding"


def test_a_tf2_log_folder_skips_optimizer_state_and_reads_every_dtype_as_float32():
    found, warnings = projector.load_logdir(TF2)
    sets = by_name(found)
    for step in (1, 2, 3):              # tf.train.Checkpoint.save listed only the last; all three are steps
        ds = sets[f"embedding · step {step}"]
        np.testing.assert_array_equal(ds.vectors, tf_value(f"tf2_embedding/embedding.ckpt-{step}",
                                                           "embedding/.ATTRIBUTES/VARIABLE_VALUE"))
        assert words(ds) == WORDS
        assert ds.source == {"logdir": str(TF2), "run": ".", "tensor": "embedding/.ATTRIBUTES/VARIABLE_VALUE",
                             "step": step}
    # Adam's moments are not embeddings: v1's .OPTIMIZER_SLOT and Keras 3's optimizer/_variables/N
    assert [n for n in sets if n.startswith(("slots", "keras"))] == [
        "keras · model/words/_embeddings · step 1", "keras · model/head/_kernel · step 1", "slots · embedding · step 1"]
    shapes = CheckpointReader(TF2 / "keras" / "ckpt-1").shapes()
    assert sum(1 for k, (s, _) in shapes.items() if "/_variables/" in k and len(s) == 2) == 4
    assert sets["keras · model/head/_kernel · step 1"].vectors.shape == (16, 250)     # float64 in the checkpoint
    assert words(sets["keras · model/words/_embeddings · step 1"]) == WORDS
    for kind in ("half", "bfloat", "double", "single", "int32", "int64", "uint8", "flags"):
        ds = sets[f"dtypes · {kind} · step 1"]
        assert ds.vectors.dtype == np.float32
        np.testing.assert_array_equal(ds.vectors, tf_value("tf2_embedding/dtypes/ckpt-1",
                                                           f"{kind}/.ATTRIBUTES/VARIABLE_VALUE").astype(np.float32))
    assert not any("cube" in n or "scalar" in n or "words" in n.split(" · ")[1:2] for n in sets)   # not 2-D
    assert sorted(warnings) == [
        "dtypes · step 1 · complex: 'complex' holds complex numbers; save real float32 embeddings.",
        "dtypes · step 1 · empty: 'empty' holds 0 points; a projection needs at least 2."]


def copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_the_config_picks_the_checkpoint_and_names_tensors_with_or_without_0(tmp_path):
    run = copy(TF1, tmp_path / "logs" / "train")
    (run / "projector_config.pbtxt").write_text(
        'model_checkpoint_path: "model.ckpt-400"\n'
        'embeddings { tensor_name: "nce_weights:0"  metadata_path: "metadata.tsv" }\n')
    found, _ = projector.load_logdir(tmp_path / "logs")
    sets = by_name(found)
    assert {n for n in sets if not n.startswith("train/sharded")} == {"train · embedding · step 400",
                                                                      "train · nce_weights · step 400"}
    assert words(sets["train · nce_weights · step 400"]) == WORDS and words(sets["train · embedding · step 400"]) == []
    assert sets["train · nce_weights · step 400"].source == {"logdir": str(tmp_path / "logs"), "run": "train",
                                                             "tensor": "nce_weights", "step": 400}
    # the first entry without a tensor name gives its metadata to every tensor no entry names
    (run / "projector_config.pbtxt").write_text('embeddings { metadata_path: "metadata.tsv" }\n')
    found, _ = projector.load_logdir(run)
    assert all(words(d) == WORDS for d in found if d.source["run"] == ".") and len(found) == 6
    # a name the checkpoint does not hold, and a checkpoint that is not there
    (run / "projector_config.pbtxt").write_text('embeddings { tensor_name: "embeddings:0" }\n')
    _, warnings = projector.load_logdir(run)
    assert ("train: projector_config.pbtxt names 'embeddings', which is not in the run's checkpoint; check the "
            "tensor_name (tf.train.list_variables lists them).") in warnings
    (run / "projector_config.pbtxt").write_text('model_checkpoint_path: "model.ckpt-200"\n')
    found, warnings = projector.load_logdir(run)
    assert any(w.startswith("train · step 200: model.ckpt-200.index is not there") for w in warnings)
    assert {d.source["run"] for d in found} == {"sharded"}
    (run / "projector_config.pbtxt").write_text('model_checkpoint_path: "../../elsewhere/model.ckpt-400"\n')
    _, warnings = projector.load_logdir(run)
    assert any("lies outside the log folder" in w for w in warnings)
    # nor does the checkpoint file reach outside: the sharded run's file names the other run's checkpoint
    (run / "projector_config.pbtxt").unlink()
    (run / "sharded" / "checkpoint").write_text(f'model_checkpoint_path: "{run}/model.ckpt-400"\n')
    with pytest.raises(DataError, match=r"could be read: sharded: the checkpoint file names checkpoints outside the "
                                        r"log folder \(.*/train/model.ckpt-400\); they are not read — keep checkpoints "
                                        r"inside the folder given to --logdir\.$"):
        projector.load_logdir(run / "sharded")


def test_a_config_in_plugins_projector_belongs_to_its_run_and_a_run_may_use_its_parents_checkpoint(tmp_path):
    run = copy(TF2, tmp_path / "logs")
    shutil.rmtree(run / "keras"), shutil.rmtree(run / "slots"), shutil.rmtree(run / "dtypes")
    assets = run / "plugins" / "projector"
    assets.mkdir(parents=True)
    (run / "projector_config.pbtxt").rename(assets / "projector_config.pbtxt")
    (run / "metadata.tsv").rename(assets / "metadata.tsv")
    found, warnings = projector.load_logdir(run)
    assert warnings == [] and [d.name for d in found] == [f"embedding · step {s}" for s in (1, 2, 3)]
    assert all(words(d) == WORDS and d.source["run"] == "." for d in found)
    # TensorBoard looks one folder up when a run's config names checkpoint tensors and it has no checkpoint
    (run / "events").mkdir()
    (run / "events" / "metadata.tsv").write_text("\n".join(WORDS) + "\n")
    (run / "events" / "projector_config.pbtxt").write_text(
        'embeddings { tensor_name: "embedding/.ATTRIBUTES/VARIABLE_VALUE"  metadata_path: "metadata.tsv" }\n')
    found, _ = projector.load_logdir(run)
    assert [d.name for d in found if d.source["run"] == "events"] == [f"events · embedding · step {s}" for s in (1, 2, 3)]


def test_skip_reads_nothing_again_and_the_cap_counts_what_was_skipped(tmp_path, monkeypatch):
    w = SummaryWriter(str(tmp_path / "tbx"))
    w.add_embedding(np.eye(4, dtype=np.float32), metadata=list("abcd"), global_step=100, tag="words")
    w.close()
    copy(TF1, tmp_path / "tf1")
    found, warnings = projector.load_logdir(tmp_path)
    keys = {(d.source["run"], d.source["tensor"], d.source["step"]) for d in found}
    assert ("tbx", "words", 100) in keys and ("tf1", "embedding", 400) in keys and len(keys) == len(found) == 7
    assert by_name(found)["tbx · words:00100"].source["tensor"] == "words"

    read = CheckpointReader.tensor

    def only_unloaded(reader, name, **kw):      # the partitioned variable is tried again (and refused again)
        assert all(k[1] != name for k in keys), f"{name} was skipped but read again"
        return read(reader, name, **kw)

    def never(*_, **__):
        raise AssertionError("a skipped tensor file was read again")

    with monkeypatch.context() as m:
        m.setattr(CheckpointReader, "tensor", only_unloaded)
        m.setattr(logdir, "_load_spec", never)
        again, warnings_again = projector.load_logdir(tmp_path, skip=keys)
    assert again == [] and warnings_again == warnings
    # a new step appears: only it loads
    shutil.copy(tmp_path / "tf1" / "model.ckpt-600.index", tmp_path / "tf1" / "model.ckpt-800.index")
    shutil.copy(tmp_path / "tf1" / "model.ckpt-600.data-00000-of-00001", tmp_path / "tf1" / "model.ckpt-800.data-00000-of-00001")
    new, _ = projector.load_logdir(tmp_path, skip=[list(k) for k in keys])      # keys as JSON gives them back
    assert sorted(d.name for d in new) == ["tf1 · embedding · step 800", "tf1 · nce_weights · step 800"]

    monkeypatch.setattr(logdir, "LOGDIR_MAX_CHECKPOINT_TENSORS", 3)
    capped, warnings = projector.load_logdir(tmp_path / "tf1")
    assert sorted(d.name for d in capped if d.source["run"] == ".") == [
        "embedding · step 600", "embedding · step 800", "nce_weights · step 800"]          # newest steps first
    assert ("tf1 holds more than 3 checkpoint tensors (counting every step); the first 3, newest steps first, "
            "are loaded.") in warnings
    keys = {(d.source["run"], d.source["tensor"], d.source["step"]) for d in capped}
    assert projector.load_logdir(tmp_path / "tf1", skip=keys)[0] == []     # the cap does not let others in


DAMAGES = {
    "index cut in half": lambda run: _cut(run / "model.ckpt-600.index", 0.5),
    "index footer's magic flipped": lambda run: _flip(run / "model.ckpt-600.index", -1),
    "index footer's index handle flipped": lambda run: _flip(run / "model.ckpt-600.index", -45),
    "data shard deleted": lambda run: (run / "model.ckpt-600.data-00000-of-00001").unlink(),
    "data shard cut": lambda run: _cut(run / "model.ckpt-600.data-00000-of-00001", 0.7),
    "data shard flipped": lambda run: _flip(run / "model.ckpt-600.data-00000-of-00001", 100),
    "checkpoint names a missing prefix": lambda run: (run / "checkpoint").write_text(
        'model_checkpoint_path: "model.ckpt-900"\nall_model_checkpoint_paths: "model.ckpt-900"\n'),
    "checkpoint file garbage": lambda run: (run / "checkpoint").write_bytes(b"\x00\xff{{"),
}


def _cut(path: Path, share: float):
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * share)])


def _flip(path: Path, pos: int):
    data = bytearray(path.read_bytes())
    data[pos] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_run_is_a_warning_and_the_intact_runs_load(tmp_path, damage):
    copy(TF2, tmp_path / "logs" / "tf2")
    broken = copy(TF1, tmp_path / "logs" / "tf1")
    DAMAGES[damage](broken)
    found, warnings = projector.load_logdir(tmp_path / "logs")
    runs = {d.source["run"] for d in found}
    assert {"tf2", "tf2/keras", "tf2/slots", "tf2/dtypes", "tf1/sharded"} <= runs
    assert len([d for d in found if d.source["run"] == "tf2"]) == 3
    problems = [w for w in warnings if w.startswith("tf1 ") or w.startswith("tf1:")]
    assert problems, warnings
    assert all(w.endswith(".") and "Traceback" not in w for w in problems)
    if damage == "checkpoint file garbage":      # said once, and the checkpoints beside it still load
        assert len(problems) == 1 and {d.source["step"] for d in found if d.source["run"] == "tf1"} == {400, 600}
    elif damage.startswith("checkpoint"):
        assert not any(d.source["step"] == 900 for d in found)
    else:   # step 400 is intact
        assert {d.name for d in found if d.source["run"] == "tf1"} >= {"tf1 · embedding · step 400",
                                                                       "tf1 · nce_weights · step 400"}


def test_log_folder_data_sets_keep_their_source_in_the_store(tmp_path):
    found, _ = projector.load_logdir(TF2)
    ds = by_name(found)["embedding · step 2"]
    store = projector.DatasetStore(tmp_path / "store")
    store.add(ds)
    listed = {m["id"]: m for m in projector.DatasetStore(tmp_path / "store").list()}
    assert listed[ds.id]["source"] == ds.source == {"logdir": str(TF2), "run": ".",
                                                    "tensor": "embedding/.ATTRIBUTES/VARIABLE_VALUE", "step": 2}
    stored = projector.DatasetStore(tmp_path / "store").get(ds.id)
    assert stored.source == ds.source and stored.with_metadata(stored.metadata, 1).source == ds.source
    plain = projector.load_dataset(np.eye(3, dtype=np.float32))
    store.add(plain)
    assert "source" not in {m["id"]: m for m in store.list()}[plain.id]


def test_a_checkpoint_tensor_gets_the_sprite_its_entry_names(tmp_path):
    import io

    from PIL import Image

    run = copy(TF1, tmp_path / "logs")
    Image.new("RGB", (64, 64), (0, 90, 200)).save(run / "sprite.png")        # 16 × 16 tiles of 4 × 4 px
    (run / "projector_config.pbtxt").write_text(
        'embeddings { tensor_name: "embedding"  metadata_path: "metadata.tsv"\n'
        '  sprite { image_path: "sprite.png"  single_image_dim: 4  single_image_dim: 4 } }\n')
    sets = by_name(projector.load_logdir(run)[0])
    assert sets["embedding · step 600"].sprite.tile == (4, 4) and sets["nce_weights · step 600"].sprite is None
    assert Image.open(io.BytesIO(sets["embedding · step 600"].sprite.thumbnail(249))).size == (4, 4)

"""TensorFlow checkpoints read without TensorFlow, checked against what TensorFlow itself read from the
fixtures it wrote (tests/fixtures/tf, made by scripts/make_tf_checkpoints.py)."""
import json
import os
import shutil
from itertools import count
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projector import DataError
from projector.checkpoint import (CheckpointReader, _block_entries, _crc_bytes, _handle, _read_table, all_checkpoints,
                                  crc32c, latest_checkpoint, step_of, unmask_crc)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tf"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())["checkpoints"]
VALUES = np.load(FIXTURES / "expected.npz")
TF1 = FIXTURES / "tf1_word2vec"
TF2 = FIXTURES / "tf2_embedding"


def tf_value(meta: dict, name: str) -> np.ndarray:
    """What tf.train.load_checkpoint(prefix).get_tensor(name) gave (bfloat16 stored as its bits)."""
    value = VALUES[meta["tensors"][name]]
    return (value.astype(np.uint32) << 16).view(np.float32) if meta["dtypes"][name] == "bfloat16" else value


def read_all(prefix) -> dict:
    """Every tensor of a checkpoint the reader gives, or the DataError it raised (never another exception)."""
    reader = CheckpointReader(prefix)
    out = {}
    for name in reader.shapes():
        try:
            out[name] = reader.tensor(name, convert=False)
        except DataError as exc:
            out[name] = exc
    return out


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_every_tensor_equals_what_tensorflow_read(prefix):
    meta = EXPECTED[prefix]
    reader = CheckpointReader(FIXTURES / prefix)
    assert reader.shapes() == {k: (tuple(s), meta["dtypes"][k]) for k, s in meta["shapes"].items()}
    for name in meta["tensors"]:
        want, kind = tf_value(meta, name), meta["dtypes"][name]
        if name.startswith("partitioned"):
            continue            # saved in slices: explained in the next test
        got = reader.tensor(name, convert=False)
        assert got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want), name
        converted = reader.tensor(name)
        if kind in ("float16", "float64", "bfloat16"):
            assert converted.dtype == np.float32
            np.testing.assert_array_equal(converted, want.astype(np.float32))
        if kind == "float32" and want.ndim == 2 and want.size:
            assert isinstance(converted, np.memmap) and not converted.flags.writeable


def test_text_tensors_partitioned_variables_and_unknown_names_are_sentences():
    reader = CheckpointReader(TF2 / "dtypes" / "ckpt-1")
    with pytest.raises(DataError, match=r"'words/\.ATTRIBUTES/VARIABLE_VALUE' in ckpt-1 holds text"):
        reader.tensor("words/.ATTRIBUTES/VARIABLE_VALUE")
    with pytest.raises(DataError, match="holds text"):
        reader.tensor("_CHECKPOINTABLE_OBJECT_GRAPH")
    with pytest.raises(DataError, match="has no tensor 'nope'; its 2-D tensors are bfloat/"):
        reader.tensor("nope")
    sharded = CheckpointReader(TF1 / "sharded" / "model.ckpt-600")
    assert sharded.num_shards == 3 and sharded.shapes()["partitioned"] == ((12, 4), "float32")
    with pytest.raises(DataError, match="saved in 3 slices \\(a partitioned variable\\), which is not read"):
        sharded.tensor("partitioned")


def test_the_latest_and_every_kept_checkpoint_as_tensorflow_names_them(tmp_path):
    assert latest_checkpoint(TF1) == TF1 / "model.ckpt-600"
    assert all_checkpoints(TF1) == [TF1 / "model.ckpt-400", TF1 / "model.ckpt-600"]   # the Saver kept two
    # tf.train.Checkpoint.save lists only its newest save; the two before it are beside it
    assert (TF2 / "checkpoint").read_text().count("embedding.ckpt-3") == 2
    assert latest_checkpoint(TF2) == TF2 / "embedding.ckpt-3"
    assert [step_of(p) for p in all_checkpoints(TF2)] == [1, 2, 3]
    assert latest_checkpoint(FIXTURES) is None and all_checkpoints(FIXTURES) == []

    moved = tmp_path / "moved"
    shutil.copytree(TF1, moved)
    # a TF1 Saver records absolute paths by default: the folder was written elsewhere, then moved here
    (moved / "checkpoint").write_text('model_checkpoint_path: "/elsewhere/logs/model.ckpt-600"\n'
                                      'all_model_checkpoint_paths: "/elsewhere/logs/model.ckpt-400"\n'
                                      'all_model_checkpoint_paths: "/elsewhere/logs/model.ckpt-600"\n')
    assert all_checkpoints(moved) == [moved / "model.ckpt-400", moved / "model.ckpt-600"]
    (moved / "checkpoint").write_text(f'model_checkpoint_path: "{moved}/model.ckpt-400"\n')
    assert latest_checkpoint(moved) == moved / "model.ckpt-400"      # the file, not the newest step, decides
    (moved / "checkpoint").unlink()                                   # no checkpoint file: the newest index
    assert latest_checkpoint(moved) == moved / "model.ckpt-600"
    assert all_checkpoints(moved) == [moved / "model.ckpt-400", moved / "model.ckpt-600"]

    (moved / "checkpoint").write_text('model_checkpoint_path: "model.ckpt-900"\n')
    with pytest.raises(DataError, match="names model.ckpt-900, but model.ckpt-900.index is not there"):
        latest_checkpoint(moved)
    with pytest.raises(DataError, match="model.ckpt-900.index is not there"):
        CheckpointReader(all_checkpoints(moved)[-1])
    for garbage in (b"\xff\xfe not text", b'model_checkpoint_path: "unclosed\n', b"all_model_checkpoint_paths: \"a\"\n"):
        (moved / "checkpoint").write_bytes(garbage)
        with pytest.raises(DataError, match="the checkpoint file in moved"):
            latest_checkpoint(moved)


def test_crc32c_matches_the_check_value_and_the_byte_at_a_time_loop():
    assert crc32c(b"123456789") == 0xE3069283          # the CRC-32C check value
    assert crc32c(b"") == 0
    rng = np.random.default_rng(0)
    for n in (4095, 4096, 4097, 65_537, 1_000_003):
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        assert crc32c(data) == _crc_bytes(0xFFFFFFFF, data) ^ 0xFFFFFFFF


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=0, max_size=20_000))
def test_crc32c_of_any_bytes(data):
    assert crc32c(data) == _crc_bytes(0xFFFFFFFF, data) ^ 0xFFFFFFFF


# ---------------------------------------------------------------- damaged copies

_copies = count()


def damaged_copy(tmp_path, prefix: Path, index: bytes | None = None, shards: dict | None = None) -> Path:
    """A copy of checkpoint ``prefix`` under a new name (never reused, so no cached index answers for it)
    with its .index replaced by ``index`` and data shard i by ``shards[i]`` (None: deleted)."""
    folder = tmp_path / f"copy{next(_copies)}"
    folder.mkdir()
    target = folder / prefix.name
    (folder / (prefix.name + ".index")).write_bytes(index if index is not None else Path(f"{prefix}.index").read_bytes())
    for shard in sorted(prefix.parent.glob(prefix.name + ".data-*")):
        i = int(shard.name.split(".data-")[1][:5])
        if shards and i in shards:
            if shards[i] is not None:
                (folder / shard.name).write_bytes(shards[i])
        else:
            os.link(shard, folder / shard.name)
    return target


def assert_right_or_data_error(prefix: Path, meta: dict):
    """The damaged copy is refused with a DataError, or each tensor is either exactly TensorFlow's or a
    DataError: never another exception, never a wrong value."""
    try:
        tensors = read_all(prefix)
    except DataError as exc:
        assert str(exc).endswith(".") and "\n" not in str(exc)
        return "refused"
    for name, got in tensors.items():
        if isinstance(got, DataError) or name not in meta["tensors"]:
            continue
        want = tf_value(meta, name)
        assert got.shape == want.shape and np.array_equal(got, want), name
    return "read"


DAMAGED = ["tf1_word2vec/model.ckpt-600", "tf1_word2vec/sharded/model.ckpt-600", "tf2_embedding/dtypes/ckpt-1"]


@pytest.mark.parametrize("prefix", DAMAGED)
def test_an_index_cut_anywhere_or_with_any_byte_flipped_is_refused_or_read_right(tmp_path, prefix):
    meta, source = EXPECTED[prefix], FIXTURES / prefix
    index = Path(f"{source}.index").read_bytes()
    for i in range(20):
        cut = damaged_copy(tmp_path, source, index=index[:len(index) * i // 20])
        with pytest.raises(DataError, match="index"):
            CheckpointReader(cut)
    outcomes = set()
    for pos in range(len(index)):
        flipped = bytearray(index)
        flipped[pos] ^= 0x5A
        outcomes.add(assert_right_or_data_error(damaged_copy(tmp_path, source, index=bytes(flipped)), meta))
    assert outcomes == {"refused", "read"}      # the footer's padding is not covered by any checksum


def edit_entry(index: bytes, name: str, old: bytes, new: bytes) -> bytes:
    """The index with one entry's value edited (same length) and its block's checksum made right again,
    so only the edit is wrong: what a writer with a bug would produce."""
    value = dict(_read_table(index))[name.encode()]
    assert index.count(value) == 1 and value.count(old) >= 1
    start = index.index(value)
    data = bytearray(index)
    data[start:start + len(value)] = value.replace(old, new, 1)
    return reseal(data)


def reseal(data: bytearray, kind: int | None = None) -> bytes:
    """Every data block's checksum recomputed (after its compression byte is set to ``kind``)."""
    _, _, pos = _handle(data, len(data) - 48, len(data))            # the footer: metaindex, then index handle
    index_offset, index_size, _ = _handle(data, pos, len(data))
    for _, handle in _block_entries(memoryview(bytes(data))[index_offset:index_offset + index_size]):
        offset, size, _ = _handle(handle, 0, len(handle))
        if kind is not None:
            data[offset + size] = kind
        crc = crc32c(bytes(data[offset:offset + size + 1]))
        masked = ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF
        assert unmask_crc(masked) == crc
        data[offset + size + 1:offset + size + 5] = masked.to_bytes(4, "little")
    return bytes(data)


def test_edited_entries_and_block_kinds_are_sentences(tmp_path):
    source = FIXTURES / "tf2_embedding/dtypes/ckpt-1"
    index = Path(f"{source}.index").read_bytes()
    name = "single/.ATTRIBUTES/VARIABLE_VALUE"
    unknown = damaged_copy(tmp_path, source, index=edit_entry(index, name, b"\x08\x01", b"\x08\x63"))
    reader = CheckpointReader(unknown)
    assert reader.shapes()[name] == ((8, 4), "unknown data type 99")
    with pytest.raises(DataError, match="has an unknown data type \\(number 99\\), which is not read"):
        reader.tensor(name)
    with pytest.raises(DataError, match="data type qint8, which is not read"):
        CheckpointReader(damaged_copy(tmp_path, source, index=edit_entry(index, name, b"\x08\x01", b"\x08\x0b"))).tensor(name)
    with pytest.raises(DataError, match="has an unknown data type \\(number 0\\)"):       # no dtype field at all
        CheckpointReader(damaged_copy(tmp_path, source, index=edit_entry(index, name, b"\x08\x01", b"\x18\x00"))).tensor(name)
    # 129 bytes recorded for 8 × 4 float32 (128)
    with pytest.raises(DataError, match="is recorded as 129 bytes but its shape \\(8, 4\\) of float32 needs 128"):
        CheckpointReader(damaged_copy(tmp_path, source, index=edit_entry(index, name, b"\x28\x80\x01", b"\x28\x81\x01"))).tensor(name)
    assert CheckpointReader(damaged_copy(tmp_path, source, index=reseal(bytearray(index)))).shapes()   # reseal is exact
    with pytest.raises(DataError, match="is compressed \\(snappy\\), which is not read"):
        CheckpointReader(damaged_copy(tmp_path, source, index=reseal(bytearray(index), kind=1)))
    with pytest.raises(DataError, match="is compressed \\(compression type 7\\)"):
        CheckpointReader(damaged_copy(tmp_path, source, index=reseal(bytearray(index), kind=7)))
    wrong_magic = index[:-8] + b"\0" * 8
    with pytest.raises(DataError, match="is not a TensorFlow checkpoint index \\(its last bytes are not the table's magic"):
        CheckpointReader(damaged_copy(tmp_path, source, index=wrong_magic))
    with pytest.raises(DataError, match="ckpt-1.index is not there"):
        CheckpointReader(tmp_path / "nothing" / "ckpt-1")
    (tmp_path / "v1.ckpt").write_bytes(b"old")
    with pytest.raises(DataError, match="is a TensorFlow V1 checkpoint"):
        CheckpointReader(tmp_path / "v1.ckpt")


@pytest.mark.parametrize("prefix", DAMAGED)
def test_a_data_shard_deleted_cut_or_flipped_is_a_sentence_per_tensor(tmp_path, prefix):
    meta, source = EXPECTED[prefix], FIXTURES / prefix
    reader = CheckpointReader(source)
    for shard in range(reader.num_shards):
        gone = read_all(damaged_copy(tmp_path, source, shards={shard: None}))
        in_shard = [n for n in gone if n in meta["tensors"] and not n.startswith("partitioned")
                    and reader._entries[n].shard == shard and reader._entries[n].size]
        assert in_shard
        for name in in_shard:
            assert isinstance(gone[name], DataError) and "is missing" in str(gone[name])
        data = reader.shard_path(shard).read_bytes()
        for i in range(20):
            assert_right_or_data_error(damaged_copy(tmp_path, source, shards={shard: data[:len(data) * i // 20]}), meta)
        caught = 0
        for pos in range(0, len(data), max(1, len(data) // 97)):
            flipped = bytearray(data)
            flipped[pos] ^= 0x01
            after = read_all(damaged_copy(tmp_path, source, shards={shard: bytes(flipped)}))
            hit = [n for n in after if n in meta["tensors"] and reader._entries[n].shard == shard
                   and reader._entries[n].offset <= pos < reader._entries[n].offset + reader._entries[n].size]
            for name in hit:           # the checksum catches the one flipped bit
                assert isinstance(after[name], DataError) and "does not match its checksum" in str(after[name])
                caught += 1
        assert caught


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(DAMAGED), st.data())
def test_any_overwritten_bytes_are_refused_or_read_right(tmp_path, prefix, data):
    meta, source = EXPECTED[prefix], FIXTURES / prefix
    index = bytearray(Path(f"{source}.index").read_bytes())
    shard_file = sorted(source.parent.glob(source.name + ".data-*"))[-1]
    shard = bytearray(shard_file.read_bytes())
    for target in (index, shard):
        if data.draw(st.booleans()):
            start = data.draw(st.integers(0, len(target) - 1))
            patch = data.draw(st.binary(min_size=1, max_size=16))
            target[start:start + len(patch)] = patch
    last = int(shard_file.name.split(".data-")[1][:5])
    assert_right_or_data_error(damaged_copy(tmp_path, source, index=bytes(index), shards={last: bytes(shard)}), meta)

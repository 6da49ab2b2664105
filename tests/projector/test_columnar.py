"""Parquet, Arrow and safetensors embeddings, written by the real libraries (pandas/pyarrow, safetensors)."""
import json
import struct

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from safetensors.numpy import save_file

import projector
from projector import DataError
from projector.formats import column_as_text


def test_a_parquet_vector_column_and_its_metadata_columns(tmp_path):
    X = np.random.default_rng(0).normal(size=(50, 8)).astype(np.float32)
    frame = pd.DataFrame({"word": [f"w{i}" for i in range(50)], "count": np.arange(50), "emb": list(X),
                          "note": [None if i % 5 == 0 else "a\tb" for i in range(50)]})
    frame.to_parquet(tmp_path / "words.parquet")
    ds = projector.load_dataset(tmp_path / "words.parquet")
    np.testing.assert_array_equal(ds.vectors, X)
    assert list(ds.metadata.columns) == ["word", "count", "note"] and ds.name == "words"
    assert ds.metadata["count"].to_numpy(dtype=float).tolist() == list(range(50))
    notes = column_as_text(ds.metadata["note"])
    assert notes[0] == "" and notes[1] == "a b"   # missing stays missing; a tab cannot live in a TSV field
    # a metadata file given beside it replaces the file's own columns
    (tmp_path / "m.tsv").write_text("".join(f"x{i}\n" for i in range(50)))
    replaced = projector.load_dataset(tmp_path / "words.parquet", tmp_path / "m.tsv").metadata
    assert len(replaced.columns) == 1 and replaced.iloc[3, 0] == "x3"


def test_fixed_size_lists_in_arrow_and_named_columns(tmp_path):
    X = np.random.default_rng(1).normal(size=(30, 4)).astype(np.float32)
    table = pa.table({"a": pa.FixedSizeListArray.from_arrays(pa.array(X.ravel()), 4),
                      "b": pa.FixedSizeListArray.from_arrays(pa.array((X * 2).ravel().astype(np.float64)), 4),
                      "label": [str(i) for i in range(30)]})
    feather.write_feather(table, tmp_path / "two.arrow")
    pq.write_table(table, tmp_path / "two.parquet")
    for name in ("two.arrow", "two.parquet"):
        with pytest.raises(DataError, match="must name its vector column.*found: a, b"):
            projector.load_dataset(tmp_path / name)
        ds = projector.load_dataset(f"{tmp_path / name}:b")
        np.testing.assert_allclose(ds.vectors, X * 2)
        assert list(ds.metadata.columns) == ["a", "label"]   # the other vector column is kept as text
        np.testing.assert_array_equal(projector.load_dataset(tmp_path / name, column="a").vectors, X)
    with pytest.raises(DataError, match="no column 'zz'"):
        projector.load_dataset(tmp_path / "two.parquet", column="zz")
    with pytest.raises(DataError, match="does not hold lists of numbers"):
        projector.load_dataset(tmp_path / "two.parquet", column="label")


def test_bad_parquet_files_get_a_sentence(tmp_path):
    ragged = pa.table({"v": pa.array([[1.0, 2.0], [1.0, 2.0, 3.0]])})
    pq.write_table(ragged, tmp_path / "ragged.parquet")
    with pytest.raises(DataError, match="row 0 has 2, row 1 has 3"):
        projector.load_dataset(tmp_path / "ragged.parquet")
    holes = pa.table({"v": pa.array([[1.0, 2.0], None, [3.0, 4.0]])})
    pq.write_table(holes, tmp_path / "holes.parquet")
    with pytest.raises(DataError, match="1 empty rows"):
        projector.load_dataset(tmp_path / "holes.parquet")
    pq.write_table(pa.table({"w": ["a", "b"]}), tmp_path / "none.parquet")
    with pytest.raises(DataError, match="found: none"):
        projector.load_dataset(tmp_path / "none.parquet")
    good = tmp_path / "cut.parquet"
    pq.write_table(pa.table({"v": pa.array([[1.0, 2.0]] * 100)}), good)
    good.write_bytes(good.read_bytes()[:-30])
    with pytest.raises(DataError, match="cannot be read as Parquet"):
        projector.load_dataset(good)
    nan = pa.table({"v": pa.array([[1.0, float("nan")], [1.0, 2.0]])})
    pq.write_table(nan, tmp_path / "nan.parquet")
    with pytest.raises(DataError, match="not finite|NaN"):
        projector.load_dataset(tmp_path / "nan.parquet")


@settings(max_examples=25, deadline=None)
@given(arrays(np.float32, st.tuples(st.integers(2, 40), st.integers(2, 12)),
              elements=st.floats(-1e6, 1e6, width=32)))
def test_any_float_matrix_comes_back_exactly_through_parquet_and_safetensors(tmp_path_factory, X):
    d = tmp_path_factory.mktemp("rt")
    pd.DataFrame({"emb": list(X)}).to_parquet(d / "x.parquet")
    np.testing.assert_array_equal(projector.load_dataset(d / "x.parquet").vectors, X)
    save_file({"emb": np.ascontiguousarray(X)}, str(d / "x.safetensors"))
    np.testing.assert_array_equal(projector.load_dataset(d / "x.safetensors").vectors, X)


def test_safetensors_by_name_memory_mapped_and_other_dtypes(tmp_path):
    X = np.random.default_rng(2).normal(size=(64, 6)).astype(np.float32)
    save_file({"embeddings.weight": X, "bias": np.zeros(6, np.float32), "head": X[:5].astype(np.float16)},
              str(tmp_path / "model.safetensors"))
    with pytest.raises(DataError, match=r"holds 2 2-D tensors \(embeddings.weight, head\)"):
        projector.load_dataset(tmp_path / "model.safetensors")
    ds = projector.load_dataset(f"{tmp_path / 'model.safetensors'}:embeddings.weight")
    assert isinstance(ds.vectors, np.memmap) and ds.name == "model"
    np.testing.assert_array_equal(ds.vectors, X)
    np.testing.assert_array_equal(projector.load_dataset(tmp_path / "model.safetensors", column="head").vectors,
                                  X[:5].astype(np.float16).astype(np.float32))
    with pytest.raises(DataError, match="shape \\(6,\\)"):
        projector.load_dataset(tmp_path / "model.safetensors", column="bias")
    with pytest.raises(DataError, match="no tensor 'nope'"):
        projector.load_dataset(tmp_path / "model.safetensors", column="nope")


def bf16_file(path, X):
    """A bfloat16 safetensors file as the format defines it (the upper 16 bits of each float32)."""
    raw = (np.ascontiguousarray(X, np.float32).view(np.uint32) >> 16).astype("<u2").tobytes()
    header = json.dumps({"w": {"dtype": "BF16", "shape": list(X.shape), "data_offsets": [0, len(raw)]}}).encode()
    path.write_bytes(struct.pack("<Q", len(header)) + header + raw)


def test_bfloat16_and_damaged_safetensors(tmp_path):
    X = np.array([[1.0, -2.5], [3.0, 0.15625]], np.float32)   # exact in bfloat16
    bf16_file(tmp_path / "b.safetensors", X)
    np.testing.assert_array_equal(projector.load_dataset(tmp_path / "b.safetensors").vectors, X)
    good = (tmp_path / "b.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(good[:-2])
    with pytest.raises(DataError, match="does not fit the file"):
        projector.load_dataset(tmp_path / "cut.safetensors")
    (tmp_path / "head.safetensors").write_bytes(struct.pack("<Q", 10) + b"{not json}" + b"\0" * 8)
    with pytest.raises(DataError, match="not valid JSON"):
        projector.load_dataset(tmp_path / "head.safetensors")
    (tmp_path / "huge.safetensors").write_bytes(struct.pack("<Q", 2**62) + b"{}")
    with pytest.raises(DataError, match="header size is wrong"):
        projector.load_dataset(tmp_path / "huge.safetensors")

"""Reading vectors and metadata, with TensorBoard's parsing rules and every bad input a user can bring."""
import pickle
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import projector
from projector import DataError
from projector.formats import parse_pbtxt, read_metadata_tsv


def write(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return p


# --------------------------------------------------------------- metadata (TB's rules)

def test_metadata_header_and_numeric_columns_like_tensorboard(tmp_path):
    # TensorBoard's own parseMetadata case: a label column and a numeric column.
    t = read_metadata_tsv(write(tmp_path, "m.tsv", "label\tfakecol\nГ\t0\nlabel1\t1"))
    assert t.has_header
    assert list(t.frame.columns) == ["label", "fakecol"]
    assert list(t.frame["label"]) == ["Г", "label1"]
    assert t.frame["fakecol"].dtype.kind == "f" and list(t.frame["fakecol"]) == [0.0, 1.0]


def test_single_column_has_no_header_and_is_called_label(tmp_path):
    t = read_metadata_tsv(write(tmp_path, "m.tsv", "word\napple\n\npear\n"))
    assert not t.has_header
    assert list(t.frame.columns) == ["label"]
    assert list(t.frame["label"]) == ["word", "apple", "pear"]  # blank line skipped, first line is data


def test_values_are_verbatim_and_empty_is_missing(tmp_path):
    t = read_metadata_tsv(write(tmp_path, "m.tsv", 'name\tnote\n"\tnan\nnull\t\n x \tNULL\n'))
    assert list(t.frame["name"]) == ['"', "null", " x "]
    assert t.frame["note"][0] == "nan" and t.frame["note"][2] == "NULL"
    assert t.frame["note"].isna()[1]
    assert t.frame["note"].dtype.kind != "f"  # "nan" is text, not a number


def test_crlf_and_bom_are_handled_silently(tmp_path):
    t = read_metadata_tsv(write(tmp_path, "m.tsv", b"\xef\xbb\xbfa\tb\r\nx\t1\r\ny\t2\r\n"))
    assert list(t.frame.columns) == ["a", "b"]
    assert list(t.frame["a"]) == ["x", "y"] and list(t.frame["b"]) == [1.0, 2.0]


def test_non_utf8_metadata_says_so(tmp_path):
    with pytest.raises(DataError, match="not UTF-8"):
        read_metadata_tsv(write(tmp_path, "m.tsv", "label\ncaf\xe9\n".encode("latin-1")))


def test_short_rows_are_missing_and_numeric_means_all_present_values_numeric(tmp_path):
    t = read_metadata_tsv(write(tmp_path, "m.tsv", "a\tb\tc\n1\tx\n2\ty\t3.5e1\n"))
    assert t.frame["a"].dtype.kind == "f" and t.frame["c"].dtype.kind == "f"
    assert np.isnan(t.frame["c"][0]) and t.frame["c"][1] == 35.0
    assert t.frame["b"].dtype.kind != "f"


def test_metadata_row_count_mismatch_rules(tmp_path):
    X = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    # TB's fatal case 1: one column, one extra row -> the file should not have a header.
    with pytest.raises(DataError, match="should not have a header row"):
        projector.load_dataset(X, write(tmp_path, "a.tsv", "word\na\nb\nc\n"))
    # TB's fatal case 2: several columns, one row short -> the file should have a header.
    with pytest.raises(DataError, match="should have a header row"):
        projector.load_dataset(X, write(tmp_path, "b.tsv", "a\t1\nb\t2\nc\t3\n"))
    # Any other mismatch loads with a warning.
    ds = projector.load_dataset(X, write(tmp_path, "c.tsv", "a\nb\n"))
    assert ds.warnings and "have no metadata" in ds.warnings[0]
    assert list(ds.metadata["label"].isna()) == [False, False, True]
    ds = projector.load_dataset(X, write(tmp_path, "d.tsv", "h\tk\na\t1\nb\t2\nc\t3\nd\t4\ne\t5\n"))
    assert ds.warnings and len(ds.metadata) == 3


# --------------------------------------------------------------- vectors

def test_npy_float32_is_memory_mapped_and_read_only(tmp_path):
    X = np.arange(20, dtype=np.float32).reshape(5, 4)
    np.save(tmp_path / "v.npy", X)
    ds = projector.load_dataset(tmp_path / "v.npy")
    assert isinstance(ds.vectors, np.memmap)
    assert not ds.vectors.flags.writeable
    np.testing.assert_array_equal(ds.vectors, X)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, np.float16, np.float64])
def test_other_numeric_dtypes_become_float32(tmp_path, dtype):
    np.save(tmp_path / "v.npy", np.arange(12).reshape(4, 3).astype(dtype))
    ds = projector.load_dataset(tmp_path / "v.npy")
    assert ds.vectors.dtype == np.float32 and ds.vectors[3, 2] == 11


def test_npz_single_key_and_explicit_key(tmp_path):
    X = np.ones((3, 2), np.float32)
    np.savez(tmp_path / "one.npz", emb=X)
    assert projector.load_dataset(tmp_path / "one.npz").num_points == 3
    np.savez(tmp_path / "two.npz", a=X, b=np.zeros((5, 2), np.float32))
    with pytest.raises(DataError, match=r"several arrays \(a, b\)"):
        projector.load_dataset(tmp_path / "two.npz")
    assert projector.load_dataset(f"{tmp_path / 'two.npz'}:b").num_points == 5
    with pytest.raises(DataError, match="no array named 'c'"):
        projector.load_dataset(f"{tmp_path / 'two.npz'}:c")


def test_tensor_tsv_with_and_without_labels(tmp_path):
    # TensorBoard's parseTensors case.
    ds = projector.load_dataset(write(tmp_path, "t.tsv", "1.0\t2.0\n2.0\t3.0"))
    np.testing.assert_array_equal(ds.vectors, [[1, 2], [2, 3]])
    ds = projector.load_dataset(write(tmp_path, "l.tsv", "cat\t1\t2\ndog\t3\t4\n\n"))
    assert list(ds.metadata["label"]) == ["cat", "dog"] and ds.dim == 2


def test_tensor_tsv_errors(tmp_path):
    with pytest.raises(DataError, match="line 2: the vector has 4 dimensions"):
        projector.load_dataset(write(tmp_path, "a.tsv", "1\t2\n1\t2\t3\t4\n"))
    with pytest.raises(DataError, match="only 1 dimension"):
        projector.load_dataset(write(tmp_path, "b.tsv", "1\n2\n"))
    with pytest.raises(DataError, match="'x' is not a number"):
        projector.load_dataset(write(tmp_path, "c.tsv", "1\t2\n3\tx\n"))


def test_bytes_need_a_shape_and_a_whole_number_of_rows(tmp_path, anchor):
    ds = projector.load_dataset(anchor / "iris_tensors.bytes", shape=(None, 4))
    assert (ds.num_points, ds.dim) == (150, 4)
    assert ds.vectors[0].tolist() == pytest.approx([5.1, 3.5, 1.4, 0.2])
    with pytest.raises(DataError, match="no shape"):
        projector.load_dataset(anchor / "iris_tensors.bytes")
    with pytest.raises(DataError, match="not a multiple of 4×7"):
        projector.load_dataset(anchor / "iris_tensors.bytes", shape=(None, 7))
    with pytest.raises(DataError, match="shape says 151"):
        projector.load_dataset(anchor / "iris_tensors.bytes", shape=(151, 4))


@pytest.mark.parametrize("make, message", [
    (lambda p: np.save(p, np.array([{"a": 1}, None], dtype=object), allow_pickle=True), "Python objects"),
    (lambda p: p.write_bytes(pickle.dumps(np.ones((3, 3)))), "not a NumPy .npy file"),
    (lambda p: np.save(p, np.array([["a", "b"], ["c", "d"]])), "holds text"),
    (lambda p: np.save(p, np.ones((3, 3), np.complex64)), "complex"),
    (lambda p: np.save(p, np.ones(5, np.float32)), "1-D"),
    (lambda p: np.save(p, np.ones((2, 3, 4), np.float32)), "3-D"),
    (lambda p: np.save(p, np.ones((1, 4), np.float32)), "holds 1 point"),
    (lambda p: np.save(p, np.ones((4, 1), np.float32)), "1 dimension"),
    (lambda p: p.write_bytes(b""), "is empty"),
])
def test_bad_npy_files_give_a_sentence(tmp_path, make, message):
    p = tmp_path / "bad.npy"
    make(p)
    with pytest.raises(DataError, match=message):
        projector.load_dataset(p)


def test_truncated_npy(tmp_path):
    np.save(tmp_path / "v.npy", np.ones((100, 8), np.float32))
    data = (tmp_path / "v.npy").read_bytes()
    (tmp_path / "t.npy").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="truncated"):
        projector.load_dataset(tmp_path / "t.npy")


def test_truncated_npz(tmp_path):
    np.savez(tmp_path / "v.npz", a=np.ones((100, 8), np.float32))
    data = (tmp_path / "v.npz").read_bytes()
    (tmp_path / "t.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError):
        projector.load_dataset(tmp_path / "t.npz")


def test_nan_and_inf_name_the_first_bad_row(tmp_path):
    X = np.ones((6, 3), np.float32)
    X[4, 1] = np.nan
    X[5, 0] = np.inf
    with pytest.raises(DataError, match="NaN in row 4"):
        projector.load_dataset(X)
    X[4, 1] = 0
    with pytest.raises(DataError, match="infinite value in row 5"):
        projector.load_dataset(X)
    big = np.ones((3, 3), np.float64)
    big[1, 1] = 1e300  # finite in float64, infinite in float32
    with pytest.raises(DataError, match="row 1"):
        projector.load_dataset(big)


def test_pickled_npz_member_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "p.npz", "w") as z:
        with z.open("a.npy", "w") as f:
            np.lib.format.write_array(f, np.array([object(), 1], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="Python objects"):
        projector.load_dataset(tmp_path / "p.npz")


# --------------------------------------------------------------- configs

def test_pbtxt_parser():
    doc = parse_pbtxt('embeddings {\n tensor_name: "w"  # a comment\n tensor_path: "v.tsv"\n'
                      ' sprite { image_path: "s.png" single_image_dim: 28 single_image_dim: 28 }\n}\n'
                      'embeddings { tensor_path: "x.npy" }')
    assert len(doc["embeddings"]) == 2
    assert doc["embeddings"][0]["sprite"][0]["single_image_dim"] == ["28", "28"]


def test_projector_config_json_and_pbtxt(tmp_path, anchor):
    import shutil

    shutil.copy(anchor / "iris_tensors.bytes", tmp_path / "iris.bytes")
    shutil.copy(anchor / "iris_labels.tsv", tmp_path / "iris.tsv")
    (tmp_path / "c.json").write_text('{"embeddings": [{"tensorName": "Iris", "tensorShape": [150, 4], '
                                     '"tensorPath": "iris.bytes", "metadataPath": "iris.tsv"}]}')
    [ds] = projector.load_projector_config(tmp_path / "c.json")
    assert ds.name == "Iris" and ds.num_points == 150 and "class" in ds.metadata.columns
    (tmp_path / "projector_config.pbtxt").write_text(
        'embeddings {\n  tensor_name: "Iris"\n  tensor_shape: 150\n  tensor_shape: 4\n'
        '  tensor_path: "iris.bytes"\n  metadata_path: "iris.tsv"\n}\n')
    [ds2] = projector.load_projector_config(tmp_path / "projector_config.pbtxt")
    assert ds2.id == ds.id


def test_config_paths_may_not_escape_the_folder(tmp_path):
    inner = tmp_path / "cfg"
    inner.mkdir()
    np.save(tmp_path / "secret.npy", np.ones((3, 3), np.float32))
    (inner / "c.json").write_text('{"embeddings": [{"tensorName": "x", "tensorPath": "../secret.npy"}]}')
    with pytest.raises(DataError, match="outside the config's folder"):
        projector.load_projector_config(inner / "c.json")
    (inner / "link.npy").symlink_to(tmp_path / "secret.npy")
    (inner / "d.json").write_text('{"embeddings": [{"tensorName": "x", "tensorPath": "link.npy"}]}')
    with pytest.raises(DataError, match="outside the config's folder"):
        projector.load_projector_config(inner / "d.json")


def test_anchor_metadata_files_parse(anchor):
    t = read_metadata_tsv(anchor / "iris_labels.tsv")
    assert t.has_header and len(t.frame) == 150  # trailing blank line skipped
    assert t.frame["class"].iloc[-1] == "Iris-virginica"
    w = read_metadata_tsv(anchor / "word2vec_10000_200d_labels.tsv")
    assert list(w.frame.columns) == ["word", "count"] and len(w.frame) == 10_000
    assert w.frame["count"].dtype.kind == "f"


def test_loading_an_array_leaves_the_callers_array_writeable():
    X = np.ones((3, 2), np.float32)
    ds = projector.load_dataset(X)
    assert X.flags.writeable and not ds.vectors.flags.writeable


def test_a_tensor_tsv_decides_on_its_first_line_whether_lines_start_with_a_label(tmp_path):
    """A line with one value more than the first is not quietly read as "label + vector"."""
    import pytest

    from projector import DataError, load_dataset

    (tmp_path / "ragged.tsv").write_text("1\t2\n5\t6\t7\n8\t9\n")
    with pytest.raises(DataError, match="line 2: the vector has 3 dimensions but earlier lines have 2"):
        load_dataset(tmp_path / "ragged.tsv")
    (tmp_path / "labelled.tsv").write_text("king\t1\t2\n42\t3\t4\n")   # the first line has a label: so do all
    ds = load_dataset(tmp_path / "labelled.tsv")
    assert ds.metadata["label"].tolist() == ["king", "42"] and ds.vectors.tolist() == [[1, 2], [3, 4]]


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=30), st.booleans())
def test_pbtxt_strings_read_as_protobuf_writes_them(name, as_utf8):
    """Any text protobuf's own writer puts in a projector config (raw UTF-8 or escaped) reads back as it is."""
    pytest.importorskip("tensorboard")
    from google.protobuf import text_format
    from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

    from projector.formats import parse_pbtxt

    config = ProjectorConfig()
    entry = config.embeddings.add()
    entry.tensor_name, entry.metadata_path = name, name + "/metadata.tsv"
    parsed = parse_pbtxt(text_format.MessageToString(config, as_utf8=as_utf8))["embeddings"][0]
    assert parsed["metadata_path"] == [name + "/metadata.tsv"]
    assert parsed.get("tensor_name", [""]) == [name]

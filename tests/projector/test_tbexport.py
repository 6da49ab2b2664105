"""Export back: a log folder that TensorBoard's own projector plugin serves as it is, and that this app's
loader reads back to the same vectors (bit for bit), metadata, sprite and bookmarks.

TensorBoard is read three ways: its ``ProjectorConfig`` proto parses the pbtxt, its plugin's own
``_read_tensor_tsv_file`` reads the tensors, and its plugin's HTTP routes (/info, /tensor, /metadata,
/bookmarks, /sprite_image) serve the folder as ``tensorboard --logdir`` would. Its browser side is
TypeScript; how it splits metadata (data-provider.ts ``parseMetadata``) is restated in :func:`tb_metadata`.
"""
import io
import json
import re
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from google.protobuf import text_format
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image
from tensorboard.plugins.projector import projector_plugin
from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

import projector
from projector import DataError
from projector.formats import JS_WHITESPACE, column_as_text, is_number
from projector.state import clean_state, from_tensorboard, parse_bookmarks_file
from projector.tbexport import TB_SPRITE_MAX_PX, LogdirExport, logdir_zip, write_logdir

FLOAT32 = st.floats(width=32, allow_nan=False, allow_infinity=False)   # subnormals, ±0, ±3.4e38 included
TINY, HUGE = np.float32(1e-45), np.finfo(np.float32).max
TRICKY = ["", " ", "   ", "  lead", "trail  ", '"quoted"', "it's", "#", "##ing", "# comment", "a\tb", "line\nbreak",
          "cr\rhere", "\r\n", "\t", "\ufeffbom", "\u2028", "\u00a0", "naïve", "東京", "😀", "1e3", "-0", "NaN", "null",
          "=1+2", "\\t", "a,b"]
LABEL = st.one_of(st.sampled_from(TRICKY),
                  st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8))
BREAK = re.compile(r"\r\n|[\t\r\n]")


# ---------------------------------------------------------------- how TensorBoard reads the folder

def tb_config(folder) -> ProjectorConfig:
    config = ProjectorConfig()
    text_format.Merge((Path(folder) / "projector_config.pbtxt").read_text(encoding="utf-8"), config)
    return config


def tb_metadata(text: str):
    """(column names, rows) as TensorBoard's parseMetadata (data-provider.ts) makes them: lines split on
    \\n, a line that trims to nothing skipped, a header iff the first line has several fields, '' → null."""
    lines = [line for line in text.split("\n") if line.strip(JS_WHITESPACE)]
    first = lines[0].split("\t")
    names, body = (first, lines[1:]) if len(first) > 1 else (["label"], lines)
    rows = [[(v if v != "" else None) for v in line.split("\t")] for line in body]
    return names, rows


class _NoRuns:
    def list_runs(self, ctx, experiment_id):
        return []


def tensorboard_serves(folder, name):
    """What TensorBoard's projector plugin (its own Python code) serves for the folder as --logdir."""
    from tensorboard.plugins import base_plugin
    from werkzeug.test import Client

    plugin = projector_plugin.ProjectorPlugin(base_plugin.TBContext(logdir=str(folder), data_provider=_NoRuns()))
    apps = plugin.get_plugin_apps()

    def get(route, **query):
        answer = Client(apps[route]).get(route, query_string=query)
        assert answer.status_code == 200, (route, answer.get_data(as_text=True))
        return answer.get_data()

    info = json.loads(get("/info", run="."))
    [entry] = info["embeddings"]
    shape = entry["tensorShape"]
    out = {"info": entry, "tensor": np.frombuffer(get("/tensor", run=".", name=name), np.float32).reshape(shape)}
    if "metadataPath" in entry:
        out["metadata"] = get("/metadata", run=".", name=name).decode("utf-8")
    if "bookmarksPath" in entry:
        out["bookmarks"] = json.loads(get("/bookmarks", run=".", name=name))
    if "sprite" in entry:
        out["sprite"] = get("/sprite_image", run=".", name=name)
    return out


def same_bits(a, b) -> bool:
    a, b = np.ascontiguousarray(a, np.float32), np.ascontiguousarray(b, np.float32)
    return a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))


def written_text(frame: pd.DataFrame, column) -> list[str]:
    """A column's values as the export promises them: the text a user typed, a tab or line break → a space."""
    return [BREAK.sub(" ", t) for t in column_as_text(frame[column])]


def as_read(texts: list[str]):
    """What this app's metadata reader makes of a column of texts: numbers when every present one is."""
    present = [t for t in texts if t != ""]
    if present and all(is_number(t) for t in present):
        return [float(t.strip()) if t != "" else None for t in texts]
    return [t if t != "" else None for t in texts]


def read_column(series: pd.Series):
    if pd.api.types.is_float_dtype(series.dtype):
        return [None if np.isnan(v) else float(v) for v in series]
    return [None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in series]


# ---------------------------------------------------------------- vectors and metadata, all and some rows

@settings(max_examples=80, deadline=None)
@given(X=arrays(np.float32, st.tuples(st.integers(2, 7), st.integers(2, 5)), elements=FLOAT32),
       labels=st.lists(LABEL, min_size=7, max_size=7), groups=st.lists(LABEL, min_size=7, max_size=7),
       ncols=st.integers(0, 2), pick=st.randoms(use_true_random=False), subset=st.booleans())
@example(X=np.array([[0.0, -0.0], [TINY, -TINY], [HUGE, -HUGE], [1.1754944e-38, 0.1]], np.float32),
         labels=["", " ", "a\tb", "x\ny", "", "", ""], groups=["", "", "#", "", "", "", ""], ncols=1,
         pick=__import__("random").Random(0), subset=False)
@example(X=np.ones((3, 2), np.float32), labels=["\ufeffbom", "b", "c"] + [""] * 4, groups=["g"] * 7, ncols=1,
         pick=__import__("random").Random(0), subset=False)
def test_vectors_and_metadata_read_back_the_same_by_tensorboard_and_by_this_app(X, labels, groups, ncols, pick, subset):
    n = len(X)
    frame = pd.DataFrame({"word": pd.array(labels[:n], dtype=object), "group": pd.array(groups[:n], dtype=object)})
    frame = frame.iloc[:, :ncols] if ncols else None
    ds = projector.load_dataset(X, frame, name="words")
    rows = np.array(pick.sample(range(n), pick.randint(2, n))) if subset else None
    points = np.arange(n) if rows is None else rows
    with tempfile.TemporaryDirectory() as tmp:
        warnings = write_logdir(ds, tmp, rows=rows)
        [back], skipped = projector.load_logdir(tmp)
        tensors = projector_plugin._read_tensor_tsv_file(str(Path(tmp) / "tensors.tsv"))   # TensorBoard's own reader
        config = tb_config(tmp)
        text = (Path(tmp) / "metadata.tsv").read_text(encoding="utf-8") if ncols else None
    assert skipped == []
    assert same_bits(back.vectors, X[points]) and same_bits(tensors, X[points])   # bit for bit, -0.0 and subnormals too
    [entry] = config.embeddings
    assert entry.tensor_name == back.name == "words" and list(entry.tensor_shape) == [len(points), X.shape[1]]
    assert entry.tensor_path == "tensors.tsv" and entry.metadata_path == ("metadata.tsv" if ncols else "")
    if not ncols:
        assert list(back.metadata.columns) == [] and len(back.metadata) == len(points)
        return
    part = ds.metadata.iloc[points]
    wanted = {c: written_text(part, c) for c in part.columns}
    names, tb_rows = tb_metadata(text)
    assert len(tb_rows) == len(points)                                  # no row skipped: no label shifted
    # a column is added only when a row would be blank to TensorBoard (or the file would start with a BOM)
    lines = list(wanted["word"]) if ncols == 1 else ["\t".join(r) for r in zip(*wanted.values())]
    added = any(not line.strip(JS_WHITESPACE) for line in lines) or lines[0].startswith("\ufeff") if ncols == 1 \
        else any(not line.strip(JS_WHITESPACE) for line in lines)
    expected_names = (["index"] if added else []) + (list(part.columns) if added or ncols > 1 else ["label"])
    assert names == expected_names and list(back.metadata.columns) == expected_names
    if added:
        assert [r[0] for r in tb_rows] == [str(p) for p in points] and back.metadata["index"].tolist() == list(points)
    for j, column in enumerate(part.columns):
        shown = expected_names[j + int(added)]
        assert [r[j + int(added)] for r in tb_rows] == [t or None for t in wanted[column]]          # TensorBoard
        assert read_column(back.metadata[shown]) == as_read(wanted[column])                         # this app
    broken = any(BREAK.search(t) for c in part.columns for t in column_as_text(part[c]))
    assert broken == any("tab or a line break" in w for w in warnings)
    assert added == any("blank" in w for w in warnings)


def test_a_subset_exports_exactly_its_rows_in_their_order_and_tensorboard_serves_them(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 6)).astype(np.float32)
    meta = pd.DataFrame({"word": [f"w{i}" for i in range(50)], "score": np.arange(50) / 4})
    ds = projector.load_dataset(X, meta, name="café ☕ \"quoted\" \\ name")
    rows = np.array([49, 3, 17, 0, 22])
    assert write_logdir(ds, tmp_path, rows=rows) == []
    served = tensorboard_serves(tmp_path, ds.name)
    assert served["info"]["tensorName"] == ds.name and served["info"]["tensorShape"] == [5, 6]
    assert same_bits(served["tensor"], X[rows])
    assert served["metadata"].split("\n")[:3] == ["word\tscore", "w49\t12.25", "w3\t0.75"]
    [back], _ = projector.load_logdir(tmp_path)
    assert back.name == ds.name and same_bits(back.vectors, X[rows])
    assert back.metadata["word"].tolist() == [f"w{i}" for i in rows] and back.metadata["score"].tolist() == list(rows / 4)
    assert projector.load_projector_config(tmp_path / "projector_config.pbtxt")[0].name == ds.name


@settings(max_examples=60, deadline=None)
@given(name=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20).filter(str.strip))
def test_any_name_reads_back_as_it_is_through_protobuf_and_this_app(name):
    ds = projector.load_dataset(np.eye(3, dtype=np.float32), name="x")
    with tempfile.TemporaryDirectory() as tmp:
        write_logdir(ds, tmp, name=name)
        assert tb_config(tmp).embeddings[0].tensor_name == name.strip()
        assert projector.load_projector_config(Path(tmp) / "projector_config.pbtxt")[0].name == name.strip()


def test_a_single_column_is_written_without_a_header_and_tensorboard_calls_it_label(tmp_path):
    ds = projector.load_dataset(np.eye(4, dtype=np.float32), pd.DataFrame({"word": ["a", "b", "c", "d"]}))
    warnings = write_logdir(ds, tmp_path)
    assert (tmp_path / "metadata.tsv").read_text() == "a\nb\nc\nd\n"
    assert warnings == [("TensorBoard reads a single metadata column without a header row and calls it “label”, "
                         "so “word” is called that in the export.")]


def test_tabs_and_line_breaks_become_spaces_and_the_warning_says_how_many(tmp_path):
    meta = pd.DataFrame({"word": ["a\tb", "c\r\nd", "e\rf", "g"], "group\tname": ["x", "y", "z", "w"]})
    ds = projector.load_dataset(np.eye(4, dtype=np.float32), meta)
    [warning] = write_logdir(ds, tmp_path)
    assert warning == ("3 metadata values (3 in “word”) held a tab or a line break, which a TensorBoard TSV cannot "
                       "hold; each was written as a space.")
    names, rows = tb_metadata((tmp_path / "metadata.tsv").read_text())
    assert names == ["word", "group name"] and [r[0] for r in rows] == ["a b", "c d", "e f", "g"]


def test_nan_or_infinite_vectors_are_refused_with_the_point_named(tmp_path):
    X = np.ones((4, 3), np.float32)
    X[2, 1] = np.inf
    ds = projector.Dataset(vectors=X, metadata=pd.DataFrame(index=range(4)))
    with pytest.raises(DataError, match=r"^point 2 has a NaN or infinite value.*export again\.$"):
        write_logdir(ds, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert LogdirExport(ds, rows=[0, 1, 3]).num_points == 3      # the rows without it export


@pytest.mark.parametrize("rows, says", [([1], "at least 2 points"), ([0, 0, 1], "a point twice"),
                                        ([0, 9], "outside the data set's 4"), (["a", "b"], "point numbers"),
                                        ([0.5, 1], "point numbers")])
def test_rows_that_cannot_be_exported_are_one_sentence(rows, says):
    ds = projector.load_dataset(np.eye(4, dtype=np.float32))
    with pytest.raises(DataError, match=says):
        LogdirExport(ds, rows=rows)


# ---------------------------------------------------------------- sprites

def tiled_sheet(n, tile, per_row, mode="RGBA", seed=0):
    """A sheet of ``n`` random thumbnails, ``per_row`` across (some space at the end left empty)."""
    w, h = tile
    rng = np.random.default_rng(seed)
    rows = -(-n // per_row)
    pixels = rng.integers(0, 256, size=(rows * h, per_row * w, 4), dtype=np.uint8)
    im = Image.fromarray(pixels, "RGBA")
    if mode == "P":
        im = im.convert("RGB").quantize(64)
    elif mode != "RGBA":
        im = im.convert(mode)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return projector.Sprite(png=buf.getvalue(), tile=tile)


def tile_pixels(sprite, k):
    return np.asarray(Image.open(io.BytesIO(sprite.thumbnail(k))).convert("RGBA"))


@pytest.mark.parametrize("mode", ["RGBA", "RGB", "L", "P"])
def test_a_subset_gets_a_new_sheet_with_exactly_its_thumbnails_in_order(tmp_path, mode):
    ds = projector.load_dataset(np.random.default_rng(2).normal(size=(23, 3)).astype(np.float32))
    ds.sprite = tiled_sheet(23, (5, 4), per_row=7, mode=mode)
    rows = np.array([22, 0, 7, 13, 6, 21, 1])
    write_logdir(ds, tmp_path, rows=rows)
    [back], warnings = projector.load_logdir(tmp_path)
    assert warnings == [] and back.warnings == [] and back.sprite.tile == (5, 4)
    sheet = Image.open(tmp_path / "sprite.png")
    assert sheet.size == (3 * 5, 3 * 4)                                       # a square grid: ceil(√7) = 3 across
    for k, p in enumerate(rows):
        assert np.array_equal(tile_pixels(back.sprite, k), tile_pixels(ds.sprite, int(p))), (k, p)
    config = tb_config(tmp_path)
    assert config.embeddings[0].sprite.image_path == "sprite.png"
    assert list(config.embeddings[0].sprite.single_image_dim) == [5, 4]
    served = tensorboard_serves(tmp_path, ds.name)
    assert served["info"]["sprite"] == {"imagePath": "sprite.png", "singleImageDim": [5, 4]}
    assert served["sprite"] == (tmp_path / "sprite.png").read_bytes()


def test_all_points_keep_the_sheet_as_it_is_unless_tensorboard_could_not_tile_it(tmp_path):
    ds = projector.load_dataset(np.random.default_rng(3).normal(size=(10, 3)).astype(np.float32))
    ds.sprite = tiled_sheet(10, (4, 4), per_row=4)                    # 16 × 12 px: whole tiles
    write_logdir(ds, tmp_path / "same")
    assert (tmp_path / "same" / "sprite.png").read_bytes() == ds.sprite.png
    # a sheet 18 px wide has half a tile at its right edge, which TensorBoard would count as one
    ragged = Image.open(io.BytesIO(ds.sprite.png)).crop((0, 0, 18, 12))
    buf = io.BytesIO()
    ragged.save(buf, format="PNG")
    ds.sprite = projector.Sprite(png=buf.getvalue(), tile=(4, 4))
    write_logdir(ds, tmp_path / "fixed")
    [back], _ = projector.load_logdir(tmp_path / "fixed")
    assert Image.open(tmp_path / "fixed" / "sprite.png").size == (16, 12)
    assert all(np.array_equal(tile_pixels(back.sprite, k), tile_pixels(ds.sprite, k)) for k in range(10))


def test_a_sheet_larger_than_tensorboard_shows_is_left_out_with_a_warning(tmp_path):
    ds = projector.load_dataset(np.random.default_rng(4).normal(size=(9, 3)).astype(np.float32))
    ds.sprite = tiled_sheet(9, (3000, 1), per_row=1)                  # re-tiled: 3 × 3000 px across > 8,192
    warnings = write_logdir(ds, tmp_path, rows=np.arange(9))
    assert warnings == [(f"the 9 thumbnails of 3000 × 1 px make a sprite sheet of 9,000 × 3 px, larger than the "
                         f"{TB_SPRITE_MAX_PX:,} × {TB_SPRITE_MAX_PX:,} px TensorBoard shows, so the sprite was left "
                         "out (isolate fewer points to keep it).")]
    assert not (tmp_path / "sprite.png").exists() and not tb_config(tmp_path).embeddings[0].HasField("sprite")
    assert tensorboard_serves(tmp_path, ds.name)["tensor"].shape == (9, 3)


# ---------------------------------------------------------------- bookmarks

@pytest.fixture
def marked(tmp_path):
    """30 points, a cache with a t-SNE of points 0–19, and bookmarks of every kind."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(30, 5)).astype(np.float32)
    meta = pd.DataFrame({"word": [f"w{i}" for i in range(30)], "group": [f"g{i % 3}" for i in range(30)]})
    ds = projector.load_dataset(X, meta, name="marked")
    cache = projector.ResultCache(tmp_path / "cache")
    tsne = {"perplexity": 5, "iterations": 50}
    coords = projector.project(ds, "tsne", dims=2, subset=np.arange(20), params=tsne, cache=cache).coords

    def state(method, **kw):
        raw = {"dataset": ds.id, "method": method, "dims": kw.pop("dims", 2), "params": kw.pop("params", {}), **kw}
        return clean_state(raw, ds.num_points, ds.dim)

    given = from_tensorboard([{"label": "theirs", "dataSetDimensions": [30, 5], "selectedProjection": "umap",
                               "umapIs3d": False, "selectedPoints": [1],
                               "projections": [{"umap-0": float(i), "umap-1": -float(i)} for i in range(30)]}],
                             30, 5, ["word", "group"], ds.id)[0]["state"]
    marks = [
        {"name": "pca", "state": state("pca", params={"components": [1, 2]}, colour_by="group", label_by="word",
                                       selection={"anchor": 4, "neighbors": [[6, 0.1]]})},
        {"name": "tsne of 20", "state": state("tsne", params=tsne, subset=list(range(20)),
                                              selection={"points": [2, 4, 5]})},
        {"name": "tsne gone", "state": state("tsne", params={"perplexity": 7, "iterations": 50})},
        {"name": "elsewhere", "state": {**state("pca"), "dataset": "0" * 20}},
        {"name": "theirs", "state": given},
        {"name": "raw", "state": state("raw", dims=3)},
        {"name": "odd pair", "state": state("pca", subset=[1, 3])},
    ]
    return ds, cache, coords, marks


def test_bookmarks_become_tensorboard_states_of_the_exported_points(tmp_path, marked):
    ds, cache, tsne, marks = marked
    rows = np.arange(0, 30, 2)                                         # the even points: 15 of them
    warnings = write_logdir(ds, tmp_path / "out", rows=rows, bookmarks=marks, cache=cache)
    assert warnings == [
        "1 bookmark of other data sets was left out of bookmarks.txt.",
        "“odd pair” was left out of bookmarks.txt: fewer than 2 of its points are exported.",
        ("“tsne gone” was left out of bookmarks.txt: its t-SNE or UMAP coordinates are no longer cached on this "
         "server (restore it to compute them, then export again)."),
        "TensorBoard has no projection of raw dimensions, so “raw” opens on its PCA there."]
    served = tensorboard_serves(tmp_path / "out", "marked")
    states = served["bookmarks"]
    assert [s["label"] for s in states] == ["pca", "tsne of 20", "theirs", "raw"]
    required = {"label": str, "isSelected": bool, "dataSetDimensions": list, "selectedProjection": str,
                "tSNEIteration": int, "tSNEPerplexity": (int, float), "tSNELearningRate": (int, float),
                "tSNEis3d": bool, "umapIs3d": bool, "umapNeighbors": int, "pcaComponentDimensions": list,
                "customSelectedSearchByMetadataOption": str, "customXLeftText": str, "customXLeftRegex": bool,
                "customYDownText": str, "projections": list, "selectedPoints": list, "cameraDef": dict}
    for s in states:
        assert all(isinstance(s[k], t) for k, t in required.items()), s["label"]
        assert s["projections"] == [] or len(s["projections"]) == s["dataSetDimensions"][0]
    pca, sub, theirs, raw = states
    assert pca["selectedProjection"] == "pca" and pca["pcaComponentDimensions"] == [1, 2]
    assert pca["dataSetDimensions"] == [15, 5] and "filteredPoints" not in pca
    assert pca["selectedPoints"] == [2]                                # point 4 is the export's third point
    assert pca["selectedColorOptionName"] == "group" and pca["selectedLabelOption"] == "word"
    # the t-SNE of points 0–19: its even points, as TensorBoard's positions 0–9, with their cached coordinates
    assert sub["filteredPoints"] == list(range(10)) and sub["dataSetDimensions"] == [10, 5]
    assert sub["selectedPoints"] == [1, 2]                             # points 2 and 4 (5 is not exported)
    got = np.array([[p["tsne-0"], p["tsne-1"]] for p in sub["projections"]])
    np.testing.assert_array_equal(got, tsne[0:20:2].astype(np.float64))
    assert sub["tSNEPerplexity"] == 5 and sub["tSNEIteration"] == 50 and sub["tSNEis3d"] is False
    assert theirs["selectedProjection"] == "umap" and [p["umap-0"] for p in theirs["projections"]] == list(range(0, 30, 2))
    assert raw["selectedProjection"] == "pca" and raw["cameraDef"]["orthographic"] is False
    # TensorBoard's bookmark file reads back here as bookmarks of the exported data set
    [back], _ = projector.load_logdir(tmp_path / "out")
    kind, loaded = parse_bookmarks_file((tmp_path / "out" / "bookmarks.txt").read_bytes())
    assert kind == "tensorboard"
    mine = from_tensorboard(loaded, back.num_points, back.dim, list(back.metadata.columns), back.id)
    assert [m["state"]["subset"] for m in mine] == [None, list(range(10)), None, None]
    assert mine[1]["state"]["selection"]["points"] == [1, 2] and mine[1]["state"]["method"] == "given"
    assert mine[0]["state"]["colour_by"] == "group"


def test_rows_in_any_order_keep_each_bookmark_point_with_its_coordinates(tmp_path, marked):
    ds, cache, tsne, marks = marked
    rows = np.arange(28, -1, -2)                                       # the even points, last first
    write_logdir(ds, tmp_path, rows=rows, bookmarks=[marks[1]], cache=cache)
    [sub] = json.loads((tmp_path / "bookmarks.txt").read_text())
    assert sub["filteredPoints"] == list(range(5, 15))                 # points 18, 16, …, 0 in the export
    for i, position in enumerate(sub["filteredPoints"]):
        point = int(rows[position])
        assert [sub["projections"][i]["tsne-0"], sub["projections"][i]["tsne-1"]] == tsne[point].tolist()
    assert [int(rows[sub["filteredPoints"][i]]) for i in sub["selectedPoints"]] == [2, 4]


def test_without_bookmarks_there_is_no_bookmarks_file(tmp_path, marked):
    ds, cache, _, marks = marked
    write_logdir(ds, tmp_path, bookmarks=[marks[3]], cache=cache)     # only another data set's
    assert not (tmp_path / "bookmarks.txt").exists() and tb_config(tmp_path).embeddings[0].bookmarks_path == ""


# ---------------------------------------------------------------- the zip, streamed

def test_the_zip_streams_in_pieces_and_unzips_to_the_same_folder(tmp_path):
    rng = np.random.default_rng(6)
    X = rng.normal(size=(3000, 128)).astype(np.float32)                # ~5 MB of tensor text
    ds = projector.load_dataset(X, pd.DataFrame({"word": [f"w{i}" for i in range(3000)], "n": range(3000)}), name="big")
    export = LogdirExport(ds)
    pieces = list(export.zip_chunks("big-tensorboard", extra={"provenance.json": b"{}"}))
    assert len(pieces) > 3 and max(map(len, pieces)) < 2 << 20        # never the whole file at once
    with zipfile.ZipFile(io.BytesIO(b"".join(pieces))) as zf:
        assert sorted(zf.namelist()) == ["big-tensorboard/metadata.tsv", "big-tensorboard/projector_config.pbtxt",
                                         "big-tensorboard/provenance.json", "big-tensorboard/tensors.tsv"]
        zf.extractall(tmp_path)
    [back], _ = projector.load_logdir(tmp_path / "big-tensorboard")
    assert same_bits(back.vectors, X) and back.metadata["word"].tolist() == list(ds.metadata["word"])
    assert logdir_zip(projector.load_dataset(X[:5]), folder_name="small")[:4] == b"PK\x03\x04"

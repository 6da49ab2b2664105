"""The bad-input corpus: files a user may hand the app, each with the sentence the app must answer.

Every case is ``Case(name, files, expect)``: ``files`` maps an upload slot ("vectors", "metadata",
"sprite", "bookmarks", "config") to (file name, bytes); ``expect`` is a fragment of the message
the user sees. Cases marked ``loads=True`` are tolerated: the data set loads, with that warning.
"""
from __future__ import annotations

import gzip
import io
import json
import pickle
import zipfile
from dataclasses import dataclass, field

import numpy as np
from PIL import Image


@dataclass
class Case:
    name: str
    files: dict
    expect: str
    loads: bool = False
    extra: dict = field(default_factory=dict)   # other Load fields: dim, sprite_dim


def npy(array, **kw) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, **kw)
    return buf.getvalue()


def npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def png(w, h, colour=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), colour).save(buf, format="PNG")
    return buf.getvalue()


def good(n=30, d=4, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)


def with_value(value, row=7, col=2) -> np.ndarray:
    x = good()
    x[row, col] = value
    return x


def bomb() -> bytes:
    """An .npz whose one member claims 8 GB of float32 zeros, compressed to a few megabytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("x.npy", "w", force_zip64=True) as f:
            header = io.BytesIO()
            np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                          "shape": (2_000_000, 1024)})
            f.write(header.getvalue())
            zeros = bytes(2**20)
            for _ in range(8):      # the header is what claims 8 GB: it is refused before anything is inflated
                f.write(zeros)
    return buf.getvalue()


def xlsx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    return buf.getvalue()


TSV = "word\tgroup\n" + "".join(f"w{i}\tg{i % 3}\n" for i in range(30))


def vec(data: bytes, name="emb.npy") -> dict:
    return {"vectors": (name, data)}


def meta(text_or_bytes, name="meta.tsv") -> dict:
    data = text_or_bytes.encode("utf-8") if isinstance(text_or_bytes, str) else text_or_bytes
    return {"vectors": ("emb.npy", npy(good())), "metadata": (name, data)}


CASES = [
    # ---- embeddings
    Case("pickled object array", vec(pickle.dumps([[1.0, 2.0]] * 5)), "is not a NumPy .npy file"),
    Case("object-dtype npy", vec(npy(np.array([[1, "a"]] * 5, dtype=object), allow_pickle=True)), "pickle"),
    Case("truncated npy", vec(npy(good())[:300]), "truncated"),
    Case("empty file", vec(b""), "empty"),
    Case("NaN in a vector", vec(npy(with_value(np.nan))), "row 7"),
    Case("Inf in a vector", vec(npy(with_value(np.inf))), "row 7"),
    Case("-Inf in a vector", vec(npy(with_value(-np.inf))), "row 7"),
    Case("one-dimensional array", vec(npy(np.arange(10.0))), "2-D"),
    Case("three-dimensional array", vec(npy(np.zeros((4, 3, 2)))), "2-D"),
    Case("text array", vec(npy(np.array([["a", "b"], ["c", "d"]]))), "numbers"),
    Case("complex numbers", vec(npy(np.ones((5, 3), dtype=np.complex64))), "numbers"),
    Case("a single point", vec(npy(good(n=1))), "at least 2"),
    Case("one dimension", vec(npy(good(d=1))), "at least 2"),
    Case("no rows", vec(npy(np.zeros((0, 5), np.float32))), "at least 2"),
    Case("a PNG named .npy", vec(png(10, 10)), "is not a NumPy .npy file"),
    Case("a spreadsheet", vec(xlsx(), name="emb.xlsx"), "zip archive but not an .npz"),
    Case("npz with several arrays", vec(npz(a=good(), b=good()), name="emb.npz"), "a, b"),
    Case("npz with no arrays", vec(npz(), name="emb.npz"), "no arrays"),
    Case("npz compression bomb", vec(bomb(), name="emb.npz"), "GB"),
    Case("npz that is not a zip", vec(b"PK\x03\x04 broken", name="emb.npz"), "not a readable .npz"),
    Case("ragged tensor tsv", vec(b"1\t2\t3\n4\t5\n6\t7\t8\n", name="emb.tsv"), "line 2"),
    Case("text in a tensor tsv", vec(b"1\t2\n3\tabc\n", name="emb.tsv"), "line 2"),
    Case("empty tensor tsv", vec(b"\n\n", name="emb.tsv"), "no vectors"),
    Case("huge single line tsv", vec(("\t".join(["1.5"] * 400_000) + "\n").encode(), name="emb.tsv"), "at least 2"),
    Case(".bytes without a dimension", vec(good().tobytes(), name="emb.bytes"), "enter its dimension"),
    Case(".bytes of the wrong size", vec(good().tobytes()[:-3], name="emb.bytes"), "multiple", extra={"dim": 4}),
    Case("gzip named .npy", vec(gzip.compress(npy(good()))), "is not a NumPy .npy file"),
    # ---- metadata
    Case("metadata not UTF-8", meta(("word\tgroup\n" + "".join(f"caf\xe9{i}\tg\n" for i in range(30))).encode("latin-1")),
         "UTF-8"),
    Case("single column with a header row", meta("word\n" + "".join(f"w{i}\n" for i in range(30))),
         "should not have a header row"),
    Case("several columns without their header row", meta("".join(f"w{i}\tg\n" for i in range(30))),
         "should have a header row"),
    Case("far fewer rows than points", meta("word\tgroup\n" + "".join(f"w{i}\tg\n" for i in range(10))),
         "10", loads=True),
    Case("mixed line endings", meta("word\tgroup\r\n" + "".join(f"w{i}\tg{i % 2}" + ("\r\n" if i % 2 else "\n")
                                                                for i in range(30))), "Loaded", loads=True),
    Case("quotes and nan/null labels", meta("word\tgroup\n" + "".join(
        f"{v}\tg\n" for v in (['"quoted"', "nan", "null", "NA", "None", "'x'"] * 5))), "Loaded", loads=True),
    Case("binary metadata", meta(bytes(range(256)) * 4), "UTF-8"),
    Case("metadata with only a header", meta("word\tgroup\n"), "0", loads=True),
    Case("huge single metadata line", meta("x" * 3_000_000 + "\n" + "".join(f"w{i}\n" for i in range(29))),
         "Loaded", loads=True),
    Case("metadata as .npy", meta(npy(good()), name="meta.tsv"), "UTF-8"),
    # ---- sprites
    Case("sprite with too few tiles", meta(TSV) | {"sprite": ("s.png", png(20, 20))}, "thumbnails",
         loads=True, extra={"sprite_dim": (10, 10)}),
    Case("sprite that is not an image", meta(TSV) | {"sprite": ("s.png", b"not a png")}, "not a complete, readable image",
         loads=True, extra={"sprite_dim": (10, 10)}),
    Case("sprite without its size", meta(TSV) | {"sprite": ("s.png", png(60, 50))}, "thumbnail width and height"),
    Case("sprite tile larger than the sheet", meta(TSV) | {"sprite": ("s.png", png(60, 50))}, "thumbnails",
         loads=True, extra={"sprite_dim": (100, 100)}),
    # ---- bookmarks (loaded onto the data set shown)
    Case("bookmarks that are not JSON", {"bookmarks": ("b.json", b"\x89PNG not json")}, "not JSON"),
    Case("bookmarks JSON without bookmarks", {"bookmarks": ("b.json", b'{"hello": 1}')}, "holds no bookmarks"),
    Case("TensorBoard bookmarks for another shape", {"bookmarks": ("b.txt", json.dumps([{
        "label": "x", "dataSetDimensions": [10000, 200], "selectedProjection": "pca",
        "pcaComponentDimensions": [0, 1]}]).encode())}, "wrong dataset, expected dataset with shape (10000, 200)"),
    Case("bookmarks of a data set not on this server", {"bookmarks": ("b.json", json.dumps({
        "format": "embedding-projector-bookmarks", "version": 1, "bookmarks": [{"name": "x", "state": {
            "dataset": "ab" * 8, "method": "pca", "dims": 2}}]}).encode())}, "not on this server"),
    Case("bookmark naming points that do not exist", {"bookmarks": ("b.json", b"<dataset>")}, "names point"),
    # ---- projector configs (command line)
    Case("config whose path leaves its folder", {"config": ("c.json", json.dumps({"embeddings": [{
        "tensorName": "t", "tensorPath": "../../etc/passwd", "tensorShape": [2, 2]}]}).encode())}, "outside"),
    Case("config that is not JSON", {"config": ("c.json", b"{embeddings: ")}, "not valid JSON"),
    Case("config pointing at a symlink", {"config": ("c.json", b"<symlink>")}, "outside"),
]

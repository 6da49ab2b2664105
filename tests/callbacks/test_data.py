"""The Data panel as functions: every switch of data set goes through one SETUP, uploads are staged and
loaded, and the panel's controls come from the data set (or a restored state)."""
import time

import numpy as np
import pandas as pd
import pytest
from dash import no_update

import projector
from callbacks import data, services, staging
from callbacks.data import load_staged


def stage_upload(raw: bytes, filename: str, chunk: int = 7) -> dict:
    """Send ``raw`` the way the browser does: start, pieces of ``chunk`` bytes, finish."""
    token = staging.start(filename, len(raw))["token"]
    for offset in range(0, len(raw), chunk):
        staging.append(token, offset, raw[offset:offset + chunk])
    return staging.finish(token)


def test_staged_upload_loads_into_the_store(data_dir, tmp_path):
    X = np.random.default_rng(0).normal(size=(20, 5)).astype(np.float32)
    np.save(tmp_path / "v.npy", X)
    vec = stage_upload((tmp_path / "v.npy").read_bytes(), "../../evil/v.npy", chunk=333)
    assert vec["name"] == "v.npy"  # a client's file name never becomes a path outside the uploads folder
    meta = stage_upload(b"\n".join(b"x%d" % i for i in range(20)), "m.tsv")
    dataset_id, warnings = load_staged(vec, meta, None, "mine")
    ds = services.store().get(dataset_id)
    assert ds.name == "mine" and ds.num_points == 20 and warnings == []
    assert not (services.uploads_dir() / vec["token"]).exists()  # staged files are removed once stored


def test_load_shows_the_new_data_set_folds_the_box_and_empties_the_slots(data_dir, tmp_path):
    np.save(tmp_path / "v.npy", np.random.default_rng(1).normal(size=(12, 3)).astype(np.float32))
    vec = stage_upload((tmp_path / "v.npy").read_bytes(), "v.npy", chunk=100)
    meta = stage_upload(b"w\tg\n" + b"".join(b"a%d\tb\n" % i for i in range(10)), "m.tsv")
    out = data.on_load(1, vec, meta, None, None, None, None, "")
    goto = out["goto"]
    assert goto["dataset"] in services.store() and goto["message"]["panel"] == "data"
    assert goto["message"]["kind"] == "warn" and "the last 2 points have no metadata" in goto["message"]["text"]
    assert out["upload_open"] is False and out["staged"]["vectors"] is None and out["staged"]["sprite"] is None
    bad = data.on_load(2, None, None, None, None, None, None, "")
    assert bad["message"] == ("Choose an embeddings file first (.npy, .npz, .tsv, .bytes, Parquet, Arrow or "
                              "safetensors).") and \
        bad["message_kind"] == "message error"


def test_cancel_upload_forgets_and_deletes_every_staged_file(data_dir):
    png = stage_upload(b"\x89PNG not really", "s.png")
    out = data.cancel_upload(1, None, None, png)
    assert out["sprite"] is None and out["vectors_name"] == "Upload cancelled; nothing was kept."
    assert staging.staged_path(png) is None


def test_bad_uploads_leave_the_store_as_it_was(data_dir, words):
    before = services.store().list()
    bad = stage_upload(b"not numbers at all\x00\x01", "x.npy")
    with pytest.raises(projector.DataError, match="not a NumPy"):
        load_staged(bad, None, None, None)
    raw = stage_upload(np.ones(40, np.float32).tobytes(), "x.bytes")
    with pytest.raises(projector.DataError, match="enter its dimension"):
        load_staged(raw, None, None, None)
    with pytest.raises(projector.DataError, match="choose an embeddings file"):
        load_staged(None, None, None, None)
    assert services.store().list() == before


def test_a_staged_sprite_joins_the_data_set_or_says_what_is_wrong(data_dir, tmp_path):
    import io

    from PIL import Image

    X = np.random.default_rng(5).normal(size=(6, 3)).astype(np.float32)
    np.save(tmp_path / "v.npy", X)
    buf = io.BytesIO()
    Image.new("RGB", (30, 20), (0, 90, 0)).save(buf, format="PNG")  # 3 × 2 tiles of 10 × 10
    vec = stage_upload((tmp_path / "v.npy").read_bytes(), "v.npy", chunk=1000)
    png = stage_upload(buf.getvalue(), "s.png", chunk=1000)
    with pytest.raises(projector.DataError, match="thumbnail width and height"):
        load_staged(vec, None, None, "pics", png, (None, 10))
    dataset_id, warnings = load_staged(vec, None, None, "pics", png, (10, 10))
    assert warnings == [] and services.store().get(dataset_id).sprite.tile == (10, 10)
    vec = stage_upload((tmp_path / "v.npy").read_bytes(), "v.npy", chunk=1000)
    png = stage_upload(buf.getvalue(), "s.png", chunk=1000)
    _, warnings = load_staged(vec, None, None, "pics2", png, (20, 20))  # 1 × 1 tile for 6 points
    assert warnings == ["these embeddings and metadata are already stored as “pics”, so that data set is shown "
                        "under its own name (not “pics2”).",
                        "The sprite s.png holds 1 thumbnails of 20×20 px but there are 6 points; "
                        "the data set loads without images."]
    # the same vectors with another, valid sprite: said, never dropped in silence
    vec = stage_upload((tmp_path / "v.npy").read_bytes(), "v.npy", chunk=1000)
    png = stage_upload(buf.getvalue(), "s.png", chunk=1000)
    _, warnings = load_staged(vec, None, None, "pics3", png, (10, 10))
    assert warnings == ["these embeddings and metadata are already stored as “pics”, so that data set is shown "
                        "under its own name (not “pics3”); it keeps the sprite it was stored with (the new one "
                        "was not used)."]


def test_a_text_column_with_a_value_per_point_says_why_it_cannot_colour(data_dir):
    n = 40
    ds = projector.load_dataset(np.random.default_rng(2).normal(size=(n, 4)).astype(np.float32),
                                pd.DataFrame({"token": [f"t{i}" for i in range(n)], "kind": ["a", "b"] * (n // 2),
                                              "score": np.arange(n, dtype=float)}), name="tokens")
    services.store().add(ds)
    options, unusable = data.colour_choices(services.store().get(ds.id))
    token = next(o for o in options if o["value"] == "token")
    assert token["disabled"] and "a different value on every point" in token["label"] and unusable == {"token"}
    assert not any(o.get("disabled") for o in options if o["value"] in ("kind", "score"))   # a gradient is fine
    out = data.set_up({"dataset": ds.id, "state": services.states().put(
        {"dataset": ds.id, "subset": None, "spherize": False, "method": "pca", "dims": 2, "params": {},
         "colour_by": "token", "label_by": "token", "images": False, "selection": {}, "search": {},
         "neighbours": {"k": 100, "metric": "cosine"}, "camera": None, "given": None, "controls": None}),
        "message": None, "nonce": "x"})
    assert out["colour"] is None and out["colour_message"].startswith("token has a different value on every point")


def test_every_switch_goes_through_one_setup(data_dir, words):
    value, options, setup = data.setup_for(words.id, None)   # picked in the list
    assert value is no_update and setup["dataset"] == words.id and setup["state"] is None
    goto = {"dataset": words.id, "state": "abc123abc123", "uid": "u1",
            "message": {"panel": "bookmarks", "text": "Restored “x”.", "kind": "ok"}}
    value, options, setup = data.setup_for(None, goto)       # a bookmark, a link, a reload, Load, a tag
    assert value == words.id and [o["value"] for o in options] == [words.id]
    assert (setup["state"], setup["uid"], setup["message"]) == (goto["state"], "u1", goto["message"])
    gone = data.setup_for(None, {**goto, "dataset": "0" * 20})[2]   # a data set no longer stored
    assert gone["dataset"] == words.id and gone["state"] is None
    tampered = data.setup_for("../../etc", None)[2]
    assert tampered["dataset"] is None and tampered["message"]["kind"] == "error"
    assert data.panel_message({"message": {"panel": "data", "text": "loaded x", "kind": "ok"}}, "data") == \
        ("Loaded x", "message ok")
    assert data.panel_message({"message": {"panel": "bookmarks", "text": "x"}}, "data") == ("", "message")


def test_streamed_uploads_enforce_size_order_and_completeness(data_dir, monkeypatch):
    monkeypatch.setenv("PROJECTOR_MAX_UPLOAD_BYTES", "100")
    with pytest.raises(projector.DataError, match="more than this server accepts"):
        staging.start("big.npy", 101)
    token = staging.start("a.npy", 10)["token"]
    staging.append(token, 0, b"12345")
    staging.append(token, 0, b"12345")  # a retried chunk overwrites, it does not duplicate
    with pytest.raises(projector.DataError, match="out of order"):
        staging.append(token, 8, b"90")
    with pytest.raises(projector.DataError, match="arrived incomplete"):
        staging.finish(token)
    staging.cancel(token)
    assert list(services.uploads_dir().iterdir()) == []
    with pytest.raises(projector.DataError, match="unknown"):
        staging.append("../../etc", 0, b"x")


def test_interrupted_uploads_are_swept(data_dir):
    token = staging.start("a.npy", 10)["token"]
    staging.append(token, 0, b"123")
    staging.sweep(now=time.time() + staging.STALE_SECONDS + 1)
    assert not (services.uploads_dir() / token).exists()

"""The TensorBoard log folder download in headless Chromium: the real button, the zip the browser saves,
unzipped and read back (by this app's loader and by TensorBoard's own proto and tensor reader)."""
import io
import json
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
from dash.testing.wait import until
from google.protobuf import text_format
from PIL import Image
from tensorboard.plugins.projector import projector_plugin
from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

import projector
from callbacks import services
from helpers import DIGITS, click_point, console_errors, open_app, set_input, text, wait_points, wait_text

BUTTON = "#export-tensorboard"


def saved_zip(dash_duo, name, timeout=60) -> Path:
    """The zip the browser saved as ``name`` (Chromium writes ``name.crdownload`` until it is complete)."""
    path = Path(dash_duo.download_path) / name
    until(lambda: path.is_file(), timeout,
          msg=lambda: f"no {name} in {sorted(p.name for p in Path(dash_duo.download_path).iterdir())}")
    return path


def unzipped(path: Path, into: Path) -> Path:
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        zf.extractall(into)
    [folder] = [p for p in into.iterdir() if p.is_dir()]
    return folder


def digits():
    [entry] = [e for e in services.store().list() if e["name"] == "Digits (sample)"]
    return services.store().get(entry["id"])


def bits(a):
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


def tile(sprite, k):
    return np.asarray(Image.open(io.BytesIO(sprite.thumbnail(k))).convert("RGBA"))


def test_the_button_downloads_a_log_folder_of_the_points_shown_that_reads_back_the_same(dash_duo, projector_app, tmp_path):
    ds = digits()
    open_app(dash_duo, projector_app)
    click_point(dash_duo, 21)
    wait_text(dash_duo, "#status", "101 selected")
    dash_duo.find_element("#bookmark-add").click()
    wait_text(dash_duo, "#bookmark-message", "Added “State 0”")
    dash_duo.find_element("#inspector-panel details.downloads summary").click()

    # all points: the sheet as it is, the bookmark with its clicked point
    dash_duo.find_element(BUTTON).click()
    wait_text(dash_duo, "#export-message", "Downloading Digits-sample-tensorboard.zip (1,797 points × 64, their images, "
                                           "1 bookmark;")
    assert "ok" in dash_duo.find_element("#export-message").get_attribute("class")
    folder = unzipped(saved_zip(dash_duo, "Digits-sample-tensorboard.zip"), tmp_path / "all")
    assert folder.name == "Digits-sample-tensorboard"
    [back], skipped = projector.load_logdir(folder)
    assert skipped == [] and back.name == "Digits (sample)"
    assert np.array_equal(bits(back.vectors), bits(ds.vectors))
    assert back.metadata.equals(ds.metadata)
    assert (folder / "sprite.png").read_bytes() == ds.sprite.png and back.sprite.tile == ds.sprite.tile
    assert np.array_equal(bits(projector_plugin._read_tensor_tsv_file(str(folder / "tensors.tsv"))), bits(ds.vectors))
    config = ProjectorConfig()
    text_format.Merge((folder / "projector_config.pbtxt").read_text(), config)
    assert list(config.embeddings[0].tensor_shape) == [DIGITS, 64] and config.embeddings[0].bookmarks_path == "bookmarks.txt"
    [mark] = json.loads((folder / "bookmarks.txt").read_text())
    assert mark["label"] == "State 0" and mark["selectedPoints"] == [21] and mark["dataSetDimensions"] == [DIGITS, 64]
    how = json.loads((folder / "provenance.json").read_text())
    assert how["data_set_id"] == ds.id and how["isolated_points"] is None and how["points"] == DIGITS

    # the isolated sevens: only their rows, their thumbnails re-tiled
    set_input(dash_duo, "#search-query", "^seven$")
    dash_duo.find_element("#search-regex input").click()
    dash_duo.find_element("#search-query").send_keys("\n")
    wait_text(dash_duo, "#search-message", "179 matches")
    dash_duo.find_element("#isolate").click()
    wait_points(dash_duo, 179)
    dash_duo.find_element(BUTTON).click()
    wait_text(dash_duo, "#export-message", "Downloading Digits-sample-isolated-179-tensorboard.zip (179 isolated points")
    folder = unzipped(saved_zip(dash_duo, "Digits-sample-isolated-179-tensorboard.zip"), tmp_path / "sevens")
    sevens = np.flatnonzero(ds.metadata["digit"].to_numpy() == "seven")
    [back], _ = projector.load_logdir(folder)
    assert np.array_equal(bits(back.vectors), bits(ds.vectors[sevens]))
    assert back.metadata["digit"].tolist() == ["seven"] * 179 and back.metadata["label"].tolist() == [7.0] * 179
    assert all(np.array_equal(tile(back.sprite, k), tile(ds.sprite, int(p))) for k, p in enumerate(sevens))
    how = json.loads((folder / "provenance.json").read_text())
    assert how["isolated_points"] == sevens.tolist()
    # the bookmark shows all points; in the sevens' folder it shows them all, and its clicked point 21 is not one
    [mark] = json.loads((folder / "bookmarks.txt").read_text())
    assert mark["dataSetDimensions"] == [179, 64] and mark["selectedPoints"] == [] and "filteredPoints" not in mark

    # a link that is not a ticket of this server is a sentence, not a zip
    try:
        urllib.request.urlopen(dash_duo.server_url + "/api/exports/tensorboard/" + "0" * 32 + "/x.zip")
        raise AssertionError("an unknown ticket was served")
    except urllib.error.HTTPError as exc:
        assert exc.code == 404 and "press “TensorBoard log folder (.zip)” again" in exc.read().decode()
    assert "error" not in dash_duo.find_element("#export-message").get_attribute("class")
    assert "isolated 179 of 1,797" in text(dash_duo, "#status")   # the view itself is left as it was
    assert console_errors(dash_duo) == []


def test_what_a_user_can_get_wrong_is_one_sentence_in_the_export_message(projector_app):
    from dash import no_update

    from callbacks import exports

    ds = digits()
    assert exports.download_logdir(1, None, None) == (no_update, "Pick a data set first.", "message error")
    gone = {"dataset": ds.id, "subset": {"id": "f" * 20, "n": 5}}
    link, said, kind = exports.download_logdir(1, gone, None)
    assert link is no_update and kind == "message error"
    assert said == ("The selected or isolated points are no longer on the server; press Show all data and select "
                    "them again.")
    lost = [{"uid": "a", "state": "0" * 12, "name": "old view", "dataset": ds.id},
            {"uid": "b", "state": "1" * 12, "name": "elsewhere", "dataset": "0" * 20}]   # another data set's: not asked
    link, said, kind = exports.download_logdir(1, {"dataset": ds.id}, lost)
    assert kind == "message warn" and said.endswith(
        "tensorboard --logdir Digits-sample-tensorboard. 1 bookmark of the tray (old view) is no longer on the server "
        "and was left out.")
    client = projector_app.server.test_client()
    assert client.get("/" + link["url"]).status_code == 200
    wrong_name = client.get("/" + link["url"].rsplit("/", 1)[0] + "/other.zip")
    assert wrong_name.status_code == 404 and wrong_name.get_data(as_text=True).startswith("This download link is not")
    assert client.get("/api/exports/tensorboard/not-a-ticket/x.zip").status_code == 404

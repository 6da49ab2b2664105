"""Every file of the bad-input corpus, sent to a running app the way the browser sends it (chunked
upload, then the Load or bookmark callback over HTTP): the user's sentence, an app that still
answers, and every data set stored before it untouched."""
import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from appproc import ENV, ROOT, run_app, stop
from httpclient import Client, http
from corpus import CASES, Case

def stored(data_dir: Path) -> dict:
    """Every stored data set's files and their hashes."""
    out = {}
    for folder in sorted((data_dir / "store" / "datasets").iterdir()):
        for f in sorted(folder.iterdir()):
            out[f"{folder.name}/{f.name}"] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    np.save(folder / "mine.npy", np.random.default_rng(9).normal(size=(50, 8)).astype(np.float32))
    proc, url, _ = run_app("--embeddings", str(folder / "mine.npy"), "--name", "mine", "--data-dir",
                           str(folder / "data"))
    yield {"url": url, "client": Client(url, data_dir=folder / "data"), "data": folder / "data", "proc": proc}
    stop(proc)


def dataset_ids(data_dir: Path) -> list[str]:
    return [p.name for p in (data_dir / "store" / "datasets").iterdir()]


def run_case(app, case: Case, tmp_path: Path) -> str:
    client = app["client"]
    if "config" in case.files:
        name, data = case.files["config"]
        if data == b"<symlink>":
            os.symlink("/etc/hostname", tmp_path / "t.bytes")
            data = json.dumps({"embeddings": [{"tensorName": "t", "tensorPath": "t.bytes",
                                               "tensorShape": [2, 2]}]}).encode()
        (tmp_path / name).write_bytes(data)
        out = subprocess.run([sys.executable, str(ROOT / "app.py"), "--config", str(tmp_path / name), "--no-sample",
                              "--data-dir", str(app["data"])], capture_output=True, text=True, timeout=60, env=ENV)
        assert out.returncode == 2, out.stderr
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1, out.stderr      # the sentence, nothing the interpreter printed on its way out
        return lines[-1]
    if "bookmarks" in case.files:
        name, data = case.files["bookmarks"]
        target = next(i for i in dataset_ids(app["data"])
                      if json.loads((app["data"] / "store" / "datasets" / i / "manifest.json").read_text())["name"] == "mine")
        if data == b"<dataset>":
            data = json.dumps({"format": "embedding-projector-bookmarks", "version": 1, "bookmarks": [
                {"name": "x", "state": {"dataset": target, "method": "pca", "dims": 2,
                                        "selection": {"points": [99_999]}}}]}).encode()
        contents = "data:application/json;base64," + base64.b64encode(data).decode()
        answer = client.call("bookmark-file.contents", contents,
                             {"bookmark-file.filename": name, "bookmark-tray.data": [], "view.data": {"dataset": target}})
        assert "bookmark-tray" not in answer and "goto" not in answer   # nothing added, nothing restored
        return answer["bookmark-message"]["children"]
    handles = {slot: client.upload(name, data) for slot, (name, data) in case.files.items()}
    refused = [h["refused"] for h in handles.values() if "refused" in h]
    if refused:
        assert not case.loads
        return refused[0]
    width, height = case.extra.get("sprite_dim") or (None, None)
    answer = client.call("load-upload.n_clicks", 1, {
        "staged-vectors.data": handles.get("vectors"), "staged-metadata.data": handles.get("metadata"),
        "staged-sprite.data": handles.get("sprite"), "bytes-dim.value": case.extra.get("dim"),
        "sprite-width.value": width, "sprite-height.value": height, "upload-name.value": case.name})
    loaded = "goto" in answer
    message = answer["goto"]["data"]["message"]["text"] if loaded else answer["data-message"]["children"]
    assert loaded == case.loads, message   # only a tolerated file becomes a data set
    return message


def test_the_corpus_has_at_least_40_cases_across_every_kind_of_input():
    kinds = {slot for case in CASES for slot in case.files}
    assert len(CASES) >= 40 and {"vectors", "metadata", "sprite", "bookmarks", "config"} <= kinds


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_bad_input_gets_its_sentence_and_loses_nothing(app, case, tmp_path):
    before = stored(app["data"])
    message = run_case(app, case, tmp_path)
    assert case.expect in message, message
    assert len(message) < 400 and message.count(". ") <= 2, message      # a sentence or two, not a traceback
    assert "Traceback" not in message
    status, _ = http(app["url"] + "/")
    assert status == 200 and app["proc"].poll() is None                  # the app still answers
    after = stored(app["data"])
    assert {k: v for k, v in after.items() if k in before} == before     # every stored data set intact
    if not case.loads:
        assert set(after) == set(before)                                 # and nothing half-made listed

"""The command line: help, a bad file's sentence, and data sets that survive a restart."""
import subprocess
import sys

import numpy as np

from appproc import ENV, ROOT, run_app, stop


def test_help_lists_the_options():
    out = subprocess.run([sys.executable, str(ROOT / "app.py"), "--help"], capture_output=True, text=True,
                         timeout=60, env=ENV)
    assert out.returncode == 0
    for flag in ("--embeddings", "--metadata", "--config", "--data-dir", "--host", "--port", "--max-upload-gb"):
        assert flag in out.stdout


def test_a_bad_file_is_one_sentence_and_exit_2(tmp_path):
    (tmp_path / "x.npy").write_text("not an array")
    out = subprocess.run([sys.executable, str(ROOT / "app.py"), "--embeddings", str(tmp_path / "x.npy"),
                          "--data-dir", str(tmp_path / "d")], capture_output=True, text=True, timeout=60, env=ENV)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1].startswith("error: x.npy is not a NumPy .npy file")


def test_data_sets_survive_a_restart(tmp_path):
    np.save(tmp_path / "v.npy", np.random.default_rng(0).normal(size=(40, 5)).astype(np.float32))
    (tmp_path / "m.tsv").write_text("".join(f"w{i}\n" for i in range(40)))
    data = str(tmp_path / "data")
    proc, _, layout = run_app("--embeddings", str(tmp_path / "v.npy"), "--metadata", str(tmp_path / "m.tsv"),
                           "--name", "mine", "--no-sample", "--data-dir", data)
    stop(proc)
    assert "mine (40 × 5)" in layout
    proc, _, layout = run_app("--no-sample", "--data-dir", data)  # no files named this time
    stop(proc)
    assert "mine (40 × 5)" in layout and '"id": "scatter"' in layout  # the real page, with the data set


def test_a_sprite_from_the_command_line_serves_thumbnails(tmp_path):
    import re
    import urllib.request

    from PIL import Image

    np.save(tmp_path / "v.npy", np.random.default_rng(1).normal(size=(12, 3)).astype(np.float32))
    Image.new("RGB", (40, 30), (200, 10, 10)).save(tmp_path / "s.png")  # 4 × 3 tiles of 10 × 10
    proc, url, layout = run_app("--embeddings", str(tmp_path / "v.npy"), "--sprite", str(tmp_path / "s.png"),
                                "--sprite-dim", "10", "10", "--no-sample", "--data-dir", str(tmp_path / "data"))
    try:
        dataset_id = re.search(r'"value": "([0-9a-f]{20})"', layout).group(1)
        with urllib.request.urlopen(f"{url}/api/sprites/{dataset_id}/11.png", timeout=10) as r:
            assert r.status == 200 and Image.open(r).size == (10, 10)
    finally:
        stop(proc)
    # a sheet too small for the points: the data set still loads, and the command line says why
    proc, _, layout = run_app("--embeddings", str(tmp_path / "v.npy"), "--sprite", str(tmp_path / "s.png"),
                              "--sprite-dim", "20", "20", "--no-sample", "--data-dir", str(tmp_path / "data2"))
    stop(proc)
    assert "v (12 × 3)" in layout
    assert "warning: the sprite s.png holds 2 thumbnails of 20×20 px but there are 12 points" in proc.stdout.read()


def test_a_parquet_file_with_two_vector_columns_needs_its_column_named(tmp_path):
    import pandas as pd

    X = np.random.default_rng(3).normal(size=(30, 5)).astype(np.float32)
    pd.DataFrame({"word": [f"w{i}" for i in range(30)], "emb": list(X), "emb2": list(X * 2)}).to_parquet(
        tmp_path / "docs.parquet")
    out = subprocess.run([sys.executable, str(ROOT / "app.py"), "--embeddings", str(tmp_path / "docs.parquet"),
                          "--data-dir", str(tmp_path / "d")], capture_output=True, text=True, timeout=60, env=ENV)
    assert out.returncode == 2 and "found: emb, emb2" in out.stderr.strip().splitlines()[-1]
    proc, _, layout = run_app("--embeddings", str(tmp_path / "docs.parquet"), "--vector-column", "emb2",
                              "--no-sample", "--data-dir", str(tmp_path / "d"))
    stop(proc)
    assert "docs (30 × 5)" in layout


def test_logdir_opens_every_step_a_summary_writer_wrote(tmp_path):
    from tensorboardX import SummaryWriter

    w = SummaryWriter(str(tmp_path / "logs" / "run1"))
    for step in (0, 7):
        w.add_embedding(np.random.default_rng(step).normal(size=(12, 4)).astype(np.float32), global_step=step,
                        tag="emb")
    w.close()
    proc, _, layout = run_app("--logdir", str(tmp_path / "logs"), "--no-sample", "--data-dir", str(tmp_path / "d"))
    stop(proc)
    assert "run1 · emb:00000 (12 × 4)" in layout and "run1 · emb:00007 (12 × 4)" in layout


def test_logdir_opens_every_step_of_a_tensorflow_checkpoint(tmp_path):
    logs = ROOT / "tests" / "fixtures" / "tf" / "tf2_embedding"      # written by TensorFlow itself
    proc, _, layout = run_app("--logdir", str(logs), "--no-sample", "--data-dir", str(tmp_path / "d"))
    stop(proc)
    for step in (1, 2, 3):
        assert f"embedding · step {step} (250 × 16)" in layout
    assert "keras · model/words/_embeddings · step 1 (250 × 16)" in layout and "OPTIMIZER_SLOT" not in layout
    assert "warning: dtypes · step 1 · complex: 'complex' holds complex numbers" in proc.stdout.read()


def test_logdir_keeps_watching_the_folder(tmp_path):
    """--reload-interval: a step add_embedding writes after the app started is stored without a restart."""
    import json
    import time

    from tensorboardX import SummaryWriter

    w = SummaryWriter(str(tmp_path / "logs" / "run1"))
    w.add_embedding(np.random.default_rng(0).normal(size=(12, 4)).astype(np.float32), global_step=1, tag="emb")
    w.flush()
    data = tmp_path / "d"
    proc, _, layout = run_app("--logdir", str(tmp_path / "logs"), "--reload-interval", "0.5", "--no-sample",
                              "--data-dir", str(data))
    try:
        assert "run1 · emb:00001" in layout
        w.add_embedding(np.random.default_rng(1).normal(size=(12, 4)).astype(np.float32), global_step=2, tag="emb")
        w.close()
        names, deadline = set(), time.monotonic() + 30
        while time.monotonic() < deadline and "run1 · emb:00002" not in names:
            time.sleep(0.25)
            names = {json.loads(m.read_text())["name"] for m in (data / "store" / "datasets").glob("*/manifest.json")}
        assert "run1 · emb:00002" in names
    finally:
        stop(proc)


def test_a_log_folder_opens_on_the_latest_step_of_its_first_tensor(tmp_path):
    import json
    import re

    logs = ROOT / "tests" / "fixtures" / "tf" / "tf1_word2vec"      # steps 400 and 600 of embedding, nce_weights
    proc, _, layout = run_app("--logdir", str(logs), "--no-sample", "--data-dir", str(tmp_path / "d"))
    stop(proc)
    by_id = {json.loads(m.read_text())["id"]: json.loads(m.read_text())["name"]
             for m in (tmp_path / "d" / "store" / "datasets").glob("*/manifest.json")}
    picker = re.search(r'"id":\s*"dataset-picker".*?"value":\s*"([0-9a-f]+)"|"value":\s*"([0-9a-f]+)"[^{}]*"id":\s*"dataset-picker"',
                       layout, re.S)
    shown = next(g for g in picker.groups() if g)
    assert by_id[shown] == "embedding · step 600"


def test_gunicorn_workers_watch_the_log_folder_of_projector_logdir(tmp_path):
    """PROJECTOR_LOGDIR under gunicorn: the folder's embeddings are listed, and a step written later is stored
    once (two workers watch it; the store keeps one copy)."""
    import json
    import time

    from tensorboardX import SummaryWriter

    w = SummaryWriter(str(tmp_path / "logs" / "run1"))
    w.add_embedding(np.random.default_rng(0).normal(size=(12, 4)).astype(np.float32), global_step=1, tag="emb")
    w.flush()
    data = tmp_path / "d"
    proc, _, layout = run_app(gunicorn_workers=2, timeout=120, env={
        "PROJECTOR_DATA_DIR": str(data), "PROJECTOR_LOGDIR": str(tmp_path / "logs"), "PROJECTOR_RELOAD_INTERVAL": "0.5"})
    try:
        assert "run1 · emb:00001 (12 × 4)" in layout
        w.add_embedding(np.random.default_rng(1).normal(size=(12, 4)).astype(np.float32), global_step=2, tag="emb")
        w.close()
        names, deadline = [], time.monotonic() + 30
        while time.monotonic() < deadline and "run1 · emb:00002" not in names:
            time.sleep(0.25)
            names = [json.loads(m.read_text())["name"] for m in (data / "store" / "datasets").glob("*/manifest.json")]
        assert sorted(n for n in names if n.startswith("run1")) == ["run1 · emb:00001", "run1 · emb:00002"]
    finally:
        stop(proc)

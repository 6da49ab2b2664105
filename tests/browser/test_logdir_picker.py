"""A TensorFlow-trained word embedding's log folder (written by TensorFlow: scripts/make_tf_checkpoints.py)
in the browser: the words on the map, the run × tensor × step picker, and a checkpoint training saves while
the page is open appearing in the picker without a reload."""
import shutil
import time
from pathlib import Path

import projector
from callbacks import services
from helpers import choose, console_errors, open_app, text, wait_points, wait_text
from projector.watch import LogdirWatcher

TF1 = Path(__file__).resolve().parents[1] / "fixtures" / "tf" / "tf1_word2vec"


def options_of(dash_duo, selector):
    """The labels a dropdown offers, read from its open menu (the menu is closed again)."""
    dash_duo.find_element(selector).click()
    menu = dash_duo.find_element(".dash-dropdown-options")
    labels = [e.text for e in menu.find_elements("css selector", ".dash-dropdown-option")]
    dash_duo.find_element(selector).click()
    time.sleep(0.2)
    return labels


def test_a_tensorflow_log_folder_its_picker_and_a_checkpoint_saved_meanwhile(dash_duo, projector_app, tmp_path):
    logs = tmp_path / "w2v"
    logs.mkdir()
    for name in ("metadata.tsv", "projector_config.pbtxt", "model.ckpt-400.index", "model.ckpt-400.data-00000-of-00001"):
        shutil.copy(TF1 / name, logs / name)
    (logs / "checkpoint").write_text('model_checkpoint_path: "model.ckpt-400"\n')
    watcher = LogdirWatcher(logs, services.store(), interval=0.5, on_warning=lambda _: None)
    watcher.scan()                                   # what --logdir stores before the page opens
    watcher.start()
    try:
        step400 = next(m for m in services.store().list()
                       if (m.get("source") or {}).get("step") == 400 and m["source"]["tensor"] == "embedding")
        open_app(dash_duo, projector_app)
        choose(dash_duo, "#dataset-picker", f"{step400['name']} ({step400['num_points']:,} × 16)")
        wait_points(dash_duo, step400["num_points"])
        wait_text(dash_duo, "#status", f"{step400['name']}: {step400['num_points']:,} points")
        words = (TF1 / "metadata.tsv").read_text().split()
        ds = services.store().get(step400["id"])
        assert list(ds.metadata.iloc[:, 0].astype(str)) == words       # the words are the labels
        assert options_of(dash_duo, "#logdir-tensor") == ["embedding", "nce_weights"]
        assert options_of(dash_duo, "#logdir-step") == ["step 400"]
        # training saves step 600 while the page is open
        for name in ("model.ckpt-600.data-00000-of-00001", "model.ckpt-600.index"):
            shutil.copy(TF1 / name, logs / name)
        (logs / "checkpoint").write_text((TF1 / "checkpoint").read_text())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and options_of(dash_duo, "#logdir-step") != ["step 400", "step 600"]:
            time.sleep(1)
        assert options_of(dash_duo, "#logdir-step") == ["step 400", "step 600"]
        choose(dash_duo, "#logdir-step", "step 600")
        step600 = next(m for m in services.store().list()
                       if (m.get("source") or {}).get("step") == 600 and m["source"]["tensor"] == "embedding")
        wait_text(dash_duo, "#status", f"{step600['name']}: ")
        assert step600["id"] != step400["id"]
        # another tensor of the run: its latest step
        choose(dash_duo, "#logdir-tensor", "nce_weights")
        wait_text(dash_duo, "#status", "nce_weights · step 600")
        assert "nce_weights" in text(dash_duo, "#dataset-picker")
        assert console_errors(dash_duo) == []
    finally:
        watcher.stop()

"""The log folder's run × tensor × step picker and the store tick: which data set each pick names, and that
a data set stored meanwhile (a new checkpoint, another client's upload) reaches every page's lists."""
import numpy as np
import pandas as pd
import pytest
from dash import no_update
from dash.exceptions import PreventUpdate

import projector
from callbacks import data, services


def logged(run, tensor, step, seed):
    X = np.random.default_rng(seed).normal(size=(20, 4)).astype(np.float32)
    ds = projector.load_dataset(X, pd.DataFrame({"w": [f"w{i}" for i in range(20)]}), name=f"{run} · {tensor} · {step}")
    ds.source = {"logdir": "/logs", "run": run, "tensor": tensor, "step": step}
    return services.store().add(ds)


@pytest.fixture
def runs(data_dir):
    ids = {}
    for i, (run, tensor, step) in enumerate([("a", "emb", 100), ("a", "emb", 200), ("a", "emb", 1_000),
                                             ("a", "kernel", 200), ("b", "emb", 50), ("b", "other", 70)]):
        ids[(run, tensor, step)] = logged(run, tensor, step, i)
    return ids


def test_the_picker_shows_the_data_set_on_screen_and_its_siblings(runs):
    p = data.picker_for(runs[("a", "emb", 200)])
    assert not p["hidden"] and (p["run"], p["tensor"], p["step"]) == ("a", "emb", runs[("a", "emb", 200)])
    assert [o["value"] for o in p["runs"]] == ["a", "b"]
    assert [o["value"] for o in p["tensors"]] == ["emb", "kernel"]
    # steps in numeric order (1,000 after 200), each option a data set
    assert [o["value"] for o in p["steps"]] == [runs[("a", "emb", s)] for s in (100, 200, 1_000)]
    assert [o["label"] for o in p["steps"]] == ["step 100", "step 200", "step 1,000"]


def test_no_log_folder_no_picker(words):
    assert data.picker_for(words.id)["hidden"]


def test_a_data_set_not_from_the_log_folder_hides_the_picker(runs, words):
    assert data.picker_for(words.id)["hidden"]


def test_each_pick_names_one_data_set(runs, monkeypatch):
    def pick(run, tensor, step, current, trigger):
        monkeypatch.setattr(data, "ctx", type("C", (), {"triggered_prop_ids": {f"{trigger}.value": trigger}})())
        return data.pick_logged(run, tensor, step, current)

    from components import ids
    here = runs[("a", "emb", 200)]
    assert pick("a", "emb", runs[("a", "emb", 100)], here, ids.PICK_STEP) == runs[("a", "emb", 100)]
    # another tensor of the run: its latest step
    assert pick("a", "kernel", here, here, ids.PICK_TENSOR) == runs[("a", "kernel", 200)]
    # another run: the same tensor there, at its latest step
    assert pick("b", "emb", here, here, ids.PICK_RUN) == runs[("b", "emb", 50)]
    # a run without that tensor: its first tensor's latest step
    assert pick("b", "kernel", runs[("a", "kernel", 200)], runs[("a", "kernel", 200)], ids.PICK_RUN) == runs[("b", "emb", 50)]
    # the pickers set to the data set on screen (as set_up_picker does) change nothing
    assert pick("a", "emb", here, here, ids.PICK_STEP) is no_update
    assert pick("zzz", "emb", "0" * 16, here, ids.PICK_RUN) is no_update


def test_the_tick_brings_new_data_sets_and_nothing_else(runs):
    current = runs[("a", "emb", 200)]
    options = data.dataset_options()
    with pytest.raises(PreventUpdate):
        data.store_tick(1, options, current)
    new = logged("a", "emb", 2_000, 99)           # training saved another checkpoint meanwhile
    out = data.store_tick(2, options, current)
    assert new in {o["value"] for o in out["options"]}
    assert out["step"] == current and new in [o["value"] for o in out["steps"]]
    assert out["run"] == "a" and out["tensor"] == "emb"

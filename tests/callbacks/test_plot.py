"""The map as data: what the figure draws for a view state, and the Patches that change only what changed."""
import json

import numpy as np
import plotly.io
import pytest
from dash import Patch, no_update

import projector
from callbacks import plot, projection, services
from callbacks.figures import untyped
from callbacks.views import keep_points
from conftest import PCA, view_of


def as_json(patch) -> dict:
    """A Patch as the operations Dash sends (plain data, as Dash's own Patch tests read it)."""
    return json.loads(plotly.io.json.to_json_plotly(patch.to_plotly_json()))


def touched(patch) -> set[str]:
    return {".".join(map(str, op["location"])) for op in as_json(patch)["operations"]}


def shown_of(view):
    return projection.plan(view, None, None, False)["shown"]


def test_a_full_draw_holds_exactly_the_views_points_and_the_header_says_what_is_drawn(words):
    view = view_of(words, PCA, colour="group", label="word")
    out = plot.reconcile(view, shown_of(view), None, None, None, None)
    fig = out["figure"]
    xs = untyped(fig["data"][0]["x"])
    expected = projector.project(words, "pca", cache=services.cache()).coords
    np.testing.assert_allclose(xs, expected[:, 0], rtol=1e-6)
    assert fig["data"][0]["hovertext"][:3] == ["politics", "political", "policy"]
    assert fig["data"][0]["text"][:3] == ["politics", "political", "policy"]   # 60 ≤ 200 points: labels on the plot
    assert out["status"] == "words: 60 points · 8 dimensions · PCA 2D (PC1, PC2) · 0 selected"
    assert [row.children[1].children for row in out["legend"]] == ["g0", "g1", "g2", "g3"]


def test_a_shown_projection_of_other_points_is_never_drawn(words):
    everything = view_of(words, PCA)
    shown = shown_of(everything)
    isolated = view_of(words, PCA, subset=[1, 2, 3])
    out = plot.reconcile(isolated, shown, None, None, None, None)
    assert out["figure"]["data"][0]["x"] == [] and "annotations" in out["figure"]["layout"]
    assert "isolated 3 of 60" in out["status"] and "nothing drawn yet" in out["status"]
    watched = {"state": "watching", "method": "pca", "job": "x", "key": "k"}
    out = plot.reconcile(isolated, shown, None, watched, None, None)
    assert out["figure"]["layout"]["annotations"][0]["text"] == "Computing PCA of the 3 points…"


def test_a_selection_patches_only_the_highlights(words):
    view = view_of(words, PCA, label="word")
    shown = shown_of(view)
    first = plot.reconcile(view, shown, None, None, None, None)
    selection = {"dataset": words.id, "anchor": 4, "neighbors": [[10, 0.1], [16, 0.2]], "points": None,
                 "filter": False, "search": None}
    clicked = view_of(words, PCA, label="word", selection=selection)
    out = plot.reconcile(clicked, shown, None, None, None, first["drawn"])
    assert isinstance(out["figure"], Patch) and out["legend"] is no_update
    assert touched(out["figure"]) <= {f"data.1.{k}" for k in ("x", "y", "customdata", "hovertext", "text")} | \
        {f"data.1.marker.{k}" for k in ("color", "size", "colorscale", "cmin", "cmax")} | {"data.0.marker.opacity"}
    ops = {".".join(map(str, op["location"])): op["params"]["value"] for op in as_json(out["figure"])["operations"]}
    assert ops["data.1.customdata"] == [10, 16, 4]          # the clicked point drawn last, on top
    assert ops["data.1.text"] == ["good", "good", "good"]    # the clicked point and its neighbours carry their labels
    assert "1 selected" not in out["status"] and "3 selected" in out["status"]
    searched = view_of(words, PCA, label="word", selection=keep_points({**selection, "anchor": None,
                                                                         "neighbors": []}, [0, 1]))
    out = plot.reconcile(searched, shown, None, None, None, first["drawn"])
    ops = {".".join(map(str, op["location"])): op["params"]["value"] for op in as_json(out["figure"])["operations"]}
    assert ops["data.1.text"] == ["", ""] and ops["data.1.hovertext"] == ["politics", "political"]


def test_colour_and_labels_are_patches_of_their_own(words):
    view = view_of(words, PCA, colour="group", label="word")
    shown = shown_of(view)
    first = plot.reconcile(view, shown, None, None, None, None)
    recoloured = plot.reconcile(view_of(words, PCA, colour="score", label="word"), shown, None, None, None,
                                first["drawn"])
    assert {loc for loc in touched(recoloured["figure"]) if not loc.startswith("data.0.marker.")} == set()
    assert recoloured["legend"] is not no_update
    relabelled = plot.reconcile(view_of(words, PCA, colour="group", label="group"), shown, None, None, None,
                                first["drawn"])
    assert {"data.0.hovertext", "data.0.text"} <= touched(relabelled["figure"])
    assert not any(loc.startswith("data.0.x") for loc in touched(relabelled["figure"]))
    same = plot.reconcile(view, shown, None, None, None, first["drawn"])
    assert same["figure"] is no_update


def test_frames_of_the_followed_job_move_the_points_and_its_end_brings_the_picture_back(words, data_dir):
    view = view_of(words, {"method": "tsne", "dims": 2, "params": {"perplexity": 5, "iterations": 40}})
    pca = shown_of(view_of(words, PCA))
    start = projection.plan(view, pca, None, True)
    watch = start["watch"]
    frames = np.random.default_rng(0).normal(size=(60, 2)).astype(np.float32)
    services.jobs().put_frame(watch["job"], frames)
    frame = {"job": watch["job"], "key": watch["key"], "seq": 1, "dataset": words.id, "subset": None, "done": 10,
             "total": 40, "method": "tsne"}
    drawn_pca = plot.reconcile(view, pca, None, None, None, None)["drawn"]
    first = plot.reconcile(view, pca, frame, watch, None, drawn_pca)
    np.testing.assert_allclose(untyped(first["figure"]["data"][0]["x"]), frames[:, 0])
    assert "t-SNE running: iteration 10 of 40" in first["status"]
    services.jobs().put_frame(watch["job"], frames * 2)
    second = plot.reconcile(view, pca, {**frame, "seq": 2, "done": 20}, watch, None, first["drawn"])
    assert isinstance(second["figure"], Patch) and "data.0.x" in touched(second["figure"])
    # a frame of a job this page no longer follows is not drawn
    assert plot.target_of(view, pca, frame, None)[0] == "shown"
    cancelled = plot.reconcile(view, pca, frame, {**watch, "state": "cancelled"}, None, second["drawn"])
    xs = untyped(cancelled["figure"]["data"][0]["x"])
    np.testing.assert_allclose(xs, projector.project(words, "pca", cache=services.cache()).coords[:, 0], rtol=1e-6)
    assert "PCA 2D" in cancelled["status"]


def test_a_restored_camera_is_applied_once_to_its_projection(words):
    view = view_of(words, PCA, camera={"camera": {"x": [-1, 1], "y": [-2, 2]}, "method": "pca", "nonce": "n1"})
    out = plot.reconcile(view, shown_of(view), None, None, None, None)
    layout = out["figure"]["layout"]
    assert layout["xaxis"]["range"] == [-1, 1] and layout["yaxis"]["autorange"] is False
    assert out["drawn"]["camera"] == "n1"
    again = plot.reconcile(view, shown_of(view), None, None, None, out["drawn"])
    assert again["figure"] is no_update
    other = view_of(words, PCA, camera={"camera": {"x": [-1, 1], "y": [-2, 2]}, "method": "tsne", "nonce": "n2"})
    assert "range" not in plot.reconcile(other, shown_of(other), None, None, None, None)["figure"]["layout"]["xaxis"]


@pytest.mark.parametrize("n,labelled", [(200, True), (201, False)])
def test_every_label_is_written_on_the_plot_only_for_a_few_points(data_dir, n, labelled):
    import pandas as pd

    ds = projector.load_dataset(np.random.default_rng(n).normal(size=(n, 3)).astype(np.float32),
                                pd.DataFrame({"w": [f"p{i}" for i in range(n)]}), name="few")
    services.store().add(ds)
    view = view_of(ds, PCA)
    trace = plot.reconcile(view, shown_of(view), None, None, None, None)["figure"]["data"][0]
    assert ("text" in trace) is labelled and trace["mode"] == ("markers+text" if labelled else "markers")


def test_a_recolour_redraws_the_selected_points_in_their_new_colours(words):
    """Seen on a walk: selected points kept their cluster colour after the map was recoloured by a score."""
    selection = keep_points({"dataset": words.id, "anchor": None, "neighbors": [], "points": None, "filter": False,
                             "search": None}, [0, 1, 2])
    view = view_of(words, PCA, colour="group", label="word", selection=selection)
    shown = shown_of(view)
    first = plot.reconcile(view, shown, None, None, None, None)
    recoloured = plot.reconcile(view_of(words, PCA, colour="score", label="word", selection=selection), shown, None,
                                None, None, first["drawn"])
    assert {"data.1.marker.color", "data.1.marker.colorscale"} <= touched(recoloured["figure"])

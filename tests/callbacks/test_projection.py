"""The Projection panel's logic as functions: the request its tabs make, and the planner that decides
what the plot shows — never points of another data set or subset."""
import numpy as np
import pandas as pd
from dash import no_update

import projector
from callbacks import projection, services
from callbacks.views import same_points
from conftest import PCA, view_of

TSNE = {"method": "tsne", "dims": 2, "params": {"perplexity": 5, "learning_rate": "auto", "iterations": 40}}


def controls(**tab):
    base = dict(tab="pca", pca=dict(x=0, y=1, z=2, three_d=[]),
                tsne=dict(three_d=[], perplexity=None, learning_rate=None, iterations=300),
                umap=dict(three_d=["3d"], neighbors=15, min_dist=0.1),
                custom=dict(left="bad", right="good", up=None, down="", regex=["on"], column="word"),
                raw=dict(three_d=[]), given=None)
    return {**base, **tab}


def test_each_tab_asks_for_its_projection():
    assert projection.part(**controls()) == {"method": "pca", "dims": 2, "params": {"components": [0, 1]}}
    pca3 = controls(pca=dict(x=2, y=0, z=1, three_d=["3d"]))
    assert projection.part(**pca3)["params"] == {"components": [2, 0, 1]} and projection.part(**pca3)["dims"] == 3
    assert projection.part(**controls(tab="tsne"))["params"] == {"perplexity": None, "learning_rate": "auto",
                                                                  "iterations": 300}
    assert projection.part(**controls(tab="umap")) == {"method": "umap", "dims": 3,
                                                       "params": {"n_neighbors": 15, "min_dist": 0.1}}
    custom = projection.part(**controls(tab="custom"))
    assert custom["params"] == {"left": "bad", "right": "good", "up": "", "down": "", "regex": True, "column": "word"}


def test_a_cached_projection_is_shown_at_once(words):
    view = view_of(words, PCA)
    out = projection.plan(view, None, None, False)
    shown = out["shown"]
    assert same_points(shown, view) and shown["method"] == "pca" and out["job"] is no_update
    assert out["message"] == ("", "message")
    # the same view again: nothing to do
    assert projection.plan(view, shown, None, False)["shown"] is no_update
    # other axes come from the same cached PCA
    other = projection.plan(view_of(words, {"method": "pca", "dims": 2, "params": {"components": [2, 3]}}), shown,
                            None, False)["shown"]
    assert other["params"] == {"components": [2, 3]} and other["key"] == shown["key"]


def test_t_sne_waits_for_run_and_the_plot_keeps_the_points_of_the_view(words, data_dir):
    pca = projection.plan(view_of(words, PCA), None, None, False)["shown"]
    view = view_of(words, TSNE)
    out = projection.plan(view, pca, None, False)
    assert out["shown"] is no_update and out["job"] is no_update   # the PCA of the same points stays
    assert out["message"][0] == "Press Run to compute t-SNE on the 60 points." and out["message"][1] == "message info"
    run = projection.plan(view, pca, None, True)
    job, watch = run["job"], run["watch"]
    assert job["method"] == "tsne" and job["points"] == 60 and watch["state"] == "watching" and watch["key"] == job["key"]
    assert services.jobs().active(job["key"])["state"] == "queued"
    # another page (a reload, a second tab) asking for the same projection follows that job
    again = projection.plan(view, None, None, False)
    assert again["watch"]["job"] == job["job"] and again["job"] is no_update
    assert same_points(again["shown"], view) and again["shown"]["method"] == "pca"


def test_a_switch_of_data_set_never_keeps_the_old_points(words, data_dir):
    other = projector.load_dataset(np.random.default_rng(1).normal(size=(25, 3)).astype(np.float32),
                                   pd.DataFrame({"w": [f"x{i}" for i in range(25)]}), name="other")
    services.store().add(other)
    old = projection.plan(view_of(words, TSNE), None, None, True)
    tsne_of_words = {**old["watch"], "state": "done"}
    shown_words = projection.plan(view_of(words, PCA), None, None, False)["shown"]
    for request in (TSNE, {"method": "umap", "dims": 2, "params": {"n_neighbors": 5, "min_dist": 0.1}}, PCA):
        view = view_of(other, request)
        out = projection.plan(view, shown_words, tsne_of_words, False)
        assert out["shown"] is not no_update and same_points(out["shown"], view), request
        assert out["watch"] is None   # the job of the other data set is no longer followed


def test_isolating_on_the_t_sne_tab_projects_the_subset_again(words, data_dir, monkeypatch):
    pca_all = projection.plan(view_of(words, PCA), None, None, False)["shown"]
    view = view_of(words, TSNE, subset=range(0, 60, 3))
    out = projection.plan(view, pca_all, None, False)
    assert same_points(out["shown"], view) and out["shown"]["n"] == 20   # the subset's PCA at once
    assert out["job"]["method"] == "tsne" and out["job"]["points"] == 20   # and its t-SNE starts by itself
    monkeypatch.setattr(projection, "AUTO_RUN_MAX", 10)   # these 20 points now count as many
    view = view_of(words, TSNE, subset=range(1, 60, 3))
    said = projection.plan(view, pca_all, None, False)
    assert said["job"] is no_update and "Press Run to compute t-SNE on the 20 isolated points" in said["message"][0]


def test_a_job_that_failed_or_was_cancelled_is_not_restarted_until_run(words, data_dir):
    view = view_of(words, TSNE)
    run = projection.plan(view, None, None, True)
    services.jobs().update(run["job"]["key"], run["job"]["job"], state="cancelled")
    ended = {**run["watch"], "state": "cancelled"}
    out = projection.plan(view, run["shown"], ended, False)
    assert out["watch"] is None and out["job"] is no_update
    assert out["message"] == ("t-SNE cancelled; press Run to start it again.", "message warn")
    assert projection.plan(view, run["shown"], None, True)["job"]["method"] == "tsne"


def test_a_cheap_projection_whose_job_died_starts_again_when_asked_for(words, data_dir):
    """A custom-axes job killed by the page (the user typed on) must not leave its view without a picture."""
    custom = {"method": "custom", "dims": 2, "params": {"left": "a", "right": "b", "up": "", "down": "",
                                                        "regex": False, "column": "word"}}
    view = view_of(words, custom)
    first = projection.plan(view, None, None, False)
    assert first["job"]["method"] == "custom"
    services.jobs().update(first["job"]["key"], first["job"]["job"], state="died")
    again = projection.plan(view, None, None, False)
    assert again["job"]["method"] == "custom" and again["watch"]["state"] == "watching"


def test_a_finished_job_is_drawn_and_not_called_cached(words, data_dir):
    from projector.jobs import run

    view = view_of(words, TSNE)
    start = projection.plan(view, None, None, True)
    run(start["job"], start["job"]["job"], store=services.store(), cache=services.cache(), registry=services.jobs())
    out = projection.plan(view, start["shown"], {**start["watch"], "state": "done"}, False)
    assert out["shown"]["method"] == "tsne" and out["shown"]["cached"] is False and out["watch"] is None
    later = projection.plan(view, None, None, False)["shown"]
    assert later["cached"] is True and "From the server's cache." in projection.describe(later)


def test_bad_parameters_say_so_and_keep_a_picture_of_the_points(words):
    view = view_of(words, {**TSNE, "params": {**TSNE["params"], "perplexity": 5000}})
    out = projection.plan(view, None, None, True)
    assert "Perplexity must be between 1 and the number of points" in out["message"][0]
    assert out["message"][1] == "message error" and same_points(out["shown"], view) and out["job"] is no_update
    empty = projection.plan(view_of(words, {"method": "custom", "dims": 2, "params": {}}), None, None, False)
    assert "Type a query" in empty["message"][0] and same_points(empty["shown"], view)


def test_following_a_job_reads_its_record_and_cancel_reaches_it(words, data_dir):
    view = view_of(words, TSNE)
    start = projection.plan(view, None, None, True)
    watch = start["watch"]
    services.jobs().update(watch["key"], watch["job"], state="running", done=20, total=40, text="t-SNE iteration 20 of 40")
    services.jobs().put_frame(watch["job"], np.zeros((60, 2), np.float32))
    services.jobs().update(watch["key"], watch["job"], frame=1)
    out = projection.follow(1, watch, None)
    assert (out["value"], out["max"], out["text"]) == ("20", "40", "t-SNE iteration 20 of 40")
    assert out["frame"]["seq"] == 1 and out["frame"]["job"] == watch["job"] and same_points(out["frame"], view)
    assert projection.follow(2, watch, out["frame"])["frame"] is no_update   # the same frame is not sent again
    cancelled = projection.cancel(1, watch)
    assert cancelled["state"] == "cancelled" and services.jobs().cancel_requested(watch["job"])
    assert projection.follow(3, cancelled, None)["value"] is no_update   # nothing followed any more


def test_a_job_restarted_by_another_page_is_followed_and_a_vanished_one_has_died(words, data_dir):
    view = view_of(words, TSNE)
    start = projection.plan(view, None, None, True)
    watch = start["watch"]
    services.jobs().update(watch["key"], watch["job"], state="cancelled")
    services.jobs().queue(start["job"], "newer")          # another page pressed Run for the same projection
    out = projection.follow(1, watch, None)
    assert out["watch"]["job"] == "newer" and out["watch"]["state"] == "watching"
    gone = {**watch, "key": "proj:" + "0" * 32}
    assert projection.follow(2, gone, None)["watch"]["state"] == "died"


def test_opening_the_tsne_tab_on_a_few_isolated_points_starts_it(words, data_dir, monkeypatch):
    pca_subset = projection.plan(view_of(words, PCA, subset=range(20)), None, None, False)["shown"]
    out = projection.plan(view_of(words, TSNE, subset=range(20)), pca_subset, None, False)
    assert out["job"]["method"] == "tsne" and out["job"]["points"] == 20 and out["shown"] is no_update
    assert projection.plan(view_of(words, TSNE), None, None, False)["job"] is no_update   # all 60: it waits for Run


def test_a_job_whose_start_never_reached_the_server_is_asked_for_again(words, data_dir):
    """The page can drop a background request while it cancels an earlier job: the record stays queued."""
    view = view_of(words, TSNE)
    run = projection.plan(view, None, None, True)
    job, watch = run["job"], run["watch"]
    rec = services.jobs().record(job["key"])
    services.jobs()._put(job["key"], {**rec, "beat": rec["beat"] - 16})   # queued 16 s ago, never started
    out = projection.follow(1, watch, None)
    again = out["job"]
    assert again["job"] != job["job"] and again["key"] == job["key"] and again["params"] == job["params"]
    assert out["watch"]["job"] == again["job"] and out["watch"]["state"] == "watching"
    assert services.jobs().active(job["key"])["job"] == again["job"]
    # a job that started is never asked for twice
    services.jobs().starting(again)
    rec = services.jobs().record(job["key"])
    services.jobs()._put(job["key"], {**rec, "beat": rec["beat"] - 16})
    assert projection.follow(2, out["watch"], None)["job"] is no_update


def test_a_shown_projection_that_left_the_cache_is_made_again(words, data_dir):
    """The plot's projection evicted (or dropped as unreadable) from the result cache: the next plan — any view
    change, a tab switch, Run — makes a picture again instead of leaving the plot to fail on the missing key."""
    view = view_of(words, PCA)
    shown = projection.plan(view, None, None, False)["shown"]
    services.cache()._cache.delete(shown["key"])
    again = projection.plan(view, shown, None, False)["shown"]
    assert again is not no_update and again["key"] == shown["key"] and shown["key"] in services.cache()
    # on the t-SNE tab, waiting for Run: the PCA it keeps is made again too
    services.cache()._cache.delete(shown["key"])
    out = projection.plan(view_of(words, TSNE), shown, None, False)
    assert out["shown"]["method"] == "pca" and shown["key"] in services.cache()
    assert out["message"][0].startswith("Press Run to compute t-SNE")

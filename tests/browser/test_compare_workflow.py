"""Compare in headless Chromium: the digits sample (A) against the same vectors with noise added to some rows
(B), through the real background job; the agreement the panel gives is the engine's, the noised rows are
listed first, B's map beside A's shares the one selection both ways, and it is gone with another data set."""
import shutil

import numpy as np
from dash.testing.wait import until

from callbacks import services
from helpers import (DIGITS, GRAPH, choose, click_point, console_errors, open_app, store_data, text, texts_of, upload,
                     wait_text)

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
B_GRAPH = "#compare-map .js-plotly-plot"
NOISED = np.arange(7, DIGITS, 97)[:15]   # 15 rows spread over the data set


def noised_digits(tmp_path):
    X = np.load(ROOT / "data" / "digits" / "embeddings.npy").astype(np.float32)
    Y = X.copy()
    Y[NOISED] += np.random.default_rng(0).normal(0, 12, size=(len(NOISED), X.shape[1])).astype(np.float32)
    np.save(tmp_path / "digits-noised.npy", Y)
    shutil.copy(ROOT / "data" / "digits" / "metadata.tsv", tmp_path / "digits-noised.tsv")
    return tmp_path / "digits-noised.npy", tmp_path / "digits-noised.tsv"


def trace_of(dash_duo, graph, trace, field):
    return dash_duo.driver.execute_script(
        f"const g=document.querySelector('{graph}'); const t=g && g._fullData && g._fullData[{trace}];"
        f"return t && t.{field} ? Array.from(t.{field}) : null;")


def lonely_point(dash_duo, graph) -> int:
    """The drawn point farthest (in pixels) from any other point of ``graph``."""
    xy = np.array(dash_duo.driver.execute_script(
        f"const g=document.querySelector('{graph}'); const L=g._fullLayout; const t=g._fullData[0];"
        "return Array.from(t.x).map((x, i) => [L.xaxis.l2p(x), L.yaxis.l2p(t.y[i])]);"))
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    return int(np.argmax(d.min(axis=1)))


def anchor_now(dash_duo):
    return (store_data(dash_duo, "selection")["selection"] or {}).get("anchor")


def b_shown(dash_duo) -> bool:
    return dash_duo.driver.execute_script(
        "const b=document.querySelector('#compare-box'); return !!b && getComputedStyle(b).display !== 'none' && "
        "b.getBoundingClientRect().width > 0;")


def test_compare_two_checkpoints_side_by_side(dash_duo, projector_app, tmp_path):
    from projector.compare import compare_neighbourhoods
    from projector.dataset import Rows

    vectors, metadata = noised_digits(tmp_path)
    open_app(dash_duo, projector_app)
    upload(dash_duo, vectors, metadata)
    wait_text(dash_duo, "#status", "digits-noised: 1,797 points")
    choose(dash_duo, "#dataset-picker", "Digits (sample) (1,797 × 64)")
    wait_text(dash_duo, "#status", "Digits (sample): 1,797 points")
    until(lambda: trace_of(dash_duo, GRAPH, 0, "x") and len(trace_of(dash_duo, GRAPH, 0, "x")) == DIGITS, 60)
    assert not b_shown(dash_duo)
    dash_duo.driver.execute_script("document.querySelector('#analysis-panel').scrollIntoView();")
    dash_duo.find_element("#analysis-tabs .tab:nth-child(5)").click()
    choose(dash_duo, "#compare-other", "digits-noised (1,797 × 64)")
    dash_duo.find_element("#analysis-run").click()
    wait_text(dash_duo, "#analysis-message", "Agreement with digits-noised")
    until(lambda: b_shown(dash_duo), 30)
    until(lambda: (trace_of(dash_duo, B_GRAPH, 0, "x") or []) and len(trace_of(dash_duo, B_GRAPH, 0, "x")) == DIGITS, 30)
    wait_text(dash_duo, "#compare-caption", "B: digits-noised — PCA of the same 1,797 points")

    # the number is the engine's: both exact graphs of the rows as the view reads them (spherized: 64 dims)
    view = store_data(dash_duo, "view")["view"]
    a, b = services.store().get(view["dataset"]), next(services.store().get(m["id"]) for m in services.store().list()
                                                         if m["name"] == "digits-noised")
    spherize = bool(view["spherize"])
    want = compare_neighbourhoods(np.asarray(Rows(a, spherize)), np.asarray(Rows(b, spherize)), k=10,
                                  metric=view["neighbours"]["metric"])
    wait_text(dash_duo, "#compare-summary", f"{want['mean']:.3f}")
    until(lambda: view_colour(dash_duo) == "agreement@10 vs digits-noised", 20)
    # the noised rows changed most: they head the list
    listed = [int(t.split()[0][1:]) for t in texts_of(dash_duo, ".compare-row")]
    assert set(listed[:len(NOISED)]) == set(NOISED.tolist())

    # a listed row selects its point; the side-by-side lists show its neighbours in A and B
    dash_duo.driver.execute_script("document.querySelectorAll('.compare-row')[0].click();")
    until(lambda: anchor_now(dash_duo) == listed[0], 20)
    wait_text(dash_duo, "#compare-detail", f"#{listed[0]} ")
    assert len(texts_of(dash_duo, ".compare-side")) == 2

    # a click on B's map selects that row on A's map too (a point with room around it on B's map, so the click
    # cannot land on another one)
    dash_duo.find_element("#clear-selection").click()
    until(lambda: anchor_now(dash_duo) is None and not trace_of(dash_duo, B_GRAPH, 1, "customdata"), 20)
    on_b = lonely_point(dash_duo, B_GRAPH)
    click_point(dash_duo, on_b, graph=B_GRAPH)
    until(lambda: anchor_now(dash_duo) == on_b, 20)
    until(lambda: on_b in (trace_of(dash_duo, GRAPH, 1, "customdata") or []), 20)
    until(lambda: on_b in (trace_of(dash_duo, B_GRAPH, 1, "customdata") or []), 20)
    # and a click on A's map highlights the same row on B's
    dash_duo.find_element("#clear-selection").click()
    until(lambda: anchor_now(dash_duo) is None and not trace_of(dash_duo, B_GRAPH, 1, "customdata"), 20)
    on_a = lonely_point(dash_duo, GRAPH)
    click_point(dash_duo, on_a)
    until(lambda: anchor_now(dash_duo) == on_a, 20)
    until(lambda: on_a in (trace_of(dash_duo, B_GRAPH, 1, "customdata") or []), 20)
    assert len(trace_of(dash_duo, B_GRAPH, 0, "x")) == DIGITS   # a Patch of the highlights: every point still drawn

    # another data set: B's map is hidden and emptied
    choose(dash_duo, "#dataset-picker", "digits-noised (1,797 × 64)")
    wait_text(dash_duo, "#status", "digits-noised: 1,797 points")
    until(lambda: not b_shown(dash_duo), 20)
    until(lambda: trace_of(dash_duo, B_GRAPH, 0, "x") in (None, []), 20)
    assert "Pick B and press Run" in text(dash_duo, "#compare-list")
    assert console_errors(dash_duo) == []


def view_colour(dash_duo):
    return store_data(dash_duo, "view")["view"].get("colour_by")

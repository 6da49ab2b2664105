"""The Analysis panel in headless Chromium: clusters with names that select their points, outlier scores that
find injected noise, how far to trust the map, density contours — each a background job through the real
Dash background manager, each leaving a metadata column the map is coloured by."""
import numpy as np
import pandas as pd
from dash.testing.wait import until
from sklearn.datasets import load_digits
from sklearn.metrics import roc_auc_score

from callbacks import services
from helpers import (DIGITS, GRAPH, click_point, console_errors, open_app, set_input, store_data, text, upload, wait_points,
                     wait_text)

PLOT = f"document.querySelector('{GRAPH}')"
ANALYSIS_TABS = {"clusters": 1, "outliers": 2, "faithfulness": 3, "stability": 4}


def open_analysis(dash_duo, kind):
    dash_duo.driver.execute_script("document.querySelector('#analysis-panel').scrollIntoView();")
    dash_duo.find_element(f"#analysis-tabs .tab:nth-child({ANALYSIS_TABS[kind]})").click()


def run_analysis(dash_duo):
    dash_duo.find_element("#analysis-run").click()


def selected_now(dash_duo) -> np.ndarray:
    """The points the page's selection holds, read where the server keeps them."""
    sel = store_data(dash_duo, "selection")["selection"] or {}
    points = sel.get("points") or {}
    return services.get_points(points["id"]) if points.get("id") else np.empty(0, np.int64)


def current_dataset(dash_duo):
    view = store_data(dash_duo, "view")["view"]
    return services.store().get(view["dataset"])


def names_on_map(dash_duo):
    return dash_duo.driver.execute_script(
        f"const t={PLOT}._fullData[3]; return t ? Array.from(t.customdata || []) : null;")


def test_a_cluster_name_click_selects_the_cluster(dash_duo, projector_app):
    open_app(dash_duo, projector_app)
    open_analysis(dash_duo, "clusters")
    dash_duo.find_element("#cluster-algorithm input[value=kmeans]").click()
    set_input(dash_duo, "#cluster-k", 10)
    run_analysis(dash_duo)
    wait_text(dash_duo, "#analysis-message", "10 clusters, named by digit")
    wait_text(dash_duo, "#cluster-list", "10 clusters in “clusters (k-means 10)”")
    until(lambda: names_on_map(dash_duo) and len(names_on_map(dash_duo)) == 10, 20)
    ds = current_dataset(dash_duo)
    column = ds.metadata["clusters (k-means 10)"].astype(str)
    names = names_on_map(dash_duo)
    # a cluster's name starts with the digit word most frequent in it (k-means on digits finds the digits)
    words = ds.metadata["digit"].astype(str)
    majority = {v: words[column == v].value_counts().index[0] for v in names}
    assert sum(v.split(": ")[1].split(" · ")[0] == majority[v] for v in names) >= 8
    # a click on a listed cluster selects exactly its points
    first = names[0]
    dash_duo.driver.execute_script(
        "Array.from(document.querySelectorAll('.cluster-row')).find(r => r.innerText.startsWith(arguments[0])).click();",
        first)
    want = int((column == first).sum())
    wait_text(dash_duo, "#status", f"{want:,} selected")
    np.testing.assert_array_equal(selected_now(dash_duo), np.flatnonzero(column.to_numpy() == first))
    # and a click on a name on the map selects that cluster
    other = names[3]
    click_point(dash_duo, names.index(other), trace=3)
    want = int((column == other).sum())
    wait_text(dash_duo, "#status", f"{want:,} selected")
    np.testing.assert_array_equal(selected_now(dash_duo), np.flatnonzero(column.to_numpy() == other))
    assert console_errors(dash_duo) == []


def digits_with_noise(tmp_path, noise=200, seed=0):
    digits = load_digits()
    rng = np.random.default_rng(seed)
    X = np.vstack([digits.data, rng.uniform(0, 16, size=(noise, 64))]).astype(np.float32)
    kind = ["digit"] * len(digits.data) + ["noise"] * noise
    np.save(tmp_path / "noisy.npy", X)
    pd.DataFrame({"kind": kind, "label": [str(t) for t in digits.target] + ["?"] * noise}).to_csv(
        tmp_path / "noisy.tsv", sep="\t", index=False)
    return tmp_path / "noisy.npy", tmp_path / "noisy.tsv", np.array(kind) == "noise"


def test_an_outlier_selection_on_digits_plus_noise_selects_mostly_noise(dash_duo, projector_app, tmp_path):
    vectors, labels, is_noise = digits_with_noise(tmp_path)
    open_app(dash_duo, projector_app)
    upload(dash_duo, vectors, labels)
    wait_points(dash_duo, len(is_noise))
    open_analysis(dash_duo, "outliers")
    run_analysis(dash_duo)
    wait_text(dash_duo, "#analysis-message", "Scored every point")
    column = "outlier score (k-th distance, k=20)"
    until(lambda: store_data(dash_duo, "view")["view"].get("colour_by") == column, 20)
    scores = current_dataset(dash_duo).metadata[column].to_numpy(dtype=float)
    assert roc_auc_score(is_noise, scores) >= 0.95
    set_input(dash_duo, "#outlier-top", 200)
    dash_duo.find_element("#outlier-select").click()
    wait_text(dash_duo, "#status", "200 selected")
    chosen = selected_now(dash_duo)
    assert len(chosen) == 200 and is_noise[chosen].mean() >= 0.8
    assert console_errors(dash_duo) == []


def test_trust_colours_the_map_by_the_neighbours_it_keeps_and_density_draws_contours(dash_duo, projector_app):
    from projector.faithfulness import trustworthiness_continuity

    open_app(dash_duo, projector_app)
    open_analysis(dash_duo, "faithfulness")
    run_analysis(dash_duo)
    wait_text(dash_duo, "#analysis-message", "Trustworthiness")
    column = "neighbours kept (PCA, k=10)"
    until(lambda: store_data(dash_duo, "view")["view"].get("colour_by") == column, 20)
    ds = current_dataset(dash_duo)
    kept = ds.metadata[column].to_numpy(dtype=float)
    assert kept.shape == (DIGITS,) and ((0 <= kept) & (kept <= 1)).all() and 0 < kept.mean() < 1
    # the number the panel gives is the engine's on the coordinates drawn
    coords = np.array(dash_duo.driver.execute_script(
        f"const t={PLOT}._fullData[0]; return [Array.from(t.x), Array.from(t.y)];")).T
    view = store_data(dash_duo, "view")["view"]
    from projector.dataset import Rows

    X = np.asarray(Rows(ds, view["spherize"])[np.arange(DIGITS)])
    expected = trustworthiness_continuity(X, coords, 10, "cosine")["trustworthiness"]
    assert f"Trustworthiness {expected:.3f}" in text(dash_duo, "#analysis-message")
    # density contours: drawn under the points when asked for, gone when not
    dash_duo.find_element("#show-density input").click()
    until(lambda: dash_duo.driver.execute_script(f"const t={PLOT}._fullData[2]; return t && t.visible === true;"), 20)
    assert dash_duo.driver.execute_script(f"return {PLOT}._fullData[2].type;") == "contour"
    assert dash_duo.driver.execute_script(f"return {PLOT}._fullData[0].x.length;") == DIGITS
    dash_duo.find_element("#show-density input").click()
    until(lambda: dash_duo.driver.execute_script(f"return {PLOT}._fullData[2].visible;") is False, 20)
    assert console_errors(dash_duo) == []


def test_the_analysis_settings_come_back_after_a_reload(dash_duo, projector_app):
    """k-means with k = 7 on the map, LOF with k = 12: a reload keeps them, so the next Run runs what was set."""
    open_app(dash_duo, projector_app)
    open_analysis(dash_duo, "clusters")
    dash_duo.find_element("#cluster-algorithm input[value=kmeans]").click()
    dash_duo.find_element("#cluster-space input[value=map]").click()
    set_input(dash_duo, "#cluster-k", 7)
    open_analysis(dash_duo, "outliers")
    dash_duo.find_element("#outlier-method input[value=lof]").click()
    set_input(dash_duo, "#outlier-k", 12)
    dash_duo.driver.refresh()
    wait_points(dash_duo, 1797)
    open_analysis(dash_duo, "clusters")
    checked = "return document.querySelector(arguments[0]).checked;"
    assert dash_duo.driver.execute_script(checked, "#cluster-algorithm input[value=kmeans]")
    assert dash_duo.driver.execute_script(checked, "#cluster-space input[value=map]")
    assert dash_duo.find_element("#cluster-k").get_attribute("value") == "7"
    open_analysis(dash_duo, "outliers")
    assert dash_duo.driver.execute_script(checked, "#outlier-method input[value=lof]")
    assert dash_duo.find_element("#outlier-k").get_attribute("value") == "12"

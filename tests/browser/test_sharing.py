"""Bookmarks, bookmark files (ours and TensorBoard's), shared links, tags and the images view in headless Chromium."""
import contextlib
import io
import json
import random
from pathlib import Path

import numpy as np
import pandas as pd
from dash.testing.browser import Browser
from dash.testing.wait import until
from selenium.webdriver.common.keys import Keys

import projector
from callbacks import services
from helpers import (DIGITS, chrome_options, click_point, console_errors, downloaded, fit_window, open_app, open_tab,
                     run_tsne, set_input, text, texts_of, upload, wait_points, wait_text)

ANCHOR_BOOKMARKS = Path(__file__).resolve().parents[3] / "shared" / "anchor-data" / "tensorboard" / \
    "word2vec_full_bookmarks.txt"
PLOT = "document.querySelector('#scatter .js-plotly-plot')"


def coordinates(dash_duo):
    return np.array(dash_duo.driver.execute_script(
        f"const t={PLOT}._fullData[0]; return [Array.from(t.x), Array.from(t.y)];"))


def x_range(dash_duo):
    return dash_duo.driver.execute_script(f"return {PLOT}._fullLayout.xaxis.range.slice();")


def colour_by(dash_duo):
    return dash_duo.driver.execute_script("return document.getElementById('color-by').innerText.trim();")


def tray_names(dash_duo):
    return dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('.bookmark-name input')).map(e => e.value);")


def upload_bookmarks(dash_duo, path):
    dash_duo.find_element("#bookmark-file input").send_keys(str(path))


def test_a_bookmark_restores_projection_colour_selection_and_zoom_after_the_view_changed(dash_duo, projector_app):
    open_app(dash_duo, projector_app)
    run_tsne(dash_duo, 50, perplexity=12)
    wait_text(dash_duo, "#projection-info", "t-SNE: 50 iterations")
    tsne = coordinates(dash_duo)
    dash_duo.select_dcc_dropdown("#color-by", value="digit")
    wait_text(dash_duo, "#legend", "seven")
    click_point(dash_duo, 21)
    wait_text(dash_duo, "#status", "101 selected")
    dash_duo.driver.execute_script(f"Plotly.relayout({PLOT}, {{'xaxis.range': [-5, 5], 'yaxis.range': [-4, 4]}});")
    until(lambda: x_range(dash_duo) == [-5, 5], 10)
    dash_duo.find_element("#bookmark-add").click()
    wait_text(dash_duo, "#bookmark-message", "Added “State 0”")
    assert "t-SNE 2D · 101 selected · colour: digit" in text(dash_duo, "#bookmark-list")

    # change everything the bookmark holds
    open_tab(dash_duo, "pca")
    wait_text(dash_duo, ".xtitle", "PC1")
    dash_duo.select_dcc_dropdown("#color-by", value="label")
    dash_duo.find_element("#clear-selection").click()
    wait_text(dash_duo, "#status", "0 selected")

    dash_duo.find_element(".bookmark-row .restore").click()
    wait_text(dash_duo, "#bookmark-message", "Restored “State 0”")
    wait_text(dash_duo, ".xtitle", "t-SNE 1")
    wait_text(dash_duo, "#status", "101 selected")
    wait_text(dash_duo, "#projection-info", "From the server's cache.")  # drawn from the cache, not recomputed
    np.testing.assert_allclose(coordinates(dash_duo), tsne, rtol=1e-6)
    until(lambda: colour_by(dash_duo) == "digit", 10, msg=lambda: colour_by(dash_duo))
    wait_text(dash_duo, "#legend", "seven")
    until(lambda: x_range(dash_duo) == [-5, 5], 10, msg=lambda: x_range(dash_duo))
    assert "active" in dash_duo.find_element(".bookmark-row").get_attribute("class")
    assert console_errors(dash_duo) == []


def test_bookmarks_are_renamed_reordered_saved_to_a_file_and_loaded_back(dash_duo, projector_app):
    open_app(dash_duo, projector_app)
    dash_duo.find_element("#bookmark-add").click()
    wait_text(dash_duo, "#bookmark-message", "Added “State 0”")
    set_input(dash_duo, "#search-query", "^seven$")
    dash_duo.find_element("#search-regex input").click()
    dash_duo.find_element("#search-query").send_keys("\n")
    wait_text(dash_duo, "#search-message", "179 matches")
    dash_duo.find_element("#isolate").click()
    wait_points(dash_duo, 179)
    dash_duo.find_element("#bookmark-add").click()
    wait_text(dash_duo, "#bookmark-message", "Added “State 1”")
    assert "179 isolated" in text(dash_duo, "#bookmark-list")

    name = dash_duo.driver.find_elements("css selector", ".bookmark-name input")[1]
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", name)
    name.click()
    name.send_keys(Keys.CONTROL, "a")
    name.send_keys("sevens", Keys.ENTER)
    until(lambda: tray_names(dash_duo) == ["State 0", "sevens"], 10, msg=lambda: tray_names(dash_duo))
    dash_duo.driver.find_elements("css selector", ".bookmark-row button[title='move up']")[1].click()
    until(lambda: tray_names(dash_duo) == ["sevens", "State 0"], 10, msg=lambda: tray_names(dash_duo))

    dash_duo.find_element("#bookmark-save").click()
    saved = json.loads(downloaded(dash_duo, "bookmarks.json"))
    assert [b["name"] for b in saved["bookmarks"]] == ["sevens", "State 0"]
    assert len(saved["bookmarks"][0]["state"]["subset"]) == 179

    for _ in range(2):
        dash_duo.find_element(".bookmark-row button[title='delete']").click()
        until(lambda: len(tray_names(dash_duo)) < 2, 10)
    until(lambda: tray_names(dash_duo) == [], 10)
    dash_duo.find_element("#show-all").click()
    wait_points(dash_duo, DIGITS)

    path = Path(dash_duo.download_path) / "bookmarks.json"
    upload_bookmarks(dash_duo, path)
    wait_text(dash_duo, "#bookmark-message", "Loaded 2 bookmarks from bookmarks.json; showing “sevens”")
    until(lambda: tray_names(dash_duo) == ["sevens", "State 0"], 10)
    wait_points(dash_duo, 179)                      # the first one is restored: the isolated sevens
    wait_text(dash_duo, "#status", "isolated 179 of 1,797")
    assert console_errors(dash_duo) == []


def tensorboard_file(path, n_shown, dim, indices):
    """A TensorBoard bookmark file: one custom projection over isolated points, as TensorBoard writes it."""
    state = {"label": "Digits: zero → one", "isSelected": True, "tSNEIteration": 0, "tSNEPerplexity": 5,
             "tSNELearningRate": 1, "tSNEis3d": True, "pcaComponentDimensions": [0, 1, 2],
             "projections": [{"pca-0": 0.0, "pca-1": 0.0, "pca-2": 0.0, "linear-x": float(i % 7), "linear-y": float(i // 7)}
                             for i in range(n_shown)],
             "selectedPoints": [3], "selectedProjection": "custom", "dataSetDimensions": [n_shown, dim],
             "filteredPoints": indices, "cameraDef": {"orthographic": True}, "selectedColorOptionName": "digit",
             "selectedLabelOption": "digit", "customSelectedSearchByMetadataOption": "digit",
             "customXLeftText": "^zero$", "customXLeftRegex": True, "customXRightText": "^one$",
             "customXRightRegex": True, "customYUpText": "", "customYUpRegex": False, "customYDownText": "",
             "customYDownRegex": False}
    path.write_text(json.dumps([state]))
    return path


def test_tensorboard_bookmarks_import_and_a_file_for_another_data_set_is_refused(dash_duo, projector_app, tmp_path):
    indices = random.Random(1).sample(range(DIGITS), 50)
    open_app(dash_duo, projector_app)
    upload_bookmarks(dash_duo, tensorboard_file(tmp_path / "tb.txt", 50, 64, indices))
    wait_text(dash_duo, "#bookmark-message", "Loaded 1 bookmark from tb.txt; showing “Digits: zero → one”")
    wait_points(dash_duo, 50)
    wait_text(dash_duo, ".xtitle", "^zero$ → ^one$")
    wait_text(dash_duo, "#given-info", "Coordinates stored in the bookmark (TensorBoard custom)")
    # TensorBoard's coordinates as given, point by point (drawn in ascending point order)
    order = np.argsort(indices)
    np.testing.assert_allclose(coordinates(dash_duo).T, np.array([[i % 7, i // 7] for i in order], dtype=float))
    wait_text(dash_duo, "#status", "isolated 50 of 1,797 · 1 selected")
    # the Custom tab shows TensorBoard's queries and computes this axis here, on the same isolated points
    open_tab(dash_duo, "custom")
    until(lambda: dash_duo.find_element("#custom-left").get_attribute("value") == "^zero$", 10)
    assert dash_duo.find_element("#custom-right").get_attribute("value") == "^one$"
    wait_text(dash_duo, "#custom-info", "left: ")
    wait_points(dash_duo, 50)

    upload_bookmarks(dash_duo, tensorboard_file(tmp_path / "other.txt", 60, 200, list(range(60))))
    wait_text(dash_duo, "#bookmark-message", "other.txt: Unable to load bookmarks: wrong dataset, expected dataset "
                                             "with shape (60, 200)")
    assert tray_names(dash_duo) == ["Digits: zero → one"]   # nothing lost
    if ANCHOR_BOOKMARKS.exists():
        upload_bookmarks(dash_duo, ANCHOR_BOOKMARKS)
        wait_text(dash_duo, "#bookmark-message", "wrong dataset, expected dataset with shape (101, 200)")
    wait_points(dash_duo, 50)
    assert console_errors(dash_duo) == []


@contextlib.contextmanager
def another_browser(tmp_path):
    """A second headless Chromium with its own profile: nothing of the first browser's storage."""
    browser = Browser("chrome", headless=True, options=chrome_options(), download_path=str(tmp_path),
                      percy_run=False, wait_timeout=10)
    fit_window(browser.driver)
    try:
        yield browser
    finally:
        browser.driver.quit()


def test_a_shared_link_opens_the_view_in_a_fresh_browser(dash_duo, projector_app, tmp_path):
    open_app(dash_duo, projector_app)
    set_input(dash_duo, "#search-query", "three")
    dash_duo.find_element("#search-query").send_keys("\n")
    wait_text(dash_duo, "#search-message", "183 matches")
    dash_duo.find_element("#isolate").click()
    wait_points(dash_duo, 183)
    dash_duo.select_dcc_dropdown("#color-by", value="digit")
    click_point(dash_duo, 7)
    wait_text(dash_duo, "#status", "isolated 183 of 1,797 · 101 selected")
    dash_duo.find_element("#share-link").click()
    until(lambda: "?view=" in (dash_duo.find_element("#share-url").get_attribute("value") or ""), 10)
    link = dash_duo.find_element("#share-url").get_attribute("value")
    shown = coordinates(dash_duo)
    anchor = text(dash_duo, "#point-card h3")

    # a link to a data set that has been deleted since
    gone = projector.load_dataset(np.random.default_rng(4).normal(size=(40, 5)).astype(np.float32), None, name="gone")
    services.store().add(gone)
    sid = services.states().put({"dataset": gone.id, "subset": None, "spherize": False, "method": "pca", "dims": 2,
                                 "params": {"components": [0, 1]}, "selection": {}, "given": None})
    services.store().delete(gone.id)

    with another_browser(tmp_path / "second") as other:
        other.driver.get(link)   # nothing in its storage, only the link
        wait_points(other, 183)
        wait_text(other, "#status", "isolated 183 of 1,797 · 101 selected")
        wait_text(other, "#data-message", "Opened a shared view.")
        wait_text(other, "#point-card h3", anchor)
        np.testing.assert_allclose(coordinates(other), shown, rtol=1e-6)
        until(lambda: colour_by(other) == "digit", 10)

        other.driver.get(link.split("?")[0] + "?view=" + sid)
        wait_text(other, "#data-message", f"This link cannot be opened: this view is of data set {gone.id}, "
                                          "which is no longer on this server")
        wait_points(other, DIGITS)   # the app still shows what it has
        assert console_errors(other) == []
    assert console_errors(dash_duo) == []


def test_a_tag_shows_in_the_legend_in_custom_axes_and_in_the_downloaded_metadata(dash_duo, projector_app, tmp_path):
    rng = np.random.default_rng(5)
    X = np.concatenate([rng.normal(c, 1, size=(100, 12)) for c in (-3, 0, 3)]).astype(np.float32)
    np.save(tmp_path / "tags.npy", X)
    (tmp_path / "tags.tsv").write_text("word\tgroup\n" + "".join(f"w{i}\tg{i % 3}\n" for i in range(300)))
    original = (tmp_path / "tags.tsv").read_bytes()
    open_app(dash_duo, projector_app)
    upload(dash_duo, tmp_path / "tags.npy", tmp_path / "tags.tsv")
    wait_points(dash_duo, 300)
    click_point(dash_duo, 5)
    wait_text(dash_duo, "#status", "101 selected")
    dash_duo.find_element("details.tags summary").click()
    set_input(dash_duo, "#tag-column", "mood")
    set_input(dash_duo, "#tag-value", "<b>happy</b>")   # shown as typed, never as markup
    dash_duo.find_element("#tag-apply").click()
    wait_text(dash_duo, "#tag-message", "Tagged 101 points mood = “<b>happy</b>”")
    wait_text(dash_duo, "#legend", "<b>happy</b>")
    assert "101" in [t.strip() for t in texts_of(dash_duo, "#legend .legend-count")]
    until(lambda: colour_by(dash_duo) == "mood", 10)
    wait_text(dash_duo, "#point-card", "mood")

    # a custom axis over the tag follows the next tag without being asked
    open_tab(dash_duo, "custom")
    dash_duo.select_dcc_dropdown("#custom-column", value="mood")
    set_input(dash_duo, "#custom-left", "happy" + Keys.ENTER)
    wait_text(dash_duo, "#custom-info", "left: 101 matches")
    click_point(dash_duo, 250)
    wait_text(dash_duo, "#neighbor-list", "100 nearest neighbours")
    dash_duo.find_element("#tag-apply").click()
    wait_text(dash_duo, "#tag-message", "metadata version 2")
    ds = next(services.store().get(m["id"]) for m in services.store().list() if m["name"] == "tags")
    happy = int((ds.metadata["mood"] == "<b>happy</b>").sum())
    assert happy > 101
    wait_text(dash_duo, "#custom-info", f"left: {happy} matches")

    dash_duo.find_element("#tag-download").click()
    table = pd.read_csv(io.StringIO(downloaded(dash_duo, "tags-metadata-v2.tsv")), sep="\t",
                        keep_default_na=False, dtype=str)
    assert list(table.columns) == ["word", "group", "mood"] and len(table) == 300
    assert (table["mood"] == "<b>happy</b>").sum() == happy
    assert (services.store().root / "datasets" / ds.id / "metadata.tsv").read_bytes() == original  # upload kept
    assert console_errors(dash_duo) == []


def test_the_images_view_draws_thumbnails_for_the_points_in_view(dash_duo, projector_app):
    images = f"return ({PLOT}.layout.images || []).length;"
    open_app(dash_duo, projector_app)
    dash_duo.find_element("#show-images input").click()
    until(lambda: dash_duo.driver.execute_script(images) == DIGITS, 30)
    wait_text(dash_duo, "#images-message", "Showing the images of the 1,797 points in view.")
    opacity = f"return {PLOT}._fullData[0].marker.opacity;"
    assert dash_duo.driver.execute_script(opacity) == 0          # the thumbnails stand in for the dots
    # a click still selects, and the clicked point and its neighbours are drawn over the thumbnails
    click_point(dash_duo, 30)
    wait_text(dash_duo, "#status", "101 selected")
    until(lambda: dash_duo.driver.execute_script(f"return {PLOT}._fullData[1].x.length;") == 101, 10)
    assert dash_duo.driver.execute_script(opacity) == 0
    assert dash_duo.driver.execute_script(f"return {PLOT}.layout.images[0].layer;") == "below"
    xs, ys = coordinates(dash_duo)
    x0, x1 = float(np.percentile(xs, 40)), float(np.percentile(xs, 60))
    y0, y1 = float(np.percentile(ys, 40)), float(np.percentile(ys, 60))
    inside = int(((xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)).sum())
    dash_duo.driver.execute_script(f"Plotly.relayout({PLOT}, {{'xaxis.range[0]': {x0}, 'xaxis.range[1]': {x1}, "
                                   f"'yaxis.range[0]': {y0}, 'yaxis.range[1]': {y1}}});")
    until(lambda: dash_duo.driver.execute_script(images) == inside, 30,
          msg=lambda: f"{dash_duo.driver.execute_script(images)} images, {inside} points in view")
    wait_text(dash_duo, "#images-message", f"Showing the images of the {inside:,} points in view.")
    loaded = "return Array.from(document.querySelectorAll('#scatter image')).length;"
    until(lambda: dash_duo.driver.execute_script(loaded) == inside, 30)
    dash_duo.find_element("#pca-3d input").click()
    wait_text(dash_duo, "#images-message", "Images are drawn on 2D views")
    assert console_errors(dash_duo) == []


def test_a_bookmark_file_up_to_64_mb_loads_and_a_larger_one_says_why_not(dash_duo, projector_app, tmp_path):
    """The README's limit is the page's: a 50 MB file loads (dcc.Upload alone dropped it without a word)."""
    indices = random.Random(2).sample(range(DIGITS), 50)
    big = tensorboard_file(tmp_path / "big.txt", 50, 64, indices)
    text = big.read_text()
    big.write_text(text[:-1] + " " * (50 * 2**20) + "]")   # the same bookmark, padded to 50 MB
    huge = tmp_path / "huge.txt"
    huge.write_text(text[:-1] + " " * (65 * 2**20) + "]")
    open_app(dash_duo, projector_app)
    upload_bookmarks(dash_duo, huge)
    wait_text(dash_duo, "#bookmark-message", "huge.txt is 65 MB; bookmark files are at most 64 MB")
    upload_bookmarks(dash_duo, big)
    wait_text(dash_duo, "#bookmark-message", "Loaded 1 bookmark from big.txt", timeout=120)
    wait_points(dash_duo, 50)
    assert console_errors(dash_duo) == []

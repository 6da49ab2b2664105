"""The dashboard end to end in headless Chromium: sample, upload, PCA, t-SNE, cancel, neighbours,
search, isolate, bad input."""
import re

import numpy as np
from dash.testing.wait import until
from selenium.webdriver.common.keys import Keys

from helpers import (DIGITS, click_first, click_point, console_errors, downloaded, open_app, open_tab, open_upload_box,
                     run_tsne, set_input, text, texts_of, upload, wait_points, wait_text)


def test_sample_loads_and_pca_draws_without_console_errors(dash_duo, projector_app):
    open_app(dash_duo, projector_app)
    wait_text(dash_duo, "#status", "1,797 points")
    wait_text(dash_duo, "#pca-variance", "Variance shown")
    wait_text(dash_duo, "#legend", "174")  # categorical legend with counts (174 eights)
    # Another pair of components comes from the cached 10-component PCA.
    dash_duo.select_dcc_dropdown("#pca-x", index=2)
    wait_text(dash_duo, ".xtitle", "PC3")
    assert console_errors(dash_duo) == []


def test_upload_npy_and_tsv_shows_the_point_count(dash_duo, projector_app, tmp_path):
    X = np.random.default_rng(0).normal(size=(300, 12)).astype(np.float32)
    np.save(tmp_path / "emb.npy", X)
    (tmp_path / "meta.tsv").write_text("word\tgroup\n" + "".join(f"w{i}\tg{i % 3}\n" for i in range(300)))
    open_app(dash_duo, projector_app)
    upload(dash_duo, tmp_path / "emb.npy", tmp_path / "meta.tsv")
    wait_text(dash_duo, "#data-message", "Loaded emb: 300 points × 12 dimensions")
    wait_text(dash_duo, "#status", "300 points")
    wait_points(dash_duo, 300)
    assert console_errors(dash_duo) == []


def test_large_upload_streams_in_chunks_and_oversize_is_refused(dash_duo, projector_app, tmp_path, monkeypatch):
    X = np.random.default_rng(1).normal(size=(20_000, 256)).astype(np.float32)  # 20 MB: three chunks
    np.save(tmp_path / "big.npy", X)
    open_app(dash_duo, projector_app)
    upload(dash_duo, tmp_path / "big.npy")
    wait_text(dash_duo, "#data-message", "Loaded big: 20,000 points × 256 dimensions")
    assert dash_duo.driver.execute_script("return document.getElementById('upload-vectors-progress').value") == \
        (tmp_path / "big.npy").stat().st_size
    wait_points(dash_duo, 20_000)
    monkeypatch.setenv("PROJECTOR_MAX_UPLOAD_BYTES", str(1_000_000))
    open_upload_box(dash_duo)   # Load folded it away
    dash_duo.find_element("#upload-vectors-file").send_keys(str(tmp_path / "big.npy"))
    wait_text(dash_duo, "#upload-vectors-name", "more than this server accepts")
    assert "20,000 points" in text(dash_duo, "#status")
    # The refusal is an HTTP 400, which the browser logs; nothing else may be in the console.
    errors = console_errors(dash_duo)
    assert [e for e in errors if "api/uploads - Failed to load resource" not in e["message"]] == []
    assert len(errors) == 1


def test_bad_upload_shows_a_sentence_and_keeps_the_data_set(dash_duo, projector_app, tmp_path):
    np.save(tmp_path / "emb.npy", np.ones((10, 4), np.float32))
    # Two columns and no header row: the first row is taken as the header, one row is missing.
    (tmp_path / "meta.tsv").write_text("".join(f"w{i}\t{i}\n" for i in range(10)))
    open_app(dash_duo, projector_app)
    upload(dash_duo, tmp_path / "emb.npy", tmp_path / "meta.tsv")
    wait_text(dash_duo, "#data-message", "should have a header row")
    # The sample is still the data set, drawn and working.
    assert "Digits" in text(dash_duo, "#dataset-picker")
    assert "1,797 points" in text(dash_duo, "#status")
    click_point(dash_duo, 10)
    wait_text(dash_duo, "#neighbor-list", "100 nearest neighbours")
    # A file that is not embeddings at all.
    (tmp_path / "notes.npy").write_text("hello")
    upload(dash_duo, tmp_path / "notes.npy")
    wait_text(dash_duo, "#data-message", "is not a NumPy .npy file")
    assert "1,797 points" in text(dash_duo, "#status")


def test_click_lists_neighbours_with_distances(dash_duo, projector_app):
    open_app(dash_duo, projector_app)
    click_point(dash_duo, 5)
    wait_text(dash_duo, "#neighbor-list", "100 nearest neighbours (cosine)")
    distances = [float(t) for t in texts_of(dash_duo, "#neighbor-list .point-row .distance")]
    assert len(distances) == 100
    assert distances == sorted(distances) and distances[0] >= 0
    wait_points(dash_duo, 101, trace=1)  # the clicked point and its neighbours are highlighted
    # Fewer neighbours, euclidean.
    dash_duo.find_element("#metric input[value=euclidean]").click()
    wait_text(dash_duo, "#neighbor-list", "(euclidean)")
    # Clicking a listed neighbour makes it the selected point.
    first = dash_duo.driver.execute_script(
        "return JSON.parse(document.querySelector('#neighbor-list .point-row').id).index;")
    shows_first = lambda: re.search(rf"#{first}\b", text(dash_duo, "#point-card"))  # noqa: E731
    assert not shows_first()
    click_first(dash_duo, "#neighbor-list .point-row")
    until(shows_first, 30)
    assert console_errors(dash_duo) == []


def test_regex_search_reports_its_count_and_bad_regex_says_so(dash_duo, projector_app):
    open_app(dash_duo, projector_app)
    dash_duo.find_element("#search-regex input").click()
    set_input(dash_duo, "#search-query", "^(one|two)$" + Keys.ENTER)
    wait_text(dash_duo, "#search-message", "359 matches")  # 182 ones + 177 twos
    wait_points(dash_duo, 359, trace=1)
    assert "359 selected" in text(dash_duo, "#result-list")
    set_input(dash_duo, "#search-query", "(one" + Keys.ENTER)
    wait_text(dash_duo, "#search-message", "not a valid regular expression")
    assert console_errors(dash_duo) == []


def test_neighbours_filtered_by_regex_then_isolated_and_shown_all(dash_duo, projector_app):
    open_app(dash_duo, projector_app)
    click_point(dash_duo, 0)
    wait_text(dash_duo, "#neighbor-list", "100 nearest neighbours")
    dash_duo.select_dcc_dropdown("#search-scope", value="neighbours")
    dash_duo.find_element("#search-regex input").click()
    anchor_label = text(dash_duo, "#point-card h3")
    set_input(dash_duo, "#search-query", f"^{anchor_label}$" + Keys.ENTER)
    wait_text(dash_duo, "#search-message", "among the neighbours shown")
    kept = int(text(dash_duo, "#search-message").split()[0].replace(",", ""))
    assert 0 < kept <= 100
    wait_text(dash_duo, "#neighbor-list", f"{kept} nearest neighbours")
    dash_duo.find_element("#isolate").click()
    wait_text(dash_duo, "#status", f"isolated {kept + 1} of 1,797")
    wait_points(dash_duo, kept + 1)
    dash_duo.find_element("#show-all").click()
    wait_points(dash_duo, DIGITS)
    assert "isolated" not in text(dash_duo, "#status")


def test_tsne_shows_progress_then_finishes(dash_duo, projector_app):
    open_app(dash_duo, projector_app)
    run_tsne(dash_duo, 400)
    wait_text(dash_duo, "#projection-progress-text", "t-SNE iteration")
    wait_text(dash_duo, "#projection-info", "t-SNE: 400 iterations", timeout=180)
    wait_points(dash_duo, DIGITS)
    assert dash_duo.find_element("#run-projection").is_enabled()
    assert console_errors(dash_duo) == []


def test_cancel_stops_a_run_and_run_works_again(dash_duo, projector_app):
    open_app(dash_duo, projector_app)
    run_tsne(dash_duo, 20000)
    wait_text(dash_duo, "#projection-progress-text", "t-SNE iteration")
    # The job runs in its own process: the page keeps answering meanwhile (points move, so search).
    set_input(dash_duo, "#search-query", "seven" + Keys.ENTER)
    wait_text(dash_duo, "#search-message", "179 matches", timeout=20)
    assert not dash_duo.find_element("#run-projection").is_enabled()
    dash_duo.find_element("#cancel-projection").click()
    dash_duo.wait_for_element("#run-projection:not([disabled])", timeout=30)
    wait_text(dash_duo, "#projection-message", "t-SNE cancelled; press Run to start it again.")
    assert "20,000 iterations" not in text(dash_duo, "#projection-info")
    set_input(dash_duo, "#tsne-iterations", 100)
    dash_duo.find_element("#run-projection").click()
    wait_text(dash_duo, "#projection-info", "t-SNE: 100 iterations", timeout=180)


def test_isolated_search_projected_on_a_custom_axis(dash_duo, projector_app):
    """The anchor's signature workflow: search, isolate, project onto a "left" → "right" axis."""
    open_app(dash_duo, projector_app)
    dash_duo.find_element("#search-regex input").click()
    set_input(dash_duo, "#search-query", "^(one|seven)$" + Keys.ENTER)
    wait_text(dash_duo, "#search-message", "361 matches")
    dash_duo.find_element("#isolate").click()
    wait_points(dash_duo, 361)
    open_tab(dash_duo, "custom")
    set_input(dash_duo, "#custom-left", "one" + Keys.ENTER)
    set_input(dash_duo, "#custom-right", "seven" + Keys.ENTER)
    wait_text(dash_duo, "#custom-info", "left: 182 matches · right: 179 matches")
    wait_text(dash_duo, ".xtitle", "one → seven")
    wait_points(dash_duo, 361)
    assert "matches" not in text(dash_duo, "#projection-message")
    set_input(dash_duo, "#custom-up", "zebra" + Keys.ENTER)
    wait_text(dash_duo, "#projection-message", "No point matches 'zebra'")
    assert console_errors(dash_duo) == []


def test_umap_runs_as_a_background_job(dash_duo, projector_app):
    open_app(dash_duo, projector_app)
    open_tab(dash_duo, "umap")
    wait_text(dash_duo, "#projection-message", "Press Run to compute UMAP")
    dash_duo.find_element("#run-projection").click()
    wait_text(dash_duo, "#projection-info", "UMAP: 15 neighbours", timeout=240)
    wait_points(dash_duo, DIGITS)
    assert console_errors(dash_duo) == []


def test_bad_parameters_say_so_and_run_still_works(dash_duo, projector_app):
    open_app(dash_duo, projector_app)
    run_tsne(dash_duo, 300, perplexity=5000)
    wait_text(dash_duo, "#projection-message", "Perplexity must be between 1 and the number of points")
    assert dash_duo.find_element("#run-projection").is_enabled()
    run_tsne(dash_duo, 60, perplexity=30)
    wait_text(dash_duo, "#projection-info", "t-SNE: 60 iterations", timeout=180)
    assert text(dash_duo, "#projection-message") == ""


def test_box_select_selects_points_and_zoom_survives_recolouring(dash_duo, projector_app):
    from selenium.webdriver.common.action_chains import ActionChains

    open_app(dash_duo, projector_app)
    # A user's zoom is kept when the colour changes (Patch, same uirevision).
    dash_duo.driver.execute_script(
        "Plotly.relayout(document.querySelector('#scatter .js-plotly-plot'), {'xaxis.range': [-1, 1]});")
    dash_duo.select_dcc_dropdown("#color-by", value="digit")
    wait_text(dash_duo, "#legend", "zero")
    xr = dash_duo.driver.execute_script(
        "return document.querySelector('#scatter .js-plotly-plot')._fullLayout.xaxis.range;")
    assert [round(v, 3) for v in xr] == [-1, 1]
    dash_duo.driver.execute_script(
        "Plotly.relayout(document.querySelector('#scatter .js-plotly-plot'), {'xaxis.autorange': true, 'dragmode': 'select'});")
    layer = dash_duo.driver.find_element("css selector", "#scatter .nsewdrag")
    w, h = layer.size["width"], layer.size["height"]
    ActionChains(dash_duo.driver).move_to_element_with_offset(layer, int(w * 0.3), int(h * 0.3)).click_and_hold() \
        .move_by_offset(int(w * 0.2), int(h * 0.2)).move_by_offset(int(w * 0.1), int(h * 0.1)).release().perform()
    wait_text(dash_duo, "#result-list", "selected")
    n = int(text(dash_duo, "#result-list").split()[0].replace(",", ""))
    assert 0 < n < DIGITS
    wait_points(dash_duo, n, trace=1)
    assert console_errors(dash_duo) == []


def test_pca_in_3d(dash_duo, projector_app):
    open_app(dash_duo, projector_app)
    dash_duo.find_element("#pca-3d input").click()
    until(lambda: dash_duo.driver.execute_script(
        "const g=document.querySelector('#scatter .js-plotly-plot'); return g._fullData[0].type;") == "scatter3d", 60)
    wait_points(dash_duo, DIGITS)
    assert console_errors(dash_duo) == []


def test_projection_selection_and_figure_downloads(dash_duo, projector_app):
    import io

    import pandas as pd

    open_app(dash_duo, projector_app)
    dash_duo.find_element("#inspector-panel details.downloads summary").click()
    dash_duo.find_element("#export-csv").click()
    table = pd.read_csv(io.StringIO(downloaded(dash_duo, "-pca-2d.csv")), comment="#")
    assert len(table) == DIGITS and list(table.columns[:3]) == ["index", "PC1", "PC2"]
    xs, ys = dash_duo.driver.execute_script(
        "const t=document.querySelector('#scatter .js-plotly-plot')._fullData[0]; return [Array.from(t.x), Array.from(t.y)];")
    np.testing.assert_allclose(table["PC1"], xs, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(table["PC2"], ys, rtol=1e-5, atol=1e-5)
    assert {"label", "digit"} <= set(table.columns)
    click_point(dash_duo, 3)
    wait_text(dash_duo, "#neighbor-list", "100 nearest neighbours")
    dash_duo.find_element("#export-list").click()
    listed = pd.read_csv(io.StringIO(downloaded(dash_duo, "-selection.csv")), comment="#")
    assert len(listed) == 101 and listed["role"].iloc[0] == "clicked"
    assert listed["distance"].iloc[1:].is_monotonic_increasing
    dash_duo.find_element("#export-svg").click()  # drawn by plotly.js in the page
    assert downloaded(dash_duo, "projection.svg").lstrip().startswith("<svg")
    dash_duo.find_element("#export-html").click()
    assert "plotly" in downloaded(dash_duo, "-pca-2d.html", timeout=60).lower()
    assert console_errors(dash_duo) == []


def test_sprite_thumbnails_show_for_the_selected_point_and_its_neighbours(dash_duo, projector_app):
    open_app(dash_duo, projector_app)
    click_point(dash_duo, 11)
    wait_text(dash_duo, "#neighbor-list", "100 nearest neighbours")
    loaded = ("return Array.from(document.querySelectorAll(arguments[0]))"
              ".filter(i => i.complete && i.naturalWidth === 24).length;")
    until(lambda: dash_duo.driver.execute_script(loaded, "#point-card img.card-thumb") == 1, 30)
    until(lambda: dash_duo.driver.execute_script(loaded, "#neighbor-list img.thumb") == 100, 30)
    assert console_errors(dash_duo) == []


def test_hovering_a_point_shows_its_thumbnail(dash_duo, projector_app):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    open_app(dash_duo, projector_app)
    x, y = dash_duo.driver.execute_script("""
        const g=document.querySelector('#scatter .js-plotly-plot'); const L=g._fullLayout; const t=g._fullData[0];
        return [L.xaxis.l2p(t.x[40]), L.yaxis.l2p(t.y[40])];""")
    layer = dash_duo.driver.find_element(By.CSS_SELECTOR, "#scatter .nsewdrag")
    ActionChains(dash_duo.driver).move_to_element_with_offset(layer, int(x), int(y)).pause(0.3) \
        .move_by_offset(1, 0).perform()
    until(lambda: dash_duo.driver.execute_script(
        "const i=document.querySelector('#hover-label img.hover-thumb'); return !!(i && i.complete && i.naturalWidth === 24);"),
        30, msg="no thumbnail for the hovered point")
    assert console_errors(dash_duo) == []


def test_an_uploaded_sprite_gives_the_points_thumbnails(dash_duo, projector_app, tmp_path):
    from PIL import Image

    X = np.random.default_rng(8).normal(size=(30, 4)).astype(np.float32)
    np.save(tmp_path / "pics.npy", X)
    Image.new("RGB", (60, 50), (20, 120, 200)).save(tmp_path / "pics.png")  # 6 × 5 tiles of 10 × 10
    open_app(dash_duo, projector_app)
    upload(dash_duo, tmp_path / "pics.npy", sprite=tmp_path / "pics.png", tile=(10, 10))
    wait_text(dash_duo, "#data-message", "Loaded pics: 30 points")
    wait_points(dash_duo, 30)
    click_point(dash_duo, 4)
    until(lambda: dash_duo.driver.execute_script(
        "const i=document.querySelector('#point-card img.card-thumb'); return !!(i && i.complete && i.naturalWidth === 10);"),
        30, msg="no thumbnail for the uploaded sprite")
    assert console_errors(dash_duo) == []

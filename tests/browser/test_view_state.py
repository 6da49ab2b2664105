"""What the screen shows is what the header says: one view state, in headless Chromium.

Each test is a symptom new users met: the plot kept another data set's points, Isolate did not redraw,
the TensorBoard workflow collapsed at its custom axes, Cancel left a half-finished frame, a reload lost
the view, a staged sprite blocked the next Load, messages outlived their context."""
import io
import json

import numpy as np
import pandas as pd
from dash.testing.wait import until
from selenium.webdriver.common.keys import Keys

from helpers import (DIGITS, GRAPH, click_first, click_point, console_errors, downloaded, drawn_points, open_app,
                     open_tab, open_upload_box, run_tsne, set_input, text, upload, wait_points, wait_text)

PLOT = f"document.querySelector('{GRAPH}')"


def xs(dash_duo):
    return np.array(dash_duo.driver.execute_script(f"return Array.from({PLOT}._fullData[0].x);"))


def hover_label(dash_duo, i):
    return dash_duo.driver.execute_script(f"const t={PLOT}._fullData[0]; return (t.hovertext || t.text)[{i}];")


def pick_dataset(dash_duo, fragment):
    dash_duo.find_element("#dataset-picker").click()
    until(lambda: any(fragment in o.text for o in dash_duo.driver.find_elements("css selector", "[role=option]")), 10)
    option = next(o for o in dash_duo.driver.find_elements("css selector", "[role=option]") if fragment in o.text)
    dash_duo.driver.execute_script("arguments[0].click();", option)


def word_files(tmp_path):
    """Words in three groups; "bad" and "good" lie outside the politics group, on either side of it."""
    rng = np.random.default_rng(11)
    groups = {"pol": ["politics", "political", "politician", "policy", "police", "polling", "poll", "polemic",
                      "senate", "election", "vote", "party"],
              "mood": ["bad", "good", "evil", "nice", "awful", "great"],
              "misc": [f"thing{i}" for i in range(300)]}
    centres = {k: rng.normal(size=40) * 4 for k in groups}
    words, rows = [], []
    for k, ws in groups.items():
        for w in ws:
            words.append(w)
            rows.append(centres[k] + rng.normal(size=40))
    np.save(tmp_path / "words.npy", np.array(rows, dtype=np.float32))
    (tmp_path / "words.tsv").write_text("".join(w + "\n" for w in words))
    return tmp_path / "words.npy", tmp_path / "words.tsv", len(words)


def test_another_data_set_on_the_tsne_tab_shows_its_own_points(dash_duo, projector_app, tmp_path):
    vectors, labels, n = word_files(tmp_path)
    open_app(dash_duo, projector_app)
    open_tab(dash_duo, "tsne")
    wait_text(dash_duo, "#projection-message", "Press Run to compute t-SNE on the 1,797 points")
    upload(dash_duo, vectors, labels)
    wait_points(dash_duo, n)                               # its PCA, not the digits
    wait_text(dash_duo, "#status", f"words: {n:,} points · 40 dimensions · PCA 2D")
    wait_text(dash_duo, "#projection-message", f"Press Run to compute t-SNE on the {n:,} points; the plot shows "
                                               "their PCA until then.")
    assert hover_label(dash_duo, 0) == "politics"
    click_point(dash_duo, 5)
    wait_text(dash_duo, "#neighbor-list", "100 nearest neighbours")
    assert "does not exist" not in text(dash_duo, "#inspector-message")
    pick_dataset(dash_duo, "Digits")
    wait_points(dash_duo, DIGITS)
    wait_text(dash_duo, "#status", "Digits (sample): 1,797 points")
    assert "words" not in text(dash_duo, "#status") and text(dash_duo, "#neighbor-list") == ""
    assert console_errors(dash_duo) == []


def test_isolate_and_show_all_on_the_tsne_tab_project_again(dash_duo, projector_app):
    open_app(dash_duo, projector_app)
    run_tsne(dash_duo, 60, perplexity=9)
    wait_text(dash_duo, "#status", "t-SNE 2D (perplexity 9, 60 iterations)")
    dash_duo.find_element("#search-regex input").click()
    set_input(dash_duo, "#search-query", "^(one|seven)$" + Keys.ENTER)
    wait_text(dash_duo, "#search-message", "361 matches")
    dash_duo.find_element("#isolate").click()
    wait_points(dash_duo, 361)
    wait_text(dash_duo, "#status", "isolated 361 of 1,797")
    # under 10,000 points a t-SNE of the isolated points starts by itself, and is drawn
    wait_text(dash_duo, "#status", "t-SNE 2D (perplexity 9, 60 iterations), spherized · isolated 361 of 1,797")
    wait_text(dash_duo, "#projection-info", "t-SNE: 60 iterations")
    wait_text(dash_duo, "#projection-info", "361 points")
    dash_duo.find_element("#show-all").click()
    wait_points(dash_duo, DIGITS)
    wait_text(dash_duo, "#projection-info", "1,797 points. From the server's cache.")
    assert "isolated" not in text(dash_duo, "#status")
    assert console_errors(dash_duo) == []


def test_tensorboards_workflow_politics_neighbours_regex_isolate_bad_to_good(dash_duo, projector_app, tmp_path):
    vectors, labels, n = word_files(tmp_path)
    open_app(dash_duo, projector_app)
    upload(dash_duo, vectors, labels)
    wait_points(dash_duo, n)
    set_input(dash_duo, "#search-query", "politics" + Keys.ENTER)
    wait_text(dash_duo, "#result-list", "1 selected")
    click_first(dash_duo, "#result-list .point-row")
    wait_text(dash_duo, "#neighbor-list", "100 nearest neighbours")
    dash_duo.select_dcc_dropdown("#search-scope", value="neighbours")
    dash_duo.find_element("#search-regex input").click()
    set_input(dash_duo, "#search-query", "^pol" + Keys.ENTER)
    wait_text(dash_duo, "#search-message", "7 matches among the neighbours shown.")
    dash_duo.find_element("#isolate").click()
    wait_points(dash_duo, 8)
    wait_text(dash_duo, "#status", f"isolated 8 of {n}")
    open_tab(dash_duo, "custom")
    dash_duo.find_element("#custom-regex input").click()   # TensorBoard's queries are regexes too
    set_input(dash_duo, "#custom-left", "^bad$" + Keys.ENTER)
    set_input(dash_duo, "#custom-right", "^good$" + Keys.ENTER)
    # the axis comes from matches among all points; the 8 isolated points are projected onto it
    wait_text(dash_duo, "#custom-info", "left: 1 matches · right: 1 matches")
    wait_text(dash_duo, ".xtitle", "^bad$ → ^good$")
    wait_points(dash_duo, 8)
    assert "matches '^bad$'" not in text(dash_duo, "#projection-message")
    x = xs(dash_duo)
    assert np.ptp(x) > 0 and len(set(np.round(x, 5))) == 8          # spread out, not one dot
    labels_on_plot = dash_duo.driver.execute_script(f"return {PLOT}._fullData[0].text;")
    assert sorted(labels_on_plot) == sorted(["politics", "political", "politician", "policy", "police", "polling",
                                             "poll", "polemic"])    # few points: every label is written
    assert console_errors(dash_duo) == []


def test_cancel_brings_back_the_last_complete_picture_with_its_caption(dash_duo, projector_app):
    open_app(dash_duo, projector_app)
    wait_text(dash_duo, "#status", "PCA 2D (PC1, PC2)")
    pca = xs(dash_duo)
    run_tsne(dash_duo, 20000)
    wait_text(dash_duo, "#status", "t-SNE running: iteration")
    until(lambda: not np.allclose(xs(dash_duo), pca), 30, msg="no t-SNE frame was drawn")
    dash_duo.find_element("#cancel-projection").click()
    wait_text(dash_duo, "#projection-message", "t-SNE cancelled; press Run to start it again.")
    until(lambda: np.allclose(xs(dash_duo), pca), 20, msg="the half-finished frame stayed on screen")
    wait_text(dash_duo, "#status", "PCA 2D (PC1, PC2)")
    assert dash_duo.find_element("#run-projection").is_enabled()
    assert console_errors(dash_duo) == []


def test_a_reload_and_a_second_tab_come_back_to_the_view_and_follow_its_job(dash_duo, projector_app):
    open_app(dash_duo, projector_app)
    run_tsne(dash_duo, 3000, perplexity=21)
    wait_text(dash_duo, "#projection-progress-text", "t-SNE iteration")
    dash_duo.driver.refresh()
    wait_text(dash_duo, "#projection-progress-text", "t-SNE iteration", timeout=30)   # following the same job
    wait_text(dash_duo, "#status", "Digits (sample): 1,797 points")
    assert dash_duo.driver.execute_script(
        "return document.querySelector('#projection-tabs .tab--selected').innerText;") == "t-SNE"
    assert dash_duo.find_element("#tsne-perplexity").get_attribute("value") == "21"
    assert dash_duo.find_element("#tsne-iterations").get_attribute("value") == "3000"
    first = dash_duo.driver.current_window_handle
    dash_duo.driver.execute_script("window.open(arguments[0], '_blank');", dash_duo.server_url)
    second = next(h for h in dash_duo.driver.window_handles if h != first)
    dash_duo.driver.switch_to.window(second)
    wait_text(dash_duo, "#projection-progress-text", "t-SNE iteration", timeout=30)
    assert dash_duo.find_element("#tsne-perplexity").get_attribute("value") == "21"
    dash_duo.find_element("#cancel-projection").click()            # Cancel in one tab reaches the job
    wait_text(dash_duo, "#projection-message", "t-SNE cancelled")
    dash_duo.driver.close()
    dash_duo.driver.switch_to.window(first)
    wait_text(dash_duo, "#projection-message", "t-SNE cancelled", timeout=20)
    wait_text(dash_duo, "#status", "PCA 2D")
    assert console_errors(dash_duo) == []


def test_a_staged_sprite_never_blocks_the_next_load_and_cancel_upload_forgets_it(dash_duo, projector_app, tmp_path):
    from PIL import Image

    np.save(tmp_path / "pics.npy", np.random.default_rng(18).normal(size=(30, 4)).astype(np.float32))
    np.save(tmp_path / "plain.npy", np.random.default_rng(9).normal(size=(40, 4)).astype(np.float32))
    np.save(tmp_path / "third.npy", np.random.default_rng(10).normal(size=(50, 4)).astype(np.float32))
    Image.new("RGB", (60, 50), (20, 120, 200)).save(tmp_path / "pics.png")
    open_app(dash_duo, projector_app)
    upload(dash_duo, tmp_path / "pics.npy", sprite=tmp_path / "pics.png", tile=(10, 10))
    wait_text(dash_duo, "#data-message", "Loaded pics: 30 points")
    assert not dash_duo.find_element("#upload-box").get_attribute("open")   # folded away after Load
    upload(dash_duo, tmp_path / "plain.npy")                     # the sprite went with its Load
    wait_text(dash_duo, "#data-message", "Loaded plain: 40 points")
    wait_points(dash_duo, 40)
    open_upload_box(dash_duo)
    dash_duo.find_element("#upload-sprite-file").send_keys(str(tmp_path / "pics.png"))
    wait_text(dash_duo, "#upload-sprite-name", "pics.png (")
    dash_duo.find_element("#upload-cancel").click()
    wait_text(dash_duo, "#upload-vectors-name", "Upload cancelled; nothing was kept.")
    upload(dash_duo, tmp_path / "third.npy")
    wait_text(dash_duo, "#data-message", "Loaded third: 50 points")
    assert "sprite" not in text(dash_duo, "#data-message")
    assert console_errors(dash_duo) == []


def test_messages_belong_to_their_context_and_have_one_style_each(dash_duo, projector_app, tmp_path):
    np.save(tmp_path / "short.npy", np.random.default_rng(3).normal(size=(30, 5)).astype(np.float32))
    (tmp_path / "short.tsv").write_text("w\tg\n" + "".join(f"w{i}\tg{i % 2}\n" for i in range(20)))
    open_app(dash_duo, projector_app)
    dash_duo.find_element("#inspector-panel details.downloads summary").click()
    dash_duo.find_element("#export-csv").click()
    wait_text(dash_duo, "#export-message", "Downloaded Digits-sample-pca-2d.csv")
    assert "ok" in dash_duo.find_element("#export-message").get_attribute("class")
    dash_duo.find_element("#share-link").click()
    until(lambda: "?view=" in (dash_duo.find_element("#share-url").get_attribute("value") or ""), 10)
    click_point(dash_duo, 3)                                    # the view changed: the old link goes
    until(lambda: dash_duo.find_element("#share-url").get_attribute("value") == "", 10)
    upload(dash_duo, tmp_path / "short.npy", tmp_path / "short.tsv")
    wait_text(dash_duo, "#data-message", "the last 10 points have no metadata")
    assert "warn" in dash_duo.find_element("#data-message").get_attribute("class")   # a warning, not a success
    assert text(dash_duo, "#export-message") == ""               # about the other data set: gone
    open_upload_box(dash_duo)
    assert text(dash_duo, "#upload-vectors-name") == "" and text(dash_duo, "#upload-metadata-name") == ""
    set_input(dash_duo, "#search-query", "(" + Keys.ENTER)
    dash_duo.find_element("#search-regex input").click()
    wait_text(dash_duo, "#search-message", "not a valid regular expression")
    assert "error" in dash_duo.find_element("#search-message").get_attribute("class")
    assert console_errors(dash_duo) == []


def test_found_points_stand_out_with_their_labels_and_a_unique_column_says_why_it_cannot_colour(dash_duo, projector_app,
                                                                                               tmp_path):
    n = 400
    np.save(tmp_path / "tok.npy", np.random.default_rng(4).normal(size=(n, 6)).astype(np.float32))
    (tmp_path / "tok.tsv").write_text("token\tkind\n" + "".join(f"tok{i}\tk{i % 3}\n" for i in range(n)))
    open_app(dash_duo, projector_app)
    upload(dash_duo, tmp_path / "tok.npy", tmp_path / "tok.tsv")
    wait_points(dash_duo, n)
    dash_duo.find_element("#color-by").click()
    until(lambda: any("a different value on every point" in o.text
                      for o in dash_duo.driver.find_elements("css selector", "[role=option]")), 10)
    dash_duo.find_element("#color-by").click()
    click_point(dash_duo, 7)
    wait_points(dash_duo, 101, trace=1)
    high = dash_duo.driver.execute_script(f"const t={PLOT}._fullData[1]; return [t.mode, t.text, Array.from(t.marker.size)];")
    assert "text" in high[0] and sum(1 for t in high[1] if t) == 101   # the clicked point and its neighbours, labelled
    assert min(high[2]) >= 10 > dash_duo.driver.execute_script(f"return {PLOT}._fullData[0].marker.size;")
    assert drawn_points(dash_duo) == n
    assert console_errors(dash_duo) == []


def test_comma_separated_metadata_loads_and_exports_read_back_with_pandas_as_they_are(dash_duo, projector_app, tmp_path):
    labels = ["##ing", 'say "hi"', "=1+2", "#", "a,b", "+x"] * 5
    np.save(tmp_path / "pieces.npy", np.random.default_rng(6).normal(size=(30, 4)).astype(np.float32))
    pd.DataFrame({"piece": labels, "n": range(30)}).to_csv(tmp_path / "pieces.csv", index=False)
    open_app(dash_duo, projector_app)
    upload(dash_duo, tmp_path / "pieces.npy", tmp_path / "pieces.csv")
    wait_text(dash_duo, "#data-message", "Loaded pieces: 30 points")
    wait_text(dash_duo, "#dataset-info", "2 metadata columns")
    dash_duo.find_element("#inspector-panel details.downloads summary").click()
    dash_duo.find_element("#export-csv").click()
    table = pd.read_csv(io.StringIO(downloaded(dash_duo, "pieces-pca-2d.csv")))       # no options
    assert table["n"].tolist() == list(range(30))
    # cells a spreadsheet would run as formulas come guarded; the sidecar's recipe gives the labels back
    assert table["piece"].tolist() == [("'" + t if t[0] in "=+" else t) for t in labels]
    how = json.loads(downloaded(dash_duo, "pieces-pca-2d.json"))
    assert table.replace(r"^'(?=[=+\-@\t\r])", "", regex=True)["piece"].tolist() == labels
    assert r"^'(?=[=+\-@\t\r])" in how["formula_guard"]
    assert how["method"] == "pca" and how["points"] == 30 and how["data_set"] == "pieces"
    # a .tsv that holds commas and no tabs is comma-separated metadata too, and says how it was read
    np.save(tmp_path / "again.npy", np.random.default_rng(7).normal(size=(4, 3)).astype(np.float32))
    (tmp_path / "again.tsv").write_text("digit,parity\n7,odd\n8,even\n9,odd\n0,even\n")
    upload(dash_duo, tmp_path / "again.npy", tmp_path / "again.tsv")
    wait_text(dash_duo, "#data-message", "has no tabs but 2 comma-separated columns on every line")
    wait_text(dash_duo, "#dataset-info", "2 metadata columns")
    assert console_errors(dash_duo) == []

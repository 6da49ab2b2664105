"""Labels are text, never markup: payloads in values and column names run nowhere in the page."""
import numpy as np
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from helpers import click_point, console_errors, open_app, set_input, text, upload, wait_points, wait_text

PAYLOADS = ['<img src=x onerror="window.__xss=1">', "<script>window.__xss=2</script>",
            '"><svg onload="window.__xss=3">', "<iframe src=javascript:window.__xss=4>"]


def test_markup_in_labels_and_column_names_renders_as_text_everywhere(dash_duo, projector_app, tmp_path):
    n = 80
    X = np.random.default_rng(2).normal(size=(n, 6)).astype(np.float32)
    np.save(tmp_path / "xss.npy", X)
    head = "word\t<b onmouseover=window.__xss=5>kind</b>"
    rows = [f"{PAYLOADS[i % 4]} {i}\t{PAYLOADS[i % 4]}" for i in range(n)]
    (tmp_path / "xss.tsv").write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")
    open_app(dash_duo, projector_app)
    upload(dash_duo, tmp_path / "xss.npy", tmp_path / "xss.tsv")
    wait_points(dash_duo, n)
    kind = "<b onmouseover=window.__xss=5>kind</b>"
    dash_duo.select_dcc_dropdown("#color-by", value=kind)            # the legend lists the payloads
    wait_text(dash_duo, "#legend", PAYLOADS[0])
    assert kind in text(dash_duo, "#color-by")                        # the dropdown shows the name as typed
    # hover (Plotly's tooltip), click (card, neighbour list), search (result list)
    x, y = dash_duo.driver.execute_script("""
        const g=document.querySelector('#scatter .js-plotly-plot'); const L=g._fullLayout; const t=g._fullData[0];
        return [L.xaxis.l2p(t.x[0]), L.yaxis.l2p(t.y[0])];""")
    layer = dash_duo.driver.find_element(By.CSS_SELECTOR, "#scatter .nsewdrag")
    ActionChains(dash_duo.driver).move_to_element_with_offset(layer, int(x), int(y)).pause(0.5).perform()
    click_point(dash_duo, 0)
    wait_text(dash_duo, "#point-card h3", f"{PAYLOADS[0]} 0")
    wait_text(dash_duo, "#point-card", kind)
    wait_text(dash_duo, "#neighbor-list", "nearest neighbours")
    assert PAYLOADS[1] in text(dash_duo, "#neighbor-list") or PAYLOADS[2] in text(dash_duo, "#neighbor-list")
    set_input(dash_duo, "#search-query", "<script>" + Keys.ENTER)
    wait_text(dash_duo, "#search-message", "20 matches")
    wait_text(dash_duo, "#result-list", PAYLOADS[1])
    dash_duo.find_element("#bookmark-add").click()
    wait_text(dash_duo, "#bookmark-message", "Added")
    assert dash_duo.driver.execute_script("return window.__xss === undefined;"), "a payload ran"
    assert dash_duo.driver.execute_script(
        "return document.querySelectorAll('img[src=\"x\"], iframe, svg[onload], b[onmouseover]').length;") == 0
    assert [e for e in console_errors(dash_duo) if "xss" in e["message"].lower()] == []

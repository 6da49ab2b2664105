"""The page fits the screen: at 1440 × 900 and 1920 × 1080 every primary control is in sight without
scrolling the page, whatever tab is open, with the upload box open, and with a long neighbour list."""
import pytest

from helpers import DIGITS, click_point, console_errors, fit_window, open_tab, open_upload_box, wait_points, wait_text

ALWAYS = ["#dataset-picker", "#color-by", "#label-by", "#spherize", "#show-images", "#upload-box summary",
          "#projection-tabs", "#run-projection", "#cancel-projection", "#search-query", "#search-regex",
          "#search-column", "#search-scope", "#isolate", "#show-all", "#clear-selection", "#neighbor-count",
          "#metric", "#inspector-panel details.downloads summary", "#inspector-panel details.tags summary",
          "#bookmark-add", "#share-link", "#bookmark-save", "#bookmark-file"]
TABS = {"pca": ["#pca-x", "#pca-y", "#pca-3d"],
        "tsne": ["#tsne-3d", "#tsne-perplexity", "#tsne-learning-rate", "#tsne-iterations"],
        "umap": ["#umap-3d", "#umap-neighbors", "#umap-min-dist"],
        "custom": ["#custom-left", "#custom-right", "#custom-down", "#custom-up", "#custom-regex", "#custom-column"]}
UPLOAD = ["#load-upload", "#upload-cancel", "#upload-vectors-file", "#upload-metadata-file", "#upload-sprite-file",
          "#sprite-width", "#bytes-dim", "#upload-name"]

OUT_OF_SIGHT = """
const out = [];
for (const sel of arguments[0]) {
  const el = document.querySelector(sel);
  if (!el) { out.push(sel + ': missing'); continue; }
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) { out.push(sel + ': not shown'); continue; }
  if (r.top < 0 || r.left < 0 || r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5) {
    out.push(sel + ': outside the window ' + JSON.stringify([r.left, r.top, r.right, r.bottom])); continue; }
  for (let p = el.parentElement; p; p = p.parentElement) {
    const s = getComputedStyle(p);
    if (/(auto|scroll|hidden)/.test(s.overflowY + s.overflowX)) {
      const q = p.getBoundingClientRect();
      if (r.top < q.top - 0.5 || r.bottom > q.bottom + 0.5) { out.push(sel + ': scrolled out of its panel'); break; }
    }
  }
}
if (document.scrollingElement.scrollHeight > innerHeight + 1) out.push('the page itself scrolls');
return out;
"""


def out_of_sight(dash_duo, selectors):
    return dash_duo.driver.execute_script(OUT_OF_SIGHT, selectors)


@pytest.mark.parametrize("size", [(1440, 900), (1920, 1080)], ids=["1440x900", "1920x1080"])
def test_every_primary_control_is_in_sight(dash_duo, projector_app, size):
    fit_window(dash_duo.driver, *size)
    dash_duo.start_server(projector_app)
    wait_points(dash_duo, DIGITS)
    assert dash_duo.driver.execute_script("return [innerWidth, innerHeight];") == list(size)
    click_point(dash_duo, 12)                       # a long list of neighbours in the inspector
    wait_text(dash_duo, "#neighbor-list", "100 nearest neighbours")
    for tab, controls in TABS.items():
        open_tab(dash_duo, tab)
        assert out_of_sight(dash_duo, ALWAYS + controls) == [], tab
    open_upload_box(dash_duo)
    assert out_of_sight(dash_duo, UPLOAD) == []
    assert dash_duo.driver.execute_script(
        "return getComputedStyle(document.querySelector('#search-scope')).width;") != "0px"
    texts = dash_duo.driver.execute_script(
        "const e=document.querySelector('#search-scope'); return [e.innerText, e.scrollWidth <= e.clientWidth + 1];")
    assert texts[1], f"the 'among' choice is cut: {texts[0]!r}"
    assert console_errors(dash_duo) == []

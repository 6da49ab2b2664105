"""Table & charts in headless Chromium: the drawer under the map, cross-filtered with the map through the
one selection — a range on the histogram selects its points, a filter in the table greys the map, a box
on the map narrows the table, and a large table is fetched block by block, never whole."""
import numpy as np
import pandas as pd
from dash.testing.wait import until
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from helpers import DIGITS, GRAPH, console_errors, open_app, text, wait_points, wait_text

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
DIGITS_META = pd.read_csv(ROOT / "data" / "digits" / "metadata.tsv", sep="\t", dtype={"digit": object})
CHART = "#points-chart .js-plotly-plot"
API = "dash_ag_grid.getApi('points-table')"
# every answer of the table's row requests: its size and its rows (a clone is read, the page reads the answer)
RECORD_ROWS = """
window.__rows = [];
const send = window.fetch;
window.fetch = function (url, options) {
  const answer = send.apply(this, arguments);
  if (String(url).indexOf('_dash-update-component') >= 0 && options && String(options.body).indexOf('getRowsRequest') >= 0) {
    answer.then(r => r.clone().text()).then(t => {
      const rows = ((JSON.parse(t).response || {})['points-table'] || {}).getRowsResponse || {};
      window.__rows.push({bytes: t.length, rows: (rows.rowData || []).length, count: rows.rowCount});
    }).catch(() => {});
  }
  return answer;
};"""


def open_drawer(dash_duo, rows_text):
    dash_duo.find_element("#table-toggle").click()
    dash_duo.wait_for_element(".table-drawer.open #points-table", timeout=10)
    wait_table(dash_duo, rows_text, timeout=30)


def wait_table(dash_duo, fragment, timeout=20):
    """Wait for the table's line to say ``fragment``; a failure reports what the table holds."""
    try:
        wait_text(dash_duo, "#table-message", fragment, timeout=timeout)
    except Exception:
        state = dash_duo.driver.execute_script(
            f"const api={API}; return [api.getDisplayedRowCount(), JSON.stringify(api.getCacheBlockState())];")
        raise AssertionError(f"the table says {text(dash_duo, '#table-message')!r}, not {fragment!r}; rows and "
                             f"blocks: {state}") from None


def highlighted(dash_duo):
    return sorted(dash_duo.driver.execute_script(f"return Array.from(document.querySelector('{GRAPH}')._fullData[1]"
                                                 ".customdata || []);"))


def dot_opacity(dash_duo):
    return dash_duo.driver.execute_script(f"return document.querySelector('{GRAPH}')._fullData[0].marker.opacity;")


def grid_rows(dash_duo):
    return dash_duo.driver.execute_script(f"return {API}.getDisplayedRowCount();")


def wait_selected(dash_duo, n):
    wait_text(dash_duo, "#status", f" · {n:,} selected", timeout=20)
    wait_points(dash_duo, n, trace=1, timeout=20)


def drag(dash_duo, plot, x0, y0, x1, y1):
    """A real mouse drag on ``plot`` between two points given in its data coordinates."""
    driver = dash_duo.driver
    layer = driver.find_element("css selector", plot + " .nsewdrag")
    (a, b), (c, d) = driver.execute_script(
        """const g=document.querySelector(arguments[0]); const L=g._fullLayout;
           const r=g.querySelector('.nsewdrag').getBoundingClientRect(); const box=g.getBoundingClientRect();
           const at=(x, y) => [L.xaxis.l2p(x) + L.xaxis._offset - (r.left - box.left),
                               L.yaxis.l2p(y) + L.yaxis._offset - (r.top - box.top)];
           return [at(arguments[1], arguments[2]), at(arguments[3], arguments[4])];""", plot, x0, y0, x1, y1)
    ActionChains(driver).move_to_element_with_offset(layer, int(a), int(b)).click_and_hold() \
        .move_by_offset(int((c - a) / 2), int((d - b) / 2)).move_by_offset(int(c - a) - int((c - a) / 2),
                                                                          int(d - b) - int((d - b) / 2)) \
        .release().perform()


def test_a_range_on_the_histogram_selects_exactly_its_points_on_the_map(dash_duo, projector_app):
    open_app(dash_duo, projector_app)
    assert not dash_duo.find_element("#table-drawer").get_attribute("class").endswith("open")   # closed at first
    open_drawer(dash_duo, "1,797 of 1,797 points.")
    until(lambda: dash_duo.driver.execute_script(f"const g=document.querySelector('{CHART}');"
                                                 "return g && g._fullData && g._fullData.length === 2;"), 20)
    assert text(dash_duo, "#chart-column") == "label"            # the column the map is coloured by
    top = dash_duo.driver.execute_script(f"return document.querySelector('{CHART}')._fullLayout.yaxis.range[1];")
    drag(dash_duo, CHART, 2.5, top * 0.6, 6.5, top * 0.3)
    labels = DIGITS_META["label"].to_numpy()
    inside = np.flatnonzero((labels >= 2.5) & (labels <= 6.5))   # the labels 3, 4, 5 and 6
    wait_selected(dash_duo, len(inside))
    assert highlighted(dash_duo) == inside.tolist()
    assert dot_opacity(dash_duo) == 0.2
    wait_text(dash_duo, "#chart-message", f"{len(inside):,} points with label from 2.", timeout=10)
    until(lambda: sum(dash_duo.driver.execute_script(
        f"return Array.from(document.querySelector('{CHART}')._fullData[1].y);")) == len(inside), 10)
    assert console_errors(dash_duo) == []


def test_a_filter_in_the_table_greys_the_map_around_its_rows(dash_duo, projector_app, tmp_path):
    open_app(dash_duo, projector_app)
    open_drawer(dash_duo, "1,797 of 1,797 points.")
    ratio = dash_duo.driver.execute_script(
        "return document.querySelector('.centre').getBoundingClientRect().height /"
        " document.querySelector('.centre-column').getBoundingClientRect().height;")
    assert ratio >= 0.55                                          # the map keeps most of the centre column
    until(lambda: dash_duo.driver.execute_script(
        f"return Math.abs(document.querySelector('{GRAPH}').getBoundingClientRect().height -"
        " document.querySelector('.centre').getBoundingClientRect().height) < 2;"), 10)   # and is drawn to fit it
    dash_duo.driver.save_screenshot(str(tmp_path / "table-and-charts.png"))
    box = dash_duo.find_element('#points-table .ag-floating-filter[col-id="c1"] input')   # the "digit" column
    box.send_keys("T")
    matches = np.flatnonzero(DIGITS_META["digit"].str.lower().str.contains("t", regex=False))   # two, three, eight
    wait_selected(dash_duo, len(matches))
    assert dot_opacity(dash_duo) == 0.2 and highlighted(dash_duo) == matches.tolist()
    wait_table(dash_duo, f"{len(matches):,} of 1,797 points match the table's filters")
    assert grid_rows(dash_duo) == len(matches)                   # the table is not narrowed by its own selection
    box.send_keys(Keys.BACK_SPACE)
    wait_text(dash_duo, "#status", " · 0 selected", timeout=20)  # clearing the filter clears its selection
    until(lambda: dot_opacity(dash_duo) == 0.8, 10)
    assert console_errors(dash_duo) == []


def test_a_box_on_the_map_narrows_the_table(dash_duo, projector_app):
    open_app(dash_duo, projector_app)
    open_drawer(dash_duo, "1,797 of 1,797 points.")
    assert grid_rows(dash_duo) == DIGITS
    dash_duo.driver.execute_script(f"Plotly.relayout(document.querySelector('{GRAPH}'), {{'dragmode': 'select'}});")
    xr, yr = dash_duo.driver.execute_script(
        f"const L=document.querySelector('{GRAPH}')._fullLayout; return [L.xaxis.range, L.yaxis.range];")
    drag(dash_duo, GRAPH, xr[0] + 0.3 * (xr[1] - xr[0]), yr[0] + 0.7 * (yr[1] - yr[0]),
         xr[0] + 0.65 * (xr[1] - xr[0]), yr[0] + 0.35 * (yr[1] - yr[0]))
    wait_text(dash_duo, "#result-list", "selected", timeout=20)
    n = int(text(dash_duo, "#result-list").split()[0].replace(",", ""))
    assert 0 < n < DIGITS
    wait_table(dash_duo, f"{n:,} of 1,797 points, within the {n:,} selected.")
    until(lambda: grid_rows(dash_duo) == n, 10)
    chosen = set(highlighted(dash_duo))
    listed = dash_duo.driver.execute_script(
        f"const api={API}; const out=[]; for (let k=0; k<Math.min(api.getDisplayedRowCount(), 100); k++) {{"
        " const r=api.getDisplayedRowAtIndex(k); if (r && r.data) out.push(r.data.i); } return out;")
    assert listed and set(listed) <= chosen and listed == sorted(listed)
    dash_duo.find_element(f'#points-table .ag-center-cols-container .ag-row[row-id="{listed[1]}"]').click()
    wait_selected(dash_duo, 1)                                     # a row picked in the table is the selection
    assert highlighted(dash_duo) == [listed[1]]
    assert grid_rows(dash_duo) == n                                # which still lists the box's points
    assert console_errors(dash_duo) == []


def test_a_large_table_is_fetched_block_by_block(dash_duo, projector_app):
    import projector
    from callbacks import services

    n = 200_000
    rng = np.random.default_rng(13)
    x = rng.integers(0, 10**6, size=n)
    meta = pd.DataFrame({"w": pd.array([f"w{i % 1000}" for i in range(n)], dtype=object), "x": x})
    ds = projector.load_dataset(rng.normal(size=(n, 2)).astype(np.float32), meta, name="Large table")
    services.store().get(services.store().add(ds))   # kept open: the page does not wait for its first reading
    open_app(dash_duo, projector_app)
    dash_duo.find_element("#dataset-picker").click()
    until(lambda: any("Large table" in o.text for o in dash_duo.driver.find_elements("css selector", "[role=option]")),
          10)
    option = next(o for o in dash_duo.driver.find_elements("css selector", "[role=option]") if "Large table" in o.text)
    dash_duo.driver.execute_script("arguments[0].click();", option)
    wait_text(dash_duo, "#status", "Large table: 200,000 points", timeout=30)
    dash_duo.driver.execute_script(RECORD_ROWS)
    open_drawer(dash_duo, "200,000 of 200,000 points.")

    def row(k):
        return dash_duo.driver.execute_script(
            f"const r={API}.getDisplayedRowAtIndex(arguments[0]); return r && r.data ? r.data : null;", k)

    dash_duo.driver.execute_script(f"{API}.ensureIndexVisible(150000, 'middle');")
    until(lambda: row(150_000) is not None, 15)
    assert row(150_000) == {"i": 150_000, "c0": "w0", "c1": x[150_000]}
    dash_duo.find_element('#points-table .ag-header-cell[col-id="c1"] .ag-header-cell-label').click()   # sort by x
    order = np.argsort(x, kind="stable")
    until(lambda: (row(150_000) or {}).get("i") == int(order[150_000]), 15)
    dash_duo.driver.execute_script(f"{API}.ensureIndexVisible(0, 'top');")
    until(lambda: (row(0) or {}).get("i") == int(order[0]), 15)
    answers = dash_duo.driver.execute_script("return window.__rows;")
    assert answers and all(a["rows"] <= 100 and a["bytes"] < 20_000 and a["count"] == n for a in answers), answers
    assert sum(a["rows"] for a in answers) <= 1_500               # a few blocks of 100, never the 200,000 rows
    assert console_errors(dash_duo) == []

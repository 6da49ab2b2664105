"""What the browser tests ask the page: drawn point counts, texts, real mouse clicks on points."""
import pathlib
import shutil

from dash.testing.wait import until
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.common.action_chains import ActionChains
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

GRAPH = "#scatter .js-plotly-plot"
CHROME_FLAGS = ["--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1440,900"]
WINDOW = (1440, 900)   # the page as a laptop shows it (headless Chromium does not always honour --window-size)


def chrome_options() -> Options:
    """Debian's chromium, offline: without these flags it keeps trying to reach the network."""
    options = Options()
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    chromium = shutil.which("chromium")
    if chromium:
        options.binary_location = chromium
    return options
JOB_TIMEOUT = 120  # the first job of a test session waits for the job server's UMAP warm-up


def drawn_points(dash_duo, trace=0):
    return dash_duo.driver.execute_script(
        f"const g=document.querySelector('{GRAPH}');"
        f"return (g && g._fullData && g._fullData[{trace}] && g._fullData[{trace}].x) ? "
        f"g._fullData[{trace}].x.length : -1;")


def wait_points(dash_duo, n, timeout=JOB_TIMEOUT, trace=0):
    until(lambda: drawn_points(dash_duo, trace) == n, timeout,
          msg=lambda: f"expected {n} drawn points, saw {drawn_points(dash_duo, trace)}")


def text(dash_duo, selector):
    """The element's text, read again if a callback replaced the element meanwhile."""
    for _ in range(20):
        try:
            return dash_duo.find_element(selector).text
        except StaleElementReferenceException:
            continue
    return dash_duo.find_element(selector).text


def wait_text(dash_duo, selector, fragment, timeout=JOB_TIMEOUT):
    until(lambda: fragment in text(dash_duo, selector), timeout,
          msg=lambda: f"{selector} should contain {fragment!r}, shows {text(dash_duo, selector)!r}")


def click_point(dash_duo, i, trace=0, graph=GRAPH):
    """A real mouse click on drawn point ``i`` of ``trace`` (2D plots; trace 3 holds the cluster names), on
    the main map or the one ``graph`` names."""
    x, y = dash_duo.driver.execute_script(f"""
        const g=document.querySelector('{graph}'); const L=g._fullLayout; const t=g._fullData[{trace}];
        return [L.xaxis.l2p(t.x[{i}]) + L.xaxis._offset, L.yaxis.l2p(t.y[{i}]) + L.yaxis._offset];""")
    el = dash_duo.driver.find_element(By.CSS_SELECTOR, graph + " .nsewdrag")
    # move relative to the drag layer's top-left corner (selenium 4.2 offsets are from the top-left)
    left, top = dash_duo.driver.execute_script(
        "const r=arguments[0].getBoundingClientRect(); const g=document.querySelector(arguments[1]).getBoundingClientRect();"
        "return [r.left-g.left, r.top-g.top];", el, graph)
    ActionChains(dash_duo.driver).move_to_element_with_offset(el, int(x - left), int(y - top)).pause(0.3).click().perform()


def set_input(dash_duo, selector, value):
    el = dash_duo.find_element(selector)
    el.clear()
    el.send_keys(str(value))


def console_errors(dash_duo):
    return [entry for entry in dash_duo.get_logs() or [] if entry.get("level") == "SEVERE"]


def texts_of(dash_duo, selector):
    """The texts of every element matching ``selector``, read in one step (no stale elements)."""
    return dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.innerText);", selector)


def click_first(dash_duo, selector):
    dash_duo.driver.execute_script("document.querySelector(arguments[0]).click();", selector)


DIGITS = 1797


TABS = {"pca": 1, "tsne": 2, "umap": 3, "custom": 4}


def fit_window(driver, width=WINDOW[0], height=WINDOW[1]):
    """Give the page a laptop's viewport, whatever size headless Chromium started with."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})


def open_app(dash_duo, app):
    fit_window(dash_duo.driver)
    dash_duo.start_server(app)
    wait_points(dash_duo, DIGITS)


def open_tab(dash_duo, name):
    dash_duo.find_element(f"#projection-tabs .tab:nth-child({TABS[name]})").click()


def open_upload_box(dash_duo):
    if not dash_duo.find_element("#upload-box").get_attribute("open"):
        dash_duo.find_element("#upload-box summary").click()
    dash_duo.wait_for_element("#upload-box[open] #load-upload", timeout=10)


def upload(dash_duo, vectors, metadata=None, sprite=None, tile=None):
    """Choose files in the Data panel's upload box and press Load."""
    open_upload_box(dash_duo)
    dash_duo.find_element("#upload-vectors-file").send_keys(str(vectors))
    wait_text(dash_duo, "#upload-vectors-name", f"{vectors.name} (")
    if metadata is not None:
        dash_duo.find_element("#upload-metadata-file").send_keys(str(metadata))
        wait_text(dash_duo, "#upload-metadata-name", f"{metadata.name} (")
    if sprite is not None:
        dash_duo.find_element("#upload-sprite-file").send_keys(str(sprite))
        wait_text(dash_duo, "#upload-sprite-name", f"{sprite.name} (")
        set_input(dash_duo, "#sprite-width", tile[0])
        set_input(dash_duo, "#sprite-height", tile[1])
    dash_duo.find_element("#load-upload").click()


def run_tsne(dash_duo, iterations, perplexity=None):
    open_tab(dash_duo, "tsne")
    if perplexity is not None:
        set_input(dash_duo, "#tsne-perplexity", perplexity)
    set_input(dash_duo, "#tsne-iterations", iterations)
    dash_duo.find_element("#run-projection").click()


def downloaded(dash_duo, suffix, timeout=30):
    """The text of the file the browser saved whose name ends with ``suffix``."""
    folder = pathlib.Path(dash_duo.download_path)
    until(lambda: any(p.name.endswith(suffix) for p in folder.iterdir()), timeout,
          msg=lambda: f"no *{suffix} in {sorted(p.name for p in folder.iterdir())}")
    path = next(p for p in folder.iterdir() if p.name.endswith(suffix))
    until(lambda: path.stat().st_size > 0, timeout)
    return path.read_text(encoding="utf-8")


STORE_DATA = """
const state = window.store.getState(), found = {};
for (const id of arguments[0]) {
  const path = state.paths.strs[id];
  if (!path) continue;
  let node = state.layout;
  for (const key of path) node = node && node[key];
  const props = (node && node.props) || {};
  found[id] = props.data !== undefined ? props.data : null;
}
return JSON.stringify(found);
"""


def store_data(dash_duo, *component_ids):
    """The data of the page's stores (read from the renderer's own state), for a failure's report."""
    import json

    return json.loads(dash_duo.driver.execute_script(STORE_DATA, list(component_ids)))


PICK_OPTION = """
const [root, label] = arguments;
const option = [...document.querySelectorAll('.dash-dropdown-options .dash-dropdown-option')]
  .find(o => o.textContent.trim() === label);
if (option) { option.scrollIntoView({block: 'center'}); option.click(); }
return !!option;
"""


def choose(dash_duo, selector, label, timeout=10):
    """Pick the option ``label`` of the dropdown ``selector`` as a user does (open it, click the option),
    wherever the option sits in a long list: the menu's search box can cover the first one."""
    import time

    dash_duo.find_element(selector).click()
    deadline = time.monotonic() + timeout
    while not dash_duo.driver.execute_script(PICK_OPTION, selector, label):
        if time.monotonic() > deadline:
            raise AssertionError(f"{selector} does not offer {label!r}")
        time.sleep(0.2)

"""Screenshots of the running app in headless Chromium (for the README and for looking at it).

    python scripts/screenshot.py http://127.0.0.1:8050/ out.png [--click] [--search REGEX] [--wait-for TEXT]
"""
from __future__ import annotations

import argparse
import shutil
import time

from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1500,900"]


def driver() -> webdriver.Chrome:
    opts = Options()
    for f in CHROME_FLAGS:
        opts.add_argument(f)
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=opts)


def wait(fn, timeout=60.0):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if fn():
                return True
        except Exception:
            pass
        time.sleep(0.2)
    raise TimeoutError("the page did not reach the expected state")


def click_point(d, i):
    """A real mouse click on drawn point ``i`` of a 2D plot."""
    graph = "#scatter .js-plotly-plot"
    x, y = d.execute_script(f"""
        const g=document.querySelector('{graph}'); const L=g._fullLayout; const t=g._fullData[0];
        return [L.xaxis.l2p(t.x[{i}]), L.yaxis.l2p(t.y[{i}])];""")
    layer = d.find_element(By.CSS_SELECTOR, graph + " .nsewdrag")
    ActionChains(d).move_to_element_with_offset(layer, int(x), int(y)).pause(0.3).click().perform()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("out")
    ap.add_argument("--click", action="store_true", help="click a point of the plot")
    ap.add_argument("--click-index", type=int, default=600, help="which point to click")
    ap.add_argument("--search", help="type this into the inspector's search box")
    ap.add_argument("--wait-for", help="wait until the page shows this text")
    ap.add_argument("--js", help="JavaScript to run after load (e.g. to switch a tab)")
    args = ap.parse_args()
    d = driver()
    try:
        d.get(args.url)
        wait(lambda: d.execute_script(
            "const g=document.querySelector('#scatter .js-plotly-plot');"
            "return g && g._fullData && g._fullData.length && g._fullData[0].x && (g._fullData[0].x.length>0);"))
        if args.js:
            d.execute_script(args.js)
            time.sleep(1)
        if args.click:
            click_point(d, args.click_index)
        if args.search:
            box = d.find_element(By.ID, "search-query")
            box.send_keys(args.search + Keys.ENTER)
        if args.wait_for:
            wait(lambda: args.wait_for in d.find_element(By.TAG_NAME, "body").text)
        time.sleep(1.5)
        d.save_screenshot(args.out)
        logs = [l for l in d.get_log("browser") if l["level"] == "SEVERE"]
        for l in logs:
            print("console:", l["message"])
    finally:
        d.quit()


if __name__ == "__main__":
    main()

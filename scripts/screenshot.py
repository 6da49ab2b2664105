"""Screenshots of the running app in headless Chromium (for the README and for looking at it).

    python scripts/screenshot.py http://127.0.0.1:8050/ out.png [--click] [--search REGEX] [--wait-for TEXT]
"""
from __future__ import annotations

import argparse
import shutil
import time

from selenium import webdriver
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("out")
    ap.add_argument("--click", action="store_true", help="click the middle point of the plot")
    ap.add_argument("--search", help="type this into the inspector's search box")
    ap.add_argument("--wait-for", help="wait until the page shows this text")
    ap.add_argument("--js", help="JavaScript to run after load (e.g. to switch a tab)")
    args = ap.parse_args()
    d = driver()
    try:
        d.get(args.url)
        wait(lambda: d.execute_script(
            "const g=document.querySelector('#scatter .js-plotly-plot');"
            "return g && g.data && g.data.length && g.data[0].x && (g.data[0].x.length>0);"))
        if args.js:
            d.execute_script(args.js)
            time.sleep(1)
        if args.click:
            d.execute_script("""
              const g=document.querySelector('#scatter .js-plotly-plot');
              const x=g.data[0].x, y=g.data[0].y; let i=Math.floor(x.length/3);
              g.emit('plotly_click', {points:[{curveNumber:0, pointNumber:i, pointIndex:i, customdata:g.data[0].customdata[i], x:x[i], y:y[i], data:g.data[0]}]});""")
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

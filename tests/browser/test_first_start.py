"""A first start: the sample's PCA is drawn without waiting for the UMAP warm-up; only a UMAP job waits
for it, and says so while it does (the app runs as a process, warm-up on, on a fresh data folder)."""
import glob
import tempfile

from dash.testing.wait import until

from appproc import run_app, stop
from helpers import DIGITS, GRAPH, TABS, fit_window, set_input, text, wait_points, wait_text


def warm(pid: int) -> bool:
    """Has the app's warm job server finished its warm-up? (It leaves a flag named after the app's pid.)"""
    return bool(glob.glob(f"{tempfile.gettempdir()}/projector-warm-{pid}-*"))


def test_the_first_picture_and_other_jobs_never_wait_for_the_umap_warm_up(dash_br, tmp_path):
    proc, url, _ = run_app("--data-dir", str(tmp_path / "data"), env={"PROJECTOR_WARM_UMAP": "1"})
    try:
        fit_window(dash_br.driver)
        dash_br.server_url = url
        wait_points(dash_br, DIGITS, timeout=60)
        assert not warm(proc.pid), "the warm-up ended before the first picture: nothing was shown to wait"
        dash_br.find_element(f"#projection-tabs .tab:nth-child({TABS['tsne']})").click()
        set_input(dash_br, "#tsne-iterations", 100)
        dash_br.find_element("#run-projection").click()
        seen = []
        until(lambda: seen.append(text(dash_br, "#projection-progress-text")) or
              "t-SNE: 100 iterations" in text(dash_br, "#projection-info"), 120)
        assert not any("warm-up" in s for s in seen), seen
        dash_br.find_element(f"#projection-tabs .tab:nth-child({TABS['umap']})").click()
        waiting = not warm(proc.pid)
        dash_br.find_element("#run-projection").click()
        if waiting:   # the warm-up still runs: the UMAP job says that it waits for it
            wait_text(dash_br, "#projection-progress-text", "Waiting for UMAP's one-time warm-up", timeout=30)
        wait_text(dash_br, "#projection-info", "UMAP: 15 neighbours", timeout=180)
        wait_points(dash_br, DIGITS)
        assert "warm-up" not in text(dash_br, "#projection-progress-text")
        assert dash_br.driver.execute_script(f"return !!document.querySelector('{GRAPH}')")
    finally:
        stop(proc)

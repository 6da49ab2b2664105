"""Scale-out: with REDIS_URL set, projection jobs run on a real Celery worker through a real redis-server."""
import shutil

import numpy as np
import psutil
import pytest
from dash.testing.wait import until

from appproc import run_app, run_redis, run_worker, stop
from helpers import TABS, fit_window, set_input, text, wait_points, wait_text

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None,
                                reason="redis-server is not installed (scripts/setup.sh --test installs it)")


def test_projection_jobs_run_on_a_celery_worker_and_a_killed_one_is_reported(dash_br, tmp_path):
    redis, url = run_redis(tmp_path)
    env = {"REDIS_URL": url, "PROJECTOR_DATA_DIR": str(tmp_path / "data"), "PROJECTOR_TIMING": str(tmp_path / "t.jsonl")}
    worker = run_worker(env, tmp_path / "worker.log")
    app = None
    try:
        app, address, _ = run_app("--data-dir", str(tmp_path / "data"), env=env)
        fit_window(dash_br.driver)
        dash_br.server_url = address
        wait_points(dash_br, 1797)            # the sample's PCA (small enough to need no job)
        dash_br.find_element(f"#projection-tabs .tab:nth-child({TABS['tsne']})").click()
        set_input(dash_br, "#tsne-iterations", 120)
        dash_br.find_element("#run-projection").click()
        wait_text(dash_br, "#projection-info", "t-SNE: 120 iterations", timeout=120)
        xs = np.array(dash_br.driver.execute_script(
            "return Array.from(document.querySelector('#scatter .js-plotly-plot')._fullData[0].x);"))
        assert len(xs) == 1797 and np.isfinite(xs).all() and xs.std() > 0
        # the t-SNE job ran on the worker: its log names the task it finished
        worker_log = tmp_path / "worker.log"
        until(lambda: worker_log.read_text().count("succeeded in") >= 1, 10, msg=lambda: worker_log.read_text()[-2000:])
        assert "background_callback_" in worker_log.read_text()
        assert "error" not in text(dash_br, "#projection-message").lower()

        # Cancel stops the task on the worker: 20,000 iterations end within seconds of it
        assert "Terminating" not in worker_log.read_text()   # a result already collected is never signalled
        set_input(dash_br, "#tsne-iterations", 20000)
        dash_br.find_element("#run-projection").click()
        wait_text(dash_br, "#projection-progress-text", "t-SNE iteration", timeout=60)
        dash_br.find_element("#cancel-projection").click()
        wait_text(dash_br, "#projection-message", "t-SNE cancelled; press Run to start it again.", timeout=60)
        until(lambda: worker_log.read_text().count("succeeded in") + worker_log.read_text().count("Terminating") >= 2,
              20, msg="the task went on after Cancel")

        # a worker process killed mid-job: the page says so, and the next Run goes to its replacement
        set_input(dash_br, "#tsne-iterations", 20000)
        dash_br.find_element("#run-projection").click()
        wait_text(dash_br, "#projection-progress-text", "t-SNE iteration", timeout=60)
        pool = psutil.Process(worker.pid).children()
        assert pool, "the worker has no pool process"
        for p in pool:
            p.kill()
        wait_text(dash_br, "#projection-message", "The t-SNE job stopped without a result", timeout=60)
        dash_br.wait_for_element("#run-projection:not([disabled])", timeout=30)
        set_input(dash_br, "#tsne-iterations", 90)
        dash_br.find_element("#run-projection").click()
        wait_text(dash_br, "#projection-info", "t-SNE: 90 iterations", timeout=120)
    finally:
        if app is not None:
            stop(app)
        stop(worker)
        stop(redis)

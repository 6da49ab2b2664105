"""Scale-out: with REDIS_URL set, projection jobs run on a real Celery worker through a real redis-server."""
import shutil

import numpy as np
import pytest
from dash.testing.wait import until

from appproc import run_app, run_redis, run_worker, stop
from helpers import TABS, set_input, text, wait_points, wait_text

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None,
                                reason="redis-server is not installed (scripts/setup.sh --test installs it)")


def test_projection_jobs_run_on_a_celery_worker(dash_br, tmp_path):
    redis, url = run_redis(tmp_path)
    env = {"REDIS_URL": url, "PROJECTOR_DATA_DIR": str(tmp_path / "data")}
    worker = run_worker(env, tmp_path / "worker.log")
    app = None
    try:
        app, address, _ = run_app("--data-dir", str(tmp_path / "data"), env=env)
        dash_br.server_url = address
        wait_points(dash_br, 1797)            # PCA: the first job, already on the worker
        dash_br.find_element(f"#projection-tabs .tab:nth-child({TABS['tsne']})").click()
        set_input(dash_br, "#tsne-iterations", 120)
        dash_br.find_element("#run-projection").click()
        wait_text(dash_br, "#projection-info", "t-SNE: 120 iterations", timeout=120)
        xs = np.array(dash_br.driver.execute_script(
            "return Array.from(document.querySelector('#scatter .js-plotly-plot')._fullData[0].x);"))
        assert len(xs) == 1797 and np.isfinite(xs).all() and xs.std() > 0
        # both jobs (PCA, then t-SNE) ran on the worker: its log names each task it finished
        worker_log = tmp_path / "worker.log"
        until(lambda: worker_log.read_text().count("succeeded in") >= 2, 10, msg=lambda: worker_log.read_text()[-2000:])
        assert "background_callback_" in worker_log.read_text()
        assert "error" not in text(dash_br, "#projection-message").lower()
    finally:
        if app is not None:
            stop(app)
        stop(worker)
        stop(redis)

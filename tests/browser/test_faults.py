"""Faults: a job process killed mid-run, a damaged cache entry. The app says what happened and goes on."""
import os
import signal

import psutil
from dash.testing.wait import until

from callbacks import services
from helpers import console_errors, open_app, open_tab, run_tsne, set_input, text, wait_points, wait_text


def job_processes():
    """The running projection jobs: processes the job server (a child of this test process) started."""
    servers = [p for p in psutil.Process().children() if "forkserver" in " ".join(p.cmdline())]
    return [p for server in servers for p in server.children()]


def test_a_job_killed_mid_run_is_reported_and_run_works_again(dash_duo, projector_app):
    open_app(dash_duo, projector_app)
    run_tsne(dash_duo, 20000)
    wait_text(dash_duo, "#projection-progress-text", "t-SNE iteration")
    until(lambda: job_processes(), 10, msg="no job process found")
    for p in job_processes():
        os.kill(p.pid, signal.SIGKILL)   # what the out-of-memory killer does
    wait_text(dash_duo, "#projection-message", "The t-SNE job stopped without a result (its process on the "
                                               "server ended); press Run to try again.", timeout=60)
    dash_duo.wait_for_element("#run-projection:not([disabled])", timeout=30)
    set_input(dash_duo, "#tsne-iterations", 60)
    dash_duo.find_element("#run-projection").click()
    wait_text(dash_duo, "#projection-info", "t-SNE: 60 iterations", timeout=180)
    assert console_errors(dash_duo) == []


def test_a_damaged_cache_entry_is_computed_again(dash_duo, projector_app):
    open_app(dash_duo, projector_app)
    open_tab(dash_duo, "custom")
    set_input(dash_duo, "#custom-left", "^one$\n")
    dash_duo.find_element("#custom-regex input").click()
    wait_text(dash_duo, "#custom-info", "left: 182 matches")
    cache = services.cache()
    damaged = 0
    for key in list(cache._cache.iterkeys()):   # every stored projection, as bytes on disk
        if str(key).startswith("proj:"):
            cache._cache.set(key, b"\x00garbage")
            damaged += 1
    assert damaged
    open_tab(dash_duo, "pca")   # PCA's entry is damaged too: it is computed again, not served
    wait_text(dash_duo, "#pca-variance", "Variance shown")
    wait_points(dash_duo, 1797)
    open_tab(dash_duo, "custom")
    wait_text(dash_duo, "#custom-info", "left: 182 matches")
    assert "error" not in text(dash_duo, "#projection-message").lower()
    assert console_errors(dash_duo) == []

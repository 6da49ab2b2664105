"""The background job: one Dash background callback that hands a projection request to the engine.

Kept apart from the panels so the job processes (forked from the job servers, or Celery's pool
processes) import only this, the ids and the engine — not the page, the figures or plotly.
"""
from __future__ import annotations

import sys

from dash import Input, Output, callback

import projector.analyses
import projector.jobs
from components import ids

from . import services


def wait_for_warm_up(job: dict) -> None:
    """A UMAP job on a Celery worker whose pool process is still compiling UMAP waits for it, saying so."""
    warmup = sys.modules.get("projector.warmup")   # only where a warm-up was started
    if job["method"] == "umap" and warmup is not None and warmup.warming():
        services.jobs().update(job["key"], job["job"], state="queued",
                               text="Waiting for this worker's one-time UMAP warm-up (about 25 s after it starts)…")
        warmup.ready.wait()


@callback(Output(ids.JOB_RESULT, "data"), Input(ids.JOB, "data"), background=True,
          cancel=[Input(ids.CANCEL, "n_clicks")], interval=500, prevent_initial_call=True)
def run_projection(job):
    """Runs in its own process: the engine computes the request, reports to the job registry (which every
    page watching this projection polls) and leaves the result in the cache.

    Nothing reads JOB_RESULT: Dash holds back every callback downstream of a running background
    callback until it ends, so the page follows the job through the registry instead."""
    if not isinstance(job, dict) or not job.get("job"):
        return None
    wait_for_warm_up(job)
    return projector.jobs.run(job, job["job"], store=services.store(), cache=services.cache(),
                              registry=services.jobs())


@callback(Output(ids.ANALYSIS_RESULT, "data"), Input(ids.ANALYSIS_JOB, "data"), background=True,
          progress=[Output(ids.ANALYSIS_PROGRESS, "value"), Output(ids.ANALYSIS_PROGRESS, "max"),
                    Output(ids.ANALYSIS_PROGRESS_TEXT, "children")],
          running=[(Output(ids.ANALYSIS_RUN, "disabled"), True, False),
                   (Output(ids.ANALYSIS_CANCEL, "disabled"), False, True)],
          cancel=[Input(ids.ANALYSIS_CANCEL, "n_clicks")], interval=500, prevent_initial_call=True)
def run_analysis_job(set_progress, request):
    """Runs in its own process: an analysis of the view's points (clusters, outlier scores, trust, stability,
    a comparison with another data set), with its progress on the panel; it keeps its result as a metadata
    column and answers which one. Cancel ends the process. The panel's `finished` reads ANALYSIS_RESULT, and
    for a comparison :func:`callbacks.compare.take_result` too."""
    import time
    import traceback

    if not isinstance(request, dict) or not request.get("job"):
        return None
    last = [0.0]

    def progress(done, total, text=""):
        now = time.monotonic()
        if now - last[0] >= 0.3 or done >= total:
            last[0] = now
            set_progress((str(done), str(max(total, 1)), text))

    head = {"job": request["job"], "dataset": request.get("dataset"), "kind": request.get("kind")}
    try:
        out = projector.analyses.run_analysis(request["dataset"], request, store=services.store(),
                                              cache=services.cache(), on_progress=progress)
        name = services.store().get(request["dataset"]).name
    except projector.DataError as exc:
        return {**head, "error": str(exc)}
    except Exception as exc:   # logged in full; the user reads one line and Run works again
        traceback.print_exc(file=sys.stderr)
        return {**head, "error": f"The analysis failed: {type(exc).__name__}: {exc}"}
    return {**head, **out, "name": name}

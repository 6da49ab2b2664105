"""Projection panel: plan a projection, run it as a background job with progress and cancel, draw it."""
from __future__ import annotations

import io
import json
import os
import secrets
import sys
import time
import traceback

import numpy as np
from dash import Input, Output, Patch, State, callback, clientside_callback, ctx, no_update

import projector
from components import ids

from . import services
from .data import legend_items
from .figures import (HOVER_TEXT_MAX, aim_camera, build_figure, colour_scheme, dot_opacity, highlight_trace,
                      hover_texts, typed)
from .views import (AUTO_METHODS, METHOD_NAMES, as_view, draw_notice, find_cached, highlighted, projection_request,
                    rows_in_view, tsne_params, view_points)

PROGRESS_EVERY_S = 0.4     # how often a job reports progress (and a t-SNE frame) to the browser
FRAME_TTL_S = 600


def _dims(flag) -> int:
    return 3 if flag else 2


def build_request(dataset_id, subset_id, spherize, tab, pca_axes, pca_3d, tsne_3d, umap_3d, raw_3d, custom,
                  tsne, umap, given=None) -> dict:
    """The projection the panel asks for, from its controls (``given``: a bookmark's stored coordinates)."""
    if tab == "given":
        if not given:
            raise projector.DataError("there are no stored coordinates to draw; restore a bookmark that has them.")
        dims, params = int(given["dims"]), {"state": given["state"], "axes": given.get("axes") or []}
    elif tab == "pca":
        dims = _dims(pca_3d)
        params = {"components": [int(a) for a in pca_axes[:dims]]}
    elif tab == "tsne":
        dims, params = _dims(tsne_3d), tsne_params(*tsne)
    elif tab == "umap":
        dims, params = _dims(umap_3d), {"n_neighbors": umap[0], "min_dist": umap[1]}
    elif tab == "custom":
        left, right, up, down, regex, column = custom
        dims, params = 2, {"left": left, "right": right, "up": up, "down": down, "regex": bool(regex),
                           "column": column}
    else:
        dims, params = _dims(raw_3d), {}
    return projection_request(dataset_id, subset_id, bool(spherize), tab, dims, params)


@callback(Output(ids.PLANNED_VIEW, "data"), Output(ids.JOB, "data"), Output(ids.PROJECTION_MESSAGE, "children"),
          inputs=dict(dataset_id=Input(ids.DATASET, "value"), subset_id=Input(ids.SUBSET, "data"),
                      spherize=Input(ids.SPHERIZE, "value"), tab=Input(ids.TABS, "value"),
                      pca_x=Input(ids.PCA_X, "value"), pca_y=Input(ids.PCA_Y, "value"),
                      pca_z=Input(ids.PCA_Z, "value"), pca_3d=Input(ids.PCA_3D, "value"),
                      tsne_3d=Input(ids.TSNE_3D, "value"), umap_3d=Input(ids.UMAP_3D, "value"),
                      raw_3d=Input(ids.RAW_3D, "value"),
                      left=Input(ids.CUSTOM_LEFT, "value"), right=Input(ids.CUSTOM_RIGHT, "value"),
                      up=Input(ids.CUSTOM_UP, "value"), down=Input(ids.CUSTOM_DOWN, "value"),
                      regex=Input(ids.CUSTOM_REGEX, "value"), column=Input(ids.CUSTOM_COLUMN, "value"),
                      run=Input(ids.RUN, "n_clicks"), version=Input(ids.METADATA_VERSION, "data"),
                      perplexity=State(ids.TSNE_PERPLEXITY, "value"), lr=State(ids.TSNE_LEARNING_RATE, "value"),
                      iterations=State(ids.TSNE_ITERATIONS, "value"),
                      neighbors=State(ids.UMAP_NEIGHBORS, "value"), min_dist=State(ids.UMAP_MIN_DIST, "value"),
                      given=State(ids.GIVEN, "data")),
          prevent_initial_call=True)  # the data panel's set-up of a data set triggers the first plan
def plan_projection(dataset_id, subset_id, spherize, tab, pca_x, pca_y, pca_z, pca_3d, tsne_3d, umap_3d, raw_3d,
                    left, right, up, down, regex, column, run, version, perplexity, lr, iterations, neighbors, min_dist,
                    given):
    """A cached projection is drawn at once; otherwise cheap methods start a job and t-SNE/UMAP wait for Run."""
    if not dataset_id:
        return no_update, no_update, ""
    if ctx.triggered_id == ids.METADATA_VERSION and tab != "custom":
        return no_update, no_update, no_update  # only custom axes come from the labels a tag changed
    try:
        request = build_request(dataset_id, subset_id, spherize, tab, [pca_x or 0, pca_y or 0, pca_z or 0], pca_3d,
                                tsne_3d, umap_3d, raw_3d, [left, right, up, down, regex, column],
                                [perplexity, lr, iterations], [neighbors, min_dist], given)
        hit = find_cached(request)
    except projector.DataError as exc:
        return no_update, no_update, str(exc)
    if hit is not None:
        return as_view(request, hit), no_update, ""
    if tab == "custom" and not any(q for q in (left, right, up, down)):
        return no_update, no_update, "Type a query for at least one end of an axis (e.g. left: bad, right: good)."
    if tab in AUTO_METHODS or ctx.triggered_id == ids.RUN:
        job = dict(request, job=secrets.token_hex(6))
        return no_update, job, ""
    return no_update, no_update, f"Press Run to compute {METHOD_NAMES[tab]} on every point."


def _frame_key(job_id: str) -> str:
    return f"frame:{job_id}"


def run_job(job: dict, report) -> dict:
    """Compute a projection for a job request; ``report(done, total, frame)`` is throttled progress."""
    # The job runs in a process forked from the job server, which inherited PROJECTOR_DATA_DIR; the
    # folder never comes from the browser.
    ds = services.store().get(job["dataset"])
    subset = services.get_subset(job["subset"])
    last = {"t": 0.0, "seq": 0}

    def on_progress(done, total, coords=None):
        now = time.monotonic()
        if now - last["t"] < PROGRESS_EVERY_S and done < total:
            return
        last["t"] = now
        frame = None
        if coords is not None:
            buf = io.BytesIO()
            np.save(buf, np.ascontiguousarray(coords, dtype=np.float32), allow_pickle=False)
            services.cache().set_blob(_frame_key(job["job"]), buf.getvalue(), expire=FRAME_TTL_S)
            last["seq"] += 1
            frame = {"job": job["job"], "seq": last["seq"], "n": int(len(coords)), "dims": int(coords.shape[1]),
                     "dataset": job["dataset"], "subset": job["subset"]}
        report(done, total, frame)

    started = time.time()
    proj = projector.project(ds, job["method"], dims=job["dims"], subset=subset, params=job["params"],
                             spherize=job["spherize"], cache=services.cache(), on_progress=on_progress)
    request = {k: job[k] for k in ("dataset", "subset", "spherize", "method", "dims", "params")}
    if os.environ.get("PROJECTOR_TIMING"):  # the same log the web process writes its callback times to
        with open(os.environ["PROJECTOR_TIMING"], "a") as f:
            f.write(json.dumps({"output": f"job:{job['method']}", "ms": round((time.time() - started) * 1e3, 1),
                                "bytes": 0, "t": round(time.time(), 2)}) + "\n")
    return {**as_view(request, proj), "job": job["job"]}


def progress_text(method: str, done: int, total: int) -> str:
    """What the progress bar says: the stage and the iteration."""
    if method == "tsne":
        return "Finding neighbours and affinities…" if done == 0 else f"t-SNE iteration {done:,} of {total:,}"
    if method == "umap":
        return "Building the neighbour graph…" if done <= 1 else f"UMAP epoch {done - 1:,} of {total - 1:,}"
    return f"Computing {METHOD_NAMES.get(method, method)}…"


def eta_text(seconds_left: float) -> str:
    return f" · about {seconds_left:,.0f} s left" if seconds_left >= 1 else " · almost done"


@callback(output=Output(ids.JOB_RESULT, "data"), inputs=Input(ids.JOB, "data"), background=True,
          progress=[Output(ids.PROGRESS, "value"), Output(ids.PROGRESS, "max"), Output(ids.PROGRESS_TEXT, "children"),
                    Output(ids.FRAME, "data")],
          progress_default=["0", "1", "", None],
          running=[(Output(ids.RUN, "disabled"), True, False), (Output(ids.CANCEL, "disabled"), False, True),
                   (Output(ids.JOB_RUNNING, "data"), True, False),
                   (Output(ids.JOB_STATE, "children"),
                    "Running on the server (right after start-up a job first waits for the job server's warm-up).",
                    "")],
          cancel=[Input(ids.CANCEL, "n_clicks")], interval=400, prevent_initial_call=True)
def run_projection(set_progress, job):
    """The background job: runs in its own process, reports progress, returns a view (or an error)."""
    if not job:
        return no_update
    set_progress(("0", "1", progress_text(job["method"], 0, 1), None))
    clock = {}

    def report(done, total, frame):
        text = progress_text(job["method"], done, total)
        if done and "t0" not in clock:  # time the iterations, not the preparation before them
            clock.update(t0=time.monotonic(), d0=done)
        elif clock and clock["d0"] < done < total:
            per_step = (time.monotonic() - clock["t0"]) / (done - clock["d0"])
            text += eta_text(per_step * (total - done))
        set_progress((str(done), str(max(total, 1)), text, frame))

    try:
        return run_job(job, report)
    except projector.DataError as exc:
        return {"error": str(exc), "job": job["job"]}
    except Exception as exc:  # shown to the user and logged in full; Run works again
        traceback.print_exc(file=sys.stderr)
        return {"error": f"The {METHOD_NAMES.get(job['method'], job['method'])} job failed: "
                         f"{type(exc).__name__}: {exc}", "job": job["job"]}


clientside_callback(
    """function (n, job) { return (n && job) ? job.job : window.dash_clientside.no_update; }""",
    Output(ids.JOB_CANCELLED, "data"), Input(ids.CANCEL, "n_clicks"), State(ids.JOB, "data"),
    prevent_initial_call=True)


@callback(Output(ids.PROJECTION_MESSAGE, "children", allow_duplicate=True), Input(ids.JOB_RUNNING, "data"),
          State(ids.JOB, "data"), State(ids.JOB_RESULT, "data"), State(ids.JOB_CANCELLED, "data"),
          prevent_initial_call=True)
def job_ended(running, job, result, cancelled):
    """A job that ends without a result was cancelled, or its process died (killed, out of memory)."""
    if running or not job or (result or {}).get("job") == job["job"]:
        return no_update
    if cancelled == job["job"]:
        return f"{METHOD_NAMES.get(job['method'], job['method'])} cancelled; press Run to start it again."
    return (f"The {METHOD_NAMES.get(job['method'], job['method'])} job stopped without a result (its process "
            "on the server ended); press Run to try again.")


def _pca_options(info: dict):
    ratios = info.get("explained_variance_ratio") or []
    return [{"label": f"#{i + 1} · {r * 100:.1f}% variance", "value": i} for i, r in enumerate(ratios)]


def describe(view: dict) -> str:
    text = _describe(view)
    return text + " From the server's cache." if view.get("cached") and view["method"] not in ("pca", "given") else text


def _describe(view: dict) -> str:
    info, method = view.get("info") or {}, view["method"]
    if method == "pca":
        return (f"Variance shown: {info.get('variance_shown', 0) * 100:.1f}% "
                f"(all {len(info.get('explained_variance_ratio', []))} components: "
                f"{info.get('total_variance', 0) * 100:.1f}%).")
    if method == "tsne":
        return (f"t-SNE: {info.get('iterations', 0):,} iterations, KL divergence {info.get('kl_divergence', 0):.3f}, "
                f"perplexity {view['params']['perplexity']:g}, {view['n']:,} points.")
    if method == "umap":
        return f"UMAP: {view['params']['n_neighbors']} neighbours, min_dist {view['params']['min_dist']:g}, {view['n']:,} points."
    if method == "given":
        return (f"{view['n']:,} points drawn where the bookmark stored them ({info.get('source') or 'a bookmark'}); "
                "pick another tab to compute a projection here.")
    if method == "custom":
        m = info.get("matches", {})
        return " · ".join(f"{k}: {m.get(k, 0):,} matches" for k in ("left", "right", "up", "down"))
    return f"{view['n']:,} points."


def figure_for(view: dict, colour_by, label_by, selection) -> tuple[dict, list]:
    """The full figure for a view, coloured, labelled and with the selection highlighted."""
    ds = services.store().get(view["dataset"])
    coords, points = view_points(view)
    rows = None if view["subset"] is None else points
    scheme = colour_scheme(ds.metadata, colour_by, rows)
    texts = hover_texts(ds.metadata, label_by, rows, len(points)) if len(points) <= HOVER_TEXT_MAX else None
    fig = build_figure(coords, points, texts, scheme, view)
    pts, roles = highlighted(selection or {})
    if len(pts):
        pos, found = rows_in_view(points, pts)
        texts = hover_texts(ds.metadata, label_by, pts[found], int(found.sum()))
        trace = highlight_trace(coords, pos, pts[found], roles[found], texts)
        for k, v in trace.items():
            target = fig["data"][1]
            if k.startswith("marker."):
                target["marker"][k.split(".", 1)[1]] = v
            else:
                target[k] = v
        fig["data"][0]["marker"]["opacity"] = dot_opacity(True, False)
    return fig, scheme["legend"]


@callback(Output(ids.GRAPH, "figure"), Output(ids.CURRENT_VIEW, "data"), Output(ids.LEGEND, "children"),
          Output(ids.PROJECTION_INFO, "children"), Output(ids.PCA_X, "options"), Output(ids.PCA_Y, "options"),
          Output(ids.PCA_Z, "options"), Output(ids.PCA_VARIANCE, "children"), Output(ids.CUSTOM_INFO, "children"),
          Output(ids.PROJECTION_MESSAGE, "children", allow_duplicate=True),
          Input(ids.PLANNED_VIEW, "data"), Input(ids.JOB_RESULT, "data"),
          State(ids.COLOR_BY, "value"), State(ids.LABEL_BY, "value"), State(ids.SELECTION, "data"),
          State(ids.DATASET, "value"), State(ids.SUBSET, "data"), State(ids.CAMERA_TARGET, "data"),
          prevent_initial_call=True)
def draw(planned, result, colour_by, label_by, selection, dataset_id, subset_id, camera):
    view = planned if ctx.triggered_id == ids.PLANNED_VIEW else result
    skip = [no_update] * 9
    if not view:
        return *skip, no_update
    if "error" in view:
        return *skip, view["error"]
    if view["dataset"] != dataset_id or view["subset"] != subset_id:
        return *skip, no_update  # a late result for data the user has left
    try:
        fig, legend = figure_for(view, colour_by, label_by, selection)
    except projector.DataError as exc:
        return *skip, str(exc)
    aim_camera(fig["layout"], camera, view)  # a restored view opens where it was saved
    info = view.get("info") or {}
    pca = [no_update] * 4
    if view["method"] == "pca":
        options = _pca_options(info)
        pca = [options, options, options, describe(view)]
    custom = describe(view) if view["method"] == "custom" else no_update
    problems = " ".join(info.get("problems", [])) if view["method"] == "custom" else draw_notice(view)
    slim = {k: v for k, v in view.items() if k != "info"}
    info_text = "" if view["method"] in ("pca", "custom") else describe(view)  # those show it in their tab
    return fig, slim, legend_items(legend), info_text, *pca, custom, problems


@callback(Output(ids.GRAPH, "figure", allow_duplicate=True), Input(ids.FRAME, "data"),
          State(ids.CURRENT_VIEW, "data"), State(ids.COLOR_BY, "value"), State(ids.LABEL_BY, "value"),
          prevent_initial_call=True)
def animate(frame, view, colour_by, label_by):
    """Show an intermediate t-SNE frame: only the new coordinates travel when the point set is the same."""
    if not frame:
        return no_update
    blob = services.cache().get_blob(_frame_key(frame["job"]))
    if blob is None:
        return no_update
    coords = np.load(io.BytesIO(blob), allow_pickle=False)
    axes = ["x", "y", "z"][: coords.shape[1]]
    same = view and view["n"] == frame["n"] and view["dims"] == frame["dims"] and \
        view["dataset"] == frame["dataset"] and view["subset"] == frame["subset"]
    if same:
        patch = Patch()
        for j, a in enumerate(axes):
            patch["data"][0][a] = typed(coords[:, j])
        patch["data"][1]["x"], patch["data"][1]["y"] = [], []
        if len(axes) == 3:
            patch["data"][1]["z"] = []
        else:
            patch["layout"]["xaxis"]["autorange"] = True
            patch["layout"]["yaxis"]["autorange"] = True
        return patch
    ds = services.store().get(frame["dataset"])
    subset = services.get_subset(frame["subset"])
    points = np.arange(frame["n"]) if subset is None else subset
    frame_view = {"method": "tsne", "dims": frame["dims"], "key": frame["job"], "params": {}}
    scheme = colour_scheme(ds.metadata, colour_by, subset)
    texts = hover_texts(ds.metadata, label_by, subset, len(points)) if len(points) <= HOVER_TEXT_MAX else None
    return build_figure(coords, points, texts, scheme, frame_view)


@callback(Output(ids.GRAPH, "figure", allow_duplicate=True), Input(ids.CAMERA_TARGET, "data"),
          State(ids.CURRENT_VIEW, "data"), prevent_initial_call=True)
def restore_camera(camera, view):
    """A restored view that is already drawn only needs its camera put back (another view: draw() does it)."""
    patch = Patch()
    return patch if view and aim_camera(patch["layout"], camera, view) else no_update

"""Projection panel: its controls (set up per data set or from a restored state), the projection
request they make, the planner that decides what the plot shows for the view, and the job it follows.

The planner never leaves the plot on points that are not the view's: a cached result is shown at once;
otherwise the last complete picture of the same points stays, or their PCA stands in (computed at once
when small, as a job when large) while the asked-for projection runs or waits for Run.
"""
from __future__ import annotations

import secrets
import time

from dash import Input, Output, State, callback, clientside_callback, ctx, no_update

import projector
from components import ids
from projector import forkservers
from projector.cache import subset_digest
from projector.jobs import ACTIVE
from projector.projections import projection_key

from . import services
from .data import kept_state, panel_message
from .views import ERROR, INFO, SILENT, WARN, method_name, same_points, say, view_points

AUTO_METHODS = ("pca", "custom", "raw")   # cheap: computed as soon as they are asked for
AUTO_RUN_MAX = 10_000       # t-SNE and UMAP of this few isolated points (or of all, after Show all) start by themselves
INLINE_PCA_MAX = 4_000_000  # values (points × dims) whose stand-in PCA is computed within the request (≪ 1 s)
HIDDEN = {"display": "none"}


# ---------------------------------------------------------------- the panel's own controls

SET_UP = dict(
    tab=Output(ids.TABS, "value"),
    pca=dict(x=Output(ids.PCA_X, "value"), y=Output(ids.PCA_Y, "value"), z=Output(ids.PCA_Z, "value"),
             three_d=Output(ids.PCA_3D, "value")),
    tsne=dict(three_d=Output(ids.TSNE_3D, "value"), perplexity=Output(ids.TSNE_PERPLEXITY, "value"),
              learning_rate=Output(ids.TSNE_LEARNING_RATE, "value"), iterations=Output(ids.TSNE_ITERATIONS, "value")),
    umap=dict(three_d=Output(ids.UMAP_3D, "value"), neighbors=Output(ids.UMAP_NEIGHBORS, "value"),
              min_dist=Output(ids.UMAP_MIN_DIST, "value")),
    custom=dict(left=Output(ids.CUSTOM_LEFT, "value"), right=Output(ids.CUSTOM_RIGHT, "value"),
                up=Output(ids.CUSTOM_UP, "value"), down=Output(ids.CUSTOM_DOWN, "value"),
                regex=Output(ids.CUSTOM_REGEX, "value"), column=Output(ids.CUSTOM_COLUMN, "value"),
                column_options=Output(ids.CUSTOM_COLUMN, "options")),
    raw=dict(three_d=Output(ids.RAW_3D, "value"), disabled=Output(ids.RAW_TAB, "disabled")),
    given=dict(data=Output(ids.GIVEN, "data"), disabled=Output(ids.GIVEN_TAB, "disabled"),
               style=Output(ids.GIVEN_TAB, "style"), info=Output(ids.GIVEN_INFO, "children")),
    message=Output(ids.PROJECTION_MESSAGE, "children"), message_kind=Output(ids.PROJECTION_MESSAGE, "className"),
)


def _keep(group: dict) -> dict:
    return {k: (_keep(v) if isinstance(v, dict) else no_update) for k, v in group.items()}


def controls_from_state(state: dict, ds) -> dict:
    """The tab and its controls as a restored state asks (other tabs keep what they hold)."""
    method = (state.get("controls") or "pca") if state["method"] == "given" else state["method"]
    p, three = state.get("params") or {}, ["3d"] if state["dims"] == 3 else []
    out = _keep({k: v for k, v in SET_UP.items() if k not in ("message", "message_kind")})
    out["tab"] = "given" if state["method"] == "given" else method
    if method == "pca":
        comps = list(p.get("components") or [0, 1]) + [2]
        out["pca"] = dict(x=comps[0], y=comps[1], z=comps[2], three_d=three)
    elif method == "tsne":
        lr = p.get("learning_rate")
        out["tsne"] = dict(three_d=three, perplexity=p.get("perplexity"), iterations=p.get("iterations"),
                           learning_rate=None if lr in (None, "auto") else lr)
    elif method == "umap":
        out["umap"] = dict(three_d=three, neighbors=p.get("n_neighbors"), min_dist=p.get("min_dist"))
    elif method == "custom":
        out["custom"].update(left=p.get("left") or "", right=p.get("right") or "", up=p.get("up") or "",
                             down=p.get("down") or "", regex=["on"] if p.get("regex") else [],
                             column=p.get("column") if p.get("column") in map(str, ds.metadata.columns) else None)
    elif method == "raw":
        out["raw"]["three_d"] = three
    return out


@callback(output=SET_UP, inputs=dict(setup=Input(ids.SETUP, "data")), state=dict(tab=State(ids.TABS, "value")),
          prevent_initial_call=True)
def set_up(setup, tab):
    """The Projection panel for a data set: its defaults (the open tab stays open), or a restored state's."""
    text, kind = panel_message(setup, "projection")
    dataset_id = (setup or {}).get("dataset")
    out = _keep(SET_UP)
    out.update(message=text, message_kind=kind)
    if not dataset_id:
        return out
    ds = services.store().get(dataset_id)
    columns = [{"label": str(c), "value": str(c)} for c in ds.metadata.columns]
    state = kept_state(setup.get("state"))
    if state:
        out.update(controls_from_state(state, ds))
    else:
        out["tab"] = "pca" if tab == "given" or (tab == "raw" and ds.dim > 3) else no_update
        out["tsne"]["perplexity"] = None   # auto: max(5, ⌈√n / 4⌉) of the points shown, isolated ones too
        out["custom"]["column"] = ds.default_column()
    out["custom"]["column_options"] = columns
    out["raw"]["disabled"] = ds.dim > 3
    given = state and state["method"] == "given"
    out["given"] = dict(
        data={"state": setup["state"], "dims": state["dims"], "axes": state["given"]["axes"]} if given else None,
        disabled=not given, style={} if given else HIDDEN,
        info=(f"Coordinates stored in the bookmark ({state['given'].get('source') or 'saved'}), drawn as they were "
              "saved. The other tabs compute projections here.") if given else "")
    return out


# The panel's part of the view record: the projection its open tab asks for.
PART = dict(tab=Input(ids.TABS, "value"),
            pca=dict(x=Input(ids.PCA_X, "value"), y=Input(ids.PCA_Y, "value"), z=Input(ids.PCA_Z, "value"),
                     three_d=Input(ids.PCA_3D, "value")),
            tsne=dict(three_d=Input(ids.TSNE_3D, "value"), perplexity=Input(ids.TSNE_PERPLEXITY, "value"),
                      learning_rate=Input(ids.TSNE_LEARNING_RATE, "value"),
                      iterations=Input(ids.TSNE_ITERATIONS, "value")),
            umap=dict(three_d=Input(ids.UMAP_3D, "value"), neighbors=Input(ids.UMAP_NEIGHBORS, "value"),
                      min_dist=Input(ids.UMAP_MIN_DIST, "value")),
            custom=dict(left=Input(ids.CUSTOM_LEFT, "value"), right=Input(ids.CUSTOM_RIGHT, "value"),
                        up=Input(ids.CUSTOM_UP, "value"), down=Input(ids.CUSTOM_DOWN, "value"),
                        regex=Input(ids.CUSTOM_REGEX, "value"), column=Input(ids.CUSTOM_COLUMN, "value")),
            raw=dict(three_d=Input(ids.RAW_3D, "value")), given=Input(ids.GIVEN, "data"))


def part(tab, pca, tsne, umap, custom, raw, given) -> dict:
    """The projection request of the open tab: ``{"method", "dims", "params"}`` (checked by the planner)."""
    dims = lambda flag: 3 if flag else 2  # noqa: E731
    if tab == "given":
        given = given if isinstance(given, dict) else {}
        return {"method": "given", "dims": int(given.get("dims") or 2),
                "params": {"state": given.get("state"), "axes": given.get("axes") or []}}
    if tab == "pca":
        d = dims(pca["three_d"])
        return {"method": "pca", "dims": d, "params": {"components": [pca["x"] or 0, pca["y"] or 0, pca["z"] or 0][:d]}}
    if tab == "tsne":
        return {"method": "tsne", "dims": dims(tsne["three_d"]),
                "params": {"perplexity": tsne["perplexity"] or None, "learning_rate": tsne["learning_rate"] or "auto",
                           "iterations": tsne["iterations"] or None}}
    if tab == "umap":
        return {"method": "umap", "dims": dims(umap["three_d"]),
                "params": {"n_neighbors": umap["neighbors"], "min_dist": umap["min_dist"]}}
    if tab == "custom":
        return {"method": "custom", "dims": 2,
                "params": {k: custom[k] or "" for k in ("left", "right", "up", "down")} |
                {"regex": bool(custom["regex"]), "column": custom["column"]}}
    return {"method": "raw", "dims": dims(raw["three_d"]), "params": {}}


# ---------------------------------------------------------------- what the plot shows for the view

def shown_record(view: dict, proj, version: int, computed_here: bool = False) -> dict:
    """The SHOWN record of a complete projection of the view's points (ids and parameters, no coordinates)."""
    return {"dataset": view["dataset"], "version": version, "subset": (view.get("subset") or {}).get("id"),
            "n": int(len(proj.coords)), "spherize": bool(view["spherize"]), "method": proj.method, "dims": proj.dims,
            "params": proj.params, "key": proj.key, "info": proj.info, "cached": bool(proj.cached and not computed_here)}


def given_projection(view: dict, ds) -> projector.Projection:
    """Coordinates a bookmark holds (TensorBoard's stored projections), drawn as they were saved."""
    import numpy as np

    params = view["request"]["params"]
    state = services.states().get(params.get("state"))
    given = state.get("given") or {}
    subset = (view.get("subset") or {}).get("id")
    mine = state.get("subset")
    if state.get("dataset") != ds.id or (subset_digest(mine) if mine is not None else None) != subset:
        raise projector.DataError("the stored coordinates belong to the points of their bookmark; restore the "
                                  "bookmark again, or pick another projection.")
    coords = np.asarray(given.get("coords") or [], dtype=np.float32)
    return projector.Projection(method="given", dims=int(coords.shape[1]), coords=coords,
                                params={"state": params.get("state"), "axes": given.get("axes") or []},
                                info={"source": given.get("source", "")}, cached=True, key=f"given:{params.get('state')}")


def job_request(view: dict, method: str, dims: int, params: dict, key: str) -> dict:
    """What the background job gets: everything the engine needs, as plain JSON."""
    return {"dataset": view["dataset"], "subset": (view.get("subset") or {}).get("id"), "spherize": bool(view["spherize"]),
            "method": method, "dims": int(dims), "params": params, "key": key, "points": int(view["n"]),
            "job": secrets.token_hex(6)}


def start_job(view: dict, method: str, dims: int, params: dict, key: str) -> tuple[dict, dict]:
    """(JOB, WATCH) for a new job; its record says it is queued (waiting for UMAP's warm-up, if so)."""
    job = job_request(view, method, dims, params, key)
    waits = method == "umap" and not forkservers.warm_ready()
    text = ("Waiting for UMAP's one-time warm-up on the server (it compiles once, about 25 s after start-up)…"
            if waits else f"Starting {method_name(method)}…")
    services.jobs().queue(job, job["job"], text)
    return job, watch_of(job)


def watch_of(job: dict, state: str = "watching") -> dict:
    return {"key": job["key"], "job": job["job"], "method": job["method"], "dataset": job["dataset"],
            "subset": job.get("subset"), "points": job.get("points"), "state": state}


ENDED_SAYS = {
    "cancelled": ("{name} cancelled; press Run to start it again.", WARN),
    "died": ("The {name} job stopped without a result (its process on the server ended); press Run to try again.", ERROR),
}


def ended_message(record: dict) -> tuple[str, str] | None:
    """What the page says about a job that ended without a result."""
    name = method_name(record.get("method", ""))
    if record.get("state") == "failed":
        return record.get("error") or f"The {name} job failed; press Run to try again.", ERROR
    if record.get("state") in ENDED_SAYS:
        text, kind = ENDED_SAYS[record["state"]]
        return text.format(name=name), kind
    return None


def plan(view: dict | None, shown: dict | None, watch: dict | None, run_pressed: bool) -> dict:
    """What to show for ``view``: ``{"shown", "watch", "job", "message"}``, each value new or ``no_update``.

    ``shown`` is what the plot shows now, ``watch`` the job this page follows (or one that just ended).
    """
    keep = dict(shown=no_update, watch=no_update, job=no_update, message=no_update)
    if not view or not view.get("dataset"):
        return dict(keep, shown=None, watch=None, message=SILENT)
    ds = services.store().get(view["dataset"])
    request = view["request"]
    method, n = request["method"], int(view["n"])
    ended = watch if watch and watch.get("state") != "watching" else None
    following = watch if watch and watch.get("state") == "watching" else None
    if shown and shown.get("method") != "given" and shown.get("key") and shown["key"] not in services.cache():
        shown = None   # its result left the cache (evicted, or dropped as unreadable): make the picture again
    same = same_points(shown, view)
    out = dict(keep, watch=None if ended else no_update)
    said = ended_message(ended) if ended else None
    if said:
        out["message"] = say(*said)

    def stand_in(job_allowed: bool):
        """The picture while the request is not available: these points' last one, or their PCA."""
        if same:
            return no_update, None
        pca_key, used = projection_key(ds, "pca", dims=2, points=n, subset_digest=(view.get("subset") or {}).get("id"),
                                       params={"components": [0, 1]}, spherize=view["spherize"],
                                       cache=services.cache())
        small = n * ds.dim <= INLINE_PCA_MAX
        proj = projector.project(ds, "pca", dims=2, subset=view_points(view) if view.get("subset") else None,
                                 spherize=view["spherize"], cache=services.cache(), only_cached=not small)
        if proj is not None:
            return shown_record(view, proj, ds.metadata_version), None
        if job_allowed and not services.jobs().active(pca_key):
            return None, start_job(view, "pca", 2, used, pca_key)
        return None, None

    if method == "given":
        try:
            proj = given_projection(view, ds)
        except projector.DataError as exc:
            return dict(out, message=say(exc, ERROR))
        return dict(out, shown=shown_record(view, proj, ds.metadata_version), watch=None,
                    message=out["message"] if said else SILENT)
    try:
        key, used = projection_key(ds, method, dims=request["dims"], points=n,
                                   subset_digest=(view.get("subset") or {}).get("id"), params=request["params"],
                                   spherize=view["spherize"], cache=services.cache())
    except projector.DataError as exc:
        picture, _ = stand_in(job_allowed=False)
        return dict(out, shown=picture, message=say(exc, ERROR))
    if same and shown.get("key") == key and shown.get("params") == used and shown.get("version") == ds.metadata_version:
        if following and following["key"] != key:
            out["watch"] = None   # the job goes on server-side (its result will be cached); this page stops following it
        return out
    computed_here = bool(ended and ended.get("key") == key and ended.get("state") == "done")
    inline = method == "pca" and n * ds.dim <= INLINE_PCA_MAX   # well under a second: no job needed
    proj = projector.project(ds, method, dims=request["dims"], subset=view_points(view) if view.get("subset") else None,
                             params=used, spherize=view["spherize"], cache=services.cache(), only_cached=not inline)
    if proj is not None:
        return dict(out, shown=shown_record(view, proj, ds.metadata_version, computed_here),
                    watch=None if following and following["key"] != key else out["watch"],
                    message=out["message"] if said else SILENT)
    if method == "custom" and not any(request["params"].get(k) for k in ("left", "right", "up", "down")):
        picture, _ = stand_in(job_allowed=True)
        return dict(out, shown=picture, message=say("Type a query for at least one end of an axis "
                                                    "(e.g. left: bad, right: good).", WARN))
    active = services.jobs().active(key)
    if active:   # already running for this projection (a reload, another tab, a teammate): follow it
        picture, _ = stand_in(job_allowed=False)
        return dict(out, shown=picture, watch=watch_of({**active, "key": key}), message=out["message"] if said else SILENT)
    record = services.jobs().status(key)
    # A job that failed, was cancelled or died is not restarted by itself (Run does that), except the cheap
    # methods' after a cancel or death: those are started again as soon as their view is asked for.
    failed_before = record is not None and (record.get("state") == "failed" or (
        record.get("state") in ("cancelled", "died") and method not in AUTO_METHODS))
    subset_changed = shown is not None and shown.get("dataset") == view["dataset"] and not same
    # t-SNE and UMAP start by themselves on isolated points (and right after Show all) when there are few
    automatic = method in AUTO_METHODS or (method in ("tsne", "umap") and n <= AUTO_RUN_MAX and
                                           (subset_changed or bool(view.get("subset"))))
    if run_pressed or (automatic and not failed_before):
        picture, _ = stand_in(job_allowed=False)
        job, watching = start_job(view, method, request["dims"], used, key)
        return dict(out, shown=picture, job=job, watch=watching, message=SILENT)
    picture, pca_job = stand_in(job_allowed=True)
    if pca_job:
        out.update(job=pca_job[0], watch=pca_job[1])
    if failed_before and not said:
        said = ended_message(record)
        out["message"] = say(*said)
    elif not said:
        where = f"the {n:,} isolated points" if view.get("subset") else f"the {n:,} points"
        until = "" if same else "; the plot shows their PCA until then"
        out["message"] = say(f"Press Run to compute {method_name(method)} on {where}{until}.", INFO)
    return dict(out, shown=picture)


@callback(output=dict(shown=Output(ids.SHOWN, "data"), watch=Output(ids.WATCH, "data"), job=Output(ids.JOB, "data"),
                      message=Output(ids.PROJECTION_MESSAGE, "children", allow_duplicate=True),
                      message_kind=Output(ids.PROJECTION_MESSAGE, "className", allow_duplicate=True)),
          inputs=dict(view=Input(ids.VIEW, "data"), run=Input(ids.RUN, "n_clicks"), watch=Input(ids.WATCH, "data")),
          state=dict(shown=State(ids.SHOWN, "data")), prevent_initial_call=True)
def plan_view(view, run, watch, shown):
    """Decide what the plot shows whenever the view changes, Run is pressed or a followed job ends."""
    triggers = set(ctx.triggered_prop_ids)
    if triggers == {f"{ids.WATCH}.data"} and (not watch or watch.get("state") == "watching"):
        return dict(shown=no_update, watch=no_update, job=no_update, message=no_update, message_kind=no_update)
    try:
        out = plan(view, shown, watch, f"{ids.RUN}.n_clicks" in triggers)
    except projector.DataError as exc:
        out = dict(shown=no_update, watch=no_update, job=no_update, message=say(exc, ERROR))
    message = out.pop("message")
    text, kind = (no_update, no_update) if message is no_update else message
    return dict(out, message=text, message_kind=kind)


# ---------------------------------------------------------------- following the job

REISSUE_S = 15.0   # a job still "queued" this long after the page asked for it was never started (a slow server
#                   answers its start within seconds; QUEUED_STALE_S, 20 s, would call it dead)
REISSUE_MAX = 2


@callback(output=dict(value=Output(ids.PROGRESS, "value"), max=Output(ids.PROGRESS, "max"),
                      text=Output(ids.PROGRESS_TEXT, "children"), frame=Output(ids.FRAME, "data"),
                      watch=Output(ids.WATCH, "data", allow_duplicate=True),
                      job=Output(ids.JOB, "data", allow_duplicate=True)),
          inputs=dict(tick=Input(ids.JOB_TICK, "n_intervals")),
          state=dict(watch=State(ids.WATCH, "data"), frame=State(ids.FRAME, "data")), prevent_initial_call=True)
def follow(tick, watch, frame):
    """Read the followed job's record: progress and frames while it runs; when it ends, the planner takes over."""
    idle = dict(value="0", max="1", text="", frame=no_update, watch=no_update, job=no_update)
    if not isinstance(watch, dict) or watch.get("state") != "watching":
        return {k: no_update for k in idle}
    rec = services.jobs().status(str(watch.get("key")))
    if rec is None:
        return dict(idle, watch={**watch, "state": "died"})
    moved = rec.get("job") != watch["job"]
    if moved and rec["state"] not in ACTIVE:
        return dict(idle, watch={**watch, "state": "died"})
    if moved:
        watch = {**watch, "job": rec["job"]}   # restarted by another page meanwhile: follow that one
    if rec["state"] not in ACTIVE:
        return dict(idle, watch={**watch, "state": rec["state"], "error": rec.get("error")})
    asked = rec.get("request") if isinstance(rec.get("request"), dict) else {}
    if rec["state"] == "queued" and not moved and asked and int(asked.get("reissued", 0)) < REISSUE_MAX and \
            time.time() - float(rec.get("beat", 0)) > REISSUE_S:
        # Its start never reached the server (the page dropped the background request while it cancelled
        # an earlier job): ask again, as a new job of the same request (twice at most; then it has died).
        job = {**asked, "job": secrets.token_hex(6), "reissued": int(asked.get("reissued", 0)) + 1}
        services.jobs().queue(job, job["job"], rec.get("text", ""))
        return dict(idle, text=rec.get("text", ""), watch=watch_of(job), job=job)
    out = dict(value=str(rec.get("done", 0)), max=str(max(1, rec.get("total", 1))), text=rec.get("text", ""),
               frame=no_update, watch=watch if moved else no_update, job=no_update)
    if rec.get("frame") and (not frame or frame.get("job") != rec["job"] or frame.get("seq") != rec["frame"]):
        out["frame"] = {"job": rec["job"], "key": watch["key"], "seq": rec["frame"], "dataset": watch["dataset"],
                        "subset": watch.get("subset"), "done": rec.get("done", 0), "total": rec.get("total", 1),
                        "method": watch["method"]}
    return out


@callback(Output(ids.WATCH, "data", allow_duplicate=True), Input(ids.CANCEL, "n_clicks"), State(ids.WATCH, "data"),
          prevent_initial_call=True)
def cancel(_, watch):
    """Cancel reaches the job wherever it runs (its process is also stopped by Dash when this page started it)."""
    if not isinstance(watch, dict) or watch.get("state") != "watching":
        return no_update
    services.jobs().request_cancel(watch["job"])
    services.jobs().update(watch["key"], watch["job"], state="cancelled")
    return {**watch, "state": "cancelled"}


# While a job is followed: the poll runs, Run waits, Cancel is offered; once it is not, its progress goes.
clientside_callback(
    """function (watch) {
        const on = !!(watch && watch.state === 'watching');
        const noop = window.dash_clientside.no_update;
        return [!on, on, !on, on ? noop : '0', on ? noop : ''];
    }""",
    Output(ids.JOB_TICK, "disabled"), Output(ids.RUN, "disabled"), Output(ids.CANCEL, "disabled"),
    Output(ids.PROGRESS, "value", allow_duplicate=True), Output(ids.PROGRESS_TEXT, "children", allow_duplicate=True),
    Input(ids.WATCH, "data"), prevent_initial_call="initial_duplicate")


# ---------------------------------------------------------------- what the shown projection is

def describe(shown: dict) -> str:
    text = _describe(shown)
    return text + " From the server's cache." if shown.get("cached") and shown["method"] not in ("pca", "given") else text


def _describe(shown: dict) -> str:
    info, method = shown.get("info") or {}, shown["method"]
    if method == "pca":
        return (f"Variance shown: {info.get('variance_shown', 0) * 100:.1f}% "
                f"(all {len(info.get('explained_variance_ratio', []))} components: "
                f"{info.get('total_variance', 0) * 100:.1f}%).")
    if method == "tsne":
        return (f"t-SNE: {info.get('iterations', 0):,} iterations, KL divergence {info.get('kl_divergence', 0):.3f}, "
                f"perplexity {shown['params']['perplexity']:g}, {shown['n']:,} points.")
    if method == "umap":
        return (f"UMAP: {shown['params']['n_neighbors']} neighbours, min_dist {shown['params']['min_dist']:g}, "
                f"{shown['n']:,} points.")
    if method == "given":
        return (f"{shown['n']:,} points drawn where the bookmark stored them ({info.get('source') or 'a bookmark'}); "
                "pick another tab to compute a projection here.")
    if method == "custom":
        m = info.get("matches", {})
        text = " · ".join(f"{k}: {m.get(k, 0):,} matches" for k in ("left", "right", "up", "down"))
        return text + " (matched among all points)" if shown.get("subset") else text
    return f"{shown['n']:,} points."


def pca_options(info: dict):
    ratios = info.get("explained_variance_ratio") or []
    return [{"label": f"#{i + 1} · {r * 100:.1f}% variance", "value": i} for i, r in enumerate(ratios)]


@callback(output=dict(info=Output(ids.PROJECTION_INFO, "children"), variance=Output(ids.PCA_VARIANCE, "children"),
                      custom=Output(ids.CUSTOM_INFO, "children"), x=Output(ids.PCA_X, "options"),
                      y=Output(ids.PCA_Y, "options"), z=Output(ids.PCA_Z, "options"),
                      problems=Output(ids.PROJECTION_MESSAGE, "children", allow_duplicate=True),
                      problems_kind=Output(ids.PROJECTION_MESSAGE, "className", allow_duplicate=True)),
          inputs=dict(shown=Input(ids.SHOWN, "data")), prevent_initial_call=True)
def show_info(shown):
    """The panel says what the drawn projection is: variance, matches, iterations; problems of custom axes."""
    if not shown:
        return dict(info="", variance="", custom="", x=no_update, y=no_update, z=no_update, problems=no_update,
                    problems_kind=no_update)
    out = dict(info="" if shown["method"] in ("pca", "custom") else describe(shown), variance=no_update,
               custom=no_update, x=no_update, y=no_update, z=no_update, problems=no_update, problems_kind=no_update)
    if shown["method"] == "pca":
        options = pca_options(shown.get("info") or {})
        out.update(variance=describe(shown), x=options, y=options, z=options)
    if shown["method"] == "custom":
        out["custom"] = describe(shown)
        problems = " ".join((shown.get("info") or {}).get("problems", []))
        out["problems"], out["problems_kind"] = say(problems, WARN) if problems else SILENT
    return out


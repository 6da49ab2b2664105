"""The Analysis panel: start an analysis of the view's points as a background job (see
:func:`callbacks.jobs.run_analysis_job`), show the view again coloured by the column it wrote, list the
clusters of a cluster column, and select a cluster (from the list or its name on the map) or the most
unusual points. A comparison with another data set (the Compare tab) starts here like the others; its
results (the agreement, the most changed points, B's map) are shown by :mod:`callbacks.compare`."""
from __future__ import annotations

import secrets

import numpy as np
from dash import ALL, Input, Output, State, callback, ctx, html, no_update

import projector
from components import ids
from projector.analyses import NOISE, OUTLIER_PREFIX, analysis_params, compared_with
from projector.formats import column_as_text

from . import services
from .data import panel_message
from .figures import is_cluster_column
from .view import goto_view
from .views import ERROR, OK, empty_selection, keep_points, same_points, say, view_points

KIND_NAMES = {"clusters": "Clusters", "outliers": "Outlier scores", "faithfulness": "Trust", "stability": "Stability",
              "compare": "Comparison"}


@callback(Output(ids.CLUSTER_NAME_BY, "options"), Output(ids.CLUSTER_NAME_BY, "value"),
          Output(ids.ANALYSIS_MESSAGE, "children"), Output(ids.ANALYSIS_MESSAGE, "className"),
          Output(ids.ANALYSIS_PROGRESS_TEXT, "children", allow_duplicate=True),
          Input(ids.SETUP, "data"), State(ids.CLUSTER_NAME_BY, "value"), prevent_initial_call=True)
def set_up(setup, name_by):
    """The panel for a data set: the text columns clusters can be named by; what the last analysis said."""
    text, kind = panel_message(setup, "analysis")
    dataset_id = (setup or {}).get("dataset")
    if not dataset_id:
        return [], None, text, kind, ""
    ds = services.store().get(dataset_id)
    columns = [c for c in map(str, ds.text_columns()) if not is_cluster_column(c)]
    keep = name_by if name_by in columns else (columns[0] if columns else None)
    return [{"label": c, "value": c} for c in columns], keep, text, kind, ""


def analysis_request(view: dict, shown: dict | None, kind: str, params: dict) -> dict:
    """What the background job gets (plain JSON): the view's points and, for the map's analyses, its projection."""
    projection = None
    if same_points(shown, view) and shown.get("method") != "given":
        projection = {k: shown.get(k) for k in ("key", "method", "dims", "params")}
    request = {"job": secrets.token_hex(6), "kind": kind, "dataset": view["dataset"],
               "subset": (view.get("subset") or {}).get("id"), "spherize": bool(view.get("spherize")),
               "metric": (view.get("neighbours") or {}).get("metric") or "cosine", "params": params,
               "projection": projection}
    if kind == "compare" and projection and projection["method"] == "umap":
        request["method"] = "umap"   # B's UMAP runs in the job server that has UMAP compiled already
    return request


@callback(Output(ids.ANALYSIS_JOB, "data"), Output(ids.ANALYSIS_MESSAGE, "children", allow_duplicate=True),
          Output(ids.ANALYSIS_MESSAGE, "className", allow_duplicate=True),
          Input(ids.ANALYSIS_RUN, "n_clicks"),
          State(ids.ANALYSIS_TABS, "value"), State(ids.CLUSTER_ALGORITHM, "value"), State(ids.CLUSTER_SPACE, "value"),
          State(ids.CLUSTER_MIN_SIZE, "value"), State(ids.CLUSTER_K, "value"), State(ids.CLUSTER_NAME_BY, "value"),
          State(ids.OUTLIER_METHOD, "value"), State(ids.OUTLIER_K, "value"), State(ids.OUTLIER_SPACE, "value"),
          State(ids.TRUST_K, "value"),
          State(ids.STABILITY_SEED, "value"), State(ids.VIEW, "data"), State(ids.SHOWN, "data"),
          State(ids.COMPARE_OTHER, "value"), State(ids.COMPARE_K, "value"),
          prevent_initial_call=True)
def start(_, kind, algorithm, space, min_size, k, name_by, outlier_method, outlier_k, outlier_space, trust_k, seed, view,
          shown, other=None, compare_k=None):
    """Run: the open tab's analysis of the points on screen, checked here so a mistake is said at once."""
    if not view or not view.get("dataset"):
        return no_update, *say("Pick a data set first.", ERROR)
    params = {"clusters": {"algorithm": algorithm, "space": space, "min_cluster_size": min_size, "k": k,
                           "name_by": name_by},
              "outliers": {"method": outlier_method, "k": outlier_k, "space": outlier_space},
              "faithfulness": {"k": trust_k}, "stability": {"seed": seed},
              "compare": {"other": other, "k": compare_k}}.get(kind)
    if params is None:
        return no_update, *say("Pick an analysis tab first.", ERROR)
    request = analysis_request(view, shown, kind, params)
    try:
        used = analysis_params(kind, params, int(view["n"]))
        needs_map = kind in ("faithfulness", "stability") or (kind == "clusters" and used["space"] == "map")
        if needs_map and request["projection"] is None:
            raise projector.DataError("this analysis reads the map on screen: wait for the projection to be drawn "
                                      "(or press Run in the Projection panel) first.")
        if kind == "stability" and request["projection"]["method"] not in ("tsne", "umap"):
            raise projector.DataError("stability compares two runs of t-SNE or UMAP; draw one of them first.")
        if kind == "compare":
            other_name = compared_with(services.store(), view["dataset"], used["other"]).name
            return request, *say(f"Comparing the {int(view['n']):,} points on screen with the same rows of "
                                 f"{other_name}…", OK)
    except projector.DataError as exc:
        return no_update, *say(exc, ERROR)
    return request, *say(f"{KIND_NAMES[kind]} of the {int(view['n']):,} points on screen…", OK)


def summary_text(result: dict) -> str:
    """The sentence an ended analysis leaves in the panel."""
    s, column = result.get("summary") or {}, result["column"]
    kind = result.get("kind")
    if kind == "clusters":
        text = f"{s.get('clusters', 0):,} clusters"
        if s.get("noise"):
            text += f" and {s['noise']:,} noise points"
        named = f", named by {s['named_by']}" if s.get("named_by") else ""
        return f"{text}{named}: the map is coloured by “{column}”; click a name to select its points."
    if kind == "outliers":
        return f"Scored every point (median {s.get('median', 0):.4g}); the map is coloured by “{column}”."
    if kind == "faithfulness":
        how = "exact" if s.get("exact") else (f"estimated from {s.get('rows', 0):,} random points, ± "
                                              f"{2 * max(s.get('stderr_trustworthiness', 0), s.get('stderr_continuity', 0)):.3f}")
        return (f"Trustworthiness {s.get('trustworthiness', 0):.3f}, continuity {s.get('continuity', 0):.3f} ({how}); "
                f"on average a point keeps {100 * s.get('mean_kept', 0):.1f}% of its neighbours on this map — the map is "
                f"coloured by “{column}” (low: the picture misleads there).")
    if kind == "compare":
        text = (f"Agreement with {s.get('other_name', 'B')}: {s.get('agreement', 0):.3f} (the mean Jaccard overlap of "
                f"each point's {s.get('k', 0)} neighbours in A and in B; {s.get('unchanged', 0):,} of "
                f"{s.get('points', 0):,} points keep all of theirs); the map is coloured by “{column}” (low: the "
                "neighbourhood changed).")
        return text + (f" No B map: {s['map_note']}" if s.get("map_note") else "")
    return (f"Median move after alignment: {s.get('median', 0):.3f} of the map's radius; the map is coloured by "
            f"“{column}” (high: placed differently by another seed).")


@callback(Output(ids.GOTO, "data", allow_duplicate=True), Output(ids.ANALYSIS_MESSAGE, "children", allow_duplicate=True),
          Output(ids.ANALYSIS_MESSAGE, "className", allow_duplicate=True),
          Output(ids.ANALYSIS_PROGRESS_TEXT, "children", allow_duplicate=True),
          Input(ids.ANALYSIS_RESULT, "data"), State(ids.VIEW, "data"), prevent_initial_call=True)
def finished(result, view):
    """An ended analysis: the view again, on the new metadata version, coloured by its column."""
    if not isinstance(result, dict):
        return no_update, no_update, no_update, ""
    if result.get("error"):
        return no_update, *say(result["error"], ERROR), ""
    if not view or view.get("dataset") != result.get("dataset"):
        return no_update, *say("The analysis ended after the data set was changed; its column is kept on "
                               f"{result.get('name') or 'its data set'}.", OK), ""
    try:
        goto = goto_view(view, {"panel": "analysis", "text": summary_text(result), "kind": OK},
                         colour_by=result["column"])
    except projector.DataError as exc:
        return no_update, *say(exc, ERROR), ""
    return goto, no_update, no_update, ""


# ---------------------------------------------------------------- the clusters of the column on screen

def cluster_values(view: dict) -> tuple[list[str], list[int]]:
    """The values of the view's cluster column among its points and their sizes: largest first, noise last."""
    ds = services.store().get(view["dataset"])
    column = view["colour_by"]
    if column not in ds.metadata.columns:
        return [], []
    texts = np.asarray(column_as_text(ds.metadata[column]), dtype=object)[view_points(view)]
    values, counts = np.unique(texts[texts != ""], return_counts=True)
    order = sorted(range(len(values)), key=lambda i: (values[i] == NOISE, -counts[i], values[i]))
    return [str(values[i]) for i in order], [int(counts[i]) for i in order]


@callback(Output(ids.CLUSTER_LIST, "children"), Input(ids.VIEW, "data"), prevent_initial_call=True)
def cluster_list(view):
    """The clusters of the colour-by column when it is a cluster column: name and size, largest first."""
    if not view or not view.get("dataset") or not is_cluster_column(view.get("colour_by")):
        return html.Div("Run to find clusters; they become a metadata column named “clusters (…)”.", className="hint")
    values, counts = cluster_values(view)
    found = sum(v != NOISE for v in values)
    noise = f" and noise ({counts[values.index(NOISE)]:,} points)" if NOISE in values else ""
    return [html.Div(f"{found:,} clusters{noise} in “{view['colour_by']}” — click one to select it",
                     className="hint")] + [
        html.Div([html.Span(v, className="cluster-name", title=v), html.Span(f"{n:,}", className="cluster-size")],
                 id=ids.cluster_row(i), className="cluster-row", n_clicks=0) for i, (v, n) in enumerate(zip(values, counts))]


def points_with_value(view: dict, column: str, value: str) -> np.ndarray:
    """The view's points whose ``column`` holds ``value``."""
    ds = services.store().get(view["dataset"])
    if column not in ds.metadata.columns:
        raise projector.DataError(f"the column {column} is not in this data set's metadata any more.")
    points = view_points(view)
    texts = np.asarray(column_as_text(ds.metadata[column]), dtype=object)[points]
    return points[texts == value]


@callback(Output(ids.SELECTION, "data", allow_duplicate=True),
          Output(ids.ANALYSIS_MESSAGE, "children", allow_duplicate=True),
          Output(ids.ANALYSIS_MESSAGE, "className", allow_duplicate=True),
          Input(ids.cluster_row(ALL), "n_clicks"), Input(ids.GRAPH, "clickData"), State(ids.VIEW, "data"),
          prevent_initial_call=True)
def select_cluster(_, click, view):
    """A click on a listed cluster, or on a cluster's name on the map, selects its points."""
    if not view or not view.get("dataset") or not is_cluster_column(view.get("colour_by")):
        return no_update, no_update, no_update
    trigger = ctx.triggered_id
    if isinstance(trigger, dict):
        if not ctx.triggered[0]["value"]:
            return no_update, no_update, no_update
        values = cluster_values(view)[0]   # the rows are listed in this order
        if not isinstance(trigger.get("index"), int) or not 0 <= trigger["index"] < len(values):
            return no_update, *say("That cluster is no longer listed; pick another.", ERROR)
        value = values[trigger["index"]]
    else:
        hits = [p for p in (click or {}).get("points") or [] if isinstance(p, dict) and p.get("curveNumber") == 3]
        if not hits or not isinstance(hits[0].get("customdata"), str):
            return no_update, no_update, no_update
        value = hits[0]["customdata"]
    try:
        points = points_with_value(view, view["colour_by"], str(value))
        if not len(points):
            raise projector.DataError(f"no point on screen is in the cluster {value}.")
        selection = keep_points(empty_selection(view["dataset"]), points)
    except projector.DataError as exc:
        return no_update, *say(exc, ERROR)
    return selection, *say(f"Selected the {len(points):,} points of {value}.", OK)


# ---------------------------------------------------------------- the most unusual points

def outlier_column(view: dict, ds) -> str | None:
    """The outlier score to select by: the colour-by column when it is one, else the latest scored."""
    if str(view.get("colour_by") or "").startswith(OUTLIER_PREFIX) and view["colour_by"] in ds.metadata.columns:
        return view["colour_by"]
    scored = [str(c) for c in ds.metadata.columns if str(c).startswith(OUTLIER_PREFIX)]
    return scored[-1] if scored else None


@callback(Output(ids.SELECTION, "data", allow_duplicate=True),
          Output(ids.ANALYSIS_MESSAGE, "children", allow_duplicate=True),
          Output(ids.ANALYSIS_MESSAGE, "className", allow_duplicate=True),
          Input(ids.OUTLIER_SELECT, "n_clicks"), State(ids.OUTLIER_TOP, "value"), State(ids.VIEW, "data"),
          prevent_initial_call=True)
def select_unusual(_, top, view):
    """Select the N points on screen with the highest outlier score."""
    if not view or not view.get("dataset"):
        return no_update, *say("Pick a data set first.", ERROR)
    ds = services.store().get(view["dataset"])
    column = outlier_column(view, ds)
    if column is None:
        return no_update, *say("Score the points first: open the Outliers tab and press Run.", ERROR)
    if not isinstance(top, int) or top < 1:
        return no_update, *say("Type how many of the most unusual points to select (a whole number of at least 1).",
                               ERROR)
    points = view_points(view)
    scores = ds.metadata[column].to_numpy(dtype=np.float64)[points]
    scored = np.flatnonzero(np.isfinite(scores))
    if not len(scored):
        return no_update, *say(f"No point on screen has a score in “{column}”; run the outlier scores on these points.",
                               ERROR)
    order = scored[np.lexsort((points[scored], -scores[scored]))][:top]
    try:
        selection = keep_points(empty_selection(view["dataset"]), points[order])
    except projector.DataError as exc:
        return no_update, *say(exc, ERROR)
    return selection, *say(f"Selected the {len(order):,} most unusual points by “{column}”.", OK)

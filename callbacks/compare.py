"""Compare: another embedding of the same rows (data set B) beside the one on screen (A).

The comparison itself is an analysis (the Analysis panel's Compare tab, :func:`callbacks.analysis.start` and
the background job :func:`callbacks.jobs.run_analysis_job`); it leaves the column "agreement@k vs B" that the
main map is coloured by. This module shows the rest of it and owns B's map (never the main map's figure):

- the list of B (stored data sets with as many points as A, other than A) and why it is empty;
- COMPARISON, the comparison on screen (signed, written here only)::

      {"dataset" (A), "subset" (id or None), "other" (B), "other_name", "k", "metric", "spherize", "column",
       "agreement", "points", "unchanged", "most_changed" [{"point", "agreement", "a" [...], "b" [...]}],
       "map" {"key", "method", "dims", "projection", "components", "median_move"} or None, "map_note"}

  It holds for the view's data set and points only: a change of either (another data set, isolate, show all)
  or Close comparison clears it, and B's map is then hidden and emptied;
- the agreement, the most changed points (a click selects one) and the selected point's k neighbours in A and
  in B side by side, the common ones marked;
- B's map: B's projection aligned onto A's, coloured as the main map is; a click or lasso on it writes the one
  selection (SELECTION, ``"source": "compare"``) and the selection is highlighted on it by Patch.
"""
from __future__ import annotations

import json

import numpy as np
from dash import ALL, Input, Output, Patch, State, callback, ctx, html, no_update

import projector
from components import ids
from projector.analyses import neighbour_graph

from . import services
from .figures import HOVER_TEXT_MAX, TEXT_LABELS_MAX, apply, build_figure, dot_opacity, empty_figure, hover_texts
from .inspector import neighbours_of
from .plot import Canvas, selection_signature
from .views import (ERROR, empty_selection, event_points, keep_points, method_name, rows_in_view, same_points, say,
                    selection_of, view_points)

SOURCE = "compare"          # a selection made on B's map or in the most-changed list says so
HIDDEN, SHOWN_BOX = "compare-box", "compare-box open"


# ---------------------------------------------------------------- data set B

def other_options(dataset_id: str | None) -> tuple[list[dict], str]:
    """(dropdown options, hint): the stored data sets with as many points as ``dataset_id``, other than it."""
    if not dataset_id or dataset_id not in services.store():
        return [], ""
    a = services.store().get(dataset_id)
    options = [{"label": f"{m['name']} ({m['num_points']:,} × {m['dim']})", "value": m["id"]}
               for m in services.store().list() if m["id"] != dataset_id and m.get("num_points") == a.num_points]
    hint = "" if options else (f"No other stored data set has {a.num_points:,} points. Load another embedding of the "
                               "same rows (another checkpoint or model, rows in the same order) to compare with.")
    return options, hint


@callback(Output(ids.COMPARE_OTHER, "options"), Output(ids.COMPARE_OTHER, "value"),
          Output(ids.COMPARE_OTHER_HINT, "children"),
          Input(ids.SETUP, "data"), Input(ids.DATASET, "options"), State(ids.COMPARE_OTHER, "value"),
          prevent_initial_call=True)
def other_choices(setup, _options, current):
    """B's list for the data set on screen (SETUP names it after every switch), again when data sets are stored
    meanwhile; the choice is kept while it is still listed, else the newest listed one is offered."""
    options, hint = other_options((setup or {}).get("dataset"))
    values = [o["value"] for o in options]
    value = current if current in values else (values[-1] if values else None)
    return options, value, hint


# ---------------------------------------------------------------- the comparison on screen

def belongs(comparison: dict | None, view: dict | None) -> bool:
    """Is ``comparison`` one of the points the view shows (its data set, its subset)?"""
    if not isinstance(comparison, dict) or not view or not view.get("dataset"):
        return False
    subset = (view.get("subset") or {}).get("id")
    return comparison.get("dataset") == view["dataset"] and (comparison.get("subset") or None) == (subset or None)


def comparison_of(result: dict) -> dict:
    """The COMPARISON record of an ended comparison job."""
    s = result.get("summary") or {}
    keep = ("other", "other_name", "k", "metric", "spherize", "agreement", "points", "unchanged", "most_changed",
            "map", "map_note")
    return {"dataset": result["dataset"], "subset": s.get("subset"), "column": result["column"],
            **{k: s.get(k) for k in keep}}


@callback(Output(ids.COMPARISON, "data"), Input(ids.ANALYSIS_RESULT, "data"), State(ids.VIEW, "data"),
          prevent_initial_call=True)
def take_result(result, view):
    """An ended comparison of the points on screen becomes the comparison shown."""
    if not isinstance(result, dict) or result.get("kind") != "compare" or result.get("error") or \
            not isinstance(result.get("summary"), dict):
        return no_update
    comparison = comparison_of(result)
    return comparison if belongs(comparison, view) else no_update


@callback(Output(ids.COMPARISON, "data", allow_duplicate=True), Input(ids.COMPARE_CLOSE, "n_clicks"),
          prevent_initial_call=True)
def close(_):
    return None


@callback(Output(ids.COMPARISON, "data", allow_duplicate=True), Input(ids.VIEW, "data"), State(ids.COMPARISON, "data"),
          prevent_initial_call=True)
def forget(view, comparison):
    """Another data set or other points on screen: the comparison (of the ones before) is closed."""
    if comparison is None or belongs(comparison, view):
        return no_update
    return None


# ---------------------------------------------------------------- the Compare tab: agreement, most changed, detail

def _labels(view: dict):
    ds = services.store().get(view["dataset"])
    column = view.get("label_by") if view.get("label_by") in ds.metadata.columns else ds.default_column()
    return ds, lambda points: hover_texts(ds.metadata, column, np.asarray(points, dtype=np.int64), len(points))


def summary_children(comparison: dict) -> list:
    k, n = int(comparison.get("k") or 0), int(comparison.get("points") or 0)
    return [html.Div([html.Span(f"{float(comparison.get('agreement') or 0):.3f}", className="agreement"),
                      html.Span(f" agreement with {comparison.get('other_name')} at k={k}")]),
            html.Div(f"The mean Jaccard overlap of each point's {k} nearest neighbours in A and in B; "
                     f"{int(comparison.get('unchanged') or 0):,} of {n:,} points keep all of theirs.", className="hint")]


@callback(Output(ids.COMPARE_SUMMARY, "children"), Output(ids.COMPARE_LIST, "children"),
          Input(ids.COMPARISON, "data"), State(ids.VIEW, "data"), prevent_initial_call=True)
def compare_panel(comparison, view):
    """The agreement as one number and the points whose neighbourhoods changed most (click one to select it)."""
    if not belongs(comparison, view):
        return None, html.Div("Pick B and press Run to compare; the points whose neighbourhoods changed most are "
                              "listed here.", className="hint")
    listed = comparison.get("most_changed") or []
    _, label = _labels(view)
    names = label([m["point"] for m in listed]) if listed else []
    k = int(comparison.get("k") or 0)
    rows = [html.Div([html.Span(f"#{m['point']} {name}", className="point-label", title=name),
                      html.Span(f"{_shared(m['a'], m['b'])} of {k} shared", className="agreement-value")],
                     id=ids.compare_row(i), className="compare-row", n_clicks=0)
            for i, (m, name) in enumerate(zip(listed, names))]
    head = html.Div(f"The {len(listed):,} most changed (fewest neighbours in common) — click one to select it",
                    className="hint")
    return summary_children(comparison), [head, *rows]


def _shared(a, b) -> int:
    return len(set(a) & set(b))


def neighbour_lists(comparison: dict, view: dict, point: int) -> tuple[list[int], list[int]]:
    """``point``'s k neighbours in A and in B (data-set numbers, nearest first): from the listed points, else
    from both cached graphs, else found again exactly."""
    for m in comparison.get("most_changed") or []:
        if m["point"] == point:
            return list(m["a"]), list(m["b"])
    store, cache = services.store(), services.cache()
    points = view_points(view) if view.get("subset") else None
    rows = np.arange(int(view["num_points"])) if points is None else points
    at = int(np.searchsorted(rows, point))
    k, metric, spherize = int(comparison["k"]), comparison.get("metric") or "cosine", bool(comparison.get("spherize"))
    out = []
    for dataset_id in (comparison["dataset"], comparison["other"]):
        ds = store.get(dataset_id)
        graph = neighbour_graph(ds, points, spherize, metric, k, cache, only_cached=True)
        if graph is not None and at < len(rows) and rows[at] == point:
            out.append(rows[graph[0][at]].tolist())
        else:   # the graph left the cache: the point's own search (the same rule: exact, ties to the lower index)
            found = projector.nearest_neighbors(ds, point, k=k, metric=metric, subset=points, spherize=spherize)
            out.append([i for i, _ in found])
    return out[0], out[1]


def _side(title: str, neighbours: list[int], other: set, label) -> html.Div:
    names = label(neighbours) if neighbours else []
    return html.Div([html.H4(title, title=title)] + [
        html.Div(f"#{i} {name}", className="shared" if i in other else "only", title=name)
        for i, name in zip(neighbours, names)], className="compare-side")


@callback(Output(ids.COMPARE_DETAIL, "children"), Input(ids.VIEW, "data"), Input(ids.COMPARISON, "data"),
          prevent_initial_call=True)
def compare_detail(view, comparison):
    """The selected point's k neighbours in A and in B side by side; the ones both have are marked."""
    if not belongs(comparison, view):
        return None
    anchor = selection_of(view).get("anchor")
    if anchor is None or not rows_in_view(view_points(view), np.array([int(anchor)]))[1].all():
        return html.Div("Click a listed point, or a point on either map, to see its neighbours in A and in B side by "
                        "side.", className="hint")
    try:
        in_a, in_b = neighbour_lists(comparison, view, int(anchor))
    except projector.DataError as exc:
        return html.Div(say(exc, ERROR)[0], className="message error")
    _, label = _labels(view)
    shared = _shared(in_a, in_b)
    k = len(in_a)
    return [html.H4(f"#{anchor} {label([anchor])[0]}: {shared} of {k} neighbours in common "
                    f"(agreement {shared / max(1, 2 * k - shared):.2f})"),
            html.Div([_side(f"In A: {view.get('name')}", in_a, set(in_b), label),
                      _side(f"In B: {comparison.get('other_name')}", in_b, set(in_a), label)], className="compare-sides")]


# ---------------------------------------------------------------- selecting from B's map and the list

def anchored(view: dict, point: int) -> dict:
    """The selection a click on ``point`` makes: it, and its neighbours as the Inspector finds them (in A)."""
    k, metric = (view.get("neighbours") or {}).get("k"), (view.get("neighbours") or {}).get("metric")
    return {**empty_selection(view["dataset"]), "anchor": int(point), "neighbors": neighbours_of(view, point, k, metric),
            "source": SOURCE}


def selection_for(event: str, value, view: dict, comparison: dict) -> dict | None:
    """The selection an event on B's side makes, or None when it selects nothing: ``event`` "click" or "lasso"
    (``value``: the plot event of B's map), or "row" (``value``: the listed point's position)."""
    if event == "row":
        listed = comparison.get("most_changed") or []
        if type(value) is not int or not 0 <= value < len(listed):
            return None
        return anchored(view, int(listed[value]["point"]))
    points = event_points(value, view)
    if not points:
        return None
    if event == "lasso":
        return keep_points({**empty_selection(view["dataset"]), "source": SOURCE}, sorted(set(points)))
    return anchored(view, points[0])


@callback(Output(ids.SELECTION, "data", allow_duplicate=True),
          Output(ids.ANALYSIS_MESSAGE, "children", allow_duplicate=True),
          Output(ids.ANALYSIS_MESSAGE, "className", allow_duplicate=True),
          Input(ids.COMPARE_GRAPH, "clickData"), Input(ids.COMPARE_GRAPH, "selectedData"),
          Input(ids.compare_row(ALL), "n_clicks"), State(ids.VIEW, "data"), State(ids.COMPARISON, "data"),
          prevent_initial_call=True)
def select_from_b(click, lassoed, _rows, view, comparison):
    """A click on B's map or on a listed point selects that row (with its neighbours in A, as a click on the
    main map does); a box or lasso on B's map selects those rows. The one selection shows on both maps."""
    if not belongs(comparison, view):
        return no_update, no_update, no_update
    trigger = ctx.triggered_id
    if isinstance(trigger, dict):
        if not ctx.triggered[0]["value"]:   # the list was drawn again: no click
            return no_update, no_update, no_update
        event, value = "row", trigger.get("index")
    elif f"{ids.COMPARE_GRAPH}.selectedData" in ctx.triggered_prop_ids:
        event, value = "lasso", lassoed
    else:
        event, value = "click", click
    try:
        selection = selection_for(event, value, view, comparison)
    except (projector.DataError, TypeError, ValueError) as exc:
        return no_update, *say(exc if isinstance(exc, projector.DataError) else "that point does not exist.", ERROR)
    return (no_update, no_update, no_update) if selection is None else (selection, no_update, no_update)


# ---------------------------------------------------------------- B's map

def map_ident(comparison: dict) -> str:
    """What B's drawn coordinates are: it changes exactly when they must be sent again."""
    return json.dumps(["compare", comparison.get("dataset"), comparison.get("subset"), (comparison.get("map") or {}).get("key")])


def caption(comparison: dict, view: dict, shown: dict | None = None) -> str:
    """What B's map is; and when the main map shows another projection now, that B's was aligned onto the one before."""
    m = comparison["map"]
    how = " (started from A's map)" if m.get("method") in ("tsne", "umap") else ""
    text = (f"B: {comparison.get('other_name')} — {method_name(m.get('method', ''))}{how} of the same "
            f"{int(view.get('n') or 0):,} points, aligned onto A's map; median move "
            f"{float(m.get('median_move') or 0):.2f} of its radius")
    now = (shown or {}).get("key"), ((shown or {}).get("params") or {}).get("components")
    if shown and now != (m.get("projection"), m.get("components")):
        text += f". A's map is {method_name(shown.get('method', ''))} now: press Run in the Compare tab to align B's onto it"
    return text


def b_coordinates(comparison: dict, view: dict) -> np.ndarray:
    hit = services.cache().get(comparison["map"]["key"])
    if hit is None:
        raise projector.DataError("B's map is no longer cached on the server; press Run in the Compare tab again.")
    coords = np.ascontiguousarray(hit[0])
    if len(coords) != int(view.get("n") or 0):
        raise projector.DataError("B's map holds other points than the view; press Run in the Compare tab again.")
    return coords


def draw_b(view: dict, comparison: dict) -> tuple[dict, dict]:
    """(figure, drawn) of B's map: every point of the view where B's aligned map puts it, coloured and
    highlighted as the main map is."""
    coords = b_coordinates(comparison, view)
    canvas = Canvas(view, coords)
    dims = coords.shape[1]
    names = [f"B {method_name(comparison['map'].get('method', ''))} {i + 1}" for i in range(dims)]
    ident = map_ident(comparison)
    fig = build_figure(coords, canvas.texts(), canvas.scheme(), names, uirevision=ident)
    fig["data"][0]["marker"]["showscale"] = False   # the main map beside it carries the colour scale
    if dims == 2:
        fig["layout"]["dragmode"] = "lasso"   # B's map is for picking rows; pan is one click away
    trace, selected = canvas.highlight()
    apply(fig["data"][1], trace)
    fig["data"][0]["marker"]["opacity"] = dot_opacity(selected, False)
    return fig, {"ident": ident, "colour": [view.get("colour_by"), view.get("version")], "label": view.get("label_by"),
                 "selection": selection_signature(view)}


def update_b(view: dict, comparison: dict, drawn: dict):
    """(Patch or no_update, drawn) for the same coordinates: colour, labels and the selection, each only when changed."""
    colour = [view.get("colour_by"), view.get("version")] != drawn.get("colour")
    label = view.get("label_by") != drawn.get("label")
    selection = selection_signature(view) != drawn.get("selection")
    if not (colour or label or selection):
        return no_update, no_update
    canvas = Canvas(view, b_coordinates(comparison, view))
    patch = Patch()
    if colour:
        scheme = canvas.scheme()
        for k, v in scheme["marker"].items():
            patch["data"][0]["marker"][k] = v
        patch["data"][0]["marker"]["showscale"] = False   # as drawn: the main map carries the scale
        if scheme["kind"] != "numeric":
            patch["data"][0]["marker"]["colorbar"] = None
    if label and len(canvas.points) <= HOVER_TEXT_MAX:
        patch["data"][0]["hovertext"] = canvas.texts()
        if len(canvas.points) <= TEXT_LABELS_MAX:
            patch["data"][0]["text"] = canvas.texts()
    if selection or label:
        trace, selected = canvas.highlight()
        apply(patch["data"][1], trace)
        patch["data"][0]["marker"]["opacity"] = dot_opacity(selected, False)
    return patch, {**drawn, "colour": [view.get("colour_by"), view.get("version")], "label": view.get("label_by"),
                   "selection": selection_signature(view)}


@callback(output=dict(figure=Output(ids.COMPARE_GRAPH, "figure"), box=Output(ids.COMPARE_BOX, "className"),
                      caption=Output(ids.COMPARE_CAPTION, "children"), drawn=Output(ids.COMPARE_DRAWN, "data")),
          inputs=dict(view=Input(ids.VIEW, "data"), comparison=Input(ids.COMPARISON, "data"),
                      shown=Input(ids.SHOWN, "data")),
          state=dict(drawn=State(ids.COMPARE_DRAWN, "data")), prevent_initial_call=True)
def render_b(view, comparison, shown, drawn):
    """B's map for the comparison of the points on screen, or hidden and emptied: never B of other points."""
    drawn = drawn if isinstance(drawn, dict) else {}
    if not belongs(comparison, view) or not (comparison or {}).get("map"):
        if drawn.get("ident") is None and drawn:
            return dict(figure=no_update, box=HIDDEN, caption="", drawn=no_update)
        return dict(figure=empty_figure(""), box=HIDDEN, caption="", drawn={"ident": None})
    try:
        said = caption(comparison, view, shown if same_points(shown, view) else None)
        if drawn.get("ident") != map_ident(comparison):
            fig, new = draw_b(view, comparison)
            return dict(figure=fig, box=SHOWN_BOX, caption=said, drawn=new)
        patch, new = update_b(view, comparison, drawn)
        return dict(figure=patch, box=SHOWN_BOX, caption=said, drawn=new)
    except projector.DataError as exc:
        return dict(figure=empty_figure(str(exc)), box=SHOWN_BOX, caption="", drawn={"ident": None})

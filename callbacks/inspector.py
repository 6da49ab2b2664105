"""Inspector: click → exact neighbours, search (scoped to neighbours or selection), lasso, isolate, clear."""
from __future__ import annotations

import numpy as np
from dash import ALL, Input, Output, Patch, State, callback, ctx, html, no_update

import projector
from components import ids

from . import services
from .sprites import thumbnail_url
from .figures import HOVER_TEXT_MAX, dot_opacity, highlight_trace, hover_texts
from .views import (draw_notice, empty_selection, event_points, highlighted, rows_in_view, selected_points, view_points,
                    visible_neighbors)

LIST_LIMIT = 100  # rows listed for a search; every match is still selected and highlighted


def neighbours_of(dataset_id, subset_id, spherize, anchor, k, metric) -> list:
    ds = services.store().get(dataset_id)
    subset = services.get_subset(subset_id)
    found = projector.nearest_neighbors(ds, anchor, k=int(k or 100), metric=metric or "cosine",
                                        subset=subset, spherize=bool(spherize))
    return [[i, round(d, 6)] for i, d in found]


@callback(Output(ids.SELECTION, "data", allow_duplicate=True), Output(ids.INSPECTOR_MESSAGE, "children"),
          Input(ids.GRAPH, "clickData"), Input(ids.list_row(ALL), "n_clicks"),
          Input(ids.NEIGHBOR_COUNT, "value"), Input(ids.METRIC, "value"),
          State(ids.SELECTION, "data"), State(ids.DATASET, "value"), State(ids.SUBSET, "data"),
          State(ids.SPHERIZE, "value"), State(ids.CURRENT_VIEW, "data"), prevent_initial_call=True)
def select_point(click, row_clicks, k, metric, selection, dataset_id, subset_id, spherize, view):
    """A click on a point or a listed row makes it the anchor; its neighbours are found exactly."""
    selection = selection or empty_selection()
    trigger = ctx.triggered_id
    if isinstance(trigger, dict):
        if not ctx.triggered[0]["value"]:
            return no_update, no_update
        anchor = int(trigger["index"])
    elif trigger == ids.GRAPH:
        clicked = event_points(click, view)
        if not clicked:
            return no_update, no_update
        anchor = clicked[0]
    else:
        anchor = selection.get("anchor")
        if anchor is None:
            return no_update, no_update
    if not dataset_id:
        return no_update, no_update
    try:
        neighbors = neighbours_of(dataset_id, subset_id, spherize, anchor, k, metric)
    except projector.DataError as exc:
        return no_update, str(exc)
    keep = {"points": [], "filter": False} if trigger != ids.NEIGHBOR_COUNT and trigger != ids.METRIC else \
        {"points": selection.get("points", []), "filter": selection.get("filter", False)}
    return {"anchor": anchor, "neighbors": neighbors, **keep}, ""


def search_selection(dataset_id, subset_id, selection, query, regex, column, scope) -> dict:
    """The selection after a search: matches among all points, the neighbours shown, or the selection."""
    ds = services.store().get(dataset_id)
    selection = selection or empty_selection()
    if scope == "neighbors":
        among = [i for i, _ in selection.get("neighbors") or []]
    elif scope == "selection":
        among = selected_points(selection).tolist()
    else:
        among = services.get_subset(subset_id)
    if not query:
        return {**selection, "points": [], "filter": False} if scope == "neighbors" else \
            {**empty_selection(), **({} if scope == "all" else {"anchor": selection.get("anchor"),
                                                                  "neighbors": selection.get("neighbors", [])})}
    hits = projector.search(ds, query, column=column, regex=bool(regex), subset=among)
    if scope == "neighbors":
        return {**selection, "points": hits.tolist(), "filter": True}
    return {"anchor": None, "neighbors": [], "points": hits.tolist(), "filter": False}


@callback(Output(ids.SELECTION, "data", allow_duplicate=True), Output(ids.SEARCH_MESSAGE, "children"),
          Output(ids.SEARCH_MESSAGE, "className"),
          Input(ids.SEARCH, "value"), Input(ids.SEARCH_REGEX, "value"), Input(ids.SEARCH_COLUMN, "value"),
          Input(ids.SEARCH_SCOPE, "value"), State(ids.SELECTION, "data"), State(ids.DATASET, "value"),
          State(ids.SUBSET, "data"), prevent_initial_call=True)
def search(query, regex, column, scope, selection, dataset_id, subset_id):
    if not dataset_id or (ctx.triggered_id != ids.SEARCH and not query):
        return no_update, no_update, no_update
    asked = {"query": query or "", "regex": bool(regex), "column": column, "scope": scope}
    if query and (selection or {}).get("search") == asked:
        return no_update, no_update, no_update  # a restored view: its selection is this search's result
    try:
        new = search_selection(dataset_id, subset_id, selection, query or "", regex, column, scope)
    except projector.DataError as exc:
        return no_update, str(exc), "message"
    if not query:
        return new, "", "message"
    new["search"] = asked
    n = len(new["points"])
    where = {"neighbors": " among the neighbours shown", "selection": " in the selection"}.get(scope, "")
    return new, f"{n:,} match{'es' if n != 1 else ''}{where}.", "message ok"


@callback(Output(ids.SELECTION, "data", allow_duplicate=True), Input(ids.GRAPH, "selectedData"),
          State(ids.CURRENT_VIEW, "data"), prevent_initial_call=True)
def lasso(selected, view):
    """Box or lasso selection on a 2D plot selects those points."""
    pts = sorted(set(event_points(selected, view)))
    if not pts:
        return no_update
    return {**empty_selection(), "points": pts}


@callback(Output(ids.SUBSET, "data", allow_duplicate=True), Output(ids.SELECTION, "data", allow_duplicate=True),
          Output(ids.INSPECTOR_MESSAGE, "children", allow_duplicate=True),
          Input(ids.ISOLATE, "n_clicks"), State(ids.SELECTION, "data"), prevent_initial_call=True)
def isolate(_, selection):
    """Work on the selected points only: every projection is recomputed on the subset."""
    pts = selected_points(selection or {})
    if len(pts) < 2:
        return no_update, no_update, "Select at least 2 points (click a point, search or lasso) before isolating."
    return services.cache().put_subset(pts), empty_selection(), ""


@callback(Output(ids.SUBSET, "data", allow_duplicate=True), Input(ids.SHOW_ALL, "n_clicks"),
          prevent_initial_call=True)
def show_all(_):
    return None


@callback(Output(ids.SELECTION, "data", allow_duplicate=True), Output(ids.SEARCH, "value", allow_duplicate=True),
          Input(ids.CLEAR, "n_clicks"), prevent_initial_call=True)
def clear(_):
    return empty_selection(), ""


@callback(Output(ids.GRAPH, "figure", allow_duplicate=True), Input(ids.SELECTION, "data"),
          State(ids.CURRENT_VIEW, "data"), State(ids.LABEL_BY, "value"), State(ids.IMAGES_SHOWN, "data"),
          prevent_initial_call=True)
def highlight(selection, view, label_by, images_shown):
    """Highlight the selection: only the highlighted points' coordinates travel."""
    if not view:
        return no_update
    pts, roles = highlighted(selection or {})
    patch = Patch()
    if not len(pts):
        for a in ("x", "y", "z")[: view["dims"]]:
            patch["data"][1][a] = []
        patch["data"][1]["customdata"] = []
        patch["data"][1]["text"] = []
        patch["data"][0]["marker"]["opacity"] = dot_opacity(False, bool(images_shown))
        return patch
    coords, points = view_points(view)
    pos, found = rows_in_view(points, pts)
    ds = services.store().get(view["dataset"])
    texts = hover_texts(ds.metadata, label_by_or_default(ds, label_by), pts[found], int(found.sum()))
    for k, v in highlight_trace(coords, pos, pts[found], roles[found], texts).items():
        if k.startswith("marker."):
            patch["data"][1]["marker"][k.split(".", 1)[1]] = v
        else:
            patch["data"][1][k] = v
    patch["data"][0]["marker"]["opacity"] = dot_opacity(True, bool(images_shown))
    return patch


def label_by_or_default(ds, column):
    return column if column in ds.metadata.columns else ds.default_column()


def _row(index: int, label: str, distance: float | None, scale: float, thumb: str | None = None):
    bar = html.Div(html.Div(style={"width": f"{max(4, 100 * (1 - distance / scale)):.0f}%"}), className="bar") \
        if distance is not None else html.Span()
    image = [html.Img(src=thumb, className="thumb", alt="")] if thumb else []
    return html.Div([*image, html.Span(label, className="point-label", title=label), bar,
                     html.Span(f"{distance:.3f}" if distance is not None else f"#{index}", className="distance")],
                    id=ids.list_row(int(index)), className="point-row with-thumb" if thumb else "point-row",
                    n_clicks=0)


@callback(Output(ids.POINT_CARD, "children"), Output(ids.NEIGHBOR_LIST, "children"),
          Output(ids.RESULT_LIST, "children"),
          Input(ids.SELECTION, "data"), Input(ids.LABEL_BY, "value"), Input(ids.METADATA_VERSION, "data"),
          State(ids.DATASET, "value"), State(ids.METRIC, "value"))
def render_inspector(selection, label_by, _version, dataset_id, metric):
    if not dataset_id or not selection:
        return None, None, None
    ds = services.store().get(dataset_id)
    column = label_by_or_default(ds, label_by)
    label = lambda i: (hover_texts(ds.metadata, column, np.array([i]), 1)[0])  # noqa: E731
    thumb = (lambda i: thumbnail_url(dataset_id, i)) if ds.sprite is not None else (lambda i: None)  # noqa: E731
    card = None
    if selection.get("anchor") is not None:
        a = int(selection["anchor"])
        rows = [html.Tr([html.Td("point"), html.Td(f"#{a}")])] + [
            html.Tr([html.Td(str(c)), html.Td(hover_texts(ds.metadata, c, np.array([a]), 1)[0]
                                              if c in ds.metadata.columns else "")])
            for c in ds.metadata.columns]
        image = [html.Img(src=thumb(a), className="card-thumb", alt=f"image of point {a}")] if thumb(a) else []
        card = [*image, html.H3(label(a)), html.Table(html.Tbody(rows))]
    neighbors = visible_neighbors(selection)
    nlist = None
    if selection.get("anchor") is not None:
        scale = max([d for _, d in neighbors] + [1e-9])
        head = f"{len(neighbors):,} nearest neighbours ({metric or 'cosine'})"
        if selection.get("filter"):
            head += f", {len(neighbors):,} of {len(selection.get('neighbors', [])):,} kept by the search"
        nlist = [html.H3(head)] + [_row(i, label(i), d, scale, thumb(i)) for i, d in neighbors]
    results = None
    pts = selection.get("points") or []
    if pts and not selection.get("filter"):
        shown = pts[:LIST_LIMIT]
        head = f"{len(pts):,} selected" + (f" (first {LIST_LIMIT} listed)" if len(pts) > LIST_LIMIT else "")
        results = [html.H3(head)] + [_row(i, label(i), None, 1, thumb(i)) for i in shown]
    return card, nlist, results


@callback(Output(ids.STATUS, "children"), Input(ids.CURRENT_VIEW, "data"), Input(ids.SELECTION, "data"),
          State(ids.DATASET, "value"))
def status(view, selection, dataset_id):
    if not dataset_id:
        return "No data set loaded."
    ds = services.store().get(dataset_id)
    parts = [f"{ds.name}: {ds.num_points:,} points", f"{ds.dim} dimensions"]
    if view and view.get("subset"):
        parts.append(f"isolated {view['n']:,} of {ds.num_points:,}")
    n_sel = len(selected_points(selection or {}))
    parts.append(f"{n_sel:,} selected")
    if view and draw_notice(view):  # said where the eye is, not only in the panel below the fold
        parts.append(f"all {view['n']:,} points drawn in 3D (2D is faster)")
    return " · ".join(parts)


@callback(Output(ids.HOVER_LABEL, "children"), Input(ids.GRAPH, "hoverData"), State(ids.CURRENT_VIEW, "data"),
          State(ids.LABEL_BY, "value"), prevent_initial_call=True)
def hover_label(hover, view, label_by):
    """The hovered point's thumbnail when the data set has a sprite, and its label on large data
    (where the figure carries no labels)."""
    if not view:
        return no_update
    ds = services.store().get(view["dataset"])
    large = view["n"] > HOVER_TEXT_MAX
    if not large and ds.sprite is None:
        return no_update
    pts = event_points(hover, view)
    if not pts:
        return ""
    text = hover_texts(ds.metadata, label_by_or_default(ds, label_by), np.array(pts[:1]), 1)[0] if large else ""
    if ds.sprite is None:
        return text
    return [html.Img(src=thumbnail_url(ds.id, pts[0]), className="hover-thumb", alt=""), html.Span(text)]

"""Inspector: click → exact neighbours, search (scoped to the neighbours or the selection), lasso, isolate,
show all, clear; the clicked point's card and the lists. It owns the isolated subset and the selection."""
from __future__ import annotations

import numpy as np
from dash import ALL, Input, Output, State, callback, ctx, html, no_update

import projector
from components import ids
from components.inspector import NEIGHBOR_DEFAULT

from . import services
from .data import column_options, kept_state, panel_message
from .figures import hover_texts
from .sprites import thumbnail_url
from .views import (ERROR, OK, SILENT, empty_selection, event_points, keep_points, rows_in_view, same_points, say,
                    selected_points, selection_of, selection_points, view_points, visible_neighbors)

LIST_LIMIT = 100  # rows listed for a search; every match is still selected and highlighted


# ---------------------------------------------------------------- the panel's own controls

SET_UP = dict(
    subset=Output(ids.SUBSET, "data"), selection=Output(ids.SELECTION, "data"),
    search=Output(ids.SEARCH, "value"), regex=Output(ids.SEARCH_REGEX, "value"),
    column=Output(ids.SEARCH_COLUMN, "value"), column_options=Output(ids.SEARCH_COLUMN, "options"),
    scope=Output(ids.SEARCH_SCOPE, "value"), k=Output(ids.NEIGHBOR_COUNT, "value"), metric=Output(ids.METRIC, "value"),
    tag_columns=Output(ids.TAG_COLUMNS, "children"),
    message=Output(ids.INSPECTOR_MESSAGE, "children"), message_kind=Output(ids.INSPECTOR_MESSAGE, "className"),
    search_message=Output(ids.SEARCH_MESSAGE, "children"), search_kind=Output(ids.SEARCH_MESSAGE, "className"),
    tag_message=Output(ids.TAG_MESSAGE, "children"), tag_kind=Output(ids.TAG_MESSAGE, "className"),
    export_message=Output(ids.EXPORT_MESSAGE, "children"), export_kind=Output(ids.EXPORT_MESSAGE, "className"),
)


def restored_selection(state: dict, dataset_id: str) -> dict:
    sel = state.get("selection") or {}
    out = {"dataset": dataset_id, "anchor": sel.get("anchor"), "neighbors": sel.get("neighbors") or [],
           "points": None, "filter": bool(sel.get("filter")), "search": None}
    search = state.get("search") or {}
    if search.get("query"):  # the selection already holds this search's result: it is not run again
        out["search"] = search
    return keep_points(out, sel.get("points") or [])


@callback(output=SET_UP, inputs=dict(setup=Input(ids.SETUP, "data")), prevent_initial_call=True)
def set_up(setup):
    """The Inspector for a data set: nothing selected or isolated, or what a restored state holds."""
    out = {k: no_update for k in SET_UP}
    out["message"], out["message_kind"] = panel_message(setup, "inspector")
    out["tag_message"], out["tag_kind"] = panel_message(setup, "tags")
    out["search_message"], out["search_kind"] = SILENT
    out["export_message"], out["export_kind"] = SILENT
    dataset_id = (setup or {}).get("dataset")
    if not dataset_id:
        return {**out, "subset": None, "selection": empty_selection(), "column_options": [], "column": None,
                "tag_columns": []}
    ds = services.store().get(dataset_id)
    names = [str(c) for c in ds.metadata.columns]
    out.update(column_options=column_options(ds), tag_columns=[html.Option(value=c) for c in names])
    state = kept_state(setup.get("state"))
    if not state:
        return {**out, "subset": None, "selection": empty_selection(dataset_id), "search": "",
                "column": ds.default_column()}
    subset = state.get("subset")
    search = state.get("search") or {}
    return {**out,
            "subset": {"dataset": dataset_id, "id": services.put_points(subset), "n": len(subset)} if subset else None,
            "selection": restored_selection(state, dataset_id), "search": search.get("query") or "",
            "regex": ["on"] if search.get("regex") else [],
            "column": search.get("column") if search.get("column") in names else ds.default_column(),
            "scope": search.get("scope") or "all", "k": state["neighbours"]["k"],
            "metric": state["neighbours"]["metric"]}


# The panel's part of the view record.
PART = dict(subset=Input(ids.SUBSET, "data"), selection=Input(ids.SELECTION, "data"),
            query=Input(ids.SEARCH, "value"), regex=Input(ids.SEARCH_REGEX, "value"),
            column=Input(ids.SEARCH_COLUMN, "value"), scope=Input(ids.SEARCH_SCOPE, "value"),
            k=Input(ids.NEIGHBOR_COUNT, "value"), metric=Input(ids.METRIC, "value"))


def part(subset, selection, query, regex, column, scope, k, metric) -> dict:
    return {"subset": subset if isinstance(subset, dict) else None,
            "selection": selection if isinstance(selection, dict) else None,
            "search": {"query": query or "", "regex": bool(regex), "column": column, "scope": scope or "all"},
            "neighbours": {"k": k or NEIGHBOR_DEFAULT, "metric": metric or "cosine"}}


# ---------------------------------------------------------------- selecting

def neighbours_of(view: dict, anchor: int, k, metric) -> list:
    ds = services.store().get(view["dataset"])
    subset = view_points(view) if view.get("subset") else None
    found = projector.nearest_neighbors(ds, anchor, k=int(k or NEIGHBOR_DEFAULT), metric=metric or "cosine",
                                        subset=subset, spherize=bool(view.get("spherize")))
    return [[i, round(d, 6)] for i, d in found]


@callback(Output(ids.SELECTION, "data", allow_duplicate=True),
          Output(ids.INSPECTOR_MESSAGE, "children", allow_duplicate=True),
          Output(ids.INSPECTOR_MESSAGE, "className", allow_duplicate=True),
          Input(ids.GRAPH, "clickData"), Input(ids.list_row(ALL), "n_clicks"),
          Input(ids.NEIGHBOR_COUNT, "value"), Input(ids.METRIC, "value"), State(ids.VIEW, "data"),
          prevent_initial_call=True)
def select_point(click, row_clicks, k, metric, view):
    """A click on a point or a listed row makes it the anchor; its neighbours are found exactly."""
    if not view or not view.get("dataset"):
        return no_update, no_update, no_update
    selection = selection_of(view)
    trigger = ctx.triggered_id
    if isinstance(trigger, dict):
        if not ctx.triggered[0]["value"]:
            return no_update, no_update, no_update
        anchor = trigger.get("index")
    elif trigger == ids.GRAPH:
        clicked = event_points(click, view)
        if not clicked:
            return no_update, no_update, no_update
        anchor = clicked[0]
    else:
        anchor = selection.get("anchor")
        if anchor is None:
            return no_update, no_update, no_update
    try:
        neighbors = neighbours_of(view, int(anchor), k, metric)
    except (projector.DataError, TypeError, ValueError) as exc:
        return no_update, *say(exc if isinstance(exc, projector.DataError) else "that point does not exist.", ERROR)
    if trigger in (ids.NEIGHBOR_COUNT, ids.METRIC):   # the same point: keep what a search kept
        return {**selection, "neighbors": neighbors}, *SILENT
    return {**empty_selection(view["dataset"]), "anchor": int(anchor), "neighbors": neighbors}, *SILENT


def search_selection(view: dict, query: str, regex, column, scope) -> dict:
    """The selection after a search: matches among all points, the neighbours shown, or the selection."""
    ds = services.store().get(view["dataset"])
    selection = selection_of(view)
    if scope == "neighbors":
        among = [i for i, _ in selection.get("neighbors") or []]
    elif scope == "selection":
        among = selected_points(selection).tolist()
    else:
        among = view_points(view) if view.get("subset") else None
    if not query:
        if scope == "neighbors":
            return {**selection, "points": None, "filter": False, "search": None}
        keep = {} if scope == "all" else {"anchor": selection.get("anchor"), "neighbors": selection.get("neighbors", [])}
        return {**empty_selection(view["dataset"]), **keep}
    hits = projector.search(ds, query, column=column, regex=bool(regex), subset=among)
    if scope == "neighbors":
        return keep_points({**selection, "filter": True}, hits)
    return keep_points({**empty_selection(view["dataset"])}, hits)


@callback(Output(ids.SELECTION, "data", allow_duplicate=True), Output(ids.SEARCH_MESSAGE, "children", allow_duplicate=True),
          Output(ids.SEARCH_MESSAGE, "className", allow_duplicate=True),
          Input(ids.SEARCH, "value"), Input(ids.SEARCH_REGEX, "value"), Input(ids.SEARCH_COLUMN, "value"),
          Input(ids.SEARCH_SCOPE, "value"), State(ids.VIEW, "data"), prevent_initial_call=True)
def search(query, regex, column, scope, view):
    if not view or not view.get("dataset") or (ctx.triggered_id != ids.SEARCH and not query):
        return no_update, no_update, no_update
    query = query if isinstance(query, str) else ""
    asked = {"query": query, "regex": bool(regex), "column": column, "scope": scope}
    searched = selection_of(view).get("search")
    if (query and searched == asked) or (not query and not searched):
        # a restored view (its selection is this search's result), or an empty box with no search to clear
        return no_update, no_update, no_update
    try:
        new = search_selection(view, query, regex, column, scope)
    except projector.DataError as exc:
        return no_update, *say(exc, ERROR)
    if not query:
        return new, *SILENT
    new["search"] = asked
    n = (new.get("points") or {}).get("n", 0)
    where = {"neighbors": " among the neighbours shown", "selection": " in the selection"}.get(scope, "")
    return new, *say(f"{n:,} match{'es' if n != 1 else ''}{where}.", OK)


@callback(Output(ids.SELECTION, "data", allow_duplicate=True),
          Output(ids.INSPECTOR_MESSAGE, "children", allow_duplicate=True),
          Output(ids.INSPECTOR_MESSAGE, "className", allow_duplicate=True), Input(ids.GRAPH, "selectedData"),
          State(ids.VIEW, "data"), prevent_initial_call=True)
def lasso(selected, view):
    """Box or lasso selection on a 2D plot selects those points."""
    pts = sorted(set(event_points(selected, view)))
    if not pts:
        return no_update, no_update, no_update
    try:
        return keep_points(empty_selection(view["dataset"]), pts), no_update, no_update
    except projector.DataError as exc:   # a full disk
        return no_update, *say(exc, ERROR)


@callback(Output(ids.SUBSET, "data", allow_duplicate=True), Output(ids.SELECTION, "data", allow_duplicate=True),
          Output(ids.INSPECTOR_MESSAGE, "children", allow_duplicate=True),
          Output(ids.INSPECTOR_MESSAGE, "className", allow_duplicate=True),
          Input(ids.ISOLATE, "n_clicks"), State(ids.VIEW, "data"), prevent_initial_call=True)
def isolate(_, view):
    """Work on the selected points only: the open tab projects the subset again (not a crop of the plot)."""
    if not view or not view.get("dataset"):
        return no_update, no_update, no_update, no_update
    pts = selected_points(selection_of(view))
    if len(pts) < 2:
        return no_update, no_update, *say("Select at least 2 points (click a point, search or lasso) before "
                                          "isolating.", ERROR)
    try:
        subset = {"dataset": view["dataset"], "id": services.put_points(pts), "n": int(len(pts))}
    except projector.DataError as exc:   # a full disk
        return no_update, no_update, *say(exc, ERROR)
    return subset, empty_selection(view["dataset"]), *SILENT


@callback(Output(ids.SUBSET, "data", allow_duplicate=True), Input(ids.SHOW_ALL, "n_clicks"), prevent_initial_call=True)
def show_all(_):
    return None


@callback(Output(ids.SELECTION, "data", allow_duplicate=True), Output(ids.SEARCH, "value", allow_duplicate=True),
          Input(ids.CLEAR, "n_clicks"), State(ids.VIEW, "data"), prevent_initial_call=True)
def clear(_, view):
    return empty_selection((view or {}).get("dataset")), ""


# ---------------------------------------------------------------- the card and the lists

def _row(index: int, label: str, distance: float | None, scale: float, thumb: str | None = None, far: bool = False):
    bar = html.Div(html.Div(style={"width": f"{max(4, 100 * (1 - distance / scale)):.0f}%"}), className="bar") \
        if distance is not None else html.Span()
    image = [html.Img(src=thumb, className="thumb", alt="")] if thumb else []
    return html.Div([*image, html.Span(label, className="point-label", title=label), bar,
                     html.Span(f"{distance:.3f}" if distance is not None else f"#{index}", className="distance")],
                    id=ids.list_row(int(index)), n_clicks=0,
                    className=("point-row with-thumb" if thumb else "point-row") + (" far" if far else ""),
                    title="near in the original space, far from it on this map" if far else None)


def listed(view: dict | None, shown: dict | None = None) -> str:
    """What the card and the lists show: they are drawn again only when it changes."""
    import json

    view = view or {}
    sel = selection_of(view)
    return json.dumps([view.get("dataset"), view.get("version"), view.get("label_by"),
                       (view.get("neighbours") or {}).get("metric"), sel.get("anchor"), sel.get("neighbors"),
                       (sel.get("points") or {}).get("id"), sel.get("filter"),
                       (shown or {}).get("key") if same_points(shown, view) else None,
                       ((shown or {}).get("params") or {}).get("components")])


@callback(Output(ids.POINT_CARD, "children"), Output(ids.NEIGHBOR_LIST, "children"),
          Output(ids.RESULT_LIST, "children"), Output(ids.INSPECTOR_LISTED, "data"), Input(ids.VIEW, "data"),
          Input(ids.SHOWN, "data"), State(ids.INSPECTOR_LISTED, "data"), prevent_initial_call=True)
def render_inspector(view, shown, before):
    """The clicked point's card (every metadata column), its neighbours — marked where the map on screen puts
    them far from it — and the selected points."""
    now = listed(view, shown)
    if now == before:
        return no_update, no_update, no_update, no_update
    return (*inspector_lists(view, shown), now)


def far_on_this_map(view: dict, shown: dict | None, anchor: int, neighbors: list) -> set[int]:
    """The anchor's neighbours that the projection on screen does not put among its k nearest (k = how many
    neighbours are found); nothing when no projection of these points is drawn."""
    from projector.faithfulness import far_on_map

    from .plot import coordinates

    if not neighbors or not same_points(shown, view) or shown.get("method") == "given":
        return set()
    try:
        coords = coordinates("shown", shown)
    except projector.DataError:
        return set()
    points = view_points(view)
    wanted = np.asarray([anchor] + [int(i) for i, _ in neighbors], dtype=np.int64)
    pos, found = rows_in_view(points, wanted)
    if not found[0] or len(coords) != len(points):
        return set()
    far = far_on_map(np.asarray(coords, dtype=np.float64), int(pos[0]), pos[1:].tolist(), len(neighbors))
    return {int(points[p]) for p in far}


def inspector_lists(view: dict | None, shown: dict | None = None):
    if not view or not view.get("dataset"):
        return None, None, None
    selection = selection_of(view)
    ds = services.store().get(view["dataset"])
    column = view.get("label_by") if view.get("label_by") in ds.metadata.columns else ds.default_column()
    label = lambda i: hover_texts(ds.metadata, column, np.array([i]), 1)[0]  # noqa: E731
    thumb = (lambda i: thumbnail_url(ds.id, i)) if ds.sprite is not None else (lambda i: None)  # noqa: E731
    card, nlist, results = None, None, None
    if selection.get("anchor") is not None:
        a = int(selection["anchor"])
        rows = [html.Tr([html.Td("point"), html.Td(f"#{a}")])] + [
            html.Tr([html.Td(str(c)), html.Td(hover_texts(ds.metadata, c, np.array([a]), 1)[0])])
            for c in ds.metadata.columns]
        image = [html.Img(src=thumb(a), className="card-thumb", alt=f"image of point {a}")] if thumb(a) else []
        card = [*image, html.H3(label(a)), html.Table(html.Tbody(rows))]
        neighbors = visible_neighbors(selection)
        scale = max([d for _, d in neighbors] + [1e-9])
        far = far_on_this_map(view, shown, a, selection.get("neighbors") or [])
        head = f"{len(neighbors):,} nearest neighbours ({(view.get('neighbours') or {}).get('metric', 'cosine')})"
        if selection.get("filter"):
            head += f", {len(neighbors):,} of {len(selection.get('neighbors', [])):,} kept by the search"
        if far:
            shown_far = sum(1 for i, _ in neighbors if i in far)
            head += f"; {shown_far:,} of them far from it on this map"
        nlist = [html.H3(head)] + [_row(i, label(i), d, scale, thumb(i), i in far) for i, d in neighbors]
    if selection.get("points") and not selection.get("filter"):
        pts = selection_points(selection)
        shown = pts[:LIST_LIMIT].tolist()
        head = f"{len(pts):,} selected" + (f" (first {LIST_LIMIT} listed)" if len(pts) > LIST_LIMIT else "")
        results = [html.H3(head)] + [_row(i, label(i), None, 1, thumb(i)) for i in shown]
    return card, nlist, results

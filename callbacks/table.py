"""Table & charts: the points table and a chart of one column, cross-filtered with the map through the one
selection (SELECTION), so the header ("N selected"), the map's highlight, Isolate, tags and exports follow.

- The table lists the view's points (the isolated ones when there are), narrowed by the grid's filters and,
  when something was selected elsewhere (a lasso on the map, a click, a search, the chart), by that
  selection; sorted as the grid says. The ordered rows are kept in the result cache under what made them
  (data set, metadata version, subset, selection, filters, sort), so scrolling only slices them: the
  browser gets one block of rows at a time.
- A filter in the table selects its rows on the map; selecting rows in the table selects those points;
  a click on a bar or a box across the chart selects those points.

A selection the table makes says so: ``"source": "table"``, and ``"within"`` holds the selection it
narrowed (a selection record, or None). The table is narrowed by ``within``, never by its own
selection, and clearing its filter gives ``within`` back. The chart's selections say ``"source": "chart"``
and narrow the table like any selection made outside it.
"""
from __future__ import annotations

import hashlib
import json
import math
import time
from functools import lru_cache

import numpy as np
import pandas as pd
from dash import Input, Output, State, callback, clientside_callback, ctx, no_update

import projector
from components import ids
from projector.cache import subset_digest
from projector.formats import column_as_text
from projector.table import bar_counts, bin_of, filter_rows, histogram, in_range, is_numeric, sort_rows

from . import services
from .figures import PLAIN_COLOUR, ROLE_COLOURS
from .plot import selection_signature
from .views import (ERROR, INFO, SILENT, empty_selection, keep_points, rows_in_view, say, selected_points,
                    selection_of, view_points)

TABLE, CHART = "table", "chart"     # a selection's "source"
POINT_FIELD = "i"                   # the grid's field of the point index; metadata column j is field "c<j>"
ORDER_TTL = 6 * 3600                # seconds an ordered result stays in the cache unless asked for again
BINS, TOP = 30, 30                  # histogram bins; most frequent values drawn for a text column
GREY, SELECTED = "#c8c8c8", ROLE_COLOURS[2]
NO_ROWS = {POINT_FIELD: "none"}     # the one row of a table without rows


def is_open(clicks) -> bool:
    return bool((clicks or 0) % 2)


# ---------------------------------------------------------------- columns

def field_of(j: int) -> str:
    return f"c{j}"


def names_of(ds) -> dict[str, str]:
    """The grid's fields and the column names people read: "#" is the point, then every metadata column."""
    columns = [str(c) for c in ds.metadata.columns]
    point = "#" if "#" not in columns else "point #"
    return {POINT_FIELD: point, **{field_of(j): c for j, c in enumerate(columns)}}


def column_defs(ds) -> list[dict]:
    """The grid's columns for ``ds``: a number filter on numbers (and "#"), a text filter on the rest."""
    names = names_of(ds)
    defs = [{"field": POINT_FIELD, "headerName": names[POINT_FIELD], "filter": "agNumberColumnFilter",
             "flex": 0, "width": 100, "minWidth": 80, "headerTooltip": "the point's index"}]
    for j, c in enumerate(ds.metadata.columns):
        numeric = is_numeric(ds.metadata[c])
        defs.append({"field": field_of(j), "headerName": str(c), "headerTooltip": str(c),
                     "filter": "agNumberColumnFilter" if numeric else "agTextColumnFilter",
                     "type": "numericColumn" if numeric else None})
    return [{k: v for k, v in d.items() if v is not None} for d in defs]


def by_name(ds, filter_model, sort_model) -> tuple[pd.DataFrame, dict, list]:
    """The columns the models use, as a frame named for people, and the models keyed by those names."""
    names = names_of(ds)

    def name(field) -> str:
        if not isinstance(field, str) or field not in names:
            raise projector.DataError("the table filters or sorts a column this data set does not have (it changed "
                                      "since); clear the table's filters and sorting.")
        return names[field]

    if filter_model is not None and not isinstance(filter_model, dict):
        raise projector.DataError("the table's filter is not a set of column filters; clear the filters.")
    if sort_model is not None and not isinstance(sort_model, list):
        raise projector.DataError("the table's sort is not a list of columns; click a column header again.")
    filters = {name(f): m for f, m in (filter_model or {}).items()}
    sorts = [{**s, "colId": name(s.get("colId"))} if isinstance(s, dict) else s for s in sort_model or []]
    used = set(filter_model or {}) | {s["colId"] for s in sort_model or [] if isinstance(s, dict)}   # checked above
    columns = {}
    for f in sorted(used):
        if f == POINT_FIELD:
            columns[names[f]] = np.arange(ds.num_points, dtype=np.int64)
        else:
            columns[names[f]] = ds.metadata.iloc[:, int(f[1:])].reset_index(drop=True)
    return pd.DataFrame(columns, index=pd.RangeIndex(ds.num_points)), filters, sorts


# ---------------------------------------------------------------- which rows

def narrowing(view: dict) -> np.ndarray | None:
    """The points a selection made outside the table narrows it to (None: not narrowed)."""
    selection = selection_of(view)
    if selection.get("source") == TABLE:
        selection = selection.get("within")
    pts = selected_points(selection)
    return pts if len(pts) else None


def table_key(view: dict | None) -> dict:
    """What the table's rows depend on besides its own filters and sort: a change reloads the table."""
    if not view or not view.get("dataset"):
        return {"dataset": None, "version": None, "subset": None, "within": None}
    try:
        within = narrowing(view)
    except projector.DataError:   # the selected points are gone from the server: the table is not narrowed
        within = None
    return {"dataset": view["dataset"], "version": view.get("version"),
            "subset": (view.get("subset") or {}).get("id"), "within": subset_digest(within)}


def base_rows(view: dict) -> np.ndarray:
    """The view's points, narrowed by a selection made outside the table."""
    rows = view_points(view)
    within = narrowing(view)
    return rows if within is None else np.intersect1d(rows, within, assume_unique=True)


def ordered(view: dict, ds, filter_model, sort_model) -> np.ndarray:
    """The table's rows in order (point indices), from the result cache when they were made before."""
    key = table_key(view)
    if not filter_model and not sort_model and key["within"] is None:
        return view_points(view)
    doc = [key, ds.metadata_version, filter_model or {}, sort_model or []]
    name = "table:" + hashlib.blake2b(json.dumps(doc, sort_keys=True, default=str).encode(), digest_size=16).hexdigest()
    blob = services.cache().get_blob(name)
    if blob is not None:
        return np.frombuffer(blob, dtype=np.int64)
    frame, filters, sorts = by_name(ds, filter_model, sort_model)
    rows = sort_rows(frame, filter_rows(frame, base_rows(view), filters), sorts)
    try:
        services.cache().set_blob(name, rows.tobytes(), expire=ORDER_TTL)
    except projector.DataError:
        pass   # a full disk: the rows are still right, they are made again for the next block
    return rows


def _cell(v: float):
    if math.isfinite(v):
        return v
    return None if math.isnan(v) else ("inf" if v > 0 else "-inf")


def row_data(ds, points: np.ndarray) -> list[dict]:
    """The grid's rows for ``points``: the index and every column (numbers as numbers, missing as null)."""
    rows = [{POINT_FIELD: int(p)} for p in points.tolist()]
    for j, c in enumerate(ds.metadata.columns):
        series, f = ds.metadata[c].iloc[points], field_of(j)
        if is_numeric(series):
            for row, v in zip(rows, series.to_numpy(dtype=np.float64, na_value=np.nan).tolist()):
                row[f] = _cell(v)
        else:
            for row, t in zip(rows, column_as_text(series)):
                row[f] = t or None
    return rows


def block_of(request) -> tuple[int, int]:
    """(start, end) rows the grid asks for (the boundary has checked their types and the block's size)."""
    return int(request.get("startRow") or 0), int(request.get("endRow") or 0)


def rows_said(view: dict, n: int, filtered: bool) -> str:
    total = int(view.get("n") or 0)
    within = narrowing(view)
    text = f"{n:,} of {total:,} points"
    if within is not None:
        text += f", within the {len(within):,} selected"
    if filtered:
        text += " match the table's filters"
    return text + "."


# ---------------------------------------------------------------- the drawer and its table

clientside_callback(
    "function (n) { return (n || 0) % 2 ? 'table-drawer open' : 'table-drawer'; }",
    Output(ids.TABLE_DRAWER, "className"), Input(ids.TABLE_TOGGLE, "n_clicks"), prevent_initial_call=True)

# The grid asks for its rows again when what they depend on changed (and it is open to show them); its row
# selection goes with the rows it was made on.
clientside_callback(
    f"""function (key, cls, reloaded) {{
        const noop = window.dash_clientside.no_update;
        if (!key || String(cls || '').indexOf('open') < 0 || !window.dash_ag_grid) {{ return noop; }}
        const now = JSON.stringify([key.dataset, key.version, key.subset, key.within]);
        if (now === reloaded) {{ return noop; }}
        window.dash_ag_grid.getApiAsync('{ids.TABLE_GRID}').then(function (api) {{
            if (reloaded) {{ api.deselectAll(); }}
            api.purgeInfiniteCache();
        }});
        return now;
    }}""",
    Output(ids.TABLE_RELOADED, "data"), Input(ids.TABLE_KEY, "data"), Input(ids.TABLE_DRAWER, "className"),
    State(ids.TABLE_RELOADED, "data"), prevent_initial_call=True)


def chart_default(ds, view: dict, chosen) -> str | None:
    columns = [str(c) for c in ds.metadata.columns]
    if chosen in columns:
        return chosen
    if view.get("colour_by") in columns:
        return view["colour_by"]
    numeric = [str(c) for c in ds.metadata.columns if is_numeric(ds.metadata[c])]
    return (numeric or columns or [None])[0]


@callback(output=dict(key=Output(ids.TABLE_KEY, "data"), columns=Output(ids.TABLE_GRID, "columnDefs"),
                      filters=Output(ids.TABLE_GRID, "filterModel"), options=Output(ids.CHART_COLUMN, "options"),
                      column=Output(ids.CHART_COLUMN, "value")),
          inputs=dict(view=Input(ids.VIEW, "data")),
          state=dict(before=State(ids.TABLE_KEY, "data"), chosen=State(ids.CHART_COLUMN, "value")),
          prevent_initial_call=True)
def follow_view(view, before, chosen):
    """The table's columns follow the data set and its metadata version (tags add columns); its filters
    start empty on another data set; TABLE_KEY changes whenever the rows must be fetched again."""
    key = table_key(view)
    out = dict(key=no_update, columns=no_update, filters=no_update, options=no_update, column=no_update)
    before = before if isinstance(before, dict) else {}
    if key == before:
        return out
    out["key"] = key
    if not key["dataset"]:
        return {**out, "columns": [], "options": [], "column": None}
    if (key["dataset"], key["version"]) != (before.get("dataset"), before.get("version")):
        try:
            ds = services.store().get(key["dataset"])
        except projector.DataError:   # deleted meanwhile: the data panel says so
            return {**out, "columns": [], "options": [], "column": None}
        out.update(columns=column_defs(ds), options=[{"label": str(c), "value": str(c)} for c in ds.metadata.columns],
                   column=chart_default(ds, view, chosen))
    if key["dataset"] != before.get("dataset"):
        out["filters"] = {}
    return out


@callback(Output(ids.TABLE_GRID, "getRowsResponse"), Output(ids.TABLE_MESSAGE, "children"),
          Output(ids.TABLE_MESSAGE, "className"), Input(ids.TABLE_GRID, "getRowsRequest"), State(ids.VIEW, "data"),
          prevent_initial_call=True)
def rows(request, view):
    """One block of the table's rows, and how many rows there are in all.

    Two answers the grid could wait on for ever are never sent: one equal to the answer before (the page
    does not pass it on; ``storeInfo`` makes each new), and a count of 0 rows (dash-ag-grid 35 drops the
    answer after such a one when it comes fast), so no rows is one row saying so."""
    served = {"served": time.time_ns()}
    nothing = {"rowData": [NO_ROWS], "rowCount": 1, "storeInfo": served}
    if not isinstance(request, dict) or not view or not view.get("dataset"):
        return nothing, *SILENT
    start, end = block_of(request)
    try:
        ds = services.store().get(view["dataset"])
        order = ordered(view, ds, request.get("filterModel"), request.get("sortModel"))
        said = rows_said(view, len(order), bool(request.get("filterModel")))
    except projector.DataError as exc:
        return nothing, *say(exc, ERROR)
    if not len(order):
        return nothing, *say(said, INFO)
    return {"rowData": row_data(ds, order[start:end]), "rowCount": int(len(order)), "storeInfo": served}, \
        *say(said, INFO)


# ---------------------------------------------------------------- the table selects

def table_selection(view: dict, points) -> dict:
    """The selection the table makes: ``points``, within the selection it was narrowed by."""
    selection = selection_of(view)
    within = selection.get("within") if selection.get("source") == TABLE else selection
    if within is not None and not len(selected_points(within)):
        within = None
    return keep_points({**empty_selection(view["dataset"]), "source": TABLE, "within": within}, points)


def given_back(view: dict) -> dict:
    """What is selected once the table's own selection is cleared: the selection it narrowed, or nothing."""
    within = selection_of(view).get("within")
    return within if within else empty_selection(view["dataset"])


@callback(Output(ids.SELECTION, "data", allow_duplicate=True),
          Output(ids.TABLE_MESSAGE, "children", allow_duplicate=True),
          Output(ids.TABLE_MESSAGE, "className", allow_duplicate=True),
          Input(ids.TABLE_GRID, "filterModel"), State(ids.VIEW, "data"), prevent_initial_call=True)
def filter_selects(model, view):
    """A filter in the table selects the rows it keeps; clearing it gives back what was selected before."""
    if not view or not view.get("dataset"):
        return no_update, no_update, no_update
    mine = selection_of(view).get("source") == TABLE
    try:
        if not model:
            return (given_back(view), no_update, no_update) if mine else (no_update, no_update, no_update)
        ds = services.store().get(view["dataset"])
        return table_selection(view, ordered(view, ds, model, [])), no_update, no_update
    except projector.DataError as exc:
        return no_update, *say(exc, ERROR)


def picked_points(picked, view: dict) -> np.ndarray:
    """The points of the grid's selected rows that the view shows."""
    if not isinstance(picked, list):
        return np.empty(0, np.int64)
    n = int(view.get("num_points") or 0)
    wanted = np.unique(np.asarray([r[POINT_FIELD] for r in picked if isinstance(r, dict)
                                   and type(r.get(POINT_FIELD)) is int and 0 <= r[POINT_FIELD] < n], dtype=np.int64))
    _, found = rows_in_view(view_points(view), wanted)
    return wanted[found]


@callback(Output(ids.SELECTION, "data", allow_duplicate=True),
          Output(ids.TABLE_MESSAGE, "children", allow_duplicate=True),
          Output(ids.TABLE_MESSAGE, "className", allow_duplicate=True),
          Input(ids.TABLE_GRID, "selectedRows"), State(ids.TABLE_GRID, "filterModel"), State(ids.VIEW, "data"),
          prevent_initial_call=True)
def rows_select(picked, model, view):
    """Rows selected in the table select their points; none selected gives back the filter's selection."""
    if not view or not view.get("dataset"):
        return no_update, no_update, no_update
    try:
        points = picked_points(picked, view)
        if len(points):
            return table_selection(view, points), no_update, no_update
        if selection_of(view).get("source") != TABLE:
            return no_update, no_update, no_update
        if model:
            ds = services.store().get(view["dataset"])
            return table_selection(view, ordered(view, ds, model, [])), no_update, no_update
        return given_back(view), no_update, no_update
    except projector.DataError as exc:
        return no_update, *say(exc, ERROR)


# ---------------------------------------------------------------- the chart

def chart_column(ds, column):
    """The metadata column the chart draws (its real name), or a DataError."""
    lookup = {str(c): c for c in ds.metadata.columns}
    if column not in lookup:
        raise projector.DataError(f"this data set has no column {str(column)[:80]!r} to chart; pick one from the list.")
    return lookup[column]


@lru_cache(maxsize=4)
def _texts(dataset_id: str, version: int, column: str) -> np.ndarray:
    ds = services.store().get(dataset_id)
    return np.asarray(column_as_text(ds.metadata[chart_column(ds, column)]), dtype=object)


def column_texts(ds, column: str) -> np.ndarray:
    """A text column's values as shown, made once per data set, metadata version and column."""
    return _texts(ds.id, ds.metadata_version, column)


def _selected_in_view(view: dict, points: np.ndarray) -> np.ndarray:
    wanted = selected_points(selection_of(view))
    _, found = rows_in_view(points, wanted)
    return wanted[found]


def _short(text: str, n: int = 18) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"


def chart_figure(view: dict, column) -> tuple[dict, str]:
    """(figure, note): one column of the view's points, grey behind the selected ones when there are."""
    ds = services.store().get(view["dataset"])
    real = chart_column(ds, column)
    series = ds.metadata[real]
    points = view_points(view)
    chosen = _selected_in_view(view, points)
    behind = GREY if len(chosen) else PLAIN_COLOUR
    layout = {"barmode": "overlay", "dragmode": "select", "selectdirection": "h", "showlegend": False,
              "margin": {"l": 44, "r": 8, "t": 6, "b": 44}, "plot_bgcolor": "white", "paper_bgcolor": "white",
              "yaxis": {"title": {"text": "points"}, "gridcolor": "#eeeeee", "fixedrange": True},
              "hovermode": "closest", "selections": []}
    note = ""
    if is_numeric(series):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        h = histogram(values[points], BINS, selected=values[chosen])
        lo, hi = h.edges[:-1], h.edges[1:]
        x, width = ((lo + hi) / 2).tolist(), (hi - lo).tolist()
        spans = [[float(a), float(b)] for a, b in zip(lo, hi)]
        bars = [{"type": "bar", "x": x, "width": width, "y": h.counts.tolist(), "customdata": spans, "name": "all",
                 "marker": {"color": behind}, "hovertemplate": "%{customdata[0]:.4g} – %{customdata[1]:.4g}: "
                                                               "%{y:,} points<extra></extra>"},
                {"type": "bar", "x": x, "width": width, "y": h.selected.tolist(), "customdata": spans,
                 "name": "selected", "marker": {"color": SELECTED},
                 "hovertemplate": "%{customdata[0]:.4g} – %{customdata[1]:.4g}: %{y:,} selected<extra></extra>"}]
        layout["xaxis"] = {"title": {"text": str(real)}, "zeroline": False, "automargin": True}
        layout["bargap"] = 0
        if h.missing:
            note = f"{h.missing:,} points without a finite number are not drawn."
    else:
        texts = column_texts(ds, column)
        b = bar_counts(texts[points], TOP, selected=texts[chosen])
        labels = [v if v else "(blank)" for v in b.values]
        x = list(range(len(labels)))
        bars = [{"type": "bar", "x": x, "y": b.counts.tolist(), "hovertext": labels, "name": "all",
                 "marker": {"color": behind}, "hovertemplate": "%{hovertext}: %{y:,} points<extra></extra>"},
                {"type": "bar", "x": x, "y": b.selected.tolist(), "hovertext": labels, "name": "selected",
                 "marker": {"color": SELECTED}, "hovertemplate": "%{hovertext}: %{y:,} selected<extra></extra>"}]
        layout["xaxis"] = {"title": {"text": str(real)}, "tickvals": x, "ticktext": [_short(t) for t in labels],
                           "tickangle": -40 if len(labels) > 6 else 0, "range": [-0.5, max(len(labels), 1) - 0.5],
                           "automargin": True}
        if b.others:
            note = (f"The {len(labels):,} most frequent of {len(labels) + b.others:,} values; "
                    f"{b.other_count:,} points have other values.")
    return {"data": bars, "layout": layout}, note


def charted(view: dict | None, column) -> str:
    view = view or {}
    return json.dumps([view.get("dataset"), view.get("version"), (view.get("subset") or {}).get("id"),
                       selection_signature(view) if view.get("dataset") else None, column])


def _same_column(before, now: str) -> bool:
    """Only the selection changed since the chart was drawn."""
    try:
        a, b = json.loads(before), json.loads(now)
    except (TypeError, ValueError):
        return False
    return isinstance(a, list) and len(a) == 5 and a[:3] + a[4:] == b[:3] + b[4:]


@callback(Output(ids.CHART, "figure"), Output(ids.CHARTED, "data"), Output(ids.CHART_MESSAGE, "children"),
          Output(ids.CHART_MESSAGE, "className"), Input(ids.VIEW, "data"), Input(ids.CHART_COLUMN, "value"),
          Input(ids.TABLE_TOGGLE, "n_clicks"), State(ids.CHARTED, "data"), prevent_initial_call=True)
def draw_chart(view, column, clicks, before):
    """The chart of the chosen column, drawn while the drawer is open and only when what it shows changed."""
    if not is_open(clicks):
        return no_update, no_update, no_update, no_update
    now = charted(view, column)
    if now == before:
        return no_update, no_update, no_update, no_update
    if not view or not view.get("dataset") or not column:
        return {"data": [], "layout": {}}, now, *SILENT
    try:
        figure, note = chart_figure(view, column)
    except projector.DataError as exc:
        return {"data": [], "layout": {}}, now, *say(exc, ERROR)
    if _same_column(before, now):
        return figure, now, no_update, no_update   # the same column of the same points: what was picked stays said
    return figure, now, *say(note, INFO)


def _event_bars(event) -> list[int]:
    points = event.get("points") if isinstance(event, dict) else None
    if not isinstance(points, list):
        return []
    return sorted({p["pointIndex"] for p in points if isinstance(p, dict) and type(p.get("pointIndex")) is int
                   and p["pointIndex"] >= 0})


def _event_range(event):
    span = ((event or {}).get("range") or {}).get("x") if isinstance(event, dict) else None
    if isinstance(span, list) and len(span) == 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in span):
        return float(min(span)), float(max(span))
    return None


def chart_pick(view: dict, column, event, boxed: bool) -> tuple[np.ndarray, str]:
    """(points, what they are) that a click on a bar or a box across the chart picks among the view's points."""
    ds = services.store().get(view["dataset"])
    real = chart_column(ds, column)
    series = ds.metadata[real]
    points = view_points(view)
    bars = _event_bars(event)
    if is_numeric(series):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)[points]
        span = _event_range(event) if boxed else None
        if span is not None:
            return points[in_range(values, *span)], f"{real} from {span[0]:.4g} to {span[1]:.4g}"
        edges = histogram(values, BINS).edges
        bars = [k for k in bars if k < len(edges) - 1]
        if not bars:
            return np.empty(0, np.int64), ""
        lo, hi = edges[bars[0]], edges[bars[-1] + 1]
        return points[np.isin(bin_of(values, edges), bars)], f"{real} from {lo:.4g} to {hi:.4g}"
    texts = column_texts(ds, column)[points]
    values = bar_counts(texts, TOP).values
    wanted = [values[k] for k in bars if k < len(values)]
    if not wanted:
        return np.empty(0, np.int64), ""
    shown = ", ".join(f"“{_short(v or '(blank)', 30)}”" for v in wanted[:3]) + (" …" if len(wanted) > 3 else "")
    return points[np.isin(texts, wanted)], f"{real} {shown}"


@callback(Output(ids.SELECTION, "data", allow_duplicate=True),
          Output(ids.CHART_MESSAGE, "children", allow_duplicate=True),
          Output(ids.CHART_MESSAGE, "className", allow_duplicate=True),
          Input(ids.CHART, "clickData"), Input(ids.CHART, "selectedData"), State(ids.CHART_COLUMN, "value"),
          State(ids.VIEW, "data"), prevent_initial_call=True)
def chart_selects(click, boxed, column, view):
    """A click on a bar or a box across the chart selects those points; the chart then shows them in colour."""
    by_box = f"{ids.CHART}.selectedData" in ctx.triggered_prop_ids
    event = boxed if by_box else click
    if not view or not view.get("dataset") or not isinstance(event, dict):
        return no_update, no_update, no_update
    try:
        points, what = chart_pick(view, column, event, by_box)
        if not what:
            return no_update, no_update, no_update
        selection = keep_points({**empty_selection(view["dataset"]), "source": CHART}, points)
    except projector.DataError as exc:
        return no_update, *say(exc, ERROR)
    return selection, *say(f"{len(points):,} point{'s' if len(points) != 1 else ''} with {what} selected.", INFO)

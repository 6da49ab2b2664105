"""Downloads: the drawn projection with every metadata column, the selection as a list, the figure as HTML.

Every file says how it was made: the tables start with ``#`` comment lines holding the data set,
method, parameters and subset as JSON (``pandas.read_csv(path, comment="#")`` reads them back).
"""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
from dash import Input, Output, State, callback, clientside_callback, ctx, dcc, no_update

import projector
from components import ids
from projector.formats import column_as_text

from . import services
from .views import highlighted, view_points, visible_neighbors

ROLE_NAMES = {0: "clicked", 1: "neighbour", 2: "selected"}


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", str(text)).strip("-")[:60] or "projection"


def provenance(view: dict, ds) -> dict:
    """How a projection was made, as plain JSON."""
    return {"data_set": ds.name, "data_set_id": ds.id, "points_in_data_set": ds.num_points,
            "method": view["method"], "dims": view["dims"], "params": view.get("params") or {},
            "spherize": bool(view.get("spherize")), "isolated_subset": view.get("subset"),
            "points": int(view["n"])}


def axis_names(view: dict) -> list[str]:
    if view["method"] == "pca":
        return [f"PC{int(c) + 1}" for c in (view.get("params") or {}).get("components", [])][:view["dims"]]
    if view["method"] == "custom":
        return ["x (left → right)", "y (down → up)"]
    return ["x", "y", "z"][:view["dims"]]


def metadata_columns(ds, rows: np.ndarray) -> pd.DataFrame:
    """The metadata of ``rows`` as the text a user typed (numbers without a trailing .0, missing empty)."""
    part = ds.metadata.iloc[rows]
    return pd.DataFrame({str(c): column_as_text(part[c]) for c in part.columns})


def _comment(meta: dict) -> str:
    return "# made by Embedding Projector; how: " + json.dumps(meta, ensure_ascii=False) + "\n"


def projection_table(view: dict, sep: str = ",") -> tuple[str, str]:
    """(file name, text): one row per drawn point — index, coordinates, every metadata column."""
    ds = services.store().get(view["dataset"])
    coords, points = view_points(view)
    names = axis_names(view)
    frame = pd.DataFrame({"index": points})
    for j, name in enumerate(names):
        frame[name] = coords[:, j]
    meta = metadata_columns(ds, points)
    meta.columns = [c if c not in frame.columns else f"{c} (metadata)" for c in meta.columns]
    frame = pd.concat([frame, meta], axis=1)
    ext = "tsv" if sep == "\t" else "csv"
    text = _comment(provenance(view, ds)) + frame.to_csv(sep=sep, index=False, float_format="%.7g")
    return f"{slug(ds.name)}-{view['method']}-{view['dims']}d.{ext}", text


def list_table(selection: dict, view: dict | None, dataset_id: str, metric: str | None) -> tuple[str, str]:
    """(file name, text): the clicked point, its neighbours shown and the selected points, with distances."""
    ds = services.store().get(dataset_id)
    pts, roles = highlighted(selection or {})
    if not len(pts):
        raise projector.DataError("nothing is selected: click a point or search first, then download the list.")
    distance = {int(i): float(d) for i, d in visible_neighbors(selection)}
    by_distance = [distance.get(int(p), 0.0) if r == 1 else 0.0 for p, r in zip(pts, roles)]
    order = np.lexsort((pts, by_distance, roles))  # clicked, neighbours nearest first, then the rest by index
    pts, roles = pts[order], roles[order]
    frame = pd.DataFrame({"index": pts, "role": [ROLE_NAMES[int(r)] for r in roles],
                          "distance": [distance.get(int(p)) if r == 1 else None for p, r in zip(pts, roles)]})
    frame = pd.concat([frame, metadata_columns(ds, pts)], axis=1)
    meta = {"data_set": ds.name, "data_set_id": ds.id, "clicked_point": (selection or {}).get("anchor"),
            "distance": metric if distance else None, "rows": int(len(frame))}
    if view:
        meta["projection"] = provenance(view, ds)
    return f"{slug(ds.name)}-selection.csv", _comment(meta) + frame.to_csv(index=False, float_format="%.7g")


def figure_html(view: dict, colour_by, label_by, selection) -> tuple[str, str]:
    """(file name, text): the interactive figure as one self-contained HTML file (plotly.js inside)."""
    import plotly.io as pio

    from .projection import figure_for

    ds = services.store().get(view["dataset"])
    figure, _ = figure_for(view, colour_by, label_by, selection)
    title = f"{ds.name} — {view['method']} {view['dims']}D, {view['n']:,} points"
    fig = dict(figure)
    fig["layout"] = {**(figure.get("layout") or {}), "title": {"text": title}}
    html = pio.to_html(fig, include_plotlyjs=True, full_html=True, validate=False,
                       config={"scrollZoom": True, "displaylogo": False})
    return f"{slug(ds.name)}-{view['method']}-{view['dims']}d.html", html


@callback(Output(ids.DOWNLOAD, "data"), Output(ids.EXPORT_MESSAGE, "children"),
          Input(ids.EXPORT_CSV, "n_clicks"), Input(ids.EXPORT_TSV, "n_clicks"), Input(ids.EXPORT_LIST, "n_clicks"),
          Input(ids.EXPORT_HTML, "n_clicks"),
          State(ids.CURRENT_VIEW, "data"), State(ids.SELECTION, "data"), State(ids.DATASET, "value"),
          State(ids.METRIC, "value"), State(ids.COLOR_BY, "value"), State(ids.LABEL_BY, "value"),
          prevent_initial_call=True)
def download(_csv, _tsv, _list, _html, view, selection, dataset_id, metric, colour_by, label_by):
    try:
        if ctx.triggered_id == ids.EXPORT_LIST:
            name, text = list_table(selection, view, dataset_id, metric)
        elif not view:
            raise projector.DataError("nothing is drawn yet: pick a data set and a projection first.")
        elif ctx.triggered_id == ids.EXPORT_HTML:
            name, text = figure_html(view, colour_by, label_by, selection)
        else:
            name, text = projection_table(view, "\t" if ctx.triggered_id == ids.EXPORT_TSV else ",")
    except projector.DataError as exc:
        return no_update, str(exc)
    return dcc.send_string(text, name), f"Downloaded {name}."


# The SVG is made where the plot is: plotly.js renders the current view (zoom and rotation included).
clientside_callback(
    """function (n) {
        const gd = document.querySelector('#scatter .js-plotly-plot');
        if (!n || !gd || !window.Plotly) { return window.dash_clientside.no_update; }
        window.Plotly.downloadImage(gd, {format: 'svg', filename: 'projection'});
        return 'Downloaded projection.svg.';
    }""",
    Output(ids.EXPORT_MESSAGE, "children", allow_duplicate=True), Input(ids.EXPORT_SVG, "n_clicks"),
    prevent_initial_call=True)

"""Downloads: the drawn projection with every metadata column, the selection as a list, the figure as HTML,
and the points shown as a TensorBoard log folder (a zip streamed from ``GET api/exports/tensorboard/…``).

Tables are plain CSV (or TSV) that ``pandas.read_csv(path)`` reads back as they are — labels with
``#``, quotes, tabs, commas or line breaks included — and how each was made (data set, method,
parameters, subset) goes into a sidecar ``<name>.json`` downloaded beside it, never into the table.

A text cell that a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return, and is not a plain number) is written with a leading ``'``, which spreadsheets
show as text; :func:`unguard` (one ``str.replace`` with :data:`GUARDED`) gives the labels back, and the
sidecar says so.
"""
from __future__ import annotations

import csv
import json
import re
import secrets

import numpy as np
import pandas as pd
from dash import Input, Output, State, callback, clientside_callback, ctx, dcc, hooks, no_update

import projector
from components import ids
from projector.formats import column_as_text
from projector.tbexport import SPRITE

from . import services
from .figures import axis_names as plot_axis_names
from .views import ERROR, OK, WARN, highlighted, same_points, say, selection_of, sentence, view_points, visible_neighbors

ROLE_NAMES = {0: "clicked", 1: "neighbour", 2: "selected"}


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", str(text)).strip("-")[:60] or "projection"


def provenance(view: dict, shown: dict, ds) -> dict:
    """How a projection was made, as plain JSON."""
    return {"made_by": "Embedding Projector", "data_set": ds.name, "data_set_id": ds.id,
            "points_in_data_set": ds.num_points, "metadata_version": ds.metadata_version,
            "method": shown["method"], "dims": shown["dims"], "params": shown.get("params") or {},
            "spherize": bool(shown.get("spherize")),
            "isolated_points": view_points(view).tolist() if view.get("subset") else None, "points": int(shown["n"]),
            "axes": axis_names(shown), "formula_guard": GUARD_NOTE}


def axis_names(shown: dict) -> list[str]:
    if shown["method"] == "pca":
        return [f"PC{int(c) + 1}" for c in (shown.get("params") or {}).get("components", [])][:shown["dims"]]
    if shown["method"] == "custom":
        return ["x (left → right)", "y (down → up)"]
    return ["x", "y", "z"][:shown["dims"]]


def metadata_columns(ds, rows: np.ndarray) -> pd.DataFrame:
    """The metadata of ``rows`` as the text a user typed (numbers without a trailing .0, missing empty)."""
    part = ds.metadata.iloc[rows]
    return pd.DataFrame({str(c): column_as_text(part[c]) for c in part.columns})


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
GUARDED = r"^'(?=[=+\-@\t\r])"   # a guard's apostrophe, as a regular expression pandas' str.replace takes
GUARD_NOTE = ("text cells that begin with = + - @, a tab or a carriage return (and are not numbers) start with "
              "an added ' so that spreadsheets do not run them as formulas; remove it to get the labels back: "
              "pandas.read_csv(path).replace(r\"" + GUARDED + "\", \"\", regex=True)")


def guard(text: str) -> str:
    """A cell's text with a leading ``'`` when a spreadsheet would run it as a formula."""
    if text and text.startswith(FORMULA_START) and not projector.formats.is_number(text):
        return "'" + text
    return text


def unguard(text):
    """The label a guarded cell holds (what :func:`guard` added, taken off again)."""
    return re.sub(GUARDED, "", text) if isinstance(text, str) else text


def table_text(frame: pd.DataFrame, sep: str = ",") -> str:
    """The table as CSV (or TSV) with every text field quoted: a label holding the separator, a quote,
    a tab or a line break (``\r`` included, which pandas would otherwise split on) reads back whole; cells
    a spreadsheet would run as formulas are guarded (:func:`guard`)."""
    frame = frame.copy()
    for c in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[c]):
            frame[c] = [guard(v) if isinstance(v, str) else v for v in frame[c]]
    return frame.to_csv(sep=sep, index=False, float_format="%.7g", quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")


def drawn_projection(view: dict | None, shown: dict | None) -> dict:
    """The projection the plot shows for the view (never one of other points)."""
    if not view or not view.get("dataset") or not same_points(shown, view):
        raise projector.DataError("nothing is drawn yet: pick a data set and a projection first.")
    return shown


def projection_table(view: dict, shown: dict, sep: str = ",") -> tuple[str, str, dict]:
    """(file name, text, provenance): one row per drawn point — index, coordinates, every metadata column."""
    from .plot import coordinates

    ds = services.store().get(view["dataset"])
    coords = coordinates("shown", shown)
    points = view_points(view)
    frame = pd.DataFrame({"index": points})
    for j, name in enumerate(axis_names(shown)):
        frame[name] = coords[:, j]
    meta = metadata_columns(ds, points)
    meta.columns = [c if c not in frame.columns else f"{c} (metadata)" for c in meta.columns]
    frame = pd.concat([frame, meta], axis=1)
    ext = "tsv" if sep == "\t" else "csv"
    name = f"{slug(ds.name)}-{shown['method']}-{shown['dims']}d.{ext}"
    return name, table_text(frame, sep), provenance(view, shown, ds)


def list_table(view: dict, shown: dict | None) -> tuple[str, str, dict]:
    """(file name, text, provenance): the clicked point, its neighbours shown and the selected points."""
    ds = services.store().get(view["dataset"])
    selection = selection_of(view)
    pts, roles = highlighted(selection)
    if not len(pts):
        raise projector.DataError("nothing is selected: click a point or search first, then download the list.")
    distance = {int(i): float(d) for i, d in visible_neighbors(selection)}
    by_distance = [distance.get(int(p), 0.0) if r == 1 else 0.0 for p, r in zip(pts, roles)]
    order = np.lexsort((pts, by_distance, roles))  # clicked, neighbours nearest first, then the rest by index
    pts, roles = pts[order], roles[order]
    frame = pd.DataFrame({"index": pts, "role": [ROLE_NAMES[int(r)] for r in roles],
                          "distance": [distance.get(int(p)) if r == 1 else None for p, r in zip(pts, roles)]})
    frame = pd.concat([frame, metadata_columns(ds, pts)], axis=1)
    meta = {"made_by": "Embedding Projector", "data_set": ds.name, "data_set_id": ds.id,
            "clicked_point": selection.get("anchor"),
            "distance": (view.get("neighbours") or {}).get("metric") if distance else None, "rows": int(len(frame)),
            "formula_guard": GUARD_NOTE}
    if same_points(shown, view):
        meta["projection"] = provenance(view, shown, ds)
    return f"{slug(ds.name)}-selection.csv", table_text(frame), meta


def figure_html(view: dict, shown: dict) -> tuple[str, str, dict]:
    """(file name, text, provenance): the figure as one self-contained HTML file (plotly.js inside)."""
    import plotly.io as pio

    from .plot import full_draw, ident_of

    ds = services.store().get(view["dataset"])
    figure = full_draw(view, "shown", shown, ident_of("shown", shown, view), None)[0]
    title = f"{ds.name} — {shown['method']} {shown['dims']}D, {shown['n']:,} points ({', '.join(plot_axis_names(shown))})"
    fig = {**figure, "layout": {**figure["layout"], "title": {"text": title}}}
    html = pio.to_html(fig, include_plotlyjs=True, full_html=True, validate=False,
                       config={"scrollZoom": True, "displaylogo": False})
    how = provenance(view, shown, ds)
    html = html.replace("</head>", '<script type="application/json" id="provenance">'
                        + json.dumps(how).replace("</", "<\\/") + "</script></head>", 1)
    return f"{slug(ds.name)}-{shown['method']}-{shown['dims']}d.html", html, how


@callback(Output(ids.DOWNLOAD, "data"), Output(ids.DOWNLOAD_PROVENANCE, "data"),
          Output(ids.EXPORT_MESSAGE, "children"), Output(ids.EXPORT_MESSAGE, "className"),
          Input(ids.EXPORT_CSV, "n_clicks"), Input(ids.EXPORT_TSV, "n_clicks"), Input(ids.EXPORT_LIST, "n_clicks"),
          Input(ids.EXPORT_HTML, "n_clicks"), State(ids.VIEW, "data"), State(ids.SHOWN, "data"),
          prevent_initial_call=True)
def download(_csv, _tsv, _list, _html, view, shown):
    try:
        if ctx.triggered_id == ids.EXPORT_LIST:
            if not view or not view.get("dataset"):
                raise projector.DataError("pick a data set first.")
            name, text, how = list_table(view, shown)
        elif ctx.triggered_id == ids.EXPORT_HTML:
            name, text, how = figure_html(view, drawn_projection(view, shown))
        else:
            name, text, how = projection_table(view, drawn_projection(view, shown),
                                               "\t" if ctx.triggered_id == ids.EXPORT_TSV else ",")
    except projector.DataError as exc:
        return no_update, no_update, *say(exc, ERROR)
    sidecar = name.rsplit(".", 1)[0] + ".json"
    if name.endswith(".html"):   # the page holds its own provenance
        return dcc.send_string(text, name), no_update, *say(f"Downloaded {name}.")
    return (dcc.send_string(text, name), dcc.send_string(json.dumps(how, indent=1), sidecar),
            *say(f"Downloaded {name}, and how it was made in {sidecar}."))


# The SVG is made where the plot is: plotly.js renders the current view (zoom and rotation included).
clientside_callback(
    """function (n) {
        const gd = document.querySelector('#scatter .js-plotly-plot');
        if (!n || !gd || !window.Plotly) { return window.dash_clientside.no_update; }
        window.Plotly.downloadImage(gd, {format: 'svg', filename: 'projection'});
        return ['Downloaded projection.svg.', 'message ok'];
    }""",
    Output(ids.EXPORT_MESSAGE, "children", allow_duplicate=True),
    Output(ids.EXPORT_MESSAGE, "className", allow_duplicate=True), Input(ids.EXPORT_SVG, "n_clicks"),
    prevent_initial_call=True)


# ---------------------------------------------------------------- a TensorBoard log folder
# The button checks the export and keeps a ticket (one hour); the browser then fetches the zip, which is
# made while it is sent (~1 GB of tensor text for 100k × 768 is never held whole, nor sent through a callback).

TENSORBOARD_ROUTE = "api/exports/tensorboard"
TICKET_KEY = "tensorboard-export:"
TICKET_SECONDS = 3600
TICKET = re.compile(r"^[0-9a-f]{32}$")


def tray_marks(tray, dataset_id: str) -> list[dict]:
    """The tray's bookmarks of ``dataset_id`` as ``[{"name", "state" (its id)}]``, in the tray's order."""
    return [{"name": str(b.get("name") or ""), "state": b["state"]} for b in tray or []
            if isinstance(b, dict) and b.get("dataset") == dataset_id and isinstance(b.get("state"), str)]


def logdir_export(dataset_id: str, subset_id: str | None, marks: list[dict]):
    """(data set, :class:`projector.LogdirExport`) of the data set's points (or the isolated ones) with the
    bookmarks ``marks`` ([{"name", "state" id}]); a bookmark whose state is gone is left out, with a warning."""
    ds = services.store().get(dataset_id)
    rows = services.get_points(subset_id) if subset_id else None
    bookmarks, gone = [], []
    for mark in marks:
        try:
            bookmarks.append({"name": mark["name"], "state": services.states().get(mark["state"])})
        except projector.DataError:
            gone.append(mark["name"])
    export = projector.LogdirExport(ds, rows=rows, name=ds.name, bookmarks=bookmarks, cache=services.cache())
    if gone:
        one = len(gone) == 1
        export.warnings.append(f"{len(gone):,} bookmark{'' if one else 's'} of the tray ({', '.join(gone[:3])}) "
                               f"{'is' if one else 'are'} no longer on the server and {'was' if one else 'were'} left out.")
    return ds, export


def logdir_provenance(ds, export) -> dict:
    return {"made_by": "Embedding Projector", "data_set": ds.name, "data_set_id": ds.id,
            "points_in_data_set": ds.num_points, "metadata_version": ds.metadata_version,
            "isolated_points": export.about()["rows"], **{k: v for k, v in export.about().items() if k != "rows"}}


def logdir_ticket(view: dict | None, tray) -> tuple[dict, str, str]:
    """(link for the browser, what to say, its style) for the view's points as a log folder, checked now."""
    if not view or not view.get("dataset"):
        raise projector.DataError("pick a data set first.")
    subset = (view.get("subset") or {}).get("id")
    marks = tray_marks(tray, view["dataset"])
    ds, export = logdir_export(view["dataset"], subset, marks)
    stem = f"{slug(ds.name)}-isolated-{export.num_points}" if subset else slug(ds.name)
    folder, file = f"{stem}-tensorboard", f"{stem}-tensorboard.zip"
    token = secrets.token_hex(16)
    ticket = {"dataset": ds.id, "subset": subset, "bookmarks": marks, "folder": folder, "file": file}
    services.cache().set_blob(TICKET_KEY + token, json.dumps(ticket).encode(), expire=TICKET_SECONDS)
    parts = [f"{export.num_points:,} {'isolated ' if subset else ''}points × {export.dim}"]
    if SPRITE in export.files():
        parts.append("their images")
    if export.bookmarks:
        parts.append(f"{len(export.bookmarks)} bookmark{'s' if len(export.bookmarks) != 1 else ''}")
    text = (f"Downloading {file} ({', '.join(parts)}; how it was made is in provenance.json): unzip it and run "
            f"tensorboard --logdir {folder}.")
    notes = " ".join(sentence(w) for w in export.warnings)
    return ({"url": f"{TENSORBOARD_ROUTE}/{token}/{file}", "name": file},
            text + (" " + notes if notes else ""), WARN if notes else OK)


@callback(Output(ids.TENSORBOARD_LINK, "data"), Output(ids.EXPORT_MESSAGE, "children", allow_duplicate=True),
          Output(ids.EXPORT_MESSAGE, "className", allow_duplicate=True),
          Input(ids.EXPORT_TENSORBOARD, "n_clicks"), State(ids.VIEW, "data"), State(ids.TRAY, "data"),
          prevent_initial_call=True)
def download_logdir(_, view, tray):
    try:
        link, text, kind = logdir_ticket(view, tray)
    except projector.DataError as exc:
        return no_update, *say(exc, ERROR)
    return link, *say(text, kind)


@hooks.route(TENSORBOARD_ROUTE + "/<token>/<filename>")
def tensorboard_zip(token: str, filename: str):
    """The log folder of a ticket as a zip, made while it is sent."""
    from flask import Response

    def refuse(text: str, status: int):
        return Response(sentence(text) + "\n", status=status, mimetype="text/plain; charset=utf-8")

    blob = services.cache().get_blob(TICKET_KEY + token) if TICKET.match(token) else None
    try:
        ticket = json.loads(blob) if blob else None
    except ValueError:
        ticket = None
    if not isinstance(ticket, dict) or ticket.get("file") != filename:
        return refuse("this download link is not one of this server's, or it is more than an hour old; press "
                      "“TensorBoard log folder (.zip)” again.", 404)
    try:
        ds, export = logdir_export(ticket["dataset"], ticket["subset"], ticket["bookmarks"])
    except projector.DataError as exc:
        return refuse(str(exc), 410)
    about = json.dumps(logdir_provenance(ds, export), indent=1).encode()
    return Response(export.zip_chunks(ticket["folder"], extra={"provenance.json": about}), mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{ticket["file"]}"',
                             "Cache-Control": "no-store"})


# The zip comes from the server as a plain download (an error answer never replaces the page).
clientside_callback(
    """function (link) {
        if (!link || !link.url) { return window.dash_clientside.no_update; }
        const a = document.createElement('a');
        a.href = link.url; a.download = link.name; a.style.display = 'none';
        document.body.appendChild(a); a.click(); a.remove();
        return true;
    }""",
    Output(ids.TENSORBOARD_LINK, "clear_data"), Input(ids.TENSORBOARD_LINK, "data"), prevent_initial_call=True)

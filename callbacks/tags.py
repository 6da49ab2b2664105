"""Tagging (TensorBoard's "Edit by"): give the selected points a value in a metadata column; every edit
is a new version of the data set's metadata, and the edited metadata.tsv can be downloaded."""
from __future__ import annotations

from dash import Input, Output, State, callback, dcc, no_update

import projector
from components import ids

from . import services
from .exports import slug
from .view import goto_view
from .views import ERROR, OK, say, selected_points, selection_of


@callback(Output(ids.GOTO, "data", allow_duplicate=True), Output(ids.TAG_MESSAGE, "children", allow_duplicate=True),
          Output(ids.TAG_MESSAGE, "className", allow_duplicate=True),
          Input(ids.TAG_APPLY, "n_clicks"), State(ids.TAG_COLUMN, "value"), State(ids.TAG_VALUE, "value"),
          State(ids.VIEW, "data"), prevent_initial_call=True)
def tag_selection(_, column, value, view):
    """Tag the clicked point, the neighbours shown and the selected points; the view comes back on the
    new metadata version, coloured by the tagged column."""
    if not view or not view.get("dataset"):
        return no_update, *say("Pick a data set first.", ERROR)
    points = selected_points(selection_of(view))
    try:
        ds = services.store().tag(view["dataset"], column, value, points)
    except projector.DataError as exc:
        return no_update, *say(exc, ERROR)
    column = str(column).strip()
    text = (f"Tagged {len(points):,} point{'s' if len(points) != 1 else ''} {column} = "
            f"“{str(value or '').strip()}” (metadata version {ds.metadata_version}; the uploaded file is kept).")
    return goto_view(view, {"panel": "tags", "text": text, "kind": OK}, colour_by=column), no_update, no_update


@callback(Output(ids.TAG_FILE, "data"), Output(ids.TAG_MESSAGE, "children", allow_duplicate=True),
          Output(ids.TAG_MESSAGE, "className", allow_duplicate=True),
          Input(ids.TAG_DOWNLOAD, "n_clicks"), State(ids.VIEW, "data"), prevent_initial_call=True)
def download_metadata(_, view):
    if not view or not view.get("dataset"):
        return no_update, *say("Pick a data set first.", ERROR)
    try:
        ds = services.store().get(view["dataset"])
        path = services.store().metadata_file(view["dataset"])
    except projector.DataError as exc:
        return no_update, *say(exc, ERROR)
    suffix = f"-v{ds.metadata_version}" if ds.metadata_version else ""
    name = f"{slug(ds.name)}-metadata{suffix}.tsv"
    return dcc.send_file(str(path), filename=name), *say(f"Downloaded {name}.")

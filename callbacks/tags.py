"""Tagging (TensorBoard's "Edit by"): give the selected points a value in a metadata column; every edit
is a new version of the data set's metadata, and the edited metadata.tsv can be downloaded."""
from __future__ import annotations

from dash import Input, Output, State, callback, dcc, no_update

import projector
from components import ids

from . import services
from .exports import slug
from .data import column_choices
from .views import selected_points, sentence


@callback(Output(ids.METADATA_VERSION, "data"), Output(ids.TAG_MESSAGE, "children"),
          Output(ids.TAG_MESSAGE, "className"),
          Output(ids.COLOR_BY, "options", allow_duplicate=True), Output(ids.COLOR_BY, "value", allow_duplicate=True),
          Output(ids.LABEL_BY, "options", allow_duplicate=True),
          Output(ids.SEARCH_COLUMN, "options", allow_duplicate=True),
          Output(ids.CUSTOM_COLUMN, "options", allow_duplicate=True),
          Output(ids.TAG_COLUMNS, "children", allow_duplicate=True),
          Input(ids.TAG_APPLY, "n_clicks"), State(ids.TAG_COLUMN, "value"), State(ids.TAG_VALUE, "value"),
          State(ids.SELECTION, "data"), State(ids.DATASET, "value"), prevent_initial_call=True)
def tag_selection(_, column, value, selection, dataset_id):
    """Tag the clicked point, the neighbours shown and the selected points; colour by the tagged column."""
    skip = [no_update] * 6
    if not dataset_id:
        return no_update, "Pick a data set first.", "message", *skip
    points = selected_points(selection or {})
    try:
        ds = services.store().tag(dataset_id, column, value, points)
    except projector.DataError as exc:
        return no_update, sentence(exc), "message", *skip
    columns, datalist = column_choices(ds)
    column = str(column).strip()
    text = (f"Tagged {len(points):,} point{'s' if len(points) != 1 else ''} {column} = "
            f"“{str(value or '').strip()}” (metadata version {ds.metadata_version}; the uploaded file is kept).")
    return ds.metadata_version, text, "message ok", columns, column, columns, columns, columns, datalist


@callback(Output(ids.TAG_FILE, "data"), Output(ids.TAG_MESSAGE, "children", allow_duplicate=True),
          Output(ids.TAG_MESSAGE, "className", allow_duplicate=True),
          Input(ids.TAG_DOWNLOAD, "n_clicks"), State(ids.DATASET, "value"), prevent_initial_call=True)
def download_metadata(_, dataset_id):
    if not dataset_id:
        return no_update, "Pick a data set first.", "message"
    try:
        ds = services.store().get(dataset_id)
        path = services.store().metadata_file(dataset_id)
    except projector.DataError as exc:
        return no_update, str(exc), "message"
    suffix = f"-v{ds.metadata_version}" if ds.metadata_version else ""
    name = f"{slug(ds.name)}-metadata{suffix}.tsv"
    return dcc.send_file(str(path), filename=name), f"Downloaded {name}.", "message ok"

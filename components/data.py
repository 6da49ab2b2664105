"""The Data panel: the data-set picker, colour by (with its legend), label by, spherize, images, and the
upload box (embeddings, metadata, sprite) that folds away once a data set is loaded.

Outputs it exposes: the dataset picker's value and options, colour/label/spherize/images values; the
staged-upload stores hold the handles of finished uploads until Load.
"""
from __future__ import annotations

from dash import dcc, html

from . import ids
from .parts import field, message


def _file_slot(label: str, input_id: str, progress_id: str, name_id: str):
    return html.Div([
        field(label, html.Div(className="file-slot", **{"data-input-id": input_id})),
        html.Progress(id=progress_id, value="0", max="1", className="progress"),
        html.Div(id=name_id, className="hint"),
    ])


def upload_box(open_: bool):
    """The upload card: it floats over the plot while open, so Load is always in sight."""
    return html.Details([
        html.Summary("Load your own data…"),
        html.Div([
            html.Div([html.H3("Load your own data"),
                      html.Div([html.Button("Load", id=ids.LOAD, className="primary"),
                                html.Button("Cancel upload", id=ids.UPLOAD_CANCEL)], className="buttons")],
                     className="upload-head"),
            _file_slot("Embeddings (.npy, .npz, tensor .tsv, .bytes, Parquet, Arrow, safetensors)", ids.UPLOAD_VECTORS,
                       ids.UPLOAD_VECTORS_PROGRESS, ids.UPLOAD_VECTORS_NAME),
            _file_slot("Metadata .tsv or .csv (optional)", ids.UPLOAD_METADATA, ids.UPLOAD_METADATA_PROGRESS,
                       ids.UPLOAD_METADATA_NAME),
            _file_slot("Sprite .png (optional: one thumbnail per point, row-major)", ids.UPLOAD_SPRITE,
                       ids.UPLOAD_SPRITE_PROGRESS, ids.UPLOAD_SPRITE_NAME),
            html.Div([field("Thumbnail width", dcc.Input(id=ids.SPRITE_WIDTH, type="number", min=1, step=1,
                                                        placeholder="px")),
                      field("height", dcc.Input(id=ids.SPRITE_HEIGHT, type="number", min=1, step=1,
                                                placeholder="px"))], className="row2"),
            html.Div([field("Dimension D (.bytes)", dcc.Input(id=ids.BYTES_DIM, type="number", min=2, step=1,
                                                              placeholder="e.g. 200")),
                      field("Name", dcc.Input(id=ids.UPLOAD_NAME, type="text", placeholder="optional"))],
                     className="row2"),
            field("Vector column or tensor (Parquet, Arrow, safetensors)",
                  dcc.Input(id=ids.UPLOAD_COLUMN, type="text", placeholder="the only one, if there is one")),
        ], className="upload-card"),
    ], id=ids.UPLOAD_BOX, className="upload-box", open=open_)


def run_picker():
    """Run, tensor and step of a log folder's data set (hidden unless some data set came from one); the
    step's options are the data sets themselves, so picking a step is picking a data set."""
    return html.Div([
        field("Run", dcc.Dropdown(id=ids.PICK_RUN, clearable=False, placeholder="Run"), inline=True),
        field("Tensor", dcc.Dropdown(id=ids.PICK_TENSOR, clearable=False, placeholder="Tensor"), inline=True),
        field("Step", dcc.Dropdown(id=ids.PICK_STEP, clearable=False, placeholder="Step"), inline=True),
        dcc.Interval(id=ids.STORE_TICK, interval=5_000),
    ], id=ids.RUN_PICKER, className="run-picker", hidden=True)


def data_panel(dataset_options: list[dict], dataset_value: str | None):
    """Args: ``dataset_options`` the stored data sets as dropdown options; ``dataset_value`` the one
    shown first (None: nothing stored yet, and the upload box opens)."""
    return html.Section([
        html.H2("Data"),
        dcc.Dropdown(id=ids.DATASET, options=dataset_options, value=dataset_value, clearable=False,
                     placeholder="No data set yet — load one below", className="dataset-picker"),
        html.Div(id=ids.DATASET_INFO, className="hint"),
        run_picker(),
        field("Colour by", dcc.Dropdown(id=ids.COLOR_BY, placeholder="No colour"), inline=True),
        html.Div(id=ids.COLOR_MESSAGE, className="hint"),
        html.Div(id=ids.LEGEND, className="legend"),
        field("Label by", dcc.Dropdown(id=ids.LABEL_BY, placeholder="Point number"), inline=True),
        html.Div([
            dcc.Checklist(id=ids.SPHERIZE, options=[{"label": " Spherize", "value": "on"}], value=[],
                          className="check inline"),
            dcc.Checklist(id=ids.IMAGES, options=[{"label": " Images instead of dots", "value": "on",
                                                   "disabled": True}], value=[], className="check inline"),
            dcc.Checklist(id=ids.DENSITY, options=[{"label": " Density contours", "value": "on"}], value=[],
                          className="check inline"),
        ], className="checks"),
        html.Div(id=ids.IMAGES_MESSAGE, className="hint"),
        upload_box(dataset_value is None),
        message(ids.DATA_MESSAGE),
        dcc.Store(id=ids.STAGED_VECTORS), dcc.Store(id=ids.STAGED_METADATA), dcc.Store(id=ids.STAGED_SPRITE),
    ], className="panel", id="data-panel")

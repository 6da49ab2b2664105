"""Data panel: uploads, the data-set picker, colour by, label by, spherize."""
from __future__ import annotations

import shutil

from dash import Input, Output, Patch, State, callback, html, no_update

import projector
from components import ids

from . import services
from .staging import staged_path
from .figures import HOVER_TEXT_MAX, MAX_CATEGORIES, colour_scheme, hover_texts
from .views import empty_selection

SPHERIZE_MIN_DIM = 50  # the anchor turns spherize on by default from this many dimensions


def dataset_options() -> list[dict]:
    return [{"label": f"{m['name']} ({m['num_points']:,} × {m['dim']})", "value": m["id"]}
            for m in services.store().list()]


def load_staged(vectors: dict | None, metadata: dict | None, dim, name, sprite: dict | None = None,
                sprite_dim=None) -> tuple[str, list[str]]:
    """Parse staged uploads, add the data set to the store; returns (id, warnings)."""
    vpath = staged_path(vectors)
    if vpath is None:
        raise projector.DataError("choose an embeddings file first (.npy, .npz, .tsv or .bytes).")
    mpath = staged_path(metadata)
    if metadata and mpath is None:
        raise projector.DataError("the metadata upload is gone from the server; upload it again.")
    shape = None
    if vpath.suffix.lower() == ".bytes":
        if not dim:
            raise projector.DataError("a .bytes file holds raw float32 values: enter its dimension D and press Load.")
        shape = (None, int(dim))
    ds = projector.load_dataset(vpath, mpath, name=(name or "").strip() or vpath.stem, shape=shape)
    if sprite:
        spath = staged_path(sprite)
        if spath is None:
            raise projector.DataError("the sprite upload is gone from the server; upload it again.")
        if not sprite_dim or not all(sprite_dim):
            raise projector.DataError("a sprite needs its thumbnail width and height in pixels: enter both and press Load.")
        ds.sprite, warning = projector.read_sprite(spath, tuple(int(v) for v in sprite_dim), ds.num_points)
        if warning:
            ds.warnings.append(warning[0].upper() + warning[1:])
    staged_dirs = [staged_path(h).parent for h in (vectors, metadata, sprite) if staged_path(h)]
    services.store().add(ds, adopt=vpath)  # the upload's file moves into the store: no second copy
    for folder in staged_dirs:
        shutil.rmtree(folder, ignore_errors=True)
    return ds.id, ds.warnings


@callback(Output(ids.DATASET, "options"), Output(ids.DATASET, "value"), Output(ids.DATA_MESSAGE, "children"),
          Output(ids.DATA_MESSAGE, "className"),
          Input(ids.LOAD, "n_clicks"),
          State(ids.STAGED_VECTORS, "data"), State(ids.STAGED_METADATA, "data"), State(ids.BYTES_DIM, "value"),
          State(ids.STAGED_SPRITE, "data"), State(ids.SPRITE_WIDTH, "value"), State(ids.SPRITE_HEIGHT, "value"),
          State(ids.UPLOAD_NAME, "value"), prevent_initial_call=True)
def on_load(_, vectors, metadata, dim, sprite, sprite_width, sprite_height, name):
    try:
        dataset_id, warnings = load_staged(vectors, metadata, dim, name, sprite,
                                           (sprite_width, sprite_height) if sprite else None)
    except projector.DataError as exc:
        return no_update, no_update, str(exc), "message"
    ds = services.store().get(dataset_id)
    text = f"Loaded {ds.name}: {ds.num_points:,} points × {ds.dim} dimensions."
    return dataset_options(), dataset_id, " ".join([text, *warnings]), "message ok"


def default_colour_column(ds) -> str | None:
    """The first column with 2 to 20 distinct values: a natural thing to colour by."""
    for c in ds.metadata.columns:
        k = ds.metadata[c].nunique(dropna=True)
        if 2 <= k <= MAX_CATEGORIES:
            return c
    return None


@callback(Output(ids.COLOR_BY, "options"), Output(ids.COLOR_BY, "value"),
          Output(ids.LABEL_BY, "options"), Output(ids.LABEL_BY, "value"),
          Output(ids.SEARCH_COLUMN, "options"), Output(ids.SEARCH_COLUMN, "value"),
          Output(ids.CUSTOM_COLUMN, "options"), Output(ids.CUSTOM_COLUMN, "value"),
          Output(ids.SPHERIZE, "value"), Output(ids.RAW_TAB, "disabled"), Output(ids.TSNE_PERPLEXITY, "value"),
          Output(ids.DATASET_INFO, "children"), Output(ids.SUBSET, "data"), Output(ids.SELECTION, "data"),
          Input(ids.DATASET, "value"))
def on_dataset(dataset_id):
    if not dataset_id:
        return [], None, [], None, [], None, [], None, [], True, None, "", None, empty_selection()
    ds = services.store().get(dataset_id)
    columns = [{"label": str(c), "value": str(c)} for c in ds.metadata.columns]
    label = ds.default_column()
    info = f"{ds.num_points:,} points × {ds.dim} dimensions; {len(ds.metadata.columns)} metadata columns."
    if ds.warnings:
        info = [info, *[html.Div(w) for w in ds.warnings]]
    return (columns, default_colour_column(ds), columns, label, columns, label, columns, label,
            ["on"] if ds.dim >= SPHERIZE_MIN_DIM else [], ds.dim > 3,
            projector.default_perplexity(ds.num_points), info, None, empty_selection())


def legend_items(legend: list[dict]):
    return [html.Div([html.Span(className="swatch", style={"background": item["colour"]}) if item["colour"] else None,
                      html.Span(item["label"]), html.Span(f"{item['count']:,}", className="legend-count")],
                     className="legend-row") for item in legend]


@callback(Output(ids.GRAPH, "figure", allow_duplicate=True), Output(ids.LEGEND, "children", allow_duplicate=True),
          Input(ids.COLOR_BY, "value"), State(ids.CURRENT_VIEW, "data"), prevent_initial_call=True)
def on_colour_by(column, view):
    """Recolour the drawn points: only marker attributes travel, never coordinates."""
    if not view:
        return no_update, no_update
    ds = services.store().get(view["dataset"])
    scheme = colour_scheme(ds.metadata, column, services.get_subset(view["subset"]))
    patch = Patch()
    for k, v in scheme["marker"].items():
        patch["data"][0]["marker"][k] = v
    if scheme["kind"] != "numeric":
        patch["data"][0]["marker"]["colorbar"] = None
    return patch, legend_items(scheme["legend"])


@callback(Output(ids.GRAPH, "figure", allow_duplicate=True),
          Input(ids.LABEL_BY, "value"), State(ids.CURRENT_VIEW, "data"), prevent_initial_call=True)
def on_label_by(column, view):
    if not view or view["n"] > HOVER_TEXT_MAX:
        return no_update
    ds = services.store().get(view["dataset"])
    patch = Patch()
    patch["data"][0]["text"] = hover_texts(ds.metadata, column, services.get_subset(view["subset"]), view["n"])
    return patch


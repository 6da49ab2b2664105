"""Data panel: uploads, the data-set picker, colour by, label by, spherize."""
from __future__ import annotations

import shutil

from dash import Input, Output, Patch, State, callback, ctx, html, no_update

import projector
from components import ids

from . import bookmarks, services
from .staging import staged_path
from .figures import HOVER_TEXT_MAX, MAX_CATEGORIES, colour_scheme, hover_texts
from .views import empty_selection, sentence

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
            ds.warnings.append(sentence(warning))
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


def column_choices(ds) -> tuple[list[dict], list]:
    """The metadata columns as dropdown options and as the tag box's datalist."""
    names = [str(c) for c in ds.metadata.columns]
    return [{"label": c, "value": c} for c in names], [html.Option(value=c) for c in names]


def default_colour_column(ds) -> str | None:
    """The first column with 2 to 20 distinct values: a natural thing to colour by."""
    for c in ds.metadata.columns:
        k = ds.metadata[c].nunique(dropna=True)
        if 2 <= k <= MAX_CATEGORIES:
            return c
    return None


PANEL_OUTPUTS = dict(
    colour_options=Output(ids.COLOR_BY, "options"), colour=Output(ids.COLOR_BY, "value"),
    label_options=Output(ids.LABEL_BY, "options"), label=Output(ids.LABEL_BY, "value"),
    search_column_options=Output(ids.SEARCH_COLUMN, "options"), search_column=Output(ids.SEARCH_COLUMN, "value"),
    custom_column_options=Output(ids.CUSTOM_COLUMN, "options"), custom_column=Output(ids.CUSTOM_COLUMN, "value"),
    tag_columns=Output(ids.TAG_COLUMNS, "children"), images=Output(ids.IMAGES, "options"),
    spherize=Output(ids.SPHERIZE, "value"), raw_disabled=Output(ids.RAW_TAB, "disabled"),
    perplexity=Output(ids.TSNE_PERPLEXITY, "value"), info=Output(ids.DATASET_INFO, "children"),
    subset=Output(ids.SUBSET, "data"), selection=Output(ids.SELECTION, "data"),
    # what a restored bookmark or link sets as well
    tab=Output(ids.TABS, "value"), pca_x=Output(ids.PCA_X, "value"), pca_y=Output(ids.PCA_Y, "value"),
    pca_z=Output(ids.PCA_Z, "value"), pca_3d=Output(ids.PCA_3D, "value"), tsne_3d=Output(ids.TSNE_3D, "value"),
    lr=Output(ids.TSNE_LEARNING_RATE, "value"), iterations=Output(ids.TSNE_ITERATIONS, "value"),
    umap_3d=Output(ids.UMAP_3D, "value"), umap_neighbors=Output(ids.UMAP_NEIGHBORS, "value"),
    umap_min_dist=Output(ids.UMAP_MIN_DIST, "value"), left=Output(ids.CUSTOM_LEFT, "value"),
    right=Output(ids.CUSTOM_RIGHT, "value"), up=Output(ids.CUSTOM_UP, "value"), down=Output(ids.CUSTOM_DOWN, "value"),
    custom_regex=Output(ids.CUSTOM_REGEX, "value"), raw_3d=Output(ids.RAW_3D, "value"),
    search=Output(ids.SEARCH, "value"), search_regex=Output(ids.SEARCH_REGEX, "value"),
    search_scope=Output(ids.SEARCH_SCOPE, "value"), k=Output(ids.NEIGHBOR_COUNT, "value"),
    metric=Output(ids.METRIC, "value"), given=Output(ids.GIVEN, "data"), given_disabled=Output(ids.GIVEN_TAB, "disabled"),
    given_style=Output(ids.GIVEN_TAB, "style"), given_info=Output(ids.GIVEN_INFO, "children"),
    camera=Output(ids.CAMERA_TARGET, "data"), message=Output(ids.DATA_MESSAGE, "children", allow_duplicate=True),
)
HIDDEN = {"display": "none"}


@callback(output=PANEL_OUTPUTS,
          inputs=dict(dataset_id=Input(ids.DATASET, "value"), restore=Input(ids.RESTORE, "data"),
                      tab=State(ids.TABS, "value")),
          prevent_initial_call="initial_duplicate")
def set_up_panels(dataset_id, restore, tab):
    """Fill the panels for a data set: its columns and defaults, or every control of a restored view."""
    out = {k: no_update for k in PANEL_OUTPUTS}
    if not dataset_id:
        out.update(colour_options=[], colour=None, label_options=[], label=None, search_column_options=[],
                   search_column=None, custom_column_options=[], custom_column=None, tag_columns=[], spherize=[],
                   raw_disabled=True, perplexity=None, info="", subset=None, selection=empty_selection())
        return out
    ds = services.store().get(dataset_id)
    columns, datalist = column_choices(ds)
    label = ds.default_column()
    info = f"{ds.num_points:,} points × {ds.dim} dimensions; {len(ds.metadata.columns)} metadata columns."
    if ds.warnings:
        info = [info, *[html.Div(w) for w in ds.warnings]]
    out.update(colour_options=columns, colour=default_colour_column(ds), label_options=columns, label=label,
               search_column_options=columns, search_column=label, custom_column_options=columns,
               custom_column=label, tag_columns=datalist,
               images=[{"label": " Show images instead of dots", "value": "on", "disabled": ds.sprite is None}],
               spherize=["on"] if ds.dim >= SPHERIZE_MIN_DIM else [], raw_disabled=ds.dim > 3,
               perplexity=projector.default_perplexity(ds.num_points), info=info, subset=None,
               selection=empty_selection(), given=None, given_disabled=True, given_style=HIDDEN)
    if tab == "given":
        out["tab"] = "pca"
    restoring = restore and (not ctx.triggered_id or ids.RESTORE in ctx.triggered_prop_ids.values())
    if restoring:
        try:
            state = services.states().get(restore["state"])
            if state["dataset"] != dataset_id:
                raise projector.DataError("the view belongs to another data set; pick it and restore again.")
            out.update(bookmarks.controls_for(state, ds, restore["state"]))
        except projector.DataError as exc:
            out["message"] = f"The view could not be restored: {exc}"
            return out
        if state["method"] == "given":
            out.update(given_disabled=False, given_style={},
                       given_info=f"Coordinates stored in the bookmark ({state['given'].get('source') or 'saved'}), "
                                  "drawn as they were saved. The other tabs compute projections here.")
    return out


def legend_items(legend: list[dict]):
    return [html.Div([html.Span(className="swatch", style={"background": item["colour"]}) if item["colour"] else None,
                      html.Span(item["label"]), html.Span(f"{item['count']:,}", className="legend-count")],
                     className="legend-row") for item in legend]


@callback(Output(ids.GRAPH, "figure", allow_duplicate=True), Output(ids.LEGEND, "children", allow_duplicate=True),
          Input(ids.COLOR_BY, "value"), Input(ids.METADATA_VERSION, "data"), State(ids.CURRENT_VIEW, "data"),
          prevent_initial_call=True)
def on_colour_by(column, _version, view):
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
          Input(ids.LABEL_BY, "value"), Input(ids.METADATA_VERSION, "data"), State(ids.CURRENT_VIEW, "data"),
          prevent_initial_call=True)
def on_label_by(column, _version, view):
    if not view or view["n"] > HOVER_TEXT_MAX:
        return no_update
    ds = services.store().get(view["dataset"])
    patch = Patch()
    patch["data"][0]["text"] = hover_texts(ds.metadata, column, services.get_subset(view["subset"]), view["n"])
    return patch


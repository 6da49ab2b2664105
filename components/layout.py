"""The page: Data and Projection panels on the left, the plot in the centre, the Inspector on the right."""
from __future__ import annotations

from dash import dcc, html

from . import ids

NEIGHBOR_DEFAULT = 100
BOOKMARK_FILE_MAX = 48 * 2**20   # under the server's 64 MB request limit once base64-encoded


def _field(label: str, control, hint: str | None = None):
    return html.Label([html.Span(label, className="field-label"), control]
                      + ([html.Span(hint, className="hint")] if hint else []), className="field")


def data_panel(dataset_options: list[dict], dataset_value: str | None):
    return html.Section([
        html.H2("Data"),
        _field("Data set", dcc.Dropdown(id=ids.DATASET, options=dataset_options, value=dataset_value,
                                        clearable=False, placeholder="No data set yet — upload one below")),
        html.Div(id=ids.DATASET_INFO, className="hint"),
        _field("Colour by", dcc.Dropdown(id=ids.COLOR_BY, placeholder="No colour")),
        html.Div(id=ids.LEGEND, className="legend"),
        _field("Label by", dcc.Dropdown(id=ids.LABEL_BY, placeholder="Point number")),
        dcc.Checklist(id=ids.SPHERIZE, options=[{"label": " Spherize data", "value": "on"}], value=[],
                      className="check"),
        dcc.Checklist(id=ids.IMAGES, options=[{"label": " Show images instead of dots", "value": "on",
                                               "disabled": True}], value=[], className="check"),
        html.Div(id=ids.IMAGES_MESSAGE, className="hint"),
        html.Details([
            html.Summary("Load your own data"),
            _field("Embeddings (.npy, .npz, tensor .tsv, .bytes)",
                   html.Div(className="file-slot", **{"data-input-id": ids.UPLOAD_VECTORS})),
            html.Progress(id=ids.UPLOAD_VECTORS_PROGRESS, value="0", max="1", className="progress"),
            html.Div(id=ids.UPLOAD_VECTORS_NAME, className="hint"),
            _field("Metadata .tsv (optional)",
                   html.Div(className="file-slot", **{"data-input-id": ids.UPLOAD_METADATA})),
            html.Progress(id=ids.UPLOAD_METADATA_PROGRESS, value="0", max="1", className="progress"),
            html.Div(id=ids.UPLOAD_METADATA_NAME, className="hint"),
            _field("Sprite .png (optional: one thumbnail per point, row-major)",
                   html.Div(className="file-slot", **{"data-input-id": ids.UPLOAD_SPRITE})),
            html.Progress(id=ids.UPLOAD_SPRITE_PROGRESS, value="0", max="1", className="progress"),
            html.Div(id=ids.UPLOAD_SPRITE_NAME, className="hint"),
            html.Div([_field("Thumbnail width", dcc.Input(id=ids.SPRITE_WIDTH, type="number", min=1, step=1,
                                                         placeholder="px")),
                      _field("height", dcc.Input(id=ids.SPRITE_HEIGHT, type="number", min=1, step=1,
                                                 placeholder="px"))], className="row2"),
            _field("Dimension D (for .bytes)", dcc.Input(id=ids.BYTES_DIM, type="number", min=2, step=1,
                                                         placeholder="e.g. 200")),
            _field("Name", dcc.Input(id=ids.UPLOAD_NAME, type="text", placeholder="optional")),
            html.Div([html.Button("Load", id=ids.LOAD, className="primary"),
                      html.Button("Cancel upload", id=ids.UPLOAD_CANCEL)], className="buttons"),
        ], className="upload-box", open=dataset_value is None),
        html.Div(id=ids.DATA_MESSAGE, className="message", role="status"),
    ], className="panel", id="data-panel")


def _pca_tab():
    options = [{"label": f"#{i + 1}", "value": i} for i in range(10)]
    return html.Div([
        html.Div([html.Span("X"), dcc.Dropdown(id=ids.PCA_X, options=options, value=0, clearable=False),
                  html.Span("Y"), dcc.Dropdown(id=ids.PCA_Y, options=options, value=1, clearable=False),
                  html.Span("Z"), dcc.Dropdown(id=ids.PCA_Z, options=options, value=2, clearable=False)],
                 className="axes"),
        dcc.Checklist(id=ids.PCA_3D, options=[{"label": " 3D", "value": "3d"}], value=[], className="check"),
        html.Div(id=ids.PCA_VARIANCE, className="hint"),
    ])


def _tsne_tab():
    return html.Div([
        dcc.Checklist(id=ids.TSNE_3D, options=[{"label": " 3D", "value": "3d"}], value=[], className="check"),
        _field("Perplexity", dcc.Input(id=ids.TSNE_PERPLEXITY, type="number", min=2, step=1)),
        _field("Learning rate", dcc.Input(id=ids.TSNE_LEARNING_RATE, type="number", min=1, placeholder="auto (N/12)")),
        _field("Iterations", dcc.Input(id=ids.TSNE_ITERATIONS, type="number", min=10, max=100000, step=10, value=300)),
    ])


def _umap_tab():
    return html.Div([
        dcc.Checklist(id=ids.UMAP_3D, options=[{"label": " 3D", "value": "3d"}], value=[], className="check"),
        _field("Neighbours", dcc.Input(id=ids.UMAP_NEIGHBORS, type="number", min=2, max=999, step=1, value=15)),
        _field("Min distance", dcc.Input(id=ids.UMAP_MIN_DIST, type="number", min=0, max=1, step=0.01, value=0.1)),
    ])


def _custom_tab():
    def q(i, label, placeholder):
        return _field(label, dcc.Input(id=i, type="text", debounce=True, placeholder=placeholder))
    return html.Div([
        html.Div([q(ids.CUSTOM_LEFT, "Left", "e.g. bad"), q(ids.CUSTOM_RIGHT, "Right", "e.g. good")], className="row2"),
        html.Div([q(ids.CUSTOM_DOWN, "Down", "query"), q(ids.CUSTOM_UP, "Up", "query")], className="row2"),
        dcc.Checklist(id=ids.CUSTOM_REGEX, options=[{"label": " Regex", "value": "on"}], value=[], className="check"),
        _field("Search in", dcc.Dropdown(id=ids.CUSTOM_COLUMN, placeholder="first text column")),
        html.Div(id=ids.CUSTOM_INFO, className="hint"),
    ])


def _raw_tab():
    return html.Div([dcc.Checklist(id=ids.RAW_3D, options=[{"label": " 3D", "value": "3d"}], value=[],
                                   className="check"),
                     html.Div("The vectors' own coordinates (for data with 3 dimensions or fewer).", className="hint")])


def projection_panel():
    return html.Section([
        html.H2("Projection"),
        dcc.Tabs(id=ids.TABS, value="pca", children=[
            dcc.Tab(label="PCA", value="pca", children=_pca_tab()),
            dcc.Tab(label="t-SNE", value="tsne", children=_tsne_tab()),
            dcc.Tab(label="UMAP", value="umap", children=_umap_tab()),
            dcc.Tab(label="Custom", value="custom", children=_custom_tab()),
            dcc.Tab(label="Raw", value="raw", children=_raw_tab(), id=ids.RAW_TAB, disabled=True),
            dcc.Tab(label="Stored", value="given", id=ids.GIVEN_TAB, disabled=True, style={"display": "none"},
                    children=html.Div(id=ids.GIVEN_INFO, className="hint")),
        ], className="tabs"),
        html.Div([html.Button("Run", id=ids.RUN, className="primary"),
                  html.Button("Cancel", id=ids.CANCEL, disabled=True)], className="buttons"),
        html.Progress(id=ids.PROGRESS, value="0", max="1", className="progress"),
        html.Div(id=ids.PROGRESS_TEXT, className="hint"),
        html.Div(id=ids.JOB_STATE, className="hint"),
        html.Div(id=ids.PROJECTION_INFO, className="hint"),
        html.Div(id=ids.PROJECTION_MESSAGE, className="message", role="status"),
    ], className="panel", id="projection-panel")


def inspector_panel():
    return html.Section([
        html.H2("Inspector"),
        html.Div([dcc.Input(id=ids.SEARCH, type="text", debounce=True, placeholder="Search labels…",
                            className="search"),
                  dcc.Checklist(id=ids.SEARCH_REGEX, options=[{"label": " regex", "value": "on"}], value=[],
                                className="check inline")], className="search-row"),
        html.Div([_field("in column", dcc.Dropdown(id=ids.SEARCH_COLUMN, placeholder="first text column")),
                  _field("among", dcc.Dropdown(id=ids.SEARCH_SCOPE, value="all", clearable=False, options=[
                      {"label": "all points", "value": "all"},
                      {"label": "the neighbours shown", "value": "neighbors"},
                      {"label": "the selection", "value": "selection"}]))], className="row2"),
        html.Div(id=ids.SEARCH_MESSAGE, className="message", role="status"),
        html.Div([html.Button("Isolate selection", id=ids.ISOLATE),
                  html.Button("Show all data", id=ids.SHOW_ALL),
                  html.Button("Clear selection", id=ids.CLEAR)], className="buttons"),
        _field("Neighbours", dcc.Slider(id=ids.NEIGHBOR_COUNT, min=5, max=999, step=1, value=NEIGHBOR_DEFAULT,
                                        marks={5: "5", 100: "100", 500: "500", 999: "999"},
                                        tooltip={"placement": "bottom", "always_visible": False})),
        dcc.RadioItems(id=ids.METRIC, value="cosine", inline=True, className="check",
                       options=[{"label": " cosine ", "value": "cosine"},
                                {"label": " euclidean", "value": "euclidean"}]),
        html.Div(id=ids.INSPECTOR_MESSAGE, className="message", role="status"),
        html.Details([
            html.Summary("Download"),
            html.Div([html.Button("Projection CSV", id=ids.EXPORT_CSV, title="every drawn point: index, coordinates, all metadata"),
                      html.Button("TSV", id=ids.EXPORT_TSV, title="the same as tab-separated values"),
                      html.Button("Selection CSV", id=ids.EXPORT_LIST,
                                  title="the clicked point, its neighbours with distances, the selected points"),
                      html.Button("Figure HTML", id=ids.EXPORT_HTML, title="the interactive plot as one HTML file"),
                      html.Button("SVG", id=ids.EXPORT_SVG, title="the plot as an SVG picture (PNG: the camera above the plot)")],
                     className="buttons"),
            html.Div(id=ids.EXPORT_MESSAGE, className="message", role="status"),
            dcc.Download(id=ids.DOWNLOAD),
        ], className="downloads"),
        html.Details([
            html.Summary("Tag the selection"),
            html.Div([_field("Edit by (column)", dcc.Input(id=ids.TAG_COLUMN, type="text", list=ids.TAG_COLUMNS,
                                                           placeholder="column")),
                      _field("value", dcc.Input(id=ids.TAG_VALUE, type="text", placeholder="e.g. politics"))],
                     className="row2"),
            html.Datalist(id=ids.TAG_COLUMNS),
            html.Div([html.Button("Tag selected points", id=ids.TAG_APPLY,
                                  title="the clicked point, the neighbours shown and the selected points"),
                      html.Button("Download metadata.tsv", id=ids.TAG_DOWNLOAD,
                                  title="the current metadata, with every tag")], className="buttons"),
            html.Div(id=ids.TAG_MESSAGE, className="message", role="status"),
            dcc.Download(id=ids.TAG_FILE),
        ], className="tags"),
        html.Div(id=ids.POINT_CARD, className="card"),
        html.Div(id=ids.NEIGHBOR_LIST, className="list"),
        html.Div(id=ids.RESULT_LIST, className="list"),
    ], className="panel", id="inspector-panel")


def bookmarks_panel():
    return html.Section([
        html.H2("Bookmarks"),
        html.Div([html.Button("Add bookmark", id=ids.BOOKMARK_ADD, className="primary",
                              title="keep the current view: data set, projection, colours, selection, camera"),
                  html.Button("Share link", id=ids.SHARE, title="a link that opens this view for a teammate"),
                  html.Button("Save bookmarks", id=ids.BOOKMARK_SAVE, title="all bookmarks as one JSON file")],
                 className="buttons"),
        dcc.Upload(html.Div(["Load bookmarks: drop or ", html.A("choose a file"),
                             html.Span(" (saved here, or TensorBoard's)", className="hint")]),
                   id=ids.BOOKMARK_FILE, className="drop", max_size=BOOKMARK_FILE_MAX, multiple=False),
        dcc.Input(id=ids.SHARE_URL, type="text", readOnly=True, className="share-url", placeholder="shared link"),
        html.Div(id=ids.BOOKMARK_MESSAGE, className="message", role="status"),
        html.Div(id=ids.BOOKMARK_LIST, className="bookmarks"),
        dcc.Download(id=ids.BOOKMARK_DOWNLOAD),
    ], className="panel", id="bookmarks-panel")


def page(dataset_options: list[dict], dataset_value: str | None):
    stores = [dcc.Store(id=i) for i in (ids.CURRENT_VIEW, ids.PLANNED_VIEW, ids.JOB, ids.JOB_RESULT, ids.FRAME,
                                         ids.SUBSET, ids.SELECTION, ids.STAGED_VECTORS,
                                         ids.STAGED_METADATA, ids.STAGED_SPRITE, ids.RESTORE, ids.GIVEN,
                                         ids.CAMERA_TARGET, ids.CAMERA_CAPTURE, ids.SHARE_ID, ids.JOB_RUNNING,
                                         ids.JOB_CANCELLED, ids.IMAGES_SHOWN)]
    stores += [dcc.Store(id=ids.METADATA_VERSION, data=0), dcc.Store(id=ids.TRAY, storage_type="local"),
               dcc.Location(id=ids.URL, refresh=False)]
    return html.Div([
        *stores,
        html.Header([html.H1("Embedding Projector"), html.Div(id=ids.STATUS, className="status", role="status")]),
        html.Main([
            html.Div([data_panel(dataset_options, dataset_value), projection_panel(), bookmarks_panel()],
                     className="left"),
            html.Div([dcc.Graph(id=ids.GRAPH, className="graph", figure={"data": [], "layout": {}}, clear_on_unhover=True,
                               config={"scrollZoom": True, "displaylogo": False,
                                       "toImageButtonOptions": {"format": "png", "filename": "projection"}}),
                     html.Div(id=ids.HOVER_LABEL, className="hover-label")],
                     className="centre"),
            html.Div(inspector_panel(), className="right"),
        ], className="main"),
    ], className="app")

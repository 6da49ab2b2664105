"""The Inspector: search (among all points, the neighbours shown or the selection), isolate, show all,
clear, the number of neighbours and the distance, downloads, tagging, the clicked point's card and the
lists of its neighbours and of the selected points.

Outputs it exposes: the search controls, k and metric; the SUBSET and SELECTION stores.
"""
from __future__ import annotations

from dash import dcc, html

from . import ids
from .parts import field, message

NEIGHBOR_DEFAULT = 100
SCOPES = [{"label": "all points", "value": "all"},
          {"label": "neighbours", "value": "neighbors", "title": "the neighbours shown"},
          {"label": "selection", "value": "selection", "title": "the selected points"}]


def _downloads():
    return html.Details([
        html.Summary("Download"),
        html.Div([html.Button("Projection CSV", id=ids.EXPORT_CSV,
                              title="every drawn point: index, coordinates, all metadata"),
                  html.Button("TSV", id=ids.EXPORT_TSV, title="the same as tab-separated values"),
                  html.Button("Selection CSV", id=ids.EXPORT_LIST,
                              title="the clicked point, its neighbours with distances, the selected points"),
                  html.Button("Figure HTML", id=ids.EXPORT_HTML, title="the interactive plot as one HTML file"),
                  html.Button("SVG", id=ids.EXPORT_SVG,
                              title="the plot as an SVG picture (PNG: the camera above the plot)"),
                  html.Button("TensorBoard log folder (.zip)", id=ids.EXPORT_TENSORBOARD,
                              title="the points shown (all, or the isolated ones) with their metadata, sprite and "
                                    "bookmarks, as a folder that tensorboard --logdir opens")],
                 className="buttons"),
        message(ids.EXPORT_MESSAGE),
        dcc.Download(id=ids.DOWNLOAD), dcc.Download(id=ids.DOWNLOAD_PROVENANCE), dcc.Store(id=ids.TENSORBOARD_LINK),
    ], className="downloads")


def _tags():
    return html.Details([
        html.Summary("Tag the selection"),
        html.Div([field("Edit by (column)", dcc.Input(id=ids.TAG_COLUMN, type="text", list=ids.TAG_COLUMNS,
                                                      placeholder="column")),
                  field("value", dcc.Input(id=ids.TAG_VALUE, type="text", placeholder="e.g. politics"))],
                 className="row2"),
        html.Datalist(id=ids.TAG_COLUMNS),
        html.Div([html.Button("Tag selected points", id=ids.TAG_APPLY,
                              title="the clicked point, the neighbours shown and the selected points"),
                  html.Button("Download metadata.tsv", id=ids.TAG_DOWNLOAD,
                              title="the current metadata, with every tag")], className="buttons"),
        message(ids.TAG_MESSAGE),
        dcc.Download(id=ids.TAG_FILE),
    ], className="tags")


def inspector_panel():
    return html.Section([
        html.H2("Inspector"),
        html.Div([
            html.Div([dcc.Input(id=ids.SEARCH, type="text", value="", debounce=True, placeholder="Search labels…",
                                className="search"),
                      dcc.Checklist(id=ids.SEARCH_REGEX, options=[{"label": " regex", "value": "on"}], value=[],
                                    className="check inline")], className="search-row"),
            html.Div([field("in", dcc.Dropdown(id=ids.SEARCH_COLUMN, placeholder="first text column", clearable=False),
                            inline=True),
                      field("among", dcc.Dropdown(id=ids.SEARCH_SCOPE, value="all", clearable=False, options=SCOPES),
                            inline=True)], className="search-options"),
            message(ids.SEARCH_MESSAGE),
            html.Div([html.Button("Isolate selection", id=ids.ISOLATE),
                      html.Button("Show all data", id=ids.SHOW_ALL),
                      html.Button("Clear selection", id=ids.CLEAR)], className="buttons"),
            html.Div([html.Span("Neighbours", className="field-label"),
                      dcc.Slider(id=ids.NEIGHBOR_COUNT, min=5, max=999, step=1, value=NEIGHBOR_DEFAULT,
                                 marks={5: "5", 100: "100", 500: "500", 999: "999"},
                                 tooltip={"placement": "bottom", "always_visible": False})], className="slider"),
            dcc.RadioItems(id=ids.METRIC, value="cosine", inline=True, className="check",
                           options=[{"label": " cosine ", "value": "cosine"},
                                    {"label": " euclidean", "value": "euclidean"}]),
            message(ids.INSPECTOR_MESSAGE),
            html.Div([_downloads(), _tags()], className="folds"),
        ], className="inspector-controls"),
        html.Div([html.Div(id=ids.POINT_CARD, className="card"),
                  html.Div(id=ids.NEIGHBOR_LIST, className="list"),
                  html.Div(id=ids.RESULT_LIST, className="list")], className="inspector-lists"),
        dcc.Store(id=ids.SUBSET), dcc.Store(id=ids.SELECTION), dcc.Store(id=ids.INSPECTOR_LISTED),
    ], className="panel", id="inspector-panel")

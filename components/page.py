"""The page: the header (what the plot shows), the Data, Projection and Analysis panels on the left, the map in
the centre (with B's map beside it while a comparison is open), the Inspector and the Bookmarks on the right;
and the stores of the one view state."""
from __future__ import annotations

from dash import dcc, html

from . import ids
from .analysis import analysis_panel, compare_map
from .bookmarks import bookmarks_panel
from .data import data_panel
from .inspector import inspector_panel
from .projection import projection_panel
from .table import table_drawer


def view_stores():
    """The view state and what follows from it: only ids and small records live in the browser."""
    memory = [dcc.Store(id=i) for i in (ids.VIEW, ids.GOTO, ids.SETUP, ids.SHOWN, ids.DRAWN, ids.WATCH, ids.JOB,
                                        ids.JOB_RESULT, ids.FRAME, ids.CAMERA_TARGET)]
    return memory + [dcc.Store(id=ids.SAVED_VIEW, storage_type="session"),
                     dcc.Store(id=ids.LAST_VIEW, storage_type="local"),
                     dcc.Interval(id=ids.JOB_TICK, interval=400, disabled=True),
                     dcc.Location(id=ids.URL, refresh=False)]


def the_map():
    return html.Div([dcc.Graph(id=ids.GRAPH, className="graph", figure={"data": [], "layout": {}},
                               clear_on_unhover=True,
                               config={"scrollZoom": True, "displaylogo": False,
                                       "toImageButtonOptions": {"format": "png", "filename": "projection"}}),
                     html.Div(id=ids.HOVER_LABEL, className="hover-label")], className="centre")


def page(dataset_options: list[dict], dataset_value: str | None):
    return html.Div([
        *view_stores(),
        html.Header([html.H1("Embedding Projector"), html.Div(id=ids.STATUS, className="status", role="status")]),
        html.Main([
            html.Div([data_panel(dataset_options, dataset_value), projection_panel(), analysis_panel()],
                     className="left"),
            html.Div([html.Div([the_map(), compare_map()], className="maps"), table_drawer()],
                     className="centre-column"),
            html.Div([inspector_panel(), bookmarks_panel()], className="right"),
        ], className="main"),
    ], className="app")

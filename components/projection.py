"""The Projection panel: one tab per method (PCA, t-SNE, UMAP, Custom, Raw, and Stored for a bookmark's
own coordinates), Run and Cancel, the job's progress, what the drawn projection is.

Outputs it exposes: every tab's controls (their values make the projection request), the GIVEN store.
"""
from __future__ import annotations

from dash import dcc, html

from . import ids
from .parts import field, message

PCA_AXES = [{"label": f"#{i + 1}", "value": i} for i in range(10)]


def _three_d(component_id: str):
    return dcc.Checklist(id=component_id, options=[{"label": " 3D", "value": "3d"}], value=[], className="check")


def _pca_tab():
    return html.Div([
        html.Div([html.Span("X"), dcc.Dropdown(id=ids.PCA_X, options=PCA_AXES, value=0, clearable=False),
                  html.Span("Y"), dcc.Dropdown(id=ids.PCA_Y, options=PCA_AXES, value=1, clearable=False),
                  html.Span("Z"), dcc.Dropdown(id=ids.PCA_Z, options=PCA_AXES, value=2, clearable=False)],
                 className="axes"),
        _three_d(ids.PCA_3D),
        html.Div(id=ids.PCA_VARIANCE, className="hint"),
    ])


def _tsne_tab():
    return html.Div([
        _three_d(ids.TSNE_3D),
        field("Perplexity", dcc.Input(id=ids.TSNE_PERPLEXITY, type="number", min=2, step=1,
                                      placeholder="auto (√n / 4)"), inline=True),
        field("Learning rate", dcc.Input(id=ids.TSNE_LEARNING_RATE, type="number", min=1, placeholder="auto (N/12)"),
              inline=True),
        field("Iterations", dcc.Input(id=ids.TSNE_ITERATIONS, type="number", min=10, max=100000, step=10, value=300),
              inline=True),
    ])


def _umap_tab():
    return html.Div([
        _three_d(ids.UMAP_3D),
        field("Neighbours", dcc.Input(id=ids.UMAP_NEIGHBORS, type="number", min=2, max=999, step=1, value=15),
              inline=True),
        field("Min distance", dcc.Input(id=ids.UMAP_MIN_DIST, type="number", min=0, max=1, step=0.01, value=0.1),
              inline=True),
    ])


def _custom_tab():
    def query(component_id, label, placeholder):
        return field(label, dcc.Input(id=component_id, type="text", debounce=True, placeholder=placeholder))
    return html.Div([
        html.Div([query(ids.CUSTOM_LEFT, "Left", "e.g. bad"), query(ids.CUSTOM_RIGHT, "Right", "e.g. good")],
                 className="row2"),
        html.Div([query(ids.CUSTOM_DOWN, "Down", "query"), query(ids.CUSTOM_UP, "Up", "query")], className="row2"),
        html.Div([dcc.Checklist(id=ids.CUSTOM_REGEX, options=[{"label": " Regex", "value": "on"}], value=[],
                                className="check inline"),
                  field("in", dcc.Dropdown(id=ids.CUSTOM_COLUMN, placeholder="first text column"), inline=True)],
                 className="custom-options"),
        html.Div(id=ids.CUSTOM_INFO, className="hint"),
    ])


def _raw_tab():
    return html.Div([_three_d(ids.RAW_3D),
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
                  html.Button("Cancel", id=ids.CANCEL, disabled=True),
                  html.Progress(id=ids.PROGRESS, value="0", max="1", className="progress")], className="buttons run-row"),
        html.Div(id=ids.PROGRESS_TEXT, className="hint"),
        html.Div(id=ids.PROJECTION_INFO, className="hint"),
        message(ids.PROJECTION_MESSAGE),
        dcc.Store(id=ids.GIVEN),
    ], className="panel", id="projection-panel")

"""The Analysis panel: named clusters, outlier scores, how far to trust the map (neighbours kept,
trustworthiness, continuity, stability under another seed), and a comparison with another embedding of the
same rows. Each runs as a background job on the view's points and leaves a metadata column that colours,
searches, isolates and exports like any other.

Outputs it exposes: the tabs' controls, Run/Cancel/progress, the cluster list, the comparison's agreement,
most changed points and side-by-side neighbours, the ANALYSIS_JOB and ANALYSIS_RESULT stores; and
:func:`compare_map`, B's map with its bar and the COMPARISON and COMPARE_DRAWN stores, which the page places
beside the main map.
"""
from __future__ import annotations

from dash import dcc, html

from . import ids
from .parts import field, message


# the settings below come back after a reload (the browser keeps them): a Run after a reload runs what was set
KEPT = {"persistence": True, "persistence_type": "local"}


def _number(component_id, value, lo, hi):
    return dcc.Input(id=component_id, type="number", min=lo, max=hi, step=1, value=value, className="number", **KEPT)


def _clusters_tab():
    return html.Div([
        dcc.RadioItems(id=ids.CLUSTER_ALGORITHM, **KEPT, value="hdbscan", inline=True, className="check",
                       options=[{"label": " HDBSCAN ", "value": "hdbscan"}, {"label": " k-means", "value": "kmeans"}]),
        dcc.RadioItems(id=ids.CLUSTER_SPACE, **KEPT, value="vectors", inline=True, className="check",
                       options=[{"label": " original vectors (exact PCA-50) ", "value": "vectors"},
                                {"label": " the map on screen", "value": "map"}]),
        html.Div([field("Min cluster size", _number(ids.CLUSTER_MIN_SIZE, 15, 2, 100_000), inline=True),
                  field("k", _number(ids.CLUSTER_K, 10, 2, 1_000), inline=True)], className="row2"),
        field("Name by", dcc.Dropdown(id=ids.CLUSTER_NAME_BY, placeholder="first text column"), inline=True),
        html.Div("Text embeddings: density clusters in 50 dimensions are mostly noise; clusters of a UMAP on "
                 "screen (the map) are what most tools show.", className="hint"),
        html.Div(id=ids.CLUSTER_LIST, className="cluster-list"),
    ])


def _outliers_tab():
    return html.Div([
        dcc.RadioItems(id=ids.OUTLIER_METHOD, **KEPT, value="kth", inline=True, className="check",
                       options=[{"label": " distance to k-th neighbour ", "value": "kth"},
                                {"label": " local outlier factor", "value": "lof"}]),
        dcc.RadioItems(id=ids.OUTLIER_SPACE, **KEPT, value="stored", className="check",
                       options=[{"label": " the stored vectors, euclidean", "value": "stored"},
                                {"label": " as the Inspector measures (spherize, metric)", "value": "view"}]),
        html.Div("LOF compares a point's density with its neighbours': a group of more than k outliers "
                 "looks normal to it; the k-th distance does not.", className="hint"),
        field("Neighbours k", _number(ids.OUTLIER_K, 20, 2, 200), inline=True),
        field("Most unusual", _number(ids.OUTLIER_TOP, 100, 1, 1_000_000), inline=True),
        html.Div(html.Button("Select the most unusual", id=ids.OUTLIER_SELECT,
                             title="the points on screen with the highest score of the outlier column"),
                 className="buttons"),
    ])


def _trust_tab():
    return html.Div([
        html.Div("Measures the map on screen: trustworthiness and continuity at k, and per point the share of "
                 "its k original neighbours that the map keeps near it (a colour column).", className="hint"),
        field("Neighbours k", _number(ids.TRUST_K, 10, 2, 200), inline=True),
    ])


def _stability_tab():
    return html.Div([
        html.Div("Runs the t-SNE or UMAP on screen again with another seed, aligns the two maps (Procrustes) and "
                 "colours each point by how far it moved.", className="hint"),
        field("Seed", _number(ids.STABILITY_SEED, 1, 0, 2**31 - 1), inline=True),
    ])


def _compare_tab():
    return html.Div([
        html.Div("Another embedding of the same rows (B: another checkpoint, another model): per point, the share "
                 "of its k nearest neighbours that A (on screen) and B have in common (Jaccard, exact) as a colour "
                 "column, the points that changed most, and B's map beside this one, aligned onto it.",
                 className="hint"),
        field("Data set B", dcc.Dropdown(id=ids.COMPARE_OTHER, placeholder="another data set with as many points",
                                         clearable=False)),
        html.Div(id=ids.COMPARE_OTHER_HINT, className="hint"),
        field("Neighbours k", _number(ids.COMPARE_K, 10, 2, 200), inline=True),
        html.Div(id=ids.COMPARE_SUMMARY, className="compare-summary"),
        html.Div(id=ids.COMPARE_LIST, className="compare-list"),
        html.Div(id=ids.COMPARE_DETAIL, className="compare-detail"),
    ])


def compare_map():
    """B's map: the same rows as the main map, drawn where B's projection (aligned onto A's) puts them;
    hidden until a comparison is run, and after Close comparison or a change of data set."""
    return html.Div([
        html.Div([html.Div(id=ids.COMPARE_CAPTION, className="compare-caption"),
                  html.Button("Close comparison", id=ids.COMPARE_CLOSE)], className="compare-bar"),
        dcc.Graph(id=ids.COMPARE_GRAPH, className="graph", figure={"data": [], "layout": {}},
                  config={"scrollZoom": True, "displaylogo": False,
                          "toImageButtonOptions": {"format": "png", "filename": "projection-b"}}),
        dcc.Store(id=ids.COMPARISON), dcc.Store(id=ids.COMPARE_DRAWN),
    ], id=ids.COMPARE_BOX, className="compare-box")


def analysis_panel():
    return html.Section([
        html.H2("Analysis"),
        dcc.Tabs(id=ids.ANALYSIS_TABS, value="clusters", children=[
            dcc.Tab(label="Clusters", value="clusters", children=_clusters_tab()),
            dcc.Tab(label="Outliers", value="outliers", children=_outliers_tab()),
            dcc.Tab(label="Trust", value="faithfulness", children=_trust_tab()),
            dcc.Tab(label="Stability", value="stability", children=_stability_tab()),
            dcc.Tab(label="Compare", value="compare", children=_compare_tab()),
        ], className="tabs"),
        html.Div([html.Button("Run", id=ids.ANALYSIS_RUN, className="primary"),
                  html.Button("Cancel", id=ids.ANALYSIS_CANCEL, disabled=True),
                  html.Progress(id=ids.ANALYSIS_PROGRESS, value="0", max="1", className="progress")],
                 className="buttons run-row"),
        html.Div(id=ids.ANALYSIS_PROGRESS_TEXT, className="hint"),
        message(ids.ANALYSIS_MESSAGE),
        dcc.Store(id=ids.ANALYSIS_JOB), dcc.Store(id=ids.ANALYSIS_RESULT),
    ], className="panel", id="analysis-panel")

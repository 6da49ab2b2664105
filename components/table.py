"""Table & charts: a drawer under the map (closed at first) with the points table and a chart of one column.

The table is an AG Grid on the infinite row model: the server sends the rows block by block as the table
scrolls, so a million points never travel at once. Its columns are "#" (the point) and every metadata
column, each sortable and filterable (a number filter for numbers, a text filter otherwise, with a
filter box under each header); rows can be selected. The chart draws one column of all the view's
points, with the selected ones in colour: a histogram for numbers, the most frequent values for text.

Outputs it exposes: the grid (columns, rows, filter, selected rows), the chart and its column, and
the TABLE_KEY store that says which rows the table holds.
"""
from __future__ import annotations

import dash_ag_grid as dag
from dash import dcc, html

from . import ids
from .parts import message

BLOCK_ROWS = 100   # rows in one request of the table


def _grid():
    return dag.AgGrid(
        id=ids.TABLE_GRID, rowModelType="infinite", columnDefs=[], className="ag-theme-quartz points-grid",
        style={"height": "100%", "width": "100%"},
        defaultColDef={"sortable": True, "resizable": True, "floatingFilter": True, "cellDataType": False,
                       "flex": 1, "minWidth": 110, "filterParams": {"buttons": ["reset"], "maxNumConditions": 4}},
        getRowId="'' + params.data.i",
        dashGridOptions={
            "cacheBlockSize": BLOCK_ROWS, "maxBlocksInCache": 50, "maxConcurrentDatasourceRequests": 1,
            "infiniteInitialRowCount": 1, "rowBuffer": 10, "suppressFieldDotNotation": True,
            "rowSelection": {"mode": "multiRow", "headerCheckbox": False, "enableClickSelection": True},
            "multiSortKey": "ctrl", "animateRows": False, "headerHeight": 30, "floatingFiltersHeight": 34,
            "rowHeight": 28,
        })


def table_drawer():
    return html.Section([
        html.Div([html.Button("Table & charts", id=ids.TABLE_TOGGLE, n_clicks=0, className="drawer-toggle",
                              title="a table of the points and a chart of one column, linked to the map"),
                  message(ids.TABLE_MESSAGE)], className="drawer-bar"),
        html.Div([
            html.Div(_grid(), className="drawer-grid"),
            html.Div([
                html.Label([html.Span("Chart of", className="field-label"),
                            dcc.Dropdown(id=ids.CHART_COLUMN, clearable=False, placeholder="column")],
                           className="field inline chart-field"),
                dcc.Graph(id=ids.CHART, className="chart", figure={"data": [], "layout": {}}, responsive=True,
                          config={"displaylogo": False, "displayModeBar": False}),
                message(ids.CHART_MESSAGE),
            ], className="drawer-chart"),
        ], className="drawer-body"),
        dcc.Store(id=ids.TABLE_KEY), dcc.Store(id=ids.TABLE_RELOADED), dcc.Store(id=ids.CHARTED),
    ], id=ids.TABLE_DRAWER, className="table-drawer")

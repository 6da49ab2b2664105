"""The Bookmarks panel: add the current view, share it as a link, save all to a file, load a file
(saved here or TensorBoard's); the tray of bookmarks, kept in the browser.

Outputs it exposes: the TRAY store (local storage) and the share link.
"""
from __future__ import annotations

from dash import dcc, html

from . import ids
from .parts import message



def bookmarks_panel():
    return html.Section([
        html.H2("Bookmarks"),
        html.Div([html.Button("Add bookmark", id=ids.BOOKMARK_ADD, className="primary",
                              title="keep the current view: data set, projection, colours, selection, camera"),
                  html.Button("Share link", id=ids.SHARE, title="a link that opens this view for a teammate"),
                  html.Button("Save", id=ids.BOOKMARK_SAVE, title="all bookmarks as one JSON file")],
                 className="buttons"),
        # max_size=-1: a file over 64 MB is refused in the page with a sentence (assets/uploads.js), and on the server
        dcc.Upload(html.Div(["Load bookmarks: drop or ", html.A("choose a file"),
                             html.Span(" (saved here, or TensorBoard's)", className="hint")]),
                   id=ids.BOOKMARK_FILE, className="drop", max_size=-1, multiple=False),
        dcc.Input(id=ids.SHARE_URL, type="text", readOnly=True, className="share-url", placeholder="shared link"),
        message(ids.BOOKMARK_MESSAGE),
        html.Div(id=ids.BOOKMARK_LIST, className="bookmarks"),
        dcc.Download(id=ids.BOOKMARK_DOWNLOAD),
        dcc.Store(id=ids.TRAY, storage_type="local"), dcc.Store(id=ids.SHARE_ID), dcc.Store(id=ids.CAMERA_CAPTURE),
    ], className="panel", id="bookmarks-panel")

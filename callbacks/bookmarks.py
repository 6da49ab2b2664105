"""Bookmarks and shared links: keep the current view, restore it, rename, reorder, delete, save all to
a file, load a file (saved here or TensorBoard's), and links that open a view for a teammate."""
from __future__ import annotations

import base64
import secrets

from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update

import projector
from components import ids
from projector.state import NAME_MAX, bookmarks_file, clean_state, from_tensorboard, parse_bookmarks_file

from . import services
from .data import panel_message
from .views import ERROR, METHOD_NAMES, say


def summary(state: dict) -> str:
    """One line that says what a bookmark shows."""
    method = state.get("controls") if state["method"] == "given" else state["method"]
    parts = [f"{METHOD_NAMES.get(method, method)} {state['dims']}D"]
    if state["method"] == "given":
        parts[0] += " (stored)"
    if state.get("subset"):
        parts.append(f"{len(state['subset']):,} isolated")
    sel = state.get("selection") or {}
    n_sel = len(set(sel.get("points") or []) | {i for i, _ in sel.get("neighbors") or []} |
                ({sel["anchor"]} if sel.get("anchor") is not None else set()))
    if n_sel:
        parts.append(f"{n_sel:,} selected")
    if state.get("colour_by"):
        parts.append(f"colour: {state['colour_by']}")
    return " · ".join(parts)


def tray_entry(name: str, state: dict) -> dict:
    return {"uid": secrets.token_hex(4), "state": services.states().put(state), "name": str(name)[:NAME_MAX],
            "summary": summary(state), "dataset": state["dataset"]}


def tray_after(tray: list, kind: str, uid: str, value=None) -> list:
    """The tray after renaming, moving up or down, or deleting the bookmark ``uid``."""
    tray = list(tray or [])
    at = next((i for i, b in enumerate(tray) if b["uid"] == uid), None)
    if at is None:
        return tray
    if kind == "bookmark-name":
        tray[at] = {**tray[at], "name": (str(value or "").strip() or tray[at]["name"])[:NAME_MAX]}
    elif kind == "bookmark-delete":
        del tray[at]
    elif kind in ("bookmark-up", "bookmark-down"):
        to = at - 1 if kind == "bookmark-up" else at + 1
        if 0 <= to < len(tray):
            tray[at], tray[to] = tray[to], tray[at]
    return tray


def restore_request(state_id: str) -> tuple[str, str]:
    """(data-set id, state id) of a kept state; says so when its data set is gone."""
    state = services.states().get(state_id)
    if state["dataset"] not in services.store():
        raise projector.DataError(f"this view is of data set {state['dataset']}, which is no longer on this "
                                  "server; ask its owner to upload it again.")
    return state["dataset"], state_id


def goto(state_id: str, text: str, uid: str | None = None) -> dict:
    """The GOTO that restores a kept state, with the Bookmarks panel's message about it."""
    dataset_id, state_id = restore_request(state_id)
    return {"dataset": dataset_id, "state": state_id, "uid": uid,
            "message": {"panel": "bookmarks", "text": text, "kind": "ok"}}


# Reading the camera is the browser's business: only it knows where the user has zoomed or turned.
clientside_callback(
    """function (add, share) {
        const gd = document.querySelector('#scatter .js-plotly-plot');
        const trig = window.dash_clientside.callback_context.triggered_id;
        let camera = null;
        if (gd && gd._fullLayout) {
            const L = gd._fullLayout;
            if (gd.layout && gd.layout.scene && gd.layout.scene.camera) {
                camera = {scene: gd.layout.scene.camera};
            } else if (L.scene && L.scene.camera && gd._fullData && gd._fullData[0] && gd._fullData[0].type === 'scatter3d') {
                camera = {scene: L.scene.camera};
            } else if (L.xaxis && L.yaxis && L.xaxis.range && L.yaxis.range) {
                camera = {x: L.xaxis.range.slice(), y: L.yaxis.range.slice()};
            }
        }
        return {purpose: trig === 'share-link' ? 'share' : 'bookmark', camera: camera, t: Date.now()};
    }""",
    Output(ids.CAMERA_CAPTURE, "data"), Input(ids.BOOKMARK_ADD, "n_clicks"), Input(ids.SHARE, "n_clicks"),
    prevent_initial_call=True)


@callback(Output(ids.TRAY, "data"), Output(ids.SHARE_ID, "data"), Output(ids.BOOKMARK_MESSAGE, "children"),
          Output(ids.BOOKMARK_MESSAGE, "className"), Input(ids.CAMERA_CAPTURE, "data"),
          State(ids.TRAY, "data"), State(ids.VIEW, "data"), prevent_initial_call=True)
def keep_view(capture, tray, view):
    """Add the current view to the tray, or keep it for a link."""
    from .view import state_of

    if not isinstance(capture, dict):
        return no_update, no_update, no_update, no_update
    tray = list(tray or []) if isinstance(tray, list) else []
    try:
        state = state_of(view, capture.get("camera"))
        if capture.get("purpose") == "share":
            return (no_update, services.states().put(state),
                    *say("Link ready (above): it opens this view for anyone who can reach this server."))
        entry = tray_entry(f"State {len(tray)}", state)
    except projector.DataError as exc:   # nothing to keep yet, or a full disk
        return no_update, no_update, *say(exc, ERROR)
    return tray + [entry], no_update, *say(f"Added “{entry['name']}”: click ▶ to come back to it.")


clientside_callback(
    """function (sid) {
        if (!sid) { return window.dash_clientside.no_update; }
        return window.location.origin + window.location.pathname + '?view=' + sid;
    }""",
    Output(ids.SHARE_URL, "value"), Input(ids.SHARE_ID, "data"), prevent_initial_call=True)

# A link describes the view it was made of: once the view changes, the old link goes.
clientside_callback("function (view) { return ''; }", Output(ids.SHARE_URL, "value", allow_duplicate=True),
                    Input(ids.VIEW, "data"), prevent_initial_call=True)


@callback(Output(ids.TRAY, "data", allow_duplicate=True),
          Input(ids.bookmark("bookmark-up", ALL), "n_clicks"), Input(ids.bookmark("bookmark-down", ALL), "n_clicks"),
          Input(ids.bookmark("bookmark-delete", ALL), "n_clicks"), Input(ids.bookmark("bookmark-name", ALL), "value"),
          State(ids.TRAY, "data"), prevent_initial_call=True)
def edit_tray(_up, _down, _delete, _names, tray):
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or (trigger["type"] != "bookmark-name" and not ctx.triggered[0]["value"]):
        return no_update
    new = tray_after(tray, trigger["type"], trigger["index"], ctx.triggered[0]["value"])
    return new if new != tray else no_update


@callback(Output(ids.BOOKMARK_MESSAGE, "children", allow_duplicate=True),
          Output(ids.BOOKMARK_MESSAGE, "className", allow_duplicate=True), Input(ids.SETUP, "data"),
          prevent_initial_call=True)
def set_up(setup):
    """The panel's message belongs to the view it was about: a restore says so, anything else clears it."""
    return panel_message(setup, "bookmarks")


@callback(Output(ids.BOOKMARK_LIST, "children"), Input(ids.TRAY, "data"), Input(ids.SETUP, "data"))
def render_tray(tray, restored):
    if not tray or not isinstance(tray, list):
        return html.Div("No bookmarks yet. “Add bookmark” keeps the current view.", className="hint")
    rows = []
    for b in tray:
        uid = b["uid"]
        rows.append(html.Div([
            html.Button("▶", id=ids.bookmark("bookmark-restore", uid), n_clicks=0, className="restore",
                        title="restore this view"),
            dcc.Input(id=ids.bookmark("bookmark-name", uid), value=b["name"], debounce=True, type="text",
                      className="bookmark-name", placeholder="name (Enter renames)"),
            html.Button("↑", id=ids.bookmark("bookmark-up", uid), n_clicks=0, title="move up"),
            html.Button("↓", id=ids.bookmark("bookmark-down", uid), n_clicks=0, title="move down"),
            html.Button("✕", id=ids.bookmark("bookmark-delete", uid), n_clicks=0, title="delete"),
            html.Div(b.get("summary", ""), className="hint bookmark-summary"),
        ], className="bookmark-row active" if (restored or {}).get("uid") == uid else "bookmark-row"))
    return rows


@callback(Output(ids.GOTO, "data", allow_duplicate=True),
          Output(ids.BOOKMARK_MESSAGE, "children", allow_duplicate=True),
          Output(ids.BOOKMARK_MESSAGE, "className", allow_duplicate=True),
          Input(ids.bookmark("bookmark-restore", ALL), "n_clicks"), State(ids.TRAY, "data"),
          prevent_initial_call=True)
def restore_bookmark(_clicks, tray):
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered[0]["value"]:
        return no_update, no_update, no_update
    entry = next((b for b in tray or [] if isinstance(b, dict) and b.get("uid") == trigger["index"]), None)
    if entry is None:
        return no_update, no_update, no_update
    try:
        return goto(entry["state"], f"Restored “{entry['name']}”.", entry["uid"]), no_update, no_update
    except projector.DataError as exc:
        return no_update, *say(f"Cannot restore “{entry['name']}”: {exc}", ERROR)


@callback(Output(ids.BOOKMARK_DOWNLOAD, "data"), Output(ids.BOOKMARK_MESSAGE, "children", allow_duplicate=True),
          Output(ids.BOOKMARK_MESSAGE, "className", allow_duplicate=True),
          Input(ids.BOOKMARK_SAVE, "n_clicks"), State(ids.TRAY, "data"), prevent_initial_call=True)
def save_bookmarks(_, tray):
    if not tray:
        return no_update, *say("There are no bookmarks to save yet: “Add bookmark” keeps the current view.", ERROR)
    marks = []
    for b in tray:
        try:
            marks.append({"name": b["name"], "state": services.states().get(b["state"])})
        except projector.DataError as exc:
            return no_update, *say(f"“{b['name']}” cannot be saved: {exc}", ERROR)
    return (dcc.send_bytes(bookmarks_file(marks), "bookmarks.json"),
            *say(f"Saved {len(marks)} bookmark{'s' if len(marks) != 1 else ''} to bookmarks.json."))


def imported_bookmarks(data: bytes, dataset_id) -> list[dict]:
    """Tray entries for a bookmark file: one saved here (each state checked against its own data set,
    which must be on this server) or TensorBoard's (mapped onto the data set shown now)."""
    kind, marks = parse_bookmarks_file(data)
    store = services.store()
    entries = []
    if kind == "tensorboard":
        if not dataset_id:
            raise projector.DataError("pick the data set these TensorBoard bookmarks were made for, then load them.")
        ds = store.get(dataset_id)
        for mark in from_tensorboard(marks, ds.num_points, ds.dim, list(map(str, ds.metadata.columns)), ds.id):
            entries.append(tray_entry(mark["name"], mark["state"]))
        return entries
    for i, mark in enumerate(marks):
        name = str(mark.get("name") or f"Bookmark {i + 1}")
        target = mark["state"].get("dataset")
        if target not in store:
            raise projector.DataError(f"“{name[:60]}” is of data set {str(target)[:40]}, which is not on this server; "
                                      "upload that data set first, then load the bookmarks again.")
        ds = store.get(target)
        try:
            state = clean_state(mark["state"], ds.num_points, ds.dim)
        except projector.DataError as exc:
            raise projector.DataError(f"“{name[:60]}” does not fit its data set: {exc}") from None
        entries.append(tray_entry(name, state))
    return entries


@callback(Output(ids.TRAY, "data", allow_duplicate=True), Output(ids.GOTO, "data", allow_duplicate=True),
          Output(ids.BOOKMARK_MESSAGE, "children", allow_duplicate=True),
          Output(ids.BOOKMARK_MESSAGE, "className", allow_duplicate=True),
          Input(ids.BOOKMARK_FILE, "contents"), State(ids.BOOKMARK_FILE, "filename"), State(ids.TRAY, "data"),
          State(ids.VIEW, "data"), prevent_initial_call=True)
def load_bookmarks(contents, filename, tray, view):
    """Add a file's bookmarks to the tray and restore the first, as TensorBoard does."""
    if not contents or not isinstance(contents, str):
        return no_update, no_update, no_update, no_update
    try:
        data = base64.b64decode(contents.split(",", 1)[1], validate=False)
        entries = imported_bookmarks(data, (view or {}).get("dataset"))
        if not entries:
            raise projector.DataError("this bookmark file holds no bookmarks.")
        first = goto(entries[0]["state"], f"Loaded {len(entries)} bookmark{'s' if len(entries) != 1 else ''} from "
                                          f"{filename}; showing “{entries[0]['name']}”.", entries[0]["uid"])
    except projector.DataError as exc:
        return no_update, no_update, *say(f"{filename}: {exc}", ERROR)
    except (ValueError, IndexError):
        return no_update, no_update, *say(f"{filename} could not be read; choose it again.", ERROR)
    return list(tray or []) + entries, first, no_update, no_update

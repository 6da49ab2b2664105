"""Bookmarks and shared links: keep the current view, restore it, rename, reorder, delete, save all to
a file, load a file (saved here or TensorBoard's), and links that open a view for a teammate."""
from __future__ import annotations

import base64
import secrets
from urllib.parse import parse_qs

from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update

import projector
from components import ids
from projector.state import NAME_MAX, bookmarks_file, clean_state, from_tensorboard, parse_bookmarks_file

from . import services
from .views import METHOD_NAMES, sentence

OK, BAD = "message ok", "message"


def current_state(dataset_id, subset_id, spherize, view, colour_by, label_by, selection, search: dict,
                  neighbours: dict, camera) -> dict:
    """The view a user sees now, as a checked state (see :mod:`projector.state`)."""
    if not dataset_id or not view or view.get("dataset") != dataset_id:
        raise projector.DataError("nothing is drawn yet: pick a data set and a projection first.")
    ds = services.store().get(dataset_id)
    subset = services.get_subset(subset_id)
    given, controls = None, None
    if view["method"] == "given":  # a view of stored coordinates keeps them
        source = services.states().get(view["params"]["state"])
        given, controls = source.get("given"), source.get("controls")
    raw = {"dataset": dataset_id, "subset": None if subset is None else subset.tolist(), "spherize": bool(spherize),
           "method": view["method"], "dims": view["dims"], "params": view["params"], "colour_by": colour_by,
           "label_by": label_by, "selection": {k: v for k, v in (selection or {}).items() if k != "search"},
           "search": search, "neighbours": neighbours, "camera": camera, "view_key": view.get("key"),
           "given": given, "controls": controls}
    return clean_state(raw, ds.num_points, ds.dim)


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


def controls_for(state: dict, ds, state_id: str) -> dict:
    """The value of every panel control that restores ``state`` (keys as in the data panel's set-up)."""
    method = (state.get("controls") or "pca") if state["method"] == "given" else state["method"]
    p, three = state.get("params") or {}, ["3d"] if state["dims"] == 3 else []
    out = {"tab": "given" if state["method"] == "given" else method}
    if method == "pca":
        comps = list(p.get("components") or [0, 1]) + [2]
        out.update(pca_x=comps[0], pca_y=comps[1], pca_z=comps[2], pca_3d=three)
    elif method == "tsne":
        lr = p.get("learning_rate")
        out.update(tsne_3d=three, perplexity=p.get("perplexity"), lr=None if lr in (None, "auto") else lr,
                   iterations=p.get("iterations"))
    elif method == "umap":
        out.update(umap_3d=three, umap_neighbors=p.get("n_neighbors"), umap_min_dist=p.get("min_dist"))
    elif method == "custom":
        out.update(left=p.get("left") or "", right=p.get("right") or "", up=p.get("up") or "",
                   down=p.get("down") or "", custom_regex=["on"] if p.get("regex") else [],
                   custom_column=p.get("column") if p.get("column") in ds.metadata.columns else None)
    elif method == "raw":
        out.update(raw_3d=three)
    columns = set(map(str, ds.metadata.columns))
    search = dict(state.get("search") or {})
    search["column"] = search.get("column") if search.get("column") in columns else ds.default_column()
    selection = dict(state["selection"])
    if search.get("query"):  # the selection already holds this search's result: it is not run again
        selection["search"] = search
    out.update(
        colour=state["colour_by"] if state.get("colour_by") in columns else None,
        label=state["label_by"] if state.get("label_by") in columns else ds.default_column(),
        spherize=["on"] if state["spherize"] else [],
        subset=services.cache().put_subset(state["subset"]) if state.get("subset") else None,
        selection=selection, search=search.get("query") or "", search_regex=["on"] if search.get("regex") else [],
        search_column=search["column"],
        search_scope=search.get("scope") or "all", k=state["neighbours"]["k"], metric=state["neighbours"]["metric"],
        given={"state": state_id, "dims": state["dims"], "axes": state["given"]["axes"]}
        if state["method"] == "given" else None,
        camera={"view_key": state.get("view_key"), "camera": state["camera"], "nonce": secrets.token_hex(4)}
        if state.get("camera") else None)
    return out


def restore_request(state_id: str) -> tuple[str, dict]:
    """(data-set id, the RESTORE store's value) for a kept state; says so when its data set is gone."""
    state = services.states().get(state_id)
    if state["dataset"] not in services.store():
        raise projector.DataError(f"this view is of data set {state['dataset']}, which is no longer on this "
                                  "server; ask its owner to upload it again.")
    return state["dataset"], {"state": state_id, "nonce": secrets.token_hex(4)}


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
          State(ids.TRAY, "data"), State(ids.DATASET, "value"), State(ids.SUBSET, "data"),
          State(ids.SPHERIZE, "value"), State(ids.CURRENT_VIEW, "data"), State(ids.COLOR_BY, "value"),
          State(ids.LABEL_BY, "value"), State(ids.SELECTION, "data"), State(ids.SEARCH, "value"),
          State(ids.SEARCH_REGEX, "value"), State(ids.SEARCH_COLUMN, "value"), State(ids.SEARCH_SCOPE, "value"),
          State(ids.NEIGHBOR_COUNT, "value"), State(ids.METRIC, "value"), prevent_initial_call=True)
def keep_view(capture, tray, dataset_id, subset_id, spherize, view, colour_by, label_by, selection, query, regex,
              column, scope, k, metric):
    """Add the current view to the tray, or keep it for a link."""
    if not capture:
        return no_update, no_update, no_update, no_update
    try:
        state = current_state(dataset_id, subset_id, spherize, view, colour_by, label_by, selection,
                              {"query": query or "", "regex": bool(regex), "column": column, "scope": scope},
                              {"k": k, "metric": metric}, capture.get("camera"))
    except projector.DataError as exc:
        return no_update, no_update, sentence(exc), BAD
    if capture.get("purpose") == "share":
        return (no_update, services.states().put(state),
                "Link ready (above): it opens this view for anyone who can reach this server.", OK)
    tray = list(tray or [])
    entry = tray_entry(f"State {len(tray)}", state)
    return tray + [entry], no_update, f"Added “{entry['name']}”: click ▶ to come back to it.", OK


clientside_callback(
    """function (sid) {
        if (!sid) { return window.dash_clientside.no_update; }
        return window.location.origin + window.location.pathname + '?view=' + sid;
    }""",
    Output(ids.SHARE_URL, "value"), Input(ids.SHARE_ID, "data"), prevent_initial_call=True)


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


@callback(Output(ids.BOOKMARK_LIST, "children"), Input(ids.TRAY, "data"), Input(ids.RESTORE, "data"))
def render_tray(tray, restored):
    if not tray:
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


@callback(Output(ids.DATASET, "value", allow_duplicate=True), Output(ids.RESTORE, "data"),
          Output(ids.BOOKMARK_MESSAGE, "children", allow_duplicate=True),
          Output(ids.BOOKMARK_MESSAGE, "className", allow_duplicate=True),
          Input(ids.bookmark("bookmark-restore", ALL), "n_clicks"), State(ids.TRAY, "data"),
          prevent_initial_call=True)
def restore_bookmark(_clicks, tray):
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered[0]["value"]:
        return no_update, no_update, no_update, no_update
    entry = next((b for b in tray or [] if b["uid"] == trigger["index"]), None)
    if entry is None:
        return no_update, no_update, no_update, no_update
    try:
        dataset_id, restore = restore_request(entry["state"])
    except projector.DataError as exc:
        return no_update, no_update, f"Cannot restore “{entry['name']}”: {exc}", BAD
    return dataset_id, {**restore, "uid": entry["uid"]}, f"Restored “{entry['name']}”.", OK


@callback(Output(ids.BOOKMARK_DOWNLOAD, "data"), Output(ids.BOOKMARK_MESSAGE, "children", allow_duplicate=True),
          Output(ids.BOOKMARK_MESSAGE, "className", allow_duplicate=True),
          Input(ids.BOOKMARK_SAVE, "n_clicks"), State(ids.TRAY, "data"), prevent_initial_call=True)
def save_bookmarks(_, tray):
    if not tray:
        return no_update, "There are no bookmarks to save yet: “Add bookmark” keeps the current view.", BAD
    marks = []
    for b in tray:
        try:
            marks.append({"name": b["name"], "state": services.states().get(b["state"])})
        except projector.DataError as exc:
            return no_update, f"“{b['name']}” cannot be saved: {exc}", BAD
    return (dcc.send_bytes(bookmarks_file(marks), "bookmarks.json"),
            f"Saved {len(marks)} bookmark{'s' if len(marks) != 1 else ''} to bookmarks.json.", OK)


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


@callback(Output(ids.TRAY, "data", allow_duplicate=True), Output(ids.DATASET, "value", allow_duplicate=True),
          Output(ids.RESTORE, "data", allow_duplicate=True),
          Output(ids.BOOKMARK_MESSAGE, "children", allow_duplicate=True),
          Output(ids.BOOKMARK_MESSAGE, "className", allow_duplicate=True),
          Input(ids.BOOKMARK_FILE, "contents"), State(ids.BOOKMARK_FILE, "filename"), State(ids.TRAY, "data"),
          State(ids.DATASET, "value"), prevent_initial_call=True)
def load_bookmarks(contents, filename, tray, dataset_id):
    """Add a file's bookmarks to the tray and restore the first, as TensorBoard does."""
    if not contents:
        return no_update, no_update, no_update, no_update, no_update
    try:
        data = base64.b64decode(contents.split(",", 1)[1], validate=False)
        entries = imported_bookmarks(data, dataset_id)
        if not entries:
            raise projector.DataError("this bookmark file holds no bookmarks.")
        first_dataset, restore = restore_request(entries[0]["state"])
    except projector.DataError as exc:
        return no_update, no_update, no_update, f"{filename}: {exc}", BAD
    except (ValueError, IndexError):
        return no_update, no_update, no_update, f"{filename} could not be read; choose it again.", BAD
    return (list(tray or []) + entries, first_dataset, {**restore, "uid": entries[0]["uid"]},
            f"Loaded {len(entries)} bookmark{'s' if len(entries) != 1 else ''} from {filename}; "
            f"showing “{entries[0]['name']}”.", OK)


@callback(Output(ids.DATASET, "value", allow_duplicate=True), Output(ids.RESTORE, "data", allow_duplicate=True),
          Output(ids.DATA_MESSAGE, "children", allow_duplicate=True),
          Output(ids.DATA_MESSAGE, "className", allow_duplicate=True),
          Input(ids.URL, "search"), prevent_initial_call=True)
def open_link(search):
    """A shared link (``?view=<id>``) opens its view; a link to a data set that is gone says so."""
    sid = parse_qs((search or "").lstrip("?")).get("view", [None])[0]
    if not sid:
        return no_update, no_update, no_update, no_update
    try:
        dataset_id, restore = restore_request(sid)
    except projector.DataError as exc:
        return no_update, no_update, f"This link cannot be opened: {exc}", "message"
    return dataset_id, restore, "Opened a shared view.", "message ok"

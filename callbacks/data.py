"""Data panel: the data-set picker (every switch of data set or whole view goes through it), uploads and
Load, colour by, label by, spherize, images."""
from __future__ import annotations

import secrets
import shutil
from pathlib import Path

import pandas as pd
from dash import Input, Output, State, callback, ctx, html, no_update
from dash.exceptions import PreventUpdate

import projector
from components import ids

from . import services, staging
from .figures import MAX_CATEGORIES
from .views import ERROR, OK, SILENT, WARN, say, sentence

SPHERIZE_MIN_DIM = 50  # the anchor turns spherize on by default from this many dimensions


def dataset_options() -> list[dict]:
    return [{"label": f"{m['name']} ({m['num_points']:,} × {m['dim']})", "value": m["id"]}
            for m in services.store().list()]


def kept_state(state_id: str | None) -> dict | None:
    """The state a SETUP names (from a bookmark, a link, a reload or a tag), or None."""
    return services.states().get(state_id) if state_id else None


# ---------------------------------------------------------------- switching data set or view

@callback(Output(ids.DATASET, "value"), Output(ids.DATASET, "options"), Output(ids.SETUP, "data"),
          Input(ids.DATASET, "value"), Input(ids.GOTO, "data"), prevent_initial_call=True)
def switch(picked, goto):
    """Everything that changes the data set or the whole view — a pick here, Load, a bookmark, a link,
    a reload, a tag — comes through here, and every panel sets itself up from the one SETUP."""
    return setup_for(picked, goto if f"{ids.GOTO}.data" in ctx.triggered_prop_ids else None)


def setup_for(picked, goto: dict | None):
    """(picker value, picker options, SETUP) for a data set picked in the list, or for a GOTO."""
    nonce = secrets.token_hex(4)
    if goto is None:
        if not isinstance(picked, str) or picked not in services.store():
            return no_update, dataset_options(), {
                "dataset": None, "state": None, "nonce": nonce,
                "message": {"panel": "data", "kind": ERROR,
                            "text": "That data set is not on the server; pick one from the list."}}
        return no_update, no_update, {"dataset": picked, "state": None, "message": None, "nonce": nonce}
    if not isinstance(goto, dict):
        return no_update, no_update, no_update
    dataset = goto.get("dataset")
    options = dataset_options()
    if dataset not in {o["value"] for o in options}:
        dataset = options[0]["value"] if options else None
        goto = {**goto, "state": None}
    return dataset, options, {"dataset": dataset, "state": goto.get("state"), "message": goto.get("message"),
                              "uid": goto.get("uid"), "nonce": nonce}


# ---------------------------------------------------------------- the panel's own controls

def colour_choices(ds) -> tuple[list[dict], set[str]]:
    """Dropdown options for colour-by, and the columns that cannot colour: text with a different
    value on every point (each point would get its own colour) says so in its option."""
    options, unusable = [], set()
    for c in map(str, ds.metadata.columns):
        series = ds.metadata[c]
        unique = not pd.api.types.is_numeric_dtype(series.dtype) and ds.num_points > MAX_CATEGORIES and \
            series.nunique(dropna=True) == ds.num_points
        if unique:
            unusable.add(c)
            options.append({"label": f"{c} — a different value on every point", "value": c, "disabled": True,
                            "title": "each point would get its own colour; pick a column whose values repeat"})
        else:
            options.append({"label": c, "value": c})
    return options, unusable


def column_options(ds) -> list[dict]:
    return [{"label": str(c), "value": str(c)} for c in ds.metadata.columns]


def default_colour_column(ds, unusable=()) -> str | None:
    """The first column with 2 to 20 distinct values: a natural thing to colour by."""
    for c in ds.metadata.columns:
        if str(c) not in unusable and 2 <= ds.metadata[c].nunique(dropna=True) <= MAX_CATEGORIES:
            return str(c)
    return None


def panel_message(setup: dict, panel: str):
    """The message a SETUP carries for ``panel`` (Load's, a restore's), else silence: messages belong
    to their context and go when it changes."""
    msg = (setup or {}).get("message") or {}
    return say(msg.get("text"), msg.get("kind", OK)) if msg.get("panel") == panel else SILENT


SET_UP = dict(
    colour_options=Output(ids.COLOR_BY, "options"), colour=Output(ids.COLOR_BY, "value"),
    colour_message=Output(ids.COLOR_MESSAGE, "children"),
    label_options=Output(ids.LABEL_BY, "options"), label=Output(ids.LABEL_BY, "value"),
    spherize=Output(ids.SPHERIZE, "value"), images_options=Output(ids.IMAGES, "options"),
    images=Output(ids.IMAGES, "value"), density=Output(ids.DENSITY, "value"),
    info=Output(ids.DATASET_INFO, "children"),
    message=Output(ids.DATA_MESSAGE, "children"), message_kind=Output(ids.DATA_MESSAGE, "className"),
    upload_open=Output(ids.UPLOAD_BOX, "open"),
)


@callback(output=SET_UP, inputs=dict(setup=Input(ids.SETUP, "data")), prevent_initial_call=True)
def set_up(setup):
    """The Data panel's controls for a data set: its defaults, or what a restored state asks for."""
    text, kind = panel_message(setup, "data")
    out = dict(message=text, message_kind=kind, colour_message="")
    dataset_id = (setup or {}).get("dataset")
    if not dataset_id:
        return {**out, "colour_options": [], "colour": None, "label_options": [], "label": None, "spherize": [],
                "images_options": images_options(False), "images": [], "density": [], "info": "",
                "upload_open": True}
    ds = services.store().get(dataset_id)
    options, unusable = colour_choices(ds)
    columns = {o["value"] for o in options}
    state = kept_state(setup.get("state"))
    if state:
        colour = state.get("colour_by")
        if colour in unusable:
            out["colour_message"] = (f"{colour} has a different value on every point, so it cannot colour them; "
                                     "pick a column whose values repeat.")
        colour = colour if colour in columns and colour not in unusable else None
        label = state.get("label_by") if state.get("label_by") in columns else ds.default_column()
        spherize, images = bool(state.get("spherize")), bool(state.get("images")) and ds.sprite is not None
        density = bool(state.get("density"))
    else:
        colour, label = default_colour_column(ds, unusable), ds.default_column()
        spherize, images, density = ds.dim >= SPHERIZE_MIN_DIM, False, False
    info = f"{ds.num_points:,} points × {ds.dim} dimensions; {len(ds.metadata.columns)} metadata columns."
    if ds.warnings:
        info = [info, *[html.Div(sentence(w), className="warn-line") for w in ds.warnings]]
    return {**out, "colour_options": options, "colour": colour, "label_options": column_options(ds), "label": label,
            "spherize": ["on"] if spherize else [], "images_options": images_options(ds.sprite is not None),
            "images": ["on"] if images else [], "density": ["on"] if density else [], "info": info,
            "upload_open": no_update}


def images_options(enabled: bool) -> list[dict]:
    return [{"label": " Images instead of dots", "value": "on", "disabled": not enabled}]


# The panel's part of the view record: what its controls say.
PART = dict(dataset=Input(ids.DATASET, "value"), colour=Input(ids.COLOR_BY, "value"),
            label=Input(ids.LABEL_BY, "value"), spherize=Input(ids.SPHERIZE, "value"),
            images=Input(ids.IMAGES, "value"), density=Input(ids.DENSITY, "value"))


def part(dataset, colour, label, spherize, images, density) -> dict:
    return {"dataset": dataset if isinstance(dataset, str) else None, "colour_by": colour or None,
            "label_by": label or None, "spherize": bool(spherize), "images": bool(images),
            "density": bool(density)}


# ---------------------------------------------------------------- uploads and Load

ALREADY_STORED = "these embeddings and metadata are already stored"   # what load_staged says first, then


def load_staged(vectors: dict | None, metadata: dict | None, dim, name, sprite: dict | None = None,
                sprite_dim=None, column: str | None = None) -> tuple[str, list[str]]:
    """Parse staged uploads, add the data set to the store; returns (id, warnings)."""
    vpath = staging.staged_path(vectors)
    if vpath is None:
        raise projector.DataError("choose an embeddings file first (.npy, .npz, .tsv, .bytes, Parquet, Arrow or "
                                  "safetensors).")
    mpath = staging.staged_path(metadata)
    if metadata and mpath is None:
        raise projector.DataError("the metadata upload is gone from the server; upload it again.")
    shape = None
    if vpath.suffix.lower() == ".bytes":
        if not dim:
            raise projector.DataError("a .bytes file holds raw float32 values: enter its dimension D and press Load.")
        shape = (None, int(dim))
    ds = projector.load_dataset(vpath, mpath, name=(name or "").strip() or vpath.stem, shape=shape, column=column)
    if sprite:
        spath = staging.staged_path(sprite)
        if spath is None:
            raise projector.DataError("the sprite upload is gone from the server; upload it again.")
        if not sprite_dim or not all(sprite_dim):
            raise projector.DataError("a sprite needs its thumbnail width and height in pixels: enter both and press Load.")
        ds.sprite, warning = projector.read_sprite(spath, tuple(int(v) for v in sprite_dim), ds.num_points)
        if warning:
            ds.warnings.append(sentence(warning))
    staged_dirs = [staging.staged_path(h).parent for h in (vectors, metadata, sprite) if staging.staged_path(h)]
    store = services.store()
    before = None   # the same content stored already: its name, and whether it had a sprite before this add
    if ds.id in store:
        old = store.get(ds.id)
        before = (old.name, old.sprite is not None)
    store.add(ds, adopt=vpath)  # the upload's file is linked into the store: no second copy
    for folder in staged_dirs:
        shutil.rmtree(folder, ignore_errors=True)
    notes = list(ds.warnings)
    if before is not None:   # the same vectors and metadata: the stored data set is shown, never a second one
        name, had_sprite = before
        said = f"{ALREADY_STORED} as “{name}”, so that data set is shown"
        if ds.name != name:
            said += f" under its own name (not “{ds.name}”)"
        if ds.sprite is not None:
            said += ("; it keeps the sprite it was stored with (the new one was not used)" if had_sprite
                     else "; the new sprite was added to it")
        notes.insert(0, said + ".")
    return ds.id, notes


STAGED = dict(vectors=Output(ids.STAGED_VECTORS, "data", allow_duplicate=True),
              metadata=Output(ids.STAGED_METADATA, "data", allow_duplicate=True),
              sprite=Output(ids.STAGED_SPRITE, "data", allow_duplicate=True),
              vectors_name=Output(ids.UPLOAD_VECTORS_NAME, "children", allow_duplicate=True),
              metadata_name=Output(ids.UPLOAD_METADATA_NAME, "children", allow_duplicate=True),
              sprite_name=Output(ids.UPLOAD_SPRITE_NAME, "children", allow_duplicate=True))


def cleared_uploads(note: str = "") -> dict:
    """The upload slots emptied: after a Load (its files are in the store) or a Cancel."""
    return dict(vectors=None, metadata=None, sprite=None, vectors_name=note, metadata_name="", sprite_name="")


@callback(output=dict(goto=Output(ids.GOTO, "data"), message=Output(ids.DATA_MESSAGE, "children", allow_duplicate=True),
                      message_kind=Output(ids.DATA_MESSAGE, "className", allow_duplicate=True),
                      upload_open=Output(ids.UPLOAD_BOX, "open", allow_duplicate=True), staged=STAGED),
          inputs=dict(_=Input(ids.LOAD, "n_clicks"), vectors=State(ids.STAGED_VECTORS, "data"),
                      metadata=State(ids.STAGED_METADATA, "data"), dim=State(ids.BYTES_DIM, "value"),
                      sprite=State(ids.STAGED_SPRITE, "data"), width=State(ids.SPRITE_WIDTH, "value"),
                      height=State(ids.SPRITE_HEIGHT, "value"), name=State(ids.UPLOAD_NAME, "value"),
                      column=State(ids.UPLOAD_COLUMN, "value")),
          prevent_initial_call=True)
def on_load(_, vectors, metadata, dim, sprite, width, height, name, column=None):
    """Store the staged files as a data set and show it; the upload box folds away."""
    try:
        dataset_id, warnings = load_staged(vectors, metadata, dim, name, sprite, (width, height) if sprite else None,
                                           column=(column or "").strip() or None)
    except projector.DataError as exc:
        text, kind = say(exc, ERROR)
        return dict(goto=no_update, message=text, message_kind=kind, upload_open=no_update,
                    staged={k: no_update for k in STAGED})
    ds = services.store().get(dataset_id)
    verb = "Opened" if warnings and warnings[0].startswith(ALREADY_STORED) else "Loaded"
    text = " ".join([f"{verb} {ds.name}: {ds.num_points:,} points × {ds.dim} dimensions.", *map(sentence, warnings)])
    goto = {"dataset": dataset_id, "state": None, "message": {"panel": "data", "text": text,
                                                              "kind": WARN if warnings else OK}}
    return dict(goto=goto, message=no_update, message_kind=no_update, upload_open=False, staged=cleared_uploads())


@callback(output=STAGED, inputs=dict(_=Input(ids.UPLOAD_CANCEL, "n_clicks"), vectors=State(ids.STAGED_VECTORS, "data"),
                                     metadata=State(ids.STAGED_METADATA, "data"), sprite=State(ids.STAGED_SPRITE, "data")),
          prevent_initial_call=True)
def cancel_upload(_, vectors, metadata, sprite):
    """Cancel upload forgets every staged file (and deletes it); uploads still running stop in the page."""
    for handle in (vectors, metadata, sprite):
        if isinstance(handle, dict):
            try:
                staging.cancel(str(handle.get("token", "")))
            except projector.DataError:
                pass
    return cleared_uploads("Upload cancelled; nothing was kept.")


# ---------------------------------------------------------------- a log folder's run × tensor × step

def _step_key(m: dict):
    step = m["source"].get("step")
    return (step is None, step if step is not None else 0, m.get("added", 0))


def run_label(run: str, logged: list[dict]) -> str:
    """A run as the picker names it: its folder below the log folder, or the log folder's own name."""
    if run not in ("", "."):
        return run
    roots = {Path(str(m["source"].get("logdir") or "")).name for m in logged if m["source"]["run"] == run}
    return f"{sorted(roots)[0]} (the log folder)" if len(roots) == 1 and "" not in roots else "(the log folder)"


def picker_for(dataset_id: str | None, manifests: list[dict] | None = None) -> dict:
    """The run, tensor and step pickers for ``dataset_id``, hidden unless it came from a log folder: options
    from every data set that came from one, values from this one's source."""
    manifests = services.store().list() if manifests is None else manifests
    logged = [m for m in manifests if isinstance(m.get("source"), dict) and "run" in m["source"]]
    mine = next((m["source"] for m in logged if m["id"] == dataset_id), None)
    if mine is None:   # shown only for a data set from a log folder (the data-set list leads to one)
        return {"hidden": True, "runs": [], "run": None, "tensors": [], "tensor": None, "steps": [], "step": None}
    runs = sorted({m["source"]["run"] for m in logged})
    run = mine["run"]
    tensors = sorted({m["source"].get("tensor") or "" for m in logged if m["source"]["run"] == run})
    tensor = mine.get("tensor") or ""
    steps = sorted((m for m in logged if m["source"]["run"] == run and (m["source"].get("tensor") or "") == tensor),
                   key=_step_key)
    return {"hidden": False,
            "runs": [{"label": run_label(r, logged), "value": r} for r in runs], "run": run,
            "tensors": [{"label": t or "(unnamed)", "value": t} for t in tensors], "tensor": tensor,
            "steps": [{"label": "step {:,}".format(m["source"]["step"]) if m["source"].get("step") is not None
                       else "(no step)", "value": m["id"]} for m in steps],
            "step": dataset_id}


PICKER = dict(hidden=Output(ids.RUN_PICKER, "hidden"), runs=Output(ids.PICK_RUN, "options"),
              run=Output(ids.PICK_RUN, "value"), tensors=Output(ids.PICK_TENSOR, "options"),
              tensor=Output(ids.PICK_TENSOR, "value"), steps=Output(ids.PICK_STEP, "options"),
              step=Output(ids.PICK_STEP, "value"))


@callback(output=PICKER, inputs=dict(setup=Input(ids.SETUP, "data")), prevent_initial_call=True)
def set_up_picker(setup):
    """The pickers follow the data set on screen, whichever way it was picked."""
    return picker_for((setup or {}).get("dataset"))


@callback(Output(ids.DATASET, "value", allow_duplicate=True),
          Input(ids.PICK_RUN, "value"), Input(ids.PICK_TENSOR, "value"), Input(ids.PICK_STEP, "value"),
          State(ids.DATASET, "value"), prevent_initial_call=True)
def pick_logged(run, tensor, step, current):
    """A run, tensor or step picked: the data set it names (a run or tensor: its latest step, the same
    tensor where the run has one), through the data-set picker like any other pick."""
    logged = [m for m in services.store().list() if isinstance(m.get("source"), dict) and "run" in m["source"]]
    by_id = {m["id"]: m for m in logged}
    triggered = ctx.triggered_prop_ids
    if f"{ids.PICK_STEP}.value" in triggered and step in by_id:
        target = step
    else:
        if f"{ids.PICK_TENSOR}.value" not in triggered and current in by_id:
            tensor = by_id[current]["source"].get("tensor") or ""   # a new run: the same tensor, if it has one
        in_run = [m for m in logged if m["source"]["run"] == run]
        if not in_run:
            return no_update
        names = sorted({m["source"].get("tensor") or "" for m in in_run})
        tensor = tensor if tensor in names else names[0]   # a run without that tensor: its first one
        same = [m for m in in_run if (m["source"].get("tensor") or "") == tensor]
        target = max(same, key=_step_key)["id"]
    return no_update if target == current else target


@callback(output=dict(options=Output(ids.DATASET, "options", allow_duplicate=True),
                     **{k: Output(o.component_id, o.component_property, allow_duplicate=True) for k, o in PICKER.items()}),
          inputs=dict(_tick=Input(ids.STORE_TICK, "n_intervals")),
          state=dict(options=State(ids.DATASET, "options"), current=State(ids.DATASET, "value")),
          prevent_initial_call=True)
def store_tick(_tick, options, current):
    """Every few seconds: data sets added since this page listed them (a new checkpoint in the log folder,
    another client's upload) come into the lists; nothing else on screen changes."""
    manifests = services.store().list()
    listed = {o.get("value") for o in options or [] if isinstance(o, dict)}
    if {m["id"] for m in manifests} == listed:
        raise PreventUpdate
    return {"options": dataset_options(), **picker_for(current, manifests)}

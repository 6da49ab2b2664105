"""The one view state: the record every panel, the plot, the header, bookmarks and links derive from.

    {"dataset", "name", "num_points", "dim", "version", "sprite",     the data set and its metadata version
     "subset" {"id", "n"} or None, "n",                               the isolated points, how many are shown
     "spherize", "request" {"method", "dims", "params"},              the projection asked for
     "colour_by", "label_by", "images", "density",
     "selection", "search", "neighbours", "camera"}

Each panel owns its controls and says how they map onto its part of the record (``PART`` and
``part()`` in its module); :func:`compose` joins the parts. A change of data set or whole view
goes through one SETUP that every panel sets itself up from (see :mod:`callbacks.data`). The
record is also kept in the tab's session storage and the browser's local storage, so a reload or a
new tab comes back to the same data set, tab and parameters.
"""
from __future__ import annotations

from urllib.parse import parse_qs

from dash import Input, Output, State, callback, clientside_callback, no_update

import projector
from components import ids
from projector.state import clean_state

from . import data, inspector, projection, services
from .views import selection_of, selection_points, view_points


def compose_view(data_part: dict, projection_part: dict, inspector_part: dict, camera) -> dict:
    """The view record from the panels' parts: a subset or selection of another data set is dropped."""
    dataset_id = data_part["dataset"]
    if not dataset_id or dataset_id not in services.store():
        return {"dataset": None}
    ds = services.store().get(dataset_id)
    subset = inspector_part["subset"]
    if not subset or subset.get("dataset") != dataset_id:
        subset = None
    selection = inspector_part["selection"]
    if selection and selection.get("dataset") != dataset_id:
        selection = None
    return {"dataset": dataset_id, "name": ds.name, "num_points": ds.num_points, "dim": ds.dim,
            "version": ds.metadata_version, "sprite": ds.sprite is not None,
            "subset": {"id": subset["id"], "n": int(subset["n"])} if subset else None,
            "n": int(subset["n"]) if subset else ds.num_points, "spherize": data_part["spherize"],
            "request": projection_part, "colour_by": data_part["colour_by"], "label_by": data_part["label_by"],
            "images": data_part["images"] and ds.sprite is not None, "density": bool(data_part.get("density")),
            "selection": selection,
            "search": inspector_part["search"], "neighbours": inspector_part["neighbours"],
            "camera": camera if isinstance(camera, dict) else None}


@callback(Output(ids.VIEW, "data"),
          inputs=dict(setup=Input(ids.SETUP, "data"), data_part=data.PART, projection_part=projection.PART,
                      inspector_part=inspector.PART, camera=Input(ids.CAMERA_TARGET, "data")),
          prevent_initial_call=True)
def compose(setup, data_part, projection_part, inspector_part, camera):
    """Join the panels' parts into the view record (after every panel has set itself up)."""
    return compose_view(data.part(**data_part), projection.part(**projection_part),
                        inspector.part(**inspector_part), camera)


def state_of(view: dict, camera=None, **changes) -> dict:
    """The view record as a checked state (what bookmarks, links and files hold), with ``changes``."""
    if not view or not view.get("dataset") or view["dataset"] not in services.store():
        raise projector.DataError("nothing is drawn yet: pick a data set and a projection first.")
    ds = services.store().get(view["dataset"])
    request = view.get("request") or {}
    selection = selection_of(view)
    given, controls = None, None
    if request.get("method") == "given":   # a view of stored coordinates keeps them
        source = services.states().get((request.get("params") or {}).get("state"))
        given, controls = source.get("given"), source.get("controls")
    raw = {"dataset": view["dataset"], "subset": view_points(view).tolist() if view.get("subset") else None,
           "spherize": bool(view.get("spherize")), "method": request.get("method"), "dims": request.get("dims"),
           "params": request.get("params") or {}, "colour_by": view.get("colour_by"), "label_by": view.get("label_by"),
           "images": bool(view.get("images")), "density": bool(view.get("density")),
           "selection": {"anchor": selection.get("anchor"), "neighbors": selection.get("neighbors") or [],
                         "points": selection_points(selection).tolist(), "filter": bool(selection.get("filter"))},
           "search": view.get("search") or {}, "neighbours": view.get("neighbours") or {}, "camera": camera,
           "given": given, "controls": controls, **changes}
    return clean_state(raw, ds.num_points, ds.dim)


def goto_view(view: dict, message: dict | None = None, **changes) -> dict:
    """A GOTO that restores ``view`` (a reload, a new tab, a tag) as it is, with ``changes``."""
    state = state_of(view, **changes)
    return {"dataset": state["dataset"], "state": services.states().put(state), "message": message}


# Kept where the browser keeps things: this tab (a reload comes back to it) and every new tab.
clientside_callback("function (view) { return [view, view]; }", Output(ids.SAVED_VIEW, "data"),
                    Output(ids.LAST_VIEW, "data"), Input(ids.VIEW, "data"), prevent_initial_call=True)


@callback(Output(ids.GOTO, "data"), Output(ids.URL, "search"), Input(ids.URL, "search"),
          State(ids.SAVED_VIEW, "data"), State(ids.LAST_VIEW, "data"), State(ids.DATASET, "value"))
def boot(search, saved, last, first):
    """When the page opens: a shared link (``?view=<id>``) opens its view; otherwise this tab's own view
    comes back after a reload, a new tab opens on the browser's last view, and a first visit on the
    first data set. The link is taken out of the address, so a reload keeps what was done since."""
    from .bookmarks import restore_request

    query = parse_qs((search or "").lstrip("?"))
    link = query.get("view", [None])[0]
    if link:
        try:
            dataset_id, state_id = restore_request(link)
            # projector.show's links open the data set just given (?view=…&opened=show): nothing was shared
            text = None if query.get("opened") == ["show"] else "Opened a shared view."
            return {"dataset": dataset_id, "state": state_id,
                    "message": {"panel": "data", "text": text, "kind": "ok"} if text else None}, ""
        except projector.DataError as exc:
            return {"dataset": first, "state": None,
                    "message": {"panel": "data", "text": f"This link cannot be opened: {exc}", "kind": "error"}}, ""
    for kept in (saved, last):
        if isinstance(kept, dict) and kept.get("dataset"):
            try:
                return goto_view(kept), no_update
            except (projector.DataError, TypeError, ValueError, KeyError, AttributeError):
                continue   # its data set or its points are gone: the next choice
    return {"dataset": first, "state": None, "message": None}, no_update

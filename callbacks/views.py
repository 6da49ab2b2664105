"""Pure helpers between the panels and the engine: messages, the view record's points, selections.

A selection is plain JSON and names its data set, so a selection left over from another data set is
never drawn::

    {"dataset", "anchor" (clicked point or None), "neighbors" [[point, distance], …],
     "points" {"id", "n"} or None (selected points, kept server-side), "filter" (a search kept
     only some neighbours), "search" {"query", "regex", "column", "scope"} or None}
"""
from __future__ import annotations

import numpy as np

from projector.jobs import METHOD_NAMES, method_name  # noqa: F401  (re-exported for the panels)

from . import services

LARGE_3D = 500_000          # above this, WebGL 3D in a browser turns sluggish
OK, INFO, WARN, ERROR = "ok", "info", "warn", "error"   # success, a note, a warning, an error


def sentence(text) -> str:
    """A message (or an exception's) as the sentence the user reads: capital first letter."""
    text = str(text)
    first = text.split(" ", 1)[0]
    if any(ch.isupper() for ch in first[1:]) or any(ch in first for ch in "._/"):
        return text   # a name (t-SNE) or a file name (emb.npy) keeps its spelling
    return text[:1].upper() + text[1:]


def say(text, kind: str = OK) -> tuple[str, str]:
    """(children, className) of a message element: one style each for success, a note, a warning, an error."""
    if not text:
        return "", "message"
    return sentence(text), f"message {kind}"


SILENT = say("")


# ---------------------------------------------------------------- the view's points

def view_points(view: dict) -> np.ndarray:
    """Global indices of the points a view shows (all, or the isolated ones), ascending."""
    subset = (view or {}).get("subset")
    if subset:
        return services.get_points(subset["id"])
    return np.arange(int((view or {}).get("num_points") or 0))


def same_points(record: dict | None, view: dict | None) -> bool:
    """Does ``record`` (a shown projection, a frame) hold the points ``view`` shows?"""
    if not record or not view or not view.get("dataset"):
        return False
    subset = (view.get("subset") or {}).get("id")
    return record.get("dataset") == view["dataset"] and (record.get("subset") or None) == (subset or None)


def event_points(event: dict | None, view: dict | None) -> list[int]:
    """Point indices behind a plot click or lasso: trace 0 by position in the view, trace 1 by customdata."""
    if not event or not isinstance(event.get("points"), list) or not view:
        return []
    in_view = None
    out = []
    for p in event["points"]:
        if not isinstance(p, dict):
            continue
        if p.get("curveNumber") == 1 and type(p.get("customdata")) is int:   # not a bool: True is not point 1
            out.append(int(p["customdata"]))
        elif p.get("curveNumber", 0) == 0 and type(p.get("pointIndex")) is int:
            if in_view is None:  # the drawn points, without reading their coordinates back
                in_view = view_points(view)
            if 0 <= p["pointIndex"] < len(in_view):
                out.append(int(in_view[p["pointIndex"]]))
    return [i for i in out if 0 <= i < int(view.get("num_points") or 0)]


def draw_notice(n: int, dims: int) -> str:
    """What the plot shows when the browser may struggle: every point is drawn, never a silent cut."""
    if dims == 3 and n > LARGE_3D:
        return (f"Drawing all {n:,} points in 3D; rotating may be slow in the browser. "
                "2D draws the same points faster.")
    return ""


# ---------------------------------------------------------------- selections

def empty_selection(dataset: str | None = None) -> dict:
    return {"dataset": dataset, "anchor": None, "neighbors": [], "points": None, "filter": False, "search": None}


def selection_of(view: dict | None) -> dict:
    """The view's selection when it belongs to the view's data set; otherwise nothing is selected."""
    sel = (view or {}).get("selection")
    if not sel or sel.get("dataset") != (view or {}).get("dataset"):
        return empty_selection((view or {}).get("dataset"))
    return sel


def keep_points(selection: dict, indices) -> dict:
    """``selection`` with ``indices`` as its selected points (kept server-side; none → None)."""
    idx = np.unique(np.asarray(list(indices) if not isinstance(indices, np.ndarray) else indices, dtype=np.int64))
    points = {"id": services.put_points(idx), "n": int(len(idx))} if len(idx) else None
    return {**selection, "points": points}


def selection_points(selection: dict | None) -> np.ndarray:
    """The selected points (searched, lassoed) of a selection, without the clicked point and neighbours."""
    points = (selection or {}).get("points")
    if not points:
        return np.empty(0, np.int64)
    return services.get_points(points["id"])


def visible_neighbors(selection: dict | None) -> list:
    """The anchor's neighbours that are shown: all of them, or those a neighbour search kept."""
    neighbors = (selection or {}).get("neighbors") or []
    if selection and selection.get("filter"):
        keep = set(selection_points(selection).tolist())
        return [nd for nd in neighbors if nd[0] in keep]
    return neighbors


def highlighted(selection: dict | None) -> tuple[np.ndarray, np.ndarray]:
    """Points to highlight and their roles (0 clicked point, 1 neighbour, 2 selected)."""
    if not selection:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    roles: dict[int, int] = {}
    if not selection.get("filter"):
        for p in selection_points(selection).tolist():
            roles[int(p)] = 2
    for i, _ in visible_neighbors(selection):
        roles[int(i)] = 1
    if selection.get("anchor") is not None:
        roles[int(selection["anchor"])] = 0
    pts = np.fromiter(roles.keys(), dtype=np.int64, count=len(roles))
    return pts, np.fromiter(roles.values(), dtype=np.int64, count=len(roles))


def selected_points(selection: dict | None) -> np.ndarray:
    """Everything a user sees as selected: clicked point, shown neighbours, selected points."""
    return np.unique(highlighted(selection)[0])


def rows_in_view(points_in_view: np.ndarray, wanted: np.ndarray):
    """Positions of ``wanted`` points inside a view's sorted point list, and which were found."""
    pos = np.searchsorted(points_in_view, wanted)
    pos = np.clip(pos, 0, max(len(points_in_view) - 1, 0))
    found = points_in_view[pos] == wanted if len(points_in_view) else np.zeros(len(wanted), bool)
    return pos[found], found

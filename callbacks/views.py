"""Pure helpers between the panels and the engine: projection requests, views and selections."""
from __future__ import annotations

import numpy as np

import projector

from . import services

METHOD_NAMES = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP", "custom": "Custom", "raw": "Raw",
                "given": "Stored coordinates"}
AUTO_METHODS = ("pca", "custom", "raw")   # cheap: computed as soon as they are asked for
LARGE_3D = 500_000                        # above this, WebGL 3D in a browser turns sluggish


def sentence(text) -> str:
    """A message (or an exception's) as the sentence the user reads: capital first letter."""
    text = str(text)
    return text[:1].upper() + text[1:]


def projection_request(dataset_id, subset_id, spherize, method, dims, params) -> dict:
    """What to project: everything a cache key needs, as plain JSON."""
    return {"dataset": dataset_id, "subset": subset_id or None, "spherize": bool(spherize),
            "method": method, "dims": int(dims), "params": params}


def find_cached(request: dict):
    """The cached projection for ``request`` (or None): the engine's answer, nothing computed."""
    ds = services.store().get(request["dataset"])
    subset = services.get_subset(request["subset"])
    if request["method"] == "given":
        return given_projection(request, ds, subset)
    return projector.project(ds, request["method"], dims=request["dims"], subset=subset,
                             params=request["params"], spherize=request["spherize"],
                             cache=services.cache(), only_cached=True)


def given_projection(request: dict, ds, subset) -> projector.Projection:
    """Coordinates a bookmark holds (TensorBoard's stored projections), drawn as they were saved."""
    state = services.states().get(request["params"].get("state"))
    given = state.get("given") or {}
    if state.get("dataset") != ds.id or (state.get("subset") or None) != (None if subset is None else subset.tolist()):
        raise projector.DataError("the stored coordinates belong to the points of their bookmark; restore the "
                                  "bookmark again, or pick another projection.")
    coords = np.asarray(given.get("coords") or [], dtype=np.float32)
    return projector.Projection(method="given", dims=int(coords.shape[1]), coords=coords, params=request["params"],
                                info={"source": given.get("source", "")}, subset=subset, cached=True)


def as_view(request: dict, proj) -> dict:
    """The browser's record of a drawn projection (ids and parameters, never coordinates)."""
    view = dict(request, dims=proj.dims, params=proj.params, info=proj.info, n=int(len(proj.coords)),
                cached=bool(proj.cached))
    view["key"] = "|".join(str(view[k]) for k in ("dataset", "subset", "spherize", "method", "dims")) + \
        "|" + str(sorted((k, str(v)) for k, v in proj.params.items() if k != "components"))
    return view


def view_points(view: dict) -> tuple[np.ndarray, np.ndarray]:
    """(coordinates, global point indices) of a drawn view, read back from the result cache."""
    proj = find_cached(view)
    if proj is None:
        raise projector.DataError("this projection is no longer cached on the server; run it again.")
    points = proj.subset if proj.subset is not None else np.arange(len(proj.coords))
    return proj.coords, points


def empty_selection() -> dict:
    return {"anchor": None, "neighbors": [], "points": [], "filter": False}


def visible_neighbors(selection: dict) -> list:
    """The anchor's neighbours that are shown: all of them, or those a neighbour search kept."""
    neighbors = (selection or {}).get("neighbors") or []
    if selection.get("filter"):
        keep = set(selection.get("points") or [])
        return [nd for nd in neighbors if nd[0] in keep]
    return neighbors


def highlighted(selection: dict) -> tuple[np.ndarray, np.ndarray]:
    """Points to highlight and their roles (0 clicked point, 1 neighbour, 2 selected)."""
    if not selection:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    roles: dict[int, int] = {}
    for p in selection.get("points") or []:
        roles[int(p)] = 2
    for i, _ in visible_neighbors(selection):
        roles[int(i)] = 1
    if selection.get("anchor") is not None:
        roles[int(selection["anchor"])] = 0
    pts = np.fromiter(roles.keys(), dtype=np.int64, count=len(roles))
    return pts, np.fromiter(roles.values(), dtype=np.int64, count=len(roles))


def selected_points(selection: dict) -> np.ndarray:
    """Everything a user sees as selected: clicked point, shown neighbours, selected points."""
    return np.unique(highlighted(selection)[0])


def rows_in_view(points_in_view: np.ndarray, wanted: np.ndarray):
    """Positions of ``wanted`` points inside a view's sorted point list, and which were found."""
    pos = np.searchsorted(points_in_view, wanted)
    pos = np.clip(pos, 0, max(len(points_in_view) - 1, 0))
    found = points_in_view[pos] == wanted if len(points_in_view) else np.zeros(len(wanted), bool)
    return pos[found], found


def tsne_params(perplexity, learning_rate, iterations) -> dict:
    return {"perplexity": perplexity or None, "learning_rate": learning_rate or "auto",
            "iterations": iterations or None}


def event_points(event: dict | None, view: dict | None) -> list[int]:
    """Point indices behind a plot click or lasso: trace 0 by position in the view, trace 1 by customdata."""
    if not event or not event.get("points") or not view:
        return []
    in_view = None
    out = []
    for p in event["points"]:
        if p.get("curveNumber") == 1 and p.get("customdata") is not None:
            out.append(int(p["customdata"]))
        elif p.get("curveNumber", 0) == 0 and p.get("pointIndex") is not None:
            if in_view is None:  # the drawn points, without reading their coordinates back
                subset = services.get_subset(view["subset"])
                in_view = np.arange(view["n"]) if subset is None else subset
            if 0 <= p["pointIndex"] < len(in_view):
                out.append(int(in_view[p["pointIndex"]]))
    return out


def draw_notice(view: dict) -> str:
    """What the plot shows when the browser may struggle: every point is drawn, never a silent cut."""
    if view["dims"] == 3 and view["n"] > LARGE_3D:
        return (f"Drawing all {view['n']:,} points in 3D; rotating may be slow in the browser. "
                "2D draws the same points faster.")
    return ""

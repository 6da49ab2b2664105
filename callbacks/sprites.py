"""Thumbnails: ``GET /api/sprites/<data set id>/<point>.png`` crops one tile from a data set's sprite sheet;
and the pieces of the "images" view (thumbnails of the points in view instead of dots), which the plot
module draws."""
from __future__ import annotations

import re

import numpy as np
from flask import Response, abort

import projector

from . import services

DATASET_ID = re.compile(r"^[0-9a-f]{8,64}$")


def thumbnail_url(dataset_id: str, index: int) -> str:
    return f"api/sprites/{dataset_id}/{int(index)}.png"


def register_routes(server) -> None:
    @server.get("/api/sprites/<dataset_id>/<int:index>.png")
    def sprite_thumbnail(dataset_id: str, index: int):
        # Ids come from clients: only the store's own ids name a folder, anything else is 404.
        if not DATASET_ID.match(dataset_id) or dataset_id not in services.store():
            abort(404)
        sprite = services.store().get(dataset_id).sprite  # the store keeps it, decoded once
        if sprite is None:
            abort(404)
        try:
            png = sprite.thumbnail(index)
        except IndexError:
            abort(404)
        except projector.DataError as exc:   # a stored sheet that no longer decodes: say so, once per request
            return Response(str(exc), status=422, mimetype="text/plain")
        return Response(png, mimetype="image/png", headers={"Cache-Control": "max-age=86400"})


IMAGES_MAX = 2_000   # thumbnails drawn at once; more are too small to read and slow to draw


def visible_rows(coords: np.ndarray, ranges) -> np.ndarray:
    """Rows of 2D ``coords`` inside ``ranges`` ((x0, x1), (y0, y1)); all rows when ranges is None."""
    if ranges is None:
        return np.arange(len(coords))
    (x0, x1), (y0, y1) = (sorted(r) for r in ranges)
    inside = (coords[:, 0] >= x0) & (coords[:, 0] <= x1) & (coords[:, 1] >= y0) & (coords[:, 1] <= y1)
    return np.flatnonzero(inside)


def ranges_from_relayout(relayout: dict | None):
    """The axis ranges a zoom or pan reported, None after autoscale, or "unknown" when it said neither."""
    r = relayout or {}
    if r.get("xaxis.autorange") or r.get("yaxis.autorange"):
        return None
    try:
        if "xaxis.range[0]" in r and "yaxis.range[0]" in r:
            return ((r["xaxis.range[0]"], r["xaxis.range[1]"]), (r["yaxis.range[0]"], r["yaxis.range[1]"]))
        if "xaxis.range" in r and "yaxis.range" in r:
            return (tuple(r["xaxis.range"][:2]), tuple(r["yaxis.range"][:2]))
    except (KeyError, TypeError):
        pass
    return "unknown"


def image_layout(sprite, coords: np.ndarray, points: np.ndarray, rows: np.ndarray, ranges) -> list[dict]:
    """Plotly layout images: point ``points[r]``'s thumbnail centred on ``coords[r]`` for each row r."""
    if ranges is None:
        lo, hi = coords[:, :2].min(axis=0), coords[:, :2].max(axis=0)
        span = hi - lo
    else:
        span = np.array([abs(ranges[0][1] - ranges[0][0]), abs(ranges[1][1] - ranges[1][0])])
    # about as many tiles across as there are points along a side, never larger than a tenth of the view
    size = span / max(10.0, 1.6 * np.sqrt(max(len(rows), 1)))
    size = np.where(size > 0, size, 1.0)
    return [{"source": sprite.data_uri(int(points[r])), "xref": "x", "yref": "y",
             "x": float(coords[r, 0]), "y": float(coords[r, 1]), "sizex": float(size[0]), "sizey": float(size[1]),
             "xanchor": "center", "yanchor": "middle", "sizing": "contain", "layer": "below"} for r in rows]


def images_for(ds, coords: np.ndarray, points: np.ndarray, ranges) -> tuple[list[dict], str]:
    """(layout images, what to say) for the images view of 2D ``coords`` with the axes showing ``ranges``."""
    if ds.sprite is None:
        return [], "This data set has no sprite: load one with its thumbnail size to see images."
    if coords.shape[1] != 2:
        return [], "Images are drawn on 2D views; turn 3D off to see them."
    rows = visible_rows(coords, ranges)
    if len(rows) > IMAGES_MAX:
        return [], (f"{len(rows):,} points in view: images are drawn when at most {IMAGES_MAX:,} are. "
                    "Zoom in (or isolate a selection) to see them.")
    return image_layout(ds.sprite, coords, points, rows, ranges), f"Showing the images of the {len(rows):,} points in view."

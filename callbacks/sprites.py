"""Thumbnails: ``GET /api/sprites/<data set id>/<point>.png`` crops one tile from a data set's sprite sheet."""
from __future__ import annotations

import re

from flask import Response, abort

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
        return Response(png, mimetype="image/png", headers={"Cache-Control": "max-age=86400"})

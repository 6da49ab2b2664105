"""Sprite sheets: thumbnails cut from any size of sheet, served by data-set id, added to a stored set."""
import io

import numpy as np
from flask import Flask
from PIL import Image

import projector
from callbacks import services, sprites


def sheet(path, n, tile=(10, 10), per_row=None):
    """A sheet whose tile i is filled with the colour (i % 256, i // 256, 7)."""
    w, h = tile
    per_row = per_row or n
    rows = -(-n // per_row)
    im = Image.new("RGB", (per_row * w, rows * h), (255, 255, 255))
    for i in range(n):
        im.paste((i % 256, i // 256, 7), ((i % per_row) * w, (i // per_row) * h, (i % per_row + 1) * w, (i // per_row + 1) * h))
    im.save(path)
    return path


def test_thumbnails_come_from_sheets_wider_than_tensorboards_limit(tmp_path):
    sprite, warning = projector.read_sprite(sheet(tmp_path / "wide.png", 900), (10, 10), 900)  # 9000 px wide
    assert warning is None and sprite.tile == (10, 10)
    for i in (0, 1, 899):
        tile = Image.open(io.BytesIO(sprite.thumbnail(i)))
        assert tile.size == (10, 10) and tile.convert("RGB").getpixel((5, 5)) == (i % 256, i // 256, 7)


def test_a_sheet_that_does_not_cover_every_point_is_a_warning(tmp_path):
    path = sheet(tmp_path / "small.png", 20, per_row=5)
    sprite, warning = projector.read_sprite(path, (10, 10), 21)
    assert sprite is None and "holds 20 thumbnails of 10×10 px but there are 21 points" in warning
    assert "no valid singleImageDim" in projector.read_sprite(path, (0, 10), 20)[1]
    (tmp_path / "not.png").write_bytes(b"nope")
    assert "not a complete, readable image" in projector.read_sprite(tmp_path / "not.png", (10, 10), 1)[1]


def test_thumbnails_are_served_by_data_set_id_and_a_sprite_joins_a_stored_set(data_dir, tmp_path):
    X = np.random.default_rng(0).normal(size=(30, 4)).astype(np.float32)
    ds = projector.load_dataset(X, name="pics")
    services.store().add(ds)  # stored first without images
    assert services.store().get(ds.id).sprite is None  # and loaded: the loaded copy gets the sprite too
    ds.sprite, _ = projector.read_sprite(sheet(tmp_path / "s.png", 30, per_row=6), (10, 10), 30)
    services.store().add(ds)  # the same data with its sprite: the stored set gets it
    assert services.store().get(ds.id).sprite is not None
    server = Flask(__name__)
    sprites.register_routes(server)
    client = server.test_client()
    got = client.get(f"/api/sprites/{ds.id}/13.png")
    assert got.status_code == 200 and got.mimetype == "image/png"
    assert Image.open(io.BytesIO(got.data)).convert("RGB").getpixel((1, 1)) == (13, 0, 7)
    for bad in (f"/api/sprites/{ds.id}/30.png", "/api/sprites/0000000000000000dead/1.png",
                "/api/sprites/..%2F..%2Fetc/1.png", "/api/sprites/ZZ/1.png"):
        assert client.get(bad).status_code == 404, bad


def test_the_images_view_draws_the_points_in_view_and_says_when_there_are_too_many(data_dir, tmp_path):
    n = 2_500
    X = np.random.default_rng(3).uniform(0, 10, size=(n, 2)).astype(np.float32)
    ds = projector.load_dataset(X, None, name="grid")
    ds.sprite, _ = projector.read_sprite(sheet(tmp_path / "s.png", n, per_row=50), (10, 10), n)
    services.store().add(ds)
    ds = services.store().get(ds.id)
    points = np.arange(n)

    def images_for(ranges):
        return sprites.images_for(ds, X, points, ranges)

    images, message = images_for(None)
    assert images == [] and "2,500 points in view" in message and "at most 2,000" in message
    box = ((2.0, 4.0), (5.0, 9.0))
    images, message = images_for(box)
    inside = np.flatnonzero((X[:, 0] >= 2) & (X[:, 0] <= 4) & (X[:, 1] >= 5) & (X[:, 1] <= 9))
    assert len(images) == len(inside) and message == f"Showing the images of the {len(inside):,} points in view."
    first = images[0]
    assert (first["x"], first["y"]) == (float(X[inside[0], 0]), float(X[inside[0], 1]))
    tile = Image.open(io.BytesIO(__import__("base64").b64decode(first["source"].split(",", 1)[1])))
    assert tile.convert("RGB").getpixel((5, 5)) == (inside[0] % 256, inside[0] // 256, 7)
    # a zoom reports its ranges; autoscale shows everything again; other relayouts move nothing
    assert sprites.ranges_from_relayout({"xaxis.range[0]": 2, "xaxis.range[1]": 4, "yaxis.range[0]": 5,
                                         "yaxis.range[1]": 9}) == box
    assert sprites.ranges_from_relayout({"xaxis.autorange": True, "yaxis.autorange": True}) is None
    assert sprites.ranges_from_relayout({"autosize": True}) == "unknown"
    assert "turn 3D off" in sprites.images_for(ds, np.zeros((n, 3), np.float32), points, None)[1]


def test_the_images_view_is_drawn_by_the_map_and_follows_a_zoom(data_dir, tmp_path):
    from callbacks import plot, projection
    from conftest import view_of

    n = 300
    X = np.random.default_rng(4).uniform(0, 10, size=(n, 2)).astype(np.float32)
    ds = projector.load_dataset(X, None, name="grid")
    ds.sprite, _ = projector.read_sprite(sheet(tmp_path / "s.png", n, per_row=20), (10, 10), n)
    services.store().add(ds)
    raw = {"method": "raw", "dims": 2, "params": {}}
    plain = view_of(ds, raw)
    shown = projection.plan(plain, None, None, False)
    assert shown["job"]["method"] == "raw"   # a job computes it; here, the engine directly
    projector.project(ds, "raw", cache=services.cache())
    shown = projection.plan(plain, None, None, False)["shown"]
    first = plot.reconcile(plain, shown, None, None, None, None)
    view = view_of(ds, raw, images=True)
    on = plot.reconcile(view, shown, None, None, None, first["drawn"])
    ops = {".".join(map(str, op["location"])): op["params"]["value"] for op in on["figure"].to_plotly_json()["operations"]}
    assert len(ops["layout.images"]) == n and ops["data.0.marker.opacity"] == 0
    zoom = {"xaxis.range[0]": 0, "xaxis.range[1]": 5, "yaxis.range[0]": 0, "yaxis.range[1]": 5}
    zoomed = plot.reconcile(view, shown, None, None, zoom, on["drawn"], moved=True)
    ops = {".".join(map(str, op["location"])): op["params"]["value"] for op in zoomed["figure"].to_plotly_json()["operations"]}
    inside = ((X[:, 0] <= 5) & (X[:, 1] <= 5)).sum()
    assert len(ops["layout.images"]) == inside and zoomed["images"] == f"Showing the images of the {inside:,} points in view."

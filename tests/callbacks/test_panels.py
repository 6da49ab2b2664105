"""The panels' logic called as functions: uploads, requests, jobs, selections, search scopes."""
import time

import numpy as np
import pytest

import projector
from callbacks import services
from callbacks import staging
from callbacks.data import load_staged
from callbacks.inspector import neighbours_of, search_selection
from callbacks.projection import build_request, eta_text, progress_text, run_job
from callbacks.views import (as_view, event_points, find_cached, highlighted, selected_points, view_points,
                             visible_neighbors)


def stage_upload(raw: bytes, filename: str, chunk: int = 7) -> dict:
    """Send ``raw`` the way the browser does: start, pieces of ``chunk`` bytes, finish."""
    token = staging.start(filename, len(raw))["token"]
    for offset in range(0, len(raw), chunk):
        staging.append(token, offset, raw[offset:offset + chunk])
    return staging.finish(token)


def test_staged_upload_loads_into_the_store(data_dir, tmp_path):
    X = np.random.default_rng(0).normal(size=(20, 5)).astype(np.float32)
    np.save(tmp_path / "v.npy", X)
    vec = stage_upload((tmp_path / "v.npy").read_bytes(), "../../evil/v.npy", chunk=333)
    assert vec["name"] == "v.npy"  # a client's file name never becomes a path outside the uploads folder
    meta = stage_upload(b"\n".join(b"x%d" % i for i in range(20)), "m.tsv")
    dataset_id, warnings = load_staged(vec, meta, None, "mine")
    ds = services.store().get(dataset_id)
    assert ds.name == "mine" and ds.num_points == 20 and warnings == []
    assert not (services.uploads_dir() / vec["token"]).exists()  # staged files are removed once stored


def test_bad_uploads_leave_the_store_as_it_was(data_dir, words):
    before = services.store().list()
    bad = stage_upload(b"not numbers at all\x00\x01", "x.npy")
    with pytest.raises(projector.DataError, match="not a NumPy"):
        load_staged(bad, None, None, None)
    raw = stage_upload(np.ones(40, np.float32).tobytes(), "x.bytes")
    with pytest.raises(projector.DataError, match="enter its dimension"):
        load_staged(raw, None, None, None)
    with pytest.raises(projector.DataError, match="choose an embeddings file"):
        load_staged(None, None, None, None)
    assert services.store().list() == before


def test_requests_jobs_and_cached_views(data_dir, words):
    req = build_request(words.id, None, False, "pca", [1, 2, 0], ["3d"], [], [], [], [None] * 6,
                        [None, None, None], [15, 0.1])
    assert req["dims"] == 3 and req["params"] == {"components": [1, 2, 0]}
    assert find_cached(req) is None
    frames = []
    view = run_job(dict(req, job="j1"), lambda d, t, f: frames.append((d, t)))
    assert view["n"] == 60 and view["info"]["components"] == [1, 2, 0] and frames[-1][0] == frames[-1][1]
    hit = find_cached(req)
    assert hit is not None and hit.cached
    coords, points = view_points(view)
    assert coords.shape == (60, 3) and points.tolist() == list(range(60))


def test_tsne_job_writes_frames_for_animation(data_dir, words):
    req = build_request(words.id, None, False, "tsne", [0, 1, 2], [], [], [], [], [None] * 6, [5, None, 60],
                        [15, 0.1])
    frames = []
    run_job(dict(req, job="j2"), lambda d, t, f: frames.append(f))
    assert any(f is not None for f in frames)
    assert services.cache().get_blob("frame:j2") is not None
    assert progress_text("tsne", 0, 60).startswith("Finding") and progress_text("tsne", 30, 60) == "t-SNE iteration 30 of 60"
    assert eta_text(15.2) == " · about 15 s left" and eta_text(0.3) == " · almost done"


def test_subset_jobs_project_only_the_isolated_points(data_dir, words):
    sid = services.cache().put_subset([3, 9, 15, 21, 27])
    req = build_request(words.id, sid, False, "pca", [0, 1, 2], [], [], [], [], [None] * 6, [None] * 3, [15, 0.1])
    view = run_job(dict(req, job="j3"), lambda *a: None)
    assert view["n"] == 5
    assert view_points(view)[1].tolist() == [3, 9, 15, 21, 27]
    # A click on the 2nd drawn point is point 9; a click on a highlight carries its own index.
    assert event_points({"points": [{"curveNumber": 0, "pointIndex": 1}]}, view) == [9]
    assert event_points({"points": [{"curveNumber": 1, "pointIndex": 0, "customdata": 21}]}, view) == [21]


def test_neighbours_then_regex_filter_then_isolate_points(data_dir, words):
    neighbors = neighbours_of(words.id, None, False, 0, 20, "cosine")
    assert len(neighbors) == 20 and neighbors[0][1] <= neighbors[-1][1]
    selection = {"anchor": 0, "neighbors": neighbors, "points": [], "filter": False}
    filtered = search_selection(words.id, None, selection, "^polic", True, "word", "neighbors")
    kept = visible_neighbors(filtered)
    assert filtered["filter"] and all(words.metadata["word"][i].startswith("polic") for i, _ in kept)
    pts, roles = highlighted(filtered)
    assert roles[pts.tolist().index(0)] == 0
    assert set(selected_points(filtered).tolist()) == {0} | {i for i, _ in kept}


def test_search_scopes(data_dir, words):
    everywhere = search_selection(words.id, None, None, "good", False, None, "all")
    assert len(everywhere["points"]) == 10
    sid = services.cache().put_subset(range(30))
    assert len(search_selection(words.id, sid, None, "good", False, None, "all")["points"]) == 5
    within = search_selection(words.id, None, {"anchor": None, "neighbors": [], "points": list(range(12)),
                                               "filter": False}, "o", False, None, "selection")
    assert within["points"] == [0, 1, 2, 4, 6, 7, 8, 10]
    with pytest.raises(projector.DataError, match="not a valid regular expression"):
        search_selection(words.id, None, None, "(", True, None, "all")


def test_view_records_hold_no_coordinates(data_dir, words):
    req = build_request(words.id, None, False, "custom", [0, 1, 2], [], [], [], [],
                        ["bad", "good", "politics", "evil", False, "word"], [None] * 3, [15, 0.1])
    proj = projector.project(words, "custom", params=req["params"], cache=services.cache())
    view = as_view(req, proj)
    assert "coords" not in view and view["info"]["matches"]["right"] == 10


def test_streamed_uploads_enforce_size_order_and_completeness(data_dir, monkeypatch):
    monkeypatch.setenv("PROJECTOR_MAX_UPLOAD_BYTES", "100")
    with pytest.raises(projector.DataError, match="more than this server accepts"):
        staging.start("big.npy", 101)
    token = staging.start("a.npy", 10)["token"]
    staging.append(token, 0, b"12345")
    staging.append(token, 0, b"12345")  # a retried chunk overwrites, it does not duplicate
    with pytest.raises(projector.DataError, match="out of order"):
        staging.append(token, 8, b"90")
    with pytest.raises(projector.DataError, match="arrived incomplete"):
        staging.finish(token)
    staging.cancel(token)
    assert list(services.uploads_dir().iterdir()) == []
    with pytest.raises(projector.DataError, match="unknown"):
        staging.append("../../etc", 0, b"x")


def test_interrupted_uploads_are_swept(data_dir):
    token = staging.start("a.npy", 10)["token"]
    staging.append(token, 0, b"123")
    staging.sweep(now=time.time() + staging.STALE_SECONDS + 1)
    assert not (services.uploads_dir() / token).exists()


def test_large_views_label_hovered_points_from_the_server(data_dir, words, monkeypatch):
    import callbacks.inspector as inspector

    req = build_request(words.id, None, False, "pca", [0, 1, 2], [], [], [], [], [None] * 6, [None] * 3, [15, 0.1])
    view = run_job(dict(req, job="j4"), lambda *a: None)
    assert inspector.hover_label({"points": [{"curveNumber": 0, "pointIndex": 4}]}, view, "word") is inspector.no_update
    monkeypatch.setattr(inspector, "HOVER_TEXT_MAX", 10)  # this view now counts as large
    assert inspector.hover_label({"points": [{"curveNumber": 0, "pointIndex": 4}]}, view, "word") == "good"


def test_large_3d_views_say_what_they_draw():
    from callbacks.views import draw_notice

    assert draw_notice({"dims": 3, "n": 1_000_000}).startswith("Drawing all 1,000,000 points in 3D")
    assert draw_notice({"dims": 2, "n": 1_000_000}) == "" and draw_notice({"dims": 3, "n": 1_000}) == ""


def test_the_status_line_says_when_every_point_of_a_large_set_is_drawn_in_3d(data_dir):
    from callbacks.inspector import status

    ds = projector.load_dataset(np.random.default_rng(0).normal(size=(30, 4)).astype(np.float32), name="s")
    services.store().add(ds)
    big = {"dims": 3, "n": 600_000, "subset": None}
    assert status(big, None, ds.id).endswith("all 600,000 points drawn in 3D (2D is faster)")
    assert "drawn in 3D" not in status(dict(big, dims=2), None, ds.id)


def test_a_staged_sprite_joins_the_data_set_or_says_what_is_wrong(data_dir, tmp_path):
    import io

    from PIL import Image

    X = np.random.default_rng(5).normal(size=(6, 3)).astype(np.float32)
    np.save(tmp_path / "v.npy", X)
    buf = io.BytesIO()
    Image.new("RGB", (30, 20), (0, 90, 0)).save(buf, format="PNG")  # 3 × 2 tiles of 10 × 10
    vec = stage_upload((tmp_path / "v.npy").read_bytes(), "v.npy", chunk=1000)
    png = stage_upload(buf.getvalue(), "s.png", chunk=1000)
    with pytest.raises(projector.DataError, match="thumbnail width and height"):
        load_staged(vec, None, None, "pics", png, (None, 10))
    dataset_id, warnings = load_staged(vec, None, None, "pics", png, (10, 10))
    assert warnings == [] and services.store().get(dataset_id).sprite.tile == (10, 10)
    vec = stage_upload((tmp_path / "v.npy").read_bytes(), "v.npy", chunk=1000)
    png = stage_upload(buf.getvalue(), "s.png", chunk=1000)
    _, warnings = load_staged(vec, None, None, "pics2", png, (20, 20))  # 1 × 1 tile for 6 points
    assert warnings == ["The sprite s.png holds 1 thumbnails of 20×20 px but there are 6 points; "
                        "the data set loads without images."]

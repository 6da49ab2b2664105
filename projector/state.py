"""Bookmarkable view states: checked, kept on disk under short ids, saved to files, imported from
TensorBoard's bookmark files.

A state is plain JSON — what a user sees, never coordinates that can be recomputed::

    {"dataset", "subset" (point list or None), "spherize", "method", "dims", "params",
     "colour_by", "label_by", "images", "selection" {"anchor", "neighbors" [[i, d]], "points", "filter"},
     "search" {"query", "regex", "column", "scope"}, "neighbours" {"k", "metric"},
     "camera" (2D ranges or a 3D camera) or None, "view_key",
     "given" {"coords", "axes", "source"} or None, "controls"}

The projection is named by method and parameters, which is also its key in the result cache, so
restoring a state draws the cached coordinates without recomputing them. ``given`` holds
coordinates that cannot be recomputed here (TensorBoard's stored projections); they are drawn as
they were saved.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
from pathlib import Path

from .disk import full_disk, is_full, writing
from .errors import DataError

FILE_FORMAT = "embedding-projector-bookmarks"
FILE_VERSION = 1
STATE_ID_RE = re.compile(r"^[0-9a-f]{12}$")
METHODS = ("pca", "tsne", "umap", "custom", "raw", "given")
SCOPES = ("all", "neighbors", "selection")
NAME_MAX = 200
FILE_MAX_BYTES = 64 * 2**20   # a bookmark file holding a few million point numbers; more is not a bookmark file
TB_METHODS = {"pca": "pca", "tsne": "tsne", "umap": "umap", "custom": "custom"}


def _ints(values, n: int, what: str) -> list[int]:
    if values is None:
        return []
    if not isinstance(values, (list, tuple)):
        raise DataError(f"the bookmark's {what} is not a list of point numbers.")
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not float(v).is_integer():
            raise DataError(f"the bookmark's {what} holds {str(v)[:20]!r}, which is not a point number.")
        if not 0 <= int(v) < n:
            raise DataError(f"the bookmark's {what} names point {int(v):,}, but the data set has {n:,} points; "
                            "it was made for another data set.")
        out.append(int(v))
    return out


def _text(value, default=None, limit: int = 10_000):
    if value is None:
        return default
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise DataError("the bookmark holds a value that is not text where text belongs; it is damaged.")
    return str(value)[:limit]


def _camera(camera):
    """A 2D camera {"x": [a, b], "y": [c, d]} or a 3D one {"scene": {eye, center, up}}, numbers only."""
    if not isinstance(camera, dict):
        return None
    if "x" in camera and "y" in camera:
        try:
            x, y = [float(v) for v in camera["x"][:2]], [float(v) for v in camera["y"][:2]]
        except (TypeError, ValueError, IndexError):
            return None
        return {"x": x, "y": y} if all(map(math.isfinite, x + y)) and len(x) == len(y) == 2 else None
    scene = camera.get("scene")
    if isinstance(scene, dict):
        out = {}
        for part in ("eye", "center", "up"):
            p = scene.get(part)
            if isinstance(p, dict) and all(isinstance(p.get(a), (int, float)) for a in "xyz"):
                out[part] = {a: float(p[a]) for a in "xyz"}
        return {"scene": out} if out else None
    return None


def clean_state(raw: dict, num_points: int, dim: int) -> dict:
    """A state checked against a data set of ``num_points`` × ``dim``: right types, point numbers in
    range, nothing else kept. Raises :class:`DataError` with a sentence when it does not fit."""
    if not isinstance(raw, dict):
        raise DataError("a bookmark is not a JSON object; the file is damaged.")
    method = raw.get("method")
    if method not in METHODS:
        raise DataError(f"the bookmark names an unknown projection {str(method)[:20]!r}.")
    dims = raw.get("dims")
    if dims not in (2, 3):
        raise DataError("the bookmark's projection must have 2 or 3 dimensions.")
    params = raw.get("params") or {}
    if not isinstance(params, dict) or len(json.dumps(params)) > 10_000:
        raise DataError("the bookmark's projection parameters are damaged.")
    subset = raw.get("subset")
    subset = sorted(set(_ints(subset, num_points, "isolated points"))) if subset is not None else None
    if subset is not None and len(subset) < 2:
        raise DataError("the bookmark isolates fewer than 2 points; it is damaged.")
    sel = raw.get("selection") or {}
    if not isinstance(sel, dict):
        raise DataError("the bookmark's selection is damaged.")
    anchor = sel.get("anchor")
    anchor = _ints([anchor], num_points, "clicked point")[0] if anchor is not None else None
    neighbors = []
    for pair in sel.get("neighbors") or []:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not isinstance(pair[1], (int, float)):
            raise DataError("the bookmark's neighbour list is damaged.")
        neighbors.append([_ints([pair[0]], num_points, "neighbours")[0], float(pair[1])])
    search = raw.get("search") or {}
    scope = search.get("scope") if search.get("scope") in SCOPES else "all"
    neighbours = raw.get("neighbours") or {}
    k = neighbours.get("k")
    k = int(k) if isinstance(k, (int, float)) and not isinstance(k, bool) and 5 <= k <= 999 else 100
    given = raw.get("given")
    if given is not None:
        given = _given(given, len(subset) if subset is not None else num_points, dims)
    elif method == "given":
        raise DataError("the bookmark draws stored coordinates but holds none; it is damaged.")
    return {
        "dataset": _text(raw.get("dataset"), "", 64), "subset": subset, "spherize": bool(raw.get("spherize")),
        "method": method, "dims": int(dims), "params": params,
        "colour_by": _text(raw.get("colour_by")), "label_by": _text(raw.get("label_by")),
        "images": bool(raw.get("images")), "density": bool(raw.get("density")),
        "selection": {"anchor": anchor, "neighbors": neighbors,
                      "points": _ints(sel.get("points"), num_points, "selected points"),
                      "filter": bool(sel.get("filter"))},
        "search": {"query": _text(search.get("query"), "", 1000), "regex": bool(search.get("regex")),
                   "column": _text(search.get("column")), "scope": scope},
        "neighbours": {"k": k, "metric": "euclidean" if neighbours.get("metric") == "euclidean" else "cosine"},
        "camera": _camera(raw.get("camera")), "view_key": _text(raw.get("view_key"), "", 2000),
        "given": given,
        # for stored coordinates: the projection whose controls show ``params`` (TensorBoard's own choice)
        "controls": raw.get("controls") if raw.get("controls") in METHODS[:5] else None,
    }


def _given(given, n: int, dims: int) -> dict:
    coords = given.get("coords") if isinstance(given, dict) else None
    if not isinstance(coords, list) or len(coords) != n:
        raise DataError(f"the bookmark's stored coordinates do not cover its {n:,} points; it is damaged.")
    rows = []
    for row in coords:
        if not isinstance(row, (list, tuple)) or len(row) != dims or \
                not all(isinstance(v, (int, float)) and math.isfinite(v) for v in row):
            raise DataError("the bookmark's stored coordinates are damaged (each point needs "
                            f"{dims} finite numbers).")
        rows.append([float(v) for v in row])
    axes = [str(a)[:200] for a in (given.get("axes") or [])][:dims]
    axes += [f"axis {i + 1}" for i in range(len(axes), dims)]
    return {"coords": rows, "axes": axes, "source": _text(given.get("source"), "", 200)}


class StateStore:
    """States kept as JSON files under ``root`` with short content ids (the same state, the same id):
    what bookmarks and shared links point to, shared by every process that sees the folder."""

    def __init__(self, root):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def put(self, state: dict) -> str:
        text = json.dumps(state, sort_keys=True, separators=(",", ":"))
        sid = hashlib.blake2b(text.encode(), digest_size=6).hexdigest()
        path = self.root / f"{sid}.json"
        if not path.exists():
            try:
                fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".state-")
            except OSError as exc:
                if is_full(exc):
                    raise full_disk("the view could not be kept") from None
                raise
            with writing("the view could not be kept", Path(tmp)):
                with os.fdopen(fd, "w") as f:
                    f.write(text)
                os.replace(tmp, path)
        return sid

    def get(self, sid: str) -> dict:
        if not isinstance(sid, str) or not STATE_ID_RE.match(sid):
            raise DataError(f"{str(sid)[:40]!r} is not a link or bookmark id of this app.")
        try:
            return json.loads((self.root / f"{sid}.json").read_text())
        except (OSError, ValueError):
            raise DataError(f"the view {sid} is not on this server (it may have been made on another one); "
                            "ask for a new link.") from None


def bookmarks_file(bookmarks: list[dict]) -> bytes:
    """The bookmarks ``[{"name", "state"}]`` as a JSON file that stands on its own (no server ids)."""
    return json.dumps({"format": FILE_FORMAT, "version": FILE_VERSION,
                       "bookmarks": [{"name": b["name"], "state": b["state"]} for b in bookmarks]},
                      indent=1).encode("utf-8")


FILE_MAX_DEPTH = 32


def _depth(doc) -> int:
    """How deep JSON nests (counted without recursion)."""
    deepest, stack = 0, [(doc, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, (dict, list)):
            deepest = max(deepest, d)
            if d > FILE_MAX_DEPTH:
                return d
            stack.extend((x, d + 1) for x in (v.values() if isinstance(v, dict) else v))
    return deepest


def parse_bookmarks_file(data: bytes) -> tuple[str, list]:
    """("ours", [{"name", "state"}]) or ("tensorboard", [TB State]) from a file's bytes."""
    if len(data) > FILE_MAX_BYTES:
        raise DataError(f"this bookmark file is {len(data) / 2**20:,.0f} MB; bookmark files are at most "
                        f"{FILE_MAX_BYTES // 2**20} MB. Is it the right file?")
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise DataError("this is not a bookmark file (it is not JSON); choose a file saved with "
                        "“Save bookmarks” or a TensorBoard bookmarks file.") from None
    except RecursionError:
        raise DataError("this is not a bookmark file: its JSON nests thousands of levels deep (a bookmark file "
                        "nests a few); choose a file saved with “Save bookmarks” or a TensorBoard one.") from None
    if _depth(doc) > FILE_MAX_DEPTH:
        raise DataError(f"this is not a bookmark file: its JSON nests more than {FILE_MAX_DEPTH} levels deep (a "
                        "bookmark file nests a few); choose a file saved with “Save bookmarks” or a TensorBoard one.")
    if isinstance(doc, dict) and doc.get("format") == FILE_FORMAT:
        marks = doc.get("bookmarks")
        if not isinstance(marks, list) or not all(isinstance(b, dict) and isinstance(b.get("state"), dict)
                                                  for b in marks):
            raise DataError("this bookmark file is damaged: its bookmarks are not a list of states.")
        return "ours", marks
    if isinstance(doc, list) and doc and all(isinstance(s, dict) and "dataSetDimensions" in s for s in doc):
        return "tensorboard", doc
    raise DataError("this JSON file holds no bookmarks; choose a file saved with “Save bookmarks” "
                    "or a TensorBoard bookmarks file.")


def _tb_shape(state: dict) -> tuple[int, int]:
    dims = state.get("dataSetDimensions")
    if not isinstance(dims, list) or len(dims) != 2 or not all(isinstance(v, int) for v in dims):
        raise DataError("a TensorBoard bookmark without a valid dataSetDimensions; the file is damaged.")
    return dims[0], dims[1]


def from_tensorboard(states: list, num_points: int, dim: int, columns: list[str], dataset_id: str) -> list[dict]:
    """TensorBoard bookmarks (its ``State`` array) as ``[{"name", "state"}]`` for this data set.

    A file made for another data set is refused the way TensorBoard refuses it: "wrong dataset,
    expected …". TensorBoard saves ``dataSetDimensions`` of what was shown — after isolating, the
    isolated points — so the check is: the same vector dimension, and every point number it names
    exists here (with no isolation, the same number of points).
    """
    out = []
    for i, tb in enumerate(states):
        n_shown, d = _tb_shape(tb)
        filtered = tb.get("filteredPoints") or None
        fits = d == dim and (n_shown == num_points if filtered is None else
                             isinstance(filtered, list) and len(filtered) == n_shown
                             and all(isinstance(p, int) and 0 <= p < num_points for p in filtered))
        if not fits:
            raise DataError(f"Unable to load bookmarks: wrong dataset, expected dataset with shape ({n_shown}, {d})"
                            + (f" ({n_shown:,} isolated points, numbered up to {max(filtered):,})"
                               if filtered and all(isinstance(p, int) for p in filtered) else "")
                            + f"; this one is {num_points:,} × {dim}. Pick the data set the bookmarks were made "
                            "for, then load them again.")
        shown = list(filtered) if filtered else list(range(num_points))
        method = TB_METHODS.get(tb.get("selectedProjection"), "pca")
        pca_axes = [int(c) for c in (tb.get("pcaComponentDimensions") or [0, 1])][:3]
        if method == "pca":
            dims, params, keys = len(pca_axes), {"components": pca_axes}, [f"pca-{c}" for c in pca_axes]
        elif method == "tsne":
            dims = 3 if tb.get("tSNEis3d") else 2
            params = {"perplexity": tb.get("tSNEPerplexity") or None, "learning_rate": "auto", "iterations": None}
            keys = [f"tsne-{j}" for j in range(dims)]
        elif method == "umap":
            dims = 3 if tb.get("umapIs3d") else 2
            params = {"n_neighbors": tb.get("umapNeighbors") or 15, "min_dist": 0.1}
            keys = [f"umap-{j}" for j in range(dims)]
        else:
            dims, keys = 2, ["linear-x", "linear-y"]
            params = {"left": tb.get("customXLeftText") or "", "right": tb.get("customXRightText") or "",
                      "up": tb.get("customYUpText") or "", "down": tb.get("customYDownText") or "",
                      "regex": any(bool(tb.get(k)) for k in ("customXLeftRegex", "customXRightRegex",
                                                             "customYUpRegex", "customYDownRegex")),
                      "column": tb.get("customSelectedSearchByMetadataOption")}
        given = None
        projections = tb.get("projections")
        if isinstance(projections, list) and len(projections) == len(shown) and \
                all(isinstance(p, dict) and all(isinstance(p.get(k), (int, float)) for k in keys) for p in projections):
            # TensorBoard lists them in its shown order; here a subset is drawn in ascending point order
            order = sorted(range(len(shown)), key=shown.__getitem__)
            coords = [[float(projections[j][k]) for k in keys] for j in order]
            if method == "custom":
                axes = [f"{params['left'] or '?'} → {params['right'] or '?'}",
                        f"{params['down'] or '?'} → {params['up'] or '?'}"]
            else:
                axes = keys
            given = {"coords": coords, "axes": axes, "source": f"TensorBoard {tb.get('selectedProjection', '')}"}
        colour = tb.get("selectedColorOptionName")
        label = tb.get("selectedLabelOption")
        asked = tb.get("selectedPoints") or []
        if not isinstance(asked, list):
            raise DataError(f"bookmark {i + 1} of this TensorBoard file is damaged: its selectedPoints is not a list.")
        wrong = next((p for p in asked if type(p) is not int or not 0 <= p < len(shown)), None)
        if wrong is not None:
            raise DataError(f"bookmark {i + 1} of this TensorBoard file selects point {str(wrong)[:30]}, which is not "
                            f"one of its {len(shown):,} points; is it the file for this data set?")
        selected = [shown[p] for p in asked]
        raw = {"dataset": dataset_id, "subset": sorted(set(filtered)) if filtered else None, "spherize": False,
               "method": "given" if given else method, "dims": dims,
               "params": params, "colour_by": colour if colour in columns else None,
               "label_by": label if label in columns else None,
               "selection": {"anchor": None, "neighbors": [], "points": selected, "filter": False},
               "search": {}, "neighbours": {}, "camera": None, "given": given, "controls": method}
        state = clean_state(raw, num_points, dim)
        out.append({"name": _text(tb.get("label"), f"TensorBoard bookmark {i + 1}", NAME_MAX), "state": state})
    return out

"""The boundary: every callback request is untrusted, and is checked here, once, before any callback runs.

A browser (or anything speaking HTTP) sends ``POST /_dash-update-component`` with the values of a
callback's inputs and states. Here, before Dash dispatches it:

1. the body is JSON of at most :data:`BODY_MAX` bytes and :data:`DEPTH_MAX` levels, names a callback the
   app has, and carries exactly that callback's inputs and states; no number in it is NaN or infinite;
2. every control's value has its declared type and range (:data:`CONTROLS`): a neighbour count is a
   whole number from 1 to 999, a data-set id is a short hex string, a query at most 1,000 characters…;
3. the records only the server writes (the view, selection, isolated subset, job, shown projection…)
   come back exactly as the server wrote them: each is signed with an HMAC when it leaves the server
   (:func:`sign_response`) and the signature is checked and removed when it returns — so no callback ever
   sees a record a client made up. Copies the browser keeps across reloads are checked the same way; a
   copy that fails (an old secret, an old version) is dropped, never trusted.

A request that fails is answered ``400`` with one sentence (``{"message": …}``) and runs nothing.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import re
import secrets
from functools import lru_cache

from components import ids

from . import services

BODY_MAX = 96 * 2**20        # a 64 MB bookmark file, base64-encoded, inside one request
DEPTH_MAX = 40
SIG = "_sig"

# Records only server callbacks write (their signature is checked) and the browser's copies of the view
# (checked; dropped when they fail, since they outlive the secret that signed them).
SIGNED = frozenset({ids.VIEW, ids.GOTO, ids.SETUP, ids.SHOWN, ids.WATCH, ids.JOB, ids.FRAME, ids.CAMERA_TARGET,
                    ids.GIVEN, ids.SUBSET, ids.SELECTION, ids.ANALYSIS_JOB, ids.ANALYSIS_RESULT, ids.TABLE_KEY,
                    ids.COMPARISON})
COPIES = frozenset({ids.SAVED_VIEW, ids.LAST_VIEW})


class Refused(Exception):
    """A request the boundary does not pass on: its one sentence."""


# ---- control values ------------------------------------------------------------------------------

def _clicks(v):
    if v is None or (type(v) is int and 0 <= v <= 2**53):
        return v
    raise Refused("a click count must be a whole number of at least 0.")


def _text(limit: int):
    def check(v):
        if v is None or (isinstance(v, str) and len(v) <= limit):
            return v
        if isinstance(v, str):
            raise Refused(f"a text field holds {len(v):,} characters; at most {limit:,} are accepted.")
        raise Refused("a text field must hold text.")
    return check


def _number(lo, hi, whole=False):
    def check(v):
        if v is None or v == "":
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise Refused("a number field must hold a number.")
        if whole and v != int(v):
            raise Refused(f"{v:g} is not a whole number.")
        if not lo <= v <= hi:
            raise Refused(f"{v:g} is out of range; use a number from {lo:g} to {hi:g}.")
        return int(v) if whole else v
    return check


def _choice(*values):
    def check(v):
        if v is None or v in values:
            return v
        raise Refused(f"{str(v)[:40]!r} is not one of the choices ({', '.join(values)}).")
    return check


def _checklist(v):
    if v is None or (isinstance(v, list) and len(v) <= 8 and all(isinstance(x, str) and len(x) <= 40 for x in v)):
        return v
    raise Refused("a check box must hold a short list of its options.")


_HEX = re.compile(r"^[0-9a-f]{1,64}$")


def _dataset_id(v):
    if v is None or (isinstance(v, str) and _HEX.match(v)):
        return v
    raise Refused("that is not a data set of this server; pick one from the list.")


def _json_object(limit: int):
    def check(v):
        if v is None or isinstance(v, dict):
            if v is not None and len(json.dumps(v, allow_nan=False)) > limit:
                raise Refused(f"a plot event is larger than {limit // 2**20 or 1} MB.")
            return v
        raise Refused("a plot event must be an object.")
    return check


def _staged(v):
    if v is None:
        return v
    ok = (isinstance(v, dict) and set(v) <= {"token", "name", "filename", "size"}
          and isinstance(v.get("token"), str) and re.match(r"^[0-9a-f]{16}$", v["token"])
          and isinstance(v.get("name"), str) and len(v["name"]) <= 255
          and isinstance(v.get("filename", ""), str) and len(v.get("filename", "")) <= 1000
          and type(v.get("size", 0)) is int and 0 <= v.get("size", 0) <= 2**50)
    if ok:
        return v
    raise Refused("that upload handle was not made by this server; choose the file again.")


def _options(v):
    if v is None or (isinstance(v, list) and len(v) <= 100_000 and all(isinstance(o, dict) for o in v)):
        return v
    return []   # not a list this server sent: every data set counts as new, and the list is sent again


def _tray(v):
    if v is None or (isinstance(v, list) and len(v) <= 10_000 and all(isinstance(b, dict) for b in v)):
        return v
    return None   # the browser's own copy of the bookmarks, from another version: start without it


def _listed(v):
    return v if v is None or (isinstance(v, str) and len(v) <= 100_000) else None


def _grid_model(v):
    if v is None or (isinstance(v, dict) and len(json.dumps(v, allow_nan=False)) <= 64 * 2**10):
        return v
    raise Refused("the table's filters must be a set of column filters of at most 64 KB.")


_SORTS = ("asc", "desc")


def _rows_request(v):
    """The table's request for a block of rows: where it starts and ends, its sort and its filters."""
    if v is None:
        return v
    # "api" and "context" are the grid's own objects as JSON: nothing reads them
    if not isinstance(v, dict) or not set(v) <= {"startRow", "endRow", "sortModel", "filterModel", "context", "api"}:
        raise Refused("the table's request for rows is not one; reload the page.")
    start, end = v.get("startRow"), v.get("endRow")
    if type(start) is not int or type(end) is not int or not 0 <= start <= end <= 2**53 or end - start > 1_000:
        raise Refused("the table asks for at most 1,000 rows at a time, from row 0 on.")
    sort = v.get("sortModel") or []
    if not isinstance(sort, list) or len(sort) > 50 or not all(
            isinstance(s, dict) and len(s) <= 8 and isinstance(s.get("colId"), str)
            and len(s["colId"]) <= 100 and s.get("sort") in _SORTS for s in sort):
        raise Refused("the table sorts by at most 50 columns, each ascending or descending.")
    _grid_model(v.get("filterModel"))
    return v


def _grid_rows(v):
    if v is None or (isinstance(v, list) and len(v) <= 10_000 and all(isinstance(r, dict) for r in v)):
        return v
    raise Refused("select at most 10,000 rows of the table at once.")


COLUMN = _text(1_000)
QUERY = _text(1_000)
CONTROLS = {
    (ids.DATASET, "value"): _dataset_id,
    (ids.PICK_RUN, "value"): _text(4_096), (ids.PICK_TENSOR, "value"): _text(4_096), (ids.PICK_STEP, "value"): _dataset_id,
    (ids.STORE_TICK, "n_intervals"): _clicks, (ids.DATASET, "options"): _options,
    (ids.COLOR_BY, "value"): COLUMN, (ids.LABEL_BY, "value"): COLUMN, (ids.SEARCH_COLUMN, "value"): COLUMN,
    (ids.CUSTOM_COLUMN, "value"): COLUMN, (ids.TAG_COLUMN, "value"): COLUMN,
    (ids.SEARCH, "value"): QUERY, (ids.TAG_VALUE, "value"): _text(10_000),
    (ids.CUSTOM_LEFT, "value"): QUERY, (ids.CUSTOM_RIGHT, "value"): QUERY,
    (ids.CUSTOM_UP, "value"): QUERY, (ids.CUSTOM_DOWN, "value"): QUERY,
    (ids.UPLOAD_NAME, "value"): _text(300), (ids.UPLOAD_COLUMN, "value"): _text(300), (ids.URL, "search"): _text(4_096),
    (ids.SEARCH_REGEX, "value"): _checklist, (ids.CUSTOM_REGEX, "value"): _checklist,
    (ids.SPHERIZE, "value"): _checklist, (ids.IMAGES, "value"): _checklist,
    (ids.PCA_3D, "value"): _checklist, (ids.TSNE_3D, "value"): _checklist, (ids.UMAP_3D, "value"): _checklist,
    (ids.RAW_3D, "value"): _checklist,
    (ids.TABLE_GRID, "getRowsRequest"): _rows_request, (ids.TABLE_GRID, "filterModel"): _grid_model,
    (ids.TABLE_GRID, "selectedRows"): _grid_rows, (ids.CHART_COLUMN, "value"): COLUMN,
    (ids.CHART, "clickData"): _json_object(2**20), (ids.CHART, "selectedData"): _json_object(2**20),
    (ids.CHARTED, "data"): _listed,
    (ids.METRIC, "value"): _choice("cosine", "euclidean"),
    (ids.SEARCH_SCOPE, "value"): _choice("all", "neighbors", "selection"),
    (ids.TABS, "value"): _choice("pca", "tsne", "umap", "custom", "raw", "given"),
    (ids.NEIGHBOR_COUNT, "value"): _number(1, 999, whole=True),
    (ids.PCA_X, "value"): _number(0, 9, whole=True), (ids.PCA_Y, "value"): _number(0, 9, whole=True),
    (ids.PCA_Z, "value"): _number(0, 9, whole=True),
    (ids.TSNE_PERPLEXITY, "value"): _number(-1e6, 1e6), (ids.TSNE_LEARNING_RATE, "value"): _number(-1e9, 1e9),
    (ids.TSNE_ITERATIONS, "value"): _number(-1e9, 1e9), (ids.UMAP_NEIGHBORS, "value"): _number(-1e6, 1e6),
    (ids.UMAP_MIN_DIST, "value"): _number(-1e6, 1e6),
    (ids.BYTES_DIM, "value"): _number(1, 10**7, whole=True),
    (ids.SPRITE_WIDTH, "value"): _number(1, 10**5, whole=True),
    (ids.SPRITE_HEIGHT, "value"): _number(1, 10**5, whole=True),
    (ids.GRAPH, "clickData"): _json_object(2**20), (ids.GRAPH, "hoverData"): _json_object(2**20),
    (ids.GRAPH, "selectedData"): _json_object(BODY_MAX), (ids.GRAPH, "relayoutData"): _json_object(2**20),
    (ids.BOOKMARK_FILE, "contents"): _text(BODY_MAX), (ids.BOOKMARK_FILE, "filename"): _text(1_000),
    (ids.STAGED_VECTORS, "data"): _staged, (ids.STAGED_METADATA, "data"): _staged,
    (ids.STAGED_SPRITE, "data"): _staged, (ids.TRAY, "data"): _tray, (ids.INSPECTOR_LISTED, "data"): _listed,
    (ids.DRAWN, "data"): _json_object(2**20), (ids.CAMERA_CAPTURE, "data"): _json_object(2**20),
    (ids.SHARE_ID, "data"): _text(200), (ids.JOB_TICK, "n_intervals"): _clicks,
    # the Analysis panel (the engine says what is out of range, in a sentence) and the density toggle
    (ids.DENSITY, "value"): _checklist,
    (ids.ANALYSIS_TABS, "value"): _choice("clusters", "outliers", "faithfulness", "stability", "compare"),
    # the Compare tab and B's map beside the main one
    (ids.COMPARE_OTHER, "value"): _dataset_id, (ids.COMPARE_K, "value"): _number(-1e15, 1e15),
    (ids.COMPARE_GRAPH, "clickData"): _json_object(2**20), (ids.COMPARE_GRAPH, "selectedData"): _json_object(BODY_MAX),
    (ids.COMPARE_DRAWN, "data"): _json_object(2**20),
    (ids.CLUSTER_ALGORITHM, "value"): _choice("hdbscan", "kmeans"), (ids.CLUSTER_SPACE, "value"): _choice("vectors", "map"),
    (ids.OUTLIER_METHOD, "value"): _choice("lof", "kth"), (ids.OUTLIER_SPACE, "value"): _choice("stored", "view"), (ids.CLUSTER_NAME_BY, "value"): COLUMN,
    (ids.CLUSTER_MIN_SIZE, "value"): _number(-1e15, 1e15), (ids.CLUSTER_K, "value"): _number(-1e15, 1e15),
    (ids.OUTLIER_K, "value"): _number(-1e15, 1e15), (ids.TRUST_K, "value"): _number(-1e15, 1e15),
    (ids.STABILITY_SEED, "value"): _number(-1e15, 1e15), (ids.OUTLIER_TOP, "value"): _number(-1e15, 1e15),
}
# Pattern-matching inputs (bookmark rows, listed points) are keyed by their type.
PATTERNS = {("bookmark-name", "value"): _text(200)}


def _control(component_id, prop):
    if isinstance(component_id, dict):
        kind = component_id.get("type")
        if prop == "n_clicks":
            return _clicks
        return PATTERNS.get((kind, prop))
    if prop == "n_clicks":
        return _clicks
    return CONTROLS.get((component_id, prop))


# ---- signatures --------------------------------------------------------------------------------

def _secret() -> bytes:
    return secret_of(str(services.data_dir()), os.environ.get("PROJECTOR_SECRET"))


@lru_cache(maxsize=8)
def secret_of(data_dir: str, configured: str | None = None) -> bytes:
    """``PROJECTOR_SECRET``, else a key kept in the data folder (the same for every process sharing it)."""
    from pathlib import Path

    if configured:
        return hashlib.sha256(b"records:" + configured.encode()).digest()
    path = Path(data_dir) / "secret"
    try:
        return bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError):
        pass
    key = secrets.token_hex(32)
    tmp = path.with_name(f".secret-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key)
        try:
            os.link(tmp, path)          # the first process to get here wins; the others read its key
        except FileExistsError:
            pass
    except OSError:                     # a read-only or full data folder: a key for this process only
        return bytes.fromhex(key)
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
    return bytes.fromhex(path.read_text().strip())


def _canonical(v):
    """The value as any JSON round trip leaves it: integral floats as ints, keys sorted, no signature."""
    if isinstance(v, dict):
        return {str(k): _canonical(x) for k, x in v.items() if k != SIG}
    if isinstance(v, (list, tuple)):
        return [_canonical(x) for x in v]
    if isinstance(v, float):
        if not math.isfinite(v):
            return None
        return int(v) if v.is_integer() and abs(v) < 2**53 else v
    return v


def signature(v, key: bytes | None = None) -> str:
    text = json.dumps(_canonical(v), sort_keys=True, separators=(",", ":"))   # ASCII: any text signs
    return hmac.new(key or _secret(), text.encode("ascii"), hashlib.sha256).hexdigest()[:40]


def signed(v, key: bytes | None = None):
    """``v`` with its signature (dicts only: other values are None or not records)."""
    if isinstance(v, dict) and "__dash_patch_update" not in v:
        return {**v, SIG: signature(v, key)}
    return v


def verified(v, component_id: str):
    """The record without its signature; :class:`Refused` when it is not the server's."""
    if v is None:
        return None
    if isinstance(v, dict) and isinstance(v.get(SIG), str) and hmac.compare_digest(v[SIG], signature(v)):
        return {k: x for k, x in v.items() if k != SIG}
    raise Refused("this page's state was changed outside the app (or by an older version of it); reload the page.")


# ---- the request ---------------------------------------------------------------------------------

def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _depth_and_numbers(value) -> None:
    stack = [(value, 0)]
    while stack:
        v, depth = stack.pop()
        if depth > DEPTH_MAX:
            raise Refused(f"the request nests deeper than {DEPTH_MAX} levels.")
        if isinstance(v, float) and not math.isfinite(v):
            raise Refused("a number in the request is not finite (NaN or infinity).")
        if isinstance(v, str) and not _encodable(v):
            raise Refused("a text in the request holds a lone surrogate (half of a UTF-16 pair), which is not text.")
        if isinstance(v, dict):
            stack.extend((x, depth + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, depth + 1) for x in v)


def _declared(callback_map, output: str):
    spec = callback_map.get(output)
    if spec is None:
        raise Refused("the request names a callback this app does not have; reload the page.")
    return spec


def _pattern(declared):
    """A declared pattern-matching id (Dash keeps it as JSON text) as a dict, else None."""
    if isinstance(declared, str) and declared.startswith("{"):
        try:
            return json.loads(declared)
        except ValueError:
            return None
    return declared if isinstance(declared, dict) else None


def _same_id(given, declared) -> bool:
    pattern = _pattern(declared)
    if pattern is not None:
        return (isinstance(given, dict) and set(given) == set(pattern) and given.get("type") == pattern.get("type")
                and all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in given.values()))
    return given == declared


def _outputs_match(outputs, output: str) -> bool:
    from dash._utils import split_callback_id

    want = split_callback_id(output)
    want = want if isinstance(want, list) else [want]
    given = outputs if isinstance(outputs, list) else [outputs]
    if len(given) != len(want):
        return False
    for g, w in zip(given, want):
        items = g if isinstance(g, list) else [g]
        for it in items:
            if not isinstance(it, dict) or not isinstance(it.get("property"), str):
                return False
            if it["property"].split("@")[0] != w["property"].split("@")[0] or not _same_id(it.get("id"), w["id"]):
                return False
    return True


def check_request(body, callback_map) -> dict:
    """The checked body (signatures removed) of a callback request, or :class:`Refused`."""
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        raise Refused("a callback request must be a JSON object naming its output.")
    spec = _declared(callback_map, body["output"])
    for part, declared in (("inputs", spec.get("inputs", [])), ("state", spec.get("state", []))):
        given = body.get(part, [])
        if not isinstance(given, list) or len(given) != len(declared):
            raise Refused(f"the request's {part} do not match its callback; reload the page.")
        for i, (item, want) in enumerate(zip(given, declared)):
            items = item if isinstance(item, list) else [item]
            if (_pattern(want["id"]) is not None) != isinstance(item, list) or len(items) > 10_000:
                raise Refused(f"the request's {part} do not match its callback; reload the page.")
            checked = []
            for it in items:
                if (not isinstance(it, dict) or it.get("property") != want["property"]
                        or not _same_id(it.get("id"), want["id"])):
                    raise Refused(f"the request's {part} do not match its callback; reload the page.")
                checked.append({**it, "value": _value(it["id"], it["property"], it.get("value"))})
            given[i] = checked if isinstance(item, list) else checked[0]
    if not _outputs_match(body.get("outputs"), body["output"]):
        raise Refused("the request's outputs do not match its callback; reload the page.")
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) and len(c) < 500 for c in changed):
        raise Refused("the request's list of changed inputs is not a list of names.")
    return body


def _value(component_id, prop, value):
    _depth_and_numbers(value)
    if prop == "data" and component_id in SIGNED:
        return verified(value, component_id)
    if prop == "data" and component_id in COPIES:
        try:
            return verified(value, component_id)
        except Refused:
            return None
    check = _control(component_id, prop)
    if check is None:
        raise Refused(f"the request sends {component_id}.{prop}, which no callback takes from a browser.")
    return check(value)


def install(app) -> None:
    """Check every callback request before Dash sees it, and sign the records in every answer."""
    from flask import g, jsonify, request

    server = app.server
    _secret()   # made now, before any request: every process sharing the data folder then reads the same key

    @server.before_request
    def _check():
        if request.path.endswith("/_dash-update-component") and request.method == "POST":
            length = request.content_length
            if length is not None and length > BODY_MAX:
                return jsonify({"message": f"the request is {length / 2**20:,.0f} MB; at most "
                                           f"{BODY_MAX // 2**20} MB are accepted."}), 413
            try:
                body = json.loads(request.get_data(cache=True) or b"null")
                body = check_request(body, app.callback_map)
            except (ValueError, RecursionError, UnicodeDecodeError):
                return jsonify({"message": "the request is not valid JSON."}), 400
            except Refused as exc:
                return jsonify({"message": str(exc)}), 400
            request._cached_json = (body, body)   # what Dash reads: the checked body
            g.sign_outputs = any(f"{cid}.data" in body["output"] for cid in SIGNED)
        return None

    @server.after_request
    def _sign(response):
        if getattr(g, "sign_outputs", False) and response.status_code == 200 and response.is_json:
            sign_response(response)
        return response


def sign_response(response) -> None:
    """Sign the server-only records among a callback answer's outputs, in place."""
    try:
        answer = json.loads(response.get_data())
    except ValueError:
        return
    changed = False
    for cid, props in (answer.get("response") or {}).items():
        if cid in SIGNED and isinstance(props, dict) and isinstance(props.get("data"), dict):
            props["data"] = signed(props["data"])
            changed = True
    if changed:
        response.set_data(json.dumps(answer, separators=(",", ":")))

"""Pure helpers that turn coordinates and metadata into Plotly figure pieces (no Dash here).

Coordinates and colours travel as typed arrays (base64 ``bdata``), never as JSON number lists.
"""
from __future__ import annotations

import base64

import numpy as np
import pandas as pd

from projector.analyses import CLUSTER_PREFIX, NOISE, SCORE_PREFIXES
from projector.formats import column_as_text

MAX_CATEGORIES = 20          # colours in the categorical palette; rarer values share "other"
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
           "#f7b6d2", "#dbdb8d", "#9edae5", "#393b79"]
OTHER_COLOUR = "#c8c8c8"
MISSING_COLOUR = "#eeeeee"
NOISE_COLOUR = "#b0bec5"
PLAIN_COLOUR = "#1f77b4"
GRADIENT = "Viridis"


def _viridis(k: int) -> list[str]:
    from plotly.colors import sample_colorscale

    return sample_colorscale(GRADIENT, [i / (k - 1) for i in range(k)])
ROLE_COLOURS = ["#d50000", "#ff6d00", "#6a1b9a"]   # clicked point, neighbour, selected point
ROLE_SIZES = {2: [18, 11, 10], 3: [9, 6, 5]}        # found points stand out among thousands of dots
BASE_SIZE = {2: 5, 3: 2.5}
HOVER_TEXT_MAX = 100_000   # above this many points, labels are not shipped with the figure; hovering asks the server
TEXT_LABELS_MAX = 200      # with this many points or fewer, every point's label is written on the plot
IMAGES_DOT_OPACITY = 0     # with thumbnails drawn under the plot, the dots are invisible yet still hovered and clicked
LABEL_FONT = {"size": 11, "color": "#212121"}


def dot_opacity(selection_shown: bool, images_shown: bool) -> float:
    """The opacity of the drawn points: faded behind a selection, hidden when thumbnails stand in."""
    if images_shown:
        return IMAGES_DOT_OPACITY
    return 0.2 if selection_shown else 0.8


def typed(values, dtype: str = "f4") -> dict:
    """A Plotly typed-array spec: the array's bytes in base64, decoded by plotly.js without JSON numbers."""
    arr = np.ascontiguousarray(values, dtype={"f4": "<f4", "i4": "<i4", "u1": "u1"}[dtype])
    return {"dtype": dtype, "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}


def untyped(spec) -> np.ndarray:
    """The array behind a typed-array spec (or a plain list), for tests and clientside echoes."""
    if isinstance(spec, dict) and "bdata" in spec:
        return np.frombuffer(base64.b64decode(spec["bdata"]), dtype={"f4": "<f4", "i4": "<i4", "u1": "u1"}[spec["dtype"]])
    return np.asarray(spec)


def _legend_value(v, numeric: bool) -> str:
    """A legend entry: a category's text, or a number with at most 4 significant digits unless it is whole
    (an agreement of 1/19 reads 0.05263, not 0.05263157894736842)."""
    if not numeric:
        return str(v)
    x = float(v)
    return str(v) if x.is_integer() or not np.isfinite(x) else f"{x:.4g}"


_CATEGORIES: dict = {}     # id(frame) -> (weak reference to it, {column: (texts, kept values)})


def _categories(frame: pd.DataFrame, column: str, numeric: bool) -> tuple[np.ndarray, list]:
    """The column as text and the values that get a colour (the most frequent), kept while the frame lives: a
    highlight colours its few points without counting a million values again."""
    import weakref

    held = _CATEGORIES.get(id(frame))
    if held is None or held[0]() is not frame:
        for key in [k for k, (ref, _) in _CATEGORIES.items() if ref() is None]:
            del _CATEGORIES[key]
        held = _CATEGORIES[id(frame)] = (weakref.ref(frame), {})
    if column not in held[1]:
        all_texts = np.asarray(column_as_text(frame[column]), dtype=object)
        full = pd.Series(all_texts[all_texts != ""]).value_counts(sort=True)
        if numeric:  # few distinct numbers: categories in numeric order
            full = full.reindex(sorted(full.index, key=float))
        keep = list(full.index[:MAX_CATEGORIES]) if len(full) <= MAX_CATEGORIES else list(full.index[:MAX_CATEGORIES - 1])
        held[1][column] = (all_texts, keep)
    return held[1][column]


def colour_scheme(frame: pd.DataFrame, column: str | None, rows: np.ndarray | None) -> dict:
    """How to colour the points ``rows`` (global indices; None = all) by ``column``.

    Returns ``{"kind", "marker", "legend"}``: ``marker`` holds the marker attributes to set,
    ``legend`` a list of ``{"label", "colour", "count"}`` (categorical) or the numeric range.
    Numeric columns with at most 20 distinct values (but an analysis's scores), and text columns, are categorical; text
    columns with more values keep their 19 most frequent and group the rest as "other".
    """
    if not column or column not in frame.columns:
        return {"kind": "none", "marker": {"color": PLAIN_COLOUR, "showscale": False}, "legend": []}
    series = frame[column] if rows is None else frame[column].iloc[rows]
    numeric = pd.api.types.is_numeric_dtype(series.dtype)
    if numeric:
        values = series.to_numpy(dtype=np.float64)
        everything = frame[column].to_numpy(dtype=np.float64)
        distinct = np.unique(everything[np.isfinite(everything)])  # the scale is the whole column's finite values
        # an analysis's score (agreement at k: 11 values) is a gradient however few values it takes
        if len(distinct) > MAX_CATEGORIES or (is_score_column(column) and len(distinct) > 1):
            lo, hi = float(distinct[0]), float(distinct[-1])
            finite = np.isfinite(values)
            # 255 levels are indistinguishable on a gradient and travel as one byte per point; level 255 is
            # "missing or not finite" (±inf, NaN), drawn grey instead of passing for the lowest value.
            with np.errstate(over="ignore", invalid="ignore"):
                span = (hi - lo) if np.isfinite(hi - lo) and hi > lo else 1.0
                level = np.where(finite, np.round((np.where(finite, values, lo) - lo) / span * 254), 255)
            ticks = np.linspace(0, 254, 5)
            scale = [[i / 4 * 254 / 255, c] for i, c in enumerate(_viridis(5))] + [[254.5 / 255, MISSING_COLOUR],
                                                                                    [1.0, MISSING_COLOUR]]
            legend = [{"label": f"{lo:g} – {hi:g}", "colour": "", "count": int(finite.sum())}]
            if (~finite).any():
                legend.append({"label": "missing or not finite", "colour": MISSING_COLOUR,
                               "count": int((~finite).sum())})
            return {"kind": "numeric",
                    "marker": {"color": typed(level, "u1"), "colorscale": scale, "cmin": 0, "cmax": 255,
                               "showscale": True,
                               "colorbar": {"title": {"text": column}, "thickness": 12, "tickvals": ticks.tolist(),
                                            "ticktext": [f"{lo + t / 254 * (hi - lo):.3g}" for t in ticks]}},
                    "legend": legend}
    # Colours come from the whole column, so a value keeps its colour when a subset is isolated.
    all_texts, keep = _categories(frame, column, numeric)
    texts = all_texts if rows is None else all_texts[rows]
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(keep))]
    if is_cluster_column(column) and NOISE in keep:   # a cluster analysis's noise is context, not a cluster
        colours[keep.index(NOISE)] = NOISE_COLOUR
    lookup = {v: i for i, v in enumerate(keep)}
    other_code, missing_code = len(keep), len(keep) + 1
    codes = np.fromiter((lookup.get(t, other_code if t else missing_code) for t in texts), dtype=np.float32,
                        count=len(texts))
    shown = np.bincount(codes.astype(np.int64), minlength=len(keep) + 2)
    legend = [{"label": _legend_value(v, numeric), "colour": c, "count": int(shown[i])}
              for i, (v, c) in enumerate(zip(keep, colours)) if shown[i]]
    if shown[other_code]:
        n_values = len(set(texts[codes == other_code]))
        legend.append({"label": f"other ({n_values:,} values)", "colour": OTHER_COLOUR, "count": int(shown[other_code])})
    if shown[missing_code]:
        legend.append({"label": "(missing)", "colour": MISSING_COLOUR, "count": int(shown[missing_code])})
    stops = colours + [OTHER_COLOUR, MISSING_COLOUR]
    scale = [[i / (len(stops) - 1), c] for i, c in enumerate(stops)]
    return {"kind": "category",
            "marker": {"color": typed(codes, "u1"), "colorscale": scale, "cmin": 0, "cmax": len(stops) - 1,
                       "showscale": False},
            "legend": legend}


def hover_texts(frame: pd.DataFrame, column: str | None, rows: np.ndarray | None, n: int) -> list[str]:
    """Hover text per drawn point: the label-by column, or the point number when there is none."""
    idx = np.arange(n) if rows is None else rows
    if not column or column not in frame.columns:
        return [f"#{i}" for i in idx]
    series = frame[column] if rows is None else frame[column].iloc[rows]
    return [t if t else f"#{i}" for t, i in zip(column_as_text(series), idx)]


def axis_names(shown: dict) -> list[str]:
    """Axis titles of a projection (a SHOWN record or anything with method, dims and params)."""
    method, dims = shown["method"], shown["dims"]
    if method == "pca":
        return [f"PC{c + 1}" for c in shown["params"]["components"]]
    if method == "custom":
        p = shown["params"]
        return [f"{p['left'] or '?'} → {p['right'] or '?'}", f"{p['down'] or '?'} → {p['up'] or '?'}"]
    if method == "given":
        given = list(shown["params"].get("axes") or [])[:dims]
        return given + [f"axis {i + 1}" for i in range(len(given), dims)]
    name = {"tsne": "t-SNE", "umap": "UMAP", "raw": "dimension"}.get(method, method)
    return [f"{name} {i + 1}" for i in range(dims)]


def build_figure(coords: np.ndarray, texts: list[str] | None, scheme: dict, names: list[str], uirevision: str) -> dict:
    """The whole figure for one projection: trace 0 holds every drawn point, trace 1 the highlights.

    ``texts`` None (large data): no labels travel; the hover label comes from the server. With at
    most TEXT_LABELS_MAX points, every label is also written beside its point.
    """
    dims = coords.shape[1]
    if texts is None:
        label = {"hoverinfo": "none"}
    else:
        label = {"hovertext": texts, "hovertemplate": "%{hovertext}<extra></extra>"}
        if len(texts) <= TEXT_LABELS_MAX:
            label.update(text=texts, textposition="top center", textfont=LABEL_FONT)
    base = {"mode": "markers+text" if "text" in label else "markers", **label,
            "marker": {"size": BASE_SIZE[dims], "opacity": 0.8, "line": {"width": 0}, **scheme["marker"]}}
    high = {"mode": "markers+text", "text": [], "hovertext": [], "customdata": [],
            "hovertemplate": "%{hovertext}<extra></extra>", "textposition": "top center",
            "textfont": {"size": 12, "color": "#000000"},
            "marker": {"size": [], "color": [], "line": {"width": 1.5, "color": "#ffffff"}}}
    axis = {"showticklabels": False, "zeroline": False, "showgrid": False}
    if dims == 2:
        for t in (base, high):
            t["type"] = "scattergl"
        base.update(x=typed(coords[:, 0]), y=typed(coords[:, 1]))
        high.update(x=[], y=[])
        layout = {"xaxis": {**axis, "title": {"text": names[0]}}, "yaxis": {**axis, "title": {"text": names[1]}},
                  "dragmode": "pan"}
    else:
        for t in (base, high):
            t["type"] = "scatter3d"
        base.update(x=typed(coords[:, 0]), y=typed(coords[:, 1]), z=typed(coords[:, 2]))
        high.update(x=[], y=[], z=[])
        layout = {"scene": {ax: {**axis, "title": {"text": n}, "showbackground": False}
                            for ax, n in zip(("xaxis", "yaxis", "zaxis"), names)}}
    layout.update(margin={"l": 10, "r": 10, "t": 10, "b": 10}, showlegend=False, hovermode="closest",
                  uirevision=uirevision, plot_bgcolor="white", paper_bgcolor="white")
    return {"data": [base, high], "layout": layout}


def empty_figure(caption: str) -> dict:
    """A plot with no points, saying why (computing, nothing asked yet): never another view's points."""
    hidden = {"visible": False}
    return {"data": [{"type": "scattergl", "mode": "markers", "x": [], "y": []},
                     {"type": "scattergl", "mode": "markers", "x": [], "y": [], "customdata": []}],
            "layout": {"xaxis": hidden, "yaxis": hidden, "plot_bgcolor": "white", "paper_bgcolor": "white",
                       "margin": {"l": 10, "r": 10, "t": 10, "b": 10}, "uirevision": "empty",
                       "annotations": [{"text": caption, "showarrow": False, "xref": "paper", "yref": "paper",
                                        "x": 0.5, "y": 0.5, "font": {"size": 15, "color": "#616161"}}]}}


def scheme_colours(scheme: dict) -> tuple[np.ndarray, list[str]] | None:
    """Each point's colour under ``scheme`` (:func:`colour_scheme`) as (code per point, colour of each code), or
    None when the points are not coloured by a column."""
    if scheme["kind"] == "none":
        return None
    codes = untyped(scheme["marker"]["color"]).astype(np.int64)
    if scheme["kind"] == "numeric":      # levels 0–254 along the gradient, 255 missing
        return codes, _viridis(255) + [MISSING_COLOUR]
    return codes, [c for _, c in scheme["marker"]["colorscale"]]


def highlight_trace(coords: np.ndarray, rows: np.ndarray, points: np.ndarray, roles: np.ndarray,
                    texts: list[str], own: tuple[np.ndarray, list[str]] | None = None) -> dict:
    """Trace-1 values for the highlighted points: ``rows`` index ``coords``; roles 0/1/2 as ROLE_COLOURS.

    The clicked point and its neighbours carry their labels on the plot; every highlight has a hover label.
    ``own`` (:func:`scheme_colours` of these points) keeps each selected point's own colour — a selection of
    high scores stays yellow on a gradient, a selected cluster its colour; without it they are ROLE_COLOURS[2].
    """
    dims = coords.shape[1]
    sizes = np.asarray(ROLE_SIZES[dims], dtype=np.float32)[roles] if len(roles) else np.empty(0, np.float32)
    if own is None:
        codes, colours = np.asarray(roles, dtype=np.int64), ROLE_COLOURS
    else:
        codes = np.where(roles < 2, roles, 2 + own[0]) if len(roles) else np.empty(0, np.int64)
        colours = ROLE_COLOURS[:2] + list(own[1])
    # Draw the clicked point last so it sits on top.
    order = np.argsort(-roles, kind="stable")
    rows, points, roles, sizes, codes = rows[order], points[order], roles[order], sizes[order], codes[order]
    labels = [texts[i] for i in order]
    # customdata stays a plain list: dcc.Graph reads it per point from the trace as given.
    out = {"x": typed(coords[rows, 0]), "y": typed(coords[rows, 1]), "customdata": [int(p) for p in points],
           "hovertext": labels, "text": [t if r < 2 else "" for t, r in zip(labels, roles)],
           "marker.color": typed(codes, "u1" if len(colours) <= 256 else "f4"), "marker.size": typed(sizes),
           "marker.colorscale": [[i / (len(colours) - 1), c] for i, c in enumerate(colours)],
           "marker.cmin": 0, "marker.cmax": len(colours) - 1}
    if dims == 3:
        out["z"] = typed(coords[rows, 2])
    return out


def apply(target, values: dict) -> None:
    """Put trace values (``"marker.size"``-style dotted keys too) into a trace dict or a Patch of one."""
    for k, v in values.items():
        if "." in k:
            head, tail = k.split(".", 1)
            target[head][tail] = v
        else:
            target[k] = v


def aim_camera(layout, camera: dict, dims: int) -> bool:
    """Put a saved camera into ``layout`` (a figure's layout dict or a Patch of it): 2D axis ranges or
    the 3D scene camera. Says whether the camera fitted the plot."""
    if dims == 2 and "x" in camera:
        for axis, values in (("xaxis", camera["x"]), ("yaxis", camera["y"])):
            layout[axis]["range"] = list(values)
            layout[axis]["autorange"] = False
        return True
    if dims == 3 and "scene" in camera:
        layout["scene"]["camera"] = camera["scene"]
        return True
    return False


# ---------------------------------------------------------------- overlays: density contours, cluster names

OVERLAY_TRACES = 2            # a 2D figure's traces 2 (density contours) and 3 (cluster names)
NAMES_MAX = 40                # cluster names written on the map (the largest clusters); the panel lists all
NAME_CHARS = 36


def density_values(coords: np.ndarray | None) -> dict:
    """Trace-2 values: contours of a Gaussian density over the drawn 2D points (none: an empty trace).

    The heights are the share of points where the density is lower, so the contours enclose the densest
    90%, 70%, 50%, 30% and 10% of the points, whatever the peaks — a faint region keeps its lines
    beside a crowded one."""
    if coords is None or len(coords) < 3 or coords.shape[1] != 2:
        return {"x": [], "y": [], "z": [], "visible": False}
    from projector.density import density_grid

    P = np.asarray(coords, dtype=np.float64)
    P = P[np.isfinite(P).all(axis=1)]
    if len(P) < 3:
        return {"x": [], "y": [], "z": [], "visible": False}
    grid = density_grid(P)
    x, y, z = (np.asarray(grid[a], dtype=np.float64) for a in ("x", "y", "z"))
    at_points = np.sort(z[np.clip(np.searchsorted(y, P[:, 1]), 0, len(y) - 1),
                          np.clip(np.searchsorted(x, P[:, 0]), 0, len(x) - 1)])
    share = np.searchsorted(at_points, z, side="right") / len(at_points)   # share of points less dense than here
    # drawn only over the points' own extent (plus a node): the grid's margin would widen the axes' range
    # and shrink the map when the contours are switched on
    cols = np.flatnonzero((x >= P[:, 0].min()) & (x <= P[:, 0].max()))
    rows = np.flatnonzero((y >= P[:, 1].min()) & (y <= P[:, 1].max()))
    cols = np.arange(max(cols.min() - 1, 0), min(cols.max() + 2, len(x))) if len(cols) else np.arange(len(x))
    rows = np.arange(max(rows.min() - 1, 0), min(rows.max() + 2, len(y))) if len(rows) else np.arange(len(y))
    x, y, share = x[cols], y[rows], np.ascontiguousarray(share[np.ix_(rows, cols)])
    return {"x": typed(x), "y": typed(y), "z": {**typed(share), "shape": f"{share.shape[0]}, {share.shape[1]}"},
            "visible": True}


def density_trace() -> dict:
    """An (empty) density-contour trace: filled light bands under the points, never hovered or clicked."""
    return {"type": "contour", "x": [], "y": [], "z": [], "visible": False, "showscale": False,
            "hoverinfo": "skip", "autocontour": False, "zmin": 0.0, "zmax": 1.0,
            "contours": {"coloring": "fill", "showlines": True, "start": 0.1, "end": 0.9, "size": 0.2},
            "line": {"width": 0.6, "color": "rgba(69, 90, 100, 0.55)"},
            "colorscale": [[0, "rgba(255,255,255,0)"], [0.15, "rgba(207,216,220,0.25)"], [1, "rgba(84,110,122,0.55)"]]}


def is_score_column(column) -> bool:
    return isinstance(column, str) and column.startswith(SCORE_PREFIXES)


def is_cluster_column(column) -> bool:
    return isinstance(column, str) and column.startswith(CLUSTER_PREFIX)


def names_values(frame: pd.DataFrame, column: str | None, coords: np.ndarray, rows: np.ndarray | None) -> dict:
    """Trace-3 values: each cluster's name at the median of its drawn points (the largest NAMES_MAX)."""
    empty = {"x": [], "y": [], "text": [], "customdata": [], "hovertext": []}
    if coords.shape[1] != 2 or not is_cluster_column(column) or column not in frame.columns:
        return empty
    texts = np.asarray(column_as_text(frame[column]), dtype=object)
    texts = texts if rows is None else texts[rows]
    table = pd.DataFrame({"v": texts, "x": coords[:, 0], "y": coords[:, 1]})
    table = table[(table["v"] != "") & (table["v"] != NOISE)]
    if table.empty:
        return empty
    groups = table.groupby("v", sort=False)
    sizes = groups.size().sort_values(ascending=False, kind="stable")[:NAMES_MAX]
    centres = groups[["x", "y"]].median().loc[sizes.index]

    def short(value: str) -> str:
        name = value.split(": ", 1)[-1]
        return name if len(name) <= NAME_CHARS else name[:NAME_CHARS - 1] + "…"
    return {"x": typed(centres["x"].to_numpy()), "y": typed(centres["y"].to_numpy()),
            "text": [short(v) for v in sizes.index], "customdata": [str(v) for v in sizes.index],
            "hovertext": [f"{v} ({n:,} points) — click to select" for v, n in sizes.items()]}


def names_trace() -> dict:
    """An (empty) trace of cluster names: a small marker under each name, so a click on it selects the cluster."""
    return {"type": "scatter", "mode": "markers+text", "x": [], "y": [], "text": [], "customdata": [],
            "hovertext": [], "hovertemplate": "%{hovertext}<extra></extra>", "textposition": "middle center",
            "textfont": {"size": 12, "color": "#102027", "weight": 600, "shadow": "1px 1px 2px #ffffff, -1px -1px 2px #ffffff"},
            "marker": {"size": 14, "color": "rgba(255,255,255,0.01)", "line": {"width": 0}}}

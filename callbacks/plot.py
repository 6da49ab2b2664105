"""The map: the only writer of the plot's figure, and the header that says what it shows.

One callback reconciles the figure with the view state. It draws the shown projection (or the
followed job's latest frame) only when it holds the view's points; otherwise the plot is empty and
says why — never another data set's or subset's points. What the figure holds is kept in DRAWN; a
change of coordinates is a full draw, anything else (colour, labels, selection, images, camera) a
Patch of only what changed.
"""
from __future__ import annotations

import json

import numpy as np
from dash import Input, Output, Patch, State, callback, ctx, html, no_update

import projector
from components import ids

from . import services
from .data import kept_state
from .figures import (HOVER_TEXT_MAX, aim_camera, apply, axis_names, build_figure, colour_scheme, density_trace,
                      scheme_colours,
                      density_values, dot_opacity, empty_figure, highlight_trace, hover_texts, is_cluster_column, names_trace,
                      names_values, typed)
from .sprites import images_for, ranges_from_relayout, thumbnail_url
from .views import (draw_notice, event_points, highlighted, method_name, rows_in_view, same_points, selected_points,
                    selection_of, view_points)


# ---------------------------------------------------------------- what to draw

def target_of(view: dict | None, shown: dict | None, frame: dict | None, watch: dict | None) -> tuple[str, dict | None]:
    """("frame", frame) while a followed job streams frames of the view's points, ("shown", shown) when
    the shown projection holds the view's points, ("empty", None) otherwise, ("none", None) without a data set."""
    if not view or not view.get("dataset"):
        return "none", None
    following = isinstance(watch, dict) and watch.get("state") == "watching"
    if following and frame and frame.get("job") == watch.get("job") and same_points(frame, view):
        return "frame", frame
    if same_points(shown, view):
        return "shown", shown
    return "empty", None


def ident_of(kind: str, target: dict | None, view: dict | None) -> str:
    """What the drawn coordinates are: it changes exactly when they must be sent again."""
    if kind == "frame":
        doc = ["frame", target["job"]]
    elif kind == "shown":
        doc = ["shown", target["key"], target["params"], target["dims"], target["dataset"], target.get("subset"),
               target.get("spherize")]
    else:
        doc = [kind, (view or {}).get("dataset"), ((view or {}).get("subset") or {}).get("id")]
    return json.dumps(doc, sort_keys=True, default=str)


def coordinates(kind: str, target: dict) -> np.ndarray:
    """The coordinates of a shown projection (from the result cache) or of a job's latest frame."""
    if kind == "frame":
        coords = services.jobs().frame(target["job"])
        if coords is None:
            raise projector.DataError("the running job's latest picture is gone; it will be drawn when the job ends.")
        return coords
    if target["method"] == "given":
        state = services.states().get(target["params"]["state"])
        return np.asarray(state["given"]["coords"], dtype=np.float32)
    hit = services.cache().get(target["key"])
    if hit is None:
        raise projector.DataError("this projection is no longer cached on the server; pick it again to compute it.")
    coords = hit[0]
    if target["method"] == "pca":
        coords = coords[:, target["params"]["components"]]
    return np.ascontiguousarray(coords)


def frame_names(frame: dict) -> list[str]:
    name = method_name(frame.get("method", ""))
    return [f"{name} {i + 1}" for i in range(3)]


def caption_for(view: dict, watch: dict | None) -> str:
    n = int(view.get("n") or 0)
    if isinstance(watch, dict) and watch.get("state") == "watching":
        return f"Computing {method_name(watch.get('method', ''))} of the {n:,} points…"
    return f"No projection of these {n:,} points yet: press Run, or open the PCA tab."


def selection_signature(view: dict) -> str:
    sel = selection_of(view)
    return json.dumps([sel.get("dataset"), sel.get("anchor"), [i for i, _ in sel.get("neighbors") or []],
                       (sel.get("points") or {}).get("id"), bool(sel.get("filter"))])


def header(view: dict | None, kind: str, target: dict | None, watch: dict | None) -> str:
    """The status line: the data set, its points, and exactly what the plot shows."""
    if not view or not view.get("dataset"):
        return "No data set loaded."
    n_all = int(view["num_points"])
    parts = [f"{view['name']}: {n_all:,} points", f"{view['dim']} dimensions"]
    if kind == "shown":
        parts.append(shown_summary(target))
        if draw_notice(int(target["n"]), int(target["dims"])):  # said where the eye is
            parts.append(f"all {int(target['n']):,} points drawn in 3D (2D is faster)")
    elif kind == "frame":
        parts.append(f"{method_name(target.get('method', ''))} running: iteration {int(target.get('done', 0)):,} "
                     f"of {int(target.get('total', 0)):,}")
    elif isinstance(watch, dict) and watch.get("state") == "watching":
        parts.append(f"computing {method_name(watch.get('method', ''))}…")
    else:
        parts.append("nothing drawn yet")
    if view.get("subset"):
        parts.append(f"isolated {int(view['n']):,} of {n_all:,}")
    parts.append(f"{len(selected_points(selection_of(view))):,} selected")
    return " · ".join(parts)


def shown_summary(shown: dict) -> str:
    p, method = shown.get("params") or {}, shown["method"]
    spherized = ", spherized" if shown.get("spherize") else ""
    if method == "pca":
        return f"PCA {shown['dims']}D ({', '.join(axis_names(shown))}){spherized}"
    if method == "tsne":
        return (f"t-SNE {shown['dims']}D (perplexity {p.get('perplexity', 0):g}, {p.get('iterations', 0):,} "
                f"iterations){spherized}")
    if method == "umap":
        return f"UMAP {shown['dims']}D ({p.get('n_neighbors')} neighbours, min_dist {p.get('min_dist', 0):g}){spherized}"
    if method == "custom":
        return f"custom axes {axis_names(shown)[0]}, {axis_names(shown)[1]}"
    if method == "given":
        return "coordinates stored in a bookmark"
    return f"raw coordinates {shown['dims']}D"


def legend_items(legend: list[dict]):
    return [html.Div([html.Span(className="swatch", style={"background": item["colour"]}) if item["colour"] else None,
                      html.Span(item["label"]), html.Span(f"{item['count']:,}", className="legend-count")],
                     className="legend-row") for item in legend]


# ---------------------------------------------------------------- drawing

class Canvas:
    """The pieces of one reconciliation: the data set, the view's points, and where highlights go."""

    def __init__(self, view: dict, coords: np.ndarray):
        self.view, self.coords = view, coords
        self.ds = services.store().get(view["dataset"])
        self.points = view_points(view)
        self.rows = self.points if view.get("subset") else None

    def label_column(self):
        column = self.view.get("label_by")
        return column if column in self.ds.metadata.columns else self.ds.default_column()

    def scheme(self):
        return colour_scheme(self.ds.metadata, self.view.get("colour_by"), self.rows)

    def texts(self):
        if len(self.points) > HOVER_TEXT_MAX:
            return None
        return hover_texts(self.ds.metadata, self.label_column(), self.rows, len(self.points))

    def highlight(self) -> tuple[dict, bool]:
        """(trace-1 values, whether anything is highlighted)."""
        pts, roles = highlighted(selection_of(self.view))
        dims = self.coords.shape[1]
        if not len(pts):
            empty = {a: [] for a in ("x", "y", "z")[:dims]}
            return {**empty, "customdata": [], "text": [], "hovertext": []}, False
        pos, found = rows_in_view(self.points, pts)
        texts = hover_texts(self.ds.metadata, self.label_column(), pts[found], int(found.sum()))
        own = scheme_colours(colour_scheme(self.ds.metadata, self.view.get("colour_by"), pts[found]))
        return highlight_trace(self.coords, pos, pts[found], roles[found], texts, own), True

    def density(self) -> dict:
        return density_values(self.coords if self.view.get("density") else None)

    def names(self) -> dict:
        return names_values(self.ds.metadata, self.view.get("colour_by"), self.coords, self.rows)

    def images(self, ranges) -> tuple[list[dict], str]:
        if not self.view.get("images"):
            return [], ""
        return images_for(self.ds, self.coords, self.points, ranges)


def full_draw(view: dict, kind: str, target: dict, ident: str, camera_done) -> tuple[dict, dict, list, str]:
    """(figure, drawn, legend, images message) for a new set of coordinates."""
    coords = coordinates(kind, target)
    canvas = Canvas(view, coords)
    scheme = canvas.scheme()
    names = frame_names(target) if kind == "frame" else axis_names(target)
    fig = build_figure(coords, canvas.texts(), scheme, names, uirevision=ident)
    trace, selected = canvas.highlight()
    apply(fig["data"][1], trace)
    images, said = canvas.images(None) if kind == "shown" else ([], "")
    fig["layout"]["images"] = images
    fig["data"][0]["marker"]["opacity"] = dot_opacity(selected, bool(images))
    overlays = coords.shape[1] == 2
    if overlays:   # traces 2 and 3: density contours and cluster names (2D only)
        fig["data"] += [{**density_trace(), **canvas.density()}, {**names_trace(), **canvas.names()}]
    camera = view.get("camera") or {}
    if kind == "shown" and camera.get("nonce") and camera.get("nonce") != camera_done and \
            camera.get("method") == target["method"] and aim_camera(fig["layout"], camera["camera"], coords.shape[1]):
        fig["layout"]["uirevision"] = f"{ident}|{camera['nonce']}"   # applied over a zoom the user made meanwhile
        camera_done = camera["nonce"]
    drawn = {"ident": ident, "kind": kind, "seq": (target or {}).get("seq"), "version": view.get("version"),
             "text_labels": "text" in fig["data"][0],
             "colour": view.get("colour_by"), "label": view.get("label_by"), "selection": selection_signature(view),
             "images": bool(images), "images_on": bool(view.get("images")), "camera": camera_done,
             "dims": int(coords.shape[1]), "overlays": overlays, "density": bool(view.get("density"))}
    return fig, drawn, legend_items(scheme["legend"]), said


def update(view: dict, kind: str, target: dict, drawn: dict, relayout, relayout_changed: bool):
    """(Patch or no_update, drawn, legend or no_update, images message or no_update) for the same coordinates."""
    changed = dict(
        coords=kind == "frame" and target.get("seq") != drawn.get("seq"),
        colour=view.get("colour_by") != drawn.get("colour"),
        label=view.get("label_by") != drawn.get("label"),
        selection=selection_signature(view) != drawn.get("selection"),
        images=bool(view.get("images")) != drawn.get("images_on") or (relayout_changed and drawn.get("images_on")),
        density=bool(view.get("density")) != bool(drawn.get("density")),
    )
    named = is_cluster_column(view.get("colour_by"))
    changed_names = (changed["colour"] and (named or is_cluster_column(drawn.get("colour")))) or \
        (changed["coords"] and named)
    camera = view.get("camera") or {}
    aim = kind == "shown" and camera.get("nonce") and camera.get("nonce") != drawn.get("camera") and \
        camera.get("method") == target["method"]
    if not any(changed.values()) and not aim:
        return no_update, no_update, no_update, no_update
    canvas = Canvas(view, coordinates(kind, target))
    patch, legend, said = Patch(), no_update, no_update
    drawn = dict(drawn)
    if changed["coords"]:
        for j, a in enumerate(("x", "y", "z")[:canvas.coords.shape[1]]):
            patch["data"][0][a] = typed(canvas.coords[:, j])
        if canvas.coords.shape[1] == 2:
            patch["layout"]["xaxis"]["autorange"] = True
            patch["layout"]["yaxis"]["autorange"] = True
        drawn["seq"] = target.get("seq")
    if changed["colour"]:
        scheme = canvas.scheme()
        for k, v in scheme["marker"].items():
            patch["data"][0]["marker"][k] = v
        if scheme["kind"] != "numeric":
            patch["data"][0]["marker"]["colorbar"] = None
        legend, drawn["colour"] = legend_items(scheme["legend"]), view.get("colour_by")
    if drawn.get("overlays"):
        if changed["density"] or (changed["coords"] and view.get("density")):
            apply(patch["data"][2], canvas.density())
        if changed_names:
            apply(patch["data"][3], canvas.names())
    drawn["density"] = bool(view.get("density"))
    if changed["label"] and len(canvas.points) <= HOVER_TEXT_MAX:
        texts = canvas.texts()
        patch["data"][0]["hovertext"] = texts
        if drawn.get("text_labels"):
            patch["data"][0]["text"] = texts
    drawn["label"] = view.get("label_by")
    images_shown = drawn.get("images", False)
    if changed["images"] and kind == "shown":
        ranges = ranges_from_relayout(relayout) if relayout_changed else None
        if ranges != "unknown":
            images, said = canvas.images(ranges)
            patch["layout"]["images"] = images
            images_shown = bool(images)
        drawn["images_on"] = bool(view.get("images"))
    # the highlight follows the colouring too when something is highlighted: selected points keep their colour
    recoloured = changed["colour"] and len(highlighted(selection_of(view))[0]) > 0
    if changed["coords"] or changed["selection"] or changed["label"] or recoloured or \
            images_shown != drawn.get("images"):
        trace, selected = canvas.highlight()
        apply(patch["data"][1], trace)
        patch["data"][0]["marker"]["opacity"] = dot_opacity(selected, images_shown)
        drawn["selection"] = selection_signature(view)
    drawn["images"] = images_shown
    if aim and aim_camera(patch["layout"], camera["camera"], canvas.coords.shape[1]):
        patch["layout"]["uirevision"] = f"{drawn['ident']}|{camera['nonce']}"
        drawn["camera"] = camera["nonce"]
    return patch, drawn, legend, said


@callback(output=dict(figure=Output(ids.GRAPH, "figure"), drawn=Output(ids.DRAWN, "data"),
                      status=Output(ids.STATUS, "children"), legend=Output(ids.LEGEND, "children"),
                      images=Output(ids.IMAGES_MESSAGE, "children")),
          inputs=dict(view=Input(ids.VIEW, "data"), shown=Input(ids.SHOWN, "data"), frame=Input(ids.FRAME, "data"),
                      watch=Input(ids.WATCH, "data"), relayout=Input(ids.GRAPH, "relayoutData")),
          state=dict(drawn=State(ids.DRAWN, "data")), prevent_initial_call=True)
def render(view, shown, frame, watch, relayout, drawn):
    """Make the figure show what the view state says, and the header say what the figure shows."""
    # a pan or zoom alone (its relayout also fires with the first draw, beside other inputs)
    moved = set(ctx.triggered_prop_ids) == {f"{ids.GRAPH}.relayoutData"}
    return reconcile(view, shown, frame, watch, relayout, drawn, moved=moved)


def reconcile(view, shown, frame, watch, relayout, drawn, moved: bool = False) -> dict:
    """``{"figure", "drawn", "status", "legend", "images"}`` that bring the figure from ``drawn`` to the
    view; ``moved``: the trigger was a pan or zoom (only the images view cares)."""
    kind, target = target_of(view, shown, frame, watch)
    status = header(view, kind, target, watch)
    drawn = drawn if isinstance(drawn, dict) else {}
    ident = ident_of(kind, target, view)
    # A pan or zoom matters to the images view only — once the figure is what ``drawn`` says. (Dash drops
    # the answer to an earlier request when a newer one is sent: the first draw's answer can be dropped
    # for the relayout the empty plot emits, and this request must then draw.)
    if moved and not drawn.get("images_on") and drawn.get("ident") == ident:
        return dict(figure=no_update, drawn=no_update, status=no_update, legend=no_update, images=no_update)
    try:
        if kind in ("none", "empty"):
            if drawn.get("ident") == ident:
                return dict(figure=no_update, drawn=no_update, status=status, legend=no_update, images=no_update)
            caption = "No data set yet: load one in the Data panel." if kind == "none" else caption_for(view, watch)
            return dict(figure=empty_figure(caption), drawn={"ident": ident, "kind": kind}, status=status,
                        legend=[], images="")
        if drawn.get("ident") != ident or drawn.get("version") != view.get("version"):
            fig, new, legend, said = full_draw(view, kind, target, ident, drawn.get("camera"))
            return dict(figure=fig, drawn=new, status=status, legend=legend, images=said)
        fig, new, legend, said = update(view, kind, target, drawn, relayout, moved)
        return dict(figure=fig, drawn=new, status=status, legend=legend, images=said)
    except projector.DataError as exc:
        return dict(figure=empty_figure(str(exc)), drawn={"ident": None, "kind": "empty"}, status=status,
                    legend=[], images="")


# ---------------------------------------------------------------- the camera a restored view asks for

@callback(Output(ids.CAMERA_TARGET, "data"), Input(ids.SETUP, "data"), prevent_initial_call=True)
def aim(setup):
    """A restored state's camera (2D ranges or the 3D scene camera), for the projection it was saved on."""
    state = kept_state((setup or {}).get("state"))
    if not state or not state.get("camera"):
        return None
    method = state["method"]
    return {"camera": state["camera"], "method": method, "nonce": (setup or {}).get("nonce")}


# ---------------------------------------------------------------- hover

@callback(Output(ids.HOVER_LABEL, "children"), Input(ids.GRAPH, "hoverData"), State(ids.VIEW, "data"),
          prevent_initial_call=True)
def hover_label(hover, view):
    """The hovered point's thumbnail when the data set has a sprite, and its label on large data
    (where the figure carries no labels)."""
    if not view or not view.get("dataset"):
        return no_update
    large = int(view.get("n") or 0) > HOVER_TEXT_MAX
    if not large and not view.get("sprite"):
        return no_update
    pts = event_points(hover, view)
    if not pts:
        return ""
    ds = services.store().get(view["dataset"])
    column = view.get("label_by") if view.get("label_by") in ds.metadata.columns else ds.default_column()
    text = hover_texts(ds.metadata, column, np.array(pts[:1]), 1)[0] if large else ""
    if ds.sprite is None:
        return text
    return [html.Img(src=thumbnail_url(ds.id, pts[0]), className="hover-thumb", alt=""), html.Span(text)]

"""The one view state: composed from the panels' parts, and restored by each panel setting up its own
controls. Restoring a view's state must give the same view back, whatever the view."""
import numpy as np
import pandas as pd
from dash import no_update
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import projector
from callbacks import bookmarks, data, inspector, plot, projection, services
from callbacks.view import compose_view, goto_view, state_of
from callbacks.views import empty_selection, keep_points, selection_of
from conftest import PCA, view_of


class Page:
    """The controls of a page as a dict of ``id.prop`` → value, set by the panels' own set-up callbacks."""

    def __init__(self, dataset_options=(), dataset=None):
        """Starts as the layout starts: every component's props as the page's layout gives them."""
        from components.page import page

        self.values = {}
        stack = [page(list(dataset_options), dataset)]
        while stack:
            node = stack.pop()
            if isinstance(node, (list, tuple)):
                stack.extend(node)
                continue
            props = getattr(node, "to_plotly_json", None) and node.to_plotly_json()["props"]
            if not props:
                continue
            if isinstance(props.get("id"), str):
                for name, value in props.items():
                    if name not in ("id", "children"):
                        self.values[f"{props['id']}.{name}"] = value
            for value in props.values():
                if hasattr(value, "to_plotly_json") or isinstance(value, (list, tuple)):
                    stack.append(value)

    def apply(self, spec, out):
        if isinstance(spec, dict):
            for k, v in spec.items():
                self.apply(v, out[k])
        elif out is not no_update:
            self.values[f"{spec.component_id}.{spec.component_property}"] = out

    def read(self, spec):
        if isinstance(spec, dict):
            return {k: self.read(v) for k, v in spec.items()}
        return self.values.get(f"{spec.component_id}.{spec.component_property}")

    def set_up(self, setup):
        self.values["dataset-picker.value"] = setup["dataset"]
        for module in (data, projection, inspector):
            state = {"tab": self.values.get("projection-tabs.value", "pca")} if module is projection else {}
            self.apply(module.SET_UP, module.set_up(setup, **state))
        self.values["camera-target.data"] = plot.aim(setup)

    def view(self):
        return compose_view(data.part(**self.read(data.PART)), projection.part(**self.read(projection.PART)),
                            inspector.part(**self.read(inspector.PART)), self.values.get("camera-target.data"))


def restored(view, camera=None):
    page = Page()
    goto = goto_view(view) if camera is None else {"dataset": view["dataset"],
                                                   "state": services.states().put(state_of(view, camera))}
    page.set_up({**goto, "nonce": "n", "message": None})
    return page.view()


def comparable(view):
    """What a user sees of a view: the points behind ids, not the ids' spelling."""
    from callbacks.views import selection_points, view_points

    sel = selection_of(view)
    out = {k: v for k, v in view.items() if k not in ("selection", "subset", "camera")}
    out["subset"] = view_points(view).tolist() if view.get("subset") else None
    out["selection"] = {"anchor": sel.get("anchor"), "neighbors": sel.get("neighbors"),
                        "points": selection_points(sel).tolist(), "filter": bool(sel.get("filter"))}
    return out


def test_a_first_visit_sets_every_panel_from_the_data_sets_defaults(words):
    page = Page()
    page.set_up({"dataset": words.id, "state": None, "nonce": "a", "message": None})
    view = page.view()
    assert view["dataset"] == words.id and view["n"] == 60 and view["subset"] is None
    assert view["colour_by"] == "word" and view["label_by"] == "word" and view["spherize"] is False
    assert view["request"] == PCA and view["selection"] == empty_selection(words.id)
    assert page.values["tsne-perplexity.value"] is None   # auto: it follows the points shown, isolated ones too


REQUESTS = st.one_of(
    st.builds(lambda a, b, d3: {"method": "pca", "dims": 3 if d3 else 2, "params": {"components": [a, b, (a + b) % 8][:3 if d3 else 2]}},
              st.integers(0, 7), st.integers(0, 7), st.booleans()),
    st.builds(lambda p, it, d3: {"method": "tsne", "dims": 3 if d3 else 2,
                                 "params": {"perplexity": p, "learning_rate": "auto", "iterations": it}},
              st.integers(2, 19), st.sampled_from([50, 300, 1000]), st.booleans()),
    st.builds(lambda nn, md: {"method": "umap", "dims": 2, "params": {"n_neighbors": nn, "min_dist": md}},
              st.integers(2, 50), st.sampled_from([0.0, 0.1, 0.5])),
    st.builds(lambda l, r, rx: {"method": "custom", "dims": 2,
                                "params": {"left": l, "right": r, "up": "", "down": "", "regex": rx, "column": "word"}},
              st.sampled_from(["", "bad", "^pol"]), st.sampled_from(["good", "evil"]), st.booleans()),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request=REQUESTS, subset=st.none() | st.sets(st.integers(0, 59), min_size=2, max_size=30),
       anchor=st.none() | st.integers(0, 59), points=st.sets(st.integers(0, 59), max_size=10),
       colour=st.sampled_from([None, "group", "score"]), label=st.sampled_from(["word", "group"]),
       spherize=st.booleans(), k=st.integers(5, 50), metric=st.sampled_from(["cosine", "euclidean"]))
def test_restoring_any_views_state_gives_the_same_view(words, request, subset, anchor, points, colour, label,
                                                       spherize, k, metric):
    selection = keep_points({**empty_selection(words.id), "anchor": anchor,
                             "neighbors": [[(anchor + 1) % 60, 0.25]] if anchor is not None else []}, points)
    view = view_of(words, request, subset=subset, selection=selection, colour=colour, label=label, spherize=spherize,
                   neighbours={"k": k, "metric": metric},
                   search={"query": "pol", "regex": True, "column": "word", "scope": "all"})
    back = restored(view)
    assert comparable(back) == comparable(view)


def test_a_camera_and_a_search_come_back_and_the_search_is_not_run_again(words):
    selection = keep_points(empty_selection(words.id), [0, 1, 2])
    view = view_of(words, PCA, selection=selection, search={"query": "pol", "regex": False, "column": "word",
                                                            "scope": "all"})
    back = restored(view, camera={"x": [0, 1], "y": [2, 3]})
    assert back["camera"]["camera"] == {"x": [0.0, 1.0], "y": [2.0, 3.0]} and back["camera"]["method"] == "pca"
    assert selection_of(back)["search"]["query"] == "pol"   # the search box is filled, its result kept as it was


def test_a_tag_restores_the_view_on_the_new_metadata_version_coloured_by_the_tag(words):
    view = view_of(words, PCA, selection=keep_points(empty_selection(words.id), [3, 4]))
    services.store().tag(words.id, "mood", "happy", [3, 4])
    goto = goto_view(view, None, colour_by="mood")
    page = Page()
    page.set_up({**goto, "nonce": "t", "message": None})
    after = page.view()
    assert after["version"] == 1 and after["colour_by"] == "mood"
    assert {o["value"] for o in page.values["color-by.options"]} >= {"mood"}


def test_a_view_of_a_data_set_that_is_gone_cannot_be_kept(words):
    view = view_of(words, PCA)
    services.store().delete(words.id)
    import pytest

    with pytest.raises(projector.DataError, match="nothing is drawn yet"):
        state_of(view)
    assert compose_view({"dataset": words.id, "colour_by": None, "label_by": None, "spherize": False, "images": False},
                        PCA, {"subset": None, "selection": None, "search": {}, "neighbours": {}}, None) == {"dataset": None}


def test_a_subset_or_selection_of_another_data_set_is_dropped(words):
    other = projector.load_dataset(np.ones((5, 2), np.float32) * np.arange(5)[:, None], name="o")
    services.store().add(other)
    stale = {"dataset": words.id, "id": services.put_points([1, 2]), "n": 2}
    view = compose_view({"dataset": other.id, "colour_by": None, "label_by": None, "spherize": False, "images": False},
                        PCA, {"subset": stale, "selection": {**empty_selection(words.id), "anchor": 3},
                              "search": {}, "neighbours": {}}, None)
    assert view["subset"] is None and view["n"] == 5 and view["selection"] is None
    assert selection_of(view)["anchor"] is None


def test_bookmark_summaries_say_what_the_view_shows(words):
    view = view_of(words, {"method": "tsne", "dims": 2, "params": {"perplexity": 5}}, subset=range(10),
                   colour="group", selection={**empty_selection(words.id), "anchor": 2, "neighbors": [[3, 0.1]]})
    assert bookmarks.summary(state_of(view)) == "t-SNE 2D · 10 isolated · 2 selected · colour: group"
    assert isinstance(pd.__version__, str)


def test_a_link_opens_its_view_and_says_so_unless_projector_show_made_it(words):
    from callbacks.view import boot
    from projector.state import clean_state

    state = services.states().put(clean_state({"dataset": words.id, "method": "pca", "dims": 2}, words.num_points,
                                              words.dim))
    goto, _ = boot(f"?view={state}", None, None, None)
    assert goto["dataset"] == words.id and goto["state"] == state
    assert goto["message"]["text"] == "Opened a shared view."
    goto, _ = boot(f"?view={state}&opened=show", None, None, None)
    assert goto["dataset"] == words.id and goto["state"] == state and goto["message"] is None

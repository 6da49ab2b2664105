"""Compare as functions: B's list, Run on the Compare tab, the comparison record from the job's answer, the
agreement and the most changed points, the side-by-side neighbours, B's map (a full draw, then Patches of the
selection and colour only), selections made on B's side, and the comparison gone with another data set.
(Named apart from tests/projector/test_compare.py: pytest cannot collect two test modules of one name.)"""
import numpy as np
import pandas as pd
import pytest
from dash import no_update

import projector
from callbacks import analysis, boundary, compare, projection, services
from callbacks.figures import untyped
from callbacks.views import empty_selection, keep_points, selection_points
from conftest import PCA, view_of
from projector.analyses import run_analysis
from test_plot import as_json, touched


def pair(data_dir, n=90, changed=(0, 1, 2)):
    """A: three groups of points; B: the same rows, the ``changed`` ones moved into another group."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 12)) * 10
    X = np.vstack([c + rng.normal(size=(n // 3, 12)) for c in centres]).astype(np.float32)
    Y = X.copy()
    Y[list(changed)] = centres[2] + rng.normal(size=(len(changed), 12)).astype(np.float32)
    words = pd.DataFrame({"word": [f"w{i}" for i in range(n)], "group": np.repeat(["a", "b", "c"], n // 3)})
    a = projector.load_dataset(X, words, name="before")
    b = projector.load_dataset(Y, words.assign(run="b"), name="after")
    other = projector.load_dataset(X[:30], words[:30], name="smaller")
    for ds in (a, b, other):
        services.store().add(ds)
    return a, b, other


def shown_of(view):
    return projection.plan(view, None, None, False)["shown"]


def run_compare(view, other_id, k=5):
    shown = shown_of(view)
    request, text, kind = analysis.start(1, "compare", *[None] * 10, view, shown, other_id, k)
    assert isinstance(request, dict), text
    out = run_analysis(request["dataset"], request, store=services.store(), cache=services.cache())
    return request, {"job": request["job"], "dataset": request["dataset"], "kind": "compare", **out}, shown


def test_b_is_listed_when_it_has_as_many_points_and_the_list_says_why_it_is_empty(data_dir):
    a, b, other = pair(data_dir)
    options, value, hint = compare.other_choices({"dataset": a.id}, None, None)
    assert [o["value"] for o in options] == [b.id] and value == b.id and hint == ""
    assert "after (90 × 12)" == options[0]["label"]
    options, value, hint = compare.other_choices({"dataset": other.id}, None, b.id)
    assert options == [] and value is None and hint.startswith("No other stored data set has 30 points.")


def test_run_checks_b_then_the_job_colours_the_map_and_shows_the_comparison(data_dir):
    a, b, other = pair(data_dir)
    view = view_of(a, PCA, neighbours={"k": 5, "metric": "euclidean"})
    refused = analysis.start(1, "compare", *[None] * 10, view, shown_of(view), other.id, 5)
    assert refused[0] is no_update and refused[1] == ("Smaller has 30 points and before 90: a comparison needs two "
                                                      "embeddings of the same rows.")
    assert analysis.start(1, "compare", *[None] * 10, view, None, None, 5)[1] == "Pick the data set B to compare with."
    request, result, shown = run_compare(view, b.id)
    assert request["params"] == {"other": b.id, "k": 5} and request["projection"]["key"] == shown["key"]
    assert result["column"] == "agreement@5 vs after"
    # the main map is coloured by the agreement column; the panel says the number
    goto = analysis.finished(result, view)[0]
    assert services.states().get(goto["state"])["colour_by"] == "agreement@5 vs after"
    text = analysis.summary_text(result)
    assert text.startswith(f"Agreement with after: {result['summary']['agreement']:.3f}")
    comparison = compare.take_result(result, view)
    assert comparison["dataset"] == a.id and comparison["other"] == b.id and comparison["map"]["method"] == "pca"
    # a comparison that ended after another data set was picked is not shown
    assert compare.take_result(result, view_of(b, PCA)) is no_update
    assert compare.take_result({**result, "error": "x"}, view) is no_update


def comparison_for(data_dir, **view_args):
    a, b, _ = pair(data_dir)
    view = view_of(a, PCA, neighbours={"k": 5, "metric": "euclidean"}, **view_args)
    _, result, _ = run_compare(view, b.id)
    fresh = services.store().get(a.id)
    coloured = view_of(fresh, PCA, colour=result["column"], neighbours={"k": 5, "metric": "euclidean"}, **view_args)
    return a, b, coloured, compare.take_result(result, coloured)


def test_the_tab_gives_the_agreement_and_lists_the_moved_rows_first(data_dir):
    a, b, view, comparison = comparison_for(data_dir)
    summary, listed = compare.compare_panel(comparison, view)
    assert summary[0].children[0].children == f"{comparison['agreement']:.3f}"
    rows = listed[1:]
    assert [r.id["index"] for r in rows] == list(range(len(rows)))
    assert [m["point"] for m in comparison["most_changed"][:3]] == [0, 1, 2]   # the rows B moved
    assert rows[0].children[0].children == "#0 w0"
    # a click on a listed row selects its point, with its neighbours as the Inspector finds them
    selection = compare.selection_for("row", 1, view, comparison)
    assert selection["anchor"] == 1 and len(selection["neighbors"]) == 5 and selection["source"] == "compare"
    assert compare.selection_for("row", 99, view, comparison) is None
    assert compare.selection_for("row", True, view, comparison) is None


def test_the_selected_point_shows_its_neighbours_in_a_and_in_b_side_by_side(data_dir):
    a, b, view, comparison = comparison_for(data_dir)
    nothing = compare.compare_detail(view, comparison)
    assert "Click a listed point" in nothing.children
    for point in (0, 50):   # a listed point, and one that is not (read from the cached graphs)
        selected = view_of(services.store().get(a.id), PCA, colour=view["colour_by"],
                           selection={**empty_selection(a.id), "anchor": point},
                           neighbours={"k": 5, "metric": "euclidean"})
        head, sides = compare.compare_detail(selected, comparison)
        side_a, side_b = sides.children
        in_a = [int(d.children.split()[0][1:]) for d in side_a.children[1:]]
        in_b = [int(d.children.split()[0][1:]) for d in side_b.children[1:]]
        want_a = [i for i, _ in projector.nearest_neighbors(a, point, k=5, metric="euclidean")]
        want_b = [i for i, _ in projector.nearest_neighbors(b, point, k=5, metric="euclidean")]
        assert in_a == want_a and in_b == want_b
        shared = set(in_a) & set(in_b)
        assert {int(d.children.split()[0][1:]) for d in side_a.children[1:] if d.className == "shared"} == shared
        assert head.children.startswith(f"#{point} w{point}: {len(shared)} of 5 neighbours in common")
    assert shared == set(in_a)   # point 50 did not move


def test_b_map_is_b_aligned_then_the_selection_and_colour_are_patches(data_dir):
    a, b, view, comparison = comparison_for(data_dir)
    out = compare.render_b(view, comparison, None, None)
    assert out["box"] == "compare-box open" and out["caption"].startswith("B: after — PCA of the same 90 points")
    fig = out["figure"]
    coords = services.cache().get(comparison["map"]["key"])[0]
    np.testing.assert_array_equal(untyped(fig["data"][0]["x"]), coords[:, 0])
    np.testing.assert_array_equal(untyped(fig["data"][0]["y"]), coords[:, 1])
    # the same colours as the main map: the agreement column's
    main = projection.plan(view, None, None, False)["shown"]
    from callbacks import plot
    main_fig = plot.reconcile(view, main, None, None, None, None)["figure"]
    assert fig["data"][0]["marker"]["color"] == main_fig["data"][0]["marker"]["color"]
    # a gradient's scale once, on the main map: beside it, B's map keeps its width for the points
    assert main_fig["data"][0]["marker"]["showscale"] is True and fig["data"][0]["marker"]["showscale"] is False
    drawn = out["drawn"]
    assert compare.render_b(view, comparison, main, drawn)["figure"] is no_update
    # the main map showing another projection now: B's map stays, and says what it was aligned onto
    tsne = {**main, "key": "proj:other", "method": "tsne"}
    assert compare.render_b(view, comparison, tsne, drawn)["caption"].endswith(
        "A's map is t-SNE now: press Run in the Compare tab to align B's onto it")
    assert "now" not in compare.render_b(view, comparison, main, drawn)["caption"]
    # a selection elsewhere (the main map, the table) is highlighted on B's map by a Patch of the highlights only
    selected = view_of(services.store().get(a.id), PCA, colour=view["colour_by"],
                       selection=keep_points(empty_selection(a.id), [3, 4, 40]),
                       neighbours={"k": 5, "metric": "euclidean"})
    patched = compare.render_b(selected, comparison, None, drawn)
    assert touched(patched["figure"]) <= {f"data.1.{k}" for k in ("x", "y", "customdata", "hovertext", "text")} | \
        {f"data.1.marker.{k}" for k in ("color", "size", "colorscale", "cmin", "cmax")} | {"data.0.marker.opacity"}
    ops = {".".join(map(str, op["location"])): op["params"]["value"] for op in as_json(patched["figure"])["operations"]}
    assert sorted(ops["data.1.customdata"]) == [3, 4, 40]
    np.testing.assert_array_equal(np.sort(untyped(ops["data.1.x"])), np.sort(coords[[3, 4, 40], 0]))
    # another colour: only the markers change
    recoloured = compare.render_b(view_of(services.store().get(a.id), PCA, colour="group",
                                          neighbours={"k": 5, "metric": "euclidean"}), comparison, None, patched["drawn"])
    assert touched(recoloured["figure"]) and all(loc.startswith("data.0.marker.") or loc.startswith("data.1.")
                                                 or loc == "data.0.marker.opacity" for loc in touched(recoloured["figure"]))
    assert not any(loc in ("data.0.x", "data.0.y") for loc in touched(recoloured["figure"]))


def test_clicks_and_lassos_on_b_select_those_rows_in_the_one_selection(data_dir):
    _, _, view, comparison = comparison_for(data_dir, subset=range(10, 70))
    click = {"points": [{"curveNumber": 0, "pointIndex": 5}]}
    selection = compare.selection_for("click", click, view, comparison)
    assert selection["anchor"] == 15 and selection["dataset"] == view["dataset"]   # point 5 of the isolated 10–69
    assert all(10 <= i < 70 for i, _ in selection["neighbors"])
    lasso = {"points": [{"curveNumber": 0, "pointIndex": i} for i in (0, 1, 59)]}
    selection = compare.selection_for("lasso", lasso, view, comparison)
    assert selection_points(selection).tolist() == [10, 11, 69] and selection["anchor"] is None
    assert compare.selection_for("click", {"points": [{"curveNumber": 0, "pointIndex": 60}]}, view, comparison) is None
    assert compare.selection_for("lasso", {"points": "x"}, view, comparison) is None
    # the highlight trace's points are named by customdata
    assert compare.selection_for("click", {"points": [{"curveNumber": 1, "customdata": 33}]}, view, comparison)[
        "anchor"] == 33


def test_another_data_set_or_other_points_close_the_comparison_and_empty_b_map(data_dir):
    a, b, view, comparison = comparison_for(data_dir)
    drawn = compare.render_b(view, comparison, None, None)["drawn"]
    assert compare.forget(view, comparison) is no_update
    for elsewhere in (view_of(b, PCA), view_of(services.store().get(a.id), PCA, subset=range(40))):
        assert compare.forget(elsewhere, comparison) is None
        out = compare.render_b(elsewhere, comparison, None, drawn)
        assert out["box"] == "compare-box" and out["figure"]["data"][0]["x"] == [] and out["drawn"] == {"ident": None}
        assert compare.compare_detail(elsewhere, comparison) is None
        assert compare.selection_for is not None and compare.belongs(comparison, elsewhere) is False
    closed = compare.render_b(view, None, None, drawn)
    assert closed["box"] == "compare-box" and closed["figure"]["data"][0]["x"] == []
    assert compare.render_b(view, None, None, closed["drawn"])["figure"] is no_update
    assert compare.close(1) is None


def test_a_comparison_without_a_map_on_screen_says_how_to_get_one(data_dir):
    a, b, _ = pair(data_dir)
    view = view_of(a, {"method": "tsne", "dims": 2, "params": {}}, neighbours={"k": 5, "metric": "euclidean"})
    request, text, _ = analysis.start(1, "compare", *[None] * 10, view, None, b.id, 5)
    assert request["projection"] is None and text == "Comparing the 90 points on screen with the same rows of after…"
    out = run_analysis(request["dataset"], request, store=services.store(), cache=services.cache())
    result = {"job": request["job"], "dataset": a.id, "kind": "compare", **out}
    assert analysis.summary_text(result).endswith("No B map: draw a projection to see B's map beside A's.")
    comparison = compare.take_result(result, view)
    assert compare.render_b(view, comparison, None, None)["box"] == "compare-box"


def test_b_umap_runs_where_umap_is_compiled_and_the_boundary_knows_the_tab(data_dir):
    a, b, _ = pair(data_dir)
    view = view_of(a, PCA)
    shown = {**shown_of(view), "method": "umap"}
    request = analysis.analysis_request(view, shown, "compare", {"other": b.id, "k": 5})
    assert request["method"] == "umap"
    assert "method" not in analysis.analysis_request(view, shown, "stability", {"seed": 3})
    assert boundary.CONTROLS[("analysis-tabs", "value")]("compare") == "compare"
    assert "comparison" in boundary.SIGNED
    with pytest.raises(boundary.Refused):
        boundary.CONTROLS[("compare-other", "value")]("../x")

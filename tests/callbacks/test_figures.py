"""Figure pieces: typed arrays, colour schemes, highlight traces."""
import base64
import json

import numpy as np
import pandas as pd

from callbacks.figures import (MAX_CATEGORIES, OTHER_COLOUR, build_figure, colour_scheme, highlight_trace,
                               hover_texts, typed, untyped)


def test_typed_arrays_are_base64_float32_not_number_lists():
    spec = typed(np.array([1.5, -2.0, 3.25]))
    assert spec["dtype"] == "f4" and np.frombuffer(base64.b64decode(spec["bdata"]), "<f4").tolist() == [1.5, -2.0, 3.25]
    assert untyped(spec).tolist() == [1.5, -2.0, 3.25]


def test_figure_json_carries_coordinates_as_bdata_and_stays_small():
    n = 100_000
    coords = np.random.default_rng(0).normal(size=(n, 2)).astype(np.float32)
    scheme = colour_scheme(pd.DataFrame({"c": [f"k{i % 7}" for i in range(n)]}), "c", None)
    fig = build_figure(coords, None, scheme, ["PC1", "PC2"], "view")
    text = json.dumps(fig)
    assert len(text) < 2 * 4 * n * 1.4 + 4 * n * 1.4 + 10_000  # x, y, colour as base64 float32
    assert "bdata" in text and fig["data"][0]["type"] == "scattergl"


def test_categorical_colours_with_counts_and_other():
    frame = pd.DataFrame({"w": [f"v{i}" for i in range(30)] + ["v0"] * 10 + [None] * 2})
    scheme = colour_scheme(frame, "w", None)
    assert scheme["kind"] == "category"
    legend = scheme["legend"]
    assert legend[0] == {"label": "v0", "colour": legend[0]["colour"], "count": 11}
    assert len([l for l in legend if l["colour"] != OTHER_COLOUR]) == MAX_CATEGORIES - 1 + 1  # 19 values + missing
    other = [l for l in legend if l["label"].startswith("other")][0]
    assert other["count"] == 30 - 19 and other["label"] == "other (11 values)"
    assert legend[-1]["label"] == "(missing)" and legend[-1]["count"] == 2
    codes = untyped(scheme["marker"]["color"])
    assert len(codes) == 42 and codes[0] == 0


def test_numeric_columns_are_a_gradient_unless_few_values():
    many = colour_scheme(pd.DataFrame({"x": np.linspace(0, 1, 100)}), "x", None)
    assert many["kind"] == "numeric" and many["marker"]["showscale"]
    few = colour_scheme(pd.DataFrame({"d": [3.0, 1.0, 2.0, 1.0]}), "d", None)
    assert few["kind"] == "category" and [l["label"] for l in few["legend"]] == ["1", "2", "3"]


def test_colour_of_a_subset_counts_only_its_points():
    frame = pd.DataFrame({"w": ["a", "b", "b", "c"]})
    scheme = colour_scheme(frame, "w", np.array([1, 2]))
    assert [(l["label"], l["count"]) for l in scheme["legend"]] == [("b", 2)]
    full = colour_scheme(frame, "w", None)
    assert scheme["legend"][0]["colour"] == [l for l in full["legend"] if l["label"] == "b"][0]["colour"]


def test_hover_texts_fall_back_to_point_numbers():
    frame = pd.DataFrame({"w": ["a", None, "c"]})
    assert hover_texts(frame, "w", None, 3) == ["a", "#1", "c"]
    assert hover_texts(frame, None, np.array([2]), 1) == ["#2"]


def test_highlight_puts_the_clicked_point_last():
    coords = np.arange(20, dtype=np.float32).reshape(10, 2)
    out = highlight_trace(coords, np.array([2, 5, 7]), np.array([2, 5, 7]), np.array([0, 1, 2]), ["a", "b", "c"])
    assert out["customdata"][-1] == 2 and out["hovertext"][-1] == "a"
    assert out["text"] == ["", "b", "a"]   # the clicked point and its neighbours are labelled on the plot
    assert untyped(out["x"]).tolist()[-1] == 4.0
    assert untyped(out["marker.color"]).tolist() == [2, 1, 0]  # role codes, one byte each


def test_a_few_distinct_fractions_are_legend_entries_of_four_digits():
    from callbacks.figures import colour_scheme

    frame = pd.DataFrame({"agreement": [k / 19 for k in range(11)] * 3, "year": [1990 + k for k in range(11)] * 3})
    labels = [e["label"] for e in colour_scheme(frame, "agreement", None)["legend"]]
    assert labels[:3] == ["0", "0.05263", "0.1053"] and len(labels) == 11
    assert [e["label"] for e in colour_scheme(frame, "year", None)["legend"]][:2] == ["1990", "1991"]


def test_an_analysis_score_is_a_gradient_however_few_values_it_takes():
    from callbacks.figures import colour_scheme

    frame = pd.DataFrame({"agreement@10 vs B": [k / 10 for k in range(11)] * 3,
                          "neighbours kept (t-SNE, k=10)": [k / 10 for k in range(11)] * 3, "digit": list(range(11)) * 3})
    assert colour_scheme(frame, "agreement@10 vs B", None)["kind"] == "numeric"
    assert colour_scheme(frame, "neighbours kept (t-SNE, k=10)", None)["kind"] == "numeric"
    assert colour_scheme(frame, "digit", None)["kind"] == "category"


def test_selected_points_keep_their_own_colour_and_the_clicked_one_its_role_colour():
    """A selection of high scores stays yellow on the gradient, a selected category its colour (a fixed purple
    read as the lowest score on Viridis); the clicked point and its neighbours keep red and orange."""
    from callbacks.figures import ROLE_COLOURS, scheme_colours

    from plotly.colors import sample_colorscale

    frame = pd.DataFrame({"score": np.linspace(0, 1, 50), "kind": list("ab") * 25})   # 50 values: a gradient
    coords = np.arange(100, dtype=np.float32).reshape(50, 2)
    rows, roles = np.array([49, 0, 4, 5]), np.array([2, 2, 1, 0])

    def colours_of(out):
        scale = dict((round(p * out["marker.cmax"]), c) for p, c in out["marker.colorscale"])
        return dict(zip(out["customdata"], (scale[int(c)] for c in untyped(out["marker.color"]))))

    numeric = colour_scheme(frame, "score", None)
    out = highlight_trace(coords, rows, rows, roles, list("wxyz"), scheme_colours(colour_scheme(frame, "score", rows)))
    got = colours_of(out)
    assert got[5] == ROLE_COLOURS[0] and got[4] == ROLE_COLOURS[1]
    viridis = sample_colorscale("Viridis", [0.0, 1.0])
    level = untyped(numeric["marker"]["color"])
    assert (level[49], level[0]) == (254, 0)
    assert got[49] == viridis[1] and got[0] == viridis[0]
    category = colour_scheme(frame, "kind", None)
    stops = [c for _, c in category["marker"]["colorscale"]]
    got = colours_of(highlight_trace(coords, rows, rows, roles, list("wxyz"),
                                     scheme_colours(colour_scheme(frame, "kind", rows))))
    codes = untyped(category["marker"]["color"]).astype(int)
    assert got[49] == stops[codes[49]] and got[0] == stops[codes[0]] and got[49] != got[0]
    # not coloured by a column: the selection's own colour
    assert colours_of(highlight_trace(coords, rows, rows, roles, list("wxyz")))[49] == ROLE_COLOURS[2]

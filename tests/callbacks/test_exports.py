"""Downloads: the projection table, the selection list and the figure as HTML say how they were made."""
import io
import json

import numpy as np
import pandas as pd
import pytest

import projector
from callbacks import services
from callbacks.exports import figure_html, list_table, projection_table
from callbacks.inspector import neighbours_of
from callbacks.projection import build_request, run_job
from callbacks.views import view_points


def pca_view(ds, subset=None, dims=2):
    req = build_request(ds.id, subset, False, "pca", [0, 1, 2], ["3d"] if dims == 3 else [], [], [], [],
                        [None] * 6, [None, None, None], [15, 0.1])
    return run_job(dict(req, job="x"), lambda *a: None)


def comment_and_table(text, sep=","):
    first = text.splitlines()[0]
    assert first.startswith("# made by Embedding Projector; how: ")
    return json.loads(first.split("how: ", 1)[1]), pd.read_csv(io.StringIO(text), sep=sep, comment="#",
                                                                keep_default_na=False)


@pytest.mark.parametrize("sep", [",", "\t"])
def test_projection_table_has_every_point_its_coordinates_and_metadata(data_dir, words, sep):
    view = pca_view(words, dims=3)
    name, text = projection_table(view, sep)
    assert name == "words-pca-3d." + ("tsv" if sep == "\t" else "csv")
    how, table = comment_and_table(text, sep)
    assert how["method"] == "pca" and how["params"] == {"components": [0, 1, 2]} and how["points"] == 60
    assert list(table.columns) == ["index", "PC1", "PC2", "PC3", "word", "group", "score"]
    coords, points = view_points(view)
    assert table["index"].tolist() == points.tolist()
    np.testing.assert_allclose(table[["PC1", "PC2", "PC3"]].to_numpy(), coords, rtol=1e-6, atol=1e-6)
    assert table["word"].tolist() == list(words.metadata["word"]) and table["score"].tolist()[:3] == [0, 1, 2]


def test_an_isolated_projection_exports_only_its_points(data_dir, words):
    sid = services.cache().put_subset([4, 8, 15, 16, 23, 42])
    how, table = comment_and_table(projection_table(pca_view(words, subset=sid))[1])
    assert table["index"].tolist() == [4, 8, 15, 16, 23, 42] and how["isolated_subset"] == sid


def test_the_selection_list_has_the_clicked_point_then_neighbours_by_distance(data_dir, words):
    neighbours = neighbours_of(words.id, None, False, 5, 10, "euclidean")
    selection = {"anchor": 5, "neighbors": neighbours, "points": [59, 0], "filter": False}
    name, text = list_table(selection, None, words.id, "euclidean")
    how, table = comment_and_table(text)
    assert name == "words-selection.csv" and how["distance"] == "euclidean" and how["clicked_point"] == 5
    assert table["role"].tolist()[0] == "clicked" and table["index"].tolist()[0] == 5
    listed = table[table["role"] == "neighbour"]
    assert listed["index"].tolist() == [i for i, _ in neighbours]
    np.testing.assert_allclose(listed["distance"].astype(float), [d for _, d in neighbours], rtol=1e-6)
    assert set(table["index"]) >= {59, 0} and len(table) == len({5, 59, 0, *(i for i, _ in neighbours)})
    with pytest.raises(projector.DataError, match="nothing is selected"):
        list_table({"anchor": None, "neighbors": [], "points": []}, None, words.id, "cosine")


def test_the_figure_downloads_as_one_html_file(data_dir, words):
    name, html = figure_html(pca_view(words), "group", "word", None)
    assert name == "words-pca-2d.html"
    assert html.lstrip().lower().startswith("<!doctype html>") and "pca 2D, 60 points" in html
    assert "plotly" in html.lower() and len(html) > 1_000_000  # plotly.js is inside: it opens offline

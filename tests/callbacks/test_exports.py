"""Downloads: tables that pandas reads back as they are (every label intact), with how they were made
in a sidecar JSON; the selection list; the figure as one HTML file."""
import io
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import projector
from callbacks import exports, inspector, projection, services
from callbacks.exports import figure_html, list_table, projection_table
from callbacks.plot import coordinates
from callbacks.views import empty_selection, keep_points
from conftest import view_of

PANDAS_NA = {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A",
             "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}   # what pandas.read_csv reads as missing by default


def drawn(ds, request, **choices):
    view = view_of(ds, request, **choices)
    return view, projection.plan(view, None, None, False)["shown"]


@pytest.mark.parametrize("sep", [",", "\t"])
def test_projection_table_has_every_point_its_coordinates_and_metadata(data_dir, words, sep):
    view, shown = drawn(words, {"method": "pca", "dims": 3, "params": {"components": [0, 1, 2]}})
    name, text, how = projection_table(view, shown, sep)
    assert name == "words-pca-3d." + ("tsv" if sep == "\t" else "csv")
    assert how["method"] == "pca" and how["params"] == {"components": [0, 1, 2]} and how["points"] == 60
    table = pd.read_csv(io.StringIO(text), sep=sep)
    assert list(table.columns) == ["index", "PC1", "PC2", "PC3", "word", "group", "score"]
    assert table["index"].tolist() == list(range(60))
    np.testing.assert_allclose(table[["PC1", "PC2", "PC3"]].to_numpy(), coordinates("shown", shown), rtol=1e-6, atol=1e-6)
    assert table["word"].tolist() == list(words.metadata["word"]) and table["score"].tolist()[:3] == [0, 1, 2]


def test_an_isolated_projection_exports_only_its_points(data_dir, words):
    view, shown = drawn(words, {"method": "pca", "dims": 2, "params": {"components": [0, 1]}}, subset=[4, 8, 15, 16, 23, 42])
    _, text, how = projection_table(view, shown)
    assert pd.read_csv(io.StringIO(text))["index"].tolist() == [4, 8, 15, 16, 23, 42]
    assert how["isolated_points"] == [4, 8, 15, 16, 23, 42]


LABELS = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(labels=st.lists(LABELS, min_size=3, max_size=3), tricky=st.sampled_from(
    ["##ing", '"quoted"', 'say "hi", then', "a\tb", "=1+2", "=cmd|' /C calc'!A0", "+x", "-y", "@z", "#", "a,b", "line\nbreak"]))
def test_every_label_survives_the_round_trip_through_pandas(data_dir, labels, tricky):
    """``pandas.read_csv(path)`` with no options gives every label back (except what pandas itself reads
    as missing, such as "NA"); a text column stays text."""
    labels = ["text"] + labels + [tricky]
    n = len(labels)
    ds = projector.load_dataset(np.random.default_rng(n).normal(size=(n, 3)).astype(np.float32),
                                pd.DataFrame({"label": pd.array(labels, dtype=object)}), name="odd")
    services.store().add(ds)
    view, shown = drawn(ds, {"method": "pca", "dims": 2, "params": {"components": [0, 1]}})
    _, text, _ = projection_table(view, shown)
    back = pd.read_csv(io.StringIO(text)).replace(exports.GUARDED, "", regex=True)   # the recipe the sidecar gives
    for mine, theirs in zip(labels, back["label"]):
        if mine.strip() in PANDAS_NA or mine in PANDAS_NA:
            continue
        assert theirs == mine
    # and no cell is a formula to a spreadsheet: every field that starts like one is a number or guarded
    import csv

    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            assert not cell.startswith(exports.FORMULA_START) or projector.formats.is_number(cell), cell


def test_the_selection_list_has_the_clicked_point_then_neighbours_by_distance(data_dir, words):
    neighbours = inspector.neighbours_of(view_of(words), 5, 10, "euclidean")
    selection = keep_points({**empty_selection(words.id), "anchor": 5, "neighbors": neighbours}, [59, 0])
    view = view_of(words, selection=selection, neighbours={"k": 10, "metric": "euclidean"})
    name, text, how = list_table(view, None)
    table = pd.read_csv(io.StringIO(text))
    assert name == "words-selection.csv" and how["distance"] == "euclidean" and how["clicked_point"] == 5
    assert table["role"].tolist()[0] == "clicked" and table["index"].tolist()[0] == 5
    listed = table[table["role"] == "neighbour"]
    assert listed["index"].tolist() == [i for i, _ in neighbours]
    np.testing.assert_allclose(listed["distance"].astype(float), [d for _, d in neighbours], rtol=1e-6)
    assert set(table["index"]) >= {59, 0} and len(table) == len({5, 59, 0, *(i for i, _ in neighbours)})
    with pytest.raises(projector.DataError, match="nothing is selected"):
        list_table(view_of(words), None)


def test_the_figure_downloads_as_one_html_file_with_its_provenance(data_dir, words):
    view, shown = drawn(words, {"method": "pca", "dims": 2, "params": {"components": [0, 1]}}, colour="group")
    name, html, how = figure_html(view, shown)
    assert name == "words-pca-2d.html"
    assert html.lstrip().lower().startswith("<!doctype html>") and "pca 2D, 60 points" in html
    assert "plotly" in html.lower() and len(html) > 1_000_000  # plotly.js is inside: it opens offline
    embedded = html.split('<script type="application/json" id="provenance">', 1)[1].split("</script>", 1)[0]
    assert json.loads(embedded) == json.loads(json.dumps(how))

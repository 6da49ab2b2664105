"""For any metadata text, row i stays row i: labels of spaces, control characters, lone carriage
returns, non-breaking spaces and empty labels never shift the rows after them."""
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import projector

ODD = ["", " ", "  ", "\u00a0", "\u3000", "\x1c", "\x1f", "\x85", "\r", "a\rb", "\x00", "\x07", "\ufeff", "\u2028",
       "=1+1", "#", "\"q\"", "nan", "NA", "-", "x y"]
TEXT = st.characters(blacklist_characters="\n\t", blacklist_categories=("Cs",))
LABEL = st.one_of(st.sampled_from(ODD), st.text(TEXT, min_size=1, max_size=8))


def read(text: str, n: int) -> pd.DataFrame:
    table = projector.formats.read_metadata_tsv(text.encode("utf-8"), name="labels.tsv")
    return projector.dataset._align_metadata(table, n, "labels.tsv")[0]


def as_read(label: str):
    """What a label reads back as: an empty cell is missing; a \r that ends a line is a CRLF line end."""
    label = label[:-1] if label.endswith("\r") else label
    return None if label == "" else label


@settings(max_examples=300, deadline=None)
@given(st.lists(LABEL, min_size=2, max_size=30))
def test_single_column_labels_stay_on_their_rows(labels):
    # the first label must start the file (a leading blank line is not a row, in TensorBoard or here), and
    # be text, so that the column stays text (all-number columns are read as numbers)
    labels[0] = "first"
    frame = read("\n".join(labels) + "\n", len(labels))
    got = [None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in frame["label"]]
    assert got == [as_read(v) for v in labels]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(LABEL, st.integers(0, 9)), min_size=2, max_size=25))
def test_rows_of_several_columns_stay_on_their_rows(rows):
    rows[0] = ("first", rows[0][1])
    text = "word\tcount\n" + "".join(f"{w}\t{c}\n" for w, c in rows)
    frame = read(text, len(rows))
    assert list(frame["count"]) == [c for _, c in rows]
    got = [None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in frame["word"]]
    assert got == [w or None for w, _ in rows]   # not at a line's end, a \r is part of the label


HEADER = st.sampled_from(["a", "a (2)", "a (3)", "", " ", "column 1", "column 2", "label", "x"])


@settings(max_examples=200, deadline=None)
@given(st.lists(HEADER, min_size=2, max_size=6))
def test_any_header_gives_distinct_columns_and_keeps_every_value(names):
    """Repeated, empty and already-suffixed names: one distinct column per header field, values in place."""
    from hypothesis import assume

    assume(any(n.strip() for n in names))   # a header of nothing but tabs is a blank line (TensorBoard's rule)
    rows = [[f"{j}.{i}" for j in range(len(names))] for i in range(5)]
    text = "\t".join(names) + "\n" + "".join("\t".join(r) + "\n" for r in rows)
    frame = read(text, 5)
    assert len(set(frame.columns)) == len(names) == len(frame.columns)
    real = [n.strip() for n in names if n.strip()]
    assert all(n in frame.columns for n in real[:1])   # the first real name is kept as it is
    for j, c in enumerate(frame.columns):
        assert [float(v) for v in frame[c]] == [float(f"{j}.{i}") for i in range(5)]
    projector.load_dataset(np.zeros((5, 2), np.float32) + np.arange(5)[:, None], frame).id   # stores and hashes


def test_digits_of_other_scripts_are_text_as_in_javascript():
    assert not projector.formats.is_number("١٢") and not projector.formats.is_number("３")
    assert read("first\n١\n٢\n", 3)["label"].tolist() == ["first", "١", "٢"]

"""View states for bookmarks and links: checked, kept under short ids, saved to files, imported from TensorBoard."""
import json
from pathlib import Path

import pytest

from projector import DataError
from projector.state import (StateStore, bookmarks_file, clean_state, from_tensorboard,
                             parse_bookmarks_file)

ANCHOR = Path(__file__).resolve().parents[3] / "shared" / "anchor-data" / "tensorboard"
TB_BOOKMARKS = ANCHOR / "word2vec_full_bookmarks.txt"


def state(**kw):
    base = {"dataset": "ab" * 8, "subset": [5, 1, 3], "spherize": True, "method": "tsne", "dims": 2,
            "params": {"perplexity": 5, "learning_rate": "auto", "iterations": 300},
            "colour_by": "label", "label_by": "word",
            "selection": {"anchor": 3, "neighbors": [[1, 0.1], [5, 0.2]], "points": [1], "filter": True},
            "search": {"query": "^a", "regex": True, "column": "word", "scope": "neighbors"},
            "neighbours": {"k": 50, "metric": "euclidean"}, "camera": {"x": [0, 1], "y": [2, 3]},
            "view_key": "k"}
    base.update(kw)
    return base


def test_a_state_is_checked_and_kept_under_a_short_content_id(tmp_path):
    clean = clean_state(state(), num_points=10, dim=4)
    assert clean["subset"] == [1, 3, 5] and clean["selection"]["anchor"] == 3 and clean["camera"] == {"x": [0, 1], "y": [2, 3]}
    store = StateStore(tmp_path)
    sid = store.put(clean)
    assert len(sid) == 12 and store.put(clean_state(state(), 10, 4)) == sid
    assert StateStore(tmp_path).get(sid) == clean
    with pytest.raises(DataError, match="not on this server"):
        store.get("0" * 12)
    for bad in ("../../etc/passwd", "x", None):
        with pytest.raises(DataError, match="not a link"):
            store.get(bad)


@pytest.mark.parametrize("change, message", [
    ({"subset": [1, 99]}, "names point 99"),
    ({"selection": {"points": ["x"]}}, "not a point number"),
    ({"method": "evil"}, "unknown projection"),
    ({"dims": 7}, "2 or 3 dimensions"),
    ({"selection": {"anchor": -1}}, "names point -1"),
    ({"method": "given", "given": None}, "holds none"),
    ({"given": {"coords": [[0, 1]]}}, "do not cover"),
])
def test_a_state_that_does_not_fit_says_why(change, message):
    with pytest.raises(DataError, match=message):
        clean_state(state(**change), num_points=10, dim=4)


def test_a_bookmark_file_round_trips():
    marks = [{"name": "first", "state": clean_state(state(), 10, 4)},
             {"name": "second", "state": clean_state(state(method="pca", params={"components": [0, 2]}), 10, 4)}]
    kind, back = parse_bookmarks_file(bookmarks_file(marks))
    assert kind == "ours" and back == marks
    for data, message in [(b"\xff\xfe", "not JSON"), (b'{"a": 1}', "holds no bookmarks"),
                          (b'{"format": "embedding-projector-bookmarks", "bookmarks": 3}', "damaged")]:
        with pytest.raises(DataError, match=message):
            parse_bookmarks_file(data)


def tb_state(filtered=None, n=30, d=8, method="pca"):
    shown = filtered or list(range(n))
    return {"label": "mine", "selectedProjection": method, "pcaComponentDimensions": [0, 1],
            "dataSetDimensions": [len(shown), d], "filteredPoints": filtered, "selectedPoints": [1],
            "projections": [{"pca-0": float(i), "pca-1": -float(i), "linear-x": i / 2, "linear-y": 0.0} for i in shown],
            "selectedColorOptionName": "group", "selectedLabelOption": "word",
            "customXLeftText": "^bad$", "customXRightText": "^good$", "customXLeftRegex": True}


def test_tensorboard_states_map_to_states_with_their_coordinates_as_given():
    [mark] = from_tensorboard([tb_state(filtered=[9, 2, 5])], 30, 8, ["word", "group"], "cd" * 8)
    s = mark["state"]
    assert mark["name"] == "mine" and s["method"] == "given" and s["controls"] == "pca"
    assert s["subset"] == [2, 5, 9] and s["selection"]["points"] == [2]   # TB's index 1 of the shown points
    # coordinates follow the points in ascending order: 2, 5, 9
    assert s["given"]["coords"] == [[2.0, -2.0], [5.0, -5.0], [9.0, -9.0]]
    assert s["colour_by"] == "group" and s["label_by"] == "word"
    [custom] = from_tensorboard([tb_state(method="custom")], 30, 8, ["word"], "cd" * 8)
    assert custom["state"]["params"]["left"] == "^bad$" and custom["state"]["params"]["regex"] is True
    assert custom["state"]["given"]["axes"] == ["^bad$ → ^good$", "? → ?"] and custom["state"]["colour_by"] is None


def test_a_tensorboard_file_for_another_data_set_is_refused_as_tensorboard_does():
    with pytest.raises(DataError, match=r"wrong dataset, expected dataset with shape \(30, 8\); this one is 40 × 8"):
        from_tensorboard([tb_state()], 40, 8, [], "cd" * 8)
    with pytest.raises(DataError, match=r"wrong dataset, expected dataset with shape \(3, 8\) \(3 isolated points, "
                                        r"numbered up to 50\)"):
        from_tensorboard([tb_state(filtered=[1, 2, 50])], 40, 8, [], "cd" * 8)


@pytest.mark.skipif(not TB_BOOKMARKS.exists(), reason="the anchor data is not next to this clone")
def test_the_anchor_tensorboard_bookmark_file_imports():
    kind, states = parse_bookmarks_file(TB_BOOKMARKS.read_bytes())
    assert kind == "tensorboard"
    [mark] = from_tensorboard(states, 71_291, 200, ["word", "count"], "ef" * 8)
    s = mark["state"]
    assert mark["name"] == 'Politics: "Bad" to "Good"'
    assert s["method"] == "given" and s["controls"] == "custom" and len(s["subset"]) == 101
    assert s["params"]["left"] == "^bad$" and s["params"]["right"] == "^good$"
    assert s["label_by"] == "word" and s["selection"]["points"] == [json.loads(TB_BOOKMARKS.read_text())[0]["filteredPoints"][35]]
    assert len(s["given"]["coords"]) == 101
    with pytest.raises(DataError, match=r"wrong dataset, expected dataset with shape \(101, 200\)"):
        from_tensorboard(states, 1797, 64, ["label"], "ef" * 8)


def test_a_tensorboard_bookmark_selecting_a_point_that_does_not_exist_is_refused():
    import pytest

    from projector import DataError
    from projector.state import from_tensorboard

    for wrong in (1e20, -1, 1797, "3", True):
        tb = [{"dataSetDimensions": [1797, 64], "selectedProjection": "pca", "selectedPoints": [3, wrong]}]
        with pytest.raises(DataError, match="is not one of its 1,797 points"):
            from_tensorboard(tb, 1797, 64, ["digit"], "0" * 20)
    ok = from_tensorboard([{"dataSetDimensions": [1797, 64], "selectedProjection": "pca", "selectedPoints": [3]}],
                          1797, 64, ["digit"], "0" * 20)
    assert ok[0]["state"]["selection"]["points"] == [3]

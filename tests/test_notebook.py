"""projector.show: the dashboard inline in a real Jupyter kernel (nbclient), twice; in a browser tab from a
script (blocking until Ctrl-C); and its refusals of bad inputs, each one sentence, before anything starts."""
import io
import json
import re
import signal
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from html import escape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import nbformat
import numpy as np
import pandas as pd
import psutil
import pytest
from appproc import ENV, free_port
from httpclient import Client, http
from nbclient import NotebookClient

import projector
from projector import notebook

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def kernel_name(tmp_path, monkeypatch):
    """A kernel spec for this interpreter (the venv's python), in a Jupyter path of the test's own, so the
    kernel imports what the test does whatever kernels the machine has."""
    from ipykernel.kernelspec import install

    install(kernel_name="projector-test", prefix=str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter" / "share" / "jupyter"))
    return "projector-test"


def stored(data_dir: Path) -> dict:
    """{data-set id: (manifest, metadata.tsv lines)} as the store keeps them on disk."""
    out = {}
    for manifest in (data_dir / "store" / "datasets").glob("*/manifest.json"):
        lines = (manifest.parent / "metadata.tsv").read_text(encoding="utf-8").splitlines()
        out[manifest.parent.name] = (json.loads(manifest.read_text()), lines)
    return out


def opened_dataset(client: Client, url: str) -> str:
    """The data set the page at ``url`` opens: what its boot callback sends the data-set picker."""
    goto = client.call("url.search", "?" + url.split("?", 1)[1], {})["goto"]["data"]
    assert goto["message"] is None, goto          # opened, not "shared": no message
    return goto["dataset"]


def served(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5):
            return True
    except (urllib.error.URLError, ConnectionError):
        return False


def test_show_in_a_jupyter_kernel_twice(tmp_path, kernel_name):
    port, data = free_port(), tmp_path / "data"
    cells = [
        f"""import json, os, sys
sys.path.insert(0, {str(ROOT)!r})
os.environ["PROJECTOR_WARM_UMAP"] = "0"   # no UMAP job here: skip the warm job server's throwaway fit
import numpy as np, pandas as pd, projector
rng = np.random.default_rng(0)
vectors = rng.normal(size=(300, 16))
labels = [f"word {{i}}" for i in range(300)]""",
        f"first = projector.show(vectors, metadata=labels, name='notebook words', port={port}, data_dir={str(data)!r})",
        """frame = pd.DataFrame({"kind": ["cat", "dog", "owl"] * 100, "size": np.arange(300)})
images = rng.integers(0, 256, size=(300, 8, 8), dtype=np.uint8)
second = projector.show(vectors[:, :8].astype(np.float16), metadata=frame, sprite=images, name="notebook frame")""",
        """import psutil
job_servers = [p.pid for p in psutil.Process().children() if "forkserver" in " ".join(p.cmdline())]
print(json.dumps({"first": [first.url, first.dataset_id], "second": [second.url, second.dataset_id],
                  "job_servers": job_servers}))""",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = NotebookClient(nb, kernel_name=kernel_name, timeout=180, resources={"metadata": {"path": str(tmp_path)}})
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells):
            client.execute_cell(cell, i)
        shown = json.loads(nb.cells[3].outputs[-1]["text"])
        (first_url, first_id), (second_url, second_id) = shown["first"], shown["second"]

        # the cells' output: Dash's inline IFrame, each with its link to the data set just shown
        for cell, url in ((nb.cells[1], first_url), (nb.cells[2], second_url)):
            assert [o["output_type"] for o in cell.outputs] == ["display_data"], cell.outputs
            html = cell.outputs[0]["data"]["text/html"]
            assert re.search(rf'<iframe[^>]* src="{re.escape(escape(url))}"', html), html
        assert first_url.startswith(f"http://127.0.0.1:{port}/?view=")
        assert second_url.startswith(f"http://127.0.0.1:{port}/?view="), "the second call reuses the running app"

        # the page answers, and each link opens its own data set, with the labels and columns given
        base = f"http://127.0.0.1:{port}"
        for path in ("/", "/_dash-layout", first_url[len(base):]):
            assert http(base + path)[0] == 200, path
        client_ = Client(base, data_dir=data)
        assert opened_dataset(client_, first_url) == first_id
        assert opened_dataset(client_, second_url) == second_id != first_id
        store = stored(data)
        assert set(store) == {first_id, second_id}
        (m1, tsv1), (m2, tsv2) = store[first_id], store[second_id]
        assert (m1["name"], m1["num_points"], m1["dim"]) == ("notebook words", 300, 16)
        assert tsv1 == ["label", *(f"word {i}" for i in range(300))]
        assert (m2["name"], m2["dim"], m2["columns"], m2["numeric_columns"]) == ("notebook frame", 8, ["kind", "size"],
                                                                                 ["size"])
        assert tsv2[:3] == ["kind\tsize", "cat\t0", "dog\t1"]
        assert (data / "store" / "datasets" / second_id / "sprite.png").is_file()
        state_id = parse_qs(urlsplit(second_url).query)["view"][0]
        state = json.loads((data / "states" / f"{state_id}.json").read_text())
        assert (state["method"], state["images"], state["colour_by"]) == ("pca", True, "kind")

        # one set of job servers (quick and warm) for both calls
        assert len(shown["job_servers"]) == 2, shown
    # the kernel is shut down: its server thread and its job servers end with it
    assert not served(f"http://127.0.0.1:{port}/_dash-layout")
    deadline = time.monotonic() + 30
    while any(psutil.pid_exists(p) for p in shown["job_servers"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(psutil.pid_exists(p) for p in shown["job_servers"])


def test_show_from_a_script_opens_a_browser_tab_and_serves_until_ctrl_c(tmp_path):
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser"   # what webbrowser.open runs ($BROWSER): it notes the address it was given
    browser.write_text(f'#!/bin/sh\necho "$1" >> {opened}\n')
    browser.chmod(0o755)
    port = free_port()
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        import numpy as np, projector
        board = projector.show(np.random.default_rng(1).normal(size=(50, 4)), metadata=[str(i) for i in range(50)],
                               port={port}, data_dir={str(tmp_path / "data")!r})
        print("returned", board.running, flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path, env={**ENV, "BROWSER": str(browser)},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Serving until Ctrl-C"):
                break
        url = next(line.split()[3] for line in lines if line.startswith("Embedding Projector on"))
        assert url.startswith(f"http://127.0.0.1:{port}/?view="), lines
        deadline = time.monotonic() + 10
        while not opened.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert opened.read_text().split() == [url]
        assert http(url)[0] == 200
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, "".join(lines) + rest
    assert "returned False" in rest
    assert not served(url)


BAD = [
    ({"vectors": np.zeros(5)}, "1-D"),
    ({"vectors": np.zeros((4, 3, 2))}, "3-D"),
    ({"vectors": np.zeros((0, 8))}, "0 points"),
    ({"vectors": np.array([[1.0, 2.0], [np.nan, 3.0]], dtype=np.float16)}, "NaN in row 1"),
    ({"vectors": [[1, 2], [3]]}, "cannot be read as an N×D array"),
    ({"vectors": pd.DataFrame({"x": [1.0, 2.0], "word": ["a", "b"]})}, "not numbers (word)"),
    ({"vectors": pd.DataFrame({"x": [1.0, None, 2.0], "y": [1, 2, 3]})}, "NaN in row 1"),
    ({"vectors": "no-such-file.npy"}, "was not found"),
    ({"metadata": ["a", "b"]}, "2 rows but there are 3 points"),
    ({"metadata": {"a": [1, 2, 3], "b": [1, 2]}}, "same length"),
    ({"metadata": [["a"], ["b"], ["c"]]}, "one value per point"),
    ({"metadata": 42}, "metadata must be"),
    ({"sprite": np.zeros((2, 4, 4), np.uint8)}, "2 sprite images but 3 points"),
    ({"sprite": np.zeros((3, 16), np.uint8)}, "shape (3, 16)"),
    ({"sprite": np.full((3, 4, 4), np.nan)}, "NaN or infinite"),
    ({"mode": "inline"}, "needs a Jupyter notebook"),
    ({"mode": "window"}, "mode must be one of"),
    ({"port": "8050"}, "port must be a number"),
]


@pytest.mark.parametrize("given, says", BAD, ids=[b[1] for b in BAD])
def test_bad_inputs_are_one_sentence_and_start_nothing(tmp_path, given, says):
    args = {"vectors": np.arange(6, dtype=np.float64).reshape(3, 2), **given}
    with pytest.raises(projector.DataError) as caught:
        notebook.show(args.pop("vectors"), data_dir=tmp_path, mode=args.pop("mode", "external"), **args)
    message = str(caught.value)
    assert says in message
    assert message.endswith(".") and "\n" not in message and not re.search(r"\.\s+[A-Z]", message), message
    assert notebook._running.app is None and not (tmp_path / "store").exists()


def test_a_port_another_program_holds_is_refused(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(projector.DataError, match=f"port {port} is in use"):
            notebook._server(None, "127.0.0.1", port)


def test_images_become_a_sprite_sheet_one_thumbnail_per_point():
    rng = np.random.default_rng(2)
    grey = rng.integers(0, 256, size=(10, 8, 6), dtype=np.uint8)
    sprite = notebook.sprite_from_images(grey, 10)
    assert sprite.tile == (6, 8) and sprite.decoded().size == (4 * 6, 3 * 8)   # ⌈√10⌉ = 4 a row, 3 rows
    from PIL import Image

    for i in (0, 3, 4, 9):
        assert np.array_equal(np.asarray(Image.open(io.BytesIO(sprite.thumbnail(i)))), grey[i])
    colour = rng.random(size=(5, 4, 4, 3))      # floats in 0–1: times 255
    thumb = np.asarray(Image.open(io.BytesIO(notebook.sprite_from_images(colour, 5).thumbnail(2))))
    assert thumb.shape == (4, 4, 3) and np.abs(thumb.astype(float) - colour[2] * 255).max() <= 0.5


def test_every_kind_of_input_gives_the_same_points_and_columns(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(6, 3))
    labels = ["a", "b", "c", "a", "b", "c"]
    np.save(tmp_path / "x.npy", X.astype(np.float32))
    pd.DataFrame({"vec": list(X), "word": labels}).to_parquet(tmp_path / "x.parquet")
    (tmp_path / "meta.tsv").write_text("word\tn\n" + "".join(f"{w}\t{i}\n" for i, w in enumerate(labels)))
    same = np.asarray(X, dtype=np.float32)
    for vectors in (X, X.astype(np.float16).astype(np.float64), X.tolist(), pd.DataFrame(X, columns=list("xyz")),
                    projector.load_dataset(X), tmp_path / "x.npy", str(tmp_path / "x.parquet") + ":vec"):
        ds = notebook._dataset(vectors, labels, None, None, None)
        assert ds.vectors.shape == (6, 3) and list(ds.metadata["label"]) == labels, type(vectors)
        assert np.allclose(ds.vectors, same, atol=5e-3), type(vectors)   # float16 rounds in the third digit
    for metadata, columns in ((labels, ["label"]), (pd.Series(labels, name="word"), ["word"]),
                              ({"word": labels, "n": range(6)}, ["word", "n"]),
                              (pd.DataFrame({"word": labels, "n": range(6)}), ["word", "n"]),
                              (tmp_path / "meta.tsv", ["word", "n"]), (None, ["word"])):
        vectors = str(tmp_path / "x.parquet") + ":vec" if metadata is None else X
        ds = notebook._dataset(vectors, metadata, None, None, "named")
        assert list(ds.metadata.columns) == columns and list(ds.metadata["word" if "word" in columns else "label"]) \
            == labels and ds.name == "named"
    sheet = notebook.sprite_from_images(rng.integers(0, 256, size=(6, 5, 5), dtype=np.uint8), 6)
    (tmp_path / "sheet.png").write_bytes(sheet.png)
    ds = notebook._dataset(X, labels, tmp_path / "sheet.png", None, None)   # a 3 × 3 grid: its tile size is found
    assert ds.sprite.tile == (5, 5) and ds.sprite.thumbnail(5) == sheet.thumbnail(5) and not ds.warnings


ANALYSIS_CELLS = [
    f"""import json, sys
sys.path.insert(0, {str(ROOT)!r})
import numpy as np, pandas as pd, projector
from sklearn.datasets import load_digits
digits = load_digits()
rng = np.random.default_rng(7)
X = np.vstack([digits.data, rng.uniform(0, 16, size=(200, 64))]).astype(np.float32)
words = np.array(["zero one two three four five six seven eight nine".split()[d] for d in digits.target]
                 + ["noise"] * 200, dtype=object)
noise = np.r_[np.zeros(len(digits.data), bool), np.ones(200, bool)]""",
    # clusters, named
    """X50 = X   # 64 dims: the analyses take any float32 rows
labels = projector.hdbscan_labels(X50, min_cluster_size=15)
names = projector.cluster_names(labels, words)""",
    # outliers
    """idx, dist = projector.all_neighbors(X, k=20)
scores = projector.outlier_scores(idx, dist, method="kth")
top = projector.most_unusual(scores, 200)""",
    # how far to trust a map, and how far it moves with another seed
    """pca = projector.project(projector.load_dataset(X, pd.DataFrame({"word": words})), "pca", dims=2).coords
trust = projector.trustworthiness_continuity(X, pca, k=10)
kept = projector.neighbourhood_preservation(idx[:, :10], projector.map_neighbors(pca, 10)[0])
moved, median = projector.procrustes_displacement(pca, pca[:, ::-1] * 3 + 1)""",
    # density and the table's filter and chart
    """grid = projector.density_grid(pca)
frame = pd.DataFrame({"word": words, "score": scores})
kept_rows = projector.filter_rows(frame, None, {"score": {"filterType": "number", "type": "greaterThan",
                                                          "filter": float(np.sort(scores)[-201])}})
hist = projector.histogram(scores, bins=20, selected=scores[kept_rows])
print(json.dumps({"labels": labels.tolist(), "names": {str(k): v["name"] for k, v in names.items()},
                  "top": top.tolist(), "idx": idx.tolist(), "scores": scores.tolist(), "pca": pca.tolist(),
                  "trust": trust, "kept": kept.tolist(), "median": float(median), "grid_shape": np.shape(grid["z"]),
                  "kept_rows": np.asarray(kept_rows).tolist(), "hist": [hist.counts.tolist(), hist.selected.tolist()]},
                 default=float))""",
]


def test_the_analyses_from_projector_in_a_jupyter_kernel(tmp_path, kernel_name):
    """Each analysis the Analysis panel runs — named clusters, outlier scores, trust, stability's alignment,
    density, the table's filter and chart — called as ``projector.*`` in a real kernel, checked against
    scikit-learn's and numpy's own answers on digits plus 200 uniform-noise images."""
    from sklearn.cluster import HDBSCAN
    from sklearn.datasets import load_digits
    from sklearn.manifold import trustworthiness
    from sklearn.metrics import adjusted_rand_score, roc_auc_score
    from sklearn.neighbors import NearestNeighbors

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in ANALYSIS_CELLS])
    NotebookClient(nb, kernel_name=kernel_name, timeout=300,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    got = json.loads(nb.cells[-1].outputs[-1]["text"])

    digits = load_digits()
    rng = np.random.default_rng(7)
    X = np.vstack([digits.data, rng.uniform(0, 16, size=(200, 64))]).astype(np.float32)
    noise = np.r_[np.zeros(len(digits.data), bool), np.ones(200, bool)]
    labels = np.array(got["labels"])
    assert adjusted_rand_score(HDBSCAN(min_cluster_size=15, copy=True).fit(X).labels_, labels) > 0.99
    assert set(got["names"]) == {str(v) for v in set(labels)}             # noise (-1) is named too
    assert all(0 < len(name.split(" · ")) <= 3 for name in got["names"].values())
    injected = np.bincount(labels[noise] + 1).argmax() - 1               # the cluster the noise images form
    assert injected != -1 and got["names"][str(injected)].startswith("noise")

    dist, idx = NearestNeighbors(n_neighbors=21).fit(X.astype(np.float64)).kneighbors()
    ours = np.array(got["idx"])                              # the digits are integers: many exact ties
    at = np.linalg.norm(X[ours].astype(np.float64) - X[:, None, :].astype(np.float64), axis=2)
    np.testing.assert_allclose(at, dist[:, :20], rtol=1e-6)    # each listed point is at the k-th smallest distance
    assert not (ours == np.arange(len(X))[:, None]).any()
    np.testing.assert_allclose(got["scores"], dist[:, 19], rtol=1e-5)
    assert roc_auc_score(noise, got["scores"]) >= 0.95
    assert noise[got["top"]].mean() >= 0.95

    pca = np.array(got["pca"])
    assert got["trust"]["trustworthiness"] == pytest.approx(trustworthiness(X, pca, n_neighbors=10), abs=1e-5)
    # (not to the last digit: the digits' integer pixels tie, and a tie's rank is the lower index here, whatever
    # order scikit-learn's argsort leaves it in)
    map_idx = NearestNeighbors(n_neighbors=11).fit(pca).kneighbors(return_distance=False)
    reference = [len(set(a) & set(b)) / 10 for a, b in zip(idx[:, :10], map_idx[:, :10])]
    np.testing.assert_allclose(got["kept"], reference, atol=0.1 + 1e-9)   # a tie on the map may swap one
    assert np.mean(np.abs(np.array(got["kept"]) - reference)) < 0.01
    assert got["median"] == pytest.approx(0, abs=1e-6)     # a scaled, flipped copy aligns onto the map exactly

    assert got["grid_shape"][0] > 10 and got["grid_shape"][1] > 10
    scores = np.array(got["scores"])
    assert sorted(got["kept_rows"]) == np.flatnonzero(scores > np.sort(scores)[-201]).tolist()
    counts, selected = got["hist"]
    assert sum(counts) == len(X) and sum(selected) == len(got["kept_rows"])

"""A restarted app keeps its data sets and its computed projections: a t-SNE comes back from the
cache, drawn without pressing Run, with the same coordinates."""
import numpy as np

from appproc import run_app, stop
from helpers import GRAPH, fit_window, text, wait_points, wait_text

N = 300


def coordinates(br):
    return br.driver.execute_script(
        f"const t=document.querySelector('{GRAPH}')._fullData[0]; return [Array.from(t.x), Array.from(t.y)];")


def test_a_restart_keeps_data_sets_and_cached_projections(dash_br, tmp_path):
    rng = np.random.default_rng(3)
    X = np.concatenate([rng.normal(c, 1, size=(N // 3, 16)) for c in (-4, 0, 4)]).astype(np.float32)
    np.save(tmp_path / "v.npy", X)
    (tmp_path / "m.tsv").write_text("".join(f"p{i}\n" for i in range(N)))
    data = str(tmp_path / "data")

    proc, url, _ = run_app("--embeddings", str(tmp_path / "v.npy"), "--metadata", str(tmp_path / "m.tsv"),
                           "--name", "kept", "--no-sample", "--data-dir", data)
    try:
        fit_window(dash_br.driver)
        dash_br.server_url = url
        wait_points(dash_br, N)
        dash_br.find_element("#projection-tabs .tab:nth-child(2)").click()
        wait_text(dash_br, "#projection-message", "Press Run")
        dash_br.find_element("#run-projection").click()
        wait_text(dash_br, "#projection-info", "t-SNE: 300 iterations")
        assert "cache" not in text(dash_br, "#projection-info")
        before = coordinates(dash_br)
    finally:
        stop(proc)

    proc, url, layout = run_app("--no-sample", "--data-dir", data)  # no files named: the store has them
    try:
        assert "kept (300 × 16)" in layout
        fit_window(dash_br.driver)
        dash_br.server_url = url
        wait_points(dash_br, N)
        dash_br.find_element("#projection-tabs .tab:nth-child(2)").click()
        wait_text(dash_br, "#projection-info", "From the server's cache.", timeout=30)
        assert "Press Run" not in text(dash_br, "#projection-message")
        np.testing.assert_allclose(coordinates(dash_br), before, rtol=1e-6)
    finally:
        stop(proc)

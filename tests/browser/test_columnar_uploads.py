"""Today's formats through the browser: a Parquet file with a vector column and its metadata columns, and a
safetensors file, uploaded in the Data panel and drawn with every point."""
import numpy as np
import pandas as pd
from safetensors.numpy import save_file

from helpers import console_errors, open_app, set_input, text, upload, wait_points, wait_text


def test_parquet_and_safetensors_load_through_the_browser(dash_duo, projector_app, tmp_path):
    rng = np.random.default_rng(5)
    X = np.vstack([rng.normal(size=(120, 24)) + c for c in (0, 6)]).astype(np.float32)
    pd.DataFrame({"title": [f"doc {i}" for i in range(240)], "topic": ["sport", "music"] * 120,
                  "embedding": list(X)}).to_parquet(tmp_path / "docs.parquet")
    open_app(dash_duo, projector_app)
    upload(dash_duo, tmp_path / "docs.parquet")
    wait_points(dash_duo, 240)
    wait_text(dash_duo, "#status", "docs: 240 points · 24 dimensions")
    assert "2 metadata columns" in text(dash_duo, "#dataset-info")   # the file's own columns: title, topic
    save_file({"token_embeddings": X[:200]}, str(tmp_path / "model.safetensors"))
    upload(dash_duo, tmp_path / "model.safetensors")
    wait_points(dash_duo, 200)
    wait_text(dash_duo, "#status", "model: 200 points · 24 dimensions")
    two = tmp_path / "two.safetensors"
    save_file({"a": X[:10], "b": X[:20]}, str(two))
    upload(dash_duo, two)
    wait_text(dash_duo, "#data-message", "holds 2 2-D tensors (a, b)")
    set_input(dash_duo, "#upload-vector-column", "b")   # the tensor named in the upload card
    dash_duo.find_element("#load-upload").click()
    wait_points(dash_duo, 20)
    wait_text(dash_duo, "#status", "two: 20 points · 24 dimensions")
    assert console_errors(dash_duo) == []

"""TensorBoard log folders as tensorboardX (and PyTorch's SummaryWriter) write them, read as `--logdir` does."""
import numpy as np
import pytest
from tensorboardX import SummaryWriter

import projector
from projector import DataError
from projector.formats import column_as_text


def test_every_run_tag_and_step_of_a_tensorboardx_log_folder(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 6)).astype(np.float32)
    images = rng.random((24, 3, 8, 8)).astype(np.float32)
    for run in ("baseline", "tuned"):
        w = SummaryWriter(str(tmp_path / run))
        w.add_embedding(X, metadata=[f"w{i}" for i in range(24)], label_img=images, global_step=0, tag="words")
        w.add_embedding(X * 3, metadata=[f"w{i}" for i in range(24)], global_step=100, tag="words")
        w.close()
    found, warnings = projector.load_logdir(tmp_path)
    assert warnings == []
    by_name = {d.name: d for d in found}
    assert sorted(by_name) == ["baseline · words:00000", "baseline · words:00100", "tuned · words:00000",
                               "tuned · words:00100"]
    step0, step100 = by_name["tuned · words:00000"], by_name["tuned · words:00100"]
    np.testing.assert_allclose(step0.vectors, X, rtol=1e-6)
    np.testing.assert_allclose(step100.vectors, X * 3, rtol=1e-6)
    assert column_as_text(step0.metadata.iloc[:, 0])[:2] == ["w0", "w1"]
    assert step0.sprite is not None and step0.sprite.tile == (8, 8) and step100.sprite is None


def test_checkpoint_entries_and_bad_runs_are_warnings_and_the_rest_loads(tmp_path):
    w = SummaryWriter(str(tmp_path / "ok"))
    w.add_embedding(np.eye(5, dtype=np.float32), global_step=0, tag="t")
    w.close()
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "projector_config.pbtxt").write_text('embeddings {\n  tensor_name: "embedding/.ATTRIBUTES/VARIABLE_VALUE"\n}\n')
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "projector_config.pbtxt").write_text('embeddings {\n  tensor_path: "missing.tsv"\n}\n')
    found, warnings = projector.load_logdir(tmp_path)
    assert [d.name for d in found] == ["ok · t:00000"]
    assert any("ckpt · embedding/.ATTRIBUTES/VARIABLE_VALUE: the tensor is inside a checkpoint" in w for w in warnings)
    assert any(w.startswith("broken · ") and "was not found" in w for w in warnings)
    with pytest.raises(DataError, match="holds no projector_config.pbtxt"):
        projector.load_logdir(tmp_path / "ok" / "00000")
    with pytest.raises(DataError, match="is not a folder"):
        projector.load_logdir(tmp_path / "nothing")

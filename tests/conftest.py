import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # appproc: the app as a process
ANCHOR = ROOT.parent / "shared" / "anchor-data" / "tensorboard"


@pytest.fixture
def anchor():
    """The anchor's files (TensorBoard demo data); tests skip when the folder is absent."""
    if not ANCHOR.is_dir():
        pytest.skip("../shared/anchor-data is not present in this checkout")
    return ANCHOR

"""A process killed (SIGKILL) in the middle of storing a data set: the upload it was adopting keeps every
byte, nothing half-made is listed, the next start rolls the leftovers back, and storing it again works."""
import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

from projector import DatasetStore

ROOT = Path(__file__).resolve().parents[2]

ADD = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    import projector
    ds = projector.load_dataset({vectors!r}, {metadata!r}, name="big")
    print("loaded", flush=True)
    projector.DatasetStore({store!r}).add(ds, adopt={vectors!r})
    print("stored", flush=True)
""")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_kill_while_storing_an_adopted_upload_loses_nothing(tmp_path):
    upload = tmp_path / "uploads" / "0123456789abcdef"
    upload.mkdir(parents=True)
    vectors = upload / "emb.npy"
    np.save(vectors, np.random.default_rng(0).normal(size=(20_000, 64)).astype(np.float32))
    metadata = upload / "meta.tsv"
    # a large metadata file: the store writes it after linking the vectors, a window to be killed in
    metadata.write_text("".join(f"label {i} {'x' * 400}\n" for i in range(20_000)))
    before = digest(vectors)
    store_root = tmp_path / "store"
    script = ADD.format(root=str(ROOT), vectors=str(vectors), metadata=str(metadata), store=str(store_root))
    killed_inside = 0
    for _ in range(8):
        proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "loaded"
        while proc.poll() is None:   # kill it the moment its work folder holds the linked vectors
            if any((w / "vectors.npy").exists() for w in (store_root / "tmp").glob("add-*")):
                os.kill(proc.pid, signal.SIGKILL)
                killed_inside += 1
                break
            time.sleep(0.0005)
        proc.wait()
        assert digest(vectors) == before                          # the user's bytes, all of them
        listed = [m["name"] for m in DatasetStore(store_root).list()]   # opening the store recovers
        assert list((store_root / "tmp").iterdir()) == []          # nothing orphaned across the restart
        if proc.returncode == -signal.SIGKILL:
            assert listed == []                                    # nothing half-made listed
        else:
            assert listed == ["big"]
            break
    assert killed_inside >= 1
    # the retry stores it (from the same upload, still whole)
    import projector

    ds = projector.load_dataset(vectors, metadata, name="big")
    DatasetStore(store_root).add(ds, adopt=vectors)
    assert [m["name"] for m in DatasetStore(store_root).list()] == ["big"]
    np.testing.assert_array_equal(DatasetStore(store_root).get(ds.id).vectors, np.load(vectors))


def test_a_store_being_written_by_another_live_process_is_left_alone(tmp_path):
    """Recovery removes only work folders no live process holds."""
    import fcntl

    store = DatasetStore(tmp_path)
    busy = tmp_path / "tmp" / "add-busy"
    busy.mkdir()
    with open(busy / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); import projector; " \
               f"print(projector.DatasetStore({str(tmp_path)!r}).recover())"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        assert "add-busy" not in out and busy.exists()
    assert "add-busy" in store.recover() and not busy.exists()

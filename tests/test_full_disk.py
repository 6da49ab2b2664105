"""A full disk during an upload and during Load: a clear sentence, nothing half-written kept or listed,
the data sets stored before intact, the app answering. The data folder is a small real tmpfs."""
import subprocess

import numpy as np
import pytest

from appproc import run_app, stop
from httpclient import Client, http


@pytest.fixture
def small_disk(tmp_path):
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def fill(folder, leave_bytes):
    """Another writer takes the disk's space, leaving about ``leave_bytes``."""
    import shutil

    free = shutil.disk_usage(folder).free
    with open(folder / "filler.bin", "wb") as f:
        f.write(b"\0" * max(0, free - leave_bytes))


def test_a_full_disk_is_a_sentence_and_nothing_half_written_is_kept(small_disk, tmp_path):
    np.save(tmp_path / "kept.npy", np.random.default_rng(1).normal(size=(300, 16)).astype(np.float32))
    data = small_disk / "data"
    proc, url, _ = run_app("--embeddings", str(tmp_path / "kept.npy"), "--name", "kept", "--no-sample",
                           "--data-dir", str(data))
    client = Client(url, data_dir=data)
    stored = sorted(p.name for p in (data / "store" / "datasets").iterdir())
    try:
        # 1. a file larger than the free space is refused before a byte is sent
        handle = client.upload("big.npy", b"\x93NUMPY" + bytes(60 * 2**20))
        assert "the server's disk has" in handle["refused"] and "not enough for big.npy" in handle["refused"]

        # 2. the disk fills up while a file arrives: the partial upload is deleted
        payload = np.random.default_rng(2).normal(size=(4096, 1024)).astype(np.float32)   # 16 MB
        import io

        buf = io.BytesIO()
        np.save(buf, payload)
        status, begun = client.post("/api/uploads", {"filename": "emb.npy", "size": len(buf.getvalue())})
        assert status == 200
        fill(small_disk, 4 * 2**20)
        status, body = http(f"{url}/api/uploads/{begun['token']}?offset=0", "PUT", buf.getvalue()[:8 * 2**20])
        assert status == 400 and b"filled up while receiving emb.npy" in body and b"partial upload was deleted" in body
        assert not (data / "uploads" / begun["token"]).exists()
        (small_disk / "filler.bin").unlink()

        # 3. the upload arrives, then the disk fills before Load stores it
        small = np.random.default_rng(3).normal(size=(2000, 64)).astype(np.float32)
        buf = io.BytesIO()
        np.save(buf, small)
        handle = client.upload("late.npy", buf.getvalue())
        text = "".join(f"label {i} " + "x" * 200 + "\n" for i in range(2000))   # 400 KB of metadata to write
        meta = client.upload("late.tsv", text.encode())
        fill(small_disk, 64 * 1024)
        answer = client.call("load-upload.n_clicks", 1, {"staged-vectors.data": handle, "staged-metadata.data": meta})
        message = answer["data-message"]["children"]
        assert "The server's disk is full, so late was not stored" in message, message
        assert "goto" not in answer
        assert sorted(p.name for p in (data / "store" / "datasets").iterdir()) == stored   # nothing half-made listed
        assert list((data / "store" / "tmp").iterdir()) == []
        (small_disk / "filler.bin").unlink()
        # the upload was kept: with space again, the same Load stores it
        answer = client.call("load-upload.n_clicks", 2, {"staged-vectors.data": handle, "staged-metadata.data": meta})
        assert "Loaded late: 2,000 points" in answer["goto"]["data"]["message"]["text"]
        assert http(url + "/")[0] == 200 and proc.poll() is None
    finally:
        stop(proc)

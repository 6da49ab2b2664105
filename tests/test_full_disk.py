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


def leftovers(data):
    """Temporary files a write left behind anywhere in the data folder."""
    return [str(p.relative_to(data)) for p in data.rglob("*")
            if p.name.endswith(".tmp") or p.name.startswith((".state-", ".secret-"))]


def test_every_write_path_on_a_full_disk_is_a_sentence_and_leaves_nothing(small_disk, tmp_path):
    """Tags, share links, bookmarks, isolating, a search, a job's start and its result: each one
    sentence when the disk is full, no temporary file kept, and all of them work again with space."""
    from httpclient import view_record

    np.save(tmp_path / "kept.npy", np.random.default_rng(1).normal(size=(300, 16)).astype(np.float32))
    (tmp_path / "kept.tsv").write_text("".join(f"w{i}\n" for i in range(300)))
    data = small_disk / "data"
    proc, url, _ = run_app("--embeddings", str(tmp_path / "kept.npy"), "--metadata", str(tmp_path / "kept.tsv"),
                                "--name", "kept", "--no-sample", "--data-dir", str(data))
    client = Client(url, data_dir=data)
    dataset = next(p.name for p in (data / "store" / "datasets").iterdir())
    selection = {"dataset": dataset, "anchor": 3, "neighbors": [[4, 0.1], [5, 0.2]], "points": None,
                 "filter": False, "search": None}
    view = view_record(dataset, 300, selection=selection)
    tsne = {**view, "request": {"method": "tsne", "dims": 2, "params": {"perplexity": 5, "learning_rate": "auto",
                                                                          "iterations": 50}}}
    def said(answer: dict) -> str:
        """Every sentence an answer shows: its messages, and a GOTO's message."""
        texts = [v.get("children") for v in answer.values() if isinstance(v.get("children"), str)]
        goto = (answer.get("goto") or {}).get("data") or {}
        return " ".join(texts + [str((goto.get("message") or {}).get("text") or "")])

    steps = {
        "tag": lambda n: client.call("tag-apply.n_clicks", n, {"tag-column.value": "topic", "tag-value.value": "x",
                                                               "view.data": view}),
        "share link": lambda n: client.call("camera-capture.data", {"purpose": "share", "camera": None, "t": n},
                                            {"view.data": view, "bookmark-tray.data": []}),
        "bookmark": lambda n: client.call("camera-capture.data", {"purpose": "bookmark", "camera": None, "t": n},
                                          {"view.data": view, "bookmark-tray.data": []}),
        "isolate": lambda n: client.call("isolate.n_clicks", n, {"view.data": view}),
        "search": lambda n: client.call("search-query.value", f"w{n}", {"view.data": view},
                                        inputs={"search-regex.value": [], "search-column.value": None,
                                                "search-scope.value": "all"}),
        "a job and its result": lambda n: {"job": {"children": run_job(n)}},
    }

    def run_job(n):
        """Run pressed, then the job as the page starts it: its record, or its result, meets the full disk."""
        now = {**tsne, "spherize": n == 2}
        answer = client.call("run-projection.n_clicks", n, {"view.data": now}, inputs={"view.data": now})
        message = answer.get("projection-message", {}).get("children", "")
        if "projection-job" not in answer:
            return message
        job = {k: v for k, v in answer["projection-job"]["data"].items() if k != "_sig"}
        result = client.call_background("projection-job.data", job, {})["projection-job-result"]["data"]
        return message + (result.get("error") or "") + " " + result["state"]
    try:
        fill(small_disk, 0)
        for name, step in steps.items():
            text = said(step(1))
            assert "disk is full" in text, (name, text)
            assert leftovers(data) == [], (name, leftovers(data))
        (small_disk / "filler.bin").unlink()
        for name, step in steps.items():
            text = said(step(2))
            assert "disk is full" not in text, (name, text)
        assert text.strip().endswith("done")   # the job ran and its result was kept
        assert http(url + "/")[0] == 200 and proc.poll() is None
    finally:
        stop(proc)
        log = proc.stdout.read()
    assert "Traceback" not in log, log[log.index("Traceback"):][:3000]

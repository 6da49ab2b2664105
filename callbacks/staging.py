"""Uploads streamed to the server in chunks, staged in a private folder until the user presses Load.

A browser sends a file as a series of PUTs of a few MB each (never base64 inside a callback), so
files of gigabytes arrive with a progress bar; a cancelled upload is deleted, and staged files
nobody loaded are swept after ``STALE_SECONDS``.
"""
from __future__ import annotations

import errno
import json
import os
import re
import secrets
import shutil
import time
from pathlib import Path

import projector

from . import services

CHUNK_BYTES = 8 * 2**20
DISK_MARGIN_BYTES = 16 * 2**20   # kept free beyond an upload: the store writes metadata and a manifest next to it
STALE_SECONDS = 6 * 3600
DEFAULT_MAX_BYTES = 4 * 2**30
_TOKEN = re.compile(r"^[0-9a-f]{16}$")


def max_bytes() -> int:
    return int(os.environ.get("PROJECTOR_MAX_UPLOAD_BYTES") or DEFAULT_MAX_BYTES)


NAME_MAX = 100   # characters of a staged file's name on disk (the extension is kept)


def safe_name(filename: str) -> str:
    """A file name that cannot leave the upload folder (client names are never used as paths), short
    enough for any file system; its extension, which says how to read it, is kept."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", (filename or "upload").replace("\\", "/").split("/")[-1])
    name = name.lstrip(".") or "upload"
    if len(name) > NAME_MAX:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:20] if dot else ""
        name = (stem if dot else name)[:NAME_MAX - len(ext) - 1].rstrip(".") + (f".{ext}" if ext else "")
    return name


def _whole(value, what: str) -> int:
    """A whole number sent by a client (JSON number or text), or a sentence saying what is wrong."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]{1,18}\s*", value):
        return int(value)
    if isinstance(value, int) and 0 <= value < 2**62:
        return value
    if isinstance(value, float) and value.is_integer() and 0 <= value < 2**62:
        return int(value)
    raise projector.DataError(f"the upload's {what} must be a whole number of bytes from 0; choose the file again.")


def _folder(token: str) -> Path:
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise projector.DataError("that upload is unknown; choose the file again.")
    return services.uploads_dir() / token


def _meta(folder: Path) -> dict:
    try:
        return json.loads((folder / "upload.json").read_text())
    except (OSError, ValueError):
        raise projector.DataError("that upload is gone from the server; choose the file again.") from None


def start(filename: str, size: int) -> dict:
    """Begin an upload of ``size`` bytes; returns ``{"token", "chunk"}``."""
    sweep()
    filename = filename if isinstance(filename, str) and filename else "upload"
    if len(filename) > 1_000:
        raise projector.DataError("the file's name is over 1,000 characters long; rename it and choose it again.")
    size = _whole(size, "size")
    limit = max_bytes()
    if size > limit:
        raise projector.DataError(f"{filename} is {size / 2**30:,.2f} GB, more than this server accepts "
                                  f"({limit / 2**30:,.2f} GB); ask for a larger PROJECTOR_MAX_UPLOAD_BYTES "
                                  "or load the file from the server with --embeddings.")
    if size <= 0:
        raise projector.DataError(f"{filename} is empty; choose the complete file.")
    free = shutil.disk_usage(services.uploads_dir()).free
    if size + DISK_MARGIN_BYTES > free:
        raise projector.DataError(f"the server's disk has {free / 1e6:,.0f} MB free, not enough for {filename} "
                                  f"({size / 1e6:,.0f} MB); ask whoever runs it to free space, then upload again.")
    token = secrets.token_hex(8)
    folder = services.uploads_dir() / token
    folder.mkdir()
    (folder / "upload.json").write_text(json.dumps({"filename": filename, "name": safe_name(filename),
                                                    "size": size, "started": time.time()}))
    (folder / "data.part").touch()
    return {"token": token, "chunk": CHUNK_BYTES}


def append(token: str, offset: int, data: bytes) -> int:
    """Write a chunk at ``offset`` (a retried chunk overwrites); returns the bytes received so far."""
    folder = _folder(token)
    meta = _meta(folder)
    part = folder / "data.part"
    offset = _whole(offset, "offset")
    try:
        have = part.stat().st_size
    except FileNotFoundError:
        raise projector.DataError(f"{meta['filename']} was already finished or cancelled; choose the file again "
                                  "to send it once more.") from None
    if offset > have or offset + len(data) > meta["size"]:
        raise projector.DataError("a piece of the upload arrived out of order; choose the file again.")
    try:
        with open(part, "r+b") as f:
            f.seek(offset)
            f.write(data)
            f.truncate(offset + len(data))
    except FileNotFoundError:   # cancelled while this piece was on its way
        raise projector.DataError(f"the upload of {meta['filename']} was cancelled; choose the file again.") from None
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        shutil.rmtree(folder, ignore_errors=True)   # nothing half-written is kept
        raise projector.DataError(f"the server's disk filled up while receiving {meta['filename']}; the partial "
                                  "upload was deleted. Ask whoever runs it to free space, then upload again.") from None
    return offset + len(data)


def finish(token: str) -> dict:
    """Complete an upload; returns the handle Load takes."""
    folder = _folder(token)
    meta = _meta(folder)
    part = folder / "data.part"
    done = folder / meta["name"]
    handle = {"token": token, "name": meta["name"], "filename": meta["filename"], "size": meta["size"]}
    if not part.exists() and done.is_file() and done.stat().st_size == meta["size"]:
        return handle   # finished already (a retried request): the same answer
    try:
        got = part.stat().st_size
    except FileNotFoundError:
        got = 0
    if got != meta["size"]:
        raise projector.DataError(f"{meta['filename']} arrived incomplete ({got:,} of {meta['size']:,} bytes); "
                                  "choose the file again.")
    try:
        os.replace(part, done)
    except FileNotFoundError:   # cancelled meanwhile
        raise projector.DataError(f"the upload of {meta['filename']} was cancelled; choose the file again.") from None
    return handle


def cancel(token: str) -> None:
    shutil.rmtree(_folder(token), ignore_errors=True)


def staged_path(handle: dict | None) -> Path | None:
    """The finished file behind a handle, or None."""
    if not handle:
        return None
    try:
        path = _folder(str(handle.get("token", ""))) / safe_name(handle.get("name", ""))
    except projector.DataError:
        return None
    return path if path.is_file() else None


def sweep(now: float | None = None) -> None:
    """Remove uploads started more than STALE_SECONDS ago (interrupted, or never loaded)."""
    now = now or time.time()
    for folder in services.uploads_dir().iterdir():
        try:
            started = json.loads((folder / "upload.json").read_text())["started"]
        except (OSError, ValueError, KeyError):
            started = folder.stat().st_mtime
        if now - started > STALE_SECONDS:
            shutil.rmtree(folder, ignore_errors=True)


def register_routes(server) -> None:
    """The HTTP side of chunked uploads on the app's Flask server."""
    from flask import jsonify, request

    def fail(exc):
        return jsonify({"error": str(exc)}), 400

    @server.post("/api/uploads")
    def upload_start():
        try:
            body = json.loads(request.get_data() or b"null")
        except (ValueError, RecursionError):
            body = None
        if not isinstance(body, dict):
            return fail("an upload starts with a JSON object {\"filename\": …, \"size\": …}.")
        try:
            return jsonify(start(body.get("filename"), body.get("size")))
        except projector.DataError as exc:
            return fail(exc)

    @server.put("/api/uploads/<token>")
    def upload_chunk(token):
        if "offset" not in request.args:
            return fail("a piece of an upload must say where it goes (?offset=…); choose the file again.")
        try:
            return jsonify({"received": append(token, request.args["offset"], request.get_data())})
        except projector.DataError as exc:
            return fail(exc)

    @server.post("/api/uploads/<token>/finish")
    def upload_finish(token):
        try:
            return jsonify(finish(token))
        except projector.DataError as exc:
            return fail(exc)

    @server.delete("/api/uploads/<token>")
    def upload_cancel(token):
        try:
            cancel(token)
        except projector.DataError as exc:
            return fail(exc)
        return jsonify({"cancelled": token})

"""Keep a log folder's embeddings in the store while training writes new ones, as ``tensorboard --logdir``
reloads its runs: every few seconds the folder is scanned again and what is new — a checkpoint just saved,
another global step of ``add_embedding``, a new run — is read and stored. What is stored already is not
read again (its (run, tensor, step) is skipped), so a scan of an unchanged folder reads no tensor.
"""
from __future__ import annotations

import sys
import threading
from pathlib import Path

from .errors import DataError


def stored_keys(store, root) -> set[tuple]:
    """(run, tensor, step) of every stored data set that came from the log folder ``root``."""
    root = str(Path(root))
    keys = set()
    for m in store.list():
        source = m.get("source")
        if isinstance(source, dict) and source.get("logdir") == root:
            keys.add((source.get("run"), source.get("tensor"), source.get("step")))
    return keys


class LogdirWatcher:
    """Scans ``root`` every ``interval`` seconds (in a daemon thread) and adds what is new to ``store``.

    ``on_warning`` gets each warning once (an entry that cannot be read yet — a checkpoint still being
    written is read at a later scan, when it is whole)."""

    def __init__(self, root, store, *, interval: float = 5.0, on_warning=None):
        self.root, self.store, self.interval = Path(root), store, float(interval)
        self.on_warning = on_warning or (lambda text: print(f"warning: {text}", file=sys.stderr, flush=True))
        self._seen_warnings: set[str] = set()
        # keys read before: two tensors with the same values and labels are one stored data set (with the
        # first one's source), so the store alone would not know the second was read
        self._read: set[tuple] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def scan(self) -> list[str]:
        """One scan: the ids of the data sets it added (none when nothing is new)."""
        from .logdir import load_logdir

        try:
            found, warnings = load_logdir(self.root, skip=frozenset(stored_keys(self.store, self.root) | self._read))
        except DataError as exc:   # nothing new that can be read (or the folder is gone for now)
            found, warnings = [], [str(exc)]
        added = []
        for ds in found:
            source = ds.source or {}
            self._read.add((source.get("run"), source.get("tensor"), source.get("step")))
            try:
                added.append(self.store.add(ds))
            except DataError as exc:   # a full disk: said, and tried again at the next scan
                warnings.append(str(exc))
            warnings.extend(ds.warnings)
        for text in warnings:
            if text not in self._seen_warnings:
                self._seen_warnings.add(text)
                self.on_warning(text)
        return added

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.scan()
            except Exception as exc:   # noqa: BLE001 - a scan that fails must not end the watching
                self.on_warning(f"scanning {self.root} failed ({type(exc).__name__}: {exc}); trying again.")

    def start(self) -> "LogdirWatcher":
        if self.interval > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="logdir-watcher", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

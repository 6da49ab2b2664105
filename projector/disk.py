"""Writes that can meet a full disk: one sentence for the user, nothing half-written left behind."""
from __future__ import annotations

import errno
import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from .errors import DataError

FULL = (errno.ENOSPC, errno.EDQUOT)


def is_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk (or the user's quota) is full — an OSError, or SQLite's own words."""
    if isinstance(exc, OSError) and exc.errno in FULL:
        return True
    return isinstance(exc, sqlite3.OperationalError) and "full" in str(exc).lower()


def full_disk(what: str) -> DataError:
    return DataError(f"the server's disk is full, so {what}; ask whoever runs it to free space, then try again.")


@contextmanager
def writing(what: str, *leftovers: Path):
    """Run a write; on a full disk remove ``leftovers`` (temporary files it made) and raise one sentence
    saying ``what`` did not happen (e.g. "the tag was not saved")."""
    try:
        yield
    except (OSError, sqlite3.OperationalError) as exc:
        if not is_full(exc):
            raise
        for path in leftovers:
            try:
                os.unlink(path)
            except OSError:
                pass
        raise full_disk(what) from None

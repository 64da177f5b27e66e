"""Exclusive locks across processes and machines that die with their holder.

A distributed ingest's ``write`` stage must not run twice at once for one job (a redelivered task
while the first copy still runs). :func:`job_lock` takes a PostgreSQL session-level advisory lock
(``pg_try_advisory_lock``; the server releases it when the holder's connection ends, so a worker
killed with SIGKILL never leaves it taken) or, on SQLite (one machine), an ``flock`` on a file
under ``<home>/locks`` (released by the kernel when the process dies).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text


def _key64(name: str) -> int:
    """A signed 64-bit advisory-lock key from ``name`` (first 8 bytes of its SHA-256)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def job_lock(repo, home: Path, name: str) -> Iterator[bool]:
    """Try to take the lock ``name`` without waiting; yields ``True`` when held (released on exit),
    ``False`` when another process holds it.

    Args:
        repo: a ``SqlRepository`` (its engine decides PostgreSQL or file locking).
        home: vidmem's data folder (file locks live in ``home / "locks"``).
        name: what is locked, e.g. ``"write:<job id>"``.
    """
    if repo.dialect == "postgresql":
        key = _key64(name)
        with repo.engine.connect() as conn:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
        return
    folder = home / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / (hashlib.sha256(name.encode()).hexdigest()[:32] + ".lock"), os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)

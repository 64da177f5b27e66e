"""Run the relational store's Alembic migrations from Python.

:func:`migrate` is the one entry point: the API, the workers and the CLI call it at start-up (or
:class:`~memory_core.stores.relational.repository.SqlRepository` does with ``create=True``).
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_exponential

from memory_core.logging import get_logger
from memory_core.stores.relational.engine import make_engine

if TYPE_CHECKING:
    from alembic.config import Config

log = get_logger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Alembic announces its dialect on every context at INFO; vidmem logs what was migrated instead.
logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)

# Alembic's ``context`` is process-global: one upgrade at a time per process.
_LOCK = threading.Lock()


def alembic_config(url: str | None = None) -> Config:
    """An Alembic ``Config`` for this package's migrations (no ini file, logging untouched).

    The URL travels in ``config.attributes`` so ``%`` in it needs no escaping.
    """
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        cfg.attributes["url"] = url
    return cfg


def head_revision() -> str:
    """The newest revision id in ``migrations/versions``."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations found"
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or ``None`` for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


_REVISION_LINE = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(?:[\"']([^\"']+)[\"']|None)", re.M)


@lru_cache(maxsize=1)
def _scanned_head() -> str | None:
    """The head revision read from the version files' ``revision``/``down_revision`` lines without
    importing Alembic; ``None`` when the files do not give exactly one head (then Alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        found = dict((m.group(1), m.group(2)) for m in _REVISION_LINE.finditer(path.read_text(encoding="utf-8")))
        if not found.get("revision"):
            return None
        revisions.add(found["revision"])
        if found.get("down_revision"):
            parents.add(found["down_revision"])
    heads = revisions - parents
    return next(iter(heads)) if len(heads) == 1 else None


def _stored_revision(engine: Engine) -> str | None:
    """The single row of ``alembic_version`` by plain SQL, or ``None`` (no table, or not one row)."""
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).fetchall()
    except DBAPIError:
        return None
    return rows[0][0] if len(rows) == 1 else None


def wait_for_database(engine: Engine, wait_s: float = 10.0) -> None:
    """Block until ``SELECT 1`` succeeds, retrying with backoff for up to ``wait_s`` seconds.

    Raises:
        sqlalchemy.exc.OperationalError: when the database still does not answer.
    """

    @retry(
        retry=retry_if_exception_type(OperationalError),
        stop=stop_after_delay(wait_s),
        wait=wait_exponential(multiplier=0.2, max=2.0),
        reraise=True,
    )
    def ping() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    ping()


def migrate(target: str | Engine, *, revision: str = "head", wait_s: float = 10.0) -> str:
    """Upgrade the database at ``target`` (a URL or an Engine) to ``revision``; idempotent.

    Waits up to ``wait_s`` seconds for the database to answer. Callers in one process are
    serialised by a lock; processes on PostgreSQL by an advisory lock (``migrations/env.py``).
    On SQLite, start one process first (two first-time migrations at once may collide).
    Returns the revision reached.

    Raises:
        sqlalchemy.exc.OperationalError: when the database does not answer in time.
        alembic.util.CommandError: for an unknown revision.
    """
    engine = make_engine(target) if isinstance(target, str) else target
    try:
        wait_for_database(engine, wait_s)
        if revision == "head" and (head := _scanned_head()) is not None and _stored_revision(engine) == head:
            return head  # the common case: nothing to do, Alembic not even imported (~0.4 s saved)
        if revision == "head" and current_revision(engine) == (head := head_revision()):
            return head
        from alembic import command

        cfg = alembic_config()
        with _LOCK, engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
        reached = current_revision(engine) or "base"
        log.info("db.migrated", revision=reached, dialect=engine.dialect.name)
        return reached
    finally:
        if isinstance(target, str):
            engine.dispose()

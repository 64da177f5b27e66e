"""Alembic environment of the relational store.

Runs from Python (:func:`memory_core.stores.relational.migrate.migrate`) or the Alembic CLI::

    alembic -c memory_core/stores/relational/migrations/alembic.ini -x url=sqlite:///x.db upgrade head

The database comes from, in order: ``config.attributes["connection"]`` (an open Connection),
``config.attributes["url"]``, ``-x url=...``, ``sqlalchemy.url`` in the ini, then the settings'
``db_url``. Logging is left as the application configured it.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, pool, text

from memory_core.stores.relational.models import Base

config = context.config
target_metadata = Base.metadata

#: Key of the PostgreSQL advisory lock that serialises concurrent migrations.
_PG_LOCK_KEY = 0x76_69_64_6D_65_6D  # "vidmem"


def _url() -> str:
    url = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
    url = url or config.get_main_option("sqlalchemy.url")
    if not url:
        from memory_core.settings import get_settings

        url = get_settings().db_url
    return url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        context.run_migrations()


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it (``alembic upgrade --sql``)."""
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the given connection or on a fresh engine."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

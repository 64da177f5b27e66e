"""Relational store (SQLAlchemy 2 on SQLite or PostgreSQL, schema managed by Alembic)."""

from memory_core.stores.relational.migrate import migrate
from memory_core.stores.relational.repository import SqlRepository

__all__ = ["SqlRepository", "migrate"]

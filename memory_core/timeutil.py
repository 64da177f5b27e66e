"""Wall-clock helpers. vidmem stores every time as an aware UTC ``datetime``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def utcnow() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(UTC)


def ensure_aware(value: datetime, default_tz=UTC) -> datetime:
    """Attach ``default_tz`` to a naive datetime; aware values are returned converted to UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=default_tz)
    return value.astimezone(UTC)


def parse_iso(text: str) -> datetime:
    """Parse ISO 8601 (``Z`` allowed); a naive value is taken as UTC.

    Raises:
        ValueError: when ``text`` is not ISO 8601.
    """
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    return ensure_aware(datetime.fromisoformat(text))


def to_epoch(value: datetime) -> float:
    """Seconds since the Unix epoch (float), the unit of the vector store's time payload."""
    return ensure_aware(value).timestamp()


def from_epoch(seconds: float) -> datetime:
    """Aware UTC datetime from seconds since the Unix epoch."""
    return datetime.fromtimestamp(seconds, UTC)


def add_seconds(value: datetime, seconds: float) -> datetime:
    """``value`` plus ``seconds``."""
    return value + timedelta(seconds=seconds)


def iso(value: datetime) -> str:
    """ISO 8601 with timezone, e.g. ``2026-11-16T08:00:10+00:00``."""
    return ensure_aware(value).isoformat()

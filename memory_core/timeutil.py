"""Wall-clock helpers. vidmem stores every time as an aware UTC ``datetime``.

Arithmetic near the ends of the calendar (``0001-01-01T00:00:00+14:00`` converted to UTC,
``9999-12-31`` plus a day) raises :class:`TimeRangeError`, a ``ValueError`` with a plain message,
never a bare ``OverflowError``: callers that validate input catch ``ValueError`` and answer 422.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api_schemas.common import MAX_YEAR, MIN_YEAR


class TimeRangeError(ValueError):
    """A time outside what ``datetime`` (years 1..9999) or vidmem (years ``MIN_YEAR..MAX_YEAR``,
    1970..2200) can represent, or time arithmetic that would leave that range."""


def utcnow() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(UTC)


def ensure_aware(value: datetime, default_tz=UTC) -> datetime:
    """Attach ``default_tz`` to a naive datetime; aware values are returned converted to UTC.

    Raises:
        TimeRangeError: when the value in UTC falls outside years 1..9999.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=default_tz)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise TimeRangeError(f"{value.isoformat()} is outside the representable time range") from None


def check_range(value: datetime) -> datetime:
    """``value`` when its year is within ``MIN_YEAR..MAX_YEAR`` (1970..2200).

    Raises:
        TimeRangeError: otherwise.
    """
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise TimeRangeError(f"times must fall in the years {MIN_YEAR} to {MAX_YEAR}")
    return value


def parse_iso(text: str, *, bounded: bool = False) -> datetime:
    """Parse ISO 8601 (``Z`` allowed); a naive value is taken as UTC.

    Args:
        text: e.g. ``2026-11-16T08:00:00+00:00``.
        bounded: also refuse years outside 1970..2200 (:func:`check_range`): for user input.

    Raises:
        ValueError: when ``text`` is not ISO 8601; :class:`TimeRangeError` (a ``ValueError``) when
            it is out of range.
    """
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    value = datetime.fromisoformat(text)
    if bounded:
        check_range(value)
    return ensure_aware(value)


def to_epoch(value: datetime) -> float:
    """Seconds since the Unix epoch (float), the unit of the vector store's time payload."""
    return ensure_aware(value).timestamp()


def from_epoch(seconds: float) -> datetime:
    """Aware UTC datetime from seconds since the Unix epoch.

    Raises:
        TimeRangeError: for seconds outside ``datetime``'s range.
    """
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise TimeRangeError(f"{seconds} seconds since the epoch is outside the representable time range") from None


def add_seconds(value: datetime, seconds: float) -> datetime:
    """``value`` plus ``seconds``.

    Raises:
        TimeRangeError: when the result leaves years 1..9999.
    """
    try:
        return value + timedelta(seconds=seconds)
    except OverflowError:
        raise TimeRangeError(f"{value.isoformat()} plus {seconds} s is outside the representable time range") from None


def iso(value: datetime) -> str:
    """ISO 8601 with timezone, e.g. ``2026-11-16T08:00:10+00:00``."""
    return ensure_aware(value).isoformat()

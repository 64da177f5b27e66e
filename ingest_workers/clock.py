"""Mapping media offsets (seconds from the start of a file) to wall-clock time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from ingest_workers.probe import MediaInfo
from memory_core.timeutil import ensure_aware

StartOrigin = Literal["argument", "container", "now"]


def wall_time(start_time: datetime, media_s: float) -> datetime:
    """Wall-clock time (aware UTC) of media offset ``media_s`` seconds in a file whose media 0 s
    happened at ``start_time`` (a naive ``start_time`` is taken as UTC)."""
    return ensure_aware(start_time) + timedelta(seconds=float(media_s))


def resolve_start_time(
    explicit: datetime | None, info: MediaInfo, now: datetime
) -> tuple[datetime, StartOrigin]:
    """Choose the wall-clock time of media 0 s and say where it came from.

    Order: ``explicit`` (the caller knows, e.g. a camera's recording start) -> ``"argument"``;
    the container's ``creation_time`` metadata -> ``"container"``; otherwise ``now`` minus the
    file's duration (the footage is assumed to have just finished) -> ``"now"``.
    All results are aware UTC; naive inputs are taken as UTC.
    """
    if explicit is not None:
        return ensure_aware(explicit), "argument"
    if info.creation_time is not None:
        return ensure_aware(info.creation_time), "container"
    return ensure_aware(now) - timedelta(seconds=info.duration_s or 0.0), "now"

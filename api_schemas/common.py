"""Enumerations shared by every schema: memory levels and memory kinds."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

#: The calendar years a time given to vidmem may fall in (inclusive). The stores keep times as
#: seconds since the Unix epoch (float) and aware UTC datetimes; bounding input to these years
#: keeps every conversion and every 'last week'/'in 3 years' offset far from ``datetime``'s
#: limits (years 1..9999), so no input can overflow.
MIN_YEAR, MAX_YEAR = 1970, 2200


def check_year_range(value: datetime) -> datetime:
    """``value`` unchanged when its year (as written, offset included) is in
    ``MIN_YEAR..MAX_YEAR``.

    Raises:
        ValueError: outside the range (pydantic turns it into a validation error: 422 on the API).
    """
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"times must fall in the years {MIN_YEAR} to {MAX_YEAR}")
    return value


#: A request's time: ISO 8601 (a timezone is recommended; naive is read as UTC) in 1970..2200.
BoundedDatetime = Annotated[datetime, AfterValidator(check_year_range)]
#: A name in a request list (a source, an id): 1 to 255 characters.
ShortName = Annotated[str, StringConstraints(min_length=1, max_length=255)]
#: The most items any list in a request may hold unless its field says less (sources: 100).
MAX_SOURCES = 100
SourceList = Annotated[list[ShortName], Field(max_length=MAX_SOURCES)]


class Level(StrEnum):
    """Temporal level of a memory node, finest first.

    - ``clip``: a fixed window (default 10 s).
    - ``scene``: shot-bounded run of similar clips (bounded length, default <= 120 s).
    - ``event``: consecutive scenes grouped by topic and time gaps (minutes to ~30 min).
    - ``story``: the narrative of a source over a file or a wall-clock hour/day.
    """

    CLIP = "clip"
    SCENE = "scene"
    EVENT = "event"
    STORY = "story"

    @property
    def rank(self) -> int:
        """0 for clip up to 3 for story."""
        return _LEVEL_ORDER.index(self)

    @property
    def child(self) -> "Level | None":
        """The next finer level, or ``None`` for clips."""
        return None if self is Level.CLIP else _LEVEL_ORDER[self.rank - 1]


_LEVEL_ORDER = [Level.CLIP, Level.SCENE, Level.EVENT, Level.STORY]


class Kind(StrEnum):
    """Kind of memory.

    - ``episodic``: what happened (transcript, on-screen text, people, captions, summaries).
    - ``semantic``: knowledge abstracted across time (routines, latest states, facts).
    - ``visual``: keyframes and their vectors.
    - ``entity``: a person, voice, name or on-screen text with a timeline (entity summary nodes).
    """

    EPISODIC = "episodic"
    SEMANTIC = "semantic"
    VISUAL = "visual"
    ENTITY = "entity"

"""Enumerations shared by every schema: memory levels and memory kinds."""

from __future__ import annotations

from enum import StrEnum


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

"""Domain types shared by ingest, memory building, the stores and the retrieval agent.

Conventions: wall-clock times are aware UTC ``datetime``; media offsets (``*_s``) are seconds from
the start of the media file; boxes are ``(x0, y0, x1, y1)`` pixels of the frame they were found in;
vectors are ``numpy.float32`` arrays, L2-normalised where they are compared by cosine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from api_schemas import EntityKind, Kind, Level, MemoryNodeOut
from memory_core.timeutil import to_epoch

Box = tuple[int, int, int, int]


# --------------------------------------------------------------------------- perception results
@dataclass(slots=True)
class SampledFrame:
    """A decoded frame handed to perception: ``rgb`` is HxWx3 uint8, ``t_s`` its media time."""

    t_s: float
    rgb: np.ndarray


@dataclass(slots=True)
class ClipWindow:
    """A fixed window of media cut by the decoder.

    ``frames`` are sampled at ``ingest.sample_fps``; ``audio`` is float32 mono 16 kHz covering
    ``[media_start_s, media_end_s)`` (empty when the media has no audio); ``shot_boundaries`` are
    media times of hard cuts PySceneDetect found inside the window; ``frame_features`` are cheap
    per-frame image descriptors (colour histograms) aligned with ``frames``.
    """

    index: int
    media_start_s: float
    media_end_s: float
    frames: list[SampledFrame] = field(default_factory=list)
    audio: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    shot_boundaries: list[float] = field(default_factory=list)
    frame_features: list[np.ndarray] = field(default_factory=list)
    has_video: bool = True
    has_audio: bool = True

    @property
    def duration_s(self) -> float:
        """Length of the window in seconds."""
        return self.media_end_s - self.media_start_s


@dataclass(slots=True)
class Word:
    """An ASR word with media times."""

    start_s: float
    end_s: float
    text: str
    probability: float = 1.0


@dataclass(slots=True)
class SpeechSegment:
    """An ASR segment (media seconds) with its words and, once computed, a speaker embedding.

    ``text`` is what memory uses (spoken numbers normalised, see memory_core.spoken_numbers);
    ``raw_text`` the recogniser's own words when normalisation changed them, else ``None``.
    """

    start_s: float
    end_s: float
    text: str
    words: list[Word] = field(default_factory=list)
    avg_logprob: float = 0.0
    speaker_vector: np.ndarray | None = None
    speaker_entity_id: str | None = None
    raw_text: str | None = None


@dataclass(slots=True)
class OcrLine:
    """A line of on-screen text read from the frame at media time ``t_s``."""

    t_s: float
    text: str
    confidence: float
    box: Box | None = None


@dataclass(slots=True)
class FaceObservation:
    """A face found at media time ``t_s``: its box and its 128-d descriptor (dlib ResNet)."""

    t_s: float
    box: Box
    descriptor: np.ndarray
    score: float = 1.0
    entity_id: str | None = None


@dataclass(slots=True)
class Keyframe:
    """A keyframe kept as a small JPEG; ``features`` is a cheap colour histogram (L2-normalised),
    ``image_vector`` an image-text embedding when such a model is configured."""

    t_s: float
    jpeg: bytes
    width: int
    height: int
    features: np.ndarray | None = None
    image_vector: np.ndarray | None = None
    path: str | None = None


@dataclass(slots=True)
class ClipPerception:
    """Everything perception produced for one clip window."""

    window: ClipWindow
    speech: list[SpeechSegment] = field(default_factory=list)
    ocr: list[OcrLine] = field(default_factory=list)
    faces: list[FaceObservation] = field(default_factory=list)
    keyframes: list[Keyframe] = field(default_factory=list)
    caption: str | None = None
    provenance: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- memory
@dataclass(slots=True)
class MemoryNode:
    """One memory at one level: the unit stored in both the vector and the relational store.

    ``vector`` is the text embedding of ``text``; ``image_vector`` the image-text embedding of a
    visual node's keyframe (optional). ``attributes`` holds level/kind-specific fields (speakers,
    on-screen text, fact subject and state, ...). ``provenance`` maps a role (``asr``,
    ``text_embedder``, ``summariser``...) to the model and version that produced the memory.
    """

    id: str
    tenant: str
    source: str
    level: Level
    kind: Kind
    start: datetime
    end: datetime
    text: str
    parent_id: str | None = None
    media_file_id: str | None = None
    media_path: str | None = None
    media_start_s: float | None = None
    media_end_s: float | None = None
    entity_ids: list[str] = field(default_factory=list)
    evidence_ids: list[str] = field(default_factory=list)
    keyframe_paths: list[str] = field(default_factory=list)
    attributes: dict = field(default_factory=dict)
    provenance: dict[str, str] = field(default_factory=dict)
    vector: np.ndarray | None = None
    image_vector: np.ndarray | None = None

    @property
    def duration_s(self) -> float:
        """Wall-clock length in seconds."""
        return (self.end - self.start).total_seconds()

    def payload(self) -> dict:
        """The vector-store payload: filterable fields plus what a search result needs to show.

        Times are epoch seconds (``start``/``end``) so range filters are float ranges.
        """
        return {
            "tenant": self.tenant,
            "source": self.source,
            "level": self.level.value,
            "kind": self.kind.value,
            "start": to_epoch(self.start),
            "end": to_epoch(self.end),
            "parent_id": self.parent_id,
            "media_file_id": self.media_file_id,
            "media_start_s": self.media_start_s,
            "media_end_s": self.media_end_s,
            "entity_ids": list(self.entity_ids),
            "text": self.text[:2000],
        }

    def to_out(self) -> MemoryNodeOut:
        """Public view of this node."""
        return MemoryNodeOut(
            id=self.id,
            source=self.source,
            level=self.level,
            kind=self.kind,
            parent_id=self.parent_id,
            start=self.start,
            end=self.end,
            media_path=self.media_path,
            media_start_s=self.media_start_s,
            media_end_s=self.media_end_s,
            text=self.text,
            entity_ids=list(self.entity_ids),
            evidence_ids=list(self.evidence_ids),
            keyframe_paths=list(self.keyframe_paths),
            attributes=dict(self.attributes),
            provenance=dict(self.provenance),
        )


@dataclass(slots=True)
class Entity:
    """A person (face), speaker (voice), name or on-screen text within one source.

    ``centroid`` is the L2-normalised mean descriptor (faces, voices); ``exemplars`` a bounded set
    of member descriptors used for nearest-member checks; ``linked_ids`` entities judged to be the
    same real-world person; ``possible_duplicates`` candidates never merged without a person.
    """

    id: str
    tenant: str
    source: str
    kind: EntityKind
    label: str
    name: str | None = None
    centroid: np.ndarray | None = None
    exemplars: list[np.ndarray] = field(default_factory=list)
    count: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    linked_ids: list[str] = field(default_factory=list)
    possible_duplicates: list[str] = field(default_factory=list)
    attributes: dict = field(default_factory=dict)


@dataclass(slots=True)
class Appearance:
    """An entity seen or heard in a clip node, with wall-clock and media spans."""

    entity_id: str
    node_id: str
    start: datetime
    end: datetime
    media_path: str | None = None
    media_start_s: float | None = None
    media_end_s: float | None = None
    confidence: float = 1.0


@dataclass(slots=True)
class MediaFile:
    """A media file ingested into a source; ``start_time`` is the wall-clock time of media 0 s."""

    id: str
    tenant: str
    source: str
    path: str
    fingerprint: str
    duration_s: float
    start_time: datetime
    has_video: bool = True
    has_audio: bool = True
    width: int | None = None
    height: int | None = None

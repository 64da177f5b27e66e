"""Models of live streams and pushed chunks in the REST service.

A stream's URL may hold credentials: it is accepted in :class:`StreamCreate` and never returned;
:class:`StreamOut` carries only the redacted ``url`` (user info and secret query parameters
replaced by ``***``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

StreamKind = Literal["rtsp", "hls", "http", "udp", "rtp", "srt", "rtmp"]
StreamState = Literal["idle", "connecting", "streaming", "stalled", "backoff", "stopped"]


class StreamCreate(BaseModel):
    """Register (or replace) the live stream of a source.

    ``url``: ``rtsp://``, ``http(s)://…m3u8`` (HLS), other ``http(s)://`` (progressive TS/FLV/MJPEG),
    ``udp://``/``rtp://`` (MPEG-TS), ``rtmp://`` or ``srt://``; credentials are allowed (user info,
    ``?user=…&pwd=…``), stored encrypted and never shown again. The host must be a public address
    unless the service admits private networks. ``enabled``: start pulling now.
    """

    url: str = Field(min_length=1, max_length=2048, examples=["rtsp://viewer:secret@camera.example/stream1"])
    enabled: bool = True


class StreamLag(BaseModel):
    """Seconds from the end of a clip's capture to its memory being queryable (recent clips)."""

    p50: float | None = None
    p95: float | None = None
    n: int = 0


class StreamGap(BaseModel):
    """An outage: no footage from ``start`` to ``end`` (also a memory in the source's timeline)."""

    start: datetime
    end: datetime
    seconds: float
    reason: str | None = None


class StreamOut(BaseModel):
    """A source's live stream: its redacted URL, whether it is enabled, and what its worker last
    reported. ``state``: ``connecting -> streaming -> stalled -> backoff -> connecting`` …
    ``stopped`` (``None`` before a worker first ran); live while the worker runs in the serving
    process, else as last saved (every few seconds, ``updated_at``)."""

    source: str
    url: str = Field(description="the stream URL with credentials replaced by ***")
    kind: StreamKind | Literal["file"]
    enabled: bool
    state: StreamState | None = None
    registered_at: datetime | None = None
    updated_at: datetime | None = None
    connections: int = 0
    sessions: int = 0
    clips_written: int = 0
    dropped_windows: int = 0
    media_seconds: float = 0.0
    last_frame_at: datetime | None = Field(default=None, description="wall-clock time of the newest frame received")
    lag_s: StreamLag = Field(default_factory=StreamLag)
    gaps: list[StreamGap] = Field(default_factory=list, description="outages, oldest first (newest 100)")
    errors: list[str] = Field(default_factory=list, description="recent connection or processing errors (redacted)")

"""Errors raised when a media file cannot be ingested.

Every error is a :class:`MediaError` (a ``ValueError``: the input is bad, not the service) with a
stable machine-readable ``code`` that job records and API responses can carry, and a message that
names the file and says in plain words what is wrong with it.
"""

from __future__ import annotations

from pathlib import Path


class MediaError(ValueError):
    """Base class: the file at ``path`` cannot be ingested. ``code`` is stable across versions."""

    code = "media_error"

    def __init__(self, path: str | Path, message: str):
        self.path = str(path)
        self.detail = message
        super().__init__(f"{Path(self.path).name}: {message}")


class MissingMediaError(MediaError):
    """The path does not exist or is not a regular file."""

    code = "missing_file"


class EmptyFileError(MediaError):
    """The file has zero bytes (an interrupted upload or copy)."""

    code = "empty_file"


class NotMediaError(MediaError):
    """The bytes are not a container PyAV/FFmpeg recognises (a document, random data...)."""

    code = "not_media"


class NoStreamsError(MediaError):
    """The container opened but holds neither audio nor video."""

    code = "no_streams"


class AbsurdMediaError(MediaError):
    """Dimensions or duration are out of bounds (zero/negative size, more pixels than
    ``ingest.max_pixels``, longer than ``ingest.max_media_seconds``)."""

    code = "absurd_media"


class CorruptMediaError(MediaError):
    """The file looks like media but nothing usable could be read or decoded from it."""

    code = "corrupt_media"


class MediaChangedError(MediaError):
    """The file changed after the job planned it (its fingerprint differs): the segments of one
    job must come from one file, so the job fails instead of mixing two."""

    code = "media_changed"

"""Multipart uploads streamed straight to disk with a byte limit.

:func:`receive_upload` parses ``multipart/form-data`` as it arrives (``python-multipart``'s push
parser): the part named ``file`` goes to ``<dir>/.<uuid>.part`` in batches written off the event
loop, small text fields are kept in memory. Passing ``max_bytes``, a body that ends before its
closing boundary (a truncated upload), a dropped connection or a malformed body removes the
partial file and raises :class:`~services.api.errors.ApiError`; only a complete upload is renamed
(atomically) to its final name.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import anyio
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from services.api.errors import ApiError

_FLUSH_BYTES = 1 << 20  # write to disk in batches of 1 MiB
_MAX_FIELDS = 8
_MAX_FIELD_BYTES = 4096
_SAFE_SUFFIXES = {".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".ts", ".mpg", ".mpeg", ".flv", ".wav", ".mp3", ".m4a", ".ogg", ".opus", ".flac"}

def multipart_openapi(properties: dict, required: list[str]) -> dict:
    """``openapi_extra`` of a route that parses its own ``multipart/form-data`` body: the object
    schema with ``properties`` (OpenAPI schemas of the parts), of which ``required`` must be sent."""
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {
        "schema": {"type": "object", "required": list(required), "properties": dict(properties)}}}}}


#: The OpenAPI request body of an upload route (the route parses the stream itself).
UPLOAD_OPENAPI = multipart_openapi({
    "file": {"type": "string", "format": "binary", "description": "the media file"},
    "start_time": {"type": "string", "format": "date-time", "description": "wall-clock time of the first frame (ISO 8601)"},
}, ["file"])


@dataclass
class Upload:
    """A complete upload: ``path`` on disk, its ``size`` in bytes, the client's ``filename`` and
    the text ``fields``."""

    path: Path
    size: int
    filename: str | None
    fields: dict[str, str] = field(default_factory=dict)


class _Collector:
    """Callbacks of the push parser: one file part to disk, text fields in memory."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        self.size = 0
        self.pending = bytearray()
        self.ended = False
        self.files = 0
        self._hname = b""
        self._hvalue = b""
        self._disposition = b""
        self._name: str | None = None
        self._is_file = False
        self._data = bytearray()

    def on_part_begin(self) -> None:
        self._disposition, self._name, self._is_file, self._data = b"", None, False, bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._hname += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._hvalue += data[start:end]
        if len(self._hvalue) > _MAX_FIELD_BYTES:
            raise ApiError(400, "malformed_multipart", "multipart header too long")

    def on_header_end(self) -> None:
        if self._hname.lower() == b"content-disposition":
            self._disposition = self._hvalue
        self._hname, self._hvalue = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        name = options.get(b"name")
        if name is None:
            raise ApiError(400, "malformed_multipart", "a multipart part has no name")
        self._name = name.decode("utf-8", "replace")
        if self._name == "file":
            self.files += 1
            if self.files > 1:
                raise ApiError(400, "malformed_multipart", "only one file part is accepted")
            self._is_file = True
            raw = options.get(b"filename")
            self.filename = raw.decode("utf-8", "replace")[:255] if raw else None
        elif len(self.fields) >= _MAX_FIELDS:
            raise ApiError(400, "malformed_multipart", "too many form fields")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._is_file:
            self.size += len(chunk)
            if self.size > self.max_bytes:
                raise ApiError(413, "too_large", f"upload larger than {self.max_bytes} bytes")
            self.pending += chunk
        else:
            self._data += chunk
            if len(self._data) > _MAX_FIELD_BYTES:
                raise ApiError(413, "too_large", f"form field {self._name!r} longer than {_MAX_FIELD_BYTES} bytes")

    def on_part_end(self) -> None:
        if not self._is_file and self._name is not None:
            self.fields[self._name] = self._data.decode("utf-8", "replace")

    def on_end(self) -> None:
        self.ended = True

    def callbacks(self) -> dict:
        return {k: getattr(self, k) for k in ("on_part_begin", "on_part_data", "on_part_end", "on_header_field",
                                              "on_header_value", "on_header_end", "on_headers_finished", "on_end")}


def safe_suffix(filename: str | None) -> str:
    """A known media suffix of ``filename`` (lower case), else ``""`` (never a path)."""
    suffix = Path(filename or "").suffix.lower()
    return suffix if suffix in _SAFE_SUFFIXES else ""


async def receive_upload(request: Request, dest_dir: Path, max_bytes: int) -> Upload:
    """Stream the request's multipart body into ``dest_dir``.

    Args:
        request: a ``multipart/form-data`` request with one part named ``file``.
        dest_dir: folder of the final file (created); the file is named ``<uuid><suffix>``.
        max_bytes: the largest accepted file part.

    Returns:
        The complete :class:`Upload`.

    Raises:
        ApiError: 415 for another content type; 413 over ``max_bytes`` (also up front, from
            ``Content-Length``); 400 for a malformed, truncated or file-less body or a dropped
            connection. No file is left behind.
    """
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data":
        raise ApiError(415, "unsupported_media_type", "send the footage as multipart/form-data with a part named 'file'")
    boundary = params.get(b"boundary")
    if not boundary:
        raise ApiError(400, "malformed_multipart", "multipart body without a boundary")
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > max_bytes + 64 * 1024:
        raise ApiError(413, "too_large", f"upload larger than {max_bytes} bytes")

    dest_dir.mkdir(parents=True, exist_ok=True)
    part = dest_dir / f".{uuid.uuid4().hex}.part"
    collector = _Collector(max_bytes)
    done = False
    fh = await anyio.to_thread.run_sync(open, part, "wb")
    try:
        parser = MultipartParser(boundary, collector.callbacks())
        try:
            async for chunk in request.stream():
                parser.write(chunk)
                if len(collector.pending) >= _FLUSH_BYTES:
                    data = bytes(collector.pending)
                    collector.pending.clear()
                    await anyio.to_thread.run_sync(fh.write, data)
            parser.finalize()
        except FormParserError:
            raise ApiError(400, "malformed_multipart", "the multipart body is malformed") from None
        except ClientDisconnect:
            raise ApiError(400, "upload_interrupted", "the connection closed before the upload completed") from None
        if not collector.ended:
            raise ApiError(400, "upload_truncated", "the upload ended before its closing boundary")
        if collector.files == 0:
            raise ApiError(422, "invalid_request", "no part named 'file' in the upload")
        if collector.size == 0:
            raise ApiError(422, "empty_file", "the uploaded file is empty")
        if collector.pending:
            await anyio.to_thread.run_sync(fh.write, bytes(collector.pending))
        await anyio.to_thread.run_sync(fh.close)
        final = dest_dir / f"{uuid.uuid4().hex}{safe_suffix(collector.filename)}"
        os.replace(part, final)
        done = True
        return Upload(path=final, size=collector.size, filename=collector.filename, fields=collector.fields)
    finally:
        if not fh.closed:
            fh.close()
        if not done:
            part.unlink(missing_ok=True)


def check_complete(path: Path, duration_s: float | None) -> None:
    """Refuse a media file whose end is missing (a truncated upload or download).

    The container may announce a duration whose packets are not in the file (an MP4 cut after its
    index was written): seek to two seconds before the announced end and demux (no decoding,
    milliseconds); a complete file has packets there.

    Raises:
        ApiError: 422 ``truncated_media`` when nothing can be read near the announced end.
    """
    if not duration_s or duration_s <= 3.0:
        return
    import av

    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0] if container.streams.video else container.streams[0]
            container.seek(int((duration_s - 2.0) * av.time_base), backward=True)
            for n, packet in enumerate(container.demux(stream)):
                if packet.pts is not None and float(packet.pts * packet.time_base) >= duration_s - 5.0:
                    return
                if n > 2000:
                    break
    except (av.error.FFmpegError, IndexError, OSError):
        pass
    raise ApiError(422, "truncated_media", f"the media announces {duration_s:.1f} s but its end is missing (truncated?)")

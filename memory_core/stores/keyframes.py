"""Keyframe JPEGs on disk: ``<root>/<tenant>/<source>/<node id>/<index>.jpg``.

Tenant, source and node names are never used raw as path components: a name is kept as it is only
when it is short, lowercase ``[a-z0-9._-]`` not starting with a dot and not ending like a hash
suffix; any other name becomes a sanitised stem plus ``-<12 hex of its SHA-256>``. The mapping is
one-to-one (also on case-insensitive file systems), so two names never share a folder.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from memory_core.logging import get_logger

log = get_logger(__name__)

_PLAIN = re.compile(r"[a-z0-9_][a-z0-9._-]{0,63}")
_HASHED = re.compile(r".*-[0-9a-f]{12}")
_UNSAFE = re.compile(r"[^a-z0-9_-]+")


def safe_component(name: str) -> str:
    """A file-system-safe, collision-free folder name for ``name``.

    >>> safe_component("cam-1")
    'cam-1'
    >>> safe_component("../Etc")[:8]
    'etc-de8f'

    Raises:
        ValueError: for an empty name.
    """
    if not name:
        raise ValueError("empty name")
    if _PLAIN.fullmatch(name) and not _HASHED.fullmatch(name):
        return name
    stem = _UNSAFE.sub("_", name.lower()).strip("_")[:40] or "x"
    return f"{stem}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:12]}"


def clip_keyframe_key(media_file_id: str, index: int) -> str:
    """Folder key of clip ``index``'s keyframes in a media file: ``<media id>-<index:06d>``."""
    return f"{media_keyframe_prefix(media_file_id)}{index:06d}"


def media_keyframe_prefix(media_file_id: str) -> str:
    """Prefix shared by the keyframe folders of every clip of a media file."""
    return f"{media_file_id}-"


class KeyframeStore:
    """JPEG keyframes of memory nodes under ``root`` (created on first write).

    Paths handed out are relative, POSIX-style (``tenant/source/node_id/index.jpg``); resolve them
    with :meth:`path`, which refuses anything outside ``root``.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser().resolve()

    def _node_dir(self, tenant: str, source: str, node_id: str) -> PurePosixPath:
        return PurePosixPath(safe_component(tenant), safe_component(source), safe_component(node_id))

    def put(self, tenant: str, source: str, node_id: str, index: int, jpeg: bytes) -> str:
        """Write ``jpeg`` atomically (temp file + rename) and return its relative path.

        Raises:
            ValueError: for a negative ``index`` or empty ``jpeg``.
        """
        if index < 0:
            raise ValueError(f"keyframe index must be >= 0, got {index}")
        if not jpeg:
            raise ValueError("empty keyframe")
        rel = self._node_dir(tenant, source, node_id) / f"{int(index)}.jpg"
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".jpg")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(jpeg)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return str(rel)

    def path(self, rel: str) -> Path:
        """Absolute path of a relative keyframe path (the file may not exist).

        Raises:
            ValueError: when ``rel`` is absolute or escapes ``root``.
        """
        if not rel or PurePosixPath(rel).is_absolute() or Path(rel).is_absolute() or "\x00" in rel:
            raise ValueError(f"not a relative keyframe path: {rel!r}")
        resolved = (self.root / rel).resolve()
        if resolved == self.root or not resolved.is_relative_to(self.root):
            raise ValueError(f"keyframe path escapes the store: {rel!r}")
        return resolved

    def read(self, rel: str) -> bytes:
        """Bytes of a stored keyframe.

        Raises:
            ValueError: as :meth:`path`; FileNotFoundError when it does not exist.
        """
        return self.path(rel).read_bytes()

    def delete_source(self, tenant: str, source: str) -> None:
        """Remove every keyframe of a source (no error when there are none)."""
        folder = self.root / safe_component(tenant) / safe_component(source)
        shutil.rmtree(folder, ignore_errors=True)
        log.info("keyframes.source_deleted", tenant=tenant, source=source)

    def delete_nodes(self, tenant: str, source: str, node_ids: Iterable[str]) -> int:
        """Remove the keyframes of the given nodes; returns how many node folders existed."""
        removed = 0
        for node_id in node_ids:
            folder = self.root / self._node_dir(tenant, source, node_id)
            if folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        return removed

    def delete_prefix(self, tenant: str, source: str, prefix: str) -> int:
        """Remove the keyframes of every node folder whose (safe) name starts with ``prefix``
        (e.g. all clips of one media file, keyed ``<media id>-<clip index>``); returns the count.

        Raises:
            ValueError: when ``prefix`` is not a plain name (it would never match a safe folder).
        """
        if not _PLAIN.fullmatch(prefix):
            raise ValueError(f"keyframe prefix must be a plain name, got {prefix!r}")
        base = self.root / safe_component(tenant) / safe_component(source)
        if not base.is_dir():
            return 0
        removed = 0
        for folder in base.iterdir():
            if folder.is_dir() and folder.name.startswith(prefix):
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        return removed

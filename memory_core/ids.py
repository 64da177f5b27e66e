"""Deterministic ids: the same input always gives the same id, so re-ingest upserts.

Ids are UUIDv5 strings (RFC 4122 name-based, SHA-1) over a ``/``-joined key, which Qdrant accepts
as point ids.
"""

from __future__ import annotations

import uuid

_NAMESPACE = uuid.UUID("5b0f6a7e-3c1e-4d59-9a53-6f2b9b1a7c11")


def stable_id(*parts: object) -> str:
    """UUIDv5 of ``parts`` joined by ``/``; floats are rounded to milliseconds first.

    >>> stable_id("t", "s", "clip", 0) == stable_id("t", "s", "clip", 0)
    True
    """
    norm = []
    for p in parts:
        if isinstance(p, float):
            p = f"{p:.3f}"
        norm.append(str(p))
    return str(uuid.uuid5(_NAMESPACE, "/".join(norm)))


def source_id(tenant: str, source: str) -> str:
    """Id of a source (a camera, a device, a film) within a tenant."""
    return stable_id("source", tenant, source)


def media_file_id(tenant: str, source: str, fingerprint: str) -> str:
    """Id of a media file within a source, from its content fingerprint."""
    return stable_id("media", tenant, source, fingerprint)


def node_id(tenant: str, source: str, level: str, kind: str, *key: object) -> str:
    """Id of a memory node: tenant, source, level, kind and a level-specific key
    (e.g. the media file id and the clip index, or the span in milliseconds)."""
    return stable_id("node", tenant, source, level, kind, *key)


def entity_id(tenant: str, source: str, kind: str, *key: object) -> str:
    """Id of an entity (face, voice, name or text) within a source."""
    return stable_id("entity", tenant, source, kind, *key)

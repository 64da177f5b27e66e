"""Entity memory nodes: one searchable ENTITY-kind node per person, voice, name or on-screen text.

The node spans the entity's first..last sighting across all files of the source (level story, no
media file), so the retrieval agent can find "who is Alice" or "when was GATE 7 OPEN shown" by
text search and then follow ``entity_ids`` to the entity's timeline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from api_schemas import EntityKind, Kind, Level
from memory_core import ids
from memory_core.domain import Entity, MemoryNode

_KIND_WORD = {EntityKind.FACE: "face", EntityKind.VOICE: "speaker", EntityKind.NAME: "name", EntityKind.TEXT: "on-screen text"}


def _when(dt) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S UTC")


def entity_text(e: Entity, by_id: Mapping[str, Entity]) -> str:
    """e.g. ``"Alice Parker (speaker Speaker 1, also face Person 1): heard in 3 clips between
    2026-11-16 08:00 UTC and 2026-11-16 08:05 UTC; said: 'Hello, my name is Alice Parker.'"``"""
    clips = int(e.attributes.get("clips", 0)) or 1
    span = f"between {_when(e.first_seen)} and {_when(e.last_seen)}" if e.first_seen and e.last_seen else ""
    if e.kind is EntityKind.TEXT:
        return f"On-screen text '{e.label}': shown in {clips} clip{'s' * (clips > 1)} {span}.".replace("  ", " ")
    linked = [by_id[i] for i in e.linked_ids if i in by_id]
    also = [f"{_KIND_WORD[o.kind]} {o.label}" for o in linked if o.kind is not EntityKind.NAME]
    head = e.name or e.label
    role = _KIND_WORD[e.kind] if (e.name is None or e.kind is EntityKind.NAME) else f"{_KIND_WORD[e.kind]} {e.label}"
    head += f" ({role}{', also ' + ', '.join(also) if also else ''})"
    verb = {EntityKind.FACE: "seen", EntityKind.VOICE: "heard", EntityKind.NAME: "mentioned"}[e.kind]
    text = f"{head}: {verb} in {clips} clip{'s' * (clips > 1)} {span}".rstrip()
    quotes = [q[1] for q in e.attributes.get("quotes", [])]
    if quotes:
        text += "; said: " + " ".join(f"'{q}'" for q in quotes[:4])
    aliases = e.attributes.get("aliases")
    if aliases:
        text += f"; also introduced as {', '.join(aliases)}"
    if e.possible_duplicates:
        text += f"; possibly the same as {', '.join(by_id[i].label for i in e.possible_duplicates if i in by_id)} (unconfirmed)"
    return text + "."


def entity_nodes(ctx, entities: Iterable[Entity], by_id: Mapping[str, Entity]) -> list[MemoryNode]:
    """ENTITY-kind nodes (level story, id from the entity id) for ``entities`` that have been
    seen; vectors from ``ctx.embed`` in one batch. ``ctx`` is a ``BuildContext``."""
    ents = [e for e in entities if e.first_seen is not None and e.last_seen is not None]
    texts = [entity_text(e, by_id) for e in ents]
    vecs = ctx.embed(texts) if texts else []
    nodes = []
    for e, text, vec in zip(ents, texts, vecs):
        nodes.append(MemoryNode(
            id=ids.node_id(ctx.tenant, ctx.source, Level.STORY.value, Kind.ENTITY.value, e.id),
            tenant=ctx.tenant, source=ctx.source, level=Level.STORY, kind=Kind.ENTITY,
            start=e.first_seen, end=e.last_seen, text=text,
            entity_ids=[e.id, *e.linked_ids],
            attributes={
                "entity_id": e.id, "entity_kind": e.kind.value, "label": e.label, "name": e.name,
                "clips": int(e.attributes.get("clips", 0)), "linked_ids": list(e.linked_ids),
                "possible_duplicates": list(e.possible_duplicates),
            },
            provenance=dict(ctx.provenance),
            vector=vec,
        ))
    return nodes

"""Entity memory nodes: one searchable ENTITY-kind node per person, voice, name or on-screen text.

The node spans the entity's first..last sighting across all files of the source (level story, no
media file), so the retrieval agent can find "who is Alice" or "when was GATE 7 OPEN shown" by
text search and then follow ``entity_ids`` to the entity's timeline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from api_schemas import EntityKind, Kind, Level
from memory_core import ids
from memory_core.domain import Entity, MemoryNode

_KIND_WORD = {EntityKind.FACE: "face", EntityKind.VOICE: "speaker", EntityKind.NAME: "name", EntityKind.TEXT: "on-screen text"}
_NUMBER = re.compile(r"(\d+)\s*$")


def voice_number(label: str) -> str | None:
    """The number of an automatic voice label: ``"Voice 2"`` (or the older ``"Speaker 2"``) -> ``"2"``;
    ``None`` when the label has no trailing number (a name typed by a person)."""
    m = _NUMBER.search(label or "")
    return m.group(1) if m else None


def unnamed_voice(number: str | int | None) -> str:
    """How text users read calls a voice with no name: ``"An unidentified speaker (voice 2)"``."""
    return f"An unidentified speaker (voice {number})" if number is not None else "An unidentified speaker"


def display_label(e: Entity) -> str:
    """What text users read calls an entity: its name when known; for a voice without a name
    ``"An unidentified speaker (voice N)"`` (N from its automatic label, "Voice N"); else its label
    ("Person 2", an on-screen string)."""
    if e.name:
        return e.name
    if e.kind is EntityKind.VOICE:
        number = voice_number(e.label)
        return unnamed_voice(number) if number is not None or e.label.startswith(("Voice", "Speaker")) else e.label
    return e.label


def _when(dt) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S UTC")


def _role(e: Entity) -> str:
    """``"voice 2"`` for a voice, else ``"<kind word> <automatic label>"`` (``"face Person 1"``);
    the automatic label survives a rename in ``attributes["auto_label"]``."""
    label = e.attributes.get("auto_label") or e.label
    number = voice_number(label) if e.kind is EntityKind.VOICE else None
    return f"voice {number}" if number is not None else f"{_KIND_WORD[e.kind]} {label}"


def entity_text(e: Entity, by_id: Mapping[str, Entity]) -> str:
    """e.g. ``"Alice Parker (voice 1, also face Person 1): heard in 3 clips between
    2026-11-16 08:00 UTC and 2026-11-16 08:05 UTC; said: 'Hello, my name is Alice Parker.'"``;
    an unnamed voice reads ``"An unidentified speaker (voice 2): heard in ..."``."""
    clips = int(e.attributes.get("clips", 0)) or 1
    span = f"between {_when(e.first_seen)} and {_when(e.last_seen)}" if e.first_seen and e.last_seen else ""
    if e.kind is EntityKind.TEXT:
        return f"On-screen text '{e.label}': shown in {clips} clip{'s' * (clips > 1)} {span}.".replace("  ", " ")
    linked = [by_id[i] for i in e.linked_ids if i in by_id]
    also = [_role(o) for o in linked if o.kind is not EntityKind.NAME]
    head = display_label(e)
    if e.kind is EntityKind.VOICE and e.name is None:
        head += f" ({'also ' + ', '.join(also)})" if also else ""
    else:
        role = _KIND_WORD[e.kind] if (e.name is None or e.kind is EntityKind.NAME) else _role(e)
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
        text += f"; possibly the same as {', '.join(by_id[i].name or _role(by_id[i]) for i in e.possible_duplicates if i in by_id)} (unconfirmed)"
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


def refresh_entity_node(repo, vectors, embedder, tenant: str, e: Entity) -> MemoryNode | None:
    """Re-write the stored entity memory of ``e`` (after a rename) in both stores: text from
    :func:`entity_text` with the linked entities read from ``repo``, attributes ``name``/``label``,
    and a new text vector from ``embedder``. Returns the node, or ``None`` when ``e`` has no entity
    memory yet (it was never seen). Store and embedder errors propagate."""
    node = repo.get_node(tenant, ids.node_id(tenant, e.source, Level.STORY.value, Kind.ENTITY.value, e.id))
    if node is None:
        return None
    by_id = {e.id: e}
    for other in dict.fromkeys([*e.linked_ids, *e.possible_duplicates]):
        o = repo.get_entity(tenant, other)
        if o is not None:
            by_id[o.id] = o
    node.text = entity_text(e, by_id)
    node.attributes = {**node.attributes, "name": e.name, "label": e.label}
    node.vector = embedder.embed([node.text])[0]
    repo.upsert_nodes([node])
    vectors.upsert([node])
    return node

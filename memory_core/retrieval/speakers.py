"""Current names for the speakers and people of stored memories, resolved at answer time.

Clip and summary texts are written at ingest with the display label each entity had then ("An
unidentified speaker (voice 2) said: '...'"). A voice named later (it introduces itself in a later
clip or another file of the source) or renamed by a person (``curation.rename_entity``) would keep
its old label in those texts. Rewriting every stored text on each naming costs a re-embedding per
memory; instead the answer path swaps the labels of the few nodes it shows, using what the node
recorded at ingest: ``attributes["speakers"]`` (``[{entity_id, label}]``, clips and summaries),
``attributes["faces"]`` aligned with ``attributes["people"]`` (clips), and for entity memories the
entity's id, label and name; plus the automatic labels a named entity had before its name
("Voice 2", "An unidentified speaker (voice 2)"), which a summary's text may still hold. Only label positions change ("<label> said:", roster lists such as
"People visible: ..." and the head of an entity memory); what people said is never edited.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from api_schemas import EntityKind, Kind
from memory_core.building.entity_text import display_label, unnamed_voice, voice_number
from memory_core.domain import Entity, MemoryNode

_ROSTER = re.compile(r"(?P<head>\b(?:People visible|Speakers|People|Names):\s)(?P<items>[^.;]*)")


def relabel(text: str, mapping: Mapping[str, str]) -> str:
    """``text`` with each stored label (key of ``mapping``) replaced by its current one where it
    stands as a label: before ``" said:"`` and as an item of a roster list.

    >>> relabel("Voice 2 said: 'Hi Voice 2.' People visible: Person 1, Voice 2.", {"Voice 2": "Tom"})
    "Tom said: 'Hi Voice 2.' People visible: Person 1, Tom."
    """
    if not mapping:
        return text
    alts = "|".join(re.escape(k) for k in sorted(mapping, key=len, reverse=True))
    text = re.sub(rf"(?:^|(?<=[\s.!?'\"]))({alts})(?= said:)", lambda m: mapping[m.group(1)], text)

    def roster(m: re.Match) -> str:
        items = [mapping.get(x.strip(), x.strip()) for x in m.group("items").split(",")]
        tail = " " if m.group("items").endswith(" ") else ""
        return m.group("head") + ", ".join(items) + tail

    return _ROSTER.sub(roster, text)


def current_labels(repo, tenant: str, nodes: Mapping[str, MemoryNode]) -> dict[str, MemoryNode]:
    """Copies of ``nodes`` (node id -> node) whose speaker/people labels are the entities' current
    display labels (:func:`~memory_core.building.entity_text.display_label`); nodes with nothing to
    change are returned as they are. ``repo.get_entity`` is called once per distinct entity; an
    entity that no longer exists keeps its stored label."""
    cache: dict[str, Entity | None] = {}

    def entity(eid: str | None) -> Entity | None:
        if eid and eid not in cache:
            cache[eid] = repo.get_entity(tenant, eid)
        return cache.get(eid) if eid else None

    def current(eid: str | None) -> str | None:
        e = entity(eid)
        return display_label(e) if e is not None else None

    def unnamed(eid: str | None, mapping: dict[str, str]) -> None:
        """Map the automatic labels the entity had before it was named ("Voice 2", "An unidentified
        speaker (voice 2)", "Person 1") to its current name: a summary keeps one label per entity,
        but its text may hold both."""
        e = entity(eid)
        if e is None or not e.name:
            return
        for auto in {e.attributes.get("auto_label"), e.label} - {None, "", e.name}:
            mapping.setdefault(auto, e.name)
            if e.kind is EntityKind.VOICE and voice_number(auto) is not None:
                mapping.setdefault(unnamed_voice(voice_number(auto)), e.name)

    out: dict[str, MemoryNode] = {}
    for nid, node in nodes.items():
        attrs = dict(node.attributes or {})
        mapping: dict[str, str] = {}
        speakers = []
        for rec in attrs.get("speakers") or []:
            if isinstance(rec, dict) and rec.get("label"):
                now = current(rec.get("entity_id"))
                if now and now != rec["label"]:
                    mapping[rec["label"]] = now
                    rec = {**rec, "label": now}
            speakers.append(rec)
            if isinstance(rec, dict):
                unnamed(rec.get("entity_id"), mapping)
        people = list(attrs.get("people") or [])
        for i, fid in enumerate(attrs.get("faces") or []):
            now = current(fid) if i < len(people) else None
            if now and now != people[i]:
                mapping[str(people[i])] = now
                people[i] = now
            unnamed(fid, mapping)
        text = relabel(node.text, mapping)
        if node.kind is Kind.ENTITY and attrs.get("entity_id"):
            text = _entity_head(text, attrs, current(attrs["entity_id"]))
        if text == node.text and speakers == list(attrs.get("speakers") or []) and people == list(attrs.get("people") or []):
            out[nid] = node
            continue
        if "speakers" in attrs:
            attrs["speakers"] = speakers
        if "people" in attrs:
            attrs["people"] = people
        out[nid] = replace(node, text=text, attributes=attrs)
    return out


def _entity_head(text: str, attrs: Mapping, now: str | None) -> str:
    """An entity memory's text with its head (the display label it was written with) replaced."""
    if not now:
        return text
    try:
        kind = EntityKind(attrs.get("entity_kind"))
    except ValueError:
        return text
    stored = Entity(id="", tenant="", source="", kind=kind, label=str(attrs.get("label") or ""), name=attrs.get("name"))
    for old in dict.fromkeys([display_label(stored), stored.name or stored.label]):
        if old and old != now and (text.startswith(old + " (") or text.startswith(old + ":")):
            return now + text[len(old):]
    return text

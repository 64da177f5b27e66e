"""Entity curation by a person: rename, merge, split.

Automatic identity resolution never merges two uncertain people (it records
``possible_duplicates`` instead); these operations are how a person settles it afterwards:

- :func:`rename_entity`: set the name (and the label shown) of an entity;
- :func:`merge_entities`: move the appearances and exemplars of B (C...) into A, union their
  links, rewrite ``entity_ids`` on every memory that named B, delete B and its entity memory;
- :func:`split_entity`: move chosen appearances to a new entity (no descriptors: it is matched by
  nobody automatically), re-pointing the clips they are in and marking their ancestors.

Memory nodes are updated in both stores: rows through the repository, vector payloads through
``vectors.set_payload`` (else, for a store without it, by re-embedding the node text). Every read and
write is scoped to ``tenant``.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

import numpy as np
from sqlalchemy import delete

from api_schemas import Kind
from memory_core.building.entity_text import refresh_entity_node
from memory_core.domain import Entity, MemoryNode
from memory_core.ids import entity_id as make_entity_id
from memory_core.logging import get_logger
from memory_core.stores.base import VectorFilter
from memory_core.stores.relational.models import AppearanceRow

log = get_logger(__name__)

MAX_EXEMPLARS = 64
_ALL = 10_000_000
_PAGE = 5000
T_APPEAR = AppearanceRow.__table__


class CurationError(ValueError):
    """The operation does not make sense for these entities (``code`` is stable)."""

    def __init__(self, message: str, code: str = "invalid_curation") -> None:
        super().__init__(message)
        self.code = code


def _get(repo, tenant: str, eid: str) -> Entity:
    ent = repo.get_entity(tenant, eid)
    if ent is None:
        raise KeyError(eid)
    return ent


def rename_entity(repo, tenant: str, eid: str, name: str | None, vectors=None, embedder=None) -> Entity:
    """Set an entity's ``name`` (and ``label`` when a name is given); ``None`` clears the name.

    Answers show the new name at once (``retrieval/speakers.current_labels`` reads entity names
    at answer time). With ``vectors`` and ``embedder`` the entity's own memory (its summary node)
    is re-written and re-embedded too, so a search for the new name finds it.

    Raises:
        KeyError: when ``tenant`` has no such entity.
    """
    ent = _get(repo, tenant, eid)
    ent.name = name.strip() if name else None
    if ent.name:
        ent.attributes = {**ent.attributes, "auto_label": ent.attributes.get("auto_label", ent.label)}
        ent.label = ent.name
    else:
        ent.label = ent.attributes.get("auto_label", ent.label)
    ent.attributes = {**ent.attributes, "named_by": "person"}
    repo.upsert_entity(ent)
    if vectors is not None and embedder is not None:
        refresh_entity_node(repo, vectors, embedder, tenant, ent)
    return ent


def _update_nodes(repo, vectors, embedder, tenant: str, nodes: list[MemoryNode]) -> None:
    """Write changed ``entity_ids`` of ``nodes`` to both stores."""
    if not nodes:
        return
    repo.upsert_nodes(nodes)
    try:
        for n in nodes:
            vectors.set_payload(VectorFilter(tenant=tenant, node_ids=[n.id]), {"entity_ids": list(n.entity_ids)})
        return
    except (NotImplementedError, AttributeError):
        pass  # a store without payload updates: re-embed the text (an image vector would be lost)
    present = set(vectors.scroll_ids(VectorFilter(tenant=tenant, node_ids=[n.id for n in nodes]), limit=len(nodes)))
    todo = [n for n in nodes if n.id in present]
    if todo:
        vecs = np.asarray(embedder.embed([n.text for n in todo]), dtype=np.float32)
        vectors.upsert([replace(n, vector=v) for n, v in zip(todo, vecs, strict=True)])


def _scan_nodes(repo, tenant: str, source: str):
    offset = 0
    while True:
        page = repo.list_nodes(tenant, source=source, limit=_PAGE, offset=offset)
        yield from page
        if len(page) < _PAGE:
            return
        offset += _PAGE


def _recount(repo, tenant: str, ent: Entity) -> None:
    apps = repo.appearances(tenant, ent.id, limit=_ALL)
    ent.count = len(apps)
    ent.first_seen = min((a.start for a in apps), default=None)
    ent.last_seen = max((a.end for a in apps), default=None)


def merge_entities(repo, vectors, embedder, tenant: str, keep_id: str, other_ids: list[str]) -> Entity:
    """Merge ``other_ids`` into ``keep_id`` (same source and kind) and return the merged entity.

    Raises:
        KeyError: when ``tenant`` lacks one of the entities.
        CurationError: merging an entity into itself, or across sources or kinds.
    """
    keep = _get(repo, tenant, keep_id)
    others = [_get(repo, tenant, o) for o in dict.fromkeys(other_ids)]
    for o in others:
        if o.id == keep.id:
            raise CurationError("an entity cannot be merged into itself")
        if o.source != keep.source or o.kind != keep.kind:
            raise CurationError(f"{o.id} is a {o.kind.value} of {o.source!r}; only entities of the same source and kind merge")
    gone = {o.id for o in others}
    weights, vecs = [max(keep.count, 1)], [keep.centroid]
    for o in others:
        repo.add_appearances(tenant, [replace(a, entity_id=keep.id) for a in repo.appearances(tenant, o.id, limit=_ALL)])
        keep.exemplars = (list(keep.exemplars) + list(o.exemplars))[:MAX_EXEMPLARS]
        weights.append(max(o.count, 1))
        vecs.append(o.centroid)
        keep.name = keep.name or o.name
    pairs = [(w, v) for w, v in zip(weights, vecs, strict=True) if v is not None and np.size(v)]
    if pairs and len({np.size(v) for _, v in pairs}) == 1:
        c = sum(w * np.asarray(v, dtype=np.float32) for w, v in pairs)
        keep.centroid = (c / (np.linalg.norm(c) + 1e-12)).astype(np.float32)
    keep.linked_ids = [i for i in dict.fromkeys([*keep.linked_ids, *(x for o in others for x in o.linked_ids)]) if i not in gone and i != keep.id]
    keep.possible_duplicates = [i for i in dict.fromkeys([*keep.possible_duplicates, *(x for o in others for x in o.possible_duplicates)])
                                if i not in gone and i != keep.id]
    keep.attributes = {**keep.attributes, "merged_ids": sorted(set(keep.attributes.get("merged_ids", [])) | gone)}
    _recount(repo, tenant, keep)
    repo.upsert_entity(keep)
    for o in others:
        repo.delete_entity(tenant, o.id)

    def swap(ids: list[str]) -> list[str]:
        return list(dict.fromkeys(keep.id if i in gone else i for i in ids))

    for ent in repo.list_entities(tenant, source=keep.source):  # links of others to a merged id
        if ent.id != keep.id and (gone & set(ent.linked_ids) or gone & set(ent.possible_duplicates)):
            ent.linked_ids = [i for i in swap(ent.linked_ids) if i != ent.id]
            ent.possible_duplicates = [i for i in swap(ent.possible_duplicates) if i != ent.id]
            repo.upsert_entity(ent)
    changed, dead = [], []
    for node in _scan_nodes(repo, tenant, keep.source):
        if not gone & set(node.entity_ids):
            continue
        if node.kind is Kind.ENTITY and node.entity_ids and node.entity_ids[0] in gone:
            dead.append(node.id)  # the merged entity's own summary memory
            continue
        node.entity_ids = swap(node.entity_ids)
        changed.append(node)
    if dead:
        vectors.delete(VectorFilter(tenant=tenant, node_ids=dead))
        repo.delete_nodes(tenant, dead)
    _update_nodes(repo, vectors, embedder, tenant, changed)
    log.info("entities merged", tenant=tenant, into=keep.id, merged=len(gone), nodes=len(changed))
    return keep


def split_entity(repo, vectors, embedder, tenant: str, eid: str, node_ids: list[str], name: str | None = None) -> Entity:
    """Move the appearances of ``eid`` in ``node_ids`` to a new entity and return it.

    Raises:
        KeyError: when ``tenant`` has no such entity.
        CurationError: when none of ``node_ids`` is an appearance of it, or all of them are.
    """
    ent = _get(repo, tenant, eid)
    wanted = set(node_ids)
    apps = repo.appearances(tenant, ent.id, limit=_ALL)
    moving = [a for a in apps if a.node_id in wanted]
    if not moving:
        raise CurationError("none of these memories is an appearance of the entity")
    if len(moving) == len(apps):
        raise CurationError("that is every appearance of the entity; rename it instead")
    new = Entity(id=make_entity_id(tenant, ent.source, ent.kind.value, "split", uuid.uuid4().hex), tenant=tenant,
                 source=ent.source, kind=ent.kind, label=name or f"{ent.label} (split)", name=name,
                 count=len(moving), first_seen=min(a.start for a in moving), last_seen=max(a.end for a in moving),
                 attributes={"split_from": ent.id, "named_by": "person"})
    repo.upsert_entity(new)
    repo.add_appearances(tenant, [replace(a, entity_id=new.id) for a in moving])
    moved = [a.node_id for a in moving]
    with repo.engine.begin() as conn:
        for i in range(0, len(moved), 500):
            conn.execute(delete(T_APPEAR).where(T_APPEAR.c.tenant_id == tenant, T_APPEAR.c.entity_id == ent.id,
                                                T_APPEAR.c.node_id.in_(moved[i : i + 500])))
    _recount(repo, tenant, ent)
    repo.upsert_entity(ent)
    changed: dict[str, MemoryNode] = {}
    for node in repo.get_nodes(tenant, moved):
        node.entity_ids = list(dict.fromkeys(new.id if i == ent.id else i for i in node.entity_ids))
        if new.id not in node.entity_ids:
            node.entity_ids.append(new.id)
        changed[node.id] = node
    frontier = {n.parent_id for n in changed.values() if n.parent_id}
    while frontier:  # ancestors now also hold the new entity
        parents = [p for p in repo.get_nodes(tenant, list(frontier)) if p.id not in changed]
        for p in parents:
            if new.id not in p.entity_ids:
                p.entity_ids = [*p.entity_ids, new.id]
            changed[p.id] = p
        frontier = {p.parent_id for p in parents if p.parent_id}
    _update_nodes(repo, vectors, embedder, tenant, list(changed.values()))
    log.info("entity split", tenant=tenant, entity=ent.id, new=new.id, moved=len(moving))
    return new

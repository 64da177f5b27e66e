"""Incremental identity clustering of face descriptors and voice embeddings (no silent merges).

Faces: dlib's ResNet face descriptor is 128-d and compared by Euclidean distance; dlib publishes
0.6 as its same-person threshold (99.38% on LFW, http://dlib.net/face_recognition.py.html). vidmem
assigns a face to an entity only when the distance to the entity's centroid *and* to its nearest
exemplar are both below ``face_match_distance`` (0.5 by default, stricter than dlib's 0.6 to avoid
merging two people); entities within ``face_duplicate_distance`` (0.6) are recorded as possible
duplicates for a person to decide. The face centroid is the plain mean in descriptor space (the
scale the 0.6 figure refers to), not L2-normalised.

Voices: resemblyzer's 256-d utterance embeddings are L2-normalised and compared by cosine; on this
project's machines the same speaker scored ~0.85-0.9 and different speakers ~0.75-0.8, so a voice
joins an entity at cosine >= ``voice_match_similarity`` (0.84) to its centroid and entities at
>= ``voice_duplicate_similarity`` (0.80) become possible duplicates. The voice centroid is the
L2-normalised running mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from api_schemas import EntityKind
from memory_core.domain import Entity

MAX_EXEMPLARS = 20


@dataclass(slots=True)
class Candidate:
    """An entity scored against one observation: ``distance`` is Euclidean for faces and
    ``1 - cosine`` for voices (smaller is closer)."""

    entity: Entity
    distance: float


@dataclass(slots=True)
class Thresholds:
    """``match``: distance below which an observation joins an entity; ``duplicate``: distance
    below which another entity is flagged as a possible duplicate (both in :class:`Candidate`
    units)."""

    match: float
    duplicate: float
    cosine: bool = False


def as_vector(x: object) -> np.ndarray:
    """float32 1-d copy of a descriptor (lists from a store are accepted)."""
    return np.asarray(x, dtype=np.float32).reshape(-1)


def _unit(x: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(x))
    return x / n if n > 0 else x


def distance(entity: Entity, x: np.ndarray, cosine: bool) -> float:
    """Distance of observation ``x`` to ``entity``. Faces: the larger of the centroid distance and
    the nearest-exemplar distance, so both must be small for a match. Voices: ``1 - cosine`` to
    the centroid. ``inf`` when the entity has no centroid or its dimension differs (another model
    made it)."""
    if entity.centroid is None:
        return float("inf")
    c = as_vector(entity.centroid)
    if c.shape != x.shape:
        return float("inf")
    if cosine:  # voices: the centroid alone (resemblyzer figures are utterance-to-centroid)
        return 1.0 - float(np.dot(_unit(c), _unit(x)))
    d_c = float(np.linalg.norm(c - x))
    d_x = min((float(np.linalg.norm(as_vector(e) - x)) for e in entity.exemplars), default=d_c)
    return max(d_c, d_x)


def rank(entities: Sequence[Entity], x: np.ndarray, cosine: bool, cutoff: float = float("inf")) -> list[Candidate]:
    """Entities within ``cutoff`` of ``x``, closest first.

    Centroid distances are computed for all entities in one matrix operation; the per-exemplar
    check runs only for entities whose centroid is within ``cutoff`` (the full distance is never
    smaller than the centroid distance), so thousands of entities stay cheap.
    """
    pool = [e for e in entities if e.centroid is not None and np.size(e.centroid) == x.size]
    if not pool:
        return []
    cents = np.stack([as_vector(e.centroid) for e in pool])
    if cosine:
        norms = np.linalg.norm(cents, axis=1) * max(float(np.linalg.norm(x)), 1e-12)
        d_c = 1.0 - (cents @ x) / np.maximum(norms, 1e-12)
    else:
        d_c = np.linalg.norm(cents - x[None, :], axis=1)
    out = [Candidate(pool[i], distance(pool[i], x, cosine)) for i in np.flatnonzero(d_c < cutoff)]
    return sorted((c for c in out if c.distance < cutoff), key=lambda c: c.distance)


def absorb(entity: Entity, x: np.ndarray, cosine: bool, max_exemplars: int = MAX_EXEMPLARS) -> None:
    """Add observation ``x`` to ``entity``: incremental centroid, count, bounded diverse exemplars.

    Centroid: ``c += (x - c) / (n + 1)`` (re-normalised for voices). Exemplars: ``x`` is appended;
    beyond ``max_exemplars`` the most redundant one (smallest distance to its nearest other
    exemplar) is dropped, so the set stays spread over poses, lighting and voices.
    """
    x = as_vector(x)
    n = max(int(entity.count), 0)
    if entity.centroid is None or n == 0:
        c = x.copy()
    else:
        c = as_vector(entity.centroid)
        c = c + (x - c) / (n + 1)
    entity.centroid = _unit(c) if cosine else c
    entity.count = n + 1
    ex = [as_vector(e) for e in entity.exemplars] + [x]
    if len(ex) > max_exemplars:
        m = np.stack([_unit(e) for e in ex]) if cosine else np.stack(ex)
        if cosine:
            d = 1.0 - m @ m.T
        else:
            sq = (m * m).sum(axis=1)
            d = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * m @ m.T, 0.0))
        np.fill_diagonal(d, np.inf)
        ex.pop(int(np.argmin(d.min(axis=1))))
    entity.exemplars = ex


def _add_unique(values: list[str], item: str, cap: int = 50) -> bool:
    if item in values or len(values) >= cap:
        return False
    values.append(item)
    return True


def flag_duplicates(a: Entity, b: Entity) -> bool:
    """Record ``a`` and ``b`` in each other's ``possible_duplicates`` unless they are known to
    differ (cannot-link) or are already linked. Returns True when something changed."""
    if a.id == b.id or b.id in a.attributes.get("cannot_link", []) or b.id in a.linked_ids:
        return False
    changed = _add_unique(a.possible_duplicates, b.id)
    return _add_unique(b.possible_duplicates, a.id) or changed


def cannot_link(a: Entity, b: Entity) -> None:
    """Remember that ``a`` and ``b`` were seen together in one frame (two different people);
    removes them from each other's possible duplicates."""
    for x, y in ((a, b), (b, a)):
        _add_unique(x.attributes.setdefault("cannot_link", []), y.id, cap=200)
        if y.id in x.possible_duplicates:
            x.possible_duplicates.remove(y.id)


def link(a: Entity, b: Entity) -> bool:
    """Add ``a`` and ``b`` to each other's ``linked_ids`` (same real-world person, kept as two
    entities). Returns True when something changed."""
    if a.id == b.id:
        return False
    changed = _add_unique(a.linked_ids, b.id, cap=100)
    return _add_unique(b.linked_ids, a.id, cap=100) or changed


def assign_frame(
    observations: Sequence[np.ndarray], entities: Sequence[Entity], th: Thresholds
) -> list[tuple[Entity | None, list[Entity]]]:
    """Assign observations seen together (one frame) to entities under cannot-link.

    Greedy by ascending distance over all (observation, entity) pairs below ``th.match``; an
    entity takes at most one observation of the frame. Returns, per observation, the chosen entity
    (``None``: create a new one) and the other entities within ``th.duplicate`` (possible
    duplicates, never merged).
    """
    ranked = [rank(entities, as_vector(x), th.cosine, cutoff=max(th.match, th.duplicate)) for x in observations]
    pairs = sorted(
        ((c.distance, i, c.entity.id, c.entity) for i, cands in enumerate(ranked) for c in cands if c.distance < th.match),
        key=lambda p: (p[0], p[1], p[2]),
    )
    chosen: dict[int, Entity] = {}
    used: set[str] = set()
    for _d, i, eid, ent in pairs:
        if i in chosen or eid in used:
            continue
        chosen[i] = ent
        used.add(eid)
    out = []
    for i, cands in enumerate(ranked):
        ent = chosen.get(i)
        near = [c.entity for c in cands if c.distance < th.duplicate and (ent is None or c.entity.id != ent.id)]
        out.append((ent, near))
    return out


def kind_thresholds(kind: EntityKind, ingest) -> Thresholds:
    """Thresholds for faces (Euclidean) or voices (``1 - cosine``) from ``IngestSettings``."""
    if kind is EntityKind.FACE:
        return Thresholds(match=ingest.face_match_distance, duplicate=ingest.face_duplicate_distance)
    return Thresholds(
        match=1.0 - ingest.voice_match_similarity + 1e-9,
        duplicate=1.0 - ingest.voice_duplicate_similarity + 1e-9,
        cosine=True,
    )

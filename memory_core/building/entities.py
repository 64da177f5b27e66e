"""Entity memory: faces, voices, names and on-screen texts of a source, clustered incrementally.

One :class:`EntityResolver` serves one source: it loads that source's entities once, resolves each
clip's observations against them (new files extend the same clusters), and writes what changed
with :meth:`EntityResolver.flush`. Two people are never merged silently: faces in one frame are
cannot-link, near-misses go to ``possible_duplicates`` for a person to decide, and audio-visual
identity (a face and the voice heard while it is on screen, as in M3-Agent and HAVEN) is recorded
as ``linked_ids`` between separate entities, never as a merge (cf. M3-Agent issue #18).

Re-ingest is idempotent: new entity ids are derived from the first observation (media file, clip
index, position); an entity remembers per media file the last clip index it absorbed, so
re-resolving the same clips assigns the same entities without counting them twice; appearances
are unique by (entity, clip node). Resolve the clips of one source from one resolver at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from api_schemas import EntityKind
from memory_core import ids
from memory_core.building import identity as idn
from memory_core.building.clip_text import MIN_OCR_CONFIDENCE, normalise_text
from memory_core.building.entity_text import display_label, entity_nodes
from memory_core.building.names import find_names, name_key
from memory_core.domain import Appearance, ClipPerception, Entity, MemoryNode
from memory_core.settings import Settings

_COOCCUR_SLACK_S = 0.5  # a face counts as on screen during speech within this margin (seconds)
_CARRY_GAP_S = 1.5  # speech continuing across a clip boundary within this gap is read as one sentence
_MAX_QUOTES = 6


@dataclass(slots=True)
class ClipEntities:
    """Entities of one clip, aligned with its perception lists.

    Attributes:
        face_ids: entity id per ``perception.faces`` item.
        speaker_ids: voice entity id per ``perception.speech`` item (``None`` without a speaker
            embedding).
        name_ids: NAME entities introduced or mentioned in the clip.
        text_ids: TEXT entity id per ``perception.ocr`` item (``None`` for unreadable lines).
        appearances: one per (entity, clip node), spans in media seconds and wall-clock.
        labels: entity id -> display label (the name when known, else "Person 2", "An unidentified
            speaker (voice 1)"...; :func:`~memory_core.building.entity_text.display_label`).
    """

    face_ids: list[str | None] = field(default_factory=list)
    speaker_ids: list[str | None] = field(default_factory=list)
    name_ids: list[str] = field(default_factory=list)
    text_ids: list[str | None] = field(default_factory=list)
    appearances: list[Appearance] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def empty(cls, perception: ClipPerception) -> "ClipEntities":
        """No entities resolved (entity memory disabled): lists of ``None`` of the right lengths."""
        return cls(
            face_ids=[None] * len(perception.faces),
            speaker_ids=[None] * len(perception.speech),
            text_ids=[None] * len(perception.ocr),
        )

    def all_ids(self) -> list[str]:
        """Distinct entity ids of the clip in a stable order (faces, speakers, names, texts)."""
        seen: dict[str, None] = {}
        for eid in [*self.face_ids, *self.speaker_ids, *self.name_ids, *self.text_ids]:
            if eid:
                seen.setdefault(eid, None)
        return list(seen)


class EntityResolver:
    """Resolves clip observations to the entities of one source.

    Args:
        repo: ``Repository`` (or ``None`` to keep everything in memory); read once here
            (``list_entities``) and written by :meth:`flush`.
        tenant, source: whose entities.
        settings: thresholds come from ``settings.ingest`` (face/voice match and duplicate).
        nlp: the ``nlp`` provider (``SpacyNLP``: NER and part-of-speech tags for names, see
            :mod:`memory_core.building.names`), or ``None`` for the rules alone (no NER names).
    """

    def __init__(self, repo, tenant: str, source: str, settings: Settings, nlp=None) -> None:
        self.repo, self.tenant, self.source, self.nlp = repo, tenant, source, nlp
        self._face_th = idn.kind_thresholds(EntityKind.FACE, settings.ingest)
        self._voice_th = idn.kind_thresholds(EntityKind.VOICE, settings.ingest)
        self._by_id: dict[str, Entity] = {}
        self._by_key: dict[tuple[EntityKind, str], Entity] = {}
        existing = repo.list_entities(tenant, source=source) if repo is not None else []
        for e in sorted(existing, key=lambda e: (e.first_seen is None, e.first_seen or datetime.min, e.id)):
            if e.centroid is not None:
                e.centroid = idn.as_vector(e.centroid)
            e.exemplars = [idn.as_vector(x) for x in e.exemplars]
            self._add(e)
            if e.kind in (EntityKind.NAME, EntityKind.TEXT):
                self._by_key[(e.kind, e.attributes.get("key") or normalise_text(e.label))] = e
        self._numbers = {k: sum(1 for e in existing if e.kind is k) for k in (EntityKind.FACE, EntityKind.VOICE)}
        self._dirty: set[str] = set()
        self._before: dict[str, Entity | None] = {}  # entity id -> stored row before this resolver wrote it
        self._touched: set[str] = set()
        self._apps: dict[tuple[str, str], Appearance] = {}
        self._baseline: dict[tuple[str, str], int] = {}
        self._tail: tuple[str | None, datetime, str] | None = None  # last speech of the previous clip

    # ------------------------------------------------------------------ bookkeeping
    def _add(self, e: Entity) -> Entity:
        self._by_id[e.id] = e
        return e

    def _of_kind(self, kind: EntityKind) -> list[Entity]:
        return [e for e in self._by_id.values() if e.kind is kind]

    def _new(self, kind: EntityKind, key: tuple, label: str | None = None, name: str | None = None) -> Entity:
        """A new entity with a deterministic id; the existing one when that id exists already
        (re-ingest of the observation that created it)."""
        eid = ids.entity_id(self.tenant, self.source, kind.value, *key)
        if eid in self._by_id:
            return self._by_id[eid]
        if label is None:
            self._numbers[kind] += 1
            label = f"{'Person' if kind is EntityKind.FACE else 'Voice'} {self._numbers[kind]}"
        e = Entity(id=eid, tenant=self.tenant, source=self.source, kind=kind, label=label, name=name)
        self._dirty.add(e.id)
        return self._add(e)

    def _fresh(self, e: Entity, media_file_id: str, index: int) -> bool:
        """True when clip ``index`` of ``media_file_id`` was not absorbed by ``e`` before this
        resolver (re-ingest assigns without counting twice)."""
        key = (e.id, media_file_id)
        if key not in self._baseline:
            self._baseline[key] = int(e.attributes.get("absorbed", {}).get(media_file_id, -1))
        return index > self._baseline[key]

    def _touch(self, e: Entity, media_file_id: str, index: int, t0: datetime, t1: datetime) -> bool:
        """Mark ``e`` seen in clip ``index``: first/last seen, clip count once per clip."""
        fresh = self._fresh(e, media_file_id, index)
        absorbed = e.attributes.setdefault("absorbed", {})
        if fresh and absorbed.get(media_file_id, -1) < index:
            absorbed[media_file_id] = index
            e.attributes["clips"] = int(e.attributes.get("clips", 0)) + 1
            if e.kind in (EntityKind.NAME, EntityKind.TEXT):  # no descriptors: count = clips heard/shown
                e.count = e.attributes["clips"]
        e.first_seen = t0 if e.first_seen is None else min(e.first_seen, t0)
        e.last_seen = t1 if e.last_seen is None else max(e.last_seen, t1)
        self._dirty.add(e.id)
        self._touched.add(e.id)
        return fresh

    def label(self, eid: str) -> str:
        """Display label of an entity: its name when known, else its label ("Person 2"), and for a
        voice "An unidentified speaker (voice 2)" (:func:`~memory_core.building.entity_text.display_label`)."""
        return display_label(self._by_id[eid])

    def known_names(self) -> set[str]:
        """Names already in this source's entity memory: NAME entities (found before) and the names
        of faces and voices (introduced, or set by a person). They count as evidence for names."""
        return {e.name for e in self._by_id.values() if e.name and e.kind is not EntityKind.TEXT}

    def entity(self, eid: str) -> Entity | None:
        """An entity of this source by id (loaded or created by this resolver)."""
        return self._by_id.get(eid)

    # ------------------------------------------------------------------ resolve
    def resolve(
        self,
        perception: ClipPerception,
        clip_node_id: str,
        clip_start: datetime | float,
        clip_end: datetime | float,
        wall: Callable[[float], datetime],
        *,
        media_file_id: str | None = None,
        media_path: str | None = None,
    ) -> ClipEntities:
        """Resolve the faces, voices, names and on-screen texts of one clip.

        Args:
            perception: the clip's perception; ``FaceObservation.entity_id`` and
                ``SpeechSegment.speaker_entity_id`` are set in place.
            clip_node_id: id of the clip's episodic node (``clips.clip_node_id``); appearances
                point at it.
            clip_start, clip_end: the clip's wall-clock span (datetimes) or media seconds
                (floats); appearances are clamped to it.
            wall: media seconds -> wall-clock datetime (``BuildContext.wall``).
            media_file_id, media_path: the file (re-ingest bookkeeping, appearances); by default
                taken from ``wall``'s ``BuildContext`` when it is one, else keyed by ``wall(0)``.
        """
        if media_file_id is None or media_path is None:
            media = getattr(getattr(wall, "__self__", None), "media", None)
            media_file_id = media_file_id or (media.id if media is not None else wall(0.0).isoformat())
            media_path = media_path or (media.path if media is not None else None)
        lo = clip_start if isinstance(clip_start, datetime) else wall(float(clip_start))
        hi = clip_end if isinstance(clip_end, datetime) else wall(float(clip_end))
        idx = perception.window.index
        out = ClipEntities.empty(perception)
        spans: dict[str, list[float]] = {}
        conf: dict[str, float] = {}

        def seen(e: Entity, s0: float, s1: float, c: float = 1.0) -> bool:
            span = spans.setdefault(e.id, [s0, s1])
            span[0], span[1] = min(span[0], s0), max(span[1], s1)
            conf[e.id] = max(conf.get(e.id, 0.0), c)
            return self._touch(e, media_file_id, idx, wall(s0), wall(s1))

        # faces, frame by frame (cannot-link within a frame)
        frames: dict[int, list[int]] = {}
        for i, f in enumerate(perception.faces):
            frames.setdefault(round(f.t_s * 1000), []).append(i)
        for t_ms in sorted(frames):
            members = frames[t_ms]
            decisions = idn.assign_frame([perception.faces[i].descriptor for i in members], self._of_kind(EntityKind.FACE), self._face_th)
            chosen: list[Entity] = []
            for i, (ent, near) in zip(members, decisions):
                obs = perception.faces[i]
                if ent is None:
                    ent = self._new(EntityKind.FACE, (media_file_id, idx, "face", i))
                if seen(ent, obs.t_s, obs.t_s, obs.score):
                    idn.absorb(ent, obs.descriptor, cosine=False)
                for other in near:
                    if idn.flag_duplicates(ent, other):
                        self._dirty.add(other.id)
                obs.entity_id = out.face_ids[i] = ent.id
                chosen.append(ent)
            for a in range(len(chosen)):
                for b in range(a + 1, len(chosen)):
                    idn.cannot_link(chosen[a], chosen[b])
                    self._dirty.update((chosen[a].id, chosen[b].id))

        # voices
        for j, seg in enumerate(perception.speech):
            if seg.speaker_vector is None:
                continue
            x = idn.as_vector(seg.speaker_vector)
            (ent, near), = idn.assign_frame([x], self._of_kind(EntityKind.VOICE), self._voice_th)
            if ent is None:
                ent = self._new(EntityKind.VOICE, (media_file_id, idx, "voice", j))
            if seen(ent, seg.start_s, seg.end_s):
                idn.absorb(ent, x, cosine=True)
                self._quote(ent, wall(seg.start_s), seg.text)
            for other in near:
                if idn.flag_duplicates(ent, other):
                    self._dirty.add(other.id)
            seg.speaker_entity_id = out.speaker_ids[j] = ent.id

        # names (introductions name the speaker) and face-voice co-occurrence
        known = self.known_names()
        counted: set[tuple[str, str]] = set()  # (voice, face) pairs counted in this clip
        prefixes = [self._carried(out.speaker_ids[0], wall(perception.speech[0].start_s)) if perception.speech else ""]
        prefixes += [""] * (len(perception.speech) - 1)
        texts = [f"{p}{seg.text}" for p, seg in zip(prefixes, perception.speech)]
        todo = [i for i, t in enumerate(texts) if t.strip()]
        docs: list = [None] * len(texts)
        if self.nlp is not None and todo:
            for i, d in zip(todo, self.nlp.docs([texts[i] for i in todo])):
                docs[i] = d
        for j, seg in enumerate(perception.speech):
            voice = self._by_id.get(out.speaker_ids[j] or "")
            prefix = prefixes[j]
            faces_during = {
                out.face_ids[i] for i, f in enumerate(perception.faces)
                if out.face_ids[i] and seg.start_s - _COOCCUR_SLACK_S <= f.t_s <= seg.end_s + _COOCCUR_SLACK_S
            }
            for hit in find_names(texts[j], known, doc=docs[j]):
                if hit.end <= len(prefix):
                    continue  # read in the previous clip already
                key = name_key(hit.name)
                ent = self._by_key.get((EntityKind.NAME, key))
                if ent is None:
                    ent = self._new(EntityKind.NAME, (key,), label=hit.name, name=hit.name)
                    ent.attributes["key"] = key
                    self._by_key[(EntityKind.NAME, key)] = ent
                    known.add(hit.name)
                evidence = ent.attributes.setdefault("evidence", [])
                if hit.how not in evidence:
                    evidence.append(hit.how)  # intro / address / ner / known: why this is a name
                    self._dirty.add(ent.id)
                seen(ent, seg.start_s, seg.end_s)
                if ent.id not in out.name_ids:
                    out.name_ids.append(ent.id)
                if hit.intro and voice is not None:
                    self._name_voice(voice, ent)
                    if len(faces_during) == 1:
                        self._link_face_voice(self._by_id[next(iter(faces_during))], voice)
            if voice is not None and len(faces_during) == 1:
                face = self._by_id[next(iter(faces_during))]
                fresh_pair = (voice.id, face.id) not in counted and self._fresh(voice, media_file_id, idx)
                counted.add((voice.id, face.id))
                self._cooccur(voice, face, fresh_pair)

        # on-screen text
        for k, line in enumerate(perception.ocr):
            key = normalise_text(line.text)
            if len(key) < 3 or line.confidence < MIN_OCR_CONFIDENCE:
                continue
            ent = self._by_key.get((EntityKind.TEXT, key))
            if ent is None:
                ent = self._new(EntityKind.TEXT, (key,), label=" ".join(line.text.split()))
                ent.attributes["key"] = key
                self._by_key[(EntityKind.TEXT, key)] = ent
            seen(ent, line.t_s, line.t_s, line.confidence)
            out.text_ids[k] = ent.id

        spoken = [(sid, seg) for sid, seg in zip(out.speaker_ids, perception.speech) if seg.text.strip()]
        if spoken:
            self._tail = (spoken[-1][0], wall(spoken[-1][1].end_s), spoken[-1][1].text.strip())
        for eid, (s0, s1) in spans.items():
            t0, t1 = min(max(wall(s0), lo), hi), max(min(wall(s1), hi), lo)
            app = Appearance(entity_id=eid, node_id=clip_node_id, start=t0, end=t1, media_path=media_path,
                             media_start_s=s0, media_end_s=s1, confidence=float(conf.get(eid, 1.0)))
            out.appearances.append(app)
            self._apps[(eid, clip_node_id)] = app
        out.labels = {eid: self.label(eid) for eid in out.all_ids()}
        return out

    def _carried(self, speaker_id: str | None, start: datetime) -> str:
        """The previous clip's last words (plus a space) when the same speaker goes on across the
        clip boundary ("my name is Alice | Parker"), else ``""``."""
        if self._tail is None:
            return ""
        sid, end, text = self._tail
        if sid != speaker_id or not -_CARRY_GAP_S <= (start - end).total_seconds() <= _CARRY_GAP_S:
            return ""
        return text[-200:] + " "

    # ------------------------------------------------------------------ identity links
    def _quote(self, voice: Entity, at: datetime, text: str) -> None:
        quotes = voice.attributes.setdefault("quotes", [])
        if text.strip():
            quotes.append([at.isoformat(), text.strip()[:200]])
            if len(quotes) > _MAX_QUOTES:  # keep the first two and the latest ones
                del quotes[2]

    def _name_voice(self, voice: Entity, name_entity: Entity) -> None:
        """A self-introduction: the voice gets the name (a second, different name is kept as an
        alias, never overwriting), the NAME entity is linked, known co-occurring faces too."""
        new = name_entity.name or ""
        if voice.name is None:
            voice.name = new
        elif name_key(new).startswith(name_key(voice.name) + " ") and voice.attributes.get("named_by") != "person":
            old, voice.name = voice.name, new  # the rest of the name arrived in the next clip
            for lid in voice.linked_ids:
                other = self._by_id.get(lid)
                if other is not None and other.kind is EntityKind.FACE and other.name == old:
                    other.name = new
                    self._dirty.add(other.id)
        elif name_key(voice.name) != name_key(new) and not name_key(voice.name).startswith(name_key(new) + " "):
            aliases = voice.attributes.setdefault("aliases", [])
            if name_entity.name not in aliases:
                aliases.append(name_entity.name)
        idn.link(voice, name_entity)
        self._dirty.update((voice.id, name_entity.id))
        for fid, n in voice.attributes.get("face_cooccurrence", {}).items():
            if n >= 2 and fid in self._by_id:
                self._link_face_voice(self._by_id[fid], voice)

    def _cooccur(self, voice: Entity, face: Entity, count: bool) -> None:
        """The voice spoke while exactly this face was on screen; two such clips link a named
        voice to the face."""
        co = voice.attributes.setdefault("face_cooccurrence", {})
        if count:
            co[face.id] = int(co.get(face.id, 0)) + 1
            self._dirty.add(voice.id)
        if voice.name and co.get(face.id, 0) >= 2:
            self._link_face_voice(face, voice)

    def _link_face_voice(self, face: Entity, voice: Entity) -> None:
        """Link a face and a voice (and the voice's NAME entities); the face takes the voice's name
        when it has none. A face already named differently is not linked (recorded instead)."""
        if face.name and voice.name and name_key(face.name) != name_key(voice.name):
            conflicts = face.attributes.setdefault("link_conflicts", [])
            if voice.id not in conflicts:
                conflicts.append(voice.id)
                self._dirty.add(face.id)
            return
        if face.name is None and voice.name:
            face.name = voice.name
        changed = idn.link(face, voice)
        for lid in list(voice.linked_ids):
            other = self._by_id.get(lid)
            if other is not None and other.kind is EntityKind.NAME and name_key(other.name or "") == name_key(face.name or ""):
                changed = idn.link(face, other) or changed
                self._dirty.add(other.id)
        if changed:
            self._dirty.update((face.id, voice.id))

    # ------------------------------------------------------------------ output
    def dirty(self) -> list[Entity]:
        """Entities created or changed since the last :meth:`flush`."""
        return [self._by_id[i] for i in sorted(self._dirty)]

    def pending_appearances(self) -> list[Appearance]:
        """Appearances not yet written, unique by (entity, clip node)."""
        return list(self._apps.values())

    def touched(self) -> list[Entity]:
        """Entities seen by this resolver (all clips so far), in creation/load order."""
        return [e for e in self._by_id.values() if e.id in self._touched]

    def touched_count(self) -> int:
        """Number of entities seen by this resolver."""
        return len(self._touched)

    def flush(self) -> int:
        """Write dirty entities (``upsert_entity``) and then pending appearances
        (``add_appearances``, unique by (entity, node)) through the repository. Returns the number
        of entities written; idempotent. Store errors propagate (nothing is cleared then)."""
        dirty, apps = self.dirty(), self.pending_appearances()
        if self.repo is not None:
            for e in dirty:
                if e.id not in self._before:  # its stored version, for rollback()
                    self._before[e.id] = self.repo.get_entity(self.tenant, e.id)
                self.repo.upsert_entity(e)
            if apps:
                self.repo.add_appearances(self.tenant, apps)
        self._dirty.clear()
        self._apps.clear()
        return len(dirty)

    def rollback(self) -> int:
        """Put the entity rows this resolver wrote back as they were stored before (a failed or
        cancelled ingest): entities it created are deleted with their appearances, entities it
        changed get their earlier row back. Returns the entities restored or deleted."""
        if self.repo is None:
            return 0
        for eid, prev in self._before.items():
            if prev is None:
                self.repo.delete_entity(self.tenant, eid)
            else:
                self.repo.upsert_entity(prev)
        n = len(self._before)
        self._before.clear()
        self._dirty.clear()
        self._apps.clear()
        return n

    def entity_nodes(self, ctx) -> list[MemoryNode]:
        """ENTITY-kind memory nodes (level story) for every entity this resolver touched, one per
        entity, text embedded with ``ctx.embedder`` (see :mod:`memory_core.building.entity_text`)."""
        return entity_nodes(ctx, self.touched(), self._by_id)


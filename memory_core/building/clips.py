"""Clip memories: one EPISODIC and one VISUAL node per clip window.

The episodic node's text carries everything searchable in plain language (who said what, on-screen
text, people visible, the colour descriptor, the VLM caption); ``attributes`` hold the same fields
structured. A clip where nothing was perceived still gets a node ("No speech. Dark scene, mostly
blue.") so the timeline has no holes.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from api_schemas import Kind, Level
from memory_core import ids
from memory_core.building.clip_text import (
    MIN_OCR_CONFIDENCE,
    ColourStats,
    colour_stats,
    decode_jpeg,
    render_episodic,
    render_visual,
    unique_in_order,
)
from memory_core.building.context import BuildContext, normalise_rows
from memory_core.building.entities import ClipEntities
from memory_core.domain import ClipPerception, MemoryNode


def clip_node_id(ctx: BuildContext, index: int, kind: Kind = Kind.EPISODIC) -> str:
    """Deterministic id of clip ``index`` of ``ctx.media`` (episodic or visual)."""
    return ids.node_id(ctx.tenant, ctx.source, Level.CLIP.value, kind.value, ctx.media.id, index)


def clip_colour(perception: ClipPerception) -> ColourStats | None:
    """Colour statistics of the clip's sampled frames, else of its decoded keyframes; ``None``
    without a picture."""
    w = perception.window
    stats = colour_stats(f.rgb for f in w.frames)
    if stats is None and perception.keyframes:
        stats = colour_stats(decode_jpeg(k.jpeg) for k in perception.keyframes if k.jpeg)
    return stats


def _speech_turns(perception: ClipPerception, resolved: ClipEntities) -> tuple[list[tuple[str, str]], list[dict]]:
    """Merged ``(label, words)`` turns and per-segment speaker records."""
    records, turns = [], []
    last_key = object()
    for seg, sid in zip(perception.speech, resolved.speaker_ids):
        text = " ".join(seg.text.split())
        if not text:
            continue
        label = resolved.labels.get(sid, "Someone") if sid else "Someone"
        records.append({"entity_id": sid, "label": label, "start_s": round(seg.start_s, 3), "end_s": round(seg.end_s, 3), "text": text})
        if seg.raw_text is not None:  # the recogniser's words before number normalisation
            records[-1]["raw_text"] = " ".join(seg.raw_text.split())
        key = sid or label
        if turns and key == last_key:
            turns[-1] = (label, f"{turns[-1][1]} {text}")
        else:
            turns.append((label, text))
        last_key = key
    return turns, records


def build_clip_nodes(perception: ClipPerception, ctx: BuildContext, resolved: ClipEntities | None = None) -> list[MemoryNode]:
    """The clip's EPISODIC node and, when the media has a picture, its VISUAL node.

    Args:
        perception: what perception produced for the window.
        ctx: tenant, source, media file, embedder.
        resolved: entities of the clip from ``EntityResolver.resolve``; ``None`` labels speakers
            "Someone" and counts unidentified faces.

    Returns:
        ``[episodic]`` or ``[episodic, visual]``, ``parent_id`` None, vectors from one
        ``ctx.embedder`` call (L2-normalised float32), ``image_vector`` of the visual node the
        normalised mean of the keyframes' image vectors when there are any.

    Raises:
        ProviderError: when the text embedder fails (no node is returned half-built).
    """
    w = perception.window
    resolved = resolved or ClipEntities.empty(perception)
    turns, speakers = _speech_turns(perception, resolved)
    ocr = unique_in_order(line.text for line in perception.ocr if line.confidence >= MIN_OCR_CONFIDENCE)
    face_ids = list(dict.fromkeys(i for i in resolved.face_ids if i))
    if face_ids:
        people = [resolved.labels.get(i, "someone") for i in face_ids]
    elif perception.faces:
        n = max(Counter(round(f.t_s, 3) for f in perception.faces).values())  # most faces in one frame
        people = [f"{n} unidentified {'person' if n == 1 else 'people'}"]
    else:
        people = []
    has_picture = w.has_video or bool(perception.keyframes)
    colour = clip_colour(perception) if has_picture else None
    descriptor = colour.descriptor() if colour else None
    caption = (perception.caption or "").strip() or None
    names = [resolved.labels.get(i, i) for i in resolved.name_ids]

    ep_text = render_episodic(turns, caption=caption, ocr=ocr, people=people, descriptor=descriptor, has_audio=w.has_audio)
    texts = [ep_text]
    if has_picture:
        texts.append(render_visual(caption=caption, ocr=ocr, people=people, descriptor=descriptor))
    vecs = ctx.embed(texts)

    provenance = {**perception.provenance, **ctx.provenance}
    common = dict(
        tenant=ctx.tenant, source=ctx.source, level=Level.CLIP,
        start=ctx.wall(w.media_start_s), end=ctx.wall(w.media_end_s),
        media_file_id=ctx.media.id, media_path=ctx.media.path,
        media_start_s=w.media_start_s, media_end_s=w.media_end_s,
    )
    colour_attr = colour.to_dict() if colour else None
    episodic = MemoryNode(
        id=clip_node_id(ctx, w.index, Kind.EPISODIC), kind=Kind.EPISODIC, text=ep_text,
        entity_ids=resolved.all_ids(),
        attributes={
            "clip_index": w.index,
            "transcript": " ".join(s["text"] for s in speakers),
            "transcript_raw": " ".join(s.get("raw_text", s["text"]) for s in speakers),
            "speakers": speakers,
            "ocr": ocr,
            "faces": face_ids,
            "people": people if face_ids else [],
            "names": names,
            "caption": caption,
            "colour": colour_attr,
            "content": bool(speakers or ocr or perception.faces or caption),
            "has_audio": w.has_audio,
            "has_video": w.has_video,
            "skipped": list(perception.skipped),
        },
        provenance=provenance, vector=vecs[0], **common,
    )
    nodes = [episodic]
    if has_picture:
        image_vector = None
        ivs = [np.asarray(k.image_vector, dtype=np.float32) for k in perception.keyframes if k.image_vector is not None]
        if ivs:
            image_vector = normalise_rows(np.mean(np.stack(ivs), axis=0))
        nodes.append(MemoryNode(
            id=clip_node_id(ctx, w.index, Kind.VISUAL), kind=Kind.VISUAL, text=texts[1],
            entity_ids=[*face_ids, *(i for i in dict.fromkeys(resolved.text_ids) if i)],
            keyframe_paths=[k.path for k in perception.keyframes if k.path],
            attributes={
                "clip_index": w.index,
                "keyframe_times": [round(k.t_s, 3) for k in perception.keyframes],
                "colour": colour_attr,
                "ocr": ocr,
                "caption": caption,
                "faces": face_ids,
                "episodic_id": episodic.id,
            },
            provenance=provenance, vector=vecs[1], image_vector=image_vector, **common,
        ))
    return nodes

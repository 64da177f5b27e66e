"""Bytes for :class:`~memory_core.domain.ClipPerception` lists, so the ``perceive`` and ``write``
stages of a distributed ingest can run on different machines.

What the write stage reads is kept exactly: transcripts with word times and speaker embeddings,
OCR lines, face descriptors, keyframe JPEGs and features, the window's times, shot boundaries and
frame features. Sampled frames travel as :func:`~memory_core.building.clip_text.colour_sample`
pixels (~4096 per frame, all that colour statistics read) and audio not at all, so a clip costs
tens of kilobytes instead of megabytes. The format is zlib-compressed JSON (orjson) with arrays as
``{"__nd__": [dtype, shape, base64]}`` and bytes as ``{"__b__": base64}``: no pickle, so a
staged row can never run code when read.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Sequence

import numpy as np
import orjson

from memory_core.building.clip_text import colour_sample
from memory_core.domain import (
    ClipPerception,
    ClipWindow,
    FaceObservation,
    Keyframe,
    OcrLine,
    SampledFrame,
    SpeechSegment,
    Word,
)

FORMAT_VERSION = 1
_DTYPES = {"float32", "float64", "uint8", "int32", "int64", "float16"}


class CodecError(ValueError):
    """Staged bytes that are not a perception payload of this format version."""


def _nd(a: np.ndarray | None):
    if a is None:
        return None
    a = np.ascontiguousarray(a)
    return {"__nd__": [a.dtype.name, list(a.shape), base64.b64encode(a.tobytes()).decode()]}


def _from_nd(v) -> np.ndarray | None:
    if v is None:
        return None
    dtype, shape, data = v["__nd__"]
    if dtype not in _DTYPES:
        raise CodecError(f"unexpected array type {dtype!r}")
    return np.frombuffer(base64.b64decode(data), dtype=dtype).reshape(shape).copy()


def _box(b):
    return None if b is None else tuple(int(x) for x in b)


def _perception(p: ClipPerception) -> dict:
    w = p.window
    return {
        "window": {
            "index": w.index, "start": w.media_start_s, "end": w.media_end_s,
            "frames": [{"t": f.t_s, "rgb": _nd(colour_sample(f.rgb))} for f in w.frames],
            "shots": list(w.shot_boundaries), "features": [_nd(x) for x in w.frame_features],
            "has_video": w.has_video, "has_audio": w.has_audio,
        },
        "speech": [{
            "start": s.start_s, "end": s.end_s, "text": s.text, "logprob": s.avg_logprob,
            "words": [[x.start_s, x.end_s, x.text, x.probability] for x in s.words],
            "speaker": _nd(s.speaker_vector), "speaker_entity": s.speaker_entity_id, "raw": s.raw_text,
        } for s in p.speech],
        "ocr": [{"t": o.t_s, "text": o.text, "conf": o.confidence, "box": o.box} for o in p.ocr],
        "faces": [{"t": f.t_s, "box": f.box, "desc": _nd(f.descriptor), "score": f.score, "entity": f.entity_id} for f in p.faces],
        "keyframes": [{
            "t": k.t_s, "jpeg": {"__b__": base64.b64encode(k.jpeg).decode()}, "w": k.width, "h": k.height,
            "features": _nd(k.features), "image": _nd(k.image_vector), "path": k.path,
        } for k in p.keyframes],
        "caption": p.caption, "provenance": dict(p.provenance), "skipped": list(p.skipped),
    }


def _restore(d: dict) -> ClipPerception:
    w = d["window"]
    window = ClipWindow(
        index=int(w["index"]), media_start_s=float(w["start"]), media_end_s=float(w["end"]),
        frames=[SampledFrame(t_s=float(f["t"]), rgb=_from_nd(f["rgb"])) for f in w["frames"]],
        audio=np.zeros(0, dtype=np.float32), shot_boundaries=[float(x) for x in w["shots"]],
        frame_features=[_from_nd(x) for x in w["features"]], has_video=bool(w["has_video"]), has_audio=bool(w["has_audio"]),
    )
    return ClipPerception(
        window=window,
        speech=[SpeechSegment(
            start_s=s["start"], end_s=s["end"], text=s["text"], avg_logprob=s["logprob"],
            words=[Word(start_s=a, end_s=b, text=t, probability=pr) for a, b, t, pr in s["words"]],
            speaker_vector=_from_nd(s["speaker"]), speaker_entity_id=s["speaker_entity"],
            raw_text=s.get("raw"),  # absent in payloads staged before raw transcripts were kept
        ) for s in d["speech"]],
        ocr=[OcrLine(t_s=o["t"], text=o["text"], confidence=o["conf"], box=_box(o["box"])) for o in d["ocr"]],
        faces=[FaceObservation(t_s=f["t"], box=_box(f["box"]), descriptor=_from_nd(f["desc"]), score=f["score"],
                               entity_id=f["entity"]) for f in d["faces"]],
        keyframes=[Keyframe(t_s=k["t"], jpeg=base64.b64decode(k["jpeg"]["__b__"]), width=k["w"], height=k["h"],
                            features=_from_nd(k["features"]), image_vector=_from_nd(k["image"]), path=k["path"])
                   for k in d["keyframes"]],
        caption=d["caption"], provenance=dict(d["provenance"]), skipped=list(d["skipped"]),
    )


def encode_perceptions(perceptions: Sequence[ClipPerception]) -> bytes:
    """Compressed bytes of ``perceptions`` (in order); see the module docstring for the format."""
    doc = {"v": FORMAT_VERSION, "clips": [_perception(p) for p in perceptions]}
    return zlib.compress(orjson.dumps(doc), 6)


def decode_perceptions(data: bytes) -> list[ClipPerception]:
    """The perceptions :func:`encode_perceptions` wrote, in order.

    Raises:
        CodecError: for bytes that are not a payload of this format version.
    """
    try:
        doc = orjson.loads(zlib.decompress(data))
    except (zlib.error, orjson.JSONDecodeError) as exc:
        raise CodecError(f"not a perception payload: {exc}") from None
    if not isinstance(doc, dict) or doc.get("v") != FORMAT_VERSION:
        raise CodecError(f"unsupported perception payload version {doc.get('v') if isinstance(doc, dict) else None!r}")
    try:
        return [_restore(c) for c in doc["clips"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise CodecError(f"malformed perception payload: {exc!r}") from None

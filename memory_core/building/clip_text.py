"""Plain-language text of clip memories and a cheap, honest colour descriptor of the picture.

The colour descriptor says only what pixel statistics support: how bright the picture is and which
hue dominates ("Dark scene, mostly blue."). It never invents content; a VLM caption, when one is
configured, is quoted separately.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

# Hue ranges in degrees -> colour name (first match wins; red wraps around 0).
_HUE_NAMES = (
    (15.0, "red"), (45.0, "orange"), (70.0, "yellow"), (160.0, "green"), (200.0, "cyan"),
    (260.0, "blue"), (290.0, "purple"), (345.0, "pink"), (360.0, "red"),
)
_HUE_BINS = 12
_GREY_BINS = 4
_MAX_PIXELS_PER_FRAME = 4096
MIN_OCR_CONFIDENCE = 0.5  # OCR lines below this recogniser confidence are left out (mostly garbage)


@dataclass(slots=True)
class ColourStats:
    """Colour statistics of a clip's frames.

    Attributes:
        brightness: mean luma in [0, 1] (Rec. 601 weights).
        dominant: colour names, strongest first (one or two), e.g. ``["blue"]`` or ``["grey"]``.
        colourful: fraction of pixels with saturation > 0.25 and value > 0.12.
        hist: 16-d L2-normalised histogram (12 hue bins of colourful pixels weighted by saturation,
            4 luma bins of the rest); compared by cosine to tell scenes apart.
    """

    brightness: float
    dominant: list[str]
    colourful: float
    hist: np.ndarray = field(default_factory=lambda: np.zeros(_HUE_BINS + _GREY_BINS, np.float32))

    def descriptor(self) -> str:
        """e.g. ``"Dark scene, mostly blue."`` or ``"Bright scene, mostly green and yellow."``"""
        return describe(self.brightness, self.dominant)

    def to_dict(self) -> dict:
        """JSON-safe form stored in node attributes."""
        return {
            "brightness": round(self.brightness, 3),
            "dominant": list(self.dominant),
            "colourful": round(self.colourful, 3),
            "hist": [round(float(x), 4) for x in self.hist],
        }


def describe(brightness: float, dominant: Sequence[str]) -> str:
    """Descriptor sentence from mean luma in [0, 1] (< 0.2 dark, < 0.4 dim, < 0.7 moderately lit,
    else bright) and dominant colour names."""
    b = brightness
    light = "Dark" if b < 0.2 else "Dim" if b < 0.4 else "Moderately lit" if b < 0.7 else "Bright"
    return f"{light} scene, mostly {' and '.join(dominant)}."


def colour_sample(rgb: np.ndarray) -> np.ndarray:
    """The pixels colour statistics read from an HxWx3 uint8 frame: every ``step``-th row and
    column, ~4096 pixels at most (uint8, a view). Feeding it back gives the same pixels, so it is
    all a distributed ingest needs to carry instead of the frame."""
    h, w = rgb.shape[:2]
    step = max(1, int(np.sqrt(h * w / _MAX_PIXELS_PER_FRAME)))
    return rgb[::step, ::step, :3]


def _subsample(rgb: np.ndarray) -> np.ndarray:
    """(n, 3) float32 RGB in [0, 1] from an HxWx3 uint8 frame, at most ~4096 pixels."""
    return colour_sample(rgb).reshape(-1, 3).astype(np.float32) / 255.0


def colour_stats(frames: Iterable[np.ndarray]) -> ColourStats | None:
    """Colour statistics over HxWx3 uint8 RGB ``frames``; ``None`` when there are none."""
    pix = [_subsample(f) for f in frames if f is not None and f.ndim == 3 and f.size]
    if not pix:
        return None
    p = np.concatenate(pix)
    r, g, b = p[:, 0], p[:, 1], p[:, 2]
    mx, mn = p.max(axis=1), p.min(axis=1)
    delta = mx - mn
    sat = np.where(mx > 0, delta / np.maximum(mx, 1e-6), 0.0)
    safe = np.maximum(delta, 1e-6)
    hue = np.where(mx == r, ((g - b) / safe) % 6.0, np.where(mx == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0))
    hue = (hue * 60.0) % 360.0
    luma = 0.299 * r + 0.587 * g + 0.114 * b
    colourful = (sat > 0.25) & (mx > 0.12)

    hist = np.zeros(_HUE_BINS + _GREY_BINS, dtype=np.float32)
    if colourful.any():
        bins = np.minimum((hue[colourful] / (360.0 / _HUE_BINS)).astype(int), _HUE_BINS - 1)
        np.add.at(hist, bins, sat[colourful])
    grey = ~colourful
    if grey.any():
        gbins = np.minimum((luma[grey] * _GREY_BINS).astype(int), _GREY_BINS - 1)
        np.add.at(hist, _HUE_BINS + gbins, 0.5)
    norm = float(np.linalg.norm(hist))
    if norm > 0:
        hist /= norm

    frac = float(colourful.mean())
    brightness = float(luma.mean())
    if frac >= 0.2:
        names: dict[str, float] = {}
        name_idx = np.searchsorted([u for u, _ in _HUE_NAMES], hue[colourful], side="right")
        name_idx = np.minimum(name_idx, len(_HUE_NAMES) - 1)
        tally = np.bincount(name_idx, weights=sat[colourful], minlength=len(_HUE_NAMES))
        for i, w in enumerate(tally):
            names[_HUE_NAMES[i][1]] = names.get(_HUE_NAMES[i][1], 0.0) + float(w)
        ranked = sorted(names.items(), key=lambda kv: -kv[1])
        dominant = [ranked[0][0]]
        if len(ranked) > 1 and ranked[1][1] >= 0.6 * ranked[0][1]:
            dominant.append(ranked[1][0])
    else:
        grey_luma = float(luma[grey].mean()) if grey.any() else brightness
        dominant = ["black" if grey_luma < 0.15 else "white" if grey_luma > 0.85 else "grey"]
    return ColourStats(brightness=brightness, dominant=dominant, colourful=frac, hist=hist)


def decode_jpeg(data: bytes) -> np.ndarray | None:
    """HxWx3 uint8 RGB of a JPEG, or ``None`` when it cannot be decoded."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as im:
            return np.asarray(im.convert("RGB"))
    except Exception:  # noqa: BLE001 - a broken keyframe only loses the descriptor
        return None


# --------------------------------------------------------------------------- text helpers
_PUNCT_EDGES = re.compile(r"^[\W_]+|[\W_]+$", re.UNICODE)


def normalise_text(text: str) -> str:
    """Case- and space-normalised text without punctuation at the edges (``"Gate  7 open!"`` ->
    ``"gate 7 open"``); the key of on-screen text entities."""
    return _PUNCT_EDGES.sub("", " ".join(text.casefold().split()))


def unique_in_order(items: Iterable[str], key=normalise_text) -> list[str]:
    """Items with duplicates (by ``key``) and empty keys removed, first occurrence kept."""
    seen: set[str] = set()
    out = []
    for item in items:
        k = key(item)
        if k and k not in seen:
            seen.add(k)
            out.append(item.strip())
    return out


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?" else text + "."


def render_episodic(
    speech: Sequence[tuple[str, str]],
    *,
    caption: str | None,
    ocr: Sequence[str],
    people: Sequence[str],
    descriptor: str | None,
    has_audio: bool = True,
) -> str:
    """The episodic clip text, e.g. ``"Alice Parker said: 'Hello.' On screen: GATE 7 OPEN.
    People visible: Alice Parker, Person 2. Bright scene, mostly green."``

    Args:
        speech: ``(speaker label, words)`` in time order, consecutive turns already merged.
        caption: VLM caption or ``None``.
        ocr: distinct on-screen lines in reading order.
        people: display labels of the distinct faces visible.
        descriptor: colour descriptor sentence, ``None`` without video.
        has_audio: ``False`` says "No audio." instead of "No speech." when nothing was heard.
    """
    parts = [f"{label} said: '{words.strip()}'" for label, words in speech if words.strip()]
    if not parts:
        parts.append("No speech." if has_audio else "No audio.")
    if caption and caption.strip():
        parts.append(_sentence(caption))
    if ocr:
        parts.append(f"On screen: {' / '.join(ocr)}.")
    if people:
        parts.append(f"People visible: {', '.join(people)}.")
    if descriptor:
        parts.append(descriptor)
    return " ".join(parts)


def render_visual(*, caption: str | None, ocr: Sequence[str], people: Sequence[str], descriptor: str | None) -> str:
    """The visual clip text: what can be seen (on-screen text, caption, people, colours)."""
    parts = []
    if ocr:
        parts.append(f"On screen: {' / '.join(ocr)}.")
    if caption and caption.strip():
        parts.append(_sentence(caption))
    if people:
        parts.append(f"People visible: {', '.join(people)}.")
    parts.append(descriptor or "No picture.")
    return " ".join(parts)

"""Summaries of scenes, events and stories from their children's memories.

Extractive by default (``extractive-v1``): the children's sentences (speech turns with their
speaker, captions; picture descriptors only where nothing else exists) are embedded, scored by
centrality (cosine to the centroid of the sentence embeddings) and picked with MMR for diversity
(Carbonell & Goldstein 1998, lambda 0.5; near-duplicates above cosine 0.9 are skipped) until the
level's character cap (scene 600, event 900, story 1500); picked sentences keep time order. With
an LLM configured, the LLM writes 2-4 sentences from the children's texts with their times; any
``LLMError`` or empty answer falls back to extractive. Either way a structured tail keeps the
union of the children's speakers, people and on-screen texts ("Speakers: ...; People: ...;
On screen: ...") so no name or text is lost by summarising.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from api_schemas import Level
from memory_core.building.clip_text import describe, normalise_text, unique_in_order
from memory_core.building.context import normalise_rows
from memory_core.domain import MemoryNode
from memory_core.logging import get_logger
from memory_core.providers.base import LLMClient, LLMError, TextEmbedder

log = get_logger(__name__)

CAPS = {Level.SCENE: 600, Level.EVENT: 900, Level.STORY: 1500}
EXTRACTIVE = "extractive-v1"
MMR_LAMBDA = 0.5
NEAR_DUPLICATE = 0.9  # cosine above which a sentence repeats one already picked
MAX_CANDIDATES = 256  # sentences scored per summary; more are thinned evenly over time
_TAIL_SHARE = 0.4  # at most this share of the cap goes to the structured tail
_ABBREV = ("Mr", "Mrs", "Ms", "Dr", "St", "Jr", "Sr", "Prof", "vs", "etc", "approx")
_SPLIT = re.compile(r"(?<=[.!?])" + "".join(rf"(?<!\b{a}\.)" for a in _ABBREV) + r"\s+(?=[A-Z0-9\"'])")
_LLM_SYSTEM = (
    "You summarise memories of a video. Write 2 to 4 factual sentences about what happened, using "
    "only the facts given. Keep people's names and on-screen text exactly as written. Do not guess."
)


@dataclass(slots=True)
class Summary:
    """A parent's text: ``text`` = ``body`` + ``tail``; ``sentences`` are the body's sentences
    (kept in the parent's attributes so the next level up does not re-split them); ``method`` is
    the provenance value of the ``summariser`` role; ``lists`` the union of the children's
    ``speakers``/``faces``/``people``/``ocr``/``names`` (same shapes as clip attributes)."""

    text: str
    body: str
    tail: str
    sentences: list[str]
    method: str
    lists: dict = field(default_factory=dict)


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` (split after ``.!?`` before a capital, digit or quote, not after
    abbreviations such as "Mr.").

    >>> split_sentences("And Mr. John Dashwood came. He sat down!")
    ['And Mr. John Dashwood came.', 'He sat down!']
    """
    return [s.strip() for s in _SPLIT.split(" ".join(text.split())) if s.strip()]


def child_sentences(node: MemoryNode) -> tuple[list[str], list[str]]:
    """``(content sentences, fallback sentences)`` of a child: speech turns ("Alice said: '...'")
    and captions of clips, or the stored sentences of a parent; the fallback is the picture
    descriptor, used only when no child has content."""
    a = node.attributes
    if node.level is not Level.CLIP:
        return list(a.get("sentences") or split_sentences(a.get("summary_body", node.text))), []
    out = []
    for rec in a.get("speakers", []):
        out.extend(f"{rec['label']} said: '{s}'" for s in split_sentences(rec.get("text", "")))
    if a.get("caption"):
        out.extend(split_sentences(a["caption"]))
    colour = a.get("colour") or {}
    fallback = []
    if colour.get("dominant"):
        fallback.append(describe(colour.get("brightness", 0.5), colour["dominant"]))
    if not a.get("speakers"):
        fallback.insert(0, "No speech." if a.get("has_audio", True) else "No audio.")
    return out, [" ".join(fallback)] if fallback else []


def union_lists(children: Sequence[MemoryNode]) -> dict:
    """Union of children's speakers (``[{entity_id, label}]``, the latest label per entity wins),
    faces/people (aligned ids and labels), on-screen texts and names, in first-seen order."""
    speakers: dict[str, str] = {}
    people: dict[str, str] = {}
    ocr, names = [], []
    for c in children:
        a = c.attributes
        for rec in a.get("speakers", []):
            speakers[rec.get("entity_id") or rec["label"]] = rec["label"]
        for fid, label in zip(a.get("faces", []), a.get("people", [])):
            people[fid] = label
        ocr.extend(a.get("ocr", []))
        names.extend(a.get("names", []))
    dedupe = lambda xs: list(dict.fromkeys(xs))  # noqa: E731
    return {
        "speakers": [{"entity_id": k if k != v else None, "label": v} for k, v in speakers.items()],
        "faces": list(people), "people": list(people.values()),
        "ocr": unique_in_order(ocr), "names": dedupe(names),
    }


def _tail(lists: dict, budget: int) -> str:
    parts = []
    for title, items in (
        ("Speakers", [s["label"] for s in lists["speakers"]]),
        ("People", lists["people"]),
        ("Names", [n for n in lists["names"] if n not in {s["label"] for s in lists["speakers"]} | set(lists["people"])]),
        ("On screen", lists["ocr"]),
    ):
        items = list(dict.fromkeys(items))
        if not items:
            continue
        shown, more = list(items), 0
        while shown and len(f"{title}: {', '.join(shown)}") > max(budget // 3, 60):
            shown.pop()
            more += 1
        parts.append(f"{title}: {', '.join(shown)}{f' (+{more} more)' if more else ''}")
    return "; ".join(parts) + ("." if parts else "")


class Summariser:
    """Summarises children into a parent's text.

    Args:
        embedder: text embedder for sentence centrality (extractive).
        llm: optional chat model; ``None`` means extractive only.
        caps: level -> max characters of the whole text (default scene 600, event 900, story 1500).
    """

    def __init__(self, embedder: TextEmbedder, llm: LLMClient | None = None, caps: dict[Level, int] | None = None) -> None:
        self.embedder, self.llm = embedder, llm
        self.caps = {**CAPS, **(caps or {})}

    def summarise(self, level: Level, children: Sequence[MemoryNode]) -> Summary:
        """Summary of ``children`` (time order) for a parent at ``level``.

        Raises:
            ProviderError: when the text embedder fails; ``LLMError`` never escapes (extractive
            fallback, logged as ``summary_llm_failed``).
        """
        cap = self.caps.get(level, 900)
        lists = union_lists(children)
        tail = _tail(lists, int(cap * _TAIL_SHARE))
        budget = max(cap - len(tail) - 1, int(cap * (1 - _TAIL_SHARE)))
        body, sentences, method = "", [], EXTRACTIVE
        if self.llm is not None:
            try:
                body = self._llm_body(children, budget)
                sentences, method = split_sentences(body), f"llm:{self.llm.name}"
            except LLMError as exc:
                log.warning("summary_llm_failed", level=level.value, error=str(exc)[:200])
                body = ""
        if not body:
            sentences, method = self._extract(children, budget), EXTRACTIVE
            body = " ".join(sentences)
        text = f"{body} {tail}".strip() if tail else body
        return Summary(text=text, body=body, tail=tail, sentences=sentences, method=method, lists=lists)

    # ------------------------------------------------------------------ extractive
    def _extract(self, children: Sequence[MemoryNode], budget: int) -> list[str]:
        content: list[str] = []
        fallback: list[str] = []
        for c in children:
            got, fb = child_sentences(c)
            content.extend(got)
            fallback.extend(fb)
        cands = list(dict.fromkeys(s for s in (content or fallback) if normalise_text(s)))
        if len(cands) > MAX_CANDIDATES:
            keep = np.linspace(0, len(cands) - 1, MAX_CANDIDATES).round().astype(int)
            cands = [cands[i] for i in sorted(set(keep.tolist()))]
        if len(cands) <= 1 or sum(len(s) + 1 for s in cands) <= budget:
            return _fit(cands, budget)
        emb = normalise_rows(np.asarray(self.embedder.embed(cands), dtype=np.float32))
        centre = normalise_rows(emb.mean(axis=0))
        central = emb @ centre
        chosen: list[int] = []
        used = 0
        remaining = set(range(len(cands)))
        while remaining:
            if chosen:
                redundancy = (emb[list(remaining)] @ emb[chosen].T).max(axis=1)
            else:
                redundancy = np.zeros(len(remaining))
            order = list(remaining)
            scores = MMR_LAMBDA * central[order] - (1 - MMR_LAMBDA) * redundancy
            pick = int(np.argmax(scores))
            best = order[pick]
            remaining.discard(best)
            if redundancy[pick] > NEAR_DUPLICATE:
                continue
            if used + len(cands[best]) + 1 <= budget:
                chosen.append(best)
                used += len(cands[best]) + 1
        if not chosen:  # every sentence longer than the budget: cut the most central one
            return _fit([cands[int(np.argmax(central))]], budget)
        return [cands[i] for i in sorted(chosen)]

    # ------------------------------------------------------------------ LLM
    def _llm_body(self, children: Sequence[MemoryNode], budget: int) -> str:
        share = max(6000 // max(len(children), 1), 120)
        lines = [f"[{c.start.strftime('%Y-%m-%d %H:%M:%S')}] {c.attributes.get('summary_body') or c.text}"[:share] for c in children]
        reply = self.llm.complete(_LLM_SYSTEM, "Memories in time order:\n" + "\n".join(lines) + "\n\nSummary:")
        body = " ".join((reply or "").split())
        if len(body) > budget:
            cut = body[:budget]
            body = cut[: cut.rfind(". ") + 1] or cut.rstrip() + "..."
        return body


def _fit(sentences: list[str], budget: int) -> list[str]:
    """Sentences in order while they fit in ``budget`` characters (the first is cut if alone)."""
    out, used = [], 0
    for s in sentences:
        if used + len(s) + 1 > budget:
            if not out:
                out.append(s[: max(budget - 3, 0)].rstrip() + "...")
            break
        out.append(s)
        used += len(s) + 1
    return out

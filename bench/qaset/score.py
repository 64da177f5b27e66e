"""Grading of the development set: keyword matching, evidence hit@5 and the summary lines.

Answer accuracy: an answerable question is right when the agent says it has sufficient evidence,
every gold keyword group has one alternative in the answer text (after ``normalise``) and the right
option comes before any of the question's ``wrong`` words (the answer leads with the answer); an
unanswerable one is right when the agent says not enough evidence (``sufficient=False``).
Evidence hit@5: a top-5 evidence item hits a gold span when their wall-clock spans overlap, with
``PAD_S`` seconds of slack, and the item spans at most ``MAX_SPAN_S`` (a story- or day-level
memory that covers everything would otherwise hit every question).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from bench.qaset.questions import CATEGORIES, GoldQuestion

PAD_S = 2.0
MAX_SPAN_S = 120.0
TOP_K = 5


def normalise(text: str) -> tuple[str, str]:
    """Two matchable forms of ``text``, each padded with spaces: lower-case words and numbers only,
    with thousands separators dropped (``"It's 8:15, 40 ,000!"`` -> ``" it s 8 15 40000 "``), and
    the same with runs of single spaced digits joined (``"9 2 0 4"`` -> ``"9204"``, as a recogniser
    writes a spoken code). ``"9204, 3816"`` stays two numbers."""
    t = re.sub(r"(?<=\d)\s*,\s*(?=\d{3}\b)", "", text.lower())
    words = re.sub(r"[^a-z0-9]+", " ", t).strip()
    joined = re.sub(r"\b\d(?: \d\b)+", lambda m: m.group().replace(" ", ""), words)
    return f" {words} ", f" {joined} "


def _position(answer: str, keyword: str) -> int | None:
    """Offset of the first whole-word occurrence of ``keyword`` in ``answer`` (joined form), or None."""
    k = normalise(keyword)[1]
    i = normalise(answer)[1].find(k) if k.strip() else -1
    return None if i < 0 else i


def has_keyword(answer: str, keyword: str) -> bool:
    """Whether ``keyword`` (a word or phrase) occurs in ``answer`` as whole words, in either
    normalised form. Matching is on word boundaries: ``"no"`` does not match ``"not"`` or ``"now"``."""
    kw = normalise(keyword)
    forms = normalise(answer)
    return any(k in f for k in {kw[0], kw[1]} if k.strip() for f in forms)


def keywords_match(answer: str, groups: tuple[tuple[str, ...], ...], wrong: tuple[str, ...] = ()) -> bool:
    """True when every any-of group in ``groups`` has an alternative in ``answer`` (False if no
    groups) and, when ``wrong`` is given, an alternative of the first group occurs before any
    ``wrong`` word: the answer must lead with the right option ("9204 (was 3816)" is right for the
    current code, "3816 ... now 9204" is not; "Yes, ... back on Thursday" is wrong for "still away?")."""
    if not groups or not all(any(has_keyword(answer, k) for k in g) for g in groups):
        return False
    bad = [p for w in wrong if (p := _position(answer, w)) is not None]
    if not bad:
        return True
    good = [p for k in groups[0] if (p := _position(answer, k)) is not None]
    return bool(good) and min(good) < min(bad)


def _dt(v) -> datetime:
    return v if isinstance(v, datetime) else datetime.fromisoformat(v)


def item_hits(item: dict, span: tuple[datetime, datetime]) -> bool:
    """Whether an evidence item (``{"start", "end"}``, ISO 8601 or datetime) hits a gold span
    ``(start, end)``: spans overlap within PAD_S seconds and the item is at most MAX_SPAN_S long."""
    s, e = _dt(item["start"]), _dt(item["end"])
    if (e - s).total_seconds() > MAX_SPAN_S:
        return False
    pad = timedelta(seconds=PAD_S)
    return s <= span[1] + pad and e >= span[0] - pad


def evidence_hit(evidence: list[dict], spans: list[tuple[datetime, datetime]], mode: str = "any") -> bool:
    """hit@TOP_K: ``mode="any"``: some gold span is hit by one of the first TOP_K items;
    ``"all"``: every gold span is. False when ``spans`` is empty."""
    top = evidence[:TOP_K]
    hits = [any(item_hits(it, sp) for it in top) for sp in spans]
    return bool(hits) and (all(hits) if mode == "all" else any(hits))


@lru_cache(maxsize=1)
def gold_spans(manifest_path: str | None = None) -> dict[str, tuple[datetime, datetime]]:
    """Span id -> wall-clock ``(start, end)`` from the rendered week's manifest.json (default:
    bench/.cache/qaset/manifest.json). Raises FileNotFoundError when the week was not rendered."""
    from bench.qaset.media import OUT

    data = json.loads(Path(manifest_path or OUT / "manifest.json").read_text())
    return {s["id"]: (_dt(s["start"]), _dt(s["end"])) for c in data["chunks"] for s in c["spans"]}


def grade(q: GoldQuestion, row: dict, spans: dict | None = None) -> dict:
    """Grade one asked question. ``row`` has ``answer``, ``sufficient`` and ``evidence``
    (list of ``{"start", "end", ...}``). Returns ``{"correct": bool, "hit5": bool | None}``
    (``hit5`` is None for unanswerable questions)."""
    if not q.answerable:
        return {"correct": not row["sufficient"], "hit5": None}
    spans = spans if spans is not None else gold_spans()
    hit = evidence_hit(row["evidence"], [spans[i] for i in q.evidence], q.mode)
    return {"correct": bool(row["sufficient"]) and keywords_match(row["answer"], q.keywords, q.wrong), "hit5": hit}


def _rate(xs: list[bool]) -> float | None:
    return round(sum(xs) / len(xs), 3) if xs else None


def not_enough_pr(rows: list[dict]) -> dict:
    """Precision and recall of "not enough evidence" (``sufficient=False``) as a detector of
    unanswerable questions; rows need ``category`` and ``sufficient``."""
    tp = sum(1 for r in rows if r["category"] == "unanswerable" and not r["sufficient"])
    fp = sum(1 for r in rows if r["category"] != "unanswerable" and not r["sufficient"])
    fn = sum(1 for r in rows if r["category"] == "unanswerable" and r["sufficient"])
    return {"tp": tp, "fp": fp, "fn": fn,
            "precision": round(tp / (tp + fp), 3) if tp + fp else None,
            "recall": round(tp / (tp + fn), 3) if tp + fn else None}


def summarise(rows: list[dict]) -> list[dict]:
    """One dict per category present (in CATEGORIES order), then TOTAL, then NOT_ENOUGH.
    Each category line: ``{"category", "n", "hit5", "acc"}`` (rates in [0, 1]; ``hit5`` over
    answerable questions only, None for the unanswerable category)."""
    out = []
    for cat in [c for c in CATEGORIES if any(r["category"] == c for r in rows)] + ["TOTAL"]:
        sel = [r for r in rows if cat == "TOTAL" or r["category"] == cat]
        out.append({"category": cat, "n": len(sel),
                    "hit5": _rate([r["hit5"] for r in sel if r["hit5"] is not None]),
                    "acc": _rate([r["correct"] for r in sel])})
    out.append({"category": "NOT_ENOUGH", **not_enough_pr(rows)})
    return out

"""Yes/no answers from the dependency parse: does an evidence sentence state the question's predicate?

"Is the back door open?" is answered by a sentence that holds every content word of the question
and says "open" of the door (its subject or object), with the negation of both compared
(Yes when both or neither are negated). Used by :mod:`memory_core.retrieval.extract`.
"""

from __future__ import annotations

from collections.abc import Sequence

from memory_core.retrieval.lexical import STOPWORDS, stem, tokenize
from memory_core.retrieval.units import Unit

__all__ = ["negated", "predicate", "yes_no"]

_NEGATION = {"not", "n't", "never", "no", "nobody", "nothing", "neither", "nor", "without"}


def _stems(text: str) -> set[str]:
    return {stem(t) for t in tokenize(text) if t not in STOPWORDS}


def predicate(qdoc):
    """The question's predicate token: the main verb, or the adjective/noun after a copula
    ("Is the back door *open*?"); None when there is none."""
    root = next((t for t in qdoc if t.dep_ == "ROOT"), None)
    if root is None:
        return None
    if root.pos_ == "AUX" or root.lemma_ == "be":
        comp = [c for c in root.children if c.dep_ in ("acomp", "attr", "oprd", "xcomp", "advmod") and c.pos_ != "PRON"]
        return comp[0] if comp else None
    return root


def negated(tok) -> bool:
    """Whether ``tok`` (or, for a complement, the verb it completes) has a negation child ("not", "never", ...)."""
    heads = [tok, tok.head] if tok.dep_ in ("acomp", "attr", "oprd", "xcomp") else [tok]
    return any(c.dep_ == "neg" or c.lower_ in _NEGATION for h in heads for c in h.children)


def yes_no(qdoc, q: set[str], units: Sequence[Unit], docs, weights: Sequence[float], align: Sequence[float]) -> tuple[int, float, str] | None:
    """Yes/No when a sentence holds every content word of the question *and* states the question's
    predicate of one of its nouns (dependency parse: "open" with "door" as its subject or object,
    so "the door was locked ... then open" does not count). "Yes" when both or neither are negated,
    else "No". None without a parse, or when no sentence qualifies (the caller quotes the best one).

    Args:
        qdoc: the parsed question (spaCy ``Doc``); None gives None.
        q: the question's content-word stems; every one must be in the sentence (or its speaker).
        units: the evidence sentences; ``docs`` their parses (None entries are skipped).
        weights, align: per unit, the evidence weight and the question alignment (:mod:`extract`).

    Returns:
        ``(unit index, weight * alignment, "Yes" | "No")`` of the best qualifying sentence, or None."""
    if not q or qdoc is None:
        return None
    pred = predicate(qdoc)
    if pred is None:
        return None
    p_stems = {stem(pred.lower_), pred.lemma_.lower()}
    nouns = {stem(t.lower_) for t in qdoc if t.pos_ in ("NOUN", "PROPN") and t.i != pred.i}
    q_neg = negated(pred)
    best = None
    for k, (u, doc) in enumerate(zip(units, docs)):
        if doc is None or not q <= (_stems(u.text) | _stems(u.speaker or "")):
            continue
        for tok in doc:
            if stem(tok.lower_) not in p_stems and tok.lemma_.lower() not in p_stems:
                continue
            args = [c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass", "dobj", "obj", "attr")]
            if tok.dep_ in ("acomp", "attr", "oprd", "xcomp", "amod"):
                args += [c for c in tok.head.children if c.dep_ in ("nsubj", "nsubjpass")] + ([tok.head] if tok.dep_ == "amod" else [])
            words = {stem(w.lower_) for a in args for w in a.subtree}
            if nouns and not nouns & words:
                continue
            score = weights[k] * align[k]
            if best is None or score > best[1]:
                best = (k, score, negated(tok))
            break
    if best is None:
        return None
    return best[0], best[1], "Yes" if q_neg == best[2] else "No"

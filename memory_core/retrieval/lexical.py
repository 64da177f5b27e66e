"""A cheap lexical scorer used to re-rank vector hits.

MiniLM sentence embeddings are weak on exact strings: on-screen text ("GATE 7"), names, numbers.
:class:`LexicalScorer` scores a small set of candidate texts (the hits of one vector search) with
BM25 term weighting (Robertson & Zaragoza 2009, "The Probabilistic Relevance Framework: BM25 and
Beyond"; IDF with the +1 of Lucene so it stays positive) computed over that candidate set, turned
into a *weighted keyword coverage* in ``[0, 1]``, plus an exact-phrase bonus for quoted or
capitalised phrases and numbers. :func:`combine` folds it into the cosine so thresholds keep the
cosine scale.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

__all__ = ["STOPWORDS", "LexicalScorer", "combine", "normalise", "stem", "tokenize"]

STOPWORDS = frozenset(
    """a about above after again all am an and any are as at be been before being below between both
    but by can could did do does doing done down during each few for from further had has have
    having he her here hers him his how i if in into is it its itself just me more most my no nor
    not now of off on once only or other our ours out over own same she should so some such than
    that the their theirs them then there these they this those through to too under until up very
    was we were what when where which while who whom whose why will with would you your yours
    happen happened happens happening occur occurred tell told say says said see saw seen get got
    go went many much often times time ever anything something everything thing things did there's
    what's who's it's please show find give know remember us let yes also currently current still
    latest last first one any ago o clock""".split()
)

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# irregular past forms -> base form (stemmed like any word afterwards): "fed" matches "feeding"
_IRREGULAR = dict(
    pair.split(":") for pair in """ate:eat eaten:eat fed:feed went:go gone:go saw:see seen:see made:make came:come
    took:take taken:take brought:bring bought:buy gave:give given:give ran:run drove:drive driven:drive
    spoke:speak spoken:speak told:tell found:find lost:lose sat:sit stood:stand wrote:write written:write
    broke:break broken:break fell:fall hid:hide hidden:hide kept:keep slept:sleep met:meet paid:pay
    sent:send spent:spend built:build caught:catch taught:teach thought:think held:hold won:win rang:ring
    sang:sing began:begin begun:begin drank:drink swam:swim threw:throw thrown:throw woke:wake wore:wear
    led:lead fought:fight hung:hang lit:light stole:steal stolen:steal swept:sweep understood:understand
    left:leave got:get forgot:forget forgotten:forget chose:choose chosen:choose froze:freeze frozen:freeze
    shot:shoot rode:ride ridden:ride rose:rise risen:rise shook:shake shaken:shake sold:sell dug:dig""".split()
)


def tokenize(text: str) -> list[str]:
    """Lower-case alphanumeric tokens (apostrophe suffixes dropped): ``"GATE 7's"`` -> ``["gate", "7"]``."""
    return [t.split("'")[0] for t in _TOKEN.findall(text.lower())]


def stem(token: str) -> str:
    """A light suffix stripper (Porter step 1 in spirit): watered/watering/waters -> water,
    arrived/arrive/arriving -> arriv, make/making/made -> mak, fed/feeding -> feed, plants -> plant,
    boxes -> box, lorries -> lorry (a short table maps irregular past forms to their base)."""
    t = _IRREGULAR.get(token, token)
    if t.isdigit() or len(t) <= 3:
        return t
    if t.endswith("ies") and len(t) > 4:
        return t[:-3] + "y"
    if t.endswith(("sses", "shes", "ches", "xes")):
        t = t[:-2]
    elif t.endswith("ing") and len(t) > 5:
        t = t[:-3]
    elif t.endswith("ed") and len(t) > 4:
        t = t[:-2]
    elif t.endswith("s") and not t.endswith(("ss", "us", "is")):
        t = t[:-1]
    if len(t) >= 4 and t[-1] == t[-2] and t[-1] not in "lszaeiou":  # stopped -> stopp -> stop
        t = t[:-1]
    if t.endswith("e") and len(t) >= 4 and not t.endswith("ee"):
        t = t[:-1]
    return t


def normalise(text: str) -> str:
    """Lower-case, every run of non-alphanumerics one space, padded with spaces for whole-word search."""
    return " " + " ".join(re.findall(r"[a-z0-9]+", text.lower())) + " "


def combine(cosine: float, lexical: float, weight: float) -> float:
    """Combined score on the cosine scale: ``cos + weight * lex * (1 - cos)``.

    A pure semantic match keeps its cosine, a lexical match lifts a weak cosine towards 1, and the
    result never exceeds 1; ``weight`` in ``[0, 1]`` (0 = cosine only).
    """
    return float(cosine + weight * lexical * (1.0 - cosine))


class LexicalScorer:
    """BM25-weighted keyword coverage plus an exact-phrase bonus, in ``[0, 1]`` per text.

    Args:
        keywords: query keywords (lower-case, stop words removed); stemmed here.
        phrases: exact phrases (quoted, capitalised runs like ``"gate 7"`` or ``"alice parker"``,
            numbers); matched as whole words in the normalised text.
        k1, b: BM25 term-frequency saturation and length normalisation.
        phrase_weight: share of the score given to phrases when there are any.
    """

    def __init__(
        self,
        keywords: Sequence[str],
        phrases: Sequence[str] = (),
        *,
        k1: float = 1.2,
        b: float = 0.75,
        phrase_weight: float = 0.4,
    ) -> None:
        self.terms = list(dict.fromkeys(stem(k) for k in keywords if k))
        self.phrases = [p for p in dict.fromkeys(normalise(p) for p in phrases) if p.strip()]
        self.k1, self.b, self.phrase_weight = k1, b, phrase_weight

    @property
    def empty(self) -> bool:
        """True when there is nothing to match (no keywords and no phrases)."""
        return not self.terms and not self.phrases

    def score_texts(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts),)`` float32 scores in ``[0, 1]``; IDF is computed over ``texts`` themselves.

        Coverage = sum over terms of ``idf * min(1, tf*(k1+1) / (tf + k1*(1-b+b*dl/avgdl)))``
        divided by the sum of ``idf``; phrase score = share of phrases present.
        """
        n = len(texts)
        if n == 0 or self.empty:
            return np.zeros(n, dtype=np.float32)
        docs = [Counter(stem(t) for t in tokenize(x)) for x in texts]
        lengths = np.array([max(1, sum(d.values())) for d in docs], dtype=np.float64)
        avgdl = float(lengths.mean())
        cover = np.zeros(n, dtype=np.float64)
        if self.terms:
            idf_sum = 0.0
            for term in self.terms:
                df = sum(1 for d in docs if term in d)
                idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
                idf_sum += idf
                for i, d in enumerate(docs):
                    tf = d.get(term, 0)
                    if tf:
                        norm = 1.0 - self.b + self.b * lengths[i] / avgdl
                        cover[i] += idf * min(1.0, tf * (self.k1 + 1.0) / (tf + self.k1 * norm))
            cover /= max(idf_sum, 1e-9)
        if not self.phrases:
            return cover.astype(np.float32)
        norm_texts = [normalise(x) for x in texts]
        phrase = np.array([sum(p in t for p in self.phrases) / len(self.phrases) for t in norm_texts])
        if not self.terms:
            return phrase.astype(np.float32)
        return ((1.0 - self.phrase_weight) * cover + self.phrase_weight * phrase).astype(np.float32)

    def score(self, text: str) -> float:
        """Score of one text (IDF degenerates to a constant: plain weighted coverage)."""
        return float(self.score_texts([text])[0])

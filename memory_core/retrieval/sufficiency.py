"""Typed sufficiency: whether the evidence holds an answer of the expected type.

The top retrieval score alone separates answerable from unanswerable questions poorly (ROC AUC
0.63 on the development week, bench/qa_calibrate.py): a near miss ("where did Daniel *stay* in
Lisbon?" against "Daniel flies to Lisbon") scores high, a paraphrase of the right moment scores
low. A second signal is the one extractive QA systems use to decide whether a passage answers
(answer-type checking, e.g. Harabagiu et al. 2000 "FALCON"; Moldovan et al. 2003 "Performance
issues and error analysis in an open-domain QA system"): does the evidence hold a span of the
expected answer type in a sentence that shares the question's content words?

Two rules, for questions answered from located evidence (not counts, orders, states or plans,
which have their own decisions):

- **gate**: a question that asks for a number, an amount of money or a place
  (:data:`SPAN_REQUIRED`), or for a person without being a "who" question ("what was the name of
  her sister?"), is not answered when no span of that type was extracted: the sentence shown
  would not contain the answer.
- **rescue**: when no hit reached the score thresholds, a weak hit still answers when its top
  score is at least ``min_evidence_score`` and a span of a checkable type (:data:`RESCUE_TYPES`)
  was extracted from a sentence holding at least ``typed_rescue_alignment`` of the question's
  content words (its own words, the speaker's name, or for on-screen text the words that point
  at a screen).
"""

from __future__ import annotations

from collections.abc import Sequence

from memory_core.retrieval.answer_types import AnswerType
from memory_core.retrieval.extract import SCREEN_WORDS, Extraction
from memory_core.retrieval.lexical import STOPWORDS, stem, tokenize
from memory_core.settings import RetrievalSettings

# forms of the light verbs (go, do, get, make, take, have, come, be) that STOPWORDS does not hold
_LIGHT = STOPWORDS | frozenset("""going goes gone doing getting gets gotten make makes making made take takes taking
took taken having come comes coming came being""".split())

__all__ = ["RESCUE_TYPES", "SPAN_REQUIRED", "alignment", "typed_sufficiency"]

SPAN_REQUIRED = frozenset({AnswerType.NUMBER, AnswerType.MONEY, AnswerType.PLACE})
RESCUE_TYPES = frozenset({AnswerType.NUMBER, AnswerType.MONEY, AnswerType.TIME, AnswerType.DATE, AnswerType.PLACE,
                          AnswerType.PERSON, AnswerType.OBJECT, AnswerType.LIST, AnswerType.YES_NO})


def alignment(keywords: Sequence[str], ex: Extraction) -> float:
    """Share in ``[0, 1]`` of the question's ``keywords`` (stemmed; stop words and the forms of light
    verbs such as "going" or "made" left out) found in the extraction's sentence, its speaker's name, or
    (on-screen text) :data:`SCREEN_WORDS`; 0.0 without keywords."""
    # light verbs ("going", "doing", "got") align with anything: only words that carry content count
    q = {stem(k) for k in keywords if k and k not in _LIGHT and stem(k) not in STOPWORDS}
    if not q:
        return 0.0
    seen = {stem(t) for t in tokenize(f"{ex.sentence} {ex.speaker or ''}") if t not in STOPWORDS}
    if ex.onscreen:
        seen |= SCREEN_WORDS
    return len(q & seen) / len(q)


def typed_sufficiency(sufficient: bool, atype: AnswerType, found: Extraction | None, keywords: Sequence[str],
                      top_score: float | None, settings: RetrievalSettings, *, who: bool = True) -> tuple[bool, str]:
    """The sufficiency of an answer from located evidence after extraction.

    Args:
        sufficient: the score rule's decision (``SearchContext.is_evidence`` on the primary).
        atype: the expected answer type.
        found: the span extracted from the evidence (from the weak hits when not ``sufficient``).
        keywords: the question's content words (``QuestionPlan.keywords``).
        top_score: combined score of the first evidence item (None: no evidence).
        settings: ``typed_sufficiency`` (off: the score rule alone), ``min_evidence_score`` and
            ``typed_rescue_alignment``.
        who: the question is a "who" question, whose answer falls back on the speakers and people
            of the evidence; a person asked otherwise ("what was the name of her sister?") has no
            such fallback, so it needs a person span like a number or a place does.

    Returns:
        ``(sufficient, rule)``: ``rule`` names what changed the decision ("gate: no <type> span",
        "rescue: <type> span, alignment 0.67") or is "" when the score rule stands.
    """
    if not settings.typed_sufficiency:
        return sufficient, ""
    if sufficient:
        if found is None and (atype in SPAN_REQUIRED or (atype is AnswerType.PERSON and not who)):
            return False, f"gate: no {atype.value} span in the evidence"
        return True, ""
    if (found is None or found.timestamp or atype not in RESCUE_TYPES or top_score is None
            or top_score < settings.min_evidence_score):
        return False, ""
    share = alignment(keywords, found)
    if share >= settings.typed_rescue_alignment:
        return True, f"rescue: {atype.value} span, alignment {share:.2f}"
    return False, ""

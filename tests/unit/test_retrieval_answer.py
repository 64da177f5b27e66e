"""Answer composition, evidence judgement and the flat-search accounting, without a model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from api_schemas import Kind, Level
from memory_core.retrieval import answer as compose
from memory_core.retrieval.context import Query, Scored, SearchContext
from memory_core.retrieval.lexical import LexicalScorer, stem
from memory_core.settings import RetrievalSettings

T = datetime(2026, 11, 16, 8, 0, 12, tzinfo=UTC)


class _Embedder:
    """Counts calls; every sentence gets the same vector."""

    name = version = "fake"
    dim = 4

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, texts):
        self.calls += 1
        return np.tile(np.array([1, 0, 0, 0], dtype=np.float32), (len(texts), 1))

    def embed_query(self, text):
        return np.array([1, 0, 0, 0], dtype=np.float32)


def _query(keywords, phrases=()) -> Query:
    return Query("q", np.array([1, 0, 0, 0], dtype=np.float32), LexicalScorer(keywords, phrases))


def _scored(score: float, lexical: float) -> Scored:
    return Scored("n1", Level.CLIP, Kind.EPISODIC, "cam1", T, T + timedelta(seconds=10), "text", score, lexical, score)


def test_time_formats():
    assert compose.fmt_when(T, UTC) == "Monday 16 November 2026 at 08:00:12 UTC"
    assert compose.fmt_when(T, ZoneInfo("Europe/Berlin")) == "Monday 16 November 2026 at 09:00:12 CET"
    assert compose.fmt_short(T, UTC) == "Mon 16 Nov 2026 08:00"


def test_sentences_keep_quotes_together():
    text = "Alice Parker said: 'The truck came. It left.' On screen: BAY 3. People visible: Bob."
    assert compose.split_sentences(text) == [
        "Alice Parker said: 'The truck came. It left.'", "On screen: BAY 3.", "People visible: Bob."]


def test_best_sentence_lexical_shortcut_and_model_path():
    emb = _Embedder()
    text = "Bob said: 'Hello there.' On screen: GATE 7 OPEN. People visible: Bob."
    assert compose.best_sentence(text, _query(["gate", "7"], ["gate 7"]), emb, 0.35) == "On screen: GATE 7 OPEN."
    assert emb.calls == 0  # a clear lexical winner needs no model call
    assert compose.best_sentence(text, _query(["weather"]), emb, 0.35) == "Bob said: 'Hello there.'"
    assert emb.calls == 1  # no lexical signal: sentences are embedded (ties: the first)
    assert compose.best_sentence("One sentence only.", _query(["x"]), emb, 0.35) == "One sentence only."


def test_names():
    assert compose.speaker_of("Alice Parker said: 'hi'") == "Alice Parker"
    assert compose.speaker_of("On screen: EXIT.") is None
    assert compose.leading_name("Carol Diaz is feeding the cat.") == "Carol Diaz"
    assert compose.leading_name("No speech. Dark scene.") is None


def test_compose_count_and_order():
    starts = [T + timedelta(days=i) for i in range(25)]
    text = compose.compose_count(starts, UTC, often=True, at_least=True)
    assert text.startswith("At least 25 times: Mon 16 Nov 2026 08:00;") and "and 5 more" in text
    assert text.endswith("On 25 distinct days.")
    assert compose.compose_count(starts[:1], UTC) == "1 time: Mon 16 Nov 2026 08:00."
    a, b = _scored(0.7, 1.0), _scored(0.7, 1.0)
    b.start = T + timedelta(hours=2)
    assert compose.compose_order("x", b, "y", a, UTC, None).startswith("\u201cy\u201d came first")
    assert compose.compose_order("x", a, "y", b, UTC, "after").startswith("No. ")
    assert compose.compose_order("x", a, "y", b, UTC, "before").startswith("Yes. ")


def test_is_evidence_needs_keywords_in_the_mid_zone():
    ctx = SearchContext(None, RetrievalSettings(), "t", None, None, None, 10, 5.0)
    q2 = _query(["astronaut", "eat", "moon"])
    assert ctx.is_evidence(_scored(0.60, 0.0), q2)  # strong cosine alone suffices
    assert not ctx.is_evidence(_scored(0.40, 0.3), q2)  # mid zone, one keyword of three
    assert ctx.is_evidence(_scored(0.40, 0.7), q2)
    assert not ctx.is_evidence(_scored(0.30, 1.0), q2)  # below min_evidence_score
    assert ctx.is_evidence(_scored(0.40, 0.0), _query(["truck"]))  # one keyword: cosine decides


def test_scope_filter_is_half_open():
    start = datetime(2026, 11, 17, tzinfo=UTC)
    ctx = SearchContext(None, RetrievalSettings(), "t", ["cam1"], start, start + timedelta(days=1), 10, 5.0)
    flt = ctx.filter(levels=[Level.CLIP], sources=["cam1", "cam2"])
    assert flt.tenant == "t" and flt.sources == ["cam1"]  # never wider than the question's sources
    assert start < flt.start < start + timedelta(seconds=1) and flt.end < start + timedelta(days=1)
    assert ctx.filter(scoped=False).start is None


def test_irregular_forms_stem_together():
    assert stem("fed") == stem("feeding") == stem("feeds")
    assert stem("ate") == stem("eating") and stem("made") == stem("making")


@pytest.mark.parametrize("reply", ["", "No citations here."])
def test_llm_reply_must_cite(reply):
    from api_schemas import Evidence
    from memory_core.providers.base import LLMError

    class _LLM:
        name = version = "fake"

        def complete(self, system, user, *, max_tokens=None):
            return reply

    ev = [Evidence(source="cam1", start=T, end=T, level=Level.CLIP, kind=Kind.EPISODIC, text="t", score=0.9)]
    with pytest.raises(LLMError):
        compose.compose_llm(_LLM(), "q", "what", ev, "draft", T)

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


def test_best_sentence_passes_over_a_spoken_fragment():
    """The tail of a sentence cut at a clip boundary ("Nora Vance said: 'Vance.'") names the speaker
    twice but says nothing: a longer sentence of hers answers "what did Nora Vance say?"."""
    emb = _Embedder()
    text = "Nora Vance said: 'Vance.' Nora Vance said: 'The boiler needs a new valve.'"
    got = compose.best_sentence(text, _query(["nora", "vance"], ["nora vance"]), emb, 0.35)
    assert got == "Nora Vance said: 'The boiler needs a new valve.'"
    only = "Nora Vance said: 'Vance.' People visible: Nora Vance."
    assert compose.best_sentence(only, _query(["nora", "vance"]), emb, 0.35) == "Nora Vance said: 'Vance.'"


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


def _ex(**kw):
    from memory_core.retrieval.answer_types import AnswerType
    from memory_core.retrieval.extract import Extraction

    base = dict(atype=AnswerType.NUMBER, answer="2550", span="two five five zero", sentence="It is now two five five zero.",
                speaker="Tom", onscreen=False, item=0, score=1.0)
    return Extraction(**{**base, **kw})


def test_typed_answer_comes_first_with_one_line_of_support():
    ev = _scored(0.8, 1.0)
    ev.start = datetime(2026, 3, 6, 8, 0, 4, tzinfo=UTC)
    assert compose.compose_typed(_ex(), ev, UTC) == (
        "2550 \u2014 said by Tom, Fri 6 Mar 2026 08:00 UTC: \u201cIt is now two five five zero.\u201d")
    shown = _ex(answer="WET FLOOR", span="WET FLOOR", sentence="WET FLOOR", speaker=None, onscreen=True)
    assert compose.compose_typed(shown, ev, UTC) == "WET FLOOR \u2014 shown on screen, Fri 6 Mar 2026 08:00 UTC"
    someone = _ex(answer="Thursday", span="Thursday", sentence="It moved to Thursday.", speaker="Someone")
    assert compose.compose_typed(someone, ev, ZoneInfo("Europe/Berlin")) == (
        "Thursday \u2014 said by an unidentified speaker, Fri 6 Mar 2026 09:00 CET: \u201cIt moved to Thursday.\u201d")


def test_timestamp_answers_are_the_recording_time():
    from memory_core.retrieval.answer_types import AnswerType

    ev = _scored(0.8, 1.0)
    when = _ex(atype=AnswerType.TIME, answer="", span="", sentence="The truck arrived.", speaker="Alice Parker", timestamp=True)
    assert compose.compose_typed(when, ev, UTC) == (
        "Mon 16 Nov 2026 08:00:12 UTC \u2014 said by Alice Parker: \u201cThe truck arrived.\u201d")
    day = _ex(atype=AnswerType.DATE, answer="", span="", sentence="The truck arrived.", speaker=None, timestamp=True)
    assert compose.compose_typed(day, ev, UTC) == (
        "Mon 16 Nov 2026 \u2014 recorded, Mon 16 Nov 2026 08:00 UTC: \u201cThe truck arrived.\u201d")


def test_state_answers_have_no_label_before_the_fact():
    text = compose.compose_state("I opened the back door.", T, UTC, episodic=True)
    assert text.startswith("I opened the back door. (last recorded Monday 16 November 2026")
    assert compose.compose_state("Door open.", T, UTC).startswith("Door open. (latest state")


def test_past_state_says_as_of_that_time_not_latest():
    later = T + timedelta(days=2)
    text = compose.compose_state("The van was parked behind the depot.", T, UTC, as_of=later)
    assert text.startswith("The van was parked behind the depot. (state as of Wednesday 18 November 2026 at 08:00:12 UTC")
    assert "latest" not in text and "recorded since Monday 16 November 2026" in text
    ep = compose.compose_state("The van was parked behind the depot.", T, UTC, episodic=True, as_of=later)
    assert ep.startswith("The van was parked behind the depot. (last recorded before Wednesday 18 November 2026")
    assert ep.endswith("Monday 16 November 2026 at 08:00:12 UTC)")


def test_llm_gets_the_typed_extraction():
    from api_schemas import Evidence

    class _LLM:
        name = version = "fake"

        def __init__(self):
            self.user = ""

        def complete(self, system, user, *, max_tokens=None):
            self.user = user
            return "2550 [1]"

    ev = [Evidence(source="cam1", start=T, end=T, level=Level.CLIP, kind=Kind.EPISODIC,
                   text="Tom said: 'The code changed. It is now two five five zero.'", score=0.9)]
    typed = compose.describe_extraction("number", _ex(), ev)
    assert typed == ("Expected answer type: number\nExtracted answer: 2550 [1] "
                     "(said by Tom, 2026-11-16T08:00:12+00:00: \"It is now two five five zero.\")")
    llm = _LLM()
    assert compose.compose_llm(llm, "What is the code?", "what", ev, "draft", T, typed=typed) == ("2550 [1]", True)
    assert typed in llm.user and "[1] 2026-11-16T08:00:12+00:00" in llm.user
    assert compose.describe_extraction("description", None, ev) == "Expected answer type: description"


def test_a_speaker_answer_is_not_named_twice():
    """'Who said the lift was broken?' -> 'Mia Berg — Fri 6 Mar 2026 08:00 UTC: "The lift is broken."'."""
    from memory_core.retrieval.answer_types import AnswerType

    ev = _scored(0.8, 1.0)
    ev.start = datetime(2026, 3, 6, 8, 0, 4, tzinfo=UTC)
    said = _ex(atype=AnswerType.PERSON, answer="Mia Berg", span="", sentence="The lift is broken.", speaker="Mia Berg")
    assert compose.compose_typed(said, ev, UTC) == "Mia Berg \u2014 Fri 6 Mar 2026 08:00 UTC: \u201cThe lift is broken.\u201d"
    about = _ex(atype=AnswerType.PERSON, answer="Oskar", span="Oskar", sentence="Oskar fixed the lift.", speaker="Mia Berg")
    assert compose.compose_typed(about, ev, UTC).startswith("Oskar \u2014 said by Mia Berg, Fri 6 Mar 2026 08:00 UTC")


def test_order_before_or_after_leads_with_the_side_and_uses_the_moments():
    a, b = _scored(0.8, 1.0), _scored(0.7, 1.0)  # one clip: both start at T
    later = T + timedelta(seconds=6)
    text = compose.compose_order("the kids left", a, "the rain started", b, UTC, None, later, T, ask_side=True)
    assert text.startswith("After. \u201cthe rain started\u201d came first")
    assert compose.compose_order("the kids left", a, "the rain started", b, UTC, None, T, later, ask_side=True).startswith("Before. ")
    assert compose.compose_order("x", a, "y", b, UTC, "after", later, T).startswith("Yes. ")
    assert compose.compose_order("x", a, "y", b, UTC, None, later, T).startswith("\u201cy\u201d came first")


def test_count_of_days_leads_with_the_distinct_days():
    starts = [T, T + timedelta(hours=3), T + timedelta(days=2)]
    assert compose.compose_count(starts, UTC, days=True) == "2 days: Mon 16 Nov 2026; Wed 18 Nov 2026 (3 times)."
    assert compose.compose_count(starts, UTC).startswith("3 times: ")


@pytest.mark.parametrize(("text", "days"), [
    ("On how many days did Omar cycle to work?", True),
    ("How many different days did we eat out last month?", True),
    ("How many days did the festival last?", False),  # a duration
    ("How many times did Omar cycle to work?", False),
])
def test_which_count_questions_ask_for_days(text, days):
    from memory_core.retrieval.stateforms import COUNT_PREFIX as _COUNT_PREFIX, HOW_MANY_DAYS as _HOW_MANY_DAYS

    assert bool(_HOW_MANY_DAYS.search(text)) is days
    if days:
        assert not _COUNT_PREFIX.sub("", text).lower().startswith(("on how", "how"))


@pytest.mark.parametrize(("text", "expected"), [
    ("How many swims did Lena do", "a swim"),
    ("how many calls did you make to the bank", "a call to the bank"),
    ("How many classes did the kids attend", "a class"),
    ("How many parties did we go to", None),  # "go to" is no light verb: the full question is the query
    ("How many boxes did we unload", None),  # the verb is the event
    ("How many times did I swim", None),
])
def test_a_count_with_a_light_verb_counts_the_noun(text, expected):
    from memory_core.retrieval.stateforms import count_event

    assert count_event(text) == expected

"""The form of state, plan, count and order questions, read for the retrieval agent's dispatch
(rules, no model; :mod:`memory_core.retrieval.agent` uses them):

- :func:`state_as_of`: the moment a state question is about (now, a past scope's end).
- :func:`event_anchor`: a state just before an event ("what was the code before it was changed").
- :func:`ongoing_who`: "who was looking after X on Tuesday" (a duty that may have begun before).
- :func:`asks_plan`: read the plan in force first ("when is the meeting", "when does Rose arrive").
- :data:`HOW_MANY_DAYS`, :data:`COUNT_PREFIX`: counting days, and the words a count query drops;
  :func:`count_event`: "how many runs did Tom do" counts "a run".
- :data:`BEFORE_OR_AFTER`: "did X happen before or after Y" (the answer leads with X's side).
"""

from __future__ import annotations

import re
from datetime import datetime

from api_schemas import QuestionType
from memory_core.retrieval import questionform
from memory_core.retrieval.context import SearchContext
from memory_core.retrieval.question import QuestionPlan
from memory_core.timeutil import ensure_aware

__all__ = ["BEFORE_OR_AFTER", "COUNT_PREFIX", "count_event", "HOW_MANY_DAYS", "asks_plan",
           "event_anchor", "ongoing_who", "state_as_of"]

# "on how many days did I ...": distinct days (not "how many days did the trip last": a duration)
HOW_MANY_DAYS = re.compile(
    r"^(?!.*\b(?:last(?!\s+(?:week|month|year|weekend|night|\w+day)\b)|lasts|lasted|take|takes|took|long)\b).*\bhow\s+many\s+(?:different\s+|separate\s+|distinct\s+)?days\b", re.I)
COUNT_PREFIX = re.compile(
    r"^\s*(?:on\s+|in\s+)?how\s+(?:many\s+(?:times|(?:different\s+|separate\s+|distinct\s+)?days)|often|frequently)"
    r"\s+(?:did|does|do|was|were|has|have|is|are|had)?\s*", re.I)
# "did X happen before or after Y": the answer leads with X's side ("Before." / "After.")
BEFORE_OR_AFTER = re.compile(r"\b(?:before\s+or\s+after|after\s+or\s+before|earlier\s+or\s+later|later\s+or\s+earlier)\b", re.I)


def asks_plan(plan: QuestionPlan) -> bool:
    """Whether to read the plan in force first: the parser's ``plan.asks_plan`` ("what is planned
    for Thursday", "when was the bike supposed to be ready", and a present or future "when is / does
    / will ..." question, :func:`memory_core.retrieval.questionform.asks_when_scheduled`). Without a
    plan on the subject the question is answered from episodic memory as usual, so reading plans
    first costs one search."""
    return plan.asks_plan


_ANCHOR = re.compile(
    r"^(?P<main>.+?)\s+before\s+(?P<clause>(?:it|they|he|she|we|i|you|someone|somebody|anyone|(?:the|my|our|his|her|their)\s+[\w' -]+?|[A-Z][\w'-]+)"
    r"\s+(?:was\s+|were\s+|got\s+|had\s+(?:been\s+)?|has\s+(?:been\s+)?|have\s+(?:been\s+)?)?(?P<verb>[a-z]+)\b.*?)\s*[?.!]*\s*$", re.I)
_PRONOUN = re.compile(r"\b(?:it|they|them|he|she|him|her|someone|somebody|anyone)\b", re.I)


def event_anchor(plan: QuestionPlan) -> tuple[str, str] | None:
    """``(state question, event)`` for a state asked just before an event ("What was the gate code
    before it was changed?" -> ``("What was the gate code", "the gate code changed")``: the
    clause's pronouns stand for the question's subject); ``None`` unless the main clause asks about
    a state in the past tense and the clause after "before" has a past verb (a
    time, "before Friday", is the parser's scope, not an event). State and tense are read on the
    main clause (:mod:`questionform`)."""
    if plan.qtype not in (QuestionType.WHAT, QuestionType.WHERE, QuestionType.WHO):
        return None
    m = _ANCHOR.match(plan.text.strip())
    if not m or not questionform.is_state(m.group("main")) or questionform.tense(m.group("main")) != "past":
        return None
    verb = m.group("verb").lower()
    if not (verb.endswith("ed") or verb in _PAST_VERBS):
        return None
    main = m.group("main").strip()
    subject = re.sub(r"^(?:what|where|who|which|how)\b(?:\s+\w+)?\s+(?:was|were)\s+", "", main, flags=re.I).strip()
    subject = re.sub(r"(?<=\w)\s+(?:kept|left|parked|stored|held|hidden|\w+ed)$", "", subject)  # "the van parked" -> "the van"
    clause = re.sub(r"\b(?:was|were|got|had|has|have|been)\b", " ", m.group("clause"), flags=re.I)
    event = " ".join(_PRONOUN.sub(subject, clause).split())
    return main, event


_PAST_VERBS = frozenset("went came left took got gave made put sold moved broke set reset fixed paid".split())


_ONGOING_WHO = re.compile(r"^\s*who\s+(?:was|were)\s+(?!\w+ing\s+(?:on|at|in)\b)[a-z]{3,}ing\b", re.I)


def ongoing_who(plan: QuestionPlan, now: datetime) -> bool:
    """Whether ``plan`` asks who was doing something ongoing at a past time ("Who was looking
    after the dog on Tuesday?", "who was staying with Gran last week?"): a who-question in the past
    progressive with a time scope that ended before ``now``. The duty may have begun before the
    scope, so it is read like a past state (latest record up to the scope's end). A progressive
    verb followed directly by "on/at/in" ("who was cooking on Tuesday") is an activity at that time,
    not a duty: it is left to the scoped search."""
    s = plan.scope
    return (plan.qtype is QuestionType.WHO and s is not None and s.end is not None and s.end <= now
            and bool(_ONGOING_WHO.search(plan.text)))


def state_as_of(plan: QuestionPlan, ctx: SearchContext, now: datetime) -> datetime | None:
    """The moment a state question is about, or ``None`` when the question is not about a state:
    ``plan.as_of`` when the parser set it (a state at a past time, "where was the bike on
    Thursday?"); for ``current_state`` now (or the end of the scope when that is earlier)."""
    if plan.as_of is not None:
        return min(ensure_aware(plan.as_of), now)
    if plan.qtype is QuestionType.CURRENT_STATE:
        return min(now, ctx.end) if ctx.end else now
    return None


_LIGHT_COUNT = re.compile(
    r"^\s*(?:on\s+)?how\s+many\s+(?P<noun>[a-z]{3,}s)\s+(?:did|do|does|have|has|had)\s+(?P<subj>.+?)\s+"
    r"(?:do|have|make|take|go\s+on|get|attend|go\s+for)\b(?P<rest>[^?]*)\??\s*$", re.I)


def _singular(noun: str) -> str:
    n = noun.lower()
    if n.endswith("ies") and len(n) > 4:
        return n[:-3] + "y"
    if re.search(r"(?:ss|x|ch|sh)es$", n):
        return n[:-2]
    return n[:-1] if n.endswith("s") and not n.endswith("ss") else n


def count_event(content: str) -> str | None:
    """The thing a "how many <nouns> did <someone> <light verb>" question counts, as a query:
    ``"How many runs did Tom do"`` -> ``"a run"``; ``"how many calls did you make to the bank"``
    -> ``"a call to the bank"``. With a light verb (do, have, make, take, go on, go for, get,
    attend) the noun names the event, and the question's other words only dilute its vector
    (the person stays a filter: the question's entities). ``None`` for other questions ("how many
    boxes did we unload": the verb is the event)."""
    m = _LIGHT_COUNT.match(content)
    if not m:
        return None
    rest = " ".join(m.group("rest").split())
    return f"a {_singular(m.group('noun'))}" + (f" {rest}" if rest else "")

"""The grammatical form of a question, read with regular expressions (no model): yes/no or not,
tense, whether it asks about a state or an event, whether it asks about a plan, and which of its
time expressions name the time a plan is *for*.

Rules (English; each a general grammatical cue, not a word list fitted to one data set):

- **yes/no**: the question opens with an auxiliary or copula ("is", "was", "did", "has", "can",
  "will", ... with or without "n't"/"not").
- **tense**: from the first auxiliary or copula ("did"/"was"/"were"/"had" past; "will"/"shall"/
  "'ll"/"going to"/"gonna" future; "is"/"are"/"do"/"does"/"has"/"can" and "'s"/"'re" present); without
  one, past when a word has a past form (regular "-ed" of 5+ letters or a common irregular past), else
  present.
- **state**: the main verb is the copula ("where was Tom", "is the door open", "what was the code")
  or possessive "have" ("do we have milk"), and the predicate holds no progressive verb ("was Tom
  cooking") and no event participle ("was the parcel delivered", "what was said"); resultative
  participles that describe a condition ("closed", "locked", "parked", "switched on") stay states.
  A past verb in a clause of the predicate ("what colour was the van that came yesterday") makes
  the time belong to that event, so it is not a state question either.
- **habitual**: "usually", "normally", "always", "often", "ever", "typically", "generally",
  "every": a routine, not a state at one time.
- **plan**: a plan or schedule word ("plan", "scheduled", "moved to", "postponed", "supposed to",
  "due", "appointment", "agenda", "will", "going to" + verb...), or a future-only time expression
  (see :mod:`memory_core.retrieval.plantime`).
- **plan target**: in a plan question, a time expression introduced by "for", "to", "until",
  "till" or "by", and, unless the question is in the past tense, any other one ("is the meeting
  still on Thursday"), names the time the plan is for; past-only expressions ("yesterday", "ago",
  "last ...", "since ...") and, in past-tense questions, the others name when the plan was said and
  stay in the search scope ("what did we plan on Monday").
"""

from __future__ import annotations

import re

__all__ = [
    "asks_when_scheduled", "is_habitual", "is_plan", "is_state", "is_target_expression", "is_yes_no", "tense",
]

_AUX = (r"is|are|am|was|were|do|does|did|has|have|had|can|could|will|would|should|shall|may|might|must")
_YES_NO = re.compile(rf"^\s*(?:(?:and|so|hey|ok|okay|also)\b[\s,]*)?(?:{_AUX})(?:n't|\s+not)?\b", re.I)
_FIRST_AUX = re.compile(
    r"(?P<fut>\bwill\b|\bwon't\b|\bshall\b|'ll\b|\bgoing\s+to\b(?!\s+(?:the|a|an|my|his|her|their|our|your|its|be\s+at)\b)|\bgonna\b)"
    r"|(?P<past>\b(?:was|were|did|had|wasn't|weren't|didn't|hadn't)\b)"
    r"|(?P<pres>\b(?:is|are|am|do|does|has|have|can|isn't|aren't|don't|doesn't|hasn't|haven't|can't)\b|'s\b|'re\b)",
    re.I,
)
_IRREGULAR_PAST = frozenset(
    "came went said saw left took gave brought bought sent told made found got put ate drank drove rode ran "
    "wrote spoke met paid sold kept held thought heard knew stood sat fell forgot began broke chose wore won "
    "lost built caught taught fed led read rang sang".split()
)
_COPULA = re.compile(r"\b(?:is|are|am|was|were|isn't|aren't|wasn't|weren't)\b|'s\b|'re\b", re.I)
_HAVE_POSSESSION = re.compile(
    r"\b(?:have|has|had)\s+(?:got\s+)?(?:any|a|an|the|some|enough|no|much|many|\d+)\b", re.I)
_ING_NOUNS = frozenset(
    "morning evening nothing something anything everything thing during ceiling building meeting wedding "
    "parking clothing pudding ring spring string king wing sibling awning icing stuffing".split()
)
_DETERMINERS = frozenset("the a an my your his her its our their this that these those some any no".split())
# participles of events ("was the parcel delivered") vs. resultative states ("was the door locked")
_IRREGULAR_PARTICIPLES = frozenset(
    "said told done seen heard given taken brought bought sent shown written made eaten found thrown "
    "built caught taught fed read sold paid won lost met spoken driven ridden begun broken chosen".split()
)
_RESULTATIVE = frozenset(
    "closed locked unlocked shut opened parked plugged unplugged switched turned charged stored stocked "
    "filled emptied covered blocked connected disconnected mounted attached installed broken left kept "
    "lit hidden set painted".split()
)
_HABITUAL = re.compile(r"\b(?:usually|normally|always|often|ever|typically|generally|regularly|every)\b", re.I)
_PLAN = re.compile(
    r"\b(?:plan|plans|planned|planning|schedule|schedules|scheduled|reschedul(?:e|ed|ing)|"
    r"mov(?:e|ed|ing)\s+(?:it\s+)?(?:to|back|forward)|postpon(?:e|ed|ing)|push(?:ed)?\s+(?:back\s+)?to|"
    r"brought\s+forward|supposed\s+to|meant\s+to|promised\s+to|intend(?:s|ed)?\s+to|agenda|appointment|"
    r"booked|due|upcoming|coming\s+up|arranged|will|won't|shall|gonna)\b|'ll\b"
    r"|\bgoing\s+to\b(?!\s+(?:the|a|an|my|his|her|their|our|your|its)\b)",
    re.I,
)
# "when is the meeting?", "when does Rose arrive?", "when's the dentist?": a present or
# future "when" question asks for a scheduled time (a plan), unless it is a state ("when is the
# door open" is then read by the state rules first)
_WHEN_SCHEDULED = re.compile(
    r"^\s*(?:and\s+|so\s+)?(?:when|what\s+(?:time|day|date))\s+(?:is|are|will|does|do|'s)\b|^\s*when's\b", re.I)
_TARGET_PREP = re.compile(r"\b(?:for|to|until|till|by)\s*$", re.I)
_PAST_ONLY = re.compile(r"\b(?:yesterday|ago|last|past|previous|earlier|since)\b", re.I)
_WORD = re.compile(r"[A-Za-z']+")


def is_yes_no(text: str) -> bool:
    """True when ``text`` opens with an auxiliary or copula ("Is the door open?")."""
    return bool(_YES_NO.match(text))


def tense(text: str) -> str:
    """``"past"``, ``"present"`` or ``"future"`` (rules in the module docstring)."""
    m = _FIRST_AUX.search(text)
    if m:
        return "future" if m.group("fut") else "past" if m.group("past") else "present"
    for w in _WORD.findall(text.lower()):
        if w in _IRREGULAR_PAST or (len(w) >= 5 and w.endswith("ed")):
            return "past"
    return "present"


def _predicate_is_event(words: list[str]) -> bool:
    for i, w in enumerate(words):
        prev = words[i - 1] if i else ""
        if len(w) >= 5 and w.endswith("ing") and w not in _ING_NOUNS and prev not in _DETERMINERS:
            return True  # progressive: "was Tom cooking"
        if w in _RESULTATIVE:
            continue
        if w in _IRREGULAR_PARTICIPLES or (len(w) >= 5 and w.endswith("ed") and prev not in _DETERMINERS):
            return True  # passive of an event: "was the parcel delivered", "what was said"
        if w in _IRREGULAR_PAST:
            return True  # an event in a clause: "what colour was the van that came yesterday"
    return False


def is_state(text: str) -> bool:
    """True when ``text`` asks about a state (copula or possessive "have", no progressive verb and
    no event participle after it); see the module docstring."""
    have = _HAVE_POSSESSION.search(text)
    if have is not None and not text[: have.start()].strip(" ,").split():
        have = None  # "Has the plumber been?": the opening auxiliary, followed by its subject
    m = _COPULA.search(text) or have
    if m is None:
        return False
    if have is None and re.search(r"\b(?:did|does|do|has|have|had)\b", text[: m.start()], re.I):
        return False  # "what did Tom say was ..." : the main verb is the event before the copula
    words = [w.lower() for w in _WORD.findall(text[m.end():])]
    return not _predicate_is_event(words)


def is_habitual(text: str) -> bool:
    """True for a routine ("do I usually ...", "every morning"), which is not a state at one time."""
    return bool(_HABITUAL.search(text))


def is_plan(text: str) -> bool:
    """True when ``text`` has a plan or schedule cue (see the module docstring); future-only time
    expressions are checked by the caller."""
    for m in _PLAN.finditer(text):
        word = m.group(0)
        if word == "Will" and text[: m.start()].strip(" ,"):
            continue  # "Did Will call?": a name, not the auxiliary
        return True
    return False


def asks_when_scheduled(text: str) -> bool:
    """True for a present/future "when is X?" / "what time is X?" question: it asks for the time
    something is scheduled for, so the plans in memory answer it (the state and event paths are
    the fallback when no plan is found)."""
    return bool(_WHEN_SCHEDULED.search(text))


def is_target_expression(text: str, span: tuple[int, int], past: bool) -> bool:
    """Whether the time expression at ``span`` of plan question ``text`` names the time the plan is
    for (True) or when it was said (False). ``past``: the question is in the past tense."""
    expr = text[span[0]:span[1]].lower()
    if _PAST_ONLY.search(expr):
        return False  # "yesterday", "3 days ago", "last week": always when it was said
    if _TARGET_PREP.search(text[: span[0]]) or re.match(r"(?:until|till|by)\b", expr):
        return True
    return not past

"""Question understanding without a model: type, content query, keywords, entities, time scope.

Rules (checked on the question with its time expressions removed, first match wins):

1. ``order`` when two events can be read off: "did X happen before or after Y", "which came first,
   X or Y", "X or Y, which happened first", "which did I do first/last, X or Y", "did X happen
   before Y", "was X earlier or later than Y", "in what order did X and Y".
2. ``how_many``: "how many", "how often", "how frequently", "number of times"; "count" only as the
   request itself ("count the deliveries", "can you count ...", "the count of ..."), not as a noun
   in other questions ("what did Tom say about the head count").
3. ``when``: starts with "when", or "what time|day|date", "which day|date", "at what time".
   "first"/"last"/"most recent" set ``ordinal`` ("when did I last water the plants").
4. ``who``: "who", "whom", "whose", "which person".
5. ``current_state``: "now", "currently", "current", "latest", "still", "at the moment",
   "these days" (read on the original text, since "now"-words are stripped from the content); or a
   present-tense yes/no question about a state with no past time and no habit word ("Is the back
   door open?", "Are the lights on in the kitchen?").
6. ``where``: "where".  7. ``what`` otherwise.

Beside the type, the plan records the question's form (:mod:`~memory_core.retrieval.questionform`):
``yes_no``, ``tense``, ``state``; ``as_of`` for a state at a past time; ``asks_plan`` and
``plan_for`` for plans; ``order_pick`` for "which came first/last"; see :class:`QuestionPlan`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo

from api_schemas import QuestionType
from memory_core.retrieval import questionform as form
from memory_core.retrieval.lexical import STOPWORDS, tokenize
from memory_core.retrieval.plantime import FUTURE_EXPRESSIONS, future_scope
from memory_core.retrieval.timeparse import TimeScope, parse_time_scope, strip_time_expressions
from memory_core.retrieval.timerules import find_pieces
from memory_core.timeutil import TimeRangeError

__all__ = ["QuestionPlan", "extract_keywords", "extract_phrases", "match_entities", "parse_question"]

_GENERIC_NAME_TOKENS = frozenset(
    "person people speaker voice face text unknown man woman someone somebody name camera".split()
)


@dataclass(slots=True)
class QuestionPlan:
    """What the agent needs from a question.

    ``content`` is the question without time expressions (what gets embedded); ``keywords`` are its
    lower-case content words; ``phrases`` exact strings worth a bonus (quoted, capitalised runs,
    numbers; lower-case); ``entity_ids``/``entity_names`` the known entities named in it;
    ``sub_queries`` the two events of an ``order`` question; ``relation`` "before"/"after" when the
    question asserts one; ``ordinal`` "first"/"last" for "when did X first/last ...".

    Form of the question (rules in :mod:`memory_core.retrieval.questionform`):

    - ``yes_no``: it opens with an auxiliary or copula ("Was the door open ...?").
    - ``tense``: ``"past"``, ``"present"`` or ``"future"``.
    - ``state``: it asks about a state (a condition that holds over time: "where was Tom", "is the
      door open", "what was the code"), not an event.
    - ``as_of``: for a state asked at a past time ("where was X on Thursday", "was the door open
      yesterday evening", "what was the code before Friday"), the end of that time (aware UTC,
      ``min(scope.end, now)``): the answer is the latest state that began before it, which may have
      begun before the scope's start, so the search scope for it is ``(open, as_of)``. ``None`` for
      events, for states asked as of now, for ``who``/``when``/``how_many``/``order`` questions, for
      existence questions ("was there anyone in the house last week") and for yes/no questions over
      more than a day ("was the door open last week": at any time in it, not at its end).
    - ``asks_plan``: it asks about a plan or schedule ("what is planned for Thursday", "when is the
      meeting moved to") rather than a fact that happened; ``plan_for`` is the time the plan is for
      (a :class:`TimeScope`, possibly in the future: "tomorrow", "next week", the coming
      "Thursday") and is kept out of ``scope``, which then only holds when the plan was said.
    - ``order_pick``: ``"first"``/``"last"`` when an ``order`` question asks which of its two events
      came first or last; ``None`` for "did X happen before (or after) Y".
    """

    text: str
    qtype: QuestionType
    content: str
    keywords: list[str]
    phrases: list[str] = field(default_factory=list)
    entity_ids: list[str] = field(default_factory=list)
    entity_names: list[str] = field(default_factory=list)
    scope: TimeScope | None = None
    sub_queries: list[str] = field(default_factory=list)
    relation: str | None = None
    ordinal: str | None = None
    onscreen: bool = False  # the question asks for on-screen text (OCR)
    yes_no: bool = False
    tense: str = "present"
    state: bool = False
    as_of: datetime | None = None
    asks_plan: bool = False
    plan_for: TimeScope | None = None
    order_pick: str | None = None

    @property
    def across_days(self) -> bool:
        """True when the time scope spans more than one day or is open ("how many times this week",
        "since Monday", no scope): counts then gather distinct occurrences across days."""
        s = self.scope
        return s is None or s.start is None or s.end is None or (s.end - s.start).total_seconds() > 86400

    @property
    def generic(self) -> bool:
        """True when the question names no content (e.g. "what happened yesterday?")."""
        return not self.keywords and not self.phrases and not self.entity_ids


_TAIL = r"\s*[?.!]*\s*$"
_EVENT_VERB = r"(?:\s+(?:happen|happened|come|came|occur|occurred|take place|took place|start|started))?"
# "which came first", "what did I do first", "which one happened earlier", "which was last"
_WHICH = (r"(?:which|what)(?:\s+(?:one|event|thing))?\s+(?:(?:did|do)\s+\w+\s+do|came|happened|was|occurred|come|happen)"
          r"\s+(?P<pick>first|earlier|sooner|last|later|second)")
_ORDER_PATTERNS: list[tuple[re.Pattern, str | None]] = [
    (re.compile(rf"^(?:and\s+)?{_WHICH}\s*[,:;-]?\s*(?P<a>.+?)\s+or\s+(?P<b>.+?){_TAIL}", re.I), None),
    (re.compile(rf"^(?:first\s*[,:;-]\s*)(?P<a>.+?)\s+or\s+(?P<b>.+?){_TAIL}", re.I), None),
    (re.compile(rf"^(?P<a>.+?)\s+or\s+(?P<b>.+?)\s*[,:;-]?\s*{_WHICH}{_TAIL}", re.I), None),
    (re.compile(rf"^(?:did|was|were|is|does|do|has|had)\s+(?P<a>.+?){_EVENT_VERB}\s+(?:before\s+or\s+after|after\s+or\s+before|earlier\s+or\s+later\s+than)\s+(?P<b>.+?){_TAIL}", re.I), None),
    (re.compile(rf"^in\s+(?:what|which)\s+order\s+(?:did|were|was)\s+(?P<a>.+?)\s+and\s+(?P<b>.+?)(?:\s+(?:happen|occur|come))?{_TAIL}", re.I), None),
    (re.compile(rf"^(?:did|was|were|does|do|has|had)\s+(?P<a>.+?){_EVENT_VERB}\s+(?P<rel>before|after|earlier than|later than)\s+(?P<b>.+?){_TAIL}", re.I), "rel"),
]
_HOW_MANY = re.compile(
    r"\bhow\s+(?:many|often)\b|\bnumber\s+of\s+times\b|\bhow\s+frequently\b"
    r"|^\s*(?:(?:please|can\s+you|could\s+you|would\s+you)\s+)?count\b|\b(?:the|a|total)\s+count\s+of\b",
    re.I,
)
_WHEN = re.compile(r"^\s*(?:and\s+|so\s+)?when\b|\bwhat\s+(?:time|day|date)\b|\bwhich\s+(?:day|date)\b|\bat\s+what\s+time\b|\bhow\s+long\s+ago\b", re.I)
_WHO = re.compile(r"\bwho(?:m|se)?\b|\bwhich\s+person\b|\bby\s+whom\b", re.I)
_STATE = re.compile(r"\b(?:now|currently|current|latest|still|at\s+the\s+moment|these\s+days|right\s+now|at\s+present|presently)\b", re.I)
_WHERE = re.compile(r"\bwhere\b", re.I)
_FIRST = re.compile(r"\b(?:first|earliest)\b", re.I)
# Questions about on-screen text. Memory text renders OCR as "On screen: ...", so these questions
# search for "screen" and drop the verbs ("written", "displayed") that never occur in memory text.
_ONSCREEN = re.compile(
    r"\b(?:written|writing|on[- ]?screen|signs?|signage|caption(?:s|ed)?|displayed|display|banner|placard|"
    r"label(?:led|ed)?|(?:what|which)\s+text|text\s+(?:on|in)|says?\s+on|read\s+on)\b",
    re.I,
)
_ONSCREEN_NOISE = {"written", "writing", "displayed", "display", "shown", "show", "says", "say", "read", "text",
                   "sign", "signs", "signage", "caption", "captions", "captioned", "banner", "placard",
                   "label", "labelled", "labeled", "onscreen", "screen"}
_LAST = re.compile(r"\b(?:last|most\s+recent(?:ly)?|latest)\b", re.I)
# "was there anyone ...", "was anything ...": existence at any time in the scope, not a state at its end
_EXISTENTIAL = re.compile(r"\b(?:there|anyone|anybody|anything|someone|somebody|something)\b", re.I)
# polite openers that hide the question word: "tell me when ...", "any idea where ..."
_OPENER = re.compile(
    r"^\s*(?:(?:please|hey|ok|okay|so)\b[\s,]*)*(?:(?:can|could|would)\s+you\s+)?(?:please\s+)?"
    r"(?:tell\s+me|remind\s+me(?:\s+of)?|show\s+me|let\s+me\s+know|find\s+out|check|do\s+you\s+(?:know|remember)|"
    r"any\s+idea|(?:i\s+)?wonder|i\s+(?:need|want)\s+to\s+know)\s*,?\s+(?=(?:when|where|who|whom|whose|what|which|how|if|whether)\b)",
    re.I,
)
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”|(?<!\w)'([^']+)'(?!\w)")
_CAP_TOKEN = re.compile(r"[A-Z][A-Za-z0-9'-]*|\d+[A-Za-z]?")


def extract_keywords(text: str) -> list[str]:
    """Lower-case content words of ``text`` in order, unique, stop words removed."""
    return list(dict.fromkeys(t for t in tokenize(text) if t not in STOPWORDS))


def extract_phrases(text: str) -> list[str]:
    """Exact phrases (lower-case): quoted strings, runs of Capitalised/ALL-CAPS words and numbers
    (``"GATE 7"``, ``"Alice Parker"``), and numbers; leading stop words are dropped, so a question
    word at the start of the sentence is not a phrase."""
    phrases: list[str] = []
    for m in _QUOTED.finditer(text):
        phrases.append(next(g for g in m.groups() if g))
    run: list[str] = []
    run_at_start = False

    def flush() -> None:
        while run and run[0].lower() in STOPWORDS:
            run.pop(0)
        # a lone Titlecase word opening a sentence is just capitalisation ("Describe ...")
        lone_opening = run_at_start and len(run) == 1 and not run[0].isupper()
        if run and not lone_opening and any(not w.isdigit() for w in run):
            phrases.append(" ".join(run))
        run.clear()

    sentence_start = True
    for m in re.finditer(r"\S+", text):
        raw = m.group(0)
        word = raw.strip("?.!,;:()[]\"“”")
        if word and _CAP_TOKEN.fullmatch(word):
            if not run:
                run_at_start = sentence_start
            run.append(word)
        else:
            flush()
        if raw[-1:] in "?.!,;:":
            flush()
        sentence_start = raw[-1:] in "?.!"
        if run and sentence_start:
            flush()
    flush()
    phrases.extend(t for t in tokenize(text) if t.isdigit())
    return list(dict.fromkeys(p.lower() for p in phrases if p.strip()))


def match_entities(text: str, known_entity_names: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """Entities named in ``text``. ``known_entity_names`` maps a display name or label to the ids
    of the entities that carry it (a person's face, voice and name entities may share one name).

    A name matches when all its tokens occur contiguously in the question (case-insensitive:
    "person 1", "gate 7 open"), or when one of its Titlecase tokens of 3+ letters that is not a
    stop word or a generic word ("Person") occurs as a question token ("alice" matches
    "Alice Parker"; "GATE 7 OPEN", being on-screen text in capitals, needs the full string).

    Returns:
        ``(entity_ids, names)``, unique, in order of the names' first occurrence.
    """
    q_tokens = tokenize(text)
    q_joined = " " + " ".join(q_tokens) + " "
    q_set = set(q_tokens)
    hits: list[tuple[int, str, list[str]]] = []
    for name, ids in known_entity_names.items():
        n_tokens = tokenize(name)
        if not n_tokens:
            continue
        phrase = " " + " ".join(n_tokens) + " "
        pos = q_joined.find(phrase)
        if pos < 0:
            words = re.findall(r"[A-Za-z][A-Za-z'-]*", name)
            partial = [
                w.lower() for w in words
                if len(w) >= 3 and w[0].isupper() and w[1:].islower()
                and w.lower() not in STOPWORDS and w.lower() not in _GENERIC_NAME_TOKENS
            ]
            found = [w for w in partial if w in q_set]
            if not found:
                continue
            pos = q_joined.find(" " + found[0] + " ")
        hits.append((pos, name, list(ids)))
    hits.sort(key=lambda h: h[0])
    ids_out = list(dict.fromkeys(i for _, _, ids in hits for i in ids))
    names_out = list(dict.fromkeys(n for _, n, _ in hits))
    return ids_out, names_out


def _clean_sub_query(text: str) -> str:
    text = re.sub(r"^(?:the\s+time\s+|when\s+)", "", text.strip(" ,;:-?"), flags=re.I)
    return re.sub(r"\s+(?:happened|happen|first)$", "", text, flags=re.I).strip()


def _scopes(text: str, now: datetime, tz: tzinfo, asks_plan: bool, past: bool) -> tuple[TimeScope | None, TimeScope | None]:
    """``(scope, plan_for)``: the search scope, and for a plan question the time the plan is for.

    In a plan question each time expression is either the plan's target or when it was said
    (:func:`~memory_core.retrieval.questionform.is_target_expression`); each side is resolved on the
    question with the other side's expressions blanked out. A bare day-name target ("Thursday",
    "the weekend") is its earliest occurrence that ends after the plan was said (the scope's start)
    or, without one and unless the question is in the past tense, after today began ("what is
    planned for Thursday" on a Saturday: next Thursday); "this Thursday", "last weekend" and dates
    stay as :func:`parse_time_scope` resolves them.
    """
    if not asks_plan:
        return parse_time_scope(text, now, tz), None
    local = (now.replace(tzinfo=tz) if now.tzinfo is None else now).astimezone(tz)
    pieces = find_pieces(text, local)
    targets = [p for p in pieces if form.is_target_expression(text, p.span, past)]

    def blank(keep: list) -> str:
        out = list(text)
        for p in pieces:
            if p not in keep:
                out[p.span[0]:p.span[1]] = " " * (p.span[1] - p.span[0])
        return "".join(out)

    said = [p for p in pieces if p not in targets]
    scope = parse_time_scope(blank(said), now, tz) if said else None
    plan_for = future_scope(text, now, tz)
    if plan_for is None and targets:
        plan_for = parse_time_scope(blank(targets), now, tz)
        # a plan is for a time after it was made: a weekday target is the first such day on or after
        # the day it was said (the search scope), else on or after today unless the question is past
        today_start = datetime.combine(local.date(), datetime.min.time(), tz).astimezone(UTC)
        ref = scope.start if scope is not None and scope.start is not None else None if past else today_start
        # a bare day name ("Thursday", "the weekend") recurs; "this Thursday" / "last weekend" do not move
        weekday_target = any(p.recurring or (p.weekday and p.weekday[1] == "on") for p in targets)
        if plan_for is not None and ref is not None and weekday_target and plan_for.end is not None:
            # whole weeks to move it by so that it is the earliest occurrence ending after ref
            # (an empty intersection stays as it is)
            weeks = (ref - plan_for.end) // timedelta(days=7) + 1
            if weeks != 0 and plan_for.start != plan_for.end:
                shift = timedelta(days=7 * weeks)
                plan_for = replace(plan_for, start=plan_for.start + shift if plan_for.start else None,
                                   end=plan_for.end + shift, label=plan_for.label + f" (moved {weeks:+d} weeks)")
    return scope, plan_for


def parse_question(
    text: str,
    now: datetime,
    known_entity_names: dict[str, list[str]] | None = None,
    tz: tzinfo = UTC,
) -> QuestionPlan:
    """Parse ``text`` into a :class:`QuestionPlan` (type rules in the module docstring).

    Args:
        text: the question.
        now: the moment relative expressions are resolved against (aware).
        known_entity_names: display name or label -> entity ids (see :func:`match_entities`).
        tz: the user's time zone for day boundaries.

    Raises:
        TimeRangeError: when a time expression leaves the calendar ('the last 99999999 days').
    """
    tense = form.tense(text)
    asks_plan = (form.is_plan(text) or FUTURE_EXPRESSIONS.search(text) is not None
                 or form.asks_when_scheduled(text))
    try:
        scope, plan_for = _scopes(text, now, tz, asks_plan, tense == "past")
    except OverflowError:
        raise TimeRangeError("a time expression in the question falls outside the supported range") from None
    content = strip_time_expressions(FUTURE_EXPRESSIONS.sub(" ", text) if asks_plan else text) or text
    sub_queries: list[str] = []
    relation = order_pick = None
    for pattern, rel in _ORDER_PATTERNS:
        m = pattern.search(content.strip())
        if m:
            a, b = _clean_sub_query(m.group("a")), _clean_sub_query(m.group("b"))
            if a and b and extract_keywords(a) and extract_keywords(b):
                sub_queries = [a, b]
                relation = m.group("rel").lower() if rel else None
                pick = (m.groupdict().get("pick") or "").lower()
                order_pick = "first" if pick in ("first", "earlier", "sooner") else "last" if pick else None
                break
    yes_no = form.is_yes_no(text)
    state = form.is_state(content)
    now_utc = (now if now.tzinfo else now.replace(tzinfo=tz)).astimezone(UTC)
    past_time = scope is not None and scope.end is not None and scope.end <= now_utc
    asked = _OPENER.sub("", content)  # the question word leads after a polite opener
    if sub_queries:
        qtype = QuestionType.ORDER
    elif _HOW_MANY.search(content):
        qtype = QuestionType.HOW_MANY
    elif _WHEN.search(asked):
        qtype = QuestionType.WHEN
    elif _WHO.search(content):
        qtype = QuestionType.WHO
    elif _STATE.search(text) and not _FIRST.search(content):
        qtype = QuestionType.CURRENT_STATE
    elif (yes_no and state and tense == "present" and not past_time and not asks_plan
          and not form.is_habitual(text)):
        qtype = QuestionType.CURRENT_STATE  # "Is the back door open?"
    elif _WHERE.search(content):
        qtype = QuestionType.WHERE
    else:
        qtype = QuestionType.WHAT
    ordinal = None
    if qtype in (QuestionType.WHEN, QuestionType.WHAT, QuestionType.WHO, QuestionType.WHERE):
        ordinal = "first" if _FIRST.search(content) else "last" if _LAST.search(content) else None
    entity_ids, entity_names = match_entities(text, known_entity_names or {})
    keywords = extract_keywords(content)
    onscreen = bool(_ONSCREEN.search(content))
    if onscreen:
        keywords = [k for k in keywords if k not in _ONSCREEN_NOISE] + ["screen"]
    as_of = None
    if (state and tense == "past" and scope is not None and scope.end is not None and not asks_plan
            and (not yes_no or scope.start is None or scope.end - scope.start <= timedelta(days=1))
            and not _EXISTENTIAL.search(content)
            and qtype in (QuestionType.WHERE, QuestionType.WHAT, QuestionType.CURRENT_STATE)):
        as_of = min(scope.end, now_utc)
    return QuestionPlan(
        yes_no=yes_no,
        tense=tense,
        state=state,
        as_of=as_of,
        asks_plan=asks_plan,
        plan_for=plan_for,
        order_pick=order_pick,
        text=text,
        qtype=qtype,
        content=content,
        onscreen=onscreen,
        keywords=keywords,
        phrases=extract_phrases(content),
        entity_ids=entity_ids,
        entity_names=entity_names,
        scope=scope,
        sub_queries=sub_queries,
        relation=relation,
        ordinal=ordinal,
    )

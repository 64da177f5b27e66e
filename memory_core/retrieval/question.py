"""Question understanding without a model: type, content query, keywords, entities, time scope.

Rules (checked on the question with its time expressions removed, first match wins):

1. ``order`` when two events can be read off: "did X happen before or after Y", "which came first,
   X or Y", "X or Y, which happened first", "did X happen before Y", "in what order did X and Y".
2. ``how_many``: "how many", "how often", "number of times", "count".
3. ``when``: starts with "when", or "what time|day|date", "which day|date", "at what time".
   "first"/"last"/"most recent" set ``ordinal`` ("when did I last water the plants").
4. ``who``: "who", "whom", "whose", "which person".
5. ``current_state``: "now", "currently", "current", "latest", "still", "at the moment",
   "these days" (read on the original text, since "now"-words are stripped from the content).
6. ``where``: "where".  7. ``what`` otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from api_schemas import QuestionType
from memory_core.retrieval.lexical import STOPWORDS, tokenize
from memory_core.retrieval.timeparse import TimeScope, parse_time_scope, strip_time_expressions
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

    @property
    def generic(self) -> bool:
        """True when the question names no content (e.g. "what happened yesterday?")."""
        return not self.keywords and not self.phrases and not self.entity_ids


_TAIL = r"\s*[?.!]*\s*$"
_EVENT_VERB = r"(?:\s+(?:happen|happened|come|came|occur|occurred|take place|took place|start|started))?"
_ORDER_PATTERNS: list[tuple[re.Pattern, str | None]] = [
    (re.compile(rf"^(?:and\s+)?(?:which|what)\s+(?:came|happened|was|occurred|one was|event was)\s+first\s*[,:;-]?\s*(?P<a>.+?)\s+or\s+(?P<b>.+?){_TAIL}", re.I), None),
    (re.compile(rf"^(?:first\s*[,:;-]\s*)(?P<a>.+?)\s+or\s+(?P<b>.+?){_TAIL}", re.I), None),
    (re.compile(rf"^(?P<a>.+?)\s+or\s+(?P<b>.+?)\s*[,:;-]?\s*(?:which|what)\s+(?:came|happened|was|occurred)\s+first{_TAIL}", re.I), None),
    (re.compile(rf"^(?:did|was|were|is|does|do|has|had)\s+(?P<a>.+?){_EVENT_VERB}\s+before\s+or\s+after\s+(?P<b>.+?){_TAIL}", re.I), None),
    (re.compile(rf"^in\s+(?:what|which)\s+order\s+(?:did|were|was)\s+(?P<a>.+?)\s+and\s+(?P<b>.+?)(?:\s+(?:happen|occur|come))?{_TAIL}", re.I), None),
    (re.compile(rf"^(?:did|was|were|does|do|has|had)\s+(?P<a>.+?){_EVENT_VERB}\s+(?P<rel>before|after|earlier than|later than)\s+(?P<b>.+?){_TAIL}", re.I), "rel"),
]
_HOW_MANY = re.compile(r"\bhow\s+(?:many|often)\b|\bnumber\s+of\s+times\b|\bcount\b|\bhow\s+frequently\b", re.I)
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
    try:
        scope = parse_time_scope(text, now, tz)
    except OverflowError:
        raise TimeRangeError("a time expression in the question falls outside the supported range") from None
    content = strip_time_expressions(text) or text
    sub_queries: list[str] = []
    relation = None
    for pattern, rel in _ORDER_PATTERNS:
        m = pattern.search(content.strip())
        if m:
            a, b = _clean_sub_query(m.group("a")), _clean_sub_query(m.group("b"))
            if a and b and extract_keywords(a) and extract_keywords(b):
                sub_queries = [a, b]
                relation = m.group("rel").lower() if rel else None
                break
    if sub_queries:
        qtype = QuestionType.ORDER
    elif _HOW_MANY.search(content):
        qtype = QuestionType.HOW_MANY
    elif _WHEN.search(content):
        qtype = QuestionType.WHEN
    elif _WHO.search(content):
        qtype = QuestionType.WHO
    elif _STATE.search(text) and not _FIRST.search(content):
        qtype = QuestionType.CURRENT_STATE
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
    return QuestionPlan(
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

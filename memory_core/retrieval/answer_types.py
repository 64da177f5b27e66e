"""The expected answer type of a question (what kind of span the answer is), without a model.

The types follow the answer-type taxonomies of extractive question answering (Li & Roth 2002,
"Learning Question Classifiers": NUM:code/count/money/date, LOC, HUM, ENTY, DESC), cut down to
what personal video memory is asked: a number or code, money, a time or day, a date, a place, a
person, an object, yes/no, before/after, a count of occurrences, a list, and a free description.

Rules are checked in order on the lower-cased question (first match wins); the parser's
:class:`~memory_core.retrieval.question.QuestionPlan` adds ``order``/``who``/``where``/``when``
when a plan is given. ``count`` means *occurrences* ("how many times", "how often"); a quantity
stated in the footage ("how many boxes") is a ``number`` to extract.
"""

from __future__ import annotations

import re
from enum import StrEnum

from api_schemas import QuestionType

__all__ = ["AnswerType", "answer_type"]


class AnswerType(StrEnum):
    """The kind of span an answer is."""

    NUMBER = "number"  # a number or code: "2550", "40,000", "room 12", a quantity ("how many boxes")
    MONEY = "money"  # an amount of money: "$40", "40 euros"
    TIME = "time"  # a clock time or a day: "6:30", "Thursday", else the moment it was recorded
    DATE = "date"  # a calendar date: "12 March", "2026-03-12"
    PLACE = "place"  # a place: GPE/LOC/FAC entity or a locative phrase ("under the mat")
    PERSON = "person"  # the person the answer is about (not always the speaker)
    OBJECT = "object"  # the thing acted on: "what did Alice buy" -> "a blue bicycle"
    YES_NO = "yes_no"  # "Is the back door open?"
    BEFORE_AFTER = "before_after"  # which of two events came first
    COUNT = "count"  # occurrences counted across memory ("how many times", "how often")
    LIST = "list"  # several things: "what are all the items ..."
    DESCRIPTION = "description"  # anything else: the best sentence is the answer


_AUX = r"(?:is|are|was|were|am|do|does|did|has|have|had|can|could|will|would|should|shall|might|must|isn't|aren't|wasn't|weren't|don't|doesn't|didn't|hasn't|haven't|hadn't|can't|couldn't|won't|wouldn't|shouldn't)"
_CODE_NOUNS = (
    r"code|number|pin|password|passcode|passphrase|combination|extension|plate|licen[cs]e\s+plate|id|serial|"
    r"score|temperature|version|flight|platform|gate|bay|seat|lane|track|channel|page|postcode|zip(?:\s*code)?|"
    r"reference|ticket\s+number|order\s+number|tracking\s+number"
)
_MONEY_NOUNS = r"price|cost|fee|fare|rent|salary|wage|budget|refund|deposit|invoice|toll"
_PLACE_NOUNS = (
    r"city|town|country|place|shop|store|restaurant|cafe|café|bar|pub|address|street|road|location|station|"
    r"airport|hotel|venue|neighbou?rhood|village|park|school|office|building|room|hospital|clinic|market|"
    r"supermarket|bakery|gym|club|beach|island|region|warehouse"
)
_PERSON_NOUNS = (
    r"person|man|woman|guy|girl|boy|lady|friend|colleague|neighbou?r|doctor|nurse|teacher|driver|customer|"
    r"visitor|caller|manager|boss|child|kid|relative|speaker|employee|worker|client|guest|"
    # kinship terms
    r"mother|father|mum|mom|dad|parent|sister|brother|sibling|son|daughter|wife|husband|partner|aunt|uncle|"
    r"cousin|niece|nephew|grandmother|grandfather|grandma|grandpa|granny|grandson|granddaughter|grandchild|"
    r"girlfriend|boyfriend|fianc[eé]e?"
)
_TALK_VERBS = (
    r"do|doing|done|happen|happened|happening|say|said|tell|told|think|thought|mention|mentioned|talk|talked|"
    r"mean|meant|feel|felt|discuss|discussed|decide|decided|ask|asked|announce|announced|explain|explained|"
    r"describe|described|plan|planned|suggest|suggested|propose|proposed|complain|complained|note|noted|"
    r"learn|learned|learnt|agree|agreed|promise|promised|show|shown|look|looked|sound|sounded"
)

# (type, pattern) in order; the first that matches wins.
# "what is the <noun>", "which two-word <noun>", "what's his <noun>": the question names the noun
# its answer is (format with ``nouns``, an alternation)
_WHAT_NOUN = (r"\b(?:what|which)(?:'s|\s+(?:is|was|are|were))?\s+(?:(?:the|a|an|his|her|my|their|our|your|its)\s+)?"
              r"(?:[\w'-]+\s+){{0,2}}(?:{nouns})")
_RULES: list[tuple[AnswerType, re.Pattern]] = [
    (AnswerType.BEFORE_AFTER, re.compile(
        r"\bbefore\s+or\s+after\b|\bafter\s+or\s+before\b|\b(?:which|what)\s+(?:one\s+)?(?:came|happened|was|occurred)\s+"
        r"(?:first|earlier|later|last)\b|\bin\s+(?:what|which)\s+order\b|\b(?:earlier|later)\s+than\b")),
    (AnswerType.COUNT, re.compile(
        r"\bhow\s+(?:often|frequently)\b|\bhow\s+many\s+(?:times|days|mornings|afternoons|evenings|nights|weeks|"
        r"occasions|visits)\b|\bnumber\s+of\s+(?:times|occasions|days)\b|\bhow\s+many\s+\w+\s+(?:times)\b")),
    (AnswerType.MONEY, re.compile(
        rf"\bhow\s+much\s+(?:money|cash)\b|\bhow\s+much\b.*\b(?:cost|costs|costed|pay|paid|pays|spend|spent|spends|"
        rf"charge|charged|owe|owed|owes|earn|earned|earns|worth|sell|sold|lend|lent|borrow|borrowed|raise|raised|"
        rf"donate|donated|save|saved|tip|tipped|{_MONEY_NOUNS})\b|\bhow\s+expensive\b|\bwhat\s+(?:did|does|do|will|would)\b.*\bcost\b|"
        + _WHAT_NOUN.format(nouns=_MONEY_NOUNS) + r"s?\b")),
    (AnswerType.TIME, re.compile(r"\bhow\s+long\s+ago\b")),
    (AnswerType.NUMBER, re.compile(
        rf"\bhow\s+(?:many|much|old|far|long|tall|big|heavy|fast|high|deep|wide|large|hot|cold|warm)\b|"
        + _WHAT_NOUN.format(nouns=_CODE_NOUNS) + r"\b")),
    (AnswerType.DATE, re.compile(
        r"\b(?:what|which)\s+(?:date|year|month)\b|\bon\s+what\s+date\b|\bwhat\s+is\s+the\s+date\b|\bwhen\b.*\bbirthday\b")),
    (AnswerType.TIME, re.compile(
        r"^\s*(?:and\s+|so\s+|but\s+)?when\b|\bwhat\s+(?:time|day|hour)\b|\bwhich\s+(?:day|hour|night|morning|evening|"
        r"afternoon|weekday)\b|\bat\s+what\s+time\b|\bhow\s+(?:late|early|soon)\b|\bwhen\s+(?:did|does|do|is|was|will|are|were)\b")),
    (AnswerType.PLACE, re.compile(
        rf"\bwhere\b|\b(?:what|which)\s+(?:\w+\s+)?(?:{_PLACE_NOUNS})\b|\bin\s+what\s+(?:{_PLACE_NOUNS})\b")),
    (AnswerType.PERSON, re.compile(
        rf"^\s*(?:and\s+|so\s+|but\s+)?(?:who(?:m|se|'s)?|(?:by|to|with|for|from)\s+whom)\b|\bwhich\s+(?:\w+\s+)?(?:{_PERSON_NOUNS})s?\b|\bby\s+whom\b|"
        r"\bwhat(?:'s|\s+is|\s+was)\s+(?:his|her|their|(?:the|my|our|your)\s+(?:[\w-]+\s+){0,2}[\w-]+'s)\s+name\b|"
        rf"\bname\s+of\s+(?:the|my|our|your|his|her|their|[\w-]+'s)\s+(?:[\w-]+\s+)?(?:{_PERSON_NOUNS})\b|"
        rf"\b(?:{_PERSON_NOUNS})'s\s+(?:first\s+|last\s+|full\s+)?name\b")),
    (AnswerType.LIST, re.compile(
        r"\blist\b|\ball\s+the\b|\beverything\b|\b(?:which|what)\s+(?:things|items|ones|products|groceries|dishes|"
        r"books|tools|places|people|foods|drinks)\b|\bname\s+(?:all|every)\b|\bwhat\s+else\b")),
    (AnswerType.YES_NO, re.compile(rf"^\s*(?:and\s+|so\s+|but\s+)?{_AUX}\b(?![^?]*\bor\b)")),
    (AnswerType.OBJECT, re.compile(
        r"\b(?:what|which)\s+(?:kind|sort|type|colou?r|brand|make|model|flavou?r|size)\s+of\b|"
        r"\b(?:what|which)\s+(?:colou?r|brand|flavou?r|shape)\b|"
        r"\bwhich\s+(?:thing|item|book|dish|meal|food|drink|film|movie|song|game|car|bike|present|gift|tool|one)\b|"
        rf"^\s*(?:and\s+|so\s+)?what\s+(?:did|does|do|will|would|can|could|should|has|have|had)\s+(?!.*\b(?:{_TALK_VERBS})\b)|"
        # any other "which <noun>" ("which plumber ...", "which route ..."): the thing named as that noun
        r"^\s*(?:and\s+|so\s+)?which\s+(?!one\b|of\b|is\b|was\b|are\b|were\b)[a-z]+\b")),
]

_BY_QTYPE = {
    QuestionType.ORDER: AnswerType.BEFORE_AFTER,
    QuestionType.WHO: AnswerType.PERSON,
    QuestionType.WHERE: AnswerType.PLACE,
    QuestionType.WHEN: AnswerType.TIME,
}


def answer_type(plan_or_text) -> AnswerType:
    """The expected :class:`AnswerType` of a question.

    Args:
        plan_or_text: a :class:`~memory_core.retrieval.question.QuestionPlan` (its ``text`` and
            ``qtype`` are read) or the question as a string.

    Returns:
        The first rule of :data:`_RULES` that matches the lower-cased question; when none does, the
        type implied by the plan's ``qtype`` (order, who, where, when), else ``DESCRIPTION``. A plan
        of type ``order`` is always ``BEFORE_AFTER`` (the parser read two events off it).
    """
    text = plan_or_text if isinstance(plan_or_text, str) else plan_or_text.text
    qtype = None if isinstance(plan_or_text, str) else plan_or_text.qtype
    if qtype is QuestionType.ORDER:
        return AnswerType.BEFORE_AFTER
    low = " ".join(text.lower().replace("’", "'").split())
    for atype, pattern in _RULES:
        if pattern.search(low):
            return atype
    return _BY_QTYPE.get(qtype, AnswerType.DESCRIPTION)

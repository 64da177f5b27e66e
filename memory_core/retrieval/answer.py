"""Answer composition: deterministic sentences from the evidence, or an LLM that must cite it.

When a span of the expected answer type was extracted (:mod:`extract`), the answer is that span
first, then one line of support (:func:`compose_typed`). Otherwise deterministic answers quote the best evidence sentence (the sentence of the top node with the
highest combined cosine + lexical match to the question) with its wall-clock time; per question
type: ``when`` leads with the date and time, ``who`` with the speaker/entity names, ``how_many``
with the count and the dates, ``current_state`` with the latest state and since when, ``order``
with both events and their times. With an LLM, the prompt lists the evidence with ISO times and the
deterministic draft; the reply must cite evidence as ``[n]`` with ``1 <= n <= len(evidence)``, or be
the not-enough-evidence sentence; anything else raises :class:`LLMError`, so the caller falls back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, tzinfo

import numpy as np

from api_schemas import Evidence
from memory_core.providers.base import LLMClient, LLMError
from memory_core.retrieval.context import Query
from memory_core.retrieval.lexical import STOPWORDS, combine

NOT_ENOUGH = "Not enough evidence in memory to answer this."
MIN_SAID_WORDS = 2  # a spoken sentence of one word is a fragment (see best_sentence)
MAX_SENTENCES = 8  # sentences of the top node embedded to pick the best one
LEXICAL_CLEAR, LEXICAL_MARGIN = 0.5, 0.25
MAX_DATES = 20  # dates listed in a count answer
_SPLIT = re.compile(r"(?:(?<=[.!?])|(?<=[.!?]['\"’”]))\s+(?=[A-Z0-9\"'“])")
_SAID = re.compile(r"^(?P<who>[^.:]{1,60}?) said:")
_LEADING_NAME = re.compile(r"^[A-Z][a-z'-]+(?: [A-Z][a-z'-]+){1,2}(?=\s)")
_LLM_SYSTEM = (
    "You answer questions about recorded video from a memory system. Use ONLY the numbered evidence. "
    "Start with the short answer itself (a number or code, an amount, a time or day, a place, a name, "
    "yes or no), then one line of support: who said or showed it and when. "
    "Cite every claim with the evidence number in brackets, like [1]. Give dates and times as written "
    "in the evidence. If the evidence does not answer the question, reply exactly: " + NOT_ENOUGH
)


def fmt_when(moment: datetime, tz: tzinfo) -> str:
    """``Monday 16 November 2026 at 08:00:12 UTC`` (in ``tz``)."""
    local = moment.astimezone(tz)
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M:%S} {local.tzname() or ''}".rstrip()


def fmt_short(moment: datetime, tz: tzinfo) -> str:
    """``Mon 16 Nov 2026 08:00`` (in ``tz``)."""
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M}"


_ROSTER = re.compile(r"^(?:Speakers|People(?: visible)?|Names):\s", re.I)


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``; a split inside a quotation (odd number of quote marks so far) is
    undone, so ``Alice said: 'It came. It left.'`` stays one sentence."""
    parts = [p.strip() for p in _SPLIT.split(" ".join(text.split())) if p.strip()]
    out: list[str] = []
    for p in parts:
        if out and _open_quote(out[-1]):
            out[-1] = f"{out[-1]} {p}"
        else:
            out.append(p)
    return out


def _open_quote(text: str) -> bool:
    opens = len(re.findall(r"(?:^|(?<=\s))['‘]", text))
    closes = len(re.findall(r"(?<=\S)['’](?=\s|$|[.,;:!?)])", text))
    return text.count('"') % 2 == 1 or text.count("“") > text.count("”") or opens > closes


def best_sentence(text: str, query: Query, embedder, weight: float) -> str:
    """The sentence of ``text`` that best matches ``query`` (cosine of its embedding combined with
    its lexical score); the whole text when it is one sentence. When one sentence wins lexically
    by a clear margin (score >= :data:`LEXICAL_CLEAR`, :data:`LEXICAL_MARGIN` ahead of the next),
    it is taken without embedding the sentences (one model call less on the answer path)."""
    sentences = split_sentences(text)
    if len(sentences) <= 1:
        return text.strip()
    # Roster sentences ("Speakers: ...; People: ..." tails of summaries, "People visible: ...") say
    # who was there, not what happened: they match any question naming a person, so they answer only
    # when nothing else is left (who-questions take names from node attributes, not from here).
    content = [x for x in sentences if not _ROSTER.match(x)]
    # A spoken fragment of one word ("Alice said: 'Parker.'", the tail of a sentence cut at
    # a clip boundary) matches a question naming its speaker but says nothing: it answers only when
    # nothing longer is left.
    content = [x for x in content if _words_said(x) >= MIN_SAID_WORDS] or content
    sentences = (content or sentences)[:MAX_SENTENCES]
    if len(sentences) == 1:
        return sentences[0]
    lex = query.scorer.score_texts(sentences)
    order = np.argsort(-lex)
    if lex[order[0]] >= LEXICAL_CLEAR and lex[order[0]] - lex[order[1]] >= LEXICAL_MARGIN:
        return sentences[int(order[0])]  # a clear lexical winner: no model call needed
    vecs = np.asarray(embedder.embed(sentences), dtype=np.float32)
    cos = vecs @ np.asarray(query.vector, dtype=np.float32)
    scores = [combine(float(c), float(x), weight) for c, x in zip(cos, lex)]
    return sentences[int(np.argmax(scores))]


def _words_said(sentence: str) -> int:
    """Words of ``sentence`` without its ``"<speaker> said:"`` label and quote marks."""
    return len(_SAID.sub("", sentence).strip(" '\"\u2018\u2019\u201c\u201d").split())


def speaker_of(sentence: str) -> str | None:
    """``"Alice Parker"`` from ``"Alice Parker said: '...'"``; None otherwise."""
    m = _SAID.match(sentence)
    return m.group("who").strip() if m else None


def leading_name(sentence: str) -> str | None:
    """A person-like name opening the sentence: 2-3 Titlecase words that are not stop words
    (``"Carol Diaz is feeding the cat"`` -> ``"Carol Diaz"``); None otherwise."""
    m = _LEADING_NAME.match(sentence)
    if not m or any(w.lower() in STOPWORDS for w in m.group(0).split()):
        return None
    return m.group(0)


def _where(ev, tz: tzinfo, with_source: bool) -> str:
    return f"{ev.source}, {fmt_when(ev.start, tz)}" if with_source else fmt_when(ev.start, tz)


def compose_what(sentence: str, ev, tz: tzinfo, with_source: bool = True) -> str:
    """``<sentence> (<source>, <time>)``."""
    return f"{sentence} ({_where(ev, tz, with_source)})"


def compose_when(sentence: str, ev, tz: tzinfo) -> str:
    """``On Monday 16 November 2026 at 08:00:12 UTC: <sentence>``."""
    return f"On {fmt_when(ev.start, tz)}: {sentence}"


def compose_who(names: Sequence[str], sentence: str, ev, tz: tzinfo) -> str:
    """``Alice Parker - Monday ... UTC: <sentence>``; "No identified person" when ``names`` is empty."""
    who = ", ".join(names) if names else "No identified person"
    return f"{who} ({fmt_when(ev.start, tz)}): {sentence}"


def compose_count(starts: Sequence[datetime], tz: tzinfo, often: bool = False, at_least: bool = False,
                  days: bool = False) -> str:
    """``2 times: Tue 17 Nov 2026 18:30; Wed 18 Nov 2026 18:35.`` (plus the days covered for "how
    often"; "At least" when the search limit was reached; dates beyond :data:`MAX_DATES` summarised).
    With ``days`` ("on how many days ..."), the number of distinct calendar days (in ``tz``) leads:
    ``2 days: Tue 17 Nov 2026; Wed 18 Nov 2026 (3 times).``"""
    n = len(starts)
    if days:
        seen = list(dict.fromkeys(t.astimezone(tz).date() for t in sorted(starts)))
        listed = "; ".join(f"{d:%a} {d.day} {d:%b %Y}" for d in seen[:MAX_DATES])
        if len(seen) > MAX_DATES:
            listed += f"; and {len(seen) - MAX_DATES} more"
        return (f"{'At least ' if at_least else ''}{len(seen)} day{'s' if len(seen) != 1 else ''}: {listed}"
                f" ({n} time{'s' if n != 1 else ''}).")
    dates = "; ".join(fmt_short(t, tz) for t in starts[:MAX_DATES])
    if n > MAX_DATES:
        dates += f"; and {n - MAX_DATES} more"
    text = f"{'At least ' if at_least else ''}{n} time{'s' if n != 1 else ''}: {dates}."
    if often and n:
        d = len({t.astimezone(tz).date() for t in starts})
        text += f" On {d} distinct day{'s' if d != 1 else ''}."
    return text


def compose_state(sentence: str, since: datetime, tz: tzinfo, episodic: bool = False,
                  as_of: datetime | None = None) -> str:
    """The state first, then since when (or, from episodic memory, when it was last recorded).

    ``as_of`` (aware) is the past moment a state question asks about ("where was the key on
    Tuesday": the end of Tuesday); ``None`` for a state asked as of now. Forms:
    ``I opened the back door. (latest state, recorded since Mon ...)`` (now, semantic),
    ``(last recorded Mon ...)`` (now, episodic), ``(state as of Wednesday 25 November 2026 at
    00:00:00 UTC, recorded since Mon ...)`` / ``(last recorded before Wednesday ... : Mon ...)``
    (past). "Latest" would be wrong for a past time: a later state may have replaced it since."""
    if as_of is not None:
        if episodic:
            return f"{sentence} (last recorded before {fmt_when(as_of, tz)}: {fmt_when(since, tz)})"
        return f"{sentence} (state as of {fmt_when(as_of, tz)}, recorded since {fmt_when(since, tz)})"
    if episodic:
        return f"{sentence} (last recorded {fmt_when(since, tz)})"
    return f"{sentence} (latest state, recorded since {fmt_when(since, tz)})"


def fmt_support(moment: datetime, tz: tzinfo) -> str:
    """``Fri 6 Mar 2026 08:00 UTC`` (in ``tz``; the zone's abbreviation, or its UTC offset)."""
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M} {local.tzname() or local.strftime('%z')}".rstrip()


def support_line(ex, ev, tz: tzinfo, with_time: bool = True) -> str:
    """Who said or showed the sentence of extraction ``ex`` and when (``ev.start``), then the
    sentence: ``said by Tom, Fri 6 Mar 2026 08:00 UTC: "It is now two five five zero."``.
    Unnamed speakers ("Someone") read "an unidentified speaker"; when the answer is the speaker
    ("who said ...?") the line is ``<time>: "<sentence>"``, without naming them twice."""
    when = fmt_support(ev.start, tz) if with_time else ""
    if ex.onscreen:
        who = "shown on screen"
    elif ex.speaker and ex.speaker.strip() == (ex.answer or "").strip():
        who = ""  # "who said ...?": the answer is the speaker, not named twice
    elif ex.speaker:
        label = ex.speaker.strip()
        who = "said by " + ("an unidentified speaker" if label.lower() in ("someone", "somebody", "unknown") else label)
    else:
        who = "recorded"
    head = ", ".join(x for x in (who, when) if x)
    if ex.sentence.strip() == (ex.answer or "").strip():
        return head  # the answer is the whole sentence (on-screen text): no need to quote it twice
    return f"{head}: \u201c{ex.sentence}\u201d"


def compose_typed(ex, ev, tz: tzinfo) -> str:
    """Answer first, then one line of support (issue #9):
    ``2550 \u2014 said by Tom, Fri 6 Mar 2026 08:00 UTC: \u201cIt is now two five five zero.\u201d``.

    ``ex`` is an :class:`~memory_core.retrieval.extract.Extraction`; ``ev`` the evidence it came from
    (its ``start`` is the time shown). A ``timestamp`` extraction answers with that time itself
    (``Mon 16 Nov 2026 08:00:10 UTC \u2014 said by Alice Parker: \u201cThe truck arrived.\u201d``)."""
    if ex.timestamp:
        local = ev.start.astimezone(tz)
        zone = local.tzname() or local.strftime("%z")
        answer = f"{local:%a} {local.day} {local:%b %Y %H:%M:%S} {zone}" if ex.atype == "time" else f"{local:%a} {local.day} {local:%b %Y}"
        return f"{answer} \u2014 {support_line(ex, ev, tz, with_time=ex.atype != 'time')}"
    return f"{ex.answer} \u2014 {support_line(ex, ev, tz)}"


def compose_order(a: str, a_ev, b: str, b_ev, tz: tzinfo, relation: str | None,
                  a_at: datetime | None = None, b_at: datetime | None = None, ask_side: bool = False) -> str:
    """``"X" came first (time), then "Y" (time).`` The events are compared at ``a_at``/``b_at``
    (aware; default ``a_ev.start``/``b_ev.start``: the moment each event was said within its clip
    when known, so two events of one clip keep their spoken order). Prefixed by ``Yes.``/``No.``
    when the question asserted a relation ("did X happen before Y?"), or by ``Before.``/``After.``
    (X relative to Y) when ``ask_side`` ("did X happen before or after Y?")."""
    ta = a_at or a_ev.start
    tb = b_at or b_ev.start
    a_before = ta <= tb
    first, first_t, second, second_t = (a, ta, b, tb) if a_before else (b, tb, a, ta)
    text = f"\u201c{first}\u201d came first ({fmt_when(first_t, tz)}), then \u201c{second}\u201d ({fmt_when(second_t, tz)})."
    if relation:
        claim = relation in ("before", "earlier than")
        text = ("Yes. " if claim == a_before else "No. ") + text
    elif ask_side:
        text = ("Before. " if a_before else "After. ") + text
    return text


def compose_summary(items: Sequence, tz: tzinfo, label: str | None) -> str:
    """What the scope holds, in time order: ``<label>: Mon 16 Nov 2026 08:00 <first sentence>; ...``."""
    parts = [f"{fmt_short(e.start, tz)} {(split_sentences(e.text) or [e.text])[0]}" for e in items]
    return (f"{label}: " if label else "") + " | ".join(parts)


def describe_extraction(atype: str | None, ex, evidence: Sequence[Evidence]) -> str:
    """The prompt lines that hand the typed extraction to the LLM: the expected answer type and,
    when a span was extracted, the span, the evidence number it came from, who said or showed it
    and the sentence (ISO 8601 time of that evidence)."""
    lines = [f"Expected answer type: {atype}"] if atype else []
    if ex is not None and 0 <= ex.item < len(evidence):
        ev = evidence[ex.item]
        what = ev.start.isoformat() if ex.timestamp else ex.answer
        by = "shown on screen" if ex.onscreen else f"said by {ex.speaker}" if ex.speaker else "recorded"
        lines.append(f"Extracted answer: {what} [{ex.item + 1}] ({by}, {ev.start.isoformat()}: \"{ex.sentence}\")")
    return "\n".join(lines)


def compose_llm(
    llm: LLMClient, question: str, qtype: str, evidence: Sequence[Evidence], draft: str, now: datetime,
    max_tokens: int | None = None, typed: str = "",
) -> tuple[str, bool]:
    """Ask ``llm`` to answer from ``evidence``; returns ``(answer, sufficient)``.

    ``typed`` (from :func:`describe_extraction`) gives the expected answer type and the extracted
    span; the deterministic ``draft`` is sent too and stays the caller's fallback.

    Raises:
        LLMError: from the client, or when the reply is empty, cites nothing, or cites a number
            outside the evidence list.
    """
    lines = [
        f"[{i}] {e.start.isoformat()} to {e.end.isoformat()} | source {e.source} | {e.level.value} {e.kind.value} | "
        f"score {e.score:.2f} | {e.text[:600]}"
        for i, e in enumerate(evidence, 1)
    ]
    user = (
        f"Now: {now.isoformat()}\nQuestion ({qtype}): {question}\n\nEvidence:\n" + "\n".join(lines)
        + (f"\n\n{typed}" if typed else "")
        + f"\n\nDraft answer from retrieval (may be improved, must stay faithful): {draft}\n\nAnswer:"
    )
    reply = (llm.complete(_LLM_SYSTEM, user, max_tokens=max_tokens) or "").strip()
    if not reply:
        raise LLMError("empty answer")
    if reply.startswith(NOT_ENOUGH[:24]):
        return NOT_ENOUGH, False
    cited = [int(n) for n in re.findall(r"\[(\d+)\]", reply)]
    if not cited:
        raise LLMError("the answer cites no evidence")
    if any(n < 1 or n > len(evidence) for n in cited):
        raise LLMError(f"the answer cites evidence that was not given: {sorted(set(cited))}")
    return reply, True

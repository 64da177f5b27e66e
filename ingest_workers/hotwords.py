"""Names already in a source's entity memory, given to ASR as hotwords.

Whisper spells a name it has been told about the way it was told (faster-whisper ``hotwords``
put the text in the prompt of every 30 s window). The names come from the relational repository:
the labels of NAME entities (names heard or read before, gated by the name builder) and the
``name`` of FACE and VOICE entities (set by a person renaming them, or linked from a
self-introduction). Speaker labels such as "speaker 2" are never names. Most frequent first,
case-folded duplicates dropped, at most ``limit`` (``settings.models.asr_hotwords``).

Hotwords are per source and per call: a perceiver shared by several jobs or tenants (the Celery
worker's) must never carry one tenant's names into another tenant's transcripts.
"""

from __future__ import annotations

from api_schemas import EntityKind
from memory_core.logging import get_logger

log = get_logger(__name__)

MAX_NAME_CHARS = 40  # longer "names" are sentences read off a screen, not names


def source_hotwords(repo, tenant: str, source: str, limit: int) -> list[str]:
    """Up to ``limit`` names known for ``(tenant, source)``, most frequent entity first.

    Args:
        repo: the relational repository (``list_entities(tenant, source=...)``, ordered by count).
        tenant, source: whose entity memory.
        limit: the most names returned; 0 returns ``[]`` without a query.

    Returns:
        Names as stored (original case), de-duplicated case-insensitively. A repository failure
        is logged and gives ``[]``: hotwords help transcription, they never stop an ingest.
    """
    if limit <= 0:
        return []
    try:
        entities = repo.list_entities(tenant, source=source)
    except Exception as exc:  # noqa: BLE001 - see Returns
        log.warning("hotwords unavailable", source=source, error=repr(exc)[:200])
        return []
    out: list[str] = []
    seen: set[str] = set()
    for e in entities:
        candidate = e.label if e.kind == EntityKind.NAME else e.name
        name = " ".join((candidate or "").split())
        if not name or len(name) > MAX_NAME_CHARS or name.casefold() in seen:
            continue
        seen.add(name.casefold())
        out.append(name)
        if len(out) >= limit:
            break
    return out

"""Server-sent events helpers (sse-starlette): job progress polled from the job record, and a
synchronous iterator (the retrieval agent's steps) drained off the event loop one item at a time.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from starlette.concurrency import run_in_threadpool

_END = object()


def event(name: str, data: Any) -> dict:
    """An SSE event dict for ``EventSourceResponse``: ``data`` is JSON (pydantic models dumped)."""
    if hasattr(data, "model_dump_json"):
        payload = data.model_dump_json()
    else:
        payload = json.dumps(data, default=str)
    return {"event": name, "data": payload}


async def poll_job(get: Callable[[], Any], *, interval_s: float = 0.5, finished: Callable[[Any], bool],
                   is_disconnected: Callable[[], Any] | None = None) -> AsyncIterator[dict]:
    """``progress`` events whenever the job changes, then one ``done`` event when it finishes.

    ``get`` (sync, run in a thread) returns the job model, or ``None`` when it vanished (its
    source was deleted): then one ``error`` event ends the stream.
    """
    last = None
    while True:
        job = await run_in_threadpool(get)
        if job is None:
            yield event("error", {"code": "not_found", "message": "job no longer exists"})
            return
        snapshot = job.model_dump_json(exclude={"updated_at"})
        if snapshot != last:
            last = snapshot
            yield event("done" if finished(job) else "progress", job)
        if finished(job):
            return
        if is_disconnected is not None and await is_disconnected():
            return
        await asyncio.sleep(interval_s)


async def drain(iterator: Iterator[Any]) -> AsyncIterator[Any]:
    """Items of a blocking iterator, each ``next`` run in the thread pool; closing the async
    generator (client gone) stops pulling, so the producer does no more work."""
    while True:
        item = await run_in_threadpool(next, iterator, _END)
        if item is _END:
            return
        yield item

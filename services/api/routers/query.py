"""Questions: the retrieval agent's answer with evidence and trace, and a server-sent-events
variant that streams the agent's steps as it works."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from api_schemas import Answer, Question, TraceStep
from api_schemas.api import AnswerOut, ErrorEnvelope
from memory_core.logging import get_logger
from memory_core.timeutil import TimeRangeError
from services.api.deps import ApiContext, Ctx, QueryTenant
from services.api.errors import TENANT, not_found, request_id_of, responses
from services.api.sse import drain, event
from services.api.views import evidence_out

log = get_logger(__name__)
router = APIRouter(prefix="/query", tags=["query"])

SSE_EVENT_SCHEMA = {
    "type": "object",
    "required": ["data"],
    "properties": {"event": {"type": "string", "enum": ["step", "answer", "error"]},
                   "data": {"type": "string", "description": "JSON of a TraceStep, an AnswerOut or an ErrorEnvelope"}},
}
SSE_RESPONSE = {
    200: {
        "description": "Server-sent events: one `step` (a TraceStep) per agent step, then `answer` "
                       "(an AnswerOut); `error` (an ErrorEnvelope) if the agent fails.",
        "content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA}},
    }
}


def check_sources(ctx: ApiContext, tenant: str, sources: list[str] | None) -> None:
    """404 when a named source is not one of the tenant's (another tenant's included)."""
    for name in sources or ():
        if ctx.rt.repo.get_source(tenant, name) is None:
            raise not_found(f"source {name!r}")


def answer_out(ctx: ApiContext, tenant: str, answer: Answer) -> AnswerOut:
    """The answer with clip and keyframe links on its evidence (one lookup for all nodes)."""
    ids = [e.node_id for e in answer.evidence if e.node_id]
    nodes = {n.id: n for n in ctx.rt.repo.get_nodes(tenant, ids)} if ids else {}
    base = answer.model_dump(exclude={"evidence"})
    return AnswerOut(**base, evidence=[evidence_out(e, nodes.get(e.node_id or "")) for e in answer.evidence])


@router.post("", response_model=AnswerOut, responses=responses(*TENANT, 404, 503))
def ask(question: Question, tenant: QueryTenant, ctx: Ctx) -> AnswerOut:
    """Answer a question from the caller's memories.

    Options: ``sources`` (404 for a source the tenant does not have), ``start``/``end`` (the
    wall-clock range searched), ``now`` (anchors 'yesterday', 'on Tuesday'; nothing after it is
    searched), ``max_steps`` and ``time_budget_s`` (the agent's budget), ``top_k`` (evidence kept).
    ``sufficient`` is false when the answer is 'not enough evidence'.
    """
    check_sources(ctx, tenant, question.sources)
    answer = ctx.rt.agent.ask(question, tenant)
    return answer_out(ctx, tenant, answer)


@router.post("/stream", response_class=EventSourceResponse, responses={**SSE_RESPONSE, **responses(*TENANT, 404, 503)})
async def ask_stream(question: Question, request: Request, tenant: QueryTenant, ctx: Ctx) -> EventSourceResponse:
    """The same question, answered as server-sent events while the agent works."""
    await run_in_threadpool(check_sources, ctx, tenant, question.sources)
    agent = await run_in_threadpool(lambda: ctx.rt.agent)
    rid = request_id_of(request)

    async def events() -> AsyncIterator[dict]:
        try:
            async for item in drain(agent.iter_steps(question, tenant)):
                if isinstance(item, TraceStep):
                    yield event("step", item)
                elif isinstance(item, Answer):
                    yield event("answer", await run_in_threadpool(answer_out, ctx, tenant, item))
        except TimeRangeError as exc:  # a time expression of the question left the calendar: input error
            yield event("error", ErrorEnvelope(code="time_out_of_range", message=str(exc), request_id=rid))
        except Exception as exc:  # noqa: BLE001 - the stream has started: report in-band
            log.error("query stream failed", error=repr(exc)[:300])
            yield event("error", ErrorEnvelope(code="internal", message="the agent failed", request_id=rid))

    return EventSourceResponse(events(), ping=15)

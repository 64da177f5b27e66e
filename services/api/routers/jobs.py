"""Jobs: list, status (step, percent, error), a server-sent-events stream of progress, cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status
from sse_starlette import EventSourceResponse

from api_schemas import JobStatus
from api_schemas.api import JobView, Page
from services.api.deps import Ctx, Paging, Tenant
from services.api.errors import TENANT, ApiError, not_found, responses
from services.api.sse import poll_job
from services.api.views import job_out

router = APIRouter(prefix="/jobs", tags=["jobs"])

JobId = Annotated[str, Path(min_length=1, max_length=64, description="job id")]

SSE_RESPONSE = {
    200: {
        "description": "Server-sent events: `progress` (a JobView) whenever the job changes, then `done` "
                       "(the final JobView); `error` if the job disappears.",
        "content": {"text/event-stream": {"schema": {
            "type": "object", "required": ["data"],
            "properties": {"event": {"type": "string", "enum": ["progress", "done", "error"]},
                           "data": {"type": "string", "description": "JSON of a JobView (or an error)"}}}}},
    }
}


def _view(ctx, tenant: str, job: dict | None) -> JobView | None:
    """The job as clients see it: a job whose record is final while this process still cleans up
    after it (an owned file, a failed ingest's rows) shows ``running``/``finishing``, so that a
    final status always means nothing is left half-written."""
    if job is None:
        return None
    out = job_out(job)
    if out.status.finished and ctx.pool.active(tenant, out.id):
        out = out.model_copy(update={"status": JobStatus.RUNNING, "step": "finishing"})
    return out


def _job_or_404(ctx, tenant: str, job_id: str) -> JobView:
    job = _view(ctx, tenant, ctx.rt.repo.get_job(tenant, job_id))
    if job is None:
        raise not_found("job")
    return job


@router.get("", response_model=Page[JobView], responses=responses(*TENANT))
def list_jobs(tenant: Tenant, ctx: Ctx, page: Paging,
              source: Annotated[str | None, Query(max_length=255)] = None) -> Page[JobView]:
    """The caller's jobs (of one source if given), newest first."""
    rows = ctx.rt.repo.list_jobs(tenant, source, limit=min(page.offset + page.limit + 1, 10_000_000))
    chunk = rows[page.offset : page.offset + page.limit]
    nxt = page.offset + page.limit if len(rows) > page.offset + page.limit else None
    return Page[JobView](items=[_view(ctx, tenant, j) for j in chunk], limit=page.limit, offset=page.offset, next_offset=nxt)


@router.get("/{job_id}", response_model=JobView, responses=responses(*TENANT, 404))
def get_job(job_id: JobId, tenant: Tenant, ctx: Ctx) -> JobView:
    """A job's status, step, percent (0-100), error and result (the ingest summary)."""
    return _job_or_404(ctx, tenant, job_id)


@router.get("/{job_id}/events", response_class=EventSourceResponse, responses={**SSE_RESPONSE, **responses(*TENANT, 404)})
def job_events(job_id: JobId, request: Request, tenant: Tenant, ctx: Ctx) -> EventSourceResponse:
    """Follow a job as server-sent events until it finishes."""
    _job_or_404(ctx, tenant, job_id)

    def get() -> JobView | None:
        return _view(ctx, tenant, ctx.rt.repo.get_job(tenant, job_id))

    stream = poll_job(get, finished=lambda j: j.status.finished, is_disconnected=request.is_disconnected)
    return EventSourceResponse(stream, ping=15)


@router.post("/{job_id}/cancel", status_code=status.HTTP_202_ACCEPTED, response_model=JobView,
             responses=responses(*TENANT, 404, 409))
def cancel_job(job_id: JobId, tenant: Tenant, ctx: Ctx) -> JobView:
    """Ask a queued or running job to stop; its memories are removed and it ends ``cancelled``.

    Errors: 409 when the job has finished already.
    """
    job = _job_or_404(ctx, tenant, job_id)
    if job.status.finished:
        raise ApiError(409, "conflict", f"job already {job.status.value}")
    if not ctx.pool.cancel(tenant, job_id):
        raise ApiError(409, "conflict", "job is not running in this process")
    return _job_or_404(ctx, tenant, job_id)



"""``vidmem`` command line (typer). Machine-readable output goes to stdout; progress and logs to
stderr. The ``ingest`` and ``ask --json`` outputs are a stable contract driven by evaluations.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from api_schemas import EntityKind, Kind, Level, Question

app = typer.Typer(add_completion=False, no_args_is_help=True, help="vidmem: memory for long and streaming video.")

SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "sample.mp4"


def _iso(value: str | None, name: str) -> datetime | None:
    from memory_core.timeutil import parse_iso

    if value is None:
        return None
    try:
        return parse_iso(value)
    except ValueError:
        raise typer.BadParameter(f"{name} must be ISO 8601 with a timezone, e.g. 2026-11-16T08:00:00+00:00") from None


def _runtime():
    from memory_core.runtime import Runtime

    return Runtime.open()


def _print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def _media_ref(e) -> str:
    """``file@start-end s`` for evidence with media offsets; semantic memories have none."""
    if e.media_path is None or e.media_start_s is None or e.media_end_s is None:
        return "(no media span)"
    return f"{e.media_path}@{e.media_start_s:.1f}-{e.media_end_s:.1f}s"


def _ingest(rt, path: Path, source: str, start: datetime | None, quiet: bool = False):
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.console import Console

    from ingest_workers.pipeline import ingest_file

    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>5.1f}%"),
        TimeElapsedColumn(), console=console, transient=True, disable=quiet or not console.is_terminal,
    ) as bar:
        task = bar.add_task("ingest", total=100)
        return ingest_file(rt, path, source=source, start_time=start,
                           progress=lambda step, pct: bar.update(task, completed=pct, description=step))


@app.command()
def ingest(
    path: Annotated[Path, typer.Argument(help="media file to ingest")],
    source: Annotated[str, typer.Option(help="source name: a camera, a device, a film")] = "default",
    start_time: Annotated[Optional[str], typer.Option("--start-time", help="wall-clock time of the first frame, ISO 8601")] = None,
) -> None:
    """Ingest a media file into a source; prints one JSON summary on stdout."""
    start = _iso(start_time, "--start-time")
    rt = _runtime()
    try:
        result = _ingest(rt, path, source, start)
    finally:
        rt.close()
    _print_json(result.model_dump(mode="json"))
    raise typer.Exit(0 if result.status in ("succeeded", "partial") else 1)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="a plain-language question")],
    source: Annotated[Optional[list[str]], typer.Option(help="limit to these sources (repeatable)")] = None,
    now: Annotated[Optional[str], typer.Option(help="anchor for 'yesterday', 'on Tuesday'... ISO 8601")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print answer, evidence and trace as JSON")] = False,
    max_steps: Annotated[int, typer.Option(help="agent step budget")] = 24,
) -> None:
    """Answer a question from memory, with the moments that prove it."""
    rt = _runtime()
    try:
        q = Question(text=question, sources=source or None, now=_iso(now, "--now"), max_steps=max_steps)
        answer = rt.agent.ask(q, tenant=rt.settings.default_tenant)
    finally:
        rt.close()
    if as_json:
        _print_json({
            "answer": answer.answer,
            "sufficient": answer.sufficient,
            "question_type": answer.question_type.value,
            "evidence": [e.model_dump(mode="json") for e in answer.evidence],
            "trace": [t.model_dump(mode="json") for t in answer.trace],
        })
        return
    typer.echo(answer.answer)
    for e in answer.evidence[:5]:
        typer.echo(f"  - [{e.start.isoformat()} .. {e.end.isoformat()}] {e.source} {_media_ref(e)} "
                   f"({e.level.value}/{e.kind.value}, {e.score:.2f}) {e.text[:120]}")


@app.command()
def memories(
    source: Annotated[Optional[str], typer.Option()] = None,
    level: Annotated[Optional[Level], typer.Option()] = None,
    kind: Annotated[Optional[Kind], typer.Option()] = None,
    start: Annotated[Optional[str], typer.Option(help="ISO 8601: memories ending after this")] = None,
    end: Annotated[Optional[str], typer.Option(help="ISO 8601: memories starting before this")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Browse memories by source, level, kind and time."""
    rt = _runtime()
    try:
        nodes = rt.repo.list_nodes(rt.settings.default_tenant, source=source, level=level, kind=kind,
                                   start=_iso(start, "--start"), end=_iso(end, "--end"), limit=limit)
    finally:
        rt.close()
    if as_json:
        _print_json([n.to_out().model_dump(mode="json") for n in nodes])
        return
    for n in nodes:
        typer.echo(f"{n.start.isoformat()} {n.level.value:<5} {n.kind.value:<8} {n.source}: {n.text[:140]}")


@app.command()
def entities(
    source: Annotated[Optional[str], typer.Option()] = None,
    kind: Annotated[Optional[EntityKind], typer.Option()] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List people, voices, names and on-screen texts with their appearance counts."""
    rt = _runtime()
    try:
        ents = rt.repo.list_entities(rt.settings.default_tenant, source=source, kind=kind)
    finally:
        rt.close()
    rows = [{
        "id": e.id, "source": e.source, "kind": e.kind.value, "label": e.label, "name": e.name, "count": e.count,
        "first_seen": e.first_seen.isoformat() if e.first_seen else None,
        "last_seen": e.last_seen.isoformat() if e.last_seen else None,
        "linked_ids": e.linked_ids, "possible_duplicates": e.possible_duplicates,
    } for e in ents]
    if as_json:
        _print_json(rows)
        return
    for r in rows:
        typer.echo(f"{r['kind']:<5} {(r['name'] or r['label']):<24} x{r['count']:<4} {r['first_seen']} .. {r['last_seen']}  {r['source']}")


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="text to search for")],
    source: Annotated[Optional[list[str]], typer.Option()] = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
) -> None:
    """Flat search over all clip memories (for comparison with ``ask``); prints JSON."""
    from memory_core.retrieval.flat import flat_search

    rt = _runtime()
    try:
        rt.ensure_collection()
        q = Question(text=text, sources=source or None, top_k=limit)
        result = flat_search(rt.vectors, rt.providers.text_embedder(), q, rt.settings.default_tenant, limit=limit)
    finally:
        rt.close()
    _print_json(result.model_dump(mode="json"))


@app.command()
def demo(
    path: Annotated[Path, typer.Option(help="media to ingest")] = SAMPLE,
    question: Annotated[list[str], typer.Option(help="question(s) to ask after ingest")] = None,
) -> None:
    """The main job on the bundled sample: ingest it, then answer questions about it."""
    if not path.exists():
        typer.echo(f"sample not found: {path}", err=True)
        raise typer.Exit(2)
    questions = question or [
        "What did Alice Parker say?",
        "What is written on the screen at the delivery bay?",
        "Who arrived at delivery bay three?",
    ]
    rt = _runtime()
    try:
        result = _ingest(rt, path, "demo", None)
        typer.echo(json.dumps(result.model_dump(mode="json"), indent=2, default=str))
        for q in questions:
            answer = rt.agent.ask(Question(text=q, sources=["demo"]), tenant=rt.settings.default_tenant)
            typer.echo(f"\nQ: {q}\nA: {answer.answer}")
            for e in answer.evidence[:3]:
                typer.echo(f"   evidence {e.start.isoformat()} {_media_ref(e)} score {e.score:.2f}")
    finally:
        rt.close()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on (0.0.0.0 for every interface)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8080,
    workers: Annotated[int, typer.Option(min=0, max=64, help="ingest jobs at once; 0 = api.ingest_workers")] = 0,
) -> None:
    """Run the REST service (embedded stores, in-process ingest pool); the admin key is
    VIDMEM_ADMIN_KEY or the generated <home>/admin.key. Slow clients are cut off: request heads
    after VIDMEM_API__HEADER_TIMEOUT_S, stalled bodies after VIDMEM_API__BODY_IDLE_TIMEOUT_S, idle
    keep-alive connections after VIDMEM_API__KEEP_ALIVE_S."""
    from memory_core.settings import get_settings
    from services.api.serving import serve as run_server

    settings = get_settings()
    if workers:
        settings = settings.model_copy(update={"api": settings.api.model_copy(update={"ingest_workers": workers})})
    run_server(settings, host, port)


@app.command()
def migrate(
    wait: Annotated[float, typer.Option(min=0, help="seconds to wait for the database to answer")] = 60.0,
) -> None:
    """Apply the relational store's Alembic migrations (the one-shot step of a deployment);
    waits for the database with retries; prints the revision reached."""
    from memory_core.settings import get_settings
    from memory_core.stores.relational.migrate import migrate as run_migrations

    _print_json({"revision": run_migrations(get_settings().db_url, wait_s=wait)})


@app.command()
def worker(
    queues: Annotated[str, typer.Option(help="comma-separated queues: decode, perceive, write")] = "decode,perceive,write",
    concurrency: Annotated[int, typer.Option(min=1, max=256, help="worker processes (1 for a write worker on the embedded vector store)")] = 1,
    beat: Annotated[bool, typer.Option(help="also run the schedule that re-drives jobs whose messages were lost (one worker per deployment)")] = False,
    name: Annotated[Optional[str], typer.Option(help="node name (default celery@<host>)")] = None,
    max_tasks_per_child: Annotated[int, typer.Option(min=0, help="recycle a process after this many tasks (0: never)")] = 0,
) -> None:
    """Run a Celery ingest worker (needs VIDMEM_CELERY__BROKER_URL). decode/perceive workers never
    open the vector store; a worker with the write queue does, so with the embedded store run one
    write worker with concurrency 1 on the machine that holds VIDMEM_HOME."""
    from ingest_workers.celery_app import QUEUES, app as celery_app
    from memory_core.logging import configure_from_settings

    settings = celery_app.vidmem_settings
    if settings.celery.broker_url is None:
        raise typer.BadParameter("set VIDMEM_CELERY__BROKER_URL, e.g. redis://127.0.0.1:6379/0")
    wanted = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = sorted(set(wanted) - set(QUEUES))
    if not wanted or unknown:
        raise typer.BadParameter(f"unknown queues {unknown}; choose from {', '.join(QUEUES)}")
    if "write" in wanted and settings.vector.backend != "qdrant" and concurrency > 1:
        raise typer.BadParameter("the embedded vector store has one owner: run the write queue with --concurrency 1 (or use a Qdrant server)")
    configure_from_settings(settings)
    settings.home.mkdir(parents=True, exist_ok=True)  # the beat schedule lives there
    argv = ["worker", "-Q", ",".join(wanted), "-c", str(concurrency), "--loglevel", settings.log_level,
            "--without-gossip", "--without-mingle"]
    if name:
        argv += ["-n", name]
    if beat:
        argv += ["-B"]
    if max_tasks_per_child:
        argv += ["--max-tasks-per-child", str(max_tasks_per_child)]
    celery_app.worker_main(argv=argv)


@app.command()
def stream(
    url: Annotated[str, typer.Argument(help="rtsp://, http(s)://...m3u8, udp://, srt:// URL; '-' reads it from stdin (keeps credentials out of the process list)")],
    source: Annotated[str, typer.Option(help="source name: the camera")] = "stream",
    duration: Annotated[Optional[float], typer.Option(min=1, help="stop after this many seconds (default: Ctrl-C)")] = None,
    ask_every: Annotated[Optional[float], typer.Option(min=1, help="ask --question every this many seconds (JSON lines)")] = None,
    question: Annotated[str, typer.Option(help="the question --ask-every asks")] = "What happened most recently?",
) -> None:
    """Pull a live stream into memory in the foreground; prints a JSON summary at the end."""
    from ingest_workers.stream_manager import run_foreground

    url = sys.stdin.readline().strip() if url == "-" else url
    rt = _runtime()
    try:
        summary = run_foreground(rt, url, source, duration_s=duration, ask_every_s=ask_every, question=question, emit=_print_json)
    finally:
        rt.close()
    _print_json(summary)


@app.command("stream-worker")
def stream_worker(
    poll: Annotated[float, typer.Option(min=0.5, max=3600, help="seconds between two reads of the registered streams")] = 5.0,
) -> None:
    """Run every enabled registered stream of every tenant in this process, following
    registrations, enable/disable and deletions within --poll seconds; stops cleanly on SIGTERM or
    Ctrl-C (streams stay enabled). Run stream workers in one place: here (REST service with
    stream.run_in_api off) or in vidmem serve."""
    import signal

    from ingest_workers.stream_service import StreamService
    from services.api.ssrf import UrlPolicy, check_stream_url

    rt = _runtime()
    policy = UrlPolicy.from_settings(rt.settings.api)  # the REST service's network policy, re-checked at each start
    service = StreamService(rt, poll_s=poll, url_check=lambda url: check_stream_url(url, policy))
    previous = {sig: signal.signal(sig, lambda *_: service.stop()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        finals = service.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        rt.close()
    _print_json({"stopped": [{k: f[k] for k in ("source", "url", "state", "clips_written", "sessions")} for f in finals]})


if __name__ == "__main__":  # pragma: no cover
    app()

"""Question-answering benchmark on the development week (issue #9).

Renders the week (``bench.qaset.media``, cached under bench/.cache/qaset), ingests each chunk into
one source of a fresh VIDMEM_HOME with its wall-clock start time (as a device pushes chunks), then
asks every question of ``bench.qaset.questions`` through the same agent as ``vidmem ask``, with
``now`` = Friday 27 Nov 2026 21:00 UTC, and grades it (``bench.qaset.score``).

Prints one JSON line per category and one ``"category": "TOTAL"`` line: ``n``, evidence ``hit5``
(gold span among the top 5 evidence items), answer ``acc`` (gold keywords in the answer of a
sufficient answer; for unanswerable questions the not-enough-evidence answer), and a last line
``"category": "NOT_ENOUGH"`` with the precision/recall of "not enough evidence", and a ``"RUN"``
line (machine, load average before and after, median seconds per question).

    python -m bench.qa                      # render + ingest into bench/.cache/qa-home, then ask
    python -m bench.qa --skip-ingest        # re-ask on the existing home (seconds per question)
    python -m bench.qa --ingest-only        # just build the home
    python -m bench.qa --skip-ingest --dump rows.jsonl --only paraphrase
    python -m bench.qa --regrade rows.jsonl     # grade a dump again (after a change to the gold)
    python -m bench.qa --skip-ingest --compare bench/baselines/qa_before_issue9.jsonl   # + questions gained/lost
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HOME = ROOT / "bench" / ".cache" / "qa-home"
SOURCE = "devset"


def _open_runtime(home: Path):
    os.environ["VIDMEM_HOME"] = str(home)
    from memory_core.runtime import Runtime
    from memory_core.settings import Settings

    return Runtime.open(Settings())


def ingest_week(home: Path) -> dict:
    """Wipe ``home``, render the week if needed and ingest every chunk, in time order, into source
    ``devset`` with the chunk's start time. Returns ``{"footage_s", "elapsed_s", "x_realtime",
    "statuses"}``. Raises RuntimeError when a chunk's ingest fails."""
    from bench.qaset.media import OUT, build
    from bench.qaset.script import WEEK

    manifest = build()
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    t0 = time.monotonic()
    rt = _open_runtime(home)
    from ingest_workers.pipeline import ingest_file

    statuses = []
    try:
        for chunk, entry in zip(WEEK, manifest["chunks"], strict=True):
            s = ingest_file(rt, OUT / entry["file"], source=SOURCE, start_time=chunk.start)
            statuses.append(s.status)
            print(f"ingested {chunk.name}: {s.status} {s.elapsed_s:.1f}s {s.counts} {s.skipped or ''}", file=sys.stderr)
            if s.status == "failed":
                raise RuntimeError(f"ingest of {chunk.name} failed: {s.error}")
    finally:
        rt.close()
    elapsed = time.monotonic() - t0
    footage = sum(c["duration_s"] for c in manifest["chunks"])
    return {"footage_s": round(footage, 1), "elapsed_s": round(elapsed, 1),
            "x_realtime": round(footage / elapsed, 2), "statuses": statuses}


def ask_questions(rt, questions) -> list[dict]:
    """Ask ``questions`` (``GoldQuestion``) through ``rt.agent`` with ``now`` = ``script.NOW``;
    returns one row per question: ``{"qid", "category", "question", "answer", "sufficient",
    "question_type", "evidence": [{"start", "end", "score", "level", "kind", "text"}], "seconds"}``
    (top 10 evidence items, times ISO 8601, best first as the agent ranks them)."""
    from api_schemas import Question
    from bench.qaset.script import NOW

    rows = []
    for q in questions:
        t0 = time.monotonic()
        a = rt.agent.ask(Question(text=q.text, now=NOW), tenant=rt.settings.default_tenant)
        rows.append({
            "qid": q.qid, "category": q.category, "question": q.text, "answer": a.answer,
            "sufficient": a.sufficient, "question_type": a.question_type.value,
            "evidence": [{"start": e.start.isoformat(), "end": e.end.isoformat(), "score": round(e.score, 4),
                          "level": e.level.value, "kind": e.kind.value, "text": e.text[:200]}
                         for e in a.evidence[:10]],
            "seconds": round(time.monotonic() - t0, 2),
        })
    return rows


def ask_all(home: Path, only: set[str] | None = None) -> list[dict]:
    """Open ``home`` and ask every question (or those of the categories in ``only``); rows as
    :func:`ask_questions`."""
    from bench.qaset.questions import QUESTIONS

    rt = _open_runtime(home)
    try:
        return ask_questions(rt, [q for q in QUESTIONS if not only or q.category in only])
    finally:
        rt.close()


def _changed(base_path: Path, rows: list[dict], gold: dict) -> dict:
    """``{"category": "CHANGED", "gained": [qid...], "lost": [qid...]}``: questions answered right
    now and wrong in the dump at ``base_path`` (re-graded with today's gold), and the reverse."""
    from bench.qaset.score import grade

    base = {}
    for line in base_path.read_text().splitlines():
        if line.strip():
            r = json.loads(line)
            if r["qid"] in gold:
                base[r["qid"]] = grade(gold[r["qid"]], r)["correct"]
    now = {r["qid"]: r["correct"] for r in rows}
    common = sorted(set(now) & set(base))
    return {"category": "CHANGED", "gained": [q for q in common if now[q] and not base[q]],
            "lost": [q for q in common if base[q] and not now[q]]}


def main() -> None:
    """CLI entry point; see the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--home", type=Path, default=DEFAULT_HOME, help="VIDMEM_HOME to build or reuse")
    ap.add_argument("--skip-ingest", action="store_true", help="reuse the existing home")
    ap.add_argument("--ingest-only", action="store_true", help="build the home and stop")
    ap.add_argument("--only", action="append", help="ask only this category (repeatable)")
    ap.add_argument("--dump", type=Path, help="write per-question rows (JSON lines) here")
    ap.add_argument("--regrade", type=Path, help="grade the rows of an earlier --dump again (no ingest, no asking)")
    ap.add_argument("--compare", type=Path, help="a dump to compare with (e.g. bench/baselines/qa_before_issue9.jsonl): "
                                                 "adds a CHANGED line with the questions gained and lost")
    args = ap.parse_args()
    from bench.qaset.questions import QUESTIONS
    from bench.qaset.score import grade, summarise

    gold = {q.qid: q for q in QUESTIONS}
    if args.regrade:
        rows = [json.loads(line) for line in args.regrade.read_text().splitlines() if line.strip()]
        for r in rows:
            r.update(grade(gold[r["qid"]], r))
        for line in summarise(rows):
            print(json.dumps(line), flush=True)
        if args.compare:
            print(json.dumps(_changed(args.compare, rows, gold)), flush=True)
        return
    info = {"machine": f"{platform.machine()} {os.cpu_count()} cpus", "load_avg": [round(x, 2) for x in os.getloadavg()]}
    if not args.skip_ingest:
        print(json.dumps({"category": "INGEST", **info, **ingest_week(args.home)}), flush=True)
        if args.ingest_only:
            return
    elif not args.home.exists():
        sys.exit(f"no home at {args.home}: run without --skip-ingest first")
    rows = ask_all(args.home, set(args.only) if args.only else None)
    for r in rows:
        r.update(grade(gold[r["qid"]], r))
    if args.dump:
        args.dump.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    for line in summarise(rows):
        print(json.dumps(line), flush=True)
    if args.compare:
        print(json.dumps(_changed(args.compare, rows, gold)), flush=True)
    secs = sorted(r["seconds"] for r in rows)
    print(json.dumps({"category": "RUN", **info, "load_avg_end": [round(x, 2) for x in os.getloadavg()],
                      "ask_s_median": secs[len(secs) // 2] if secs else None}), flush=True)


if __name__ == "__main__":
    main()

"""Question latency without an LLM over a synthetic week of one source: hierarchical vs flat.

Builds (once, cached under bench/.cache/query-week) 60,480 clips of 10 s with scenes, events and
stories in the default embedded stores, builds the HNSW index, then asks planted-needle questions
and generic ones through the retrieval agent and through flat clip search. Prints ONE JSON line:
p50/p95 latency (ms), mean candidates scored, and recall@5 of the planted clips for each method.

    python bench/query.py [--days 7] [--rebuild] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api_schemas import Question  # noqa: E402
from bench.synthetic import GENERIC_QUESTIONS, WEEK_START, build_synthetic_week  # noqa: E402
from memory_core.retrieval.flat import flat_search  # noqa: E402
from memory_core.runtime import Runtime  # noqa: E402
from memory_core.settings import Settings  # noqa: E402

START = WEEK_START


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank."""
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(q / 100 * (len(v) - 1)))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    home = ROOT / "bench" / ".cache" / f"query-week-{args.days}d"
    marker = home / "built.json"
    if args.rebuild and home.exists():
        shutil.rmtree(home)
    settings = Settings(home=home, models={"ocr": "none", "faces": "none", "voices": "none"})
    rt = Runtime.open(settings)
    build = {}
    if not marker.exists():
        t0 = time.perf_counter()
        week = build_synthetic_week(rt, tenant="default", source="cam1", start=START, days=args.days)
        t1 = time.perf_counter()
        rt.vectors.optimize()
        t2 = time.perf_counter()
        build = {"write_s": round(t1 - t0, 1), "optimize_s": round(t2 - t1, 1), "counts": week.counts}
        marker.write_text(json.dumps({"build": build, "needles": [
            {"question": n.question, "clip_id": n.clip_id, "start": n.start.isoformat()} for n in week.needles]}))
    meta = json.loads(marker.read_text())
    needles = meta["needles"]
    now = START + timedelta(days=args.days) - timedelta(minutes=1)  # Sunday 23:59: 'this week' is the week
    agent = rt.agent
    embedder = rt.providers.text_embedder()
    questions = [(n["question"], n["clip_id"]) for n in needles] + [(q, None) for q in GENERIC_QUESTIONS]
    # warm-up (model load, caches) is not measured
    agent.ask(Question(text="warm up", now=now), tenant="default")

    res = {"hier": {"lat": [], "cand": [], "hits": 0}, "flat": {"lat": [], "cand": [], "hits": 0}}
    for _ in range(args.repeat):
        for text, clip_id in questions:
            q = Question(text=text, now=now, sources=["cam1"])
            t0 = time.perf_counter()
            a = agent.ask(q, tenant="default")
            res["hier"]["lat"].append((time.perf_counter() - t0) * 1000)
            res["hier"]["cand"].append(a.scored_candidates)
            t0 = time.perf_counter()
            f = flat_search(rt.vectors, embedder, q, "default", limit=5)
            res["flat"]["lat"].append((time.perf_counter() - t0) * 1000)
            res["flat"]["cand"].append(f.scored_candidates)
            if clip_id is not None and _ == 0:
                res["hier"]["hits"] += any(e.node_id == clip_id for e in a.evidence[:5])
                res["flat"]["hits"] += any(e.node_id == clip_id for e in f.evidence[:5])
    out = {
        "bench": "query",
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.python_version()}",
        "days": args.days,
        "build": meta["build"],
        "questions": len(questions),
        "repeats": args.repeat,
    }
    for name, r in res.items():
        out[name] = {
            "p50_ms": round(pct(r["lat"], 50), 1),
            "p95_ms": round(pct(r["lat"], 95), 1),
            "mean_candidates_scored": round(statistics.mean(r["cand"]), 1),
            "recall_at_5": f"{r['hits']}/{len(needles)}",
        }
    rt.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()

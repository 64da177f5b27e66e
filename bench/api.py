"""Load on the REST service: concurrent questions and searches from two tenants against
``vidmem serve`` on loopback, over a synthetic week of memories per tenant, without an LLM.

Steps (bounded in count and time):

1. build (once, cached under ``bench/.cache/api-week-<days>d``) a synthetic week for each of two
   tenants (``bench.synthetic``: 60,480 clips of 10 s plus scenes, events and stories per tenant,
   real MiniLM vectors), and optimise the vector index;
2. the CLI path: the same questions asked in process (``Runtime.open`` + ``agent.ask``), one at a
   time: the latency without the service;
3. ``vidmem serve`` in a subprocess on 127.0.0.1 (JSON logs to a file, as deployed); the same
   questions over HTTP one at a time (the service's overhead is the difference), then
   ``--requests`` questions and searches from ``--clients`` concurrent clients, alternating tenants,
   stopped at ``--max-seconds``.

Prints ONE JSON line: throughput (requests/s), p50/p95 latency (ms) per kind, errors, the CLI-path
figures and the overhead.

    python bench/api.py [--days 7] [--clients 8] [--requests 400] [--max-seconds 120] [--rebuild]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api_schemas import Question  # noqa: E402
from bench.synthetic import GENERIC_QUESTIONS, NEEDLES, WEEK_START, build_synthetic_week  # noqa: E402
from memory_core.runtime import Runtime  # noqa: E402
from memory_core.settings import Settings  # noqa: E402

START = WEEK_START
TENANTS = ("bench-a", "bench-b")
ADMIN_KEY = "bench-admin-" + "k" * 32
QUESTIONS = [n[4] for n in NEEDLES] + GENERIC_QUESTIONS
SEARCHES = ["red truck at the delivery bay", "someone repairing a bicycle", "watering the plants in the garden",
            "talking on the phone in the office", "stacking pallets on the loading dock", "fire door sign"]
MODELS = {"ocr": "none", "faces": "none", "voices": "none", "asr": "none"}


def pct(values: list[float], q: float) -> float | None:
    """The q-th percentile (0..100) by nearest rank; None for no values."""
    if not values:
        return None
    v = sorted(values)
    return round(v[min(len(v) - 1, max(0, int(round(q / 100 * (len(v) - 1)))))], 1)


def settings_for(home: Path) -> Settings:
    return Settings(home=home, admin_key=ADMIN_KEY, models=MODELS, log_json=True)


def build(home: Path, days: int, rebuild: bool) -> dict:
    """The cached synthetic weeks (built when missing)."""
    marker = home / "built.json"
    if rebuild and home.exists():
        shutil.rmtree(home)
    if marker.exists():
        return json.loads(marker.read_text())
    rt = Runtime.open(settings_for(home))
    t0 = time.perf_counter()
    counts = {}
    for i, tenant in enumerate(TENANTS):
        week = build_synthetic_week(rt, tenant=tenant, source="cam1", start=START, days=days, seed=i)
        counts[tenant] = week.counts
    t1 = time.perf_counter()
    rt.vectors.optimize()
    meta = {"write_s": round(t1 - t0, 1), "optimize_s": round(time.perf_counter() - t1, 1), "counts": counts}
    rt.close()
    marker.write_text(json.dumps(meta))
    return meta


def cli_path(home: Path, now: datetime, repeat: int) -> list[float]:
    """Latency (ms) of each question asked in process, as ``vidmem ask`` does."""
    rt = Runtime.open(settings_for(home))
    try:
        agent = rt.agent
        for i, text in enumerate(QUESTIONS):  # one unmeasured round, as the HTTP path gets
            agent.ask(Question(text=text, now=now), tenant=TENANTS[i % 2])
        lat = []
        for r in range(repeat):
            for i, text in enumerate(QUESTIONS):
                t0 = time.perf_counter()
                agent.ask(Question(text=text, now=now), tenant=TENANTS[(i + r) % 2])
                lat.append((time.perf_counter() - t0) * 1000)
        return lat
    finally:
        rt.close()


def make_keys(home: Path) -> dict[str, str]:
    """A fresh API key per tenant (written straight to the database before the server starts)."""
    from memory_core.stores.relational.repository import SqlRepository
    from services.api.tenancy import TenantStore

    repo = SqlRepository(settings_for(home).db_url)
    store = TenantStore(repo.engine)
    keys = {t: store.create_key(t, "bench").key for t in TENANTS}
    repo.close()
    return keys


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(home: Path, port: int, log_path: Path) -> subprocess.Popen:
    env = dict(os.environ, VIDMEM_HOME=str(home), VIDMEM_ADMIN_KEY=ADMIN_KEY, VIDMEM_LOG_JSON="true",
               VIDMEM_API__RATE_LIMIT="1000000/minute", VIDMEM_API__QUERY_RATE_LIMIT="1000000/minute",
               **{f"VIDMEM_MODELS__{k.upper()}": v for k, v in MODELS.items()})
    log = open(log_path, "w")  # noqa: SIM115 - lives as long as the server
    return subprocess.Popen([sys.executable, "-m", "services.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(base: str, proc: subprocess.Popen, timeout_s: float = 600.0) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout_s:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return time.perf_counter() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError("server not ready in time")


def sequential(base: str, keys: dict[str, str], now: datetime, repeat: int) -> list[float]:
    """Latency (ms) of the CLI-path questions over HTTP, one at a time."""
    lat = []
    with httpx.Client(base_url=base, timeout=60) as c:
        for i, text in enumerate(QUESTIONS):  # one unmeasured round, as the CLI path gets
            c.post("/v1/query", json={"text": text, "now": now.isoformat()}, headers={"X-API-Key": keys[TENANTS[i % 2]]})
        for r in range(repeat):
            for i, text in enumerate(QUESTIONS):
                key = keys[TENANTS[(i + r) % 2]]
                t0 = time.perf_counter()
                resp = c.post("/v1/query", json={"text": text, "now": now.isoformat()}, headers={"X-API-Key": key})
                lat.append((time.perf_counter() - t0) * 1000)
                resp.raise_for_status()
    return lat


def load(base: str, keys: dict[str, str], now: datetime, clients: int, total: int, max_s: float) -> dict:
    """``total`` requests (2 questions : 1 search) from ``clients`` threads, stopped at ``max_s``."""
    plan = []
    for i in range(total):
        tenant = TENANTS[i % 2]
        if i % 3 == 2:
            plan.append(("search", tenant, "/v1/search", {"text": SEARCHES[i % len(SEARCHES)], "limit": 10}))
        else:
            plan.append(("question", tenant, "/v1/query", {"text": QUESTIONS[i % len(QUESTIONS)], "now": now.isoformat()}))
    lock = threading.Lock()
    cursor = [0]
    results: list[tuple[str, float, int]] = []
    deadline = time.perf_counter() + max_s

    def worker() -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            while time.perf_counter() < deadline:
                with lock:
                    if cursor[0] >= len(plan):
                        return
                    kind, tenant, path, body = plan[cursor[0]]
                    cursor[0] += 1
                t0 = time.perf_counter()
                try:
                    status = c.post(path, json=body, headers={"X-API-Key": keys[tenant]}).status_code
                except httpx.HTTPError:
                    status = 0
                with lock:
                    results.append((kind, (time.perf_counter() - t0) * 1000, status))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    out = {"clients": clients, "requests": len(results), "planned": total, "wall_s": round(wall, 2),
           "throughput_rps": round(len(results) / wall, 2) if wall else None,
           "errors": sum(1 for _, _, s in results if s != 200)}
    for kind in ("question", "search"):
        lat = [ms for k, ms, s in results if k == kind and s == 200]
        out[kind] = {"n": len(lat), "p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--max-seconds", type=float, default=120.0)
    ap.add_argument("--repeat", type=int, default=2, help="rounds of the sequential questions")
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()
    home = ROOT / "bench" / ".cache" / f"api-week-{args.days}d"
    now = START + timedelta(days=args.days)
    meta = build(home, args.days, args.rebuild)
    cli = cli_path(home, now, args.repeat)
    keys = make_keys(home)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(home, port, home / "serve.log")
    try:
        ready_s = wait_ready(base, proc)
        seq = sequential(base, keys, now, args.repeat)
        conc = load(base, keys, now, args.clients, args.requests, args.max_seconds)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    out = {
        "bench": "api",
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.python_version()}",
        "days": args.days,
        "tenants": len(TENANTS),
        "build": meta,
        "server_ready_s": round(ready_s, 1),
        "cli_path_question": {"n": len(cli), "p50_ms": pct(cli, 50), "p95_ms": pct(cli, 95)},
        "http_sequential_question": {"n": len(seq), "p50_ms": pct(seq, 50), "p95_ms": pct(seq, 95)},
        "service_overhead_p50_ms": round(pct(seq, 50) - pct(cli, 50), 1),
        "concurrent": conc,
        "target": "question p95 <= 300 ms at 8 clients on 2 cores",
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()

"""Distributed ingest throughput with 1, 2 and 4 perceive worker processes, and live-stream lag.

For each worker count: a fresh PostgreSQL schema (127.0.0.1:5432/test), a fresh Redis database
(127.0.0.1:6379/9) and VIDMEM_HOME; N ``vidmem worker --queues decode,perceive`` processes with
``models.threads = max(1, cores // N)`` and one ``vidmem worker --queues write``. A 5 s warm-up job
loads the models in every worker first; then the measured job (the committed sample.mp4 looped
``--loops`` times and re-encoded: speech, faces, on-screen text, 640x360) runs from dispatch to
``succeeded``. Throughput is media seconds / wall seconds. The live lag comes from
``bench/stream_lag.py`` (720p 25 fps with speech over UDP, default profile) run as a child.
Prints ONE JSON line.

    python bench/scale.py [--workers 1 2 4] [--loops 6] [--lag-seconds 120]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VIDMEM = str(Path(sys.executable).parent / "vidmem")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BROKER = "redis://127.0.0.1:6379/9"
sys.path.insert(0, str(ROOT))


def make_media(loops: int, out: Path) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", str(loops - 1), "-i", str(ROOT / "tests/data/sample.mp4"),
                    "-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-c:a", "aac", "-b:a", "96k", str(out)], check=True)
    return out


def start_worker(name: str, queues: str, env: dict, log: Path) -> subprocess.Popen:
    fh = open(log, "ab")
    return subprocess.Popen([VIDMEM, "worker", "--queues", queues, "--concurrency", "1", "--name", f"{name}@%h"],
                            env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)


def wait_job(repo, job_id: str, timeout_s: float = 3600) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = repo.get_job("default", job_id)
        if job["status"].value in ("succeeded", "partial", "failed"):
            return job
        time.sleep(0.2)
    raise TimeoutError(job_id)


def run_once(n: int, media: Path, cores: int, tmp: Path) -> dict:
    import psycopg
    import redis

    from ingest_workers.dispatch import dispatch_ingest
    from memory_core.runtime import Runtime
    from memory_core.settings import Settings

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    redis.Redis.from_url(BROKER).flushdb()
    home = tmp / f"home{n}"
    db = f"{PG_URL}?options=-csearch_path%3D{schema}"
    env = {**os.environ, "VIDMEM_HOME": str(home), "VIDMEM_DATABASE_URL": db, "VIDMEM_CELERY__BROKER_URL": BROKER,
           "VIDMEM_MODELS__THREADS": str(max(1, cores // n)), "HF_HUB_OFFLINE": "1", "VIDMEM_LOG_LEVEL": "WARNING"}
    procs = [start_worker(f"p{i}", "decode,perceive", env, tmp / f"p{n}-{i}.log") for i in range(n)]
    procs.append(start_worker("w", "write", env, tmp / f"w{n}.log"))
    try:
        settings = Settings(home=home, database_url=db, celery={"broker_url": BROKER})
        rt = Runtime.open(settings, vectors=False)
        warm = [dispatch_ingest(rt, ROOT / "tests/data/video_only.mp4", source=f"warm{i}") for i in range(n)]
        for j in warm:
            wait_job(rt.repo, j)
        t0 = time.monotonic()
        job = wait_job(rt.repo, dispatch_ingest(rt, media, source="bench"))
        wall = time.monotonic() - t0
        media_s = job["result"]["media_seconds"]
        return {"workers": n, "threads_per_worker": max(1, cores // n), "status": job["status"].value,
                "media_s": round(media_s, 1), "wall_s": round(wall, 1), "x_realtime": round(media_s / wall, 2)}
    finally:
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(timeout=30)
            except Exception:  # noqa: BLE001
                os.killpg(p.pid, signal.SIGKILL)
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--loops", type=int, default=6, help="times the 52 s sample is repeated")
    ap.add_argument("--lag-seconds", type=float, default=120.0, help="live stream length for the lag (0: skip)")
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    out: dict = {"bench": "scale", "machine": f"{platform.machine()} {cores} cores, {platform.python_version()}, no GPU",
                 "load_avg_before": [round(x, 2) for x in os.getloadavg()], "runs": []}
    with tempfile.TemporaryDirectory(prefix="vidmem-scale-") as tmp:
        tmp = Path(tmp)
        media = make_media(args.loops, tmp / "long.mp4")
        for n in args.workers:
            out["runs"].append(run_once(n, media, cores, tmp))
    base = out["runs"][0]["x_realtime"]
    for r in out["runs"]:
        r["speedup"] = round(r["x_realtime"] / base, 2)
    if args.lag_seconds > 0:
        lag = subprocess.run([sys.executable, str(ROOT / "bench/stream_lag.py"), "--seconds", str(args.lag_seconds)],
                             capture_output=True, text=True, timeout=args.lag_seconds + 600)
        lines = [ln for ln in lag.stdout.splitlines() if ln.startswith("{")]
        out["live_lag"] = json.loads(lines[-1]) if lines else {"error": lag.stderr[-500:]}
    out["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out))


if __name__ == "__main__":
    main()

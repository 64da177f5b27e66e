"""`vidmem ask` from process start: wall and CPU seconds of one CLI question, and what it loaded.

Ingests ``tests/data/sample.mp4`` into a temporary ``VIDMEM_HOME`` (or uses ``--home``), then runs
``python -m services.cli ask QUESTION`` ``--repeat`` times as fresh processes and prints ONE JSON
line: median and all wall seconds, median CPU seconds (user + sys of the child, from
``resource.getrusage``), the load average before and after, and the host. CPU seconds matter on a
shared machine: wall time there grows with the other jobs' load.

    python bench/ask_start.py [--home DIR] [--repeat 3] [--question "..."]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDMEM_")}
    env.update(VIDMEM_HOME=str(home), PYTHONPATH=str(ROOT), VIDMEM_LOG_LEVEL="WARNING")
    return env


def run_ask(home: Path, question: str, now: str) -> tuple[float, float]:
    """One ``vidmem ask`` in a fresh process: ``(wall_s, cpu_s)``.

    Raises:
        subprocess.CalledProcessError: when the command fails.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "services.cli", "ask", question, "--now", now],
                   cwd=ROOT, env=_env(home), check=True, capture_output=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, help="an existing VIDMEM_HOME (default: ingest the sample into a temp one)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--question", default="Is the back door open?")
    ap.add_argument("--now", default="2026-11-16T09:00:00+00:00")
    args = ap.parse_args()
    tmp = None
    home = args.home
    if home is None:
        tmp = tempfile.TemporaryDirectory(prefix="vidmem-ask-")
        home = Path(tmp.name)
        subprocess.run([sys.executable, "-m", "services.cli", "ingest", str(ROOT / "tests/data/sample.mp4"),
                        "--source", "demo", "--start-time", "2026-11-16T08:00:00+00:00"],
                       cwd=ROOT, env=_env(home), check=True, capture_output=True)
    load_before = os.getloadavg()[0]
    runs = [run_ask(home, args.question, args.now) for _ in range(args.repeat)]
    print(json.dumps({
        "bench": "ask_start",
        "median_wall_s": round(statistics.median(w for w, _ in runs), 2),
        "median_cpu_s": round(statistics.median(c for _, c in runs), 2),
        "wall_s": [round(w, 2) for w, _ in runs],
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "host": platform.machine(),
    }))
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()

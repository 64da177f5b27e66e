"""Live-stream lag: from capture to a queryable clip memory, with the default profile.

A 1280x720 H.264/AAC stream with speech (the committed sample looped and scaled, encoded once into
bench/.cache/live720.mp4) is published in real time by ffmpeg (``-re -c copy``, so the publisher
costs almost no CPU) as MPEG-TS over UDP or as a live HLS playlist on loopback. A StreamWorker in
this process pulls it with the default profile (ASR, text embeddings, faces, voices, OCR) on
``--cores`` CPU cores (affinity; models use that many threads). For every clip: capture end (wall
clock of its last media second) and the moment its memory is queryable (written to both stores,
checked in the vector store). Prints ONE JSON line: lag p50/p95/max from the clip's end (and from
its start), clips, dropped windows, resident memory early and late (flat memory).

    python bench/stream_lag.py [--seconds 150] [--transport udp|hls] [--cores 2]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import closing
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CACHE = ROOT / "bench" / ".cache"
SAMPLE = ROOT / "tests" / "data" / "sample.mp4"


def make_footage(seconds: float) -> Path:
    """bench/.cache/live720.mp4: the sample looped to ``seconds`` (+ margin), 1280x720, GOP 2 s."""
    out = CACHE / f"live720-{int(seconds)}.mp4"
    if out.exists():
        return out
    CACHE.mkdir(parents=True, exist_ok=True)
    loops = int(seconds // 52) + 2
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-stream_loop", str(loops), "-i", str(SAMPLE),
                    "-t", str(seconds + 30), "-vf", "scale=1280:720", "-r", "25", "-c:v", "libx264", "-preset", "veryfast",
                    "-g", "50", "-keyint_min", "50", "-sc_threshold", "0", "-c:a", "aac", "-b:a", "128k", "-y", str(out)],
                   check=True)
    return out


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port(kind: int) -> int:
    with closing(socket.socket(socket.AF_INET, kind)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values, q) -> float | None:
    return round(float(np.percentile(values, q)), 2) if values else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=150.0, help="how long the stream is pulled")
    ap.add_argument("--transport", choices=["udp", "hls"], default="udp")
    ap.add_argument("--cores", type=int, default=2, help="CPU cores for the worker (affinity and model threads)")
    args = ap.parse_args()

    footage = make_footage(args.seconds)
    ncpu = os.cpu_count() or 1
    worker_cores = set(range(min(args.cores, ncpu)))
    pub_cores = set(range(len(worker_cores), ncpu)) or worker_cores
    os.sched_setaffinity(0, worker_cores)

    from api_schemas import Question
    from ingest_workers.stream import StreamWorker
    from memory_core.runtime import Runtime
    from memory_core.settings import Settings
    from memory_core.stores.base import VectorFilter

    home = Path(tempfile.mkdtemp(prefix="vidmem-bench-stream-"))
    settings = Settings(home=home, log_level="WARNING", models={"threads": len(worker_cores)})
    rt = Runtime.open(settings)
    rt.ensure_collection()
    p = rt.providers
    loaded = {role: getattr(p, role)() is not None for role in ("asr", "faces", "voices", "ocr", "text_embedder")}

    tmp = Path(tempfile.mkdtemp(prefix="vidmem-bench-pub-"))
    server = None
    if args.transport == "udp":
        port = free_port(socket.SOCK_DGRAM)
        out_args, url = ["-f", "mpegts", f"udp://127.0.0.1:{port}?pkt_size=1316"], f"udp://127.0.0.1:{port}"
    else:
        out_args = ["-f", "hls", "-hls_time", "2", "-hls_list_size", "6", "-hls_flags", "delete_segments+omit_endlist",
                    str(tmp / "live.m3u8")]
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp))
        handler.log_message = lambda *a: None
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.handle_error = lambda *a: None  # a reader closing early is not news
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/live.m3u8"
    os.sched_setaffinity(0, pub_cores)  # the child inherits this thread's cores
    pub = subprocess.Popen(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-i", str(footage),
                            "-c", "copy", *out_args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.sched_setaffinity(0, worker_cores)
    t_pub = time.time()
    if args.transport == "hls":
        while not (tmp / "live.m3u8").exists() and time.time() - t_pub < 30:
            time.sleep(0.2)

    lag_end, lag_start, lag_pub, rss, clips = [], [], [], [], []

    tenant = settings.default_tenant

    def on_clip(info: dict) -> None:
        # queryable = the clip's point is in the vector store (and the row in the database)
        while rt.vectors.count(VectorFilter(tenant=tenant, node_ids=[info["node_id"]])) < 1:
            time.sleep(0.05)
        now = time.time()
        clips.append({**info, "queryable_at": now})
        lag_end.append(now - info["capture_end"].timestamp())
        lag_start.append(now - info["capture_start"].timestamp())
        rss.append(rss_mb())

    worker = StreamWorker(rt, tenant, "bench-720p", url, on_clip=on_clip)
    worker.start()
    time.sleep(args.seconds)
    # The publisher sends file second x at about t_pub + x (-re); the stream's timestamps are the
    # file's plus the muxer's start offset, so the file second of the worker's media 0 is
    # origin_pts - start_pts: lag against the publisher includes the transport's latency too.
    reader = worker.reader
    file_s0 = (reader.origin_pts_s - reader.start_pts_s) if reader and reader.origin_pts_s is not None and reader.start_pts_s is not None else None
    if file_s0 is not None:
        for c in clips:
            lag_pub.append(c["queryable_at"] - (t_pub + file_s0 + c["media_end_s"]))
    mid = rt.agent.ask(Question(text="What did Bob say about the red truck?", sources=["bench-720p"]), tenant=tenant)
    summary = worker.stop(120)
    pub.terminate()
    pub.wait(10)
    if server is not None:
        server.shutdown()
    rt.close()
    print(json.dumps({
        "bench": "stream_lag", "transport": args.transport, "resolution": "1280x720", "fps": 25,
        "profile": "default", "models": loaded, "worker_cores": len(worker_cores), "machine_cores": ncpu,
        "cpu": platform.processor() or platform.machine(), "stream_seconds": args.seconds,
        "clip_seconds": settings.ingest.clip_seconds, "clips": len(lag_end),
        "lag_from_clip_end_s": {"p50": pct(lag_end, 50), "p95": pct(lag_end, 95), "max": pct(lag_end, 100)},
        "lag_from_clip_start_s": {"p50": pct(lag_start, 50), "p95": pct(lag_start, 95), "max": pct(lag_start, 100)},
        "lag_from_publisher_send_s": {"p50": pct(lag_pub, 50), "p95": pct(lag_pub, 95), "max": pct(lag_pub, 100)},
        "dropped_windows": summary["dropped_windows"], "sessions": summary["sessions"], "errors": summary["errors"],
        "rss_mb": {"after_3_clips": round(rss[min(2, len(rss) - 1)], 1) if rss else None,
                   "end": round(rss[-1], 1) if rss else None},
        "mid_stream_answer_has_truck": "truck" in mid.answer.lower(),
        "target_p95_s": 20.0, "meets_target": bool(lag_end) and pct(lag_end, 95) <= 20.0,
    }))


if __name__ == "__main__":
    main()

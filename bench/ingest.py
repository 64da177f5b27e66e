"""Ingest speed (multiple of real time) and peak memory with the default profile.

Media: the 596 s Big Buck Bunny film (1280x720 H.264 24 fps, music only), fetched from the
moviepy 2.2.1 source package with pip, and speech-dense footage made from the committed sample and
LibriVox/espeak-ng speech with ffmpeg (both cached under bench/.cache). Each ingest runs as a
``vidmem ingest`` subprocess (this checkout's code: ``python -m services.cli`` with the repository
first on PYTHONPATH) with a fresh VIDMEM_HOME, so peak RSS is the child's own. The ASR profile is
whatever VIDMEM_MODELS__ASR says (default ``offline`` = whisper base; ``fast`` = tiny.en). The
1/5/15-minute load averages before and after are printed too: on a shared machine they say how
much of the figure is other people's work; the child's CPU seconds (user + system, from
``wait4``) and media seconds per CPU second compare profiles fairly under such load. Prints ONE JSON line.

    python bench/ingest.py [--only film|speech]
    VIDMEM_MODELS__ASR=fast python bench/ingest.py --only speech
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
VIDMEM = [sys.executable, "-m", "services.cli"]
ZIP_MEMBER = "docs/_static/medias/getting_started/moviepy_10_minutes/moviepy_10_minutes.zip"


def fetch_film() -> Path:
    """bench/.cache/bbb.mp4 from the moviepy 2.2.1 sdist (pip download, no model hub)."""
    out = CACHE / "bbb.mp4"
    if out.exists():
        return out
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                        "moviepy==2.2.1", "-d", tmp], check=True)
        sdist = next(Path(tmp).glob("moviepy-2.2.1*"))
        shutil.unpack_archive(str(sdist), tmp)
        inner = next(Path(tmp).glob(f"moviepy-2.2.1/{ZIP_MEMBER}"))
        with zipfile.ZipFile(inner) as z:
            name = next(n for n in z.namelist() if n.endswith("resources/bbb.mp4"))
            out.write_bytes(z.read(name))
    return out


def make_speech_footage(minutes: float = 3.0) -> Path:
    """Speech-dense footage: the sample's video looped under continuous speech (LibriVox readings
    and espeak-ng), ``minutes`` long, 640x360 H.264 + AAC. Needs ffmpeg and espeak-ng."""
    out = CACHE / "speech.mp4"
    if out.exists():
        return out
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        parts = sorted(glob.glob("/usr/share/pocketsphinx/test/data/librivox/*.wav"))
        paragraph = ("The morning shift starts at seven. Alice checks the loading dock and counts the pallets. "
                     "Bob drives the forklift to bay three while Carol updates the inventory on the laptop. "
                     "At noon the team meets in the office to plan the deliveries for tomorrow. ")
        tts = Path(tmp) / "tts.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(tts), paragraph * 2], check=True)
        parts.append(str(tts))
        lst = Path(tmp) / "list.txt"
        reps = int(minutes * 60 / 60) + 2
        lst.write_text("".join(f"file '{p}'\n" for _ in range(reps) for p in parts))
        audio = Path(tmp) / "speech.wav"
        subprocess.run(["ffmpeg", "-v", "error", "-f", "concat", "-safe", "0", "-i", str(lst), "-ar", "16000", "-ac", "1",
                        "-t", str(minutes * 60), str(audio)], check=True)
        subprocess.run(["ffmpeg", "-v", "error", "-stream_loop", "-1", "-i", str(ROOT / "tests/data/sample.mp4"), "-i", str(audio),
                        "-map", "0:v", "-map", "1:a", "-t", str(minutes * 60), "-c:v", "libx264", "-preset", "veryfast",
                        "-c:a", "aac", "-shortest", str(out)], check=True)
    return out


def run_ingest(path: Path) -> dict:
    """Ingest ``path`` in a child process with a fresh home; returns speed and peak RSS."""
    home = tempfile.mkdtemp(prefix="vidmem-bench-")
    env = dict(os.environ, VIDMEM_HOME=home, VIDMEM_LOG_LEVEL="WARNING",
               PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p))
    out_f, err_f = Path(home) / "stdout", Path(home) / "stderr"
    t0 = time.perf_counter()
    with out_f.open("w") as so, err_f.open("w") as se:
        proc = subprocess.Popen([*VIDMEM, "ingest", str(path), "--source", "bench"], env=env, stdout=so, stderr=se)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage: ru_maxrss in KiB on Linux
    wall = time.perf_counter() - t0
    peak_kb = usage.ru_maxrss
    cpu_s = usage.ru_utime + usage.ru_stime  # the child's own CPU time: far less sensitive to other load than wall time
    stdout, stderr = out_f.read_text(), err_f.read_text()
    returncode = os.waitstatus_to_exitcode(status)
    shutil.rmtree(home, ignore_errors=True)
    if returncode != 0:
        raise SystemExit(f"ingest failed: {stderr[-2000:]}")
    summary = json.loads(stdout.strip().splitlines()[-1])
    media_s = summary["media_seconds"]
    return {
        "media_s": media_s, "wall_s": round(wall, 1), "x_realtime": round(media_s / wall, 2),
        "ingest_elapsed_s": summary["elapsed_s"], "peak_rss_mb": round(peak_kb / 1024, 0),
        "cpu_s": round(cpu_s, 1), "media_s_per_cpu_s": round(media_s / cpu_s, 2),
        "counts": summary["counts"], "status": summary["status"],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=["film", "speech"])
    args = ap.parse_args()
    out = {"bench": "ingest", "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.python_version()}",
           "profile": "default (offline models)", "asr": os.environ.get("VIDMEM_MODELS__ASR", "offline"),
           "load_avg_before": [round(x, 2) for x in os.getloadavg()]}
    if args.only in (None, "film"):
        out["film_bbb_596s"] = run_ingest(fetch_film())
    if args.only in (None, "speech"):
        out["speech_dense"] = run_ingest(make_speech_footage())
    out["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out))


if __name__ == "__main__":
    main()

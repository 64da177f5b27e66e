"""Render the development week (``script.WEEK``) to media files with espeak-ng and ffmpeg.

Each chunk: the video stream of a committed test clip (tests/data: Big Buck Bunny, a talking face,
bikes street footage; see tests/data/ATTRIBUTION.md; only sign-free parts, ``BACKGROUND_WINDOW``)
looped to the chunk's length, 640x360 at 15 fps;
signs drawn in with ffmpeg ``drawtext`` (DejaVu Sans Bold, Debian ``fonts-dejavu-core``); audio is
the chunk's lines spoken by espeak-ng (22.05 kHz mono) with pauses, over faint seeded pink noise.
Output: ``bench/.cache/qaset/<chunk>.mp4`` plus ``manifest.json`` giving every line's and sign's
media offsets (seconds) and wall-clock span (ISO 8601, UTC). Deterministic for a given
espeak-ng/ffmpeg version (here espeak-ng 1.51, ffmpeg 5.1).

    python -m bench.qaset.media [--force]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import tempfile
import wave
from datetime import timedelta
from pathlib import Path

import numpy as np

from bench.qaset.script import SIGN_WINDOW_S, VOICES, WEEK, Chunk

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / ".cache" / "qaset"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
RATE = 22050  # espeak-ng's output rate (Hz)
LEAD_S, GAP_S, TAIL_S, MIN_S = 2.5, 1.0, 3.0, 17.0
WPM = 160  # espeak-ng speaking rate (words per minute; its default is 175)
# Part of a background file to loop (seconds): sample.mp4 shows burned-in signs from 24 s on
# ("DELIVERY BAY 3", "GATE 7 OPEN", see tests/data/make_sample.py) that are not part of the week.
BACKGROUND_WINDOW = {"sample.mp4": (0.0, 24.0)}


def _speak(text: str, voice: str, tmp: Path) -> np.ndarray:
    """espeak-ng ``text`` with ``voice``; returns int16 samples at RATE."""
    wav = tmp / f"{hashlib.sha1((voice + text).encode()).hexdigest()[:12]}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(WPM), "-w", str(wav), text], check=True)
    with wave.open(str(wav)) as w:
        assert w.getframerate() == RATE and w.getnchannels() == 1, "unexpected espeak-ng output format"
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


def render_chunk(chunk: Chunk, out_dir: Path, seed: int) -> dict:
    """Render one chunk to ``out_dir/<chunk.name>.mp4``; returns its manifest entry
    (``{"chunk", "file", "start", "duration_s", "spans": [{"id", "kind", "voice", "text",
    "media_start_s", "media_end_s", "start", "end"}]}``, times ISO 8601 UTC)."""
    spans = []
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        pieces = [np.zeros(int(LEAD_S * RATE), np.int16)]
        t = LEAD_S
        for i, line in enumerate(chunk.lines):
            if i:
                pieces.append(np.zeros(int(GAP_S * RATE), np.int16))
                t += GAP_S
            pcm = _speak(line.text, VOICES[line.voice], tmp)
            pieces.append(pcm)
            spans.append({"id": line.id, "kind": "speech", "voice": line.voice, "text": line.text,
                          "media_start_s": round(t, 3), "media_end_s": round(t + len(pcm) / RATE, 3)})
            t += len(pcm) / RATE
        duration = max(t + TAIL_S, MIN_S)
        pcm = np.concatenate(pieces)
        pcm = np.concatenate([pcm, np.zeros(int(duration * RATE) - len(pcm), np.int16)])
        speech = tmp / "speech.wav"
        with wave.open(str(speech), "wb") as w:
            w.setnchannels(1), w.setsampwidth(2), w.setframerate(RATE)
            w.writeframes(pcm.tobytes())
        vf = "scale=640:360,fps=15"
        a, b = SIGN_WINDOW_S
        for k, (sid, text) in enumerate(chunk.signs):
            tf = tmp / f"sign{k}.txt"
            tf.write_text(text)
            vf += (f",drawtext=fontfile={FONT}:textfile={tf}:fontsize=34:fontcolor=black:box=1:"
                   f"boxcolor=white@0.92:boxborderw=16:x=(w-text_w)/2:y=h*0.18:enable='between(t,{a},{b})'")
            spans.append({"id": sid, "kind": "sign", "voice": None, "text": text,
                          "media_start_s": a, "media_end_s": b})
        out = out_dir / f"{chunk.name}.mp4"
        bg = ROOT / "tests" / "data" / chunk.background
        if chunk.background in BACKGROUND_WINDOW:
            a0, a1 = BACKGROUND_WINDOW[chunk.background]
            clean = tmp / "background.mp4"
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", str(a0), "-t", str(a1 - a0), "-i", str(bg), "-an",
                            "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", str(clean)], check=True)
            bg = clean
        subprocess.run([
            "ffmpeg", "-v", "error", "-y", "-stream_loop", "-1", "-i", str(bg), "-i", str(speech),
            "-f", "lavfi", "-i", f"anoisesrc=color=pink:amplitude=0.012:seed={seed}:sample_rate={RATE}",
            "-filter_complex", f"[0:v]{vf}[v];[1:a][2:a]amix=inputs=2:duration=first:normalize=0[a]",
            "-map", "[v]", "-map", "[a]", "-t", f"{duration:.3f}",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "28", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "64k", "-fflags", "+bitexact", "-map_metadata", "-1", str(out),
        ], check=True)
    for s in spans:
        s["start"] = (chunk.start + timedelta(seconds=s["media_start_s"])).isoformat()
        s["end"] = (chunk.start + timedelta(seconds=s["media_end_s"])).isoformat()
    return {"chunk": chunk.name, "file": out.name, "start": chunk.start.isoformat(),
            "duration_s": round(duration, 3), "spans": spans}


def build(force: bool = False, out_dir: Path = OUT) -> dict:
    """Render every chunk of the week (cached: nothing is redone unless ``force`` or a file is
    missing) and write ``manifest.json``; returns the manifest ``{"chunks": [...]}``.
    Raises ``subprocess.CalledProcessError`` when espeak-ng or ffmpeg fails."""
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / "manifest.json"
    if not force and manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if [c["chunk"] for c in manifest["chunks"]] == [c.name for c in WEEK] and all(
                (out_dir / c["file"]).exists() for c in manifest["chunks"]):
            return manifest
    manifest = {"chunks": [render_chunk(c, out_dir, seed=1000 + i) for i, c in enumerate(WEEK)]}
    manifest_path.write_text(json.dumps(manifest, indent=1))
    return manifest


def main() -> None:
    """CLI: render the week; prints the total footage length in seconds."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--force", action="store_true", help="re-render even when cached")
    m = build(force=ap.parse_args().force)
    print(json.dumps({"chunks": len(m["chunks"]), "footage_s": round(sum(c["duration_s"] for c in m["chunks"]), 1)}))


if __name__ == "__main__":
    main()

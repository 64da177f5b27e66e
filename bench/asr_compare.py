"""Word-level comparison of the packaged ASR profiles on real and synthetic speech.

Speech: the five LibriVox readings of Debian's pocketsphinx-testdata (with their reference
transcripts) and sentences spoken by espeak-ng (names, places, numbers, times, money and codes).
Each profile (``fast`` = tiny.en, ``offline`` = whisper base) transcribes every clip; hypothesis
and reference both go through :func:`memory_core.spoken_numbers.normalise_transcript` and are
compared as lower-case words (word error rate = Levenshtein distance / reference words). The
espeak clips are transcribed a second time with their names as hotwords, and, as a check that
hotwords do not make names up, two minutes of the Big Buck Bunny film's music and effects
(``bench/.cache/bbb.mp4`` from bench/ingest.py, when present) with and without them.
Prints one JSON line per profile and one per clip where the profiles differ.

    python bench/asr_compare.py
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

from memory_core.providers.asr_whisper import WhisperASR
from memory_core.spoken_numbers import normalise_transcript

LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
SENTENCES = [
    "This is Tom. The door code changed to four seven one nine this morning.",
    "Priya said the rent went up to forty thousand dollars a year.",
    "We are meeting at the bakery in Lisbon at six thirty on Thursday.",
    "Call Doctor Okafor back on five five five, two one three four.",
    "The croissants cost twenty five dollars for the whole box.",
    "Amara moved the meeting from Monday to Friday at quarter past nine.",
    "The parcel from Hamburg arrived with three hundred and twelve screws.",
    "My flight to Nairobi leaves at eleven forty five from gate twenty two.",
]
NAMES = ["Tom", "Priya", "Lisbon", "Okafor", "Amara", "Hamburg", "Nairobi"]


def _read(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        assert w.getframerate() == 16_000 and w.getnchannels() == 1
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768.0


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9$:%.,]+", normalise_transcript(text).lower().replace(",", "").replace(".", " "))


def wer(ref: list[str], hyp: list[str]) -> tuple[int, int]:
    """(edit distance in words, reference length)."""
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
    return d[len(hyp)], len(ref)


def clips() -> list[tuple[str, np.ndarray, str]]:
    out = []
    refs = {}
    for line in (LIBRIVOX / "transcription").read_text().splitlines():
        m = re.match(r"<s>(.*)</s>\s*\((.*)\)", line.strip())
        if m:
            refs[m.group(2)] = m.group(1).strip()
    for path in sorted(LIBRIVOX.glob("*.wav")):
        if path.stem in refs:
            out.append((f"librivox/{path.stem}", _read(path), refs[path.stem]))
    with tempfile.TemporaryDirectory() as tmp:
        for i, text in enumerate(SENTENCES):
            wav = Path(tmp) / f"s{i}.wav"
            subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), text], check=True)
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-ar", "16000", "-ac", "1", str(wav) + ".16k.wav"], check=True)
            out.append((f"espeak/{i}", _read(Path(str(wav) + ".16k.wav")), text))
    return out


def main() -> None:
    data = clips()
    music = None
    film = Path(__file__).resolve().parent / ".cache" / "bbb.mp4"
    if film.is_file():
        raw = subprocess.run(["ffmpeg", "-v", "error", "-ss", "60", "-t", "120", "-i", str(film), "-f", "s16le", "-ar", "16000",
                              "-ac", "1", "-"], check=True, capture_output=True).stdout
        music = np.frombuffer(raw, dtype=np.int16).astype(np.float32) / 32768.0
    hyps: dict[str, dict[str, str]] = {}
    for profile in ("fast", "offline"):
        t0 = time.process_time()
        asr = WhisperASR(profile, threads=2)
        load_cpu = time.process_time() - t0
        errs = refs = 0
        audio_s = cpu = 0.0
        for name, audio, ref in data:
            t = time.process_time()
            hyp = " ".join(s.text for s in asr.transcribe(audio))
            cpu += time.process_time() - t
            audio_s += audio.size / 16_000
            hyps.setdefault(name, {})[profile] = hyp
            e, n = wer(_words(ref), _words(hyp))
            errs, refs = errs + e, refs + n
        names_heard, espeak_wer, with_hotwords, film = {}, {}, [], {}
        espeak = [(a, ref) for n, a, ref in data if n.startswith("espeak/")]
        for label, kw in (("without", {}), ("with", {"hotwords": NAMES})):
            texts = [" ".join(s.text for s in asr.transcribe(a, **kw)) for a, _ in espeak]
            names_heard[label] = sorted(n for n in NAMES if n.lower() in " ".join(texts).lower())
            pairs = [wer(_words(ref), _words(t)) for (_, ref), t in zip(espeak, texts, strict=True)]
            espeak_wer[label] = round(sum(e for e, _ in pairs) / sum(n for _, n in pairs), 3)
            with_hotwords = texts
            if music is not None:
                film[label] = " ".join(s.text for s in asr.transcribe(music, **kw))
        print(json.dumps({"profile": profile, "model": asr.name, "clips": len(data), "audio_s": round(audio_s, 1),
                          "wer": round(errs / refs, 3), "ref_words": refs, "load_cpu_s": round(load_cpu, 2),
                          "asr_cpu_s": round(cpu, 2), "audio_s_per_cpu_s": round(audio_s / cpu, 2),
                          "names_heard_espeak": names_heard, "espeak_wer": espeak_wer, "espeak_with_hotwords": with_hotwords,
                          "film_music_120s": film}))
    for name, _audio, ref in data:
        h = hyps[name]
        if _words(h["fast"]) != _words(h["offline"]):
            print(json.dumps({"clip": name, "ref": ref, "fast": h["fast"], "offline": h["offline"]}))


if __name__ == "__main__":
    main()

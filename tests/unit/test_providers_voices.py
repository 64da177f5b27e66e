"""Resemblyzer provider: two espeak-ng voices are told apart."""

from __future__ import annotations

import shutil
import subprocess
import wave
from math import gcd
from pathlib import Path

import numpy as np
import pytest

from memory_core.providers import ProviderRegistry
from memory_core.settings import Settings

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng missing (apt-get install espeak-ng)")

TEXTS = [
    "The red truck arrived at the delivery bay this morning and the driver went inside.",
    "Please remember to charge the forklift battery before the end of the night shift.",
]


def _say(voice: str, text: str, tmp: Path) -> np.ndarray:
    from scipy.signal import resample_poly

    out = tmp / f"{voice.replace('+', '_')}_{abs(hash(text))}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(out), text], check=True, capture_output=True)
    with wave.open(str(out)) as w:
        sr = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768.0
    g = gcd(16_000, sr)
    return resample_poly(x, 16_000 // g, sr // g).astype(np.float32)


@pytest.fixture(scope="module")
def voices(tmp_path_factory):
    reg = ProviderRegistry(Settings(home=tmp_path_factory.mktemp("home"), models={"threads": 2}))
    return reg.voices()


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("espeak")
    return {v: [_say(v, t, tmp) for t in TEXTS] for v in ("en-us+m3", "en-gb+f3")}


def test_same_voice_is_more_similar_than_other_voice(voices, speech) -> None:
    a1, a2 = (voices.embed(x) for x in speech["en-us+m3"])
    b1, b2 = (voices.embed(x) for x in speech["en-gb+f3"])
    for v in (a1, a2, b1, b2):
        assert v is not None and v.shape == (256,) and v.dtype == np.float32
        assert abs(float(np.linalg.norm(v)) - 1.0) < 1e-5
    same = min(float(a1 @ a2), float(b1 @ b2))
    cross = max(float(a1 @ b1), float(a1 @ b2), float(a2 @ b1), float(a2 @ b2))
    assert same > cross + 0.03, (same, cross)


def test_short_silent_or_broken_audio_gives_none(voices, speech) -> None:
    assert voices.embed(speech["en-us+m3"][0][:12_000]) is None  # 0.75 s
    assert voices.embed(np.zeros(48_000, dtype=np.float32)) is None
    loud_silence = np.zeros(48_000, dtype=np.float32)
    loud_silence[::1000] = np.nan
    assert voices.embed(loud_silence) is None


def test_loud_input_is_clipped_before_the_vad(voices, speech) -> None:
    loud = speech["en-gb+f3"][0] * 4.0  # peaks beyond [-1, 1]: int16 PCM for webrtcvad would wrap around
    voiced = voices.preprocess(loud)
    assert voiced.size >= 16_000 and float(np.abs(voiced).max()) <= 1.0
    v = voices.embed(loud)
    assert v is not None and np.isfinite(v).all() and abs(float(np.linalg.norm(v)) - 1.0) < 1e-5

"""faster-whisper provider on real human speech (LibriVox readings from pocketsphinx-testdata)."""

from __future__ import annotations

import re
import wave
from pathlib import Path

import numpy as np
import pytest

from memory_core.providers import ProviderRegistry
from memory_core.settings import Settings

LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
FILES = ["sense_and_sensibility_01_austen_64kb-0870", "sense_and_sensibility_01_austen_64kb-0880"]
SR = 16_000
GAP_S = 1.0
OFFSET_S = 100.0

pytestmark = pytest.mark.skipif(
    not all((LIBRIVOX / f"{f}.wav").is_file() for f in FILES),
    reason=f"LibriVox test speech missing under {LIBRIVOX}: apt-get install pocketsphinx-testdata",
)


def _read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        assert w.getframerate() == SR and w.getnchannels() == 1 and w.getsampwidth() == 2
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768.0


def _reference() -> dict[str, str]:
    refs = {}
    for line in (LIBRIVOX / "transcription").read_text().splitlines():
        m = re.match(r"<s>(.*)</s>\s*\((.*)\)", line.strip())
        if m:
            refs[m.group(2)] = m.group(1).strip()
    return refs


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower().replace("mr.", "mister"))


@pytest.fixture(scope="module")
def asr(tmp_path_factory):
    # "offline" named explicitly: the suite sets VIDMEM_MODELS__ASR=fast (tests/conftest.py)
    reg = ProviderRegistry(Settings(home=tmp_path_factory.mktemp("home"), models={"threads": 2, "asr": "offline"}))
    provider = reg.asr()
    assert provider is not None
    return provider


def test_identity_names_packaged_model(asr) -> None:
    """The default profile ("offline") is whisper base, in English unless configured otherwise."""
    from memory_core.settings import ModelSettings

    assert ModelSettings().asr == "offline"  # the default profile
    assert asr.name == "faster-whisper/base"
    assert asr.version.startswith("faster-whisper/base@") and asr.version.endswith("/int8")
    assert asr.language == "en"


def test_fast_profile_is_packaged_tiny_en(tmp_path) -> None:
    reg = ProviderRegistry(Settings(home=tmp_path, models={"asr": "fast", "threads": 2, "asr_language": "auto"}))
    fast = reg.asr()
    assert fast.name == "faster-whisper/tiny.en"
    assert fast.language == "en"  # an English-only model ignores "auto"


def test_language_auto_leaves_detection_to_whisper(tmp_path) -> None:
    from memory_core.providers.asr_whisper import effective_language

    assert effective_language("auto", "base") is None
    assert effective_language("", "base") is None
    assert effective_language("DE", "base") == "de"
    assert effective_language(None, "small.en") == "en"


def test_hotwords_reach_whisper_bounded(asr, monkeypatch) -> None:
    """Names given to ``transcribe`` arrive as faster-whisper ``hotwords``: de-duplicated, joined,
    cut at a name boundary; none -> no hotwords."""
    from memory_core.providers.asr_whisper import MAX_HOTWORDS_CHARS

    seen: list[dict] = []

    class Recorder:
        def transcribe(self, audio, **kw):
            seen.append(kw)
            return iter(()), None

    monkeypatch.setattr(asr, "_model", Recorder())
    speech = np.random.default_rng(0).normal(0, 0.1, SR).astype(np.float32)
    asr.transcribe(speech, hotwords=["Priya", "priya", " Tom  Baker ", "", "Acme"])
    assert seen[-1]["hotwords"] == "Names: Priya, Tom Baker and Acme."
    asr.transcribe(speech)
    assert seen[-1]["hotwords"] is None
    many = [f"Name{i:03d}" for i in range(200)]
    asr.transcribe(speech, hotwords=many)
    text = seen[-1]["hotwords"]
    assert len(text) <= MAX_HOTWORDS_CHARS + len("Names: .") and text.startswith("Names: Name000, Name001")
    assert text.endswith(".") and text[:-1].split(" and ")[-1] in many
    asr.transcribe(speech, hotwords=["Priya"])
    assert seen[-1]["hotwords"] == "Names: Priya."


def test_transcribes_real_speech_with_word_times(asr) -> None:
    first, second = (_read_wav(LIBRIVOX / f"{f}.wav") for f in FILES)
    gap = np.zeros(int(GAP_S * SR), dtype=np.float32)
    audio = np.concatenate([first, gap, second, gap])
    duration = len(audio) / SR
    second_start = OFFSET_S + (len(first) + len(gap)) / SR

    segments = asr.transcribe(audio, offset_s=OFFSET_S)
    assert segments, "no speech recognised"
    hyp = _words(" ".join(s.text for s in segments))
    ref_words = _words(" ".join(_reference()[f] for f in FILES))
    recall = sum(w in hyp for w in ref_words) / len(ref_words)
    assert recall >= 0.75, f"too few reference words recognised ({recall:.2f}): {hyp}"
    assert "dashwood" in hyp and "disposed" in hyp

    words = [w for s in segments for w in s.words]
    assert len(words) >= 15
    for seg in segments:
        assert OFFSET_S <= seg.start_s <= seg.end_s <= OFFSET_S + duration
        assert all(seg.start_s - 0.05 <= w.start_s <= w.end_s <= seg.end_s + 0.05 for w in seg.words)
    starts = [w.start_s for w in words]
    assert starts == sorted(starts)
    assert all(OFFSET_S <= w.start_s <= w.end_s <= OFFSET_S + duration for w in words)
    assert all(0.0 <= w.probability <= 1.0 and w.text for w in words)
    # times really are shifted into media time: the second reading starts after the first one ends
    he = next(w for w in words if _words(w.text) == ["he"])
    assert he.start_s >= second_start - 0.3, (he, second_start)
    assert words[0].start_s < OFFSET_S + 1.5


def test_silence_and_too_short_audio_give_nothing(asr) -> None:
    assert asr.transcribe(np.zeros(3 * SR, dtype=np.float32), offset_s=5.0) == []
    assert asr.transcribe(np.zeros(0, dtype=np.float32)) == []
    assert asr.transcribe(np.full(SR // 10, 0.1, dtype=np.float32)) == []

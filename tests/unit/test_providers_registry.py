"""ProviderRegistry: lazy imports, one load under concurrency, "none", helpful errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from memory_core.providers import ProviderError, ProviderRegistry
from memory_core.providers import registry as registry_mod
from memory_core.settings import Settings

REPO = Path(__file__).resolve().parents[2]
HEAVY = [
    "torch",
    "transformers",
    "sentence_transformers",
    "faster_whisper",
    "ctranslate2",
    "onnxruntime",
    "rapidocr_onnxruntime",
    "dlib",
    "resemblyzer",
    "librosa",
]


def _settings(tmp_path: Path, **models) -> Settings:
    return Settings(home=tmp_path, models={"threads": 2, **models})


def test_nothing_heavy_is_imported_until_asked() -> None:
    code = (
        "import json, sys\n"
        "from memory_core.providers import ProviderRegistry\n"
        "from memory_core.settings import Settings\n"
        "r = ProviderRegistry(Settings())\n"
        "names = {role: r.configured(role) for role in ('asr', 'text_embedder', 'ocr', 'faces', 'voices')}\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(json.dumps({'heavy': heavy, 'loaded': r.loaded(), 'names': names}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, check=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("VIDMEM_MODELS__")},  # the defaults
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["heavy"] == [], f"imported at registry creation: {report['heavy']}"
    assert report["loaded"] == {}
    assert report["names"]["asr"] == "offline" and report["names"]["ocr"] == "rapidocr"


def test_none_and_unset_give_none(tmp_path: Path) -> None:
    reg = ProviderRegistry(
        _settings(tmp_path, asr="none", text_embedder="None", ocr="none", faces="", voices="none", nlp="none")
    )
    assert reg.asr() is None and reg.text_embedder() is None and reg.ocr() is None
    assert reg.faces() is None and reg.voices() is None
    assert reg.image_text() is None and reg.captioner() is None  # defaults are "none"
    assert reg.llm() is None  # llm.base_url unset
    assert reg.nlp() is None
    assert reg.loaded() == {}
    assert reg.warm_up() == {}


def test_unknown_name_and_role_raise_helpful_errors(tmp_path: Path) -> None:
    reg = ProviderRegistry(_settings(tmp_path, ocr="tesseract"))
    with pytest.raises(ProviderError) as err:
        reg.ocr()
    msg = str(err.value)
    assert "tesseract" in msg and "rapidocr" in msg and "VIDMEM_MODELS__OCR" in msg
    with pytest.raises(ProviderError, match="roles are"):
        reg.get("teleporter")


def test_missing_package_names_the_pip_extra_and_failure_is_remembered(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "dlib", None)  # "import dlib" now fails like a missing package
    reg = ProviderRegistry(_settings(tmp_path))
    with pytest.raises(ProviderError) as err:
        reg.faces()
    assert "vidmem[faces]" in str(err.value) and "'dlib'" in str(err.value)
    assert "faces" in reg.errors()
    with pytest.raises(ProviderError):  # remembered: fails fast without a new load
        reg.faces()
    reg.reset("faces")
    assert reg.errors() == {}


class _SlowProvider:
    loads = 0

    def __init__(self) -> None:
        self.name, self.version = "slow", "slow@1"

    @classmethod
    def from_settings(cls, name, settings, threads):  # noqa: ANN001, ANN206
        cls.loads += 1
        time.sleep(0.3)  # long enough for every thread to arrive while the first one loads
        return cls()


def test_concurrent_first_calls_load_once_fake(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(registry_mod.PROVIDERS, "ocr", {"rapidocr": f"{__name__}:_SlowProvider"})
    _SlowProvider.loads = 0
    reg = ProviderRegistry(_settings(tmp_path))
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(reg.ocr())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _SlowProvider.loads == 1
    assert len(results) == 8 and all(r is results[0] for r in results)
    assert reg.loaded()["ocr"]["version"] == "slow@1"


def test_eight_threads_share_one_text_embedder(tmp_path: Path, monkeypatch) -> None:
    from memory_core.providers.text_sbert import SbertEmbedder

    calls = []
    original = SbertEmbedder.from_settings.__func__

    def counting(cls, name, settings, threads):  # noqa: ANN001, ANN202
        calls.append(threading.get_ident())
        return original(cls, name, settings, threads)

    monkeypatch.setattr(SbertEmbedder, "from_settings", classmethod(counting))
    reg = ProviderRegistry(_settings(tmp_path))
    barrier = threading.Barrier(8)
    results: list = []

    def worker() -> None:
        barrier.wait()
        results.append(reg.text_embedder())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert len(results) == 8 and all(r is results[0] for r in results)
    info = reg.loaded()["text_embedder"]
    assert info["name"] == "sentence-transformers/all-MiniLM-L6-v2" and info["load_s"] > 0
    assert reg.text_embedder() is results[0]

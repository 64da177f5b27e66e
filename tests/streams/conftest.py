"""Fixtures of the live-stream tests: one runtime on a temporary VIDMEM_HOME for the suite (faces,
voices and OCR off to keep CI fast; ASR and text embeddings on), shared by every test through the
same Runtime object (the embedded vector store belongs to one process), one source per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from stream_support import have_ffmpeg

from memory_core.runtime import Runtime
from memory_core.settings import Settings


@pytest.fixture(scope="session")
def stream_settings(tmp_path_factory) -> Settings:
    home: Path = tmp_path_factory.mktemp("vidmem-streams")
    return Settings(home=home, environment="test", models={"faces": "none", "voices": "none", "ocr": "none"},
                    stream={"stall_timeout_s": 5, "open_timeout_s": 8, "backoff_min_s": 0.5, "backoff_max_s": 3})


@pytest.fixture(scope="session")
def rt(stream_settings: Settings) -> Iterator[Runtime]:
    runtime = Runtime.open(stream_settings)
    runtime.ensure_collection()
    runtime.providers.asr()  # load models before any publisher starts its clock
    yield runtime
    runtime.close()


@pytest.fixture()
def ffmpeg() -> None:
    if not have_ffmpeg():
        pytest.skip("ffmpeg is not on PATH: it publishes the live test streams (apt-get install ffmpeg)")

"""The default ASR profile (whisper base, assembled offline from its two packaged parts) end to
end: the sample is ingested with it and answers name the right people and places. Only what a
person would check is asserted (who the manager is, that Bob's delivery is found), not exact
words: base hears espeak-ng's voice differently from tiny.en (e.g. "desk" as "mask")."""

from pathlib import Path

import pytest

from api_schemas import Question
from memory_core.runtime import Runtime
from memory_core.settings import Settings

DATA = Path(__file__).resolve().parent.parent / "data"
pytestmark = pytest.mark.slow


def test_sample_with_whisper_base(tmp_path):
    from ingest_workers.pipeline import ingest_file

    rt = Runtime.open(Settings(home=tmp_path, models={"asr": "offline"}))
    try:
        summary = ingest_file(rt, DATA / "sample.mp4", source="warehouse")
        assert summary.status == "succeeded", summary
        assert "base" in rt.providers.loaded()["asr"]["name"].lower()

        def ask(text: str):
            return rt.agent.ask(Question(text=text, sources=["warehouse"]), tenant=rt.settings.default_tenant)

        manager = ask("Who is the warehouse manager?")
        assert manager.sufficient and manager.answer.startswith("Alice Parker"), manager.answer
        truck = ask("Who talked about the red truck?")
        assert truck.sufficient and "Bob Stone" in truck.answer.split(" \u2014 ")[0], truck.answer
        assert "red truck" in truck.evidence[0].text.lower()
    finally:
        rt.close()

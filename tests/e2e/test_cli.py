"""The CLI contract an external evaluation drives: `vidmem ingest` prints one JSON object on
stdout; `vidmem ask --json` prints answer, evidence (best first, ISO 8601 with timezone) and trace.
Runs the real console script in subprocesses with a fresh VIDMEM_HOME."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from tests.e2e.conftest import DATA

pytestmark = pytest.mark.slow
VIDMEM = shutil.which("vidmem", path=str(Path(sys.executable).parent)) or "vidmem"
EVIDENCE_KEYS = {"source", "start", "end", "media_path", "media_start_s", "media_end_s", "level", "kind", "text", "score"}


def run(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDMEM_")}
    env.update(VIDMEM_HOME=str(home), VIDMEM_MODELS__FACES="none", VIDMEM_MODELS__VOICES="none")
    return subprocess.run([VIDMEM, *args], env=env, capture_output=True, text=True, timeout=600)


def test_ingest_then_ask_json(tmp_path):
    p = run(tmp_path, "ingest", str(DATA / "day2.mp4"), "--source", "garden-cam", "--start-time", "2026-11-17T18:30:00+01:00")
    assert p.returncode == 0, p.stderr[-2000:]
    lines = [line for line in p.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, "stdout holds exactly one JSON object"
    summary = json.loads(lines[0])
    assert {"source", "job_id", "status", "media_seconds", "counts", "elapsed_s"} <= set(summary)
    assert summary["source"] == "garden-cam" and summary["status"] == "succeeded"
    assert summary["media_seconds"] == pytest.approx(16.0, abs=0.2)
    assert summary["counts"]["clip"] > 0 and summary["counts"]["story"] > 0
    assert datetime.fromisoformat(summary["start_time"]).isoformat() == "2026-11-17T17:30:00+00:00"

    p = run(tmp_path, "ask", "Is the back door locked?", "--source", "garden-cam", "--now", "2026-11-17T20:00:00Z", "--json")
    assert p.returncode == 0, p.stderr[-2000:]
    out = json.loads(p.stdout)
    assert set(out) >= {"answer", "evidence", "trace"}
    assert "locked" in out["answer"].lower()
    assert out["evidence"] and EVIDENCE_KEYS <= set(out["evidence"][0])
    first = out["evidence"][0]
    start = datetime.fromisoformat(first["start"])
    assert start.tzinfo is not None and start.isoformat().startswith("2026-11-17T17:3")
    assert first["media_path"].endswith("day2.mp4")
    assert out["trace"] and out["trace"][0]["action"] == "parse"


def test_ingest_bad_input_exits_nonzero_with_json(tmp_path):
    p = run(tmp_path, "ingest", str(DATA / "not_a_video.mp4"), "--source", "x")
    assert p.returncode == 1
    summary = json.loads(p.stdout)
    assert summary["status"] == "failed" and summary["error"]


def test_bad_start_time_is_a_usage_error(tmp_path):
    p = run(tmp_path, "ingest", str(DATA / "day2.mp4"), "--start-time", "last tuesday")
    assert p.returncode == 2 and "ISO 8601" in p.stderr

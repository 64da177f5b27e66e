"""Fixtures for end-to-end tests on the committed real footage (tests/data)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="session")
def manifest() -> dict:
    """Ground truth of the committed media (tests/data/sample_manifest.json)."""
    return json.loads((DATA / "sample_manifest.json").read_text())


def segment(manifest: dict, file: str, kind: str, contains: str = "") -> dict:
    """The first segment of ``file`` of ``kind`` whose text contains ``contains``."""
    for s in manifest["files"][file]["segments"]:
        if s["kind"] == kind and contains.lower() in (s.get("text") or "").lower():
            return s
    raise KeyError(f"{file}: no {kind} segment with {contains!r}")


def overlaps(a0: float, a1: float, b0: float, b1: float) -> bool:
    """Whether [a0, a1] and [b0, b1] overlap (seconds)."""
    return a0 < b1 and b0 < a1

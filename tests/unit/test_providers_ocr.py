"""RapidOCR provider: text drawn with PIL is read back with boxes in frame pixels."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from memory_core.providers import ProviderRegistry
from memory_core.settings import Settings

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
LINES = [("DELIVERY BAY 3", (60, 80)), ("GATE 7 OPEN", (60, 200))]

pytestmark = pytest.mark.skipif(not FONT.is_file(), reason=f"font missing: {FONT} (apt-get install fonts-dejavu-core)")


def _squash(text: str) -> str:
    return "".join(text.split()).upper()  # PP-OCRv4 drops spaces between Latin words


@pytest.fixture(scope="module")
def ocr(tmp_path_factory):
    reg = ProviderRegistry(Settings(home=tmp_path_factory.mktemp("home"), models={"threads": 2}))
    return reg.ocr()


@pytest.fixture(scope="module")
def text_frame():
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (640, 360), (40, 70, 110))
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(FONT), 40)
    boxes = []
    for text, xy in LINES:
        draw.text(xy, text, font=font, fill=(250, 250, 250))
        boxes.append(draw.textbbox(xy, text, font=font))
    return np.asarray(img), boxes


def test_reads_drawn_text_with_boxes(ocr, text_frame) -> None:
    rgb, drawn = text_frame
    lines = ocr.read(rgb, t_s=12.5)
    assert [_squash(line.text) for line in lines] == [_squash(t) for t, _ in LINES]
    for line, (x0, y0, x1, y1) in zip(lines, drawn):
        assert line.t_s == 12.5
        assert 0.5 <= line.confidence <= 1.0
        assert line.text == line.text.strip()
        bx0, by0, bx1, by1 = line.box
        assert all(isinstance(v, int) for v in line.box)
        assert 0 <= bx0 < bx1 <= 640 and 0 <= by0 < by1 <= 360
        assert abs(bx0 - x0) <= 12 and abs(bx1 - x1) <= 12 and abs(by0 - y0) <= 12 and abs(by1 - y1) <= 12


def test_blank_frame_gives_nothing(ocr) -> None:
    assert ocr.read(np.zeros((360, 640, 3), dtype=np.uint8)) == []
    assert ocr.read(np.full((360, 640, 3), 200, dtype=np.uint8)) == []


def test_min_confidence_filters(ocr, text_frame) -> None:
    saved = ocr.min_confidence
    ocr.min_confidence = 1.01
    try:
        assert ocr.read(text_frame[0]) == []
    finally:
        ocr.min_confidence = saved


def test_precheck_is_cheap_and_separates_text_from_none(ocr, text_frame) -> None:
    rgb, _ = text_frame
    gradient = np.repeat(np.linspace(0, 255, 640, dtype=np.uint8)[None, :, None], 360, axis=0).repeat(3, axis=2)
    assert ocr.likely_has_text(rgb) is True
    assert ocr.likely_has_text(np.zeros((360, 640, 3), dtype=np.uint8)) is False
    assert ocr.likely_has_text(gradient) is False
    t0 = time.perf_counter()
    ocr.likely_has_text(rgb)
    pre = time.perf_counter() - t0
    t0 = time.perf_counter()
    ocr.read(rgb)
    full = time.perf_counter() - t0
    assert pre < full / 3, (pre, full)


def test_rejects_non_rgb(ocr) -> None:
    with pytest.raises(ValueError):
        ocr.read(np.zeros((360, 640), dtype=np.uint8))

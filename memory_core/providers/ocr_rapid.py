"""On-screen text with RapidOCR (PP-OCRv4 detection + recognition on onnxruntime).

Model source: the ``rapidocr-onnxruntime`` wheel (Apache-2.0) ships PP-OCRv4 det/rec and the
PP-OCR mobile angle classifier as ONNX files (16 MB) inside the package; nothing is downloaded.

Detector size: RapidOCR's default upsamples every frame until its short side is 736 px (a 640x360
frame becomes 1308x736). Here the detector sees the frame as it is, shrunk only when its long side
exceeds ``det_max_side`` (1280): about 3x fewer pixels on 640x360, and on rendered text from 10 px
high it read as well or better than the default in our check.

Cost: a full read still costs hundreds of milliseconds on 2 cores (recognition runs per line), so
callers should first ask :meth:`RapidOCRReader.likely_has_text`, which runs only the detection
network on a frame shrunk to 320 px (tens of milliseconds).
Note: the PP-OCRv4 recogniser often drops spaces between Latin words ("BREAKING NEWS" -> "BREAKINGNEWS").
"""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING

import numpy as np

from memory_core.domain import OcrLine

if TYPE_CHECKING:
    from memory_core.settings import Settings

MIN_CONFIDENCE = 0.5
DET_MAX_SIDE = 1280  # the detector sees frames at most this long (never upscaled)
PRECHECK_SIDE = 320  # long side of the frame the pre-check detector sees


def _check_rgb(rgb: np.ndarray) -> np.ndarray:
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] < 2 or rgb.shape[1] < 2:
        raise ValueError(f"expected an HxWx3 RGB frame, got shape {rgb.shape}")
    if rgb.dtype != np.uint8:
        rgb = np.clip(rgb, 0, 255).astype(np.uint8)
    return rgb


class RapidOCRReader:
    """Reads lines of text from RGB frames.

    ``read(rgb, t_s)`` returns :class:`OcrLine` objects (text stripped, confidence in [0, 1] and at
    least ``min_confidence``, box ``(x0, y0, x1, y1)`` in integer pixels of the input frame), top to
    bottom. One lock per instance serialises calls (the engine keeps per-call state).
    """

    def __init__(
        self,
        *,
        min_confidence: float = MIN_CONFIDENCE,
        threads: int = 0,
        det_max_side: int = DET_MAX_SIDE,
        precheck_side: int = PRECHECK_SIDE,
    ) -> None:
        from importlib.metadata import version

        from rapidocr_onnxruntime import RapidOCR
        from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess

        kwargs: dict = {"det_limit_type": "max", "det_limit_side_len": det_max_side}
        if threads > 0:
            kwargs.update(intra_op_num_threads=threads, inter_op_num_threads=1)
        self._engine = RapidOCR(**kwargs)
        det = self._engine.text_det
        self._precheck = DetPreProcess(precheck_side, "max", det.mean, det.std)
        self.min_confidence = min_confidence
        self.name = "rapidocr/PP-OCRv4"
        self.version = f"rapidocr-onnxruntime/PP-OCRv4@{version('rapidocr-onnxruntime')}"
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, name: str, settings: Settings, threads: int) -> RapidOCRReader:
        """Build with the registry's thread count (``settings.models.threads``)."""
        return cls(threads=threads)

    def read(self, rgb: np.ndarray, t_s: float = 0.0) -> list[OcrLine]:
        """Lines of text in an HxWx3 uint8 RGB frame at media time ``t_s`` ([] when none)."""
        rgb = _check_rgb(rgb)
        h, w = rgb.shape[:2]
        bgr = np.ascontiguousarray(rgb[..., ::-1])  # RapidOCR treats ndarray input as BGR (OpenCV order)
        with self._lock:
            result, _elapsed = self._engine(bgr)
        lines: list[OcrLine] = []
        for points, text, score in result or []:
            text = str(text).strip()
            conf = float(score)
            if not text or conf < self.min_confidence:
                continue
            pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
            x0 = max(0, math.floor(pts[:, 0].min()))
            y0 = max(0, math.floor(pts[:, 1].min()))
            x1 = min(w, math.ceil(pts[:, 0].max()))
            y1 = min(h, math.ceil(pts[:, 1].max()))
            lines.append(OcrLine(t_s=float(t_s), text=text, confidence=conf, box=(x0, y0, x1, y1)))
        return lines

    def likely_has_text(self, rgb: np.ndarray) -> bool:
        """Cheap pre-check: does the text detector find any text region on a 320 px copy of the frame?

        Runs only the detection network (no recognition). Misses text smaller than about 8 px high
        after the shrink (about 16 px on a 640x360 frame); use it to skip frames, not to prove absence.
        """
        rgb = _check_rgb(rgb)
        bgr = np.ascontiguousarray(rgb[..., ::-1])
        det = self._engine.text_det
        x = self._precheck(bgr)
        if x is None:
            return False
        with self._lock:
            pred = det.infer(x)[0]
        if float(pred.max()) < det.postprocess_op.thresh:
            return False
        boxes, _scores = det.postprocess_op(pred, bgr.shape[:2])
        return len(boxes) > 0

"""Faces with dlib: HOG frontal detector, 5-point landmarks, 128-d ResNet identity descriptor.

Model source: the HOG detector is built into dlib (``dlib-bin`` wheel); the landmark model
``shape_predictor_5_face_landmarks.dat`` and the descriptor network
``dlib_face_recognition_resnet_model_v1.dat`` ship inside the ``face-recognition-models`` package
(CC0 per its LICENSE), located with its ``*_location()`` helpers (which import ``pkg_resources``,
hence ``setuptools<81``).

Descriptors live in dlib's metric space and are not normalised (norms are about 1.4): two faces
of the same person are usually within Euclidean distance 0.6 (dlib's LFW threshold). Callers that
compare by cosine should L2-normalise them first.
"""

from __future__ import annotations

import threading
import warnings
from typing import TYPE_CHECKING

import numpy as np

from memory_core.domain import Box
from memory_core.providers.base import ProviderError

if TYPE_CHECKING:
    from memory_core.settings import Settings

MIN_FACE_PX = 40
DESCRIPTOR_DIM = 128


def _model_paths() -> tuple[str, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "pkg_resources is deprecated"
        import face_recognition_models as frm

    return frm.pose_predictor_five_point_model_location(), frm.face_recognition_model_location()


class DlibFaces:
    """``detect(rgb) -> [(box, descriptor, score)]`` for frontal faces in an RGB frame.

    ``box`` is ``(x0, y0, x1, y1)`` in the frame's pixels (clipped to it), ``descriptor`` a
    ``(128,)`` float32 vector, ``score`` the HOG detector's SVM margin (> 0; higher = surer).
    ``upsample`` (0 or 1) doubles the image once before detection: HOG finds faces from about
    80 px at 0 and about 40 px at 1, at ~4x the cost. Faces smaller than ``min_face_px`` are skipped.
    dlib objects are not thread-safe: each instance holds one lock.
    """

    dim = DESCRIPTOR_DIM

    def __init__(self, *, upsample: int = 0, min_face_px: int = MIN_FACE_PX, num_jitters: int = 0) -> None:
        import dlib

        if upsample not in (0, 1, 2):
            raise ValueError("upsample must be 0, 1 or 2")
        landmarks_path, resnet_path = _model_paths()
        self._detector = dlib.get_frontal_face_detector()
        self._landmarks = dlib.shape_predictor(landmarks_path)
        self._encoder = dlib.face_recognition_model_v1(resnet_path)
        self._full_object_detections = dlib.full_object_detections
        self.upsample = upsample
        self.min_face_px = min_face_px
        self.num_jitters = num_jitters
        self.name = "dlib/hog+resnet_v1"
        self.version = f"dlib-{dlib.__version__}/hog+shape_predictor_5+resnet_v1"
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, name: str, settings: Settings, threads: int) -> DlibFaces:
        """Build with ``settings.models.faces_upsample`` (dlib's HOG is single-threaded; ``threads`` unused)."""
        return cls(upsample=settings.models.faces_upsample)

    def detect(self, rgb: np.ndarray) -> list[tuple[Box, np.ndarray, float]]:
        """Faces in an HxWx3 uint8 RGB frame, best score first; [] when none."""
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"expected an HxWx3 RGB frame, got shape {rgb.shape}")
        img = np.ascontiguousarray(rgb if rgb.dtype == np.uint8 else np.clip(rgb, 0, 255).astype(np.uint8))
        h, w = img.shape[:2]
        with self._lock:
            rects, scores, _kinds = self._detector.run(img, self.upsample, 0.0)
            kept = [
                (r, float(s))
                for r, s in zip(rects, scores)
                if min(r.width(), r.height()) >= self.min_face_px
            ]
            if not kept:
                return []
            shapes = self._full_object_detections()
            for r, _s in kept:
                shapes.append(self._landmarks(img, r))
            try:
                descs = self._encoder.compute_face_descriptor(img, shapes, self.num_jitters)
            except RuntimeError as exc:  # e.g. image too small for a chip
                raise ProviderError(f"dlib face descriptor failed: {exc}") from exc
        out: list[tuple[Box, np.ndarray, float]] = []
        for (r, score), desc in zip(kept, descs):
            box = (max(0, r.left()), max(0, r.top()), min(w, r.right() + 1), min(h, r.bottom() + 1))
            out.append((box, np.asarray(desc, dtype=np.float32).reshape(DESCRIPTOR_DIM), score))
        out.sort(key=lambda item: -item[2])
        return out

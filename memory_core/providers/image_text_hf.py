"""Joint image-text embeddings (CLIP, SigLIP and kin) through transformers.

Model source: whatever the name says - a hub id (e.g. ``openai/clip-vit-base-patch32``,
``google/siglip-base-patch16-224``) where a hub is reachable, or a local folder saved with
``save_pretrained`` (model + processor), loaded with ``local_files_only=True``. No such model ships
inside a package, so this role is off (``"none"``) by default.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np

from memory_core.providers._hf import model_version, resolve_hf_source, to_pil
from memory_core.providers.base import ProviderError

if TYPE_CHECKING:
    from memory_core.settings import Settings


def _features(out) -> "object":  # noqa: ANN001 - tensor or ModelOutput
    """The projected embedding: transformers 4.x returns a tensor, 5.x a ModelOutput whose
    ``pooler_output`` holds the projection."""
    import torch

    if isinstance(out, torch.Tensor):
        return out
    for attr in ("image_embeds", "text_embeds", "pooler_output"):
        value = getattr(out, attr, None)
        if isinstance(value, torch.Tensor):
            return value
    raise ProviderError(f"image-text model returned {type(out).__name__} without embeddings")


def _config_dim(config) -> int | None:  # noqa: ANN001
    dim = getattr(config, "projection_dim", None)
    if dim:
        return int(dim)
    text = getattr(config, "text_config", None)
    dim = getattr(text, "projection_size", None) or getattr(text, "hidden_size", None)
    return int(dim) if dim else None


class HFImageText:
    """``embed_images(frames) -> (n, dim)`` and ``embed_texts(texts) -> (n, dim)``, float32,
    L2-normalised, in one space (compare by dot product). ``dim`` comes from the config
    (``projection_dim``; SigLIP: the text tower's projection/hidden size). Deterministic
    (eval mode, ``torch.inference_mode``); batches of ``batch_size``.
    """

    def __init__(self, model: str, *, device: str = "cpu", threads: int = 0, batch_size: int = 16) -> None:
        import torch
        from transformers import AutoModel, AutoProcessor

        if threads > 0:
            torch.set_num_threads(threads)
        src, ident, local = resolve_hf_source(model)
        self._processor = AutoProcessor.from_pretrained(src, local_files_only=local)
        self._model = AutoModel.from_pretrained(src, local_files_only=local).to(device).eval()
        for method in ("get_image_features", "get_text_features"):
            if not hasattr(self._model, method):
                raise ProviderError(f"{ident!r} ({type(self._model).__name__}) is not a CLIP/SigLIP-style model: no {method}()")
        model_type = str(getattr(self._model.config, "model_type", ""))
        self._text_kwargs = (
            {"padding": "max_length", "truncation": True, "max_length": 64}
            if model_type.startswith("siglip")  # SigLIP was trained on max_length padding
            else {"padding": True, "truncation": True}
        )
        self.device = device
        self.batch_size = batch_size
        self.name = f"transformers/{ident}"
        self.version = model_version(self._model, ident)
        self._lock = threading.Lock()
        self.dim = _config_dim(self._model.config) or int(self.embed_texts(["a"]).shape[1])

    @classmethod
    def from_settings(cls, name: str, settings: Settings, threads: int) -> HFImageText:
        """Build on ``settings.models.device``."""
        return cls(name, device=settings.models.device, threads=threads)

    def _run(self, fn, inputs) -> np.ndarray:  # noqa: ANN001
        import torch

        inputs = {k: v.to(self.device) if hasattr(v, "to") else v for k, v in inputs.items()}
        with self._lock, torch.inference_mode():
            feats = _features(fn(**inputs)).float()
        feats = torch.nn.functional.normalize(feats, dim=-1)
        return feats.cpu().numpy().astype(np.float32)

    def embed_images(self, images: list[np.ndarray]) -> np.ndarray:
        """``(len(images), dim)`` vectors of HxWx3 uint8 RGB frames; ``(0, dim)`` for none."""
        if len(images) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = []
        for i in range(0, len(images), self.batch_size):
            pil = to_pil(list(images[i : i + self.batch_size]))
            inputs = self._processor(images=pil, return_tensors="pt")
            out.append(self._run(self._model.get_image_features, {"pixel_values": inputs["pixel_values"]}))
        return np.concatenate(out, axis=0)

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """``(len(texts), dim)`` vectors of texts in the image space; ``(0, dim)`` for none."""
        if len(texts) == 0:
            return np.zeros((0, getattr(self, "dim", 0)), dtype=np.float32)
        out = []
        for i in range(0, len(texts), self.batch_size):
            inputs = self._processor(text=list(texts[i : i + self.batch_size]), return_tensors="pt", **self._text_kwargs)
            keep = {k: v for k, v in inputs.items() if k in ("input_ids", "attention_mask", "position_ids")}
            out.append(self._run(self._model.get_text_features, keep))
        return np.concatenate(out, axis=0)

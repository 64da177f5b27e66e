"""Frame captions from a vision-language model through transformers.

Model source: whatever the name says - a hub id (e.g. ``Salesforce/blip-image-captioning-base``,
``HuggingFaceTB/SmolVLM-256M-Instruct``) where a hub is reachable, or a local folder saved with
``save_pretrained`` (model + processor), loaded with ``local_files_only=True``. No captioning model
ships inside a package, so this role is off (``"none"``) by default.

Two kinds are handled: chat VLMs (the processor has a chat template; several frames go into one
user turn with the prompt) and single-image captioners (BLIP, GIT, VisionEncoderDecoder; the middle
frame is captioned, the prompt, if any, is the text prefix).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np

from memory_core.providers._hf import model_version, resolve_hf_source, to_pil
from memory_core.providers.base import ProviderError

if TYPE_CHECKING:
    from memory_core.settings import Settings

DEFAULT_PROMPT = "Describe what happens in these video frames in one or two sentences."


def _auto_class():  # noqa: ANN202
    import transformers

    for name in ("AutoModelForImageTextToText", "AutoModelForVision2Seq"):  # 5.x, then 4.x
        cls = getattr(transformers, name, None)
        if cls is not None:
            return cls
    raise ProviderError("this transformers has neither AutoModelForImageTextToText nor AutoModelForVision2Seq")


def _spread(items: list, k: int) -> list:
    """Up to ``k`` items evenly spaced over ``items`` (keeps first and last)."""
    if len(items) <= k:
        return list(items)
    idx = np.linspace(0, len(items) - 1, k).round().astype(int)
    return [items[i] for i in idx]


class HFCaptioner:
    """``caption(frames, prompt=None) -> str``: one greedy caption (deterministic) of up to
    ``max_images`` frames (chat VLMs) or of the middle frame (single-image models), at most
    ``max_new_tokens`` tokens. One lock per instance serialises ``generate``.
    """

    def __init__(
        self,
        model: str,
        *,
        device: str = "cpu",
        threads: int = 0,
        max_new_tokens: int = 48,
        max_images: int = 4,
    ) -> None:
        import torch
        from transformers import AutoProcessor

        if threads > 0:
            torch.set_num_threads(threads)
        src, ident, local = resolve_hf_source(model)
        self._processor = AutoProcessor.from_pretrained(src, local_files_only=local)
        self._model = _auto_class().from_pretrained(src, local_files_only=local).to(device).eval()
        self._chat = bool(getattr(self._processor, "chat_template", None))
        self.device = device
        self.max_new_tokens = max_new_tokens
        self.max_images = max_images
        self.name = f"transformers/{ident}"
        self.version = model_version(self._model, ident)
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, name: str, settings: Settings, threads: int) -> HFCaptioner:
        """Build on ``settings.models.device``."""
        return cls(name, device=settings.models.device, threads=threads)

    def _inputs(self, images: list[np.ndarray], prompt: str | None) -> tuple[dict, int]:
        """Processor outputs and the number of prompt tokens to cut from the generated sequence."""
        if self._chat:
            frames = to_pil(_spread(list(images), self.max_images))
            content = [{"type": "image"} for _ in frames] + [{"type": "text", "text": prompt or DEFAULT_PROMPT}]
            text = self._processor.apply_chat_template([{"role": "user", "content": content}], add_generation_prompt=True)
            inputs = self._processor(text=text, images=frames, return_tensors="pt")
            return dict(inputs), int(inputs["input_ids"].shape[1])
        frame = to_pil([images[len(images) // 2]])[0]
        inputs = self._processor(images=frame, text=prompt, return_tensors="pt") if prompt else self._processor(images=frame, return_tensors="pt")
        return dict(inputs), 0

    def caption(self, images: list[np.ndarray], prompt: str | None = None) -> str:
        """One caption for a short sequence of HxWx3 uint8 RGB frames; "" for no frames."""
        import torch

        if len(images) == 0:
            return ""
        inputs, cut = self._inputs(list(images), prompt)
        inputs = {k: v.to(self.device) if hasattr(v, "to") else v for k, v in inputs.items()}
        with self._lock, torch.inference_mode():
            out = self._model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False)
        seq = out[0, cut:] if cut and out.shape[1] > cut else out[0]
        text = self._processor.batch_decode(seq.unsqueeze(0), skip_special_tokens=True)[0].strip()
        if prompt and not self._chat and text.lower().startswith(prompt.strip().lower()):
            text = text[len(prompt.strip()) :].strip()  # BLIP-style models echo the text prefix
        return " ".join(text.split())

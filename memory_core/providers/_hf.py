"""Shared helpers of the transformers providers (image-text embedder, captioner)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def resolve_hf_source(name: str) -> tuple[str, str, bool]:
    """``(name_or_path, identity, local)``: an existing folder loads with ``local_files_only=True``
    (never touching a hub); anything else is a hub id."""
    path = Path(name).expanduser()
    if path.is_dir():
        path = path.resolve()
        return str(path), path.name, True
    return name, name, False


def to_pil(frames: list[np.ndarray]) -> list:
    """HxWx3 uint8 RGB arrays -> PIL images (what every transformers image processor accepts)."""
    from PIL import Image

    out = []
    for i, arr in enumerate(frames):
        arr = np.asarray(arr)
        if arr.ndim != 3 or arr.shape[2] != 3:
            raise ValueError(f"frame {i}: expected an HxWx3 RGB array, got shape {arr.shape}")
        if arr.dtype != np.uint8:
            arr = np.clip(arr, 0, 255).astype(np.uint8)
        out.append(Image.fromarray(np.ascontiguousarray(arr)))
    return out


def model_version(model, ident: str) -> str:  # noqa: ANN001 - a transformers PreTrainedModel
    """``transformers-<version>/<identity>[@<hub commit>]`` for provenance."""
    import transformers

    commit = getattr(model.config, "_commit_hash", None)
    return f"transformers-{transformers.__version__}/{ident}" + (f"@{commit[:12]}" if commit else "")

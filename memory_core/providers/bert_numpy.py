"""A BERT sentence encoder in NumPy, for the question path (no torch import).

Why: ``vidmem ask`` embeds one question and a few answer sentences; importing torch,
transformers and sentence-transformers for that costs ~5 s of CPU on this 2-core machine, most of
a CLI question. This module runs the same forward pass as ``transformers.BertModel`` followed by
sentence-transformers' mean pooling and L2 normalisation, reading the model folder's
``model.safetensors`` (``safetensors.numpy``) and ``tokenizer.json`` (HF ``tokenizers``, Rust).
Both libraries import in well under 0.2 s.

Scope: sentence-transformers folders whose ``modules.json`` is Transformer -> Pooling (mean) [->
Normalize] over a ``BertModel`` with absolute positions and GELU (e.g. all-MiniLM-L6-v2, the
packaged default). :func:`load_bert_encoder` returns ``None`` for anything else, and the caller
falls back to sentence-transformers.

Accuracy: float32 throughout; GELU uses erf from Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7).
``tests/unit/test_bert_numpy.py`` checks cosine > 0.9999 against sentence-transformers.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

__all__ = ["NumpyBertEncoder", "load_bert_encoder"]

_BLAS_LOCK = threading.Lock()
_MEAN_POOLING_ONLY = {
    "pooling_mode_cls_token": False, "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False,
}


def _erf(x: np.ndarray) -> np.ndarray:
    """erf by Abramowitz & Stegun 7.1.26 (max abs error 1.5e-7)."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x * np.float32(0.7071067811865476)))


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


class NumpyBertEncoder:
    """``encode(texts) -> (n, hidden)`` float32 L2-normalised mean-pooled BERT embeddings.

    Built by :func:`load_bert_encoder`. Thread-safe (calls are serialised, see :meth:`encode`).
    Inputs longer than ``max_seq_length`` word pieces (sentence-transformers' setting) are
    truncated, as sentence-transformers does.
    """

    def __init__(self, folder: Path, config: dict, max_seq_length: int, normalize: bool) -> None:
        from safetensors.numpy import load_file
        from threadpoolctl import ThreadpoolController
        from tokenizers import Tokenizer

        w = load_file(str(folder / "model.safetensors"))
        self._w = {k.removeprefix("bert."): v.astype(np.float32, copy=False) for k, v in w.items()}
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.dim = int(config["hidden_size"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.normalize = normalize
        self.max_len = min(int(max_seq_length), int(config.get("max_position_embeddings", 512)))
        self._tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tok.enable_truncation(max_length=self.max_len)
        self._tok.no_padding()
        self._blas = ThreadpoolController()  # inspects the loaded BLAS libraries once

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """``ids``/``mask``: ``(batch, seq)`` int -> ``(batch, seq, hidden)`` last hidden state."""
        w = self._w
        b, n = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:n][None]
             + w["embeddings.token_type_embeddings.weight"][0][None, None])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        hd = self.dim // self.heads
        bias = np.where(mask[:, None, None, :] > 0, 0.0, np.finfo(np.float32).min).astype(np.float32)
        scale = np.float32(1.0 / np.sqrt(hd))
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def lin(t: np.ndarray, name: str) -> np.ndarray:
                return t @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            def split(t: np.ndarray) -> np.ndarray:
                return t.reshape(b, n, self.heads, hd).transpose(0, 2, 1, 3)

            q, k, v = (split(lin(x, f"attention.self.{m}")) for m in ("query", "key", "value"))
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores -= scores.max(-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(-1, keepdims=True)
            ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(b, n, self.dim)
            x = _layer_norm(lin(ctx, "attention.output.dense") + x,
                            w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], self.eps)
            h = lin(_gelu(lin(x, "intermediate.dense")), "output.dense")
            x = _layer_norm(h + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], self.eps)
        return x

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """``(len(texts), dim)`` float32 embeddings (L2-normalised when the model has Normalize).

        BLAS runs on one thread here: OpenBLAS worker threads spin-waiting on a busy 2-core
        machine made 10 short texts take 2.45 s instead of 0.09 s (measured with threadpoolctl).
        Calls are serialised (one query is ~15 ms of CPU), so the process-wide BLAS thread limit
        is always restored.
        """
        # one call at a time: the limit is process-wide, and overlapping enter/exit pairs could
        # leave BLAS at the wrong thread count for everyone else
        with _BLAS_LOCK, self._blas.limit(limits=1, user_api="blas"):
            return self._encode(texts, batch_size)

    def _encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        encs = self._tok.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encs[i].ids))  # similar lengths share a batch
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            n = max(len(encs[i].ids) for i in idx)
            ids = np.zeros((len(idx), n), dtype=np.int64)
            mask = np.zeros((len(idx), n), dtype=np.float32)
            for r, i in enumerate(idx):
                ids[r, :len(encs[i].ids)] = encs[i].ids
                mask[r, :len(encs[i].ids)] = 1.0
            hidden = self._forward(ids, mask)
            pooled = (hidden * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
            out[idx] = pooled
        if self.normalize:
            out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out


def load_bert_encoder(folder: str | Path) -> NumpyBertEncoder | None:
    """A :class:`NumpyBertEncoder` for a sentence-transformers folder, or ``None`` when the folder
    is not a mean-pooled BERT (then use sentence-transformers). Reads ``modules.json``,
    ``config.json``, ``1_Pooling/config.json`` (or the module's path), ``sentence_bert_config.json``.

    Raises:
        OSError / ValueError: when the files of a matching folder cannot be read.
    """
    folder = Path(folder)
    try:
        modules = json.loads((folder / "modules.json").read_text())
        config = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError):
        return None
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        return None
    if modules[0].get("path") or config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
        return None
    if config.get("position_embedding_type", "absolute") != "absolute":
        return None
    if not (folder / "model.safetensors").is_file() or not (folder / "tokenizer.json").is_file():
        return None
    pooling = json.loads((folder / (modules[1].get("path") or "1_Pooling") / "config.json").read_text())
    if not pooling.get("pooling_mode_mean_tokens") or any(pooling.get(k, v) != v for k, v in _MEAN_POOLING_ONLY.items()):
        return None
    st = folder / "sentence_bert_config.json"
    st_cfg = json.loads(st.read_text()) if st.is_file() else {}
    if st_cfg.get("do_lower_case"):
        return None  # sentence-transformers would lower-case before tokenising; not mirrored here
    return NumpyBertEncoder(folder, config, int(st_cfg.get("max_seq_length") or 512), normalize="Normalize" in kinds)

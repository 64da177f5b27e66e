"""transformers providers (image-text embedder, captioner) on tiny random models saved to disk.

No image-text or captioning model ships offline, so the loading code is exercised on tiny randomly
initialised CLIP and BLIP models whose tokenizers are built from vocab files written here; they are
loaded by path through the registry with every network connection refused.
"""

from __future__ import annotations

import json
import socket
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from memory_core.providers import ProviderRegistry
from memory_core.settings import Settings

PROJ_DIM = 24


@contextmanager
def no_network():
    real = socket.socket.connect

    def refuse(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise OSError("network access attempted while loading a local model")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.connect = real  # type: ignore[method-assign]


def _tiny_clip(folder: Path) -> Path:
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    letters = list("abcdefghijklmnopqrstuvwxyz0123456789.,!?'")
    vocab: dict[str, int] = {}
    for tok in letters + [c + "</w>" for c in letters]:
        vocab[tok] = len(vocab)
    merges = ["t h", "th e</w>", "c a", "ca t</w>", "d o", "do g</w>", "r e", "re d</w>"]
    for merge in merges:
        vocab.setdefault(merge.replace(" ", ""), len(vocab))
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    tok_dir = folder / "tok"
    tok_dir.mkdir(parents=True)
    (tok_dir / "vocab.json").write_text(json.dumps(vocab))
    (tok_dir / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
    tokenizer = CLIPTokenizer.from_pretrained(str(tok_dir))
    assert "cat</w>" in tokenizer.convert_ids_to_tokens(tokenizer("the cat")["input_ids"])
    processor = CLIPProcessor(
        image_processor=CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}),
        tokenizer=tokenizer,
    )
    eot = vocab["<|endoftext|>"]
    config = CLIPConfig(
        text_config=dict(
            vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            num_attention_heads=2, max_position_embeddings=32,
            bos_token_id=vocab["<|startoftext|>"], eos_token_id=eot, pad_token_id=eot,
        ),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=32, patch_size=8),
        projection_dim=PROJ_DIM,
    )
    torch.manual_seed(0)
    out = folder / "tiny-clip"
    CLIPModel(config).save_pretrained(out)
    processor.save_pretrained(out)
    return out


def _tiny_blip(folder: Path) -> Path:
    import torch
    from transformers import BertTokenizer, BlipConfig, BlipForConditionalGeneration, BlipImageProcessor, BlipProcessor

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]", "a", "the", "cat", "dog", "on", "sits",
             "mat", "photo", "of", "in", "red", "blue", "truck", "."]
    tok_dir = folder / "btok"
    tok_dir.mkdir(parents=True)
    (tok_dir / "vocab.txt").write_text("\n".join(words) + "\n")
    tokenizer = BertTokenizer.from_pretrained(str(tok_dir), bos_token="[DEC]")
    processor = BlipProcessor(image_processor=BlipImageProcessor(size={"height": 32, "width": 32}), tokenizer=tokenizer)
    ids = {w: i for i, w in enumerate(words)}
    config = BlipConfig(
        text_config=dict(
            vocab_size=len(words), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            num_attention_heads=2, max_position_embeddings=64, encoder_hidden_size=32,
            bos_token_id=ids["[DEC]"], eos_token_id=ids["[SEP]"], sep_token_id=ids["[SEP]"], pad_token_id=ids["[PAD]"],
        ),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=32, patch_size=8),
        projection_dim=32,
    )
    torch.manual_seed(0)
    out = folder / "tiny-blip"
    BlipForConditionalGeneration(config).save_pretrained(out)
    processor.save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    import torch

    # one thread: these models are tiny, and spinning OpenMP threads on a busy 2-core box costs 100x
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    folder = tmp_path_factory.mktemp("hf")
    clip, blip = _tiny_clip(folder), _tiny_blip(folder)
    yield ProviderRegistry(
        Settings(home=folder, models={"threads": 1, "image_text": str(clip), "captioner": str(blip)})
    )
    torch.set_num_threads(saved)


@pytest.fixture(scope="module")
def image_text(registry):
    with no_network():
        return registry.image_text()


@pytest.fixture(scope="module")
def captioner(registry):
    with no_network():
        return registry.captioner()


def _frames(n: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, size=(72, 96, 3), dtype=np.uint8) for _ in range(n)]


def test_image_text_shapes_normalised_deterministic(image_text) -> None:
    assert image_text.dim == PROJ_DIM
    assert image_text.name == "transformers/tiny-clip"
    frames = _frames(3)
    a = image_text.embed_images(frames)
    assert a.shape == (3, PROJ_DIM) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(image_text.embed_images(frames), a, atol=1e-6)
    one_by_one = np.concatenate([image_text.embed_images([f]) for f in frames])
    np.testing.assert_allclose(one_by_one, a, atol=1e-5)  # batching does not change vectors
    assert not np.allclose(a[0], a[1], atol=1e-3)
    t = image_text.embed_texts(["the cat", "a red dog", "the cat"])
    assert t.shape == (3, PROJ_DIM) and t.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(t, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(t[0], t[2], atol=1e-6)
    assert not np.allclose(t[0], t[1], atol=1e-3)
    assert image_text.embed_images([]).shape == (0, PROJ_DIM)
    assert image_text.embed_texts([]).shape == (0, PROJ_DIM)


def test_image_text_small_batches(image_text) -> None:
    frames = _frames(5, seed=1)
    full = image_text.embed_images(frames)
    saved = image_text.batch_size
    image_text.batch_size = 2
    try:
        np.testing.assert_allclose(image_text.embed_images(frames), full, atol=1e-5)
    finally:
        image_text.batch_size = saved


def test_captioner_returns_deterministic_text(captioner) -> None:
    frames = _frames(3, seed=2)
    first = captioner.caption(frames)
    assert isinstance(first, str)
    assert captioner.caption(frames) == first
    assert isinstance(captioner.caption(frames, prompt="a photo of"), str)
    assert captioner.caption([]) == ""
    assert captioner.name == "transformers/tiny-blip"
    assert captioner.version.startswith("transformers-")


def test_registry_reports_both_loaded(registry, image_text, captioner) -> None:
    loaded = registry.loaded()
    assert loaded["image_text"]["name"] == "transformers/tiny-clip"
    assert loaded["captioner"]["name"] == "transformers/tiny-blip"

"""Sentence-transformers provider with the packaged all-MiniLM-L6-v2, loaded without network."""

from __future__ import annotations

import socket
from contextlib import contextmanager

import numpy as np
import pytest

from memory_core.providers import ProviderRegistry
from memory_core.settings import Settings


@contextmanager
def no_network():
    """Any attempt to open a network connection fails loudly (and is recorded)."""
    attempts: list = []
    real_connect, real_create = socket.socket.connect, socket.create_connection

    def refuse(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        attempts.append(args[1:] or args)
        raise OSError("network access attempted during an offline model load")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse  # type: ignore[assignment]
    try:
        yield attempts
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.create_connection = real_create


@pytest.fixture(scope="module")
def embedder(tmp_path_factory):
    reg = ProviderRegistry(Settings(home=tmp_path_factory.mktemp("home"), models={"threads": 2}))
    with no_network() as attempts:
        provider = reg.text_embedder()
    assert attempts == [], f"the offline embedder tried the network: {attempts}"
    return provider


def test_dimensions_and_normalisation(embedder) -> None:
    assert embedder.dim == 384
    assert embedder.name == "sentence-transformers/all-MiniLM-L6-v2"
    vecs = embedder.embed(["A cat sits on the mat.", "The delivery truck is late.", ""])
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    empty = embedder.embed([])
    assert empty.shape == (0, 384) and empty.dtype == np.float32


def test_paraphrase_is_closer_than_unrelated(embedder) -> None:
    a, para, other = embedder.embed(
        [
            "The red truck arrived at the loading dock this morning.",
            "This morning a red lorry pulled up at the loading bay.",
            "My grandmother bakes apple pie every Sunday.",
        ]
    )
    assert float(a @ para) > float(a @ other) + 0.3
    assert float(a @ para) > 0.45


def test_query_cache_returns_equal_vectors(embedder) -> None:
    before = embedder.cache_info()
    q1 = embedder.embed_query("when did the red truck arrive?")
    q2 = embedder.embed_query("when did the red truck arrive?")
    after = embedder.cache_info()
    assert after.misses == before.misses + 1 and after.hits == before.hits + 1
    np.testing.assert_array_equal(q1, q2)
    assert q1.shape == (384,) and q1.dtype == np.float32 and not q1.flags.writeable
    np.testing.assert_allclose(q1, embedder.embed(["when did the red truck arrive?"])[0], atol=1e-5)
    assert embedder.cache_info().maxsize >= 1024

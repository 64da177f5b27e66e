"""The agent's time budget covers the whole question, parsing included: a slow parse leaves no
budget for searching, and the answer says so (an empty store, a constant test embedder)."""

from __future__ import annotations

import time

import numpy as np

from api_schemas import Question
from memory_core.retrieval import agent as agent_mod
from memory_core.retrieval.agent import RetrievalAgent
from memory_core.retrieval.context import SearchContext
from memory_core.settings import RetrievalSettings
from memory_core.stores.relational import SqlRepository
from memory_core.stores.vector_edge import open_edge_store


class _ConstantEmbedder:
    name = version = "constant-test"
    dim = 384

    def embed(self, texts):
        return np.ones((len(list(texts)), self.dim), dtype=np.float32) / np.sqrt(self.dim)

    def embed_query(self, text):
        return self.embed([text])[0]


def test_search_context_counts_from_the_given_start():
    started = time.perf_counter() - 2.0
    ctx = SearchContext(None, RetrievalSettings(), "t", None, None, None, max_steps=10, time_budget_s=1.0, started=started)
    assert ctx.elapsed_ms() >= 2000.0
    assert ctx.exhausted() == "time_budget"


def test_slow_parse_spends_the_budget(tmp_path, monkeypatch):
    repo = SqlRepository(f"sqlite:///{tmp_path / 'vidmem.db'}")
    vectors = open_edge_store(tmp_path / "vectors")
    agent = RetrievalAgent(repo, vectors, _ConstantEmbedder(), RetrievalSettings())
    real_parse = agent_mod.parse_question

    def slow_parse(*args, **kwargs):
        time.sleep(0.4)
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(agent_mod, "parse_question", slow_parse)
    answer = agent.ask(Question(text="who opened the door yesterday?", time_budget_s=0.2), "t")
    assert answer.trace[0].action == "parse" and answer.trace[0].elapsed_ms >= 400.0
    assert [s.action for s in answer.trace if s.action == "search"] == []  # nothing left to search with
    assert any(s.action == "stop" and "time_budget" in s.detail for s in answer.trace), answer.trace
    assert not answer.sufficient

"""The retrieval agent: questions over hierarchical video memory, answered with timed evidence.

Modules: ``timeparse``/``timerules`` (time expressions -> scope), ``question`` (question plan),
``lexical`` (BM25-style re-ranking), ``context`` (scoped, counted searches and the trace), ``beam``
(coarse-to-fine search with backtracking), ``facts`` (counting, current state), ``answer``
(composition), ``agent`` (:class:`~memory_core.retrieval.agent.RetrievalAgent`), ``flat`` (the
flat-search baseline). Nothing is imported here, so importing the package stays cheap.
"""

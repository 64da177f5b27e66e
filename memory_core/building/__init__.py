"""Memory building: perception of clips -> memory nodes and entities.

- :mod:`.context` ``BuildContext``: tenant, source, media file, settings, embedder, LLM.
- :mod:`.clips` ``build_clip_nodes``: one EPISODIC and one VISUAL node per clip window.
- :mod:`.entities` ``EntityResolver`` / ``ClipEntities``: faces, voices, names, on-screen texts.
- :mod:`.hierarchy` ``HierarchyBuilder``: incremental clip -> scene -> event -> story.
- :mod:`.summarise` ``Summariser``: extractive (default) or LLM summaries of parents.
- :mod:`.semantic` ``SemanticBuilder``: latest states, facts and routines.

Typical use per clip: ``resolver.resolve`` -> ``build_clip_nodes`` -> ``hierarchy.add_clip``
(write what it returns); at the end ``hierarchy.close()``, ``resolver.flush()``,
``resolver.entity_nodes(ctx)`` and ``SemanticBuilder(...).update(written nodes)``.
"""

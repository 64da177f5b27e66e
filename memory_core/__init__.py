"""vidmem's core: the memory model, its stores, perception providers, memory building and the
retrieval agent. Nothing here imports FastAPI or Celery; ``ingest_workers`` and ``services`` build
on this package.
"""

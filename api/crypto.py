"""Encryption of secrets at rest (channel credentials) with key rotation."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, MultiFernet

from api.config import Settings


def cipher_for(settings: Settings) -> MultiFernet:
    """The newest key encrypts; every configured key decrypts (rotation)."""
    keys = settings.encryption_keys or (_derived(settings.secret_key),)
    return MultiFernet([Fernet(key) for key in keys])


def _derived(secret_key: str) -> str:
    # Development and tests only: production refuses to start without explicit keys.
    return base64.urlsafe_b64encode(
        hashlib.sha256(b"clover-credentials:" + secret_key.encode()).digest()
    ).decode()

"""Settings from the environment, validated once at start.

Unknown ``CLOVER_*`` variables and invalid values stop the process with a
clear message instead of being silently ignored.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

DEV_SECRET_KEY = "clover-development-secret-key-change-me"


class SettingsError(ValueError):
    """A setting is missing, unknown or invalid."""


def _int(name: str, raw: str, minimum: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _is_fernet_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except (binascii.Error, ValueError):
        return False


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///var/clover.db"
    # Empty: jobs run in-process (the embedded default).
    redis_url: str = ""
    secret_key: str = DEV_SECRET_KEY
    environment: str = "development"
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 1_048_576
    statement_timeout_ms: int = 15_000
    log_level: str = "INFO"
    idempotency_ttl_hours: int = 24
    # Where uploaded imports wait for their job: shared by API and worker processes.
    upload_dir: str = "var/uploads"
    # One view (CSV imports) accepts bodies up to this size; all others max_body_bytes.
    max_import_bytes: int = 209_715_200
    # Fernet keys for channel credentials, newest first (the newest encrypts, any decrypts).
    # Empty outside production: one key is derived from SECRET_KEY.
    encryption_keys: tuple[str, ...] = ()
    # How often every connected channel is synced.
    sync_interval_minutes: int = 60
    # Lifetime of an OAuth access token (refresh tokens rotate and live 30 days).
    oauth_access_ttl_minutes: int = 60
    # How many reverse proxies (TLS terminators) sit in front: their X-Forwarded-*
    # headers are then trusted for the scheme, host and client address.
    trusted_proxies: int = 0

    # environment variable → (attribute, parser)
    ENV = {
        "DATABASE_URL": "database_url",
        "REDIS_URL": "redis_url",
        "SECRET_KEY": "secret_key",
        "CLOVER_ENV": "environment",
        "CLOVER_CORS_ORIGINS": "cors_origins",
        "CLOVER_MAX_BODY_BYTES": "max_body_bytes",
        "CLOVER_STATEMENT_TIMEOUT_MS": "statement_timeout_ms",
        "CLOVER_LOG_LEVEL": "log_level",
        "CLOVER_IDEMPOTENCY_TTL_HOURS": "idempotency_ttl_hours",
        "CLOVER_UPLOAD_DIR": "upload_dir",
        "CLOVER_MAX_IMPORT_BYTES": "max_import_bytes",
        "CLOVER_ENCRYPTION_KEYS": "encryption_keys",
        "CLOVER_SYNC_INTERVAL_MINUTES": "sync_interval_minutes",
        "CLOVER_OAUTH_ACCESS_TTL_MINUTES": "oauth_access_ttl_minutes",
        "CLOVER_TRUSTED_PROXIES": "trusted_proxies",
    }

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        unknown = sorted(k for k in environ if k.startswith("CLOVER_") and k not in cls.ENV)
        if unknown:
            known = ", ".join(sorted(cls.ENV))
            raise SettingsError(f"unknown setting(s) {', '.join(unknown)}; known: {known}")
        values: dict[str, object] = {}
        for name, attr in cls.ENV.items():
            raw = environ.get(name)
            if raw is None or raw == "":
                continue
            values[attr] = raw
        return cls.build(**values)

    @classmethod
    def build(cls, **values: object) -> Settings:
        """Build settings from raw (string or typed) values and validate them."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise SettingsError(f"unknown setting(s): {', '.join(unknown)}")
        settings = replace(cls(), **values)
        return settings.validated()

    # Integer settings given as text: attribute → smallest value allowed.
    MINIMUMS = {
        "max_body_bytes": 1024,
        "statement_timeout_ms": 1,
        "idempotency_ttl_hours": 1,
        "max_import_bytes": 1024,
        "sync_interval_minutes": 1,
        "oauth_access_ttl_minutes": 1,
        "trusted_proxies": 0,
    }

    def validated(self) -> Settings:
        variable = {attr: name for name, attr in self.ENV.items()}
        numbers = {
            attr: _int(variable[attr], value, minimum)
            for attr, minimum in self.MINIMUMS.items()
            if isinstance(value := getattr(self, attr), str)
        }
        origins = self.cors_origins
        if isinstance(origins, str):
            origins = tuple(o.strip() for o in origins.split(",") if o.strip())
        keys = self.encryption_keys
        if isinstance(keys, str):
            keys = tuple(k.strip() for k in keys.split(",") if k.strip())
        for key in keys:
            if not _is_fernet_key(key):
                raise SettingsError(
                    "CLOVER_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64 bytes), "
                    "comma-separated, newest first"
                )
        if self.environment not in ("development", "test", "production"):
            raise SettingsError(
                f"CLOVER_ENV must be development, test or production, got {self.environment!r}"
            )
        if not self.database_url.startswith(("sqlite:", "postgresql")):
            raise SettingsError(
                "DATABASE_URL must be a sqlite:/// or postgresql+psycopg:// URL, "
                f"got {self.database_url!r}"
            )
        if self.redis_url and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise SettingsError(f"REDIS_URL must be a redis:// URL, got {self.redis_url!r}")
        if self.environment == "production" and self.secret_key == DEV_SECRET_KEY:
            raise SettingsError("SECRET_KEY must be set in production")
        if self.environment == "production" and not keys:
            raise SettingsError("CLOVER_ENCRYPTION_KEYS must be set in production")
        if self.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise SettingsError(f"CLOVER_LOG_LEVEL is not a log level: {self.log_level!r}")
        return replace(
            self,
            **numbers,
            cors_origins=origins,
            encryption_keys=keys,
            log_level=self.log_level.upper(),
        )

    @property
    def uses_postgresql(self) -> bool:
        return self.database_url.startswith("postgresql")

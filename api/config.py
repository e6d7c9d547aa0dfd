"""Settings from the environment, validated once at start.

Unknown ``CLOVER_*`` variables and invalid values stop the process with a
clear message instead of being silently ignored.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import uuid
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


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _is_fernet_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except (binascii.Error, ValueError):
        return False


# Rate limits: name=requests/seconds, comma-separated (or "off").
RATE_LIMIT_NAMES = ("caller", "organisation", "auth")
DEFAULT_RATE_LIMITS = "caller=600/60,organisation=3000/60,auth=300/60"
_LIMIT = re.compile(r"^\s*(\w+)\s*=\s*(\d+)\s*/\s*(\d+)\s*$")


def parse_rate_limits(
    raw: str, variable: str = "CLOVER_RATE_LIMITS", names: tuple[str, ...] = RATE_LIMIT_NAMES
) -> dict[str, tuple[int, int]]:
    """``"caller=600/60,auth=30/60"`` → ``{"caller": (600, 60), "auth": (30, 60)}``."""
    if raw.strip().lower() == "off":
        return {}
    limits: dict[str, tuple[int, int]] = {}
    for part in (p for p in raw.split(",") if p.strip()):
        match = _LIMIT.match(part)
        if not match:
            raise SettingsError(f"{variable}: {part.strip()!r} is not name=requests/seconds")
        name, count, seconds = match[1], int(match[2]), int(match[3])
        if name not in names:
            raise SettingsError(f"{variable}: unknown limit {name!r}; known: {', '.join(names)}")
        if count < 1 or seconds < 1:
            raise SettingsError(f"{variable}: {name} needs at least 1 request per 1 second")
        limits[name] = (count, seconds)
    return limits


def parse_plan_limits(raw: str) -> dict[str, dict[str, tuple[int, int]]]:
    """``'{"pro": "caller=1200/60,organisation=10000/60"}'`` → plan → limits."""
    if not raw.strip():
        return {}
    try:
        plans = json.loads(raw)
    except ValueError:
        plans = None
    if not isinstance(plans, dict) or not all(isinstance(v, str) for v in plans.values()):
        raise SettingsError(
            "CLOVER_PLAN_LIMITS must be a JSON object of plan → limits, e.g. "
            '{"pro": "caller=1200/60,organisation=10000/60"}'
        )
    return {
        plan: parse_rate_limits(spec, f"CLOVER_PLAN_LIMITS[{plan}]", ("caller", "organisation"))
        for plan, spec in plans.items()
    }


def parse_organisation_plans(raw: str) -> dict[uuid.UUID, str]:
    """``"<organisation id>=pro,<organisation id>=pro"`` → organisation id → plan."""
    plans: dict[uuid.UUID, str] = {}
    for part in (p for p in raw.split(",") if p.strip()):
        organisation, _, plan = part.partition("=")
        try:
            plans[uuid.UUID(organisation.strip())] = plan.strip()
        except ValueError:
            raise SettingsError(
                f"CLOVER_ORGANISATION_PLANS: {part.strip()!r} is not <organisation id>=<plan>"
            ) from None
    return plans


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
    # Job recovery: a running job beats its heartbeat this often; one whose heartbeat
    # is older than the stale bound is interrupted and queued again; the reconciler
    # (which also re-queues work Redis lost) runs this often.
    job_heartbeat_seconds: int = 10
    job_stale_seconds: int = 45
    job_reconcile_seconds: int = 15
    # Lifetime of an OAuth access token (refresh tokens rotate and live 30 days).
    oauth_access_ttl_minutes: int = 60
    # How many reverse proxies (TLS terminators) sit in front: their X-Forwarded-*
    # headers are then trusted for the scheme, host and client address.
    trusted_proxies: int = 0
    # Webhook endpoints on private, loopback or link-local addresses (refused by default).
    webhooks_allow_private: bool = False
    # Channel connections' base URLs (a Mastodon instance, a Bluesky PDS) on private,
    # loopback or link-local addresses (refused by default).
    connections_allow_private: bool = False
    # An endpoint is disabled after this many consecutive failed deliveries.
    webhooks_disable_after: int = 20
    # How long a webhook receiver has to answer (receivers should answer fast and work later).
    webhooks_timeout_ms: int = 10_000
    # Requests per window: per caller (token), per organisation in the URL, and per
    # client IP on the sign-in endpoints (token, login, signup). "off" disables them.
    rate_limits: str = DEFAULT_RATE_LIMITS
    # Plans until organisations get a plan column: plan → limits (JSON) and
    # organisation id → plan ("<id>=<plan>,…"); a plan's limits override rate_limits.
    plan_limits: str = ""
    organisation_plans: str = ""
    # Prefix of the rate-limit counters in Redis.
    rate_limit_prefix: str = "clover:ratelimit"
    # The front end's page that accepts an invitation, with a {token} placeholder
    # (e.g. https://app.example.com/join?token={token}); sent in member.invited events.
    invitation_accept_url: str = ""

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
        "CLOVER_JOB_HEARTBEAT_SECONDS": "job_heartbeat_seconds",
        "CLOVER_JOB_STALE_SECONDS": "job_stale_seconds",
        "CLOVER_JOB_RECONCILE_SECONDS": "job_reconcile_seconds",
        "CLOVER_OAUTH_ACCESS_TTL_MINUTES": "oauth_access_ttl_minutes",
        "CLOVER_TRUSTED_PROXIES": "trusted_proxies",
        "CLOVER_WEBHOOKS_ALLOW_PRIVATE": "webhooks_allow_private",
        "CLOVER_CONNECTIONS_ALLOW_PRIVATE": "connections_allow_private",
        "CLOVER_WEBHOOKS_DISABLE_AFTER": "webhooks_disable_after",
        "CLOVER_WEBHOOKS_TIMEOUT_MS": "webhooks_timeout_ms",
        "CLOVER_RATE_LIMITS": "rate_limits",
        "CLOVER_PLAN_LIMITS": "plan_limits",
        "CLOVER_ORGANISATION_PLANS": "organisation_plans",
        "CLOVER_RATE_LIMIT_PREFIX": "rate_limit_prefix",
        "CLOVER_INVITATION_ACCEPT_URL": "invitation_accept_url",
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
        "job_heartbeat_seconds": 1,
        "job_stale_seconds": 2,
        "job_reconcile_seconds": 1,
        "oauth_access_ttl_minutes": 1,
        "trusted_proxies": 0,
        "webhooks_disable_after": 1,
        "webhooks_timeout_ms": 1,
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
        plan_limits = self.plan_limits
        if isinstance(plan_limits, Mapping):
            plan_limits = json.dumps(dict(plan_limits))
        organisation_plans = self.organisation_plans
        if isinstance(organisation_plans, Mapping):
            organisation_plans = ",".join(f"{k}={v}" for k, v in organisation_plans.items())
        parse_rate_limits(self.rate_limits)
        plans = parse_plan_limits(plan_limits)
        for organisation, plan in parse_organisation_plans(organisation_plans).items():
            if plan not in plans:
                raise SettingsError(
                    f"CLOVER_ORGANISATION_PLANS: organisation {organisation} has plan {plan!r}, "
                    "which CLOVER_PLAN_LIMITS does not define"
                )
        heartbeat = numbers.get("job_heartbeat_seconds", self.job_heartbeat_seconds)
        if numbers.get("job_stale_seconds", self.job_stale_seconds) < 2 * heartbeat:
            raise SettingsError(
                "CLOVER_JOB_STALE_SECONDS must be at least twice CLOVER_JOB_HEARTBEAT_SECONDS"
            )
        if not self.rate_limit_prefix.strip():
            raise SettingsError("CLOVER_RATE_LIMIT_PREFIX must not be empty")
        if self.invitation_accept_url and not (
            self.invitation_accept_url.startswith(("https://", "http://"))
            and "{token}" in self.invitation_accept_url
        ):
            raise SettingsError(
                "CLOVER_INVITATION_ACCEPT_URL must be an http(s) URL with a {token} placeholder, "
                f"got {self.invitation_accept_url!r}"
            )
        if self.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise SettingsError(f"CLOVER_LOG_LEVEL is not a log level: {self.log_level!r}")
        allow_private = self.webhooks_allow_private
        if isinstance(allow_private, str):
            allow_private = _bool("CLOVER_WEBHOOKS_ALLOW_PRIVATE", allow_private)
        connections_private = self.connections_allow_private
        if isinstance(connections_private, str):
            connections_private = _bool("CLOVER_CONNECTIONS_ALLOW_PRIVATE", connections_private)
        return replace(
            self,
            **numbers,
            webhooks_allow_private=allow_private,
            connections_allow_private=connections_private,
            cors_origins=origins,
            encryption_keys=keys,
            log_level=self.log_level.upper(),
            plan_limits=plan_limits,
            organisation_plans=organisation_plans,
        )

    @property
    def uses_postgresql(self) -> bool:
        return self.database_url.startswith("postgresql")

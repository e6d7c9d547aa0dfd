"""Settings from the environment, validated once at start (pydantic-settings).

``Settings.from_env()`` reads each field from ``CLOVER_<FIELD>`` unless the field
names its variable (``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY``, ``CLOVER_ENV``).
Unknown ``CLOVER_*`` variables and invalid values stop the process with a clear
message instead of being silently ignored: pydantic's errors are translated into
sentences that name the variable. Adding a setting is one typed field.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    AliasGenerator,
    BeforeValidator,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, SettingsConfigDict

DEV_SECRET_KEY = "clover-development-secret-key-change-me"
PREFIX = "CLOVER_"


class SettingsError(ValueError):
    """A setting is missing, unknown or invalid."""


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


# Field types: each parses its variable's text and refuses a bad value with a message
# naming the variable, so that a field is one line below.


def _comma_separated(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def _database_url(url: str) -> str:
    if not url.startswith(("sqlite:", "postgresql")):
        raise SettingsError(
            f"DATABASE_URL must be a sqlite:/// or postgresql+psycopg:// URL, got {url!r}"
        )
    return url


def _redis_url(url: str) -> str:
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError(f"REDIS_URL must be a redis:// URL, got {url!r}")
    return url


def _fernet_keys(keys: tuple[str, ...]) -> tuple[str, ...]:
    if not all(_is_fernet_key(key) for key in keys):
        raise SettingsError(
            "CLOVER_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64 bytes), "
            "comma-separated, newest first"
        )
    return keys


def _parsed_by(parse: Callable[[str], object]) -> AfterValidator:
    """Keep the text (its users parse it), refused when ``parse`` refuses it."""

    def check(raw: str) -> str:
        parse(raw)
        return raw

    return AfterValidator(check)


def _plan_limits_text(value: Any) -> Any:
    # build(plan_limits={"pro": "caller=…"}) is kept as the JSON the variable holds.
    return json.dumps(dict(value)) if isinstance(value, Mapping) else value


def _organisation_plans_text(value: Any) -> Any:
    if isinstance(value, Mapping):
        return ",".join(f"{organisation}={plan}" for organisation, plan in value.items())
    return value


def _rate_limit_prefix(prefix: str) -> str:
    if not prefix.strip():
        raise SettingsError("CLOVER_RATE_LIMIT_PREFIX must not be empty")
    return prefix


def _invitation_accept_url(url: str) -> str:
    if url and not (url.startswith(("https://", "http://")) and "{token}" in url):
        raise SettingsError(
            "CLOVER_INVITATION_ACCEPT_URL must be an http(s) URL with a {token} placeholder, "
            f"got {url!r}"
        )
    return url


# NoDecode: the variable is comma-separated text, not the JSON pydantic-settings expects.
CommaSeparated = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_comma_separated)]
DatabaseUrl = Annotated[str, AfterValidator(_database_url)]
RedisUrl = Annotated[str, AfterValidator(_redis_url)]
FernetKeys = Annotated[CommaSeparated, AfterValidator(_fernet_keys)]
LogLevel = Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR"], BeforeValidator(_upper)]
RateLimits = Annotated[str, _parsed_by(parse_rate_limits)]
PlanLimits = Annotated[str, BeforeValidator(_plan_limits_text), _parsed_by(parse_plan_limits)]
OrganisationPlans = Annotated[
    str, BeforeValidator(_organisation_plans_text), _parsed_by(parse_organisation_plans)
]
RateLimitPrefix = Annotated[str, AfterValidator(_rate_limit_prefix)]
InvitationAcceptUrl = Annotated[str, AfterValidator(_invitation_accept_url)]


class _Environment(EnvSettingsSource):
    """The process environment, or the mapping given, refusing unknown ``CLOVER_*`` names."""

    def __init__(self, settings_cls: type[Settings], environ: Mapping[str, str] | None = None):
        super().__init__(settings_cls)
        self.environ = os.environ if environ is None else environ
        self.env_vars = {
            name: value
            for name, value in self.environ.items()
            if not (self.env_ignore_empty and value == "")
        }

    def __call__(self) -> dict[str, Any]:
        # Every name counts, even set to "": a misspelt variable is refused, not ignored.
        known = set(Settings.variables().values())
        unknown = sorted(n for n in self.environ if n.startswith(PREFIX) and n not in known)
        if unknown:
            raise SettingsError(
                f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        return super().__call__()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        alias_generator=AliasGenerator(validation_alias=lambda name: PREFIX + name.upper()),
        validate_by_name=True,
        case_sensitive=True,
        env_ignore_empty=True,  # an empty variable counts as unset
        extra="forbid",
        frozen=True,
    )

    database_url: DatabaseUrl = Field("sqlite:///var/clover.db", validation_alias="DATABASE_URL")
    # Empty: jobs run in-process (the embedded default).
    redis_url: RedisUrl = Field("", validation_alias="REDIS_URL")
    secret_key: str = Field(DEV_SECRET_KEY, validation_alias="SECRET_KEY", repr=False)
    environment: Literal["development", "test", "production"] = Field(
        "development", validation_alias="CLOVER_ENV"
    )
    cors_origins: CommaSeparated = ()
    max_body_bytes: int = Field(1_048_576, ge=1024)
    statement_timeout_ms: int = Field(15_000, ge=1)
    log_level: LogLevel = "INFO"
    idempotency_ttl_hours: int = Field(24, ge=1)
    # Where uploaded imports wait for their job: shared by API and worker processes.
    upload_dir: str = "var/uploads"
    # One view (CSV imports) accepts bodies up to this size; all others max_body_bytes.
    max_import_bytes: int = Field(209_715_200, ge=1024)
    # Where uploaded media (images, videos) are kept, a folder per organisation, and the
    # largest of each kind: the upload view reads a body up to the larger one.
    media_dir: str = "var/media"
    max_image_bytes: int = Field(8_388_608, ge=1024)
    max_video_bytes: int = Field(104_857_600, ge=1024)
    # Fernet keys for channel credentials, newest first (the newest encrypts, any decrypts).
    # Empty outside production: one key is derived from SECRET_KEY.
    encryption_keys: FernetKeys = Field((), repr=False)
    # How often every connected channel is synced.
    sync_interval_minutes: int = Field(60, ge=1)
    # A sync reads the metrics of the posts Clover published on the channel this many
    # days back (today included); older posts keep the points already written.
    post_metrics_days: int = Field(30, ge=1, le=366)
    # Job recovery: a running job beats its heartbeat this often; one whose heartbeat
    # is older than the stale bound is interrupted and queued again; the reconciler
    # (which also re-queues work Redis lost) runs this often.
    job_heartbeat_seconds: int = Field(10, ge=1)
    job_stale_seconds: int = Field(45, ge=2)
    job_reconcile_seconds: int = Field(15, ge=1)
    # Lifetime of an OAuth access token (refresh tokens rotate and live 30 days).
    oauth_access_ttl_minutes: int = Field(60, ge=1)
    # How many reverse proxies (TLS terminators) sit in front: their X-Forwarded-*
    # headers are then trusted for the scheme, host and client address.
    trusted_proxies: int = Field(0, ge=0)
    # Webhook endpoints on private, loopback or link-local addresses (refused by default).
    webhooks_allow_private: bool = False
    # Channel connections' base URLs (a Mastodon instance, a Bluesky PDS) on private,
    # loopback or link-local addresses (refused by default).
    connections_allow_private: bool = False
    # An endpoint is disabled after this many consecutive failed deliveries.
    webhooks_disable_after: int = Field(20, ge=1)
    # How long a webhook receiver has to answer (receivers should answer fast and work later).
    webhooks_timeout_ms: int = Field(10_000, ge=1)
    # Requests per window: per caller (token), per organisation in the URL, and per
    # client IP on the sign-in endpoints (token, login, signup). "off" disables them.
    rate_limits: RateLimits = DEFAULT_RATE_LIMITS
    # Plans until organisations get a plan column: plan → limits (JSON) and
    # organisation id → plan ("<id>=<plan>,…"); a plan's limits override rate_limits.
    plan_limits: PlanLimits = ""
    organisation_plans: OrganisationPlans = ""
    # Prefix of the rate-limit counters in Redis.
    rate_limit_prefix: RateLimitPrefix = "clover:ratelimit"
    # The front end's page that accepts an invitation, with a {token} placeholder
    # (e.g. https://app.example.com/join?token={token}); sent in member.invited events.
    invitation_accept_url: InvitationAcceptUrl = ""
    # How long an API process keeps an API key's principal, confirmed on every request by
    # the generation the rate-limit check returns (api/http/principals.py); 0: never kept.
    # Well under the minute at which a key's last use is recorded.
    principals_kept_seconds: float = Field(10.0, ge=0, le=30)
    # The bearer token of GET /metrics (Prometheus); empty: the endpoint is not there (404).
    metrics_token: str = Field("", repr=False)
    # prometheus_client's multi-process folder: the processes that set it write their
    # metrics there (gunicorn's workers, `clover worker`), and a scrape reads them all.
    prometheus_multiproc_dir: str = Field("", validation_alias="PROMETHEUS_MULTIPROC_DIR")

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ):
        # Only from_env() reads an environment (through _Environment): Settings() and
        # build() are the defaults and the values given, whatever the process has set.
        return (init_settings,)

    def __init__(self, **values: Any) -> None:
        """Validate ``values`` (text as in the environment, or typed) over the defaults."""
        try:
            super().__init__(**values)
        except ValidationError as error:
            raise SettingsError("; ".join(_message(e) for e in error.errors())) from None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``environ`` (the process environment by default)."""
        return cls(**_Environment(cls, os.environ if environ is None else environ)())

    @classmethod
    def build(cls, **values: object) -> Settings:
        """Settings from field values and the defaults; the environment plays no part."""
        unknown = sorted(set(values) - set(cls.model_fields))
        if unknown:
            raise SettingsError(f"unknown setting(s): {', '.join(unknown)}")
        return cls(**values)

    @classmethod
    def variables(cls) -> dict[str, str]:
        """Field name → the environment variable it is read from."""
        return {name: field.validation_alias for name, field in cls.model_fields.items()}

    @model_validator(mode="after")
    def _rules(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEV_SECRET_KEY:
            raise SettingsError("SECRET_KEY must be set in production")
        if self.environment == "production" and not self.encryption_keys:
            raise SettingsError("CLOVER_ENCRYPTION_KEYS must be set in production")
        plans = parse_plan_limits(self.plan_limits)
        for organisation, plan in parse_organisation_plans(self.organisation_plans).items():
            if plan not in plans:
                raise SettingsError(
                    f"CLOVER_ORGANISATION_PLANS: organisation {organisation} has plan {plan!r}, "
                    "which CLOVER_PLAN_LIMITS does not define"
                )
        if self.job_stale_seconds < 2 * self.job_heartbeat_seconds:
            raise SettingsError(
                "CLOVER_JOB_STALE_SECONDS must be at least twice CLOVER_JOB_HEARTBEAT_SECONDS"
            )
        return self

    @property
    def uses_postgresql(self) -> bool:
        return self.database_url.startswith("postgresql")


def _message(error: ErrorDetails) -> str:
    """One pydantic error as the sentence an operator reads, naming the variable."""
    context = error.get("ctx", {})
    if isinstance(context.get("error"), SettingsError):
        return str(context["error"])
    field = str(error["loc"][0]) if error["loc"] else ""
    variables = Settings.variables()
    variable = variables.get(field, field)
    got = error["input"]
    kind = error["type"]
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{variable} must be an integer, got {got!r}"
    if kind == "greater_than_equal":
        return f"{variable} must be at least {context['ge']}, got {got}"
    if kind in ("bool_parsing", "bool_type"):
        return f"{variable} must be true or false, got {got!r}"
    if kind == "literal_error":
        name = next((n for n, v in variables.items() if v == variable), field)
        *others, last = get_args(Settings.model_fields[name].annotation)
        return f"{variable} must be {', '.join(others)} or {last}, got {got!r}"
    return f"{variable}: {error['msg']}"

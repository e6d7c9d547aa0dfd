"""Settings.from_env: the embedded defaults, and a clear refusal of anything wrong."""

from __future__ import annotations

import os

import pytest
from cryptography.fernet import Fernet

from api.config import (
    DEV_SECRET_KEY,
    Settings,
    SettingsError,
    parse_organisation_plans,
    parse_plan_limits,
    parse_rate_limits,
)

KEY = Fernet.generate_key().decode()


def test_an_empty_environment_gives_the_embedded_defaults():
    settings = Settings.from_env({})

    assert settings.database_url == "sqlite:///var/clover.db"
    assert settings.redis_url == ""  # jobs run in-process
    assert settings.environment == "development"
    assert settings.secret_key == DEV_SECRET_KEY
    assert settings.cors_origins == ()
    assert settings.max_body_bytes == 1_048_576
    assert settings.statement_timeout_ms == 15_000
    assert settings.idempotency_ttl_hours == 24
    assert settings.log_level == "INFO"
    assert settings.oauth_access_ttl_minutes == 60
    assert not settings.uses_postgresql


def test_empty_values_count_as_unset():
    blank = {"REDIS_URL": "", "CLOVER_ENV": "", "CLOVER_IDEMPOTENCY_TTL_HOURS": ""}
    assert Settings.from_env(blank) == Settings.from_env({})


def test_variables_are_read_and_converted():
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql+psycopg://clover@db/clover",
            "REDIS_URL": "redis://cache:6379/2",
            "SECRET_KEY": "s3cret-for-production-only",
            "CLOVER_ENV": "production",
            "CLOVER_ENCRYPTION_KEYS": KEY,
            "CLOVER_MAX_BODY_BYTES": "2048",
            "CLOVER_STATEMENT_TIMEOUT_MS": "500",
            "CLOVER_IDEMPOTENCY_TTL_HOURS": "48",
            "CLOVER_LOG_LEVEL": "debug",
            "CLOVER_OAUTH_ACCESS_TTL_MINUTES": "15",
        }
    )

    assert settings.database_url == "postgresql+psycopg://clover@db/clover"
    assert settings.uses_postgresql
    assert settings.redis_url == "redis://cache:6379/2"
    assert settings.secret_key == "s3cret-for-production-only"
    assert settings.environment == "production"
    assert settings.max_body_bytes == 2048
    assert settings.statement_timeout_ms == 500
    assert settings.idempotency_ttl_hours == 48
    assert settings.log_level == "DEBUG"
    assert settings.oauth_access_ttl_minutes == 15


def test_variables_other_than_clover_ones_are_ignored():
    assert Settings.from_env({"PATH": "/usr/bin", "HOME": "/root"}) == Settings.from_env({})


def test_an_unknown_clover_variable_is_rejected_by_name():
    with pytest.raises(SettingsError, match=r"CLOVER_MAX_BODY_BYTE\b") as error:
        Settings.from_env({"CLOVER_MAX_BODY_BYTE": "2048"})  # typo: missing S

    assert "CLOVER_MAX_BODY_BYTES" in str(error.value)  # the known names are listed


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CLOVER_MAX_BODY_BYTES", "1MB", "CLOVER_MAX_BODY_BYTES must be an integer, got '1MB'"),
        ("CLOVER_MAX_BODY_BYTES", "100", "CLOVER_MAX_BODY_BYTES must be at least 1024"),
        ("CLOVER_STATEMENT_TIMEOUT_MS", "1.5", "CLOVER_STATEMENT_TIMEOUT_MS must be an integer"),
        ("CLOVER_STATEMENT_TIMEOUT_MS", "0", "CLOVER_STATEMENT_TIMEOUT_MS must be at least 1"),
        ("CLOVER_IDEMPOTENCY_TTL_HOURS", "-3", "CLOVER_IDEMPOTENCY_TTL_HOURS must be at least 1"),
        (
            "CLOVER_OAUTH_ACCESS_TTL_MINUTES",
            "0",
            "CLOVER_OAUTH_ACCESS_TTL_MINUTES must be at least 1",
        ),
    ],
)
def test_bad_integers_are_rejected(variable, value, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({variable: value})


@pytest.mark.parametrize(
    "url", ["mysql://clover@db/clover", "clover.db", "postgres://clover@db/clover"]
)
def test_a_database_url_that_is_not_sqlite_or_postgresql_is_rejected(url):
    with pytest.raises(SettingsError, match="DATABASE_URL must be"):
        Settings.from_env({"DATABASE_URL": url})


@pytest.mark.parametrize("url", ["sqlite:///:memory:", "postgresql://u@h/d"])
def test_sqlite_and_postgresql_database_urls_are_accepted(url):
    assert Settings.from_env({"DATABASE_URL": url}).database_url == url


@pytest.mark.parametrize("url", ["http://cache:6379", "cache:6379", "memcached://cache"])
def test_a_redis_url_without_a_redis_scheme_is_rejected(url):
    with pytest.raises(SettingsError, match="REDIS_URL must be a redis:// URL"):
        Settings.from_env({"REDIS_URL": url})


@pytest.mark.parametrize("url", ["redis://h:6379/0", "rediss://h:6380", "unix:///tmp/r.sock"])
def test_redis_tls_and_socket_urls_are_accepted(url):
    assert Settings.from_env({"REDIS_URL": url}).redis_url == url


@pytest.mark.parametrize("name", ["prod", "staging", "Production"])
def test_an_unknown_environment_name_is_rejected(name):
    with pytest.raises(SettingsError, match="CLOVER_ENV must be development, test or production"):
        Settings.from_env({"CLOVER_ENV": name})


def test_an_unknown_log_level_is_rejected():
    with pytest.raises(SettingsError, match="CLOVER_LOG_LEVEL"):
        Settings.from_env({"CLOVER_LOG_LEVEL": "verbose"})


def test_production_without_a_secret_key_is_rejected():
    with pytest.raises(SettingsError, match="SECRET_KEY must be set in production"):
        Settings.from_env({"CLOVER_ENV": "production"})


def test_production_with_a_secret_key_and_encryption_keys_is_accepted():
    settings = Settings.from_env(
        {"CLOVER_ENV": "production", "SECRET_KEY": "a-real-secret", "CLOVER_ENCRYPTION_KEYS": KEY}
    )
    assert settings.environment == "production"
    assert settings.encryption_keys == (KEY,)


def test_production_without_encryption_keys_is_rejected():
    with pytest.raises(SettingsError, match="CLOVER_ENCRYPTION_KEYS"):
        Settings.from_env({"CLOVER_ENV": "production", "SECRET_KEY": "a-real-secret"})


def test_encryption_keys_must_be_fernet_keys_and_keep_their_order():
    other = Fernet.generate_key().decode()
    assert Settings.from_env({"CLOVER_ENCRYPTION_KEYS": f"{KEY}, {other}"}).encryption_keys == (
        KEY,
        other,
    )
    with pytest.raises(SettingsError, match="Fernet"):
        Settings.from_env({"CLOVER_ENCRYPTION_KEYS": "not-a-key"})


def test_development_may_run_on_the_development_secret_key():
    assert Settings.from_env({"CLOVER_ENV": "development"}).secret_key == DEV_SECRET_KEY


def test_cors_origins_are_split_on_commas_and_trimmed():
    settings = Settings.from_env(
        {"CLOVER_CORS_ORIGINS": " https://app.example.com, http://localhost:5173 ,, "}
    )

    assert settings.cors_origins == ("https://app.example.com", "http://localhost:5173")


def test_build_rejects_an_unknown_setting_name():
    with pytest.raises(SettingsError, match=r"unknown setting.*database_uri"):
        Settings.build(database_uri="sqlite:///x.db")


def test_from_env_reads_the_process_environment_by_default(monkeypatch):
    for name in [n for n in os.environ if n.startswith("CLOVER_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CLOVER_STATEMENT_TIMEOUT_MS", "1234")
    monkeypatch.setenv("CLOVER_NOT_A_SETTING", "1")

    with pytest.raises(SettingsError, match="CLOVER_NOT_A_SETTING"):
        Settings.from_env()

    monkeypatch.delenv("CLOVER_NOT_A_SETTING")
    assert Settings.from_env().statement_timeout_ms == 1234


def test_imports_default_to_var_uploads_and_200_mb():
    settings = Settings.from_env({})

    assert settings.upload_dir == "var/uploads"
    assert settings.max_import_bytes == 209_715_200


def test_the_upload_directory_and_import_size_are_read_from_the_environment():
    settings = Settings.from_env(
        {"CLOVER_UPLOAD_DIR": "/srv/clover/uploads", "CLOVER_MAX_IMPORT_BYTES": "5000000"}
    )

    assert settings.upload_dir == "/srv/clover/uploads"
    assert settings.max_import_bytes == 5_000_000


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("200MB", "CLOVER_MAX_IMPORT_BYTES must be an integer, got '200MB'"),
        ("10", "CLOVER_MAX_IMPORT_BYTES must be at least 1024"),
    ],
)
def test_a_bad_import_size_is_rejected(value, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({"CLOVER_MAX_IMPORT_BYTES": value})


def test_trusted_proxies_is_a_count():
    assert Settings.from_env({"CLOVER_TRUSTED_PROXIES": "2"}).trusted_proxies == 2
    assert Settings.from_env({}).trusted_proxies == 0
    with pytest.raises(SettingsError, match="CLOVER_TRUSTED_PROXIES"):
        Settings.from_env({"CLOVER_TRUSTED_PROXIES": "-1"})


def test_webhooks_refuse_private_addresses_and_disable_after_20_failures_by_default():
    settings = Settings.from_env({})
    assert settings.webhooks_allow_private is False
    assert settings.webhooks_disable_after == 20


def test_webhook_settings_are_read_from_the_environment():
    settings = Settings.from_env(
        {"CLOVER_WEBHOOKS_ALLOW_PRIVATE": "true", "CLOVER_WEBHOOKS_DISABLE_AFTER": "3"}
    )
    assert settings.webhooks_allow_private is True
    assert settings.webhooks_disable_after == 3


def test_allowing_private_webhook_addresses_must_be_a_boolean():
    with pytest.raises(SettingsError, match="CLOVER_WEBHOOKS_ALLOW_PRIVATE must be true or false"):
        Settings.from_env({"CLOVER_WEBHOOKS_ALLOW_PRIVATE": "maybe"})


def test_rate_limits_default_to_per_caller_organisation_and_sign_in_limits():
    settings = Settings.from_env({})
    assert parse_rate_limits(settings.rate_limits) == {
        "caller": (600, 60),
        "organisation": (3000, 60),
        "auth": (300, 60),
    }
    assert settings.plan_limits == settings.organisation_plans == ""


def test_rate_limits_plans_and_organisation_plans_are_read_from_the_environment():
    org = "0b0e4d2e-8d4f-4c36-9a53-5a8f4e7f1c11"
    settings = Settings.from_env(
        {
            "CLOVER_RATE_LIMITS": "caller=100/10, auth=5/60",
            "CLOVER_PLAN_LIMITS": '{"pro": "organisation=10000/60"}',
            "CLOVER_ORGANISATION_PLANS": f"{org}=pro",
            "CLOVER_RATE_LIMIT_PREFIX": "staging:limits",
        }
    )
    assert parse_rate_limits(settings.rate_limits) == {"caller": (100, 10), "auth": (5, 60)}
    assert parse_plan_limits(settings.plan_limits) == {"pro": {"organisation": (10000, 60)}}
    assert {
        str(k): v for k, v in parse_organisation_plans(settings.organisation_plans).items()
    } == {org: "pro"}
    assert settings.rate_limit_prefix == "staging:limits"
    assert parse_rate_limits(Settings.from_env({"CLOVER_RATE_LIMITS": "off"}).rate_limits) == {}


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CLOVER_RATE_LIMITS", "caller=600", "not name=requests/seconds"),
        ("CLOVER_RATE_LIMITS", "everyone=5/60", "unknown limit 'everyone'"),
        ("CLOVER_RATE_LIMITS", "caller=0/60", "at least 1 request"),
        ("CLOVER_PLAN_LIMITS", "pro=5/60", "JSON object"),
        ("CLOVER_PLAN_LIMITS", '{"pro": "auth=5/60"}', "unknown limit 'auth'"),
        ("CLOVER_ORGANISATION_PLANS", "acme=pro", "<organisation id>=<plan>"),
        (
            "CLOVER_ORGANISATION_PLANS",
            "0b0e4d2e-8d4f-4c36-9a53-5a8f4e7f1c11=gold",
            "does not define",
        ),
    ],
)
def test_invalid_rate_limit_settings_are_refused(variable, value, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({variable: value})


def test_an_invitation_accept_url_needs_a_token_placeholder():
    with pytest.raises(SettingsError, match="CLOVER_INVITATION_ACCEPT_URL"):
        Settings.from_env({"CLOVER_INVITATION_ACCEPT_URL": "https://app.example.test/join"})
    settings = Settings.from_env(
        {"CLOVER_INVITATION_ACCEPT_URL": "https://app.example.test/join?token={token}"}
    )
    assert settings.invitation_accept_url == "https://app.example.test/join?token={token}"

"""Settings as a typed, immutable model: every way of making them validates, none leaks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from api.config import DEV_SECRET_KEY, Settings, SettingsError

README = Path(__file__).resolve().parents[2] / "README.md"


def test_settings_made_directly_are_converted_and_validated_like_the_environment():
    settings = Settings(max_body_bytes="2048", webhooks_allow_private="yes", cors_origins="a, b")

    assert settings.max_body_bytes == 2048
    assert settings.webhooks_allow_private is True
    assert settings.cors_origins == ("a", "b")
    with pytest.raises(SettingsError, match="CLOVER_MAX_BODY_BYTES must be an integer"):
        Settings(max_body_bytes="1MB")


def test_build_gives_typed_values():
    settings = Settings.build(statement_timeout_ms="500", trusted_proxies="2")

    assert (settings.statement_timeout_ms, settings.trusted_proxies) == (500, 2)


def test_every_error_is_named_at_once():
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"CLOVER_MAX_BODY_BYTES": "1MB", "REDIS_URL": "cache:6379"})

    assert "CLOVER_MAX_BODY_BYTES must be an integer" in str(error.value)
    assert "REDIS_URL must be a redis:// URL" in str(error.value)


def test_settings_are_immutable_and_hashable():
    settings = Settings.from_env({})

    with pytest.raises(ValidationError):
        settings.max_body_bytes = 1
    assert hash(settings) == hash(Settings.build())
    assert {settings: "cached"}[Settings.from_env({})] == "cached"


def test_model_copy_changes_the_fields_named_and_keeps_the_rest():
    settings = Settings.build(environment="test", upload_dir="/srv/a")
    copy = settings.model_copy(update={"upload_dir": "/srv/b", "max_import_bytes": 4096})

    assert (copy.upload_dir, copy.max_import_bytes, copy.environment) == ("/srv/b", 4096, "test")
    assert settings.upload_dir == "/srv/a"


def test_only_from_env_reads_the_process_environment(monkeypatch):
    monkeypatch.setenv("CLOVER_LOG_LEVEL", "debug")

    assert Settings.build().log_level == "INFO"
    assert Settings().log_level == "INFO"
    assert Settings.from_env().log_level == "DEBUG"
    assert Settings.from_env({}).log_level == "INFO"


def test_an_unknown_clover_variable_is_refused_even_when_empty():
    with pytest.raises(SettingsError, match=r"CLOVER_MAX_BODY_BYTE\b"):
        Settings.from_env({"CLOVER_MAX_BODY_BYTE": ""})


def test_secrets_stay_out_of_the_representation():
    key = Fernet.generate_key().decode()
    settings = Settings.build(secret_key="s3cret-for-production-only", encryption_keys=key)

    assert "s3cret-for-production-only" not in repr(settings)
    assert key not in repr(settings)
    assert DEV_SECRET_KEY not in repr(Settings.build())


def _readme_settings() -> dict[str, str]:
    section = README.read_text().split("## Settings", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([A-Z_]+)` \| ([^|]+) \|", section, re.MULTILINE)
    return {variable: default.strip() for variable, default in rows}


def test_the_readme_names_every_variable_with_its_default():
    documented = _readme_settings()
    defaults = Settings.build()

    assert set(documented) == set(Settings.variables().values())
    for name, variable in Settings.variables().items():
        default = getattr(defaults, name)
        text = documented[variable]
        if default in ("", ()):
            assert text.startswith(("empty", "derived")), variable
        elif text.startswith("`"):
            expected = str(default).lower() if isinstance(default, bool) else str(default)
            assert text == f"`{expected}`", variable

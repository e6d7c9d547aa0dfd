"""What the logs keep of a failing database write: one JSON line, and no secret.

A trigger in the test database makes writes to a table fail (a real database
fault), so the statement's parameters — password and key hashes, secrets'
ciphertexts, email addresses — would reach the log if anything printed them.
"""

import json
import logging
import re

import pytest

from api.logs import JsonFormatter
from tests.factories import unique_email

HEX_DIGEST = re.compile(r"\b[0-9a-f]{64}\b")


@pytest.fixture
def failing_writes(database_faults):
    """``failing_writes("users")``: every insert into that table fails until the test ends."""
    return database_faults.refuse


class Captured(logging.Handler):
    """Every record the app's loggers emit, formatted as the JSON lines production writes."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self.format(record))


@pytest.fixture
def logged(app):
    handler = Captured()
    loggers = [logging.getLogger(), logging.getLogger("clover"), app.logger]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


def text_of(logged, capfd) -> str:
    out, err = capfd.readouterr()
    return "\n".join([*logged.lines, out, err])


def test_a_failed_signup_logs_no_email_or_password_hash(client, failing_writes, logged, capfd):
    failing_writes("users")
    email = unique_email("secretive")

    response = client.post(
        "/v1/signup",
        json={
            "email": email,
            "name": "Sam Secret",
            "password": "correct horse battery staple",
            "organisation_name": "Secrets Ltd",
        },
    )

    assert response.status_code == 500
    text = text_of(logged, capfd)
    assert "disk on fire" in text  # the failure itself is there
    assert email not in text
    assert "$argon2" not in text
    assert "correct horse" not in text


def test_a_failed_key_write_logs_no_key_hash(client, factory, failing_writes, logged, capfd):
    org = factory.organisation()
    failing_writes("api_keys")

    response = client.post(org.url("/api-keys"), headers=org.headers, json={"name": "Server"})

    assert response.status_code == 500
    assert HEX_DIGEST.findall(text_of(logged, capfd)) == []


def test_a_failed_webhook_write_logs_no_secret(client, factory, failing_writes, logged, capfd):
    org = factory.organisation()
    failing_writes("webhook_endpoints")

    response = client.post(
        org.url("/webhook-endpoints"),
        headers=org.headers,
        json={"url": "https://93.184.215.14/hooks", "events": ["strategy.activated"]},
    )

    assert response.status_code == 500
    text = text_of(logged, capfd)
    assert "gAAAAA" not in text  # a Fernet token's first bytes
    assert "whsec_" not in text


def test_an_unhandled_error_is_logged_once_as_json_with_the_request_id(
    client, factory, failing_writes, logged, capfd
):
    org = factory.organisation()
    failing_writes("channels")

    response = client.post(
        org.url("/channels"),
        headers={**org.headers, "X-Request-ID": "trace-me-42"},
        json={"kind": "linkedin", "name": "Company page"},
    )

    assert response.status_code == 500
    assert response.get_json()["request_id"] == "trace-me-42"
    errors = [r for r in logged.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    line = json.loads(logged.lines[logged.records.index(errors[0])])
    assert line["request_id"] == "trace-me-42"
    assert line["path"] == org.url("/channels")
    assert "disk on fire" in line["exception"]
    _, err = capfd.readouterr()
    assert "Traceback" not in "\n".join(
        chunk for chunk in err.splitlines() if not chunk.startswith("{")
    )

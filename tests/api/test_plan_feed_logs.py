"""A calendar feed's address is its credential: no log line keeps the token in it.

Read through the test client (the access log, our JSON lines) and through a real
werkzeug server (its own request line, the one ``clover serve`` prints).
"""

import logging
import threading
import urllib.request
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from api.logs import redact
from tests.api.test_logs_hold_no_secrets import Captured


@pytest.fixture
def logged(app):
    """Every record of the app's loggers and werkzeug's, at INFO and above."""
    handler = Captured()
    names = ["", "clover", "werkzeug", app.logger.name]
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield handler
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def new_feed(client, org) -> dict:
    response = client.post(org.url("/plan-feeds"), headers=org.headers, json={"name": "Mine"})
    assert response.status_code == 201
    return response.get_json()


def feed_secret(feed: dict) -> str:
    """The secret part of ``clvfeed_<prefix>_<secret>`` (which may itself hold "_")."""
    return feed["token"].split("_", 2)[2]


def all_text(logged, capfd) -> str:
    out, err = capfd.readouterr()
    messages = [record.getMessage() for record in logged.records]
    return "\n".join([*logged.lines, *messages, out, err])


def test_the_access_log_keeps_no_feed_token(client, factory, logged, capfd):
    org = factory.organisation()
    feed = new_feed(client, org)
    secret = feed_secret(feed)

    response = client.get(urlsplit(feed["feed_url"]).path)

    assert response.status_code == 200
    request_lines = [r for r in logged.records if r.name == "clover.request"]
    assert any("/v1/plan-feeds/[redacted]/plan.ics" in r.getMessage() for r in request_lines)
    text = all_text(logged, capfd)
    assert secret not in text


def test_a_refused_token_is_not_logged_either(client, logged, capfd):
    guess = "clvfeed_0123456789ab_" + "guessed-secret-" * 3

    response = client.get(f"/v1/plan-feeds/{guess}/plan.ics")

    assert response.status_code == 404
    assert any("/v1/plan-feeds/[redacted]" in line for line in logged.lines)
    assert "guessed-secret" not in all_text(logged, capfd)


def test_werkzeugs_request_line_keeps_no_feed_token(app, client, factory, logged, capfd):
    org = factory.organisation()
    feed = new_feed(client, org)
    secret = feed_secret(feed)
    server = make_server("127.0.0.1", 0, app)
    serving = threading.Thread(target=server.handle_request)
    serving.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}{urlsplit(feed['feed_url']).path}"
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200
    finally:
        serving.join(timeout=30)
        server.server_close()

    werkzeug_lines = [r.getMessage() for r in logged.records if r.name == "werkzeug"]
    assert any("GET /v1/plan-feeds/[redacted]/plan.ics" in line for line in werkzeug_lines)
    assert secret not in all_text(logged, capfd)


def test_a_token_outside_the_feeds_path_is_redacted_too():
    line = "GET /v1/plan%2Dfeeds/clvfeed_0123456789ab_s3cr-et_x/plan.ics?t=clvfeed_ab_cd HTTP/1.1"

    assert redact(line) == "GET /v1/plan%2Dfeeds/[redacted]/plan.ics?t=[redacted] HTTP/1.1"

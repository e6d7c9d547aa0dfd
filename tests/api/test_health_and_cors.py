import io
import json
import logging

from api import create_app
from api.config import Settings
from api.logs import JsonFormatter


def test_healthz_needs_no_token(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_cors_allows_only_configured_origins(database_url):
    app = create_app(
        Settings.build(
            database_url=database_url,
            cors_origins="https://app.example.test",
            environment="test",
        )
    )
    client = app.test_client()

    allowed = client.get("/healthz", headers={"Origin": "https://app.example.test"})
    refused = client.get("/healthz", headers={"Origin": "https://evil.example.test"})

    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example.test"
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_each_request_logs_one_json_line_with_id_organisation_and_latency(client, factory):
    org = factory.organisation()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("clover.request")
    logger.addHandler(handler)
    try:
        client.get(org.url(), headers={**org.headers, "X-Request-ID": "log-me"})
    finally:
        logger.removeHandler(handler)

    [line] = [json.loads(raw) for raw in stream.getvalue().splitlines()]
    assert line["request_id"] == "log-me"
    assert line["organisation_id"] == str(org.id)
    assert line["status"] == 200
    assert line["latency_ms"] >= 0

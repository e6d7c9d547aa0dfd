"""The contract: every operation is named, summarised, tagged and documents its errors."""

import json
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from api.cli import build_spec

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def spec():
    return json.loads(build_spec())


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_the_document_is_valid_openapi_3_1(spec):
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_the_committed_document_matches_the_code():
    committed = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
    assert committed.read_text() == build_spec(), "run `make spec` and commit openapi/openapi.json"


def test_every_operation_has_id_summary_tag_and_errors(spec):
    seen_ids = set()
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        assert operation.get("operationId"), where
        assert operation["operationId"] not in seen_ids, where
        seen_ids.add(operation["operationId"])
        assert operation.get("summary"), where
        assert operation.get("tags"), where
        errors = [s for s in operation["responses"] if s.startswith(("4", "5")) or s == "default"]
        assert errors, where


def test_error_responses_are_problem_documents(spec):
    responses = spec["components"]["responses"]
    for name in ("NOT_FOUND", "UNPROCESSABLE_ENTITY", "UNAUTHORIZED", "DEFAULT_ERROR"):
        content = responses[name]["content"]
        assert list(content) == ["application/problem+json"]
        assert content["application/problem+json"]["schema"]["$ref"].endswith("/Problem")


def test_authenticated_operations_document_401_and_public_ones_need_no_token(spec):
    for path, method, operation in operations(spec):
        if operation.get("security") == []:
            # The calendar feed's credential is the token in its path (OpenAPI has no
            # scheme for that): calendar apps cannot send a header.
            public = ("/healthz", "/readyz", "/v1/signup", "/v1/plan-feeds/{token}/plan.ics")
            assert path in public, path
        else:
            assert "401" in operation["responses"], f"{method} {path}"


def test_the_app_serves_the_same_document(client, spec):
    served = client.get("/openapi.json").get_json()

    assert served["paths"].keys() == spec["paths"].keys()


def test_every_operation_documents_the_errors_its_inputs_can_cause(spec):
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        responses = operation["responses"]
        body = operation.get("requestBody", {}).get("content", {})
        if body:
            for status in ("400", "413", "422"):
                assert status in responses, f"{where} takes a body but lacks {status}"
        if "application/json" in body:
            assert "415" in responses, f"{where} takes JSON but lacks 415"
        if any(p["in"] == "query" for p in operation.get("parameters", [])):
            assert "422" in responses, f"{where} takes query parameters but lacks 422"
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            assert "404" in responses, f"{where} takes path ids but lacks 404"
        if method in ("post", "put", "patch", "delete") and path != "/v1/signup":
            assert "409" in responses, f"{where} writes but lacks 409"
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        if "If-Match" in headers:
            assert "412" in responses, where
        if "Idempotency-Key" in headers:
            assert {"409", "422"} <= responses.keys(), where


def test_every_response_with_a_body_documents_its_content_type(spec):
    for path, method, operation in operations(spec):
        for status, response in operation["responses"].items():
            if ref := response.get("$ref"):
                response = spec["components"]["responses"][ref.rsplit("/", 1)[-1]]
            if status.startswith(("4", "5")):
                assert response.get("content"), f"{method} {path} {status}"
            for media_type, content in response.get("content", {}).items():
                assert content.get("schema"), f"{method} {path} {status} {media_type}"


def test_the_metric_key_in_a_path_is_documented_as_definitions_spell_it(spec):
    path = spec["paths"]["/v1/organisations/{organisation_id}/metric-definitions/{metric_key}"]
    (parameter,) = [p for p in path["parameters"] if p["name"] == "metric_key"]

    assert parameter["schema"]["pattern"] == "^[a-z][a-z0-9_]{1,63}$"

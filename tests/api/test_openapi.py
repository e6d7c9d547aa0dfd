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
            assert path in ("/healthz", "/readyz", "/v1/signup"), path
        else:
            assert "401" in operation["responses"], f"{method} {path}"


def test_the_app_serves_the_same_document(client, spec):
    served = client.get("/openapi.json").get_json()

    assert served["paths"].keys() == spec["paths"].keys()

"""The contract check: breaking changes against the released document are caught.

Each test changes a copy of the released document the way a code change would and
asks `api.spec_diff` (and `clover spec --check`) what a client of the release sees.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from api import cli
from api.spec_diff import allowed, breaking_changes

ROOT = Path(__file__).resolve().parents[1]
CAMPAIGNS = "/v1/organisations/{organisation_id}/campaigns"
CAMPAIGN = CAMPAIGNS + "/{campaign_id}"


@pytest.fixture(scope="module")
def released() -> dict:
    return json.loads((ROOT / "openapi" / "released.json").read_text())


@pytest.fixture
def current(released) -> dict:
    return copy.deepcopy(released)


def schemas(document: dict) -> dict:
    return document["components"]["schemas"]


def found(released: dict, current: dict) -> list[str]:
    return [str(change) for change in breaking_changes(released, current)]


def test_the_code_has_no_breaking_change_against_the_released_document(released):
    assert found(released, json.loads(cli.build_spec())) == []


def test_a_removed_operation_is_breaking(released, current):
    del current["paths"][CAMPAIGN]["delete"]
    assert found(released, current) == [f"DELETE {CAMPAIGN}: operation removed (campaigns_delete)"]


def test_a_removed_response_field_is_breaking_wherever_it_is_returned(released, current):
    del schemas(current)["Campaign"]["properties"]["utm_campaign"]
    changes = found(released, current)
    assert f"GET {CAMPAIGN} 200.utm_campaign: field removed" in changes
    assert f"GET {CAMPAIGNS} 200.items[].utm_campaign: field removed" in changes
    assert all("utm_campaign: field removed" in change for change in changes)


def test_a_response_field_no_longer_always_present_is_breaking(released, current):
    schemas(current)["Campaign"]["required"].remove("status")
    assert f"GET {CAMPAIGN} 200.status: no longer always present" in found(released, current)


def test_a_new_required_input_is_breaking(released, current):
    campaign = schemas(current)["CampaignInput"]
    campaign["required"].append("description")
    campaign["properties"]["team"] = {"type": "string"}
    campaign["required"].append("team")
    assert found(released, current) == [
        f"POST {CAMPAIGNS} body.description: now required",
        f"POST {CAMPAIGNS} body.team: new required field",
    ]


def test_a_new_required_query_parameter_is_breaking(released, current):
    current["paths"][CAMPAIGNS]["get"]["parameters"].append(
        {"name": "team", "in": "query", "required": True, "schema": {"type": "string"}}
    )
    assert found(released, current) == [
        f"GET {CAMPAIGNS} query parameter team: new required parameter"
    ]


def test_narrowed_input_types_and_enums_are_breaking(released, current):
    amount = schemas(current)["CampaignInput"]["properties"]["budget_amount"]
    amount["type"] = ["string", "null"]  # numbers no longer accepted
    kind = schemas(current)["ChannelInput"]["properties"]["kind"]
    kind["enum"] = [value for value in kind["enum"] if value != "linkedin"]
    changes = found(released, current)
    assert f"POST {CAMPAIGNS} body.budget_amount: no longer accepts integer, number" in changes
    assert any(c.endswith("body.kind: no longer accepts linkedin") for c in changes), changes


def test_a_response_that_may_now_be_null_or_hold_a_new_value_is_breaking(released, current):
    schemas(current)["Campaign"]["properties"]["name"]["type"] = ["string", "null"]
    kind = schemas(current)["Channel"]["properties"]["kind"]
    kind["enum"] = [*kind["enum"], "carrier-pigeon"]
    changes = found(released, current)
    assert f"GET {CAMPAIGN} 200.name: may now be null" in changes
    assert any(c.endswith("200.kind: new values carrier-pigeon") for c in changes), changes


def test_additive_changes_are_not_breaking(released, current):
    schemas(current)["Campaign"]["properties"]["colour"] = {"type": "string"}
    schemas(current)["Campaign"]["required"].append("colour")
    schemas(current)["CampaignInput"]["properties"]["colour"] = {"type": "string"}
    current["paths"][CAMPAIGNS]["get"]["parameters"].append(
        {"name": "colour", "in": "query", "required": False, "schema": {"type": "string"}}
    )
    current["paths"]["/v1/colours"] = copy.deepcopy(current["paths"][CAMPAIGNS])
    schemas(current)["ChannelInput"]["properties"]["kind"]["enum"].append("carrier-pigeon")
    assert found(released, current) == []


def test_only_a_new_major_version_allows_breaking_changes(released, current):
    current["info"]["version"] = "1.7.0"
    assert not allowed(released, current)
    current["info"]["version"] = "2.0.0"
    assert allowed(released, current)


def _check(tmp_path: Path, released: dict) -> tuple[int, str]:
    """`clover spec --check` of the code's document, with ``released`` as the release."""
    spec, baseline = tmp_path / "openapi.json", tmp_path / "released.json"
    spec.write_text(cli.build_spec())
    baseline.write_text(json.dumps(released))
    result = CliRunner().invoke(
        cli.main, ["spec", "--check", "--output", str(spec), "--released", str(baseline)]
    )
    return result.exit_code, result.output


def test_the_spec_check_fails_on_a_breaking_change_unless_the_major_version_grew(
    tmp_path, released
):
    older = copy.deepcopy(released)  # a release that had one more operation
    older["paths"]["/v1/retired"] = copy.deepcopy(released["paths"][CAMPAIGNS])
    for operation in older["paths"]["/v1/retired"].values():
        if isinstance(operation, dict):  # not the path's parameters
            operation["operationId"] = f"retired_{operation['operationId']}"

    code, output = _check(tmp_path, older)
    assert code == 1, output
    assert "GET /v1/retired: operation removed (retired_campaigns_list)" in output

    older["info"]["version"] = "0.9.0"  # the code's 1.0.0 is a new major version
    code, output = _check(tmp_path, older)
    assert code == 0, output
    assert "operation removed" in output and "Allowed: the major version grew to 1" in output

    code, output = _check(tmp_path, released)
    assert code == 0 and "No breaking change" in output, output


def test_a_field_removed_from_the_error_bodies_is_breaking(released, current):
    del schemas(current)["Problem"]["properties"]["request_id"]
    changes = found(released, current)
    assert f"GET {CAMPAIGN} 404.request_id: field removed" in changes
    assert f"PATCH {CAMPAIGN} 422.request_id: field removed" in changes
    assert all("request_id: field removed" in change for change in changes)


def test_an_error_status_no_longer_documented_is_not_breaking(released, current):
    del current["paths"][CAMPAIGN]["get"]["responses"]["404"]
    assert found(released, current) == []

"""The generated Python client's models type what a response always carries as present.

The document marks every response field as required unless a schema declares it
sometimes absent (``api.spec_shape``), so openapi-python-client types those
attributes as plain values, not ``X | Unset``; input models keep their optional
fields optional.
"""

from __future__ import annotations

import importlib
import json

import pytest

from sdk import generate


@pytest.fixture(scope="module")
def models(sdk):
    return importlib.import_module(f"{sdk.__name__}.models")


def _annotations(models, component: str) -> dict[str, str] | None:
    model = getattr(models, component, None)
    return None if model is None else dict(model.__annotations__)


def _attribute(annotations: dict[str, str], name: str) -> str:
    # The generator appends "_" to names Python reserves (e.g. `from`).
    return annotations.get(name) or annotations[f"{name}_"]


def test_a_campaign_read_carries_its_fields_and_its_input_keeps_them_optional(models):
    campaign = _annotations(models, "Campaign")
    for name in ("id", "name", "status", "version", "created_at", "channel_ids"):
        assert "Unset" not in campaign[name], (name, campaign[name])
    assert campaign["budget_amount"] == "float | None | str"  # nullable, yet always there
    assert "id" not in _annotations(models, "CampaignInput")  # read-only: not an input
    campaign_input = _annotations(models, "CampaignInput")
    assert "Unset" not in campaign_input["name"]  # required to create one
    assert "Unset" in campaign_input["description"]
    problem = _annotations(models, "Problem")
    assert "Unset" not in problem["status"] and "Unset" in problem["detail"]


def test_no_required_response_field_is_typed_as_maybe_unset(models):
    document = json.loads(generate.SPEC.read_text())
    checked = 0
    for component, schema in document["components"]["schemas"].items():
        annotations = _annotations(models, component)
        if annotations is None or "required" not in schema:
            continue
        for name in schema["required"]:
            assert "Unset" not in _attribute(annotations, name), (component, name)
            checked += 1
    assert checked > 500  # the check reached the whole document, not a few models

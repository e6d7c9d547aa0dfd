"""The contract: schemathesis over every operation, as a generated client would call them.

Seeded and sized by schemathesis.toml. The caller is the owner of a real
organisation, and the path ids name real objects of it, so the operations are
exercised past authorisation and the 404 of an unknown id.
"""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events
from werkzeug.serving import make_server

from api import create_app
from api.config import Settings
from api.db import database_for
from tests.api import builders
from tests.factories import Factory

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.contract


@pytest.fixture(scope="module")
def contract_app(database_url, redis_url, media_dir):
    # Thousands of requests from one key: limits are tested in test_rate_limits.py.
    return create_app(
        Settings.build(
            database_url=database_url,
            redis_url=redis_url,
            environment="test",
            media_dir=str(media_dir),
            rate_limits="off",
            rate_limit_prefix=f"clover-contract-{uuid.uuid4().hex[:12]}:ratelimit",
        )
    )


@pytest.fixture(scope="module")
def contract_server(contract_app):
    """The app behind a real HTTP server: the requests go through the wire as a client's would."""
    server = make_server("127.0.0.1", 0, contract_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def real_objects(client, org) -> dict[str, str]:
    """One object of each kind the paths name, so path ids reach real rows."""
    strategy = builders.strategy(client, org)
    objective = builders.objective(client, org, strategy["id"])
    kpi = builders.kpi(client, org, objective["id"])
    channel = builders.channel(client, org)
    campaign = builders.campaign(client, org, strategy["id"], channel_ids=[channel["id"]])
    item = builders.content_item(client, org, campaign["id"], channel["id"])
    return {
        "organisation_id": str(org.id),
        "strategy_id": strategy["id"],
        "objective_id": objective["id"],
        "kpi_id": kpi["id"],
        "audience_id": builders.audience(client, org)["id"],
        "resource_id": builders.resource(client, org)["id"],
        "channel_id": channel["id"],
        "campaign_id": campaign["id"],
        "item_id": item["id"],
        "media_id": builders.medium(client, org)["id"],
        "feed_id": builders.created(
            client.post(org.url("/plan-feeds"), headers=org.headers, json={"name": "Contract"})
        )["id"],
    }


@pytest.fixture(scope="module")
def api_schema(contract_app, contract_server, settings):
    org = Factory(database_for(settings)).organisation("Contract Co")
    config = SchemathesisConfig.from_path(ROOT / "schemathesis.toml")
    schema = schemathesis.openapi.from_url(f"{contract_server}/openapi.json", config=config)
    schema.config.parameters.update(real_objects(contract_app.test_client(), org))
    schema.config.headers = {**(schema.config.headers or {}), **org.headers}
    return schema


def findings(schema) -> dict[str, list[str]]:
    """Run every phase the config enables; failed checks grouped by check and operation."""
    found: dict[str, list[str]] = defaultdict(list)
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.NonFatalError | events.FatalError):
            label = getattr(event, "label", "")
            found[f"error {label}"].append(str(getattr(event, "value", None) or event.exception))
        recorder = getattr(event, "recorder", None)
        if not isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            continue
        for case_id, checks in recorder.checks.items():
            for check in checks:
                if check.failure_info is None:
                    continue
                failure = check.failure_info.failure
                case = recorder.cases[case_id].value
                key = f"{check.name} {recorder.label}"
                found[key].append(
                    f"{failure.title}: {failure.message[:300]} <- "
                    f"{case.path_parameters} {case.query} {str(case.body)[:200]}"
                )
    return found


# 500s from odd values (dates out of range, NUL bytes, lone surrogates, huge numbers)
# that the value-level input refusals fix on their own; tolerated here only as
# not_a_server_error on these operations. Delete each entry once its fix is in.
LEFT_FOR_VALUE_REFUSALS: set[str] = set()  # 500s of odd values, once waived, now all fixed


def test_every_operation_keeps_its_contract(api_schema):
    found = {k: v for k, v in findings(api_schema).items() if k not in LEFT_FOR_VALUE_REFUSALS}

    report = "\n".join(
        f"{key}\n    " + "\n    ".join(sorted(set(v))[:3]) for key, v in found.items()
    )
    assert not found, report

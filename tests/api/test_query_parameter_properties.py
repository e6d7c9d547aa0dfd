"""Property: no date, month or numeric query parameter of any operation gives a 500.

Every operation of the app's OpenAPI document is read; for each query parameter
typed integer, number, date, date-time or month (a pattern of YYYY-MM), hypothesis
generates odd values (huge and negative numbers, years 0 and 10000, month 13,
offsets that push a time past year 9999) beside ordinary ones, and sends them with
an owner's key to an organisation holding some data. Derandomised, so CI sees the
same examples each run.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api import create_app
from api.config import Settings
from api.db import database_for
from api.domain.bounds import MONTH_PATTERN
from tests.api import builders
from tests.factories import Factory

UNLIMITED = "caller=1000000/60,organisation=1000000/60,auth=1000000/60"


def _spec_operations(spec: dict) -> list[tuple[str, str, list]]:
    operations = []
    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method == "parameters":
                continue
            params = [*shared, *operation.get("parameters", [])]
            query = [p for p in params if p.get("in") == "query"]
            if any(_kind(p["schema"]) for p in query):
                operations.append((method, path, query))
    return operations


def _kind(schema: dict) -> str | None:
    types = schema.get("type")
    types = set(types) if isinstance(types, list) else {types}
    if schema.get("format") in ("date", "date-time"):
        return schema["format"]
    if schema.get("pattern") == MONTH_PATTERN:
        return "month"
    if types & {"integer", "number"}:
        return "number"
    return None


HUGE = "9" * 5000
numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([HUGE, "-" + HUGE, "1e400", "-0", "NaN", "Infinity", "0x10", "", " 1", "1_0"]),
).map(str)
days = st.one_of(
    st.dates(min_value=date(1970, 1, 1), max_value=date(2999, 12, 31)).map(date.isoformat),
    st.dates().map(date.isoformat),
    st.sampled_from(
        ["0000-00-00", "0001-01-01", "9999-12-31", "10000-01-01", "2027-02-30", "2027-13-01"]
    ),
)
offsets = st.sampled_from(["Z", "+00:00", "+14:00", "-12:00", "+23:59", "-23:59", ""])
times = st.one_of(
    st.builds(lambda d, o: f"{d}T00:00:00{o}", days, offsets),
    st.builds(lambda d, o: f"{d}T23:59:59{o}", days, offsets),
    st.sampled_from(
        ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00", "10000-01-01T00:00:00Z"]
    ),
)
months = st.one_of(
    st.from_regex(r"\A\d{4,5}-\d{2}\Z"),
    st.sampled_from(["0000-00", "0000-01", "0001-01", "9999-12", "9999-13", "10000-01", "2999-12"]),
)
STRATEGIES = {"number": numbers, "date": days, "date-time": times, "month": months}


def _fixed(param: dict, data: dict) -> str:
    """A plain value for a required parameter hypothesis does not vary."""
    schema = param["schema"]
    if "enum" in schema:
        return schema["enum"][0]
    if param["name"] in ("metric", "metric_key"):
        return "reach"
    if schema.get("format") == "uuid":
        return data.get(param["name"], str(uuid.uuid4()))
    return "x"


@pytest.fixture(scope="module")
def world(database_url, redis_url):
    settings_ = Settings.build(
        database_url=database_url,
        redis_url=redis_url,
        environment="test",
        rate_limits=UNLIMITED,
        rate_limit_prefix=f"clover-test-{uuid.uuid4().hex[:12]}:ratelimit",
    )
    app = create_app(settings_)
    client = app.test_client()
    org = Factory(database_for(settings_)).organisation()
    strategy = builders.strategy(client, org)
    objective = builders.objective(client, org, strategy["id"])
    kpi = builders.kpi(client, org, objective["id"])
    campaign, channel = builders.running_campaign(client, org)
    item = builders.content_item(client, org, campaign["id"], channel["id"], due_date="2027-03-10")
    client.post(
        org.url("/metric-points/batch"),
        headers=org.headers,
        json={
            "points": [
                {"metric_key": key, "day": f"2027-03-{day:02d}", "value": day, **dims}
                for key in ("reach", "leads")
                for day in (1, 2, 15)
                for dims in ({}, {"campaign_id": campaign["id"], "channel_id": channel["id"]})
            ]
        },
    )
    ids = {
        "organisation_id": str(org.id),
        "strategy_id": strategy["id"],
        "objective_id": objective["id"],
        "kpi_id": kpi["id"],
        "campaign_id": campaign["id"],
        "channel_id": channel["id"],
        "item_id": item["id"],
        "metric_key": "reach",
    }
    return app, client, org, ids


# The committed document is the app's (`make spec-check` keeps them equal); read at
# collection time so that each operation is a test of its own.
SPEC = json.loads((Path(__file__).parents[2] / "openapi" / "openapi.json").read_text())
OPERATIONS = _spec_operations(SPEC)


def test_the_committed_document_is_the_apps(app):
    live = _spec_operations(app.extensions["clover.api"].document())
    assert {(m, p) for m, p, _ in live} == {(m, p) for m, p, _ in OPERATIONS}
    assert any(path.endswith("/plan") for _, path, _ in OPERATIONS)
    assert any(path.endswith("/reports/lift") for _, path, _ in OPERATIONS)


@pytest.mark.parametrize(
    ("method", "path", "query"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_no_query_parameter_value_gives_a_500(world, method, path, query):
    _app, client, org, ids = world
    url = re.sub(r"\{(\w+)\}", lambda m: ids.get(m[1], str(uuid.uuid4())), path)
    varied = {p["name"]: STRATEGIES[_kind(p["schema"])] for p in query if _kind(p["schema"])}
    fixed = {
        p["name"]: _fixed(p, ids) for p in query if p.get("required") and p["name"] not in varied
    }
    required = {p["name"] for p in query if p.get("required")}
    values = st.fixed_dictionaries(
        {name: s for name, s in varied.items() if name in required},
        optional={name: s for name, s in varied.items() if name not in required},
    )

    @settings(
        max_examples=12,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(values)
    def check(generated):
        query_string = urlencode({**fixed, **generated})
        response = client.open(f"{url}?{query_string}", method=method.upper(), headers=org.headers)
        assert response.status_code < 500, (query_string[:300], response.get_data(as_text=True))

    check()

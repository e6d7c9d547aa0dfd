"""Input no field can hold is refused with a 4xx problem document, and nothing is written.

NUL characters and unpaired surrogates in text (bodies, query strings, paths),
date-times whose offset pushes them out of range, over-long numbers (in a body and
in If-Match), JSON nested 1,000 deep (in a body and in an import's mapping).
"""

from __future__ import annotations

import base64
import io
import json

import pytest

from tests.api import builders
from tests.api.test_bad_input import assert_problem
from tests.factories import unique_email

NUL = "a\x00b"
SURROGATE = "a\ud8bfb"
LATE = "9999-12-31T23:59:59-01:00"
EARLY = "0001-01-01T00:00:00+01:00"
DEEP = "[" * 1000 + "]" * 1000
HUGE = "9" * 5000


def count(client, org, path: str) -> int:
    response = client.get(org.url(path), headers=org.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return len(response.get_json()["items"])


def raw_json(client, org, method: str, path: str, text: str, headers=None):
    return client.open(
        org.url(path),
        method=method,
        headers={**org.headers, "Content-Type": "application/json", **(headers or {})},
        data=text,
    )


HOOK = {"url": "https://93.184.215.14/h", "events": ["strategy.activated"]}
PARTNERS = {"name": "A", "kind": "partners"}
TEXT_CASES = [
    ("/channels", {"kind": "linkedin", "name": "Page", "handle": "{bad}"}, "handle"),
    ("/audiences", {**PARTNERS, "name": "{bad}"}, "name"),
    ("/audiences", {**PARTNERS, "characteristics": ["ok", "{bad}"]}, "characteristics"),
    ("/audiences", {**PARTNERS, "channel_preferences": {"{bad}": 0.5}}, "channel_preferences"),
    (
        "/resources",
        {"name": "T", "kind": "team", "role": "{bad}", "weekly_capacity_hours": 8},
        "role",
    ),
    ("/webhook-endpoints", {**HOOK, "description": "{bad}"}, "description"),
    ("/api-keys", {"name": "{bad}"}, "name"),
]


def _filled(body, bad: str):
    text = json.dumps(body).replace("{bad}", json.dumps(bad)[1:-1])
    return text


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
@pytest.mark.parametrize(("path", "body", "field"), TEXT_CASES, ids=lambda c: str(c)[:30])
def test_text_a_database_cannot_hold_is_422_naming_the_field(
    client, factory, bad, path, body, field
):
    org = factory.organisation()
    before = count(client, org, path)

    response = raw_json(client, org, "POST", path, _filled(body, bad))

    assert field in assert_problem(response, 422)["errors"]
    assert count(client, org, path) == before


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
def test_signup_name_with_unusable_text_is_422_and_creates_no_account(client, bad):
    email = unique_email("refused")
    body = {"email": email, "name": "Sam", "password": "correct horse battery"}
    text = _filled({**body, "name": "{bad}", "organisation_name": "Roasters"}, bad)

    response = client.post("/v1/signup", data=text, content_type="application/json")

    assert "name" in assert_problem(response, 422)["errors"]
    again = client.post("/v1/signup", json={**body, "organisation_name": "Roasters"})
    assert again.status_code == 201, again.get_data(as_text=True)  # the email was not taken


@pytest.mark.parametrize("segment", ["leads%00x", "leads%ED%A2%BFx"], ids=["nul", "surrogate"])
def test_unusable_text_in_a_path_segment_is_404(client, factory, segment):
    org = factory.organisation()

    assert_problem(client.get(org.url(f"/metric-definitions/{segment}"), headers=org.headers), 404)


def test_a_nul_in_an_idempotency_key_is_422_and_creates_nothing(client, factory):
    org = factory.organisation()

    response = client.post(
        org.url("/audiences"),
        headers={**org.headers, "Idempotency-Key": NUL},
        json={"name": "A", "kind": "partners"},
    )

    assert "Idempotency-Key" in assert_problem(response, 422)["errors"]
    assert count(client, org, "/audiences") == 0


def test_a_nul_in_an_uploaded_file_name_is_422_and_starts_no_import(client, factory):
    org = factory.organisation()
    mapping = {"day": "day", "value": "value", "metric_key": "reach"}

    response = client.post(
        org.url("/imports"),
        headers=org.headers,
        data={
            "file": (io.BytesIO(b"day,value\n2027-01-01,3\n"), "sales\x00.csv"),
            "mapping": json.dumps(mapping),
        },
        content_type="multipart/form-data",
    )

    assert "file" in assert_problem(response, 422)["errors"]
    assert count(client, org, "/jobs") == 0


def test_a_nul_in_a_query_parameter_is_422_naming_it(client, factory):
    org = factory.organisation()

    response = client.get(org.url("/content-items?status=draft%00ing"), headers=org.headers)

    assert "status" in assert_problem(response, 422)["errors"]


@pytest.mark.parametrize("query", ["since={v}", "until={v}"])
@pytest.mark.parametrize("value", [LATE, EARLY, NUL])
def test_audit_filters_out_of_range_are_422(client, factory, query, value):
    org = factory.organisation()
    from urllib.parse import quote

    response = client.get(
        org.url("/audit-events?" + query.format(v=quote(value))), headers=org.headers
    )

    assert_problem(response, 422)


@pytest.mark.parametrize("field", ["posted_from", "posted_to"])
@pytest.mark.parametrize("value", [LATE, EARLY])
def test_mention_filters_out_of_range_are_422(client, factory, field, value):
    org = factory.organisation()
    from urllib.parse import quote

    response = client.get(org.url(f"/mentions?{field}={quote(value)}"), headers=org.headers)

    assert field in assert_problem(response, 422)["errors"]


@pytest.mark.parametrize("value", [LATE, EARLY, "1969-12-31T23:59:59Z", "3000-01-01T00:00:00Z"])
def test_mentions_posted_out_of_range_are_422_and_not_stored(client, factory, value):
    org = factory.organisation()
    channel = builders.channel(client, org)
    body = {"channel_id": channel["id"], "text": "Acme!", "posted_at": value}

    response = client.post(org.url("/mentions"), headers=org.headers, json=body)

    assert "posted_at" in assert_problem(response, 422)["errors"]
    assert count(client, org, "/mentions") == 0


@pytest.mark.parametrize("value", [LATE, EARLY])
def test_content_items_scheduled_out_of_range_are_422(client, factory, value):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    body = {"channel_id": channel["id"], "title": "Post", "scheduled_at": value}

    response = client.post(
        org.url(f"/campaigns/{campaign['id']}/content-items"), headers=org.headers, json=body
    )

    assert "scheduled_at" in assert_problem(response, 422)["errors"]
    assert count(client, org, "/content-items") == 0


@pytest.mark.parametrize("value", [LATE, EARLY])
def test_api_key_expiry_out_of_range_is_422(client, factory, value):
    org = factory.organisation()
    before = count(client, org, "/api-keys")

    response = client.post(
        org.url("/api-keys"), headers=org.headers, json={"name": "CI", "expires_at": value}
    )

    assert "expires_at" in assert_problem(response, 422)["errors"]
    assert count(client, org, "/api-keys") == before


def test_a_huge_integer_in_a_body_is_422_naming_the_field(client, factory):
    org = factory.organisation()

    response = raw_json(
        client,
        org,
        "POST",
        "/audiences",
        f'{{"name": "A", "kind": "partners", "size_estimate": {HUGE}}}',
    )

    assert "size_estimate" in assert_problem(response, 422)["errors"]
    assert count(client, org, "/audiences") == 0


def test_a_huge_float_for_an_integer_field_is_422(client, factory):
    org = factory.organisation()

    response = raw_json(
        client,
        org,
        "POST",
        "/audiences",
        f'{{"name": "A", "kind": "partners", "size_estimate": {HUGE}.0}}',
    )

    assert "size_estimate" in assert_problem(response, 422)["errors"]


def test_a_huge_integer_in_if_match_is_412_and_changes_nothing(client, factory):
    org = factory.organisation()
    audience = builders.audience(client, org)
    url = org.url(f"/audiences/{audience['id']}")

    response = client.patch(
        url, headers={**org.headers, "If-Match": f'"{HUGE}"'}, json={"name": "Renamed"}
    )

    assert_problem(response, 412)
    assert client.get(url, headers=org.headers).get_json()["name"] == audience["name"]


@pytest.mark.parametrize("depth", [33, 1000])
def test_json_nested_too_deep_is_422_and_writes_nothing(client, factory, depth):
    org = factory.organisation()
    deep = "[" * (depth - 1) + "]" * (depth - 1)  # inside the body's own object

    response = raw_json(
        client,
        org,
        "POST",
        "/audiences",
        f'{{"name": "A", "kind": "partners", "characteristics": {deep}}}',
    )

    assert "nested deeper" in assert_problem(response, 422)["errors"]["json"][0]
    assert count(client, org, "/audiences") == 0


def test_an_import_mapping_nested_1000_deep_is_422_naming_mapping(client, factory):
    org = factory.organisation()

    response = client.post(
        org.url("/imports"),
        headers=org.headers,
        data={"file": (io.BytesIO(b"day,value\n2027-01-01,3\n"), "s.csv"), "mapping": DEEP},
        content_type="multipart/form-data",
    )

    assert "mapping" in assert_problem(response, 422)["errors"]
    assert count(client, org, "/jobs") == 0


def test_a_size_estimate_beyond_32_bits_is_kept(client, factory):
    org = factory.organisation()

    made = builders.audience(client, org, size_estimate=5_000_000_000)

    read = client.get(org.url(f"/audiences/{made['id']}"), headers=org.headers).get_json()
    assert read["size_estimate"] == 5_000_000_000


def test_a_size_estimate_beyond_its_documented_maximum_is_422(client, factory):
    org = factory.organisation()

    response = client.post(
        org.url("/audiences"),
        headers=org.headers,
        json={"name": "A", "kind": "partners", "size_estimate": 2**62},
    )

    assert "size_estimate" in assert_problem(response, 422)["errors"]


def _basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode()


def assert_oauth_error(response) -> None:
    assert response.status_code in (400, 401), response.get_data(as_text=True)
    assert response.get_json()["error"] in ("invalid_client", "invalid_request")


def test_token_request_with_a_nul_in_client_id_is_an_oauth_error(client):
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": NUL, "client_secret": "x"},
    )

    assert_oauth_error(response)


# A NUL, and the UTF-8 bytes of a lone surrogate (not valid UTF-8).
@pytest.mark.parametrize("raw", [b"a\x00b:x", b"a\xed\xa2\xbfb:x"], ids=["nul", "surrogate"])
def test_token_request_with_unusable_basic_credentials_is_an_oauth_error(client, raw):
    response = client.post(
        "/oauth/token",
        headers={"Authorization": _basic(raw)},
        data={"grant_type": "client_credentials"},
    )

    assert_oauth_error(response)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_resource_schema_derives_from_the_refusing_base(app):
    import marshmallow as ma

    from api.http.schema import Schema

    offenders = {
        f"{cls.__module__}.{cls.__name__}"
        for cls in _subclasses(ma.Schema)
        if cls.__module__.startswith(("api.resources", "api.http")) and not issubclass(cls, Schema)
    }

    assert not offenders, "derive these from api.http.schema.Schema"


@pytest.mark.parametrize("amount", [1e12, 999_999_999_999.999])
def test_a_budget_its_column_cannot_hold_is_422_and_creates_no_campaign(client, factory, amount):
    org = factory.organisation()
    strategy = builders.strategy(client, org)
    body = {
        "strategy_id": strategy["id"],
        "name": "Big",
        "start_date": "2027-03-01",
        "end_date": "2027-03-31",
        "budget_amount": amount,
    }

    response = client.post(org.url("/campaigns"), headers=org.headers, json=body)

    assert "budget_amount" in assert_problem(response, 422)["errors"]
    assert count(client, org, "/campaigns") == 0


def test_the_largest_budget_its_column_holds_is_kept(client, factory):
    org = factory.organisation()
    strategy = builders.strategy(client, org)

    made = builders.campaign(client, org, strategy["id"], budget_amount=999_999_999_999.99)

    assert made["budget_amount"] == "999999999999.99"


def test_a_login_with_a_nul_in_the_email_is_refused_on_the_login_page(client, factory):
    from tests.api.test_oauth_errors import REDIRECT_URI, authorize_url, log_in

    org = factory.organisation()
    client_id, _ = factory.oauth_client(
        org, redirect_uris=[REDIRECT_URI], scopes=["strategies:read"]
    )

    response = log_in(client, authorize_url(client_id), "eve\x00@example.com")

    assert response.status_code == 200
    assert "not right" in response.get_data(as_text=True)


def test_an_authorization_request_with_a_nul_in_client_id_is_refused(client):
    from tests.api.test_oauth_errors import authorize_url

    assert client.get(authorize_url("abc\x00def")).status_code == 400


def test_the_spec_shows_the_accepted_ranges(client):
    spec = client.get("/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    period_start = schemas["Strategy"]["properties"]["period_start"]
    expires_at = schemas["ApiKeyCreate"]["properties"]["expires_at"]
    plan = spec["paths"]["/v1/organisations/{organisation_id}/plan"]["get"]["parameters"]
    [start] = [p for p in plan if p["name"] == "start"]

    assert "1970-01-01 to 2999-12-31" in period_start["description"]
    assert period_start["pattern"].startswith("^(1969|19[7-9]\\d|2\\d{3})")
    assert "in UTC after applying any offset" in expires_at["description"]
    assert start["schema"]["pattern"] == "^(1969|19[7-9]\\d|2\\d{3})-(0[1-9]|1[0-2])$"

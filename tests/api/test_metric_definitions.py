"""An organisation's own metric keys beside the built-in catalogue."""

import uuid

from sqlalchemy import update

from api.domain.access import system_tenant
from api.domain.kpis.models import Kpi
from tests.api import builders
from tests.factories import bearer

NPS = {"key": "nps_score", "name": "Net promoter score", "unit": "score", "kind": "ratio"}


def define(client, org, headers=None, **fields):
    return client.post(
        org.url("/metric-definitions"), headers=headers or org.headers, json={**NPS, **fields}
    )


def read(client, org, key):
    return client.get(org.url(f"/metric-definitions/{key}"), headers=org.headers)


def ingest(client, org, points):
    return client.post(
        org.url("/metric-points/batch"), headers=org.headers, json={"points": points}
    )


def test_a_defined_key_is_listed_after_the_built_in_ones_and_can_be_read(client, factory):
    org = factory.organisation()

    created = define(client, org, funnel_stage="advocacy")

    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.headers["Location"].endswith(org.url("/metric-definitions/nps_score"))
    assert created.get_json() == {
        "key": "nps_score",
        "name": "Net promoter score",
        "unit": "score",
        "kind": "ratio",
        "funnel_stage": "advocacy",
        "description": "",
        "built_in": False,
        "behaviour": None,  # a ratio is averaged: neither a flow nor a level
        "part_of": None,
    }
    items = client.get(org.url("/metric-definitions"), headers=org.headers).get_json()["items"]
    assert items[-1]["key"] == "nps_score" and items[-1]["built_in"] is False
    assert {"impressions", "leads", "revenue"} <= {i["key"] for i in items if i["built_in"]}
    assert read(client, org, "nps_score").get_json() == created.get_json()
    built_in = read(client, org, "leads").get_json()
    assert (built_in["key"], built_in["built_in"]) == ("leads", True)


def test_points_of_a_key_are_accepted_only_once_it_is_defined(client, factory):
    org = factory.organisation()
    points = [{"metric_key": "nps_score", "day": "2027-01-04", "value": 41}]

    before = ingest(client, org, points).get_json()
    define(client, org)
    after = ingest(client, org, points).get_json()

    assert [r["index"] for r in before["rejected"]] == [0] and before["inserted"] == 0
    assert after == {"inserted": 1, "updated": 0, "rejected": []}


def test_a_key_is_defined_for_one_organisation_only(client, factory):
    org, other = factory.organisation("Mine"), factory.organisation("Theirs")
    define(client, other)

    assert read(client, org, "nps_score").status_code == 404
    result = ingest(client, org, [{"metric_key": "nps_score", "day": "2027-01-04", "value": 1}])
    assert result.get_json()["rejected"][0]["index"] == 0
    assert define(client, org).status_code == 201  # the same key is free here


def test_a_built_in_key_or_a_defined_one_cannot_be_defined_again(client, factory):
    org = factory.organisation()
    define(client, org)

    built_in = define(client, org, key="impressions")
    again = define(client, org, name="Another name")

    assert built_in.status_code == 409
    assert again.status_code == 409
    assert read(client, org, "nps_score").get_json()["name"] == NPS["name"]


def test_keys_must_be_lowercase_words(client, factory):
    org = factory.organisation()

    for key in ("NPS", "1st_metric", "a", "with-dash", "x" * 65, "spaced key"):
        response = define(client, org, key=key)
        assert response.status_code == 422, key
        assert "key" in response.get_json()["errors"]
    assert define(client, org, key="a1").status_code == 201


def test_unknown_fields_and_kinds_are_refused(client, factory):
    org = factory.organisation()

    assert "built_in" in define(client, org, built_in=True).get_json()["errors"]
    assert "kind" in define(client, org, kind="percent").get_json()["errors"]


def test_an_unused_key_is_deleted(client, factory):
    org = factory.organisation()
    define(client, org)

    deleted = client.delete(org.url("/metric-definitions/nps_score"), headers=org.headers)

    assert deleted.status_code == 204
    assert read(client, org, "nps_score").status_code == 404


def test_a_key_with_metric_points_is_kept(client, factory):
    org = factory.organisation()
    define(client, org)
    ingest(client, org, [{"metric_key": "nps_score", "day": "2027-01-04", "value": 40}])

    response = client.delete(org.url("/metric-definitions/nps_score"), headers=org.headers)

    assert response.status_code == 409
    assert "metric points" in response.get_json()["detail"]
    assert read(client, org, "nps_score").status_code == 200


def test_a_key_a_kpi_measures_is_kept(client, factory):
    org = factory.organisation()
    define(client, org)
    objective = builders.objective(client, org, builders.strategy(client, org)["id"])
    kpi = builders.kpi(client, org, objective["id"])
    # KPIs are created on built-in keys for now; point this one at the defined key.
    with factory.uow() as uow:
        uow.open_for(system_tenant(org.id))
        measured = update(Kpi).where(Kpi.id == uuid.UUID(kpi["id"]))
        uow.session.execute(measured.values(metric_key="nps_score"))
        uow.commit()

    response = client.delete(org.url("/metric-definitions/nps_score"), headers=org.headers)

    assert response.status_code == 409
    assert "KPIs" in response.get_json()["detail"]


def test_another_organisations_points_do_not_keep_a_key(client, factory):
    org, other = factory.organisation("Mine"), factory.organisation("Theirs")
    for each in (org, other):
        define(client, each)
    ingest(client, other, [{"metric_key": "nps_score", "day": "2027-01-04", "value": 40}])

    response = client.delete(org.url("/metric-definitions/nps_score"), headers=org.headers)

    assert response.status_code == 204, response.get_data(as_text=True)


def test_built_in_keys_cannot_be_deleted_and_unknown_ones_are_404(client, factory):
    org = factory.organisation()

    built_in = client.delete(org.url("/metric-definitions/leads"), headers=org.headers)
    unknown = client.delete(org.url("/metric-definitions/never_defined"), headers=org.headers)

    assert built_in.status_code == 409
    assert unknown.status_code == 404


def test_an_analyst_reads_definitions_but_cannot_define_or_delete(client, factory):
    org = factory.organisation()
    define(client, org)
    analyst = bearer(factory.member(org, "analyst"))

    assert define(client, org, headers=analyst, key="other_key").status_code == 403
    deleted = client.delete(org.url("/metric-definitions/nps_score"), headers=analyst)
    assert deleted.status_code == 403
    listed = client.get(org.url("/metric-definitions"), headers=analyst)
    assert listed.status_code == 200
    assert "other_key" not in {i["key"] for i in listed.get_json()["items"]}


COUNT = {"key": "demo_requests", "name": "Demo requests", "unit": "requests", "kind": "count"}


def test_a_count_is_a_flow_unless_it_says_it_is_a_level(client, factory):
    org = factory.organisation()

    flow = define(client, org, **COUNT)
    level = define(client, org, **{**COUNT, "key": "subscribers", "behaviour": "level"})

    assert (flow.get_json()["behaviour"], flow.get_json()["part_of"]) == ("flow", None)
    assert level.get_json()["behaviour"] == "level"
    assert read(client, org, "subscribers").get_json()["behaviour"] == "level"


def test_a_part_names_a_defined_parent_of_its_kind_and_behaviour(client, factory):
    org = factory.organisation()
    define(client, org, **{**COUNT, "key": "subscribers", "behaviour": "level"})

    built_in_parent = define(client, org, **{**COUNT, "part_of": "leads"})
    own_parent = define(
        client,
        org,
        **{**COUNT, "key": "paid_subscribers", "behaviour": "level"},
        part_of="subscribers",
    )

    assert built_in_parent.status_code == 201, built_in_parent.get_data(as_text=True)
    assert built_in_parent.get_json()["part_of"] == "leads"
    assert own_parent.status_code == 201
    assert own_parent.get_json()["part_of"] == "subscribers"


def test_a_part_that_does_not_fit_its_parent_is_refused(client, factory):
    org = factory.organisation()
    theirs = factory.organisation("Theirs")
    define(client, theirs, **{**COUNT, "key": "their_leads"})

    cases = {
        "unknown": {**COUNT, "part_of": "never_defined"},
        "another organisation's": {**COUNT, "part_of": "their_leads"},
        "itself": {**COUNT, "part_of": "demo_requests"},
        "a level of a flow": {**COUNT, "behaviour": "level", "part_of": "leads"},
        "a flow of a level": {**COUNT, "part_of": "followers"},
        "a currency of a count": {**COUNT, "kind": "currency", "part_of": "leads"},
        "a ratio": {**NPS, "part_of": "leads"},
    }
    for case, fields in cases.items():
        response = define(client, org, **fields)
        assert response.status_code == 422, case
        assert "part_of" in response.get_json()["errors"], case
    assert read(client, org, "demo_requests").status_code == 404  # nothing half-written


def test_a_ratio_has_no_behaviour(client, factory):
    org = factory.organisation()

    response = define(client, org, behaviour="level")

    assert response.status_code == 422
    assert "behaviour" in response.get_json()["errors"]
    assert define(client, org, behaviour="rising").status_code == 422


def test_a_key_other_keys_are_parts_of_is_kept(client, factory):
    org = factory.organisation()
    define(client, org, **COUNT)
    define(client, org, **{**COUNT, "key": "demo_bookings"}, part_of="demo_requests")

    response = client.delete(org.url("/metric-definitions/demo_requests"), headers=org.headers)

    assert response.status_code == 409
    assert "parts of it" in response.get_json()["detail"]

"""The generated Python client drives the whole API flow against a live server.

`make sdk`'s generator (sdk/generate.py) builds the client from the committed spec into
build/sdk/python, or reuses it when its stamp (the spec's hash) is current. The session
app (real PostgreSQL and Redis) is served on loopback; jobs go to Redis, so the rollup
is run by a real `clover worker --burst` process, as in tests/workers. Every call goes
through the generated client: sign up, strategy, objective, KPI, audience, resource,
channel, campaign with content items, metric points, rollup, KPI values, scorecard,
ROI and lift reports, and a typed problem document.
"""

from __future__ import annotations

import datetime
import uuid

from rq import Queue

from api.redis import redis_connection
from tests.e2e.live_server import serving
from tests.factories import unique_email
from tests.workers.conftest import run_worker


def ok(response, status: int = 200):
    assert response.status_code == status, response.content.decode()[:2000]
    return response.parsed


def test_the_whole_flow_through_the_generated_client(sdk, app, database_url, redis_url):
    from clover_client import AuthenticatedClient, Client
    from clover_client.api.audiences import audiences_create
    from clover_client.api.campaigns import campaigns_create, campaigns_get
    from clover_client.api.channels import channels_create
    from clover_client.api.content_items import content_items_create, content_items_list
    from clover_client.api.kpis import kpis_values
    from clover_client.api.metrics import metric_points_ingest
    from clover_client.api.objectives import kpis_create
    from clover_client.api.reports import reports_lift, reports_roi
    from clover_client.api.resources import resources_create
    from clover_client.api.signup import signup_create
    from clover_client.api.strategies import (
        objectives_create,
        strategies_create,
        strategies_get,
        strategies_scorecard,
    )
    from clover_client.models import (
        AudienceInput,
        AudienceInputKind,
        AudienceInputValueTier,
        CampaignInput,
        ChannelInput,
        ChannelInputKind,
        ContentItemInput,
        KpiInput,
        LiftReportVerdict,
        MetricPointBatch,
        MetricPointInput,
        ObjectiveInput,
        ObjectiveInputBusinessOutcome,
        Problem,
        ResourceInput,
        ResourceInputKind,
        ResourceInputKnownRole,
        ResourceKnownRole,
        Signup,
        StrategyInput,
    )

    rollups = Queue("rollups", connection=redis_connection(redis_url))
    rollups.empty()  # only this test's rollup for the worker below

    with serving(app) as base_url:
        signed_up = ok(
            signup_create.sync_detailed(
                client=Client(base_url=base_url),
                body=Signup(
                    email=unique_email("sdk"),
                    name="Sam Dev",
                    organisation_name="SDK Test Co",
                    password="correct horse battery staple",
                ),
            ),
            201,
        )
        org = signed_up.organisation.id
        with AuthenticatedClient(base_url=base_url, token=signed_up.api_key.token) as api:
            strategy = ok(
                strategies_create.sync_detailed(
                    org,
                    client=api,
                    body=StrategyInput(
                        name="Grow B2B leads",
                        period_start=datetime.date(2025, 1, 1),
                        period_end=datetime.date(2025, 12, 31),
                    ),
                ),
                201,
            )
            objective = ok(
                objectives_create.sync_detailed(
                    org,
                    strategy.id,
                    client=api,
                    body=ObjectiveInput(
                        title="More qualified leads",
                        business_outcome=ObjectiveInputBusinessOutcome.LEAD_GENERATION,
                    ),
                ),
                201,
            )
            kpi = ok(
                kpis_create.sync_detailed(
                    org,
                    objective.id,
                    client=api,
                    body=KpiInput(name="Leads per month", metric_key="leads", target=100),
                ),
                201,
            )
            ok(
                audiences_create.sync_detailed(
                    org,
                    client=api,
                    body=AudienceInput(
                        name="Resellers",
                        kind=AudienceInputKind.PARTNERS,
                        value_tier=AudienceInputValueTier.STRATEGIC,
                    ),
                ),
                201,
            )
            resource = ok(
                resources_create.sync_detailed(
                    org,
                    client=api,
                    body=ResourceInput(
                        name="Community team",
                        kind=ResourceInputKind.TEAM,
                        known_role=ResourceInputKnownRole.COMMUNITY_MANAGER,
                        weekly_capacity_hours=32,
                        hourly_cost="55.00",
                    ),
                ),
                201,
            )
            assert resource.known_role is ResourceKnownRole.COMMUNITY_MANAGER
            channel = ok(
                channels_create.sync_detailed(
                    org,
                    client=api,
                    body=ChannelInput(kind=ChannelInputKind.LINKEDIN, name="Company page"),
                ),
                201,
            )
            campaign = ok(
                campaigns_create.sync_detailed(
                    org,
                    client=api,
                    body=CampaignInput(
                        strategy_id=strategy.id,
                        name="Spring reseller push",
                        start_date=datetime.date(2025, 3, 1),
                        end_date=datetime.date(2025, 5, 31),
                        budget_amount="12000.00",
                        channel_ids=[channel.id],
                    ),
                ),
                201,
            )
            for title in ("Case study: Van Dijk Tools", "Reseller webinar"):
                ok(
                    content_items_create.sync_detailed(
                        org,
                        campaign.id,
                        client=api,
                        body=ContentItemInput(channel_id=channel.id, title=title),
                    ),
                    201,
                )
            items = ok(content_items_list.sync_detailed(org, client=api, campaign_id=campaign.id))
            assert len(items.items) == 2

            points = [
                MetricPointInput(
                    metric_key="leads",
                    day=datetime.date(2025, month, 10),
                    value=value,
                    channel_id=channel.id,
                    campaign_id=campaign.id,
                )
                for month, value in ((2, 20), (3, 60), (4, 70))
            ]
            ingested = ok(
                metric_points_ingest.sync_detailed(
                    org, client=api, body=MetricPointBatch(points=points), atomic=True
                )
            )
            assert (ingested.inserted, ingested.rejected) == (3, [])
            assert len(rollups) == 1
            run_worker(database_url, redis_url, "rollups")

            values = ok(
                kpis_values.sync_detailed(
                    org,
                    kpi.id,
                    client=api,
                    from_=datetime.date(2025, 2, 1),
                    to=datetime.date(2025, 4, 1),
                )
            )
            assert [(v.period_start, v.actual) for v in values.items] == [
                (datetime.date(2025, 2, 1), 20.0),
                (datetime.date(2025, 3, 1), 60.0),
                (datetime.date(2025, 4, 1), 70.0),
            ]
            card = ok(strategies_scorecard.sync_detailed(org, strategy.id, client=api))
            [score] = card.objectives[0].kpis
            # December 2025, the strategy's newest period, has no points (as in tests/workers):
            # the latest period with data is April, and it has ended.
            assert (score.kpi.id, score.period_start, score.complete) == (
                kpi.id,
                datetime.date(2025, 4, 1),
                True,
            )
            assert score.latest.actual == 70.0

            roi = ok(
                reports_roi.sync_detailed(
                    org,
                    client=api,
                    campaign_id=campaign.id,
                    from_=datetime.date(2025, 1, 1),
                    to=datetime.date(2025, 12, 31),
                    value_per_lead="50.00",
                )
            )
            [row] = roi.campaigns
            assert (row.campaign_id, row.budget_amount, row.leads) == (campaign.id, "12000.00", 150)
            lift = ok(
                reports_lift.sync_detailed(
                    org,
                    client=api,
                    metric="leads",
                    campaign_id=campaign.id,
                    from_=campaign.start_date,
                    to=campaign.end_date,
                )
            )
            assert (lift.metric, lift.window.from_, lift.window.total) == (
                "leads",
                datetime.date(2025, 3, 1),
                130.0,
            )
            assert isinstance(lift.verdict, LiftReportVerdict)

            assert ok(campaigns_get.sync_detailed(org, campaign.id, client=api)).name == (
                "Spring reseller push"
            )
            missing = strategies_get.sync_detailed(org, uuid.uuid4(), client=api)
            assert missing.status_code == 404
            assert isinstance(missing.parsed, Problem)
            assert missing.parsed.status == 404
            assert missing.headers["content-type"].startswith("application/problem+json")

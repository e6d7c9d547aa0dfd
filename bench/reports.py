"""Reports benchmark: the report endpoints over ~2 million metric points, against raw SQL.

Run with ``.venv/bin/python -m bench.reports`` (``bench.run`` runs it last;
``--scale 0.1`` for a quick look). Like the other benchmarks it creates a
throwaway PostgreSQL database ``bench_<random>`` on the server named by
``BENCH_DATABASE_URL``, migrates it, measures in-process and drops the database,
also when something fails.

Data: the metrics benchmark's rollup organisation (``bench.metrics``: 20 channels ×
30 metric keys × 9 years of days, ~2 million points loaded with COPY, a strategy
with 3 objectives and 30 KPIs), its channels given a mix of kinds, plus

- a ``cost`` metric key of the organisation's own, resources (some with an hourly
  cost) and campaigns with budgets (through the domain services), each linked to
  3 channels, one objective and 2 of 5 audiences (value tiers and channel
  preferences of their own); content items with owners and effort (in bulk);
- per campaign, channel and day of the campaign: ``revenue``, ``conversions``,
  ``leads``, ``engagements`` points (and ``cost`` for every other campaign);
- derived mention points (source ``derived``: ``mentions``,
  ``sentiment_score_sum``, ``competitor_mentions``, ``industry_mentions``) per
  social channel and day, as the mentions domain keeps them, written directly;
- one full KPI rollup, so the KPI values exist.

Each report present in ``api/resources/v1/reports/`` is requested through the
Flask test client over a one-year and a five-year window (both ending on the
data's last day): warm-up calls, then timed calls interleaved with its baseline,
the raw grouped query it builds on run with psycopg (rows fetched; never as a
server-side prepared statement, so each is planned for its window). Statements
per request, and the time spent in them, are counted in a pass of their own.

The product's goal ("reports over the 2-million-point benchmark organisation
answer in under a second on PostgreSQL") is printed next to the figures; nothing
here passes or fails on time (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import psycopg
from flask import Flask
from sqlalchemy import insert, select, update

from api.domain import tenancy
from api.domain.audiences.models import CHANNEL_KINDS, VALUE_TIERS
from api.domain.audiences.service import AudienceDraft, create_audience
from api.domain.base import new_id, utcnow
from api.domain.campaigns.service import CampaignDraft, create_campaign
from api.domain.channels.models import SOCIAL_KINDS, Channel, default_mode
from api.domain.content_items.models import ContentItem
from api.domain.metrics import definitions
from api.domain.metrics.definitions import BUILT_IN, MetricDefinitionDraft
from api.domain.metrics.models import dimensions_of
from api.domain.resources.service import ResourceDraft, create_resource
from api.domain.strategies.models import Objective, Strategy
from bench import messages, metrics
from bench.common import (
    counting,
    environment,
    psycopg_url,
    quiet_app,
    table,
    throwaway_database,
)
from tests.factories import Factory

LAST_DAY = metrics.LAST_DAY  # 2026-12-31: the data's last day, both windows end on it
WINDOWS = (  # (label, first day)
    ("1 year", date(LAST_DAY.year, 1, 1)),
    ("5 years", date(LAST_DAY.year - 4, 1, 1)),
)
GOAL_S = 1.0  # "reports … answer in under a second on PostgreSQL"
WARMUP = 2  # untimed calls per operation and window
TIMED = 5  # timed calls per operation and window, in interleaved rounds

CAMPAIGNS = 48  # at --scale 1: one starting every ~68 days, each running CAMPAIGN_DAYS
CAMPAIGN_DAYS = 90
CAMPAIGN_CHANNELS = 3
AUDIENCES = 5  # each campaign targets CAMPAIGN_AUDIENCES of them
CAMPAIGN_AUDIENCES = 2
ITEMS_PER_CAMPAIGN = 30
RESOURCES = 12  # every fourth without an hourly cost
CAMPAIGN_KEYS = ("revenue", "conversions", "leads", "engagements")
COST_KEY = "cost"
MENTION_CHANNELS = 8  # the social channels that get derived mention points
DERIVED_KEYS = ("mentions", "sentiment_score_sum", "competitor_mentions", "industry_mentions")
LIFT_METRIC = "leads"
# The channels report's keys (api/domain/reports/channels.py KEYS), for its baseline.
CHANNEL_REPORT_KEYS = (
    "reach",
    "impressions",
    "engagements",
    "leads",
    "cost",
    "press_mentions",
    "blog_mentions",
    "email_responses",
    "comments",
)
# The funnel's stage keys: the catalogue's count metrics with a stage (the bench's own
# keys name none), as api/domain/reports/funnel.py stage_metrics_of finds them.
FUNNEL_KEYS = tuple(m.key for m in BUILT_IN if m.kind == "count" and m.funnel_stage)

# The baselines: the grouped query each report builds on, with the tenant filter the
# domain's scoped session adds, run with psycopg and every row fetched.
RAW_ROI = """
SELECT campaign_id, metric_key, SUM(value) FROM metric_points
WHERE organisation_id = %(org)s AND campaign_id = ANY(%(campaigns)s)
  AND metric_key = ANY(%(keys)s) AND day >= %(first)s AND day <= %(last)s
GROUP BY 1, 2
"""
RAW_LIFT = """
SELECT SUM(value) FILTER (WHERE day BETWEEN %(first)s AND %(last)s),
       count(*) FILTER (WHERE day BETWEEN %(first)s AND %(last)s),
       count(DISTINCT day) FILTER (WHERE day BETWEEN %(first)s AND %(last)s),
       SUM(value) FILTER (WHERE day BETWEEN %(before_first)s AND %(before_last)s),
       count(*) FILTER (WHERE day BETWEEN %(before_first)s AND %(before_last)s),
       count(DISTINCT day) FILTER (WHERE day BETWEEN %(before_first)s AND %(before_last)s)
FROM metric_points
WHERE organisation_id = %(org)s AND metric_key = %(key)s
  AND (day BETWEEN %(first)s AND %(last)s OR day BETWEEN %(before_first)s AND %(before_last)s)
"""
RAW_FUNNEL = tuple(
    f"""
SELECT {column}, metric_key, SUM(value) FROM metric_points
WHERE organisation_id = %(org)s AND metric_key = ANY(%(keys)s)
  AND day >= %(first)s AND day <= %(last)s
GROUP BY 1, 2
"""
    for column in ("channel_id", "campaign_id")
)
RAW_CHANNELS = """
SELECT channel_id, metric_key, SUM(value) FROM metric_points
WHERE organisation_id = %(org)s AND metric_key = ANY(%(keys)s)
  AND day >= %(first)s AND day <= %(last)s
GROUP BY 1, 2
"""
RAW_SHARE_OF_VOICE = """
SELECT date_trunc('month', day)::date, metric_key, SUM(value) FROM metric_points
WHERE organisation_id = %(org)s AND source = 'derived' AND metric_key = ANY(%(keys)s)
  AND day >= %(first)s AND day <= %(last)s
GROUP BY 1, 2
"""
# The audience × channel fit's grouped query (api/domain/reports/audience_fit.py):
# the running campaigns' points per campaign × channel × key, shared over their audiences.
RAW_AUDIENCE_FIT = """
SELECT ca.audience_id, p.channel_id, p.metric_key, SUM(p.total / n.audiences)
FROM campaign_audiences AS ca
JOIN (SELECT campaign_id, channel_id, metric_key, SUM(value) AS total FROM metric_points
      WHERE organisation_id = %(org)s AND campaign_id = ANY(%(campaigns)s)
        AND channel_id IS NOT NULL AND metric_key = ANY(%(keys)s)
        AND day >= %(first)s AND day <= %(last)s
      GROUP BY 1, 2, 3) AS p ON p.campaign_id = ca.campaign_id
JOIN (SELECT campaign_id, count(*) AS audiences FROM campaign_audiences
      WHERE organisation_id = %(org)s AND campaign_id = ANY(%(campaigns)s)
      GROUP BY 1) AS n ON n.campaign_id = ca.campaign_id
WHERE ca.organisation_id = %(org)s
GROUP BY 1, 2, 3
"""
FIT_KEYS = ("reach", "engagements", "leads")
# A common reference, the same in every row of a window: every point of the window.
RAW_ALL = """
SELECT metric_key, channel_id, SUM(value) FROM metric_points
WHERE organisation_id = %(org)s AND day >= %(first)s AND day <= %(last)s
GROUP BY 1, 2
"""


@dataclass
class Seeded:
    history: metrics.History
    strategy_id: uuid.UUID
    campaigns: list[tuple[uuid.UUID, date, date]]  # (id, start, end)
    items: int
    campaign_points: int
    derived_points: int
    rollup_s: float
    messages: messages.PullThroughSeed | None = None


@dataclass
class Report:
    """One report endpoint, and the raw query it is measured against."""

    name: str
    path: str  # under /v1/organisations/{id}
    params: Callable[[date, date], dict]  # window → query string
    raw_sql: tuple[str, ...]  # the baseline's statements, run one after the other
    raw_params: Callable[[date, date], dict]  # window → the raw queries' parameters
    raw_what: str
    windowed: bool = True  # False: no window parameter, measured once


@dataclass
class Measured:
    report: str
    window: str
    samples: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    statements: int = 0
    sql_s: float = 0.0
    slowest: tuple[float, str, object] | None = None
    body_bytes: int = 0

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples) * 1e3

    @property
    def raw_ms(self) -> float:
        return statistics.median(self.raw) * 1e3


# Seeding


def seed(factory: Factory, raw: psycopg.Connection, days: int, scale: float) -> Seeded:
    database = factory.database
    history = metrics.rollup_workspace(factory, database, days)
    ws = history.ws
    with ws.uow() as uow:
        strategy_id = uow.session.scalar(select(Strategy.id))
        objective_ids = list(uow.session.scalars(select(Objective.id).order_by(Objective.id)))
        # A mix of kinds (the metrics benchmark makes them all LinkedIn): social and
        # traditional, push and conversational, for the channels report's groups.
        kinds = [*SOCIAL_KINDS, *[k for k in CHANNEL_KINDS if k not in SOCIAL_KINDS]]
        for n, channel_id in enumerate(ws.channels):
            kind = kinds[n % len(kinds)]
            uow.session.execute(
                update(Channel)
                .where(Channel.id == channel_id)
                .values(kind=kind, mode=default_mode(kind), name=f"{kind.title()} {n + 1}")
            )
        uow.commit()
    with ws.uow() as uow:
        definitions.create_definition(
            uow=uow,
            draft=MetricDefinitionDraft(key=COST_KEY, name="Cost", unit="EUR", kind="currency"),
        )
    owners = []
    for n in range(RESOURCES):
        with ws.uow() as uow:
            resource = create_resource(
                uow=uow,
                draft=ResourceDraft(
                    name=f"Resource {n + 1}",
                    kind="person",
                    weekly_capacity_hours=20 + n % 3 * 10,
                    hourly_cost=None if n % 4 == 3 else Decimal(40 + 5 * n),
                ),
            )
            owners.append(resource.id)
    audiences = []
    for n in range(AUDIENCES):
        with ws.uow() as uow:
            audience = create_audience(
                uow=uow,
                draft=AudienceDraft(
                    name=f"Audience {n + 1}",
                    value_tier=VALUE_TIERS[n % len(VALUE_TIERS)],
                    channel_preferences={
                        kind: round(0.1 + (n * 3 + k * 5) % 10 / 10, 1)
                        for k, kind in enumerate(CHANNEL_KINDS)
                        if (n + k) % 3
                    },
                ),
            )
            audiences.append(audience.id)

    count = max(4, round(CAMPAIGNS * scale))
    first = history.first
    step = max(1, (days - CAMPAIGN_DAYS) // (count - 1))
    campaigns = []
    links: dict[uuid.UUID, list[uuid.UUID]] = {}
    for n in range(count):
        start = min(first + timedelta(days=n * step), LAST_DAY - timedelta(days=CAMPAIGN_DAYS - 1))
        end = start + timedelta(days=CAMPAIGN_DAYS - 1)
        channels = [ws.channels[(n + 7 * k) % len(ws.channels)] for k in range(CAMPAIGN_CHANNELS)]
        with ws.uow() as uow:
            campaign = create_campaign(
                uow=uow,
                draft=CampaignDraft(
                    strategy_id=strategy_id,
                    name=f"Campaign {n + 1:02d}",
                    start_date=start,
                    end_date=end,
                    budget_amount=Decimal(5_000 + n * 997 % 45_000),
                    channel_ids=channels,
                    objective_ids=[objective_ids[n % len(objective_ids)]],
                    audience_ids=[
                        audiences[(n + k) % AUDIENCES] for k in range(CAMPAIGN_AUDIENCES)
                    ],
                ),
            )
            campaigns.append((campaign.id, start, end))
            links[campaign.id] = channels

    items = content_rows(ws.org.id, campaigns, links, owners)
    with ws.uow() as uow:
        uow.session.execute(
            tenancy.statement(insert(ContentItem), organisation_id=ws.org.id), items
        )
        uow.commit()

    campaign_points, derived_points = copy_extra_points(raw, history, campaigns, links)
    said = messages.seed_pull_through(raw, ws, strategy_id, first, scale)
    metrics.load_history(raw, history, first)  # ~2 M points, then VACUUM (ANALYZE)
    started = time.perf_counter()
    metrics.full_rollup(history)()  # so that KPI values exist
    rollup_s = time.perf_counter() - started
    return Seeded(
        history,
        strategy_id,
        campaigns,
        len(items),
        campaign_points,
        derived_points,
        rollup_s,
        said,
    )


def content_rows(org_id, campaigns, links, owners) -> list[dict]:
    now = utcnow()
    statuses = ("published", "published", "scheduled", "approved", "drafting", "cancelled")
    rows = []
    for c, (campaign_id, start, end) in enumerate(campaigns):
        span = (end - start).days + 1
        for n in range(ITEMS_PER_CAMPAIGN):
            day = start + timedelta(days=n * span // ITEMS_PER_CAMPAIGN)
            rows.append(
                {
                    "id": new_id(),
                    "organisation_id": org_id,
                    "campaign_id": campaign_id,
                    "channel_id": links[campaign_id][n % CAMPAIGN_CHANNELS],
                    "owner_id": None if n % 10 == 9 else owners[(c + n) % len(owners)],
                    "title": f"Item {n + 1} of campaign {c + 1}",
                    "brief": "",
                    "format": "post",
                    "status": statuses[n % len(statuses)],
                    "effort_hours": 0.5 + (n % 8),
                    "due_date": day,
                    "plan_date": day,
                    "distribution_actions": [],
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    return rows


def copy_extra_points(raw: psycopg.Connection, history: metrics.History, campaigns, links):
    """Campaign points and derived mention points, with COPY like the history (FK checks off)."""
    ws = history.ws
    org = ws.org.id
    now = utcnow()
    social = ws.channels[:MENTION_CHANNELS]
    campaign_points = derived_points = 0
    with raw.transaction(), raw.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # valid by construction
        with cursor.copy(metrics.COPY_SQL) as copy:
            for c, (campaign_id, start, end) in enumerate(campaigns):
                keys = CAMPAIGN_KEYS + ((COST_KEY,) if c % 2 == 0 else ())
                for d in range((end - start).days + 1):
                    day = start + timedelta(days=d)
                    for h, channel in enumerate(links[campaign_id]):
                        dims = dimensions_of(channel, campaign_id, None)
                        for k, key in enumerate(keys):
                            value = float(1 + (d * 31 + h * 7 + k * 13 + c) % 40)
                            if key in ("revenue", COST_KEY):
                                value *= 25.0
                            row = (new_id(), org, key, day, value, channel, campaign_id)
                            copy.write_row((*row, None, "api", dims, now, now))
                            campaign_points += 1
            day = history.first
            while day <= LAST_DAY:
                index = (day - history.first).days
                for h, channel in enumerate(social):
                    dims = dimensions_of(channel, None, None)
                    company = float((index * 7 + h * 3) % 13)
                    score = company * (((index + h) % 21) - 8) / 10.0
                    values = (company, score, float((index * 5 + h) % 17), float((index + h) % 29))
                    for key, value in zip(DERIVED_KEYS, values, strict=True):
                        row = (new_id(), org, key, day, value, channel, None)
                        copy.write_row((*row, None, "derived", dims, now, now))
                        derived_points += 1
                day += timedelta(days=1)
    return campaign_points, derived_points


# The reports and their baselines


def reports_of(seeded: Seeded) -> list[Report]:
    org = seeded.history.ws.org.id

    def window(first: date, last: date) -> dict:
        return {"from": first.isoformat(), "to": last.isoformat()}

    def span(first: date, last: date) -> dict:
        return {"org": org, "first": first, "last": last}

    def roi(first: date, last: date) -> dict:
        running = [c for c, start, end in seeded.campaigns if start <= last and end >= first]
        return span(first, last) | {"campaigns": running, "keys": [*CAMPAIGN_KEYS, COST_KEY]}

    def fit(first: date, last: date) -> dict:
        return roi(first, last) | {"keys": list(FIT_KEYS)}

    def lift(first: date, last: date) -> dict:
        days = (last - first).days + 1
        before_last = first - timedelta(days=1)
        return span(first, last) | {
            "key": LIFT_METRIC,
            "before_first": before_last - timedelta(days=days - 1),
            "before_last": before_last,
        }

    return [
        Report(
            "roi",
            "/reports/roi",
            window,
            (RAW_ROI,),
            roi,
            "campaign × key sums of the running campaigns' value and cost keys",
        ),
        Report(
            "lift",
            "/reports/lift",
            lambda first, last: {"metric": LIFT_METRIC} | window(first, last),
            (RAW_LIFT,),
            lift,
            f"one key ({LIFT_METRIC}), FILTERed sums and counts over window and baseline",
        ),
        Report(
            "funnel",
            "/reports/funnel",
            window,
            RAW_FUNNEL,
            lambda first, last: span(first, last) | {"keys": list(FUNNEL_KEYS)},
            f"channel × key and campaign × key sums of the {len(FUNNEL_KEYS)} stage keys",
        ),
        Report(
            "channels",
            "/reports/channels",
            window,
            (RAW_CHANNELS,),
            lambda first, last: span(first, last) | {"keys": list(CHANNEL_REPORT_KEYS)},
            f"channel × key sums of the report's {len(CHANNEL_REPORT_KEYS)} keys",
        ),
        Report(
            "share-of-voice",
            "/reports/share-of-voice",
            lambda first, last: window(first, last) | {"granularity": "month"},
            (RAW_SHARE_OF_VOICE,),
            lambda first, last: span(first, last) | {"keys": list(DERIVED_KEYS)},
            "month × key sums of the derived mention points",
        ),
        Report(
            "audience-fit",
            "/reports/audience-channel-fit",
            lambda first, last: {"strategy_id": str(seeded.strategy_id)} | window(first, last),
            (RAW_AUDIENCE_FIT,),
            fit,
            "audience × channel × key sums of the running campaigns' points, shared over"
            " their audiences",
        ),
        Report(
            "alignment",
            "/reports/alignment",
            lambda first, last: {"strategy_id": str(seeded.strategy_id)},
            (RAW_ROI,),
            lambda first, last: roi(seeded.history.first, LAST_DAY),
            "campaign × key sums of the strategy's campaigns over its whole period",
            windowed=False,
        ),
        Report(
            "message-pull-through",
            "/reports/message-pull-through",
            lambda first, last: window(first, last) | {"strategy_id": str(seeded.strategy_id)},
            messages.RAW_PULL_THROUGH,
            lambda first, last: messages.pull_through_params(org, seeded.messages.ids, first, last),
            "month × message (× topic) counts of posts, mentions and their message links",
        ),
    ]


def routes(app: Flask) -> set[str]:
    prefix = "/v1/organisations/<uuid:organisation_id>"
    return {
        rule.rule.removeprefix(prefix)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(prefix + "/reports/") and "GET" in (rule.methods or ())
    }


def request(client, url: str, headers: dict) -> Callable[[], bytes]:
    def run() -> bytes:
        response = client.get(url, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}: {response.data!r}")
        return response.get_data()

    return run


def raw_query(
    raw: psycopg.Connection, statements: tuple[str, ...], params: dict
) -> Callable[[], list]:
    def run() -> list:
        rows = []
        with raw.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql, params)
                rows.append(cursor.fetchall())
        return rows

    return run


def timed(run: Callable[[], object], samples: list[float]) -> None:
    gc.collect()
    started = time.perf_counter()
    run()
    samples.append(time.perf_counter() - started)


def measure(
    app: Flask,
    seeded: Seeded,
    raw: psycopg.Connection,
    present: list[Report],
    warmup: int,
    rounds: int,
) -> tuple[list[Measured], dict[str, str], dict[str, float]]:
    ws = seeded.history.ws
    client = app.test_client()
    engine = ws.database.engine
    results: list[Measured] = []
    failed: dict[str, str] = {}
    reference: dict[str, float] = {}
    for label, first in WINDOWS:
        # Every operation of the window, checked and warmed up, then interleaved rounds.
        operations = []
        for report in present:
            if report.name in failed or (not report.windowed and label != WINDOWS[0][0]):
                continue
            query = urlencode(report.params(first, LAST_DAY))
            call = request(client, f"{ws.org.url(report.path)}?{query}", ws.org.headers)
            try:
                body = call()
            except RuntimeError as error:
                failed[report.name] = str(error)[:300]
                continue
            baseline = raw_query(raw, report.raw_sql, report.raw_params(first, LAST_DAY))
            where = label if report.windowed else "strategy"
            result = Measured(report.name, where, body_bytes=len(body))
            for _ in range(warmup):
                call()
                baseline()
            operations.append((call, baseline, result))
        span = {"org": ws.org.id, "first": first, "last": LAST_DAY}
        everything = raw_query(raw, (RAW_ALL,), span)
        everything()
        all_samples: list[float] = []
        print(f"bench: {label} window, {len(operations)} report(s)…", flush=True)
        for round_ in range(rounds):
            # Rotate the order so drift (other load on the machine) favours no report.
            shift = round_ % max(1, len(operations))
            for call, baseline, result in operations[shift:] + operations[:shift]:
                if round_ % 2:
                    timed(baseline, result.raw)
                    timed(call, result.samples)
                else:
                    timed(call, result.samples)
                    timed(baseline, result.raw)
            timed(everything, all_samples)
        reference[label] = statistics.median(all_samples) * 1e3
        # Statements per request, and their time, in a pass of their own.
        for call, _baseline, result in operations:
            with counting(engine) as counts, metrics.statement_log(engine) as seen:
                call()
            result.statements = counts["statements"]
            result.sql_s = sum(seconds for seconds, _, _ in seen)
            result.slowest = max(seen, key=lambda s: s[0]) if seen else None
            results.append(result)
    return results, failed, reference


def report_figures(
    seeded: Seeded,
    present: list[Report],
    missing: list[str],
    results: list[Measured],
    failed: dict[str, str],
    reference: dict[str, float],
    rounds: int,
) -> None:
    history = seeded.history
    print()
    print(
        f"Data: one organisation, {history.points:,} history points ({metrics.CHANNELS}"
        f" channels × {len(metrics.METRIC_KEYS)} keys per day, {history.first} to {LAST_DAY}),"
        f" {seeded.campaign_points:,} campaign points ({len(seeded.campaigns)} campaigns with"
        f" budgets, {CAMPAIGN_CHANNELS} channels each), {seeded.derived_points:,} derived"
        f" mention points ({MENTION_CHANNELS} channels); {seeded.items:,} content items,"
        f" {RESOURCES} resources; 30 KPIs rolled up (full rollup {seeded.rollup_s:.1f} s)."
    )
    if seeded.messages:
        said = seeded.messages
        print(
            f"Key messages: {len(said.ids)} of the strategy, {said.mentions:,} mentions"
            f" ({said.mention_links:,} carrying one), {said.content_links:,} published items"
            " carrying one."
        )
    print(
        f"Windows: {', '.join(f'{label} ({first} to {LAST_DAY})' for label, first in WINDOWS)}."
        f" Method: Flask test client in-process, {WARMUP} warm-up calls, then {rounds}"
        " interleaved rounds of each report and its raw query (psycopg, rows fetched)."
    )
    print()
    columns = [
        "report",
        "window",
        "n",
        "median ms",
        "raw ms",
        "vs raw",
        "SQL/req",
        "in SQL ms",
        "slowest stmt ms",
        "body KB",
    ]
    rows = []
    for r in results:
        rows.append(
            [
                r.report,
                r.window,
                str(len(r.samples)),
                f"{r.median_ms:,.1f}",
                f"{r.raw_ms:,.1f}",
                f"{r.median_ms / r.raw_ms:,.1f}",
                str(r.statements),
                f"{r.sql_s * 1e3:,.1f}",
                f"{r.slowest[0] * 1e3:,.1f}" if r.slowest else "-",
                f"{r.body_bytes / 1024:,.1f}",
            ]
        )
    if rows:
        table(columns, rows)
    print()
    print(
        "vs raw: ratio of medians, the request against its raw query (the same run, interleaved)."
        " SQL/req, in SQL ms, slowest stmt ms: one more request, counted apart"
        " (before/after_cursor_execute on the app's engine)."
    )
    print(
        "Reference, every point of the window grouped by key × channel (raw, median): "
        + ", ".join(f"{label} {ms:,.0f} ms" for label, ms in reference.items())
        + "."
    )
    print("Baselines:")
    for report in present:
        print(f"  {report.name:<15} {report.raw_what}")
    print()
    print(f"Goal: reports over the benchmark organisation answer in under {GOAL_S:.0f} s:")
    for report in present:
        mine = [r for r in results if r.report == report.name]
        if report.name in failed:
            print(f"  {report.name:<15} not measured: {failed[report.name]}")
            continue
        worst = max(mine, key=lambda r: r.median_ms)
        verdict = "yes" if worst.median_ms < GOAL_S * 1e3 else "NO"
        figures = ", ".join(f"{r.window} {r.median_ms:,.0f} ms" for r in mine)
        print(f"  {report.name:<15} {verdict:<3} (median: {figures})")
    for name in missing:
        print(f"  {name:<15} not measured: no GET route for it yet")


def explain_slowest(raw: psycopg.Connection, results: list[Measured]) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of each report's slowest statement, widest window."""
    widest = {r.report: r for r in results}  # the last measured: five years, or the strategy
    print()
    print(
        "Slowest statement of each report in its widest window (five years; alignment: the"
        " strategy's nine), EXPLAIN (ANALYZE, BUFFERS), run once before:"
    )
    for r in widest.values():
        if r.slowest is None:
            continue
        _, statement, parameters = r.slowest
        try:
            plan = metrics.explain(raw, statement, parameters)
        except psycopg.Error as error:
            print(f"  {r.report}: could not explain ({type(error).__name__})")
            continue
        first_line = " ".join(statement.split())[:110]
        print(
            f"  {r.report:<15} {plan['ms']:8.1f} ms  {metrics.pages(plan['buffers']):>7,} pages"
            f"  {'; '.join(plan['scans']) or '-'}"
        )
        print(f"  {'':<15} {first_line}…")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.reports", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply the days of history and the campaigns (default 1.0: ~2 M points);"
        " 0.1 for a quick look",
    )
    parser.add_argument(
        "--rounds", type=int, default=TIMED, help=f"timed calls per report (default {TIMED})"
    )
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 4:
        parser.error("--scale must be above 0 and at most 4")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    days = max(16 * 7, round(metrics.DAYS * args.scale))

    started = time.perf_counter()
    with throwaway_database() as db:
        app = quiet_app(db.settings)
        # prepare_threshold=None: every baseline query is planned for its own parameters.
        # With psycopg's default (server-side prepared after 5 runs), PostgreSQL kept a
        # generic plan made after the one-year windows for the five-year ones, 5-7× slower.
        raw = psycopg.connect(psycopg_url(db.url), autocommit=True, prepare_threshold=None)
        try:
            seeded = seed(Factory(db.database), raw, days, args.scale)
            seeded_at = time.perf_counter()
            available = routes(app)
            everything = reports_of(seeded)
            present = [r for r in everything if r.path in available]
            missing = [r.name for r in everything if r.path not in available]
            results, failed, reference = measure(app, seeded, raw, present, WARMUP, args.rounds)
            measured_at = time.perf_counter()
            print()
            print(f"Clover reports benchmark — {environment(db.server_version)}")
            report_figures(seeded, present, missing, results, failed, reference, args.rounds)
            explain_slowest(raw, results)
        finally:
            raw.close()
        finished = time.perf_counter()
        print()
        print(
            f"Run: {finished - started:.1f} s in all (seeding {seeded_at - started:.1f} s,"
            f" measuring {measured_at - seeded_at:.1f} s)."
        )
        return 0


if __name__ == "__main__":
    sys.exit(main())

"""Share of voice and sentiment: what people say about the company, per week or month.

Read from the derived metric points (source ``derived``) that Clover keeps in step
with the mentions, per channel and UTC day: ``mentions`` (company topic),
``competitor_mentions``, ``industry_mentions`` and ``sentiment_score_sum``. One
grouped query (period × metric key) adds them up; the mentions table itself is not
scanned. Points of the same keys sent by clients (other sources) are not counted,
so nothing is counted twice. Each period also lists every competitor's figures and
those of competitor mentions naming none (``competitor_voice``, from the mentions).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from api.domain import periods
from api.domain.errors import RuleViolation
from api.domain.mentions import derived
from api.domain.metrics.models import MetricPoint
from api.domain.reports import competitor_voice, shares
from api.domain.reports.figures import Figure
from api.domain.reports.shares import Trend
from api.domain.reports.window import window
from api.domain.uow import UnitOfWork

if TYPE_CHECKING:
    from api.domain.reports.competitor_voice import CompetitorVoice

GRANULARITIES = ("week", "month")
COMPANY, COMPETITOR, INDUSTRY, SCORE_SUM = (
    "mentions",
    "competitor_mentions",
    "industry_mentions",
    "sentiment_score_sum",
)


@dataclass(frozen=True)
class Voice:
    """Mention counts and sentiment of one period, or of the whole window."""

    company_mentions: float | None  # None: no mentions of any topic
    competitor_mentions: float | None
    industry_mentions: float | None
    sentiment_score_sum: float | None
    company_share: Figure
    average_sentiment: Figure


@dataclass(frozen=True)
class VoicePeriod:
    period_start: date
    period_end: date
    voice: Voice
    competitors: list[CompetitorVoice] = field(default_factory=list)  # by name
    unnamed_competitors: CompetitorVoice | None = None  # competitor mentions naming none


@dataclass(frozen=True)
class Inputs:
    source: str
    metric_keys: tuple[str, ...]


@dataclass(frozen=True)
class ShareOfVoice:
    day_from: date
    day_to: date
    granularity: str
    periods: list[VoicePeriod]
    overall: VoicePeriod  # the whole window
    sentiment_trend: Trend
    share_trend: Trend
    inputs: Inputs = Inputs(derived.SOURCE, derived.KEYS)


def share_of_voice(
    *, uow: UnitOfWork, day_from: date, day_to: date, granularity: str
) -> ShareOfVoice:
    span = window(day_from, day_to)
    if granularity not in GRANULARITIES:
        raise RuleViolation(
            "unknown granularity", errors={"granularity": ["Must be week or month."]}
        )
    bucket = periods.bucket(MetricPoint.day, granularity).label("period")
    stmt = (
        select(bucket, MetricPoint.metric_key, func.sum(MetricPoint.value))
        .where(
            MetricPoint.source == derived.SOURCE,
            MetricPoint.metric_key.in_(derived.KEYS),
            MetricPoint.day >= span.start,
            MetricPoint.day <= span.end,
        )
        .group_by(bucket, MetricPoint.metric_key)
    )
    found: dict[date, dict[str, float]] = defaultdict(dict)
    for start, key, total in uow.session.execute(stmt):
        found[start][key] = float(total)
    report = summarise(
        day_from=span.start,
        day_to=span.end,
        granularity=granularity,
        sums=found,
    )
    counts = competitor_voice.count_mentions(
        uow.session, day_from=span.start, day_to=span.end, granularity=granularity
    )
    return competitor_voice.attach(report, counts, competitor_voice.competitors_of(uow.session))


def summarise(
    *, day_from: date, day_to: date, granularity: str, sums: dict[date, dict[str, float]]
) -> ShareOfVoice:
    """Every period of the window from its sums (period start → metric key → sum), pure.

    The overall figures add up the periods' counts and score sums and divide those,
    never averaging the periods' shares or averages.
    """
    listed = [
        VoicePeriod(start, periods.period_end(start, granularity), voice(sums.get(start, {})))
        for start in periods.period_starts(day_from, day_to, granularity)
    ]
    overall: dict[str, float] = defaultdict(float)
    for by_key in sums.values():
        for key, value in by_key.items():
            overall[key] += value
    return ShareOfVoice(
        day_from=day_from,
        day_to=day_to,
        granularity=granularity,
        periods=listed,
        overall=VoicePeriod(day_from, day_to, voice(overall)),
        sentiment_trend=shares.trend([p.voice.average_sentiment.value for p in listed]),
        share_trend=shares.trend([p.voice.company_share.value for p in listed]),
    )


def voice(sums: dict[str, float]) -> Voice:
    company, competitor = sums.get(COMPANY, 0.0), sums.get(COMPETITOR, 0.0)
    industry, score_sum = sums.get(INDUSTRY, 0.0), sums.get(SCORE_SUM, 0.0)
    if company == competitor == industry == 0:
        # Derived points are zeroed (not deleted) when their mentions go: no mentions.
        return Voice(None, None, None, None, *[Figure(None, "no mentions")] * 2)
    return Voice(
        company_mentions=company,
        competitor_mentions=competitor,
        industry_mentions=industry,
        sentiment_score_sum=score_sum,
        company_share=shares.company_share(company=company, competitor=competitor),
        average_sentiment=shares.average_sentiment(score_sum=score_sum, mentions=company),
    )

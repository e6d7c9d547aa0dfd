"""Share of voice competitor by competitor, beside the company's.

The derived points count competitor mentions per channel and day but not per
competitor, so these figures come from the mentions themselves: one grouped query
(period × competitor) over the competitor-topic mentions of the window. A competitor's
share is its mentions among the company's and all competitors' (the denominator of the
company share), so the company's share, each competitor's and the unnamed
competitors' add up to 1.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.domain import periods
from api.domain.competitors.models import Competitor
from api.domain.mentions import derived
from api.domain.mentions.models import Mention
from api.domain.reports import shares
from api.domain.reports.figures import Figure
from api.domain.reports.shares import Trend

COMPETITOR_TOPIC = "competitor"
# Per period: competitor id (None: a competitor mention naming none) → (mentions, score sum).
Counts = Mapping[date, Mapping[uuid.UUID | None, tuple[float, float]]]


@dataclass(frozen=True)
class CompetitorVoice:
    """One competitor's mentions and sentiment in a period (or the whole window)."""

    competitor_id: uuid.UUID | None  # None: the competitor mentions that name none
    name: str | None
    mentions: float
    sentiment_score_sum: float
    share: Figure  # of the company's and every competitor's mentions
    average_sentiment: Figure
    share_change: Figure  # this period's share minus the previous period's
    share_trend: Trend | None = None  # over the periods: the whole window only


def count_mentions(
    session: Session, *, day_from: date, day_to: date, granularity: str
) -> dict[date, dict[uuid.UUID | None, tuple[float, float]]]:
    """Competitor mentions and their score sums per period and competitor, in one query."""
    day = derived.utc_day(Mention.posted_at, session.get_bind().dialect.name)
    bucket = periods.bucket(day, granularity).label("period")
    stmt = (
        select(
            bucket, Mention.competitor_id, func.count(Mention.id), func.sum(Mention.sentiment_score)
        )
        .where(
            Mention.topic == COMPETITOR_TOPIC,
            # Times, not days: the (organisation, posted_at) index narrows the scan.
            Mention.posted_at >= datetime.combine(day_from, time(), UTC),
            Mention.posted_at < datetime.combine(day_to + timedelta(days=1), time(), UTC),
        )
        .group_by(bucket, Mention.competitor_id)
    )
    found: dict[date, dict[uuid.UUID | None, tuple[float, float]]] = defaultdict(dict)
    for start, competitor_id, mentions, score_sum in session.execute(stmt):
        found[_as_date(start)][competitor_id] = (float(mentions), float(score_sum or 0))
    return found


def _as_date(value) -> date:
    """SQLite answers a period start as ISO text, PostgreSQL as a date."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def competitors_of(session: Session) -> list[tuple[uuid.UUID, str]]:
    """The organisation's competitors (id, name), by name: each is listed in every period."""
    return list(session.execute(select(Competitor.id, Competitor.name).order_by(Competitor.name)))


def _voice(
    competitor_id: uuid.UUID | None,
    name: str | None,
    counted: tuple[float, float],
    total: float,
    previous: Figure | None,
) -> CompetitorVoice:
    mentions, score_sum = counted
    share = shares.ratio(mentions, total, missing="no company or competitor mentions")
    if previous is None:
        change = Figure(None, "no previous period")
    elif share.value is None or previous.value is None:
        change = Figure(None, "no share in this or the previous period")
    else:
        change = Figure(share.value - previous.value)
    return CompetitorVoice(
        competitor_id=competitor_id,
        name=name,
        mentions=mentions,
        sentiment_score_sum=score_sum,
        share=share,
        average_sentiment=shares.ratio(score_sum, mentions, missing="no mentions of it"),
        share_change=change,
    )


def _total(voice) -> float:
    """The company share's denominator: company and competitor mentions."""
    return (voice.company_mentions or 0.0) + (voice.competitor_mentions or 0.0)


def attach(report, counts: Counts, competitors: Sequence[tuple[uuid.UUID, str]]):
    """``report`` (a ShareOfVoice) with each period's and the window's competitor figures."""
    named: list[tuple[uuid.UUID | None, str | None]] = [*competitors, (None, None)]
    previous: dict[uuid.UUID | None, Figure] = {}
    history: dict[uuid.UUID | None, list[float | None]] = defaultdict(list)
    overall_counts: dict[uuid.UUID | None, list[float]] = defaultdict(lambda: [0.0, 0.0])
    listed = []
    for period in report.periods:
        found = counts.get(period.period_start, {})
        voices = []
        for competitor_id, name in named:
            counted = found.get(competitor_id, (0.0, 0.0))
            voice = _voice(
                competitor_id, name, counted, _total(period.voice), previous.get(competitor_id)
            )
            previous[competitor_id] = voice.share
            history[competitor_id].append(voice.share.value)
            overall_counts[competitor_id][0] += counted[0]
            overall_counts[competitor_id][1] += counted[1]
            voices.append(voice)
        listed.append(replace(period, competitors=voices[:-1], unnamed_competitors=voices[-1]))
    overall = [
        replace(
            _voice(
                competitor_id,
                name,
                tuple(overall_counts[competitor_id]),
                _total(report.overall.voice),
                None,
            ),
            share_change=Figure(None, "the whole window has no previous period"),
            share_trend=shares.trend(history[competitor_id]),
        )
        for competitor_id, name in named
    ]
    return replace(
        report,
        periods=listed,
        overall=replace(report.overall, competitors=overall[:-1], unnamed_competitors=overall[-1]),
    )

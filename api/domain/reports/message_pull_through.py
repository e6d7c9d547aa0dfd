"""Message pull-through: do people repeat what we say, or do competitors own it?

For each key message of a strategy and each week or month: how often we said it
(the share of our published content items carrying it), how often others repeat
it (the share of the mentions of us, topic ``company``, carrying it, and their
sentiment) and the same for what is said about competitors (topic
``competitor``). Read from the links matching stores as texts arrive
(``api/domain/key_messages/matching.py``) and, for all mentions, from the derived
metric points kept in step with them: four grouped queries (posts, posts carrying
a message, mentions, mentions carrying a message) whatever the number of
messages, periods or rows.

Each period is compared with the one before it (the first with the whole period
before the window), and the answer reads the window's last period that way.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Date, cast, func, literal_column, or_, select

from api.domain import periods
from api.domain.content_items.models import ContentItem
from api.domain.errors import RuleViolation
from api.domain.key_messages.models import ContentMessage, KeyMessage, MentionMessage
from api.domain.mentions import derived
from api.domain.mentions.models import Mention
from api.domain.metrics.models import MetricPoint
from api.domain.reports import shares
from api.domain.reports.figures import Figure
from api.domain.reports.shares import Trend
from api.domain.reports.window import window
from api.domain.strategies.service import get_strategy
from api.domain.uow import UnitOfWork

GRANULARITIES = ("week", "month")
VERDICTS = ("pulled_through", "partly", "not_pulled_through", "not_enough_data")
COMPANY, COMPETITOR = "company", "competitor"
# Pulled through: people repeat the message in at least half the share we say it in.
PULLED_THROUGH = 0.5


@dataclass(frozen=True)
class Counts:
    """What was counted in one period (or the window) for one message."""

    own_posts: int = 0
    own_posts_carrying: int = 0
    company_mentions: int = 0
    company_mentions_carrying: int = 0
    company_score_sum: float = 0.0
    competitor_mentions: int = 0
    competitor_mentions_carrying: int = 0
    competitor_score_sum: float = 0.0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(a + b for a, b in zip(_values(self), _values(other), strict=True)))


def _values(counts: Counts) -> tuple:
    return tuple(getattr(counts, name) for name in Counts.__dataclass_fields__)


@dataclass(frozen=True)
class Pull:
    counts: Counts
    own_share: Figure
    company_share: Figure
    company_sentiment: Figure
    competitor_share: Figure
    competitor_sentiment: Figure


@dataclass(frozen=True)
class PullWindow:
    period_start: date
    period_end: date
    pull: Pull


@dataclass(frozen=True)
class PullPeriod(PullWindow):
    previous_company_share: Figure
    company_share_change: Figure  # this period's share minus the previous period's
    own_share_change: Figure


@dataclass(frozen=True)
class MessagePull:
    key_message_id: uuid.UUID
    name: str
    periods: list[PullPeriod]
    overall: PullWindow  # the whole window
    company_share_trend: Trend
    verdict: str
    answer: str


@dataclass(frozen=True)
class MessagePullThrough:
    strategy_id: uuid.UUID
    day_from: date
    day_to: date
    period: str
    messages: list[MessagePull]


def pull(counts: Counts) -> Pull:
    """The shares and sentiments of ``counts`` (pure; a ratio of sums, never of averages)."""
    c = counts
    return Pull(
        counts=c,
        own_share=shares.ratio(c.own_posts_carrying, c.own_posts, missing="no posts of ours"),
        company_share=shares.ratio(
            c.company_mentions_carrying, c.company_mentions, missing="no mentions of us"
        ),
        company_sentiment=shares.ratio(
            c.company_score_sum,
            c.company_mentions_carrying,
            missing="no mentions of us carry the message",
        ),
        competitor_share=shares.ratio(
            c.competitor_mentions_carrying,
            c.competitor_mentions,
            missing="no mentions of competitors",
        ),
        competitor_sentiment=shares.ratio(
            c.competitor_score_sum,
            c.competitor_mentions_carrying,
            missing="no mentions of competitors carry the message",
        ),
    )


def change(now: Figure, before: Figure) -> Figure:
    if now.value is None:
        return Figure(None, f"this period: {now.reason}")
    if before.value is None:
        return Figure(None, f"the period before: {before.reason}")
    return Figure(now.value - before.value)


def message_pull_through(
    *, uow: UnitOfWork, strategy_id: uuid.UUID, day_from: date, day_to: date, period: str
) -> MessagePullThrough:
    span = window(day_from, day_to)
    if period not in GRANULARITIES:
        raise RuleViolation("unknown period", errors={"period": ["Must be week or month."]})
    strategy = get_strategy(uow=uow, strategy_id=strategy_id)
    messages = uow.session.execute(
        select(KeyMessage.id, KeyMessage.name)
        .where(KeyMessage.strategy_id == strategy.id)
        .order_by(KeyMessage.name, KeyMessage.id)
    ).all()
    starts = periods.period_starts(span.start, span.end, period)
    previous = periods.period_start(starts[0] - timedelta(days=1), period)
    counted = _counts(uow, [m.id for m in messages], span.start, span.end, previous, period)
    return MessagePullThrough(
        strategy_id=strategy.id,
        day_from=span.start,
        day_to=span.end,
        period=period,
        messages=[
            summarise(
                key_message_id=m.id,
                name=m.name,
                starts=[previous, *starts],
                last_day=span.end,
                period=period,
                counts=counted.get(m.id, {}),
            )
            for m in messages
        ],
    )


def summarise(
    *,
    key_message_id: uuid.UUID,
    name: str,
    starts: list[date],
    last_day: date,
    period: str,
    counts: Mapping[date, Counts],
) -> MessagePull:
    """One message's periods from its counts per period start (the first: the one before)."""
    listed, before = [], pull(counts.get(starts[0], Counts()))
    for start in starts[1:]:
        now = pull(counts.get(start, Counts()))
        listed.append(
            PullPeriod(
                period_start=start,
                period_end=min(periods.period_end(start, period), last_day),
                pull=now,
                previous_company_share=before.company_share,
                company_share_change=change(now.company_share, before.company_share),
                own_share_change=change(now.own_share, before.own_share),
            )
        )
        before = now
    total = Counts()
    for start in starts[1:]:
        total = total + counts.get(start, Counts())
    last = listed[-1]
    verdict = verdict_of(last.pull)
    return MessagePull(
        key_message_id=key_message_id,
        name=name,
        periods=listed,
        overall=PullWindow(starts[1], last_day, pull(total)),
        company_share_trend=shares.trend([p.pull.company_share.value for p in listed]),
        verdict=verdict,
        answer=answer(name=name, verdict=verdict, last=last, period=period),
    )


def verdict_of(p: Pull) -> str:
    earned = p.company_share.value
    if earned is None:
        return "not_enough_data"
    if earned == 0:
        return "not_pulled_through"
    said = p.own_share.value or 0.0
    return "pulled_through" if earned >= PULLED_THROUGH * said else "partly"


def answer(*, name: str, verdict: str, last: PullPeriod, period: str) -> str:
    """ "Is our message getting through?" in one sentence, for the window's last period."""
    p, when = last.pull, f"the {period} from {last.period_start} to {last.period_end}"
    if verdict == "not_enough_data":
        return f"Not enough data: nobody mentioned us in {when}."
    said = p.own_share.value
    ours = (
        f"in {_percent(said)} of our posts"
        if said is not None
        else "in none of our posts (we published none)"
    )
    earned = f"in {_percent(p.company_share.value)} of what people say about us"
    before = last.previous_company_share.value
    trend = ""
    if before is not None and before != p.company_share.value:
        trend = f", {'up' if p.company_share.value > before else 'down'} from {_percent(before)}"
    opening = {"pulled_through": "Yes", "partly": "Partly", "not_pulled_through": "No"}[verdict]
    link = "and" if verdict == "pulled_through" else "but"
    sentence = f"{opening}: '{name}' is {ours} {link} {earned}{trend} ({when})"
    theirs = p.competitor_share.value
    if theirs is not None and theirs > p.company_share.value:
        sentence += f"; competitors' mentions carry it more ({_percent(theirs)})"
    return sentence + "."


def _percent(fraction: float) -> str:
    p = fraction * 100
    if p == 0:
        return "0 %"
    if p < 1:
        return "less than 1 %"
    return f"{p:.0f} %"


def _utc_day(column, dialect: str):
    if dialect == "postgresql":
        return cast(func.timezone(literal_column("'UTC'"), column), Date)
    return func.date(column, type_=Date)  # SQLite keeps UTC times as ISO text


def _at(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _counts(
    uow: UnitOfWork,
    message_ids: list[uuid.UUID],
    first: date,
    last: date,
    previous: date,
    period: str,
) -> dict[uuid.UUID, dict[date, Counts]]:
    """Per message and period start, the counts: four grouped queries."""
    if not message_ids:
        return {}
    dialect = uow.session.get_bind().dialect.name
    # The window, and the whole period before its first one (the first's comparison).
    current = periods.period_start(first, period)

    def within(column):
        return or_(
            (column >= _at(previous)) & (column < _at(current)),
            (column >= _at(first)) & (column < _at(last + timedelta(days=1))),
        )

    post_period = periods.bucket(_utc_day(ContentItem.published_at, dialect), period)
    published = (ContentItem.status == "published", within(ContentItem.published_at))
    posts = dict(
        uow.session.execute(
            select(post_period, func.count(ContentItem.id)).where(*published).group_by(post_period)
        ).all()
    )
    carrying_posts = uow.session.execute(
        select(post_period, ContentMessage.key_message_id, func.count())
        .join(ContentItem, ContentItem.id == ContentMessage.content_item_id)
        .where(ContentMessage.key_message_id.in_(message_ids), *published)
        .group_by(post_period, ContentMessage.key_message_id)
    ).all()
    # All mentions of us and of competitors: the derived points Clover keeps in step with
    # the mentions (per channel and UTC day), as the share-of-voice report reads them,
    # rather than a scan of the mentions themselves.
    point_period = periods.bucket(MetricPoint.day, period)
    totals = {"mentions": COMPANY, "competitor_mentions": COMPETITOR}  # of derived.KEYS
    mentions: dict[tuple[date, str], int] = {
        (start, totals[key]): round(n)
        for start, key, n in uow.session.execute(
            select(point_period, MetricPoint.metric_key, func.sum(MetricPoint.value))
            .where(
                MetricPoint.source == derived.SOURCE,
                MetricPoint.metric_key.in_(totals),
                or_(
                    MetricPoint.day.between(previous, current - timedelta(days=1)),
                    MetricPoint.day.between(first, last),
                ),
            )
            .group_by(point_period, MetricPoint.metric_key)
        )
    }
    mention_period = periods.bucket(_utc_day(Mention.posted_at, dialect), period)
    talked = (Mention.topic.in_((COMPANY, COMPETITOR)), within(Mention.posted_at))
    carrying_mentions = uow.session.execute(
        select(
            mention_period,
            MentionMessage.key_message_id,
            Mention.topic,
            func.count(),
            func.sum(Mention.sentiment_score),
        )
        .join(Mention, Mention.id == MentionMessage.mention_id)
        .where(MentionMessage.key_message_id.in_(message_ids), *talked)
        .group_by(mention_period, MentionMessage.key_message_id, Mention.topic)
    ).all()

    found: dict[uuid.UUID, dict[date, dict]] = defaultdict(lambda: defaultdict(dict))
    for start, message, n in carrying_posts:
        found[message][start]["own_posts_carrying"] = n
    for start, message, topic, n, score_sum in carrying_mentions:
        found[message][start][f"{topic}_mentions_carrying"] = n
        found[message][start][f"{topic}_score_sum"] = float(score_sum or 0.0)
    starts = {previous, *periods.period_starts(first, last, period)}
    return {
        message: {
            start: Counts(
                own_posts=posts.get(start, 0),
                company_mentions=mentions.get((start, COMPANY), 0),
                competitor_mentions=mentions.get((start, COMPETITOR), 0),
                **found[message].get(start, {}),
            )
            for start in starts
        }
        for message in message_ids
    }

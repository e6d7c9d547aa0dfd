"""Mentions: what people say about the company, its competitors and its industry.

A mention's (channel, external id) names it: sending it again updates the fields
it carries. Its sentiment is scored from its text unless a score is supplied.
Every write recomputes the derived metric points of the (day, channel) slots it
touched (``derived.refresh``) and asks for a KPI rollup. A competitor mention names
the competitor its caller gave, or the one Clover matches (``competitors.matching``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from api.domain import tenancy
from api.domain.base import check_version
from api.domain.channels.models import Channel
from api.domain.competitors import matching as competitor_matching
from api.domain.competitors.models import Competitor
from api.domain.editing import apply_changes, refuse
from api.domain.errors import RuleViolation
from api.domain.inputs import UNSET, Changes, Draft, Unset
from api.domain.key_messages import matching as message_matching
from api.domain.mentions import derived, sentiment
from api.domain.mentions.models import Mention
from api.domain.metrics.rollup_requests import request_rollup
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.uow import UnitOfWork

MAX_BATCH = 1000
# What a correction or a re-sent mention may change; channel and external id name it.
EDITABLE = ("author", "text", "url", "posted_at", "topic", "sentiment_score")
_KEPT = object()


@dataclass(frozen=True, kw_only=True)
class MentionChanges(Changes):
    """A correction: the fields of ``EDITABLE`` sent."""

    author: str | Unset = UNSET
    text: str | Unset = UNSET
    url: str | Unset | None = UNSET
    posted_at: datetime | Unset = UNSET
    topic: str | Unset = UNSET
    sentiment_score: float | Unset | None = UNSET  # None: score the text
    competitor_id: uuid.UUID | Unset | None = UNSET  # None: let Clover match it


@dataclass(frozen=True, kw_only=True)
class MentionBatchItem(MentionChanges, Draft):
    """A mention of a batch: one that names no channel is of the batch's channel."""

    text: str
    posted_at: datetime
    channel_id: uuid.UUID | Unset = UNSET
    external_id: str | Unset | None = UNSET


@dataclass(frozen=True, kw_only=True)
class MentionDraft(MentionBatchItem):
    """A mention recorded on its own: it names its channel."""

    channel_id: uuid.UUID


@dataclass(frozen=True)
class MentionFilter:
    channel_id: uuid.UUID | None = None
    topic: str | None = None
    sentiment_label: str | None = None
    posted_from: datetime | None = None
    posted_to: datetime | None = None
    q: str | None = None
    competitor_id: uuid.UUID | None = None


@dataclass(frozen=True)
class InvalidItem:
    """A batch item its entrypoint could not parse: rejected with its index and these errors."""

    errors: dict


@dataclass(frozen=True)
class Rejected:
    index: int
    reason: str
    errors: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Accepted:
    index: int
    id: uuid.UUID
    outcome: str  # "inserted" or "updated"


@dataclass(frozen=True)
class BatchResult:
    accepted: list[Accepted]
    rejected: list[Rejected]

    @property
    def inserted(self) -> int:
        return sum(1 for a in self.accepted if a.outcome == "inserted")

    @property
    def updated(self) -> int:
        return sum(1 for a in self.accepted if a.outcome == "updated")


# Reads


def get_mention(*, uow: UnitOfWork, mention_id: uuid.UUID) -> Mention:
    return tenancy.get(uow.session, Mention, mention_id, what="mention")


def _like(text: str) -> str:
    """A contains-pattern matching ``text`` literally (``%`` and ``_`` escaped)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_mentions(*, uow: UnitOfWork, filters: MentionFilter, page: PageRequest) -> Page[Mention]:
    """Most recently recorded first."""
    stmt = select(Mention)
    for column, value in (
        (Mention.channel_id, filters.channel_id),
        (Mention.topic, filters.topic),
        (Mention.sentiment_label, filters.sentiment_label),
        (Mention.competitor_id, filters.competitor_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if filters.posted_from:
        stmt = stmt.where(Mention.posted_at >= filters.posted_from)
    if filters.posted_to:
        stmt = stmt.where(Mention.posted_at < filters.posted_to)
    if filters.q:
        # ILIKE on PostgreSQL, lower(…) LIKE lower(…) on SQLite.
        stmt = stmt.where(Mention.text.ilike(_like(filters.q), escape="\\"))
    return paginate(uow.session, stmt, Mention.id, page, newest_first=True)


# Writes


def _in_utc(values: dict) -> dict:
    """Times are kept and shown in UTC, whatever offset they were sent with."""
    if values.get("posted_at") is None:
        return values
    return {**values, "posted_at": values["posted_at"].astimezone(UTC)}


def _topic_errors(fields: MentionChanges) -> dict:
    """A mention that names its competitor is about it: its topic is competitor."""
    if fields.or_("competitor_id", None) is None:
        return {}
    if (
        fields.or_("topic", competitor_matching.COMPETITOR_TOPIC)
        != competitor_matching.COMPETITOR_TOPIC
    ):
        return {"competitor_id": ["A mention naming a competitor has the topic competitor."]}
    return {}


def _with_topic(values: dict) -> dict:
    """A mention naming its competitor is of the competitor topic unless it says otherwise."""
    if values.get("competitor_id") is not None:
        return {"topic": competitor_matching.COMPETITOR_TOPIC, **values}
    return values


def _name_competitor(mention: Mention, values: dict) -> None:
    """The competitor the caller gave (``given``); null leaves it to matching."""
    if "competitor_id" in values:
        given = values.pop("competitor_id")
        mention.competitor_id = given
        mention.competitor_source = competitor_matching.GIVEN if given else None


def _new(draft: MentionDraft) -> Mention:
    values = {"author": "", "topic": "company", **_with_topic(_in_utc(draft.given()))}
    score = values.pop("sentiment_score", None)
    value, label = sentiment.assess(values["text"], score)
    competitor = {"competitor_id": values.pop("competitor_id", None)}
    mention = Mention(**values, sentiment_score=value, sentiment_label=label)
    _name_competitor(mention, competitor)
    return mention


def _editable(draft: MentionDraft) -> dict:
    """What a mention sent again changes: the editable fields it carries."""
    return {
        name: value
        for name, value in _with_topic(draft.given()).items()
        if name in EDITABLE or name == "competitor_id"
    }


def _change(mention: Mention, changes: dict) -> None:
    """Apply ``changes``; the score is kept, given, or (null, or a new text) re-scored."""
    changes = _in_utc(changes)
    _name_competitor(mention, changes)
    given = changes.pop("sentiment_score", _KEPT)
    new_text = "text" in changes and changes["text"] != mention.text
    apply_changes(mention, changes, EDITABLE)
    if given is not _KEPT and given is not None:
        mention.sentiment_score = float(given)
    elif given is None or new_text:
        mention.sentiment_score = sentiment.score(mention.text)
    mention.sentiment_label = sentiment.label(mention.sentiment_score)


def _by_external_id(uow: UnitOfWork, keys: set[tuple[uuid.UUID, str]]) -> dict:
    if not keys:
        return {}
    found = uow.session.scalars(
        select(Mention).where(
            Mention.channel_id.in_({channel for channel, _ in keys}),
            Mention.external_id.in_({external for _, external in keys}),
        )
    )
    by_key = {(m.channel_id, m.external_id): m for m in found}
    return {key: mention for key, mention in by_key.items() if key in keys}


def _save(uow: UnitOfWork, slots: Iterable[derived.Slot], mentions: Sequence[Mention]) -> None:
    """Match competitors, flush, link the key messages the mentions carry, bring the
    derived metric points in step, queue a rollup and commit.

    Every way in (the API, a batch, a sync, a correction) comes through here."""
    competitor_matching.assign(uow.session, mentions)
    uow.flush()
    message_matching.link_mentions(uow=uow, mentions=mentions)
    derived.refresh(uow.session, uow.tenant.organisation_id, slots)
    request_rollup(uow=uow)
    uow.commit()


def _key(draft: MentionDraft) -> tuple[uuid.UUID, str] | None:
    return (draft.channel_id, draft.external_id) if draft.external_id else None


def create_mention(*, uow: UnitOfWork, draft: MentionDraft) -> tuple[Mention, bool]:
    """Record a mention, or update the one with the same channel and external id.

    Returns the mention and whether it is new.
    """
    tenancy.get(uow.session, Channel, draft.channel_id, what="channel")
    refuse(_topic_errors(draft), "invalid mention")
    if draft.or_("competitor_id", None) is not None:
        tenancy.get(uow.session, Competitor, draft.competitor_id, what="competitor")
    key = _key(draft)
    mention = _by_external_id(uow, {key}).get(key) if key else None
    created = mention is None
    slots = set()
    if created:
        mention = _new(draft)
        uow.session.add(mention)
    else:
        slots.add(derived.slot_of(mention))
        _change(mention, _editable(draft))
    slots.add(derived.slot_of(mention))
    _save(uow, slots, [mention])
    return mention, created


def create_batch(
    *,
    uow: UnitOfWork,
    items: Sequence[MentionBatchItem | InvalidItem],
    channel_id: uuid.UUID | None = None,
) -> BatchResult:
    """Record up to MAX_BATCH mentions, applied in order; the invalid ones are rejected.

    ``channel_id`` is the channel of items that name none (404 if not this
    organisation's). An item whose channel is not found, or that names no channel
    at all, is rejected; the others are written in one transaction.
    """
    if len(items) > MAX_BATCH:
        raise RuleViolation(
            f"a batch holds at most {MAX_BATCH} mentions",
            errors={"mentions": [f"At most {MAX_BATCH} mentions per batch."]},
        )
    if channel_id is not None:
        tenancy.get(uow.session, Channel, channel_id, what="channel")
    rejected: list[Rejected] = []
    valid: list[tuple[int, MentionDraft]] = []
    for index, item in enumerate(items):
        if isinstance(item, InvalidItem):
            rejected.append(Rejected(index, "invalid mention", item.errors))
        elif (channel := item.or_("channel_id", channel_id)) is None:
            rejected.append(
                Rejected(index, "no channel", {"channel_id": ["Name it here or for the batch."]})
            )
        else:
            valid.append((index, MentionDraft(**{**item.given(), "channel_id": channel})))
    wanted = {draft.channel_id for _, draft in valid}
    known = set(uow.session.scalars(select(Channel.id).where(Channel.id.in_(wanted))))
    named = {d.competitor_id for _, d in valid if d.or_("competitor_id", None) is not None}
    competitors = (
        set(uow.session.scalars(select(Competitor.id).where(Competitor.id.in_(named))))
        if named
        else set()
    )
    existing = _by_external_id(
        uow, {_key(draft) for _, draft in valid if _key(draft) and draft.channel_id in known}
    )
    slots: set[derived.Slot] = set()
    written: list[tuple[int, Mention, str]] = []
    for index, draft in valid:
        if draft.channel_id not in known:
            rejected.append(
                Rejected(
                    index, f"channel {draft.channel_id} not found", {"channel_id": ["Not found."]}
                )
            )
            continue
        if errors := _topic_errors(draft):
            rejected.append(Rejected(index, "invalid mention", errors))
            continue
        if (competitor := draft.or_("competitor_id", None)) and competitor not in competitors:
            rejected.append(
                Rejected(
                    index, f"competitor {competitor} not found", {"competitor_id": ["Not found."]}
                )
            )
            continue
        key = _key(draft)
        mention = existing.get(key) if key else None
        if mention is None:
            mention, outcome = _new(draft), "inserted"
            uow.session.add(mention)
            if key:
                existing[key] = mention  # a later item with this external id updates it
        else:
            slots.add(derived.slot_of(mention))
            _change(mention, _editable(draft))
            outcome = "updated"
        slots.add(derived.slot_of(mention))
        written.append((index, mention, outcome))
    if written:
        _save(uow, slots, list({id(m): m for _, m, _ in written}.values()))
    return BatchResult(
        accepted=[Accepted(index, mention.id, outcome) for index, mention, outcome in written],
        rejected=sorted(rejected, key=lambda r: r.index),
    )


def update_mention(
    *,
    uow: UnitOfWork,
    mention_id: uuid.UUID,
    changes: MentionChanges,
    expected_version: int | None = None,
) -> Mention:
    """Correct a mention (topic, text, score, time…); its derived points follow."""
    mention = get_mention(uow=uow, mention_id=mention_id)
    check_version(mention, expected_version)
    refuse(_topic_errors(changes), "invalid mention")
    if changes.or_("competitor_id", None) is not None:
        tenancy.get(uow.session, Competitor, changes.competitor_id, what="competitor")
    slots = {derived.slot_of(mention)}
    _change(mention, _with_topic(changes.given()))
    slots.add(derived.slot_of(mention))
    _save(uow, slots, [mention])
    return mention

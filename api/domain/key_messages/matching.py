"""Which key messages a text carries, stored as links so that reports are grouped queries.

Mentions are linked as they arrive (the mentions' use cases) and Clover's own content
items when they are published (by hand or by the publisher): every message of the
organisation is matched in one pass per text (``PhraseMatcher``: Aho-Corasick over
Snowball stems). A message whose phrases change re-links its whole history in a tracked
job (``rematch``, kind ``rematch``), chunk by chunk with ``find_many``.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select, text
from sqlalchemy.dialects import postgresql, sqlite

from api.domain import tenancy
from api.domain.content_items.models import ContentItem
from api.domain.jobs import rematches
from api.domain.jobs.models import Job
from api.domain.key_messages.models import ContentMessage, KeyMessage, MentionMessage
from api.domain.mentions.models import Mention
from api.domain.phrases import PhraseMatcher
from api.domain.uow import UnitOfWork

CHUNK = 5_000
# Built matchers, per organisation, while its messages keep their phrases: building
# is the costly part (reading the messages' phrases is one small query).
_CACHED = 256
_matchers: OrderedDict[uuid.UUID, tuple[tuple, PhraseMatcher]] = OrderedDict()
_lock = threading.Lock()


def content_text(title: str, text: str) -> str:
    """What an item says: its title too (a press release or an event may have no text)."""
    return f"{title}\n{text}"


def matcher(*, uow: UnitOfWork) -> PhraseMatcher[uuid.UUID] | None:
    """A matcher of every key message of the organisation; None when it has none."""
    rows = uow.session.execute(
        select(KeyMessage.id, KeyMessage.phrases).order_by(KeyMessage.id)
    ).all()
    if not rows:
        return None
    organisation_id = uow.tenant.organisation_id
    # The phrases themselves, not the messages' versions: a version rolled back and
    # reused for other phrases cannot leave a stale matcher behind.
    fingerprint = tuple((message, tuple(phrases)) for message, phrases in rows)
    with _lock:
        cached = _matchers.get(organisation_id)
        if cached is not None and cached[0] == fingerprint:
            _matchers.move_to_end(organisation_id)
            return cached[1]
    built = PhraseMatcher.build(dict(rows))
    with _lock:
        _matchers[organisation_id] = (fingerprint, built)
        _matchers.move_to_end(organisation_id)
        while len(_matchers) > _CACHED:
            _matchers.popitem(last=False)
    return built


def _insert(uow: UnitOfWork, model, column: str, pairs: Iterable[tuple[uuid.UUID, uuid.UUID]]):
    """One INSERT of the (text id, message id) links; a link already there is kept."""
    organisation_id = uow.tenant.organisation_id
    rows = [
        {"organisation_id": organisation_id, column: ref, "key_message_id": message}
        for ref, message in pairs
    ]
    if not rows:
        return 0
    dialect = postgresql if uow.session.get_bind().dialect.name == "postgresql" else sqlite
    # A mention arriving while a job re-links its message may be linked by both.
    stmt = dialect.insert(model.__table__).on_conflict_do_nothing()
    uow.session.execute(tenancy.statement(stmt, organisation_id=organisation_id), rows)
    return len(rows)


def _replace_links(uow: UnitOfWork, model, column, ids: Sequence[uuid.UUID]) -> None:
    """Delete the links of ``ids``, planned for these ids.

    psycopg prepares a statement on its sixth run, and the server then keeps a generic
    plan made while the link table was small, also after it grew (no ANALYZE yet): a
    scan of the whole table comparing every row with 1,000 ids one by one, as a generic
    plan cannot hash an IN list of parameters. Linking a million mentions spent most of
    its time there (docs/performance.md). Planned for its ids, it is an index scan or a
    hashed filter. SET LOCAL: only this transaction, not every statement of the process.
    """
    if uow.session.get_bind().dialect.name == "postgresql":
        uow.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    uow.session.execute(delete(model).where(column.in_(ids)))


def _pairs(ids: Sequence[uuid.UUID], found: Sequence[set[uuid.UUID]]):
    return (
        (ref, message) for ref, messages in zip(ids, found, strict=True) for message in messages
    )


def link_mentions(*, uow: UnitOfWork, mentions: Sequence[Mention]) -> int:
    """Link flushed mentions to the messages they carry (replacing their links); the count."""
    if not mentions:
        return 0
    ids = [mention.id for mention in mentions]
    _replace_links(uow, MentionMessage, MentionMessage.mention_id, ids)
    found = matcher(uow=uow)
    if found is None:
        return 0
    texts = found.find_many(mention.text for mention in mentions)
    return _insert(uow, MentionMessage, "mention_id", _pairs(ids, texts))


def link_items(*, uow: UnitOfWork, items: Sequence[ContentItem]) -> int:
    """Link published content items to the messages they carry (replacing their links)."""
    if not items:
        return 0
    ids = [item.id for item in items]
    _replace_links(uow, ContentMessage, ContentMessage.content_item_id, ids)
    found = matcher(uow=uow)
    if found is None:
        return 0
    texts = found.find_many(content_text(item.title, item.text) for item in items)
    return _insert(uow, ContentMessage, "content_item_id", _pairs(ids, texts))


def request_rematch(*, uow: UnitOfWork, message: KeyMessage) -> Job:
    """Re-link the message's history in a tracked job, queued once this unit of work
    commits (or the re-match of the message still waiting: it reads the phrases it finds
    when it runs)."""
    return rematches.request_rematch(uow=uow, of=rematches.KEY_MESSAGE, key_message_id=message.id)


def _chunks(uow: UnitOfWork, *columns, where=()):
    """Rows of ``columns`` (the first is the id) in id order, CHUNK at a time."""
    after = None
    while True:
        stmt = select(*columns).where(*where).order_by(columns[0]).limit(CHUNK)
        if after is not None:
            stmt = stmt.where(columns[0] > after)
        rows = uow.session.execute(stmt).all()
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def rematch(*, uow: UnitOfWork, key_message_id: uuid.UUID) -> dict[str, int] | None:
    """Re-link one message's history: every mention and published item, in one transaction.

    Safe to run twice (its links are deleted and written again). None when the message
    is gone (its links went with it).
    """
    message = uow.session.get(KeyMessage, key_message_id)
    if message is None:
        return None
    single = PhraseMatcher.build({message.id: message.phrases})
    uow.session.execute(delete(MentionMessage).where(MentionMessage.key_message_id == message.id))
    uow.session.execute(delete(ContentMessage).where(ContentMessage.key_message_id == message.id))
    counts = {"mentions": 0, "content_items": 0}
    for rows in _chunks(uow, Mention.id, Mention.text):
        found = single.find_many(text for _, text in rows)
        counts["mentions"] += _insert(
            uow, MentionMessage, "mention_id", _pairs([r[0] for r in rows], found)
        )
    published = (ContentItem.status == "published",)
    for rows in _chunks(uow, ContentItem.id, ContentItem.title, ContentItem.text, where=published):
        found = single.find_many(content_text(title, text) for _, title, text in rows)
        counts["content_items"] += _insert(
            uow, ContentMessage, "content_item_id", _pairs([r[0] for r in rows], found)
        )
    uow.commit()
    return counts

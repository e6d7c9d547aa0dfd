"""Which competitor a mention is about, when its caller did not say.

Only mentions with the topic ``competitor`` name a competitor: a company mention that
compares the company with a rival is still the company's. A mention is matched to a
competitor when its author is one of the competitor's handles or its text holds one of
the competitor's keywords (``api.domain.phrases``: whole words, any case, accents or
inflection). When several competitors match, none is chosen: a guess would put a
mention in the wrong competitor's share of voice. A competitor the caller gave is kept
(``given``); Clover only ever writes ``matched`` ones.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from api.domain.competitors.models import Competitor
from api.domain.mentions.models import Mention
from api.domain.phrases import PhraseMatcher

GIVEN, MATCHED = "given", "matched"
COMPETITOR_TOPIC = "competitor"
_REMATCH_CHUNK = 1000


def handle_key(handle: str) -> str:
    """A handle as compared: without a leading @, any case ("@Globex" is "globex")."""
    return handle.strip().lstrip("@").casefold()


@dataclass(frozen=True)
class CompetitorMatcher:
    """The organisation's competitors' handles and keywords, ready to match many mentions."""

    keywords: PhraseMatcher[uuid.UUID]
    handles: Mapping[str, frozenset[uuid.UUID]]

    @classmethod
    def of(cls, competitors: Iterable[Competitor]) -> CompetitorMatcher:
        competitors = list(competitors)
        by_handle: dict[str, set[uuid.UUID]] = defaultdict(set)
        for competitor in competitors:
            for handle in competitor.handles:
                by_handle[handle_key(handle)].add(competitor.id)
        return cls(
            keywords=PhraseMatcher.build({c.id: c.keywords for c in competitors}),
            handles={handle: frozenset(ids) for handle, ids in by_handle.items()},
        )

    def match_many(self, mentions: Sequence[tuple[str, str]]) -> list[uuid.UUID | None]:
        """For each (author, text): the one competitor it names, or None (none, or several)."""
        found = self.keywords.find_many(text for _, text in mentions)
        return [
            _only(named | self.handles.get(handle_key(author), frozenset()))
            for (author, _), named in zip(mentions, found, strict=True)
        ]


def _only(ids: set[uuid.UUID]) -> uuid.UUID | None:
    return next(iter(ids)) if len(ids) == 1 else None


def load_matcher(session: Session) -> CompetitorMatcher:
    """The scoped organisation's competitors, in one query."""
    return CompetitorMatcher.of(session.scalars(select(Competitor)))


def assign(session: Session, mentions: Sequence[Mention]) -> None:
    """Name the competitor of each mention that has no given one (before it is flushed).

    A mention about another topic names none. The competitors are loaded only when a
    mention needs matching, once for all of ``mentions``.
    """
    for mention in mentions:
        if mention.topic != COMPETITOR_TOPIC and mention.competitor_source is not None:
            mention.competitor_id = mention.competitor_source = None
    wanted = [m for m in mentions if m.topic == COMPETITOR_TOPIC and m.competitor_source != GIVEN]
    if not wanted:
        return
    matched = load_matcher(session).match_many([(m.author or "", m.text) for m in wanted])
    for mention, competitor_id in zip(wanted, matched, strict=True):
        if mention.competitor_id != competitor_id:
            mention.competitor_id = competitor_id
            mention.competitor_source = MATCHED if competitor_id else None


def rematch(session: Session) -> int:
    """Match again every competitor mention whose competitor was not given.

    For after competitors' handles or keywords change, or one goes. Mentions are read
    in chunks of id, author and text; each chunk is written with one UPDATE per
    competitor found (and one for none), only where the answer changed. Returns how
    many mentions changed.
    """
    matcher = load_matcher(session)
    changed = 0
    after: uuid.UUID | None = None
    while True:
        stmt = (
            select(Mention.id, Mention.author, Mention.text, Mention.competitor_id)
            .where(
                Mention.topic == COMPETITOR_TOPIC,
                or_(Mention.competitor_source.is_(None), Mention.competitor_source == MATCHED),
            )
            .order_by(Mention.id)
            .limit(_REMATCH_CHUNK)
        )
        if after is not None:
            stmt = stmt.where(Mention.id > after)
        rows = session.execute(stmt).all()
        if not rows:
            return changed
        after = rows[-1].id
        found = matcher.match_many([(row.author or "", row.text) for row in rows])
        by_answer: dict[uuid.UUID | None, list[uuid.UUID]] = defaultdict(list)
        for row, competitor_id in zip(rows, found, strict=True):
            if row.competitor_id != competitor_id:
                by_answer[competitor_id].append(row.id)
        for competitor_id, ids in by_answer.items():
            changed += _set_competitor(session, ids, competitor_id, MATCHED)


def _set_competitor(
    session: Session, ids: Sequence[uuid.UUID], competitor_id: uuid.UUID | None, source: str
) -> int:
    """Name ``competitor_id`` (``source``) or none on these mentions, bumping their version."""
    result = session.execute(
        update(Mention)
        .where(Mention.id.in_(ids))
        .values(
            competitor_id=competitor_id,
            competitor_source=source if competitor_id else None,
            version=Mention.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def forget(session: Session, competitor_id: uuid.UUID) -> None:
    """Mentions of a competitor that goes name none (given or matched)."""
    session.execute(
        update(Mention)
        .where(Mention.competitor_id == competitor_id)
        .values(competitor_id=None, competitor_source=None, version=Mention.version + 1)
        .execution_options(synchronize_session=False)
    )

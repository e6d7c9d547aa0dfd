"""Key messages: what a strategy wants said, in the phrases and variants that carry it.

A message names the objectives of its strategy it serves and, optionally, the
audiences it is for (link tables with composite keys). Creating a message, or
changing its phrases, re-links the organisation's mentions and published content
items to it in a job after commit (``matching.rematch``); new mentions and newly
published items are linked as they arrive.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from api.domain import audit, tenancy
from api.domain.audiences.models import Audience
from api.domain.base import check_version, utcnow
from api.domain.editing import apply_changes
from api.domain.errors import NotFound, RuleViolation
from api.domain.inputs import UNSET, Changes, Draft, Unset
from api.domain.key_messages import matching
from api.domain.key_messages.models import KeyMessage, KeyMessageAudience, KeyMessageObjective
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.phrases import words
from api.domain.strategies.models import Objective
from api.domain.strategies.service import editable_strategy, get_strategy
from api.domain.uow import UnitOfWork

MAX_PHRASES = 50
LINKS = {
    # request field → (link model, its id column name, referenced model, noun)
    "objective_ids": (KeyMessageObjective, "objective_id", Objective, "objective"),
    "audience_ids": (KeyMessageAudience, "audience_id", Audience, "audience"),
}
WITH_LINKS = [selectinload(KeyMessage.objective_links), selectinload(KeyMessage.audience_links)]


@dataclass(frozen=True, kw_only=True)
class KeyMessageChanges(Changes):
    name: str | Unset = UNSET
    # Each list sent replaces the message's current one.
    phrases: list[str] | Unset = UNSET
    objective_ids: list[uuid.UUID] | Unset = UNSET
    audience_ids: list[uuid.UUID] | Unset = UNSET


@dataclass(frozen=True, kw_only=True)
class KeyMessageDraft(KeyMessageChanges, Draft):
    name: str
    phrases: list[str]


def get_message(*, uow: UnitOfWork, key_message_id: uuid.UUID, fresh: bool = False) -> KeyMessage:
    return tenancy.get(
        uow.session,
        KeyMessage,
        key_message_id,
        what="key message",
        options=WITH_LINKS,
        fresh=fresh,
    )


def list_messages(
    *, uow: UnitOfWork, strategy_id: uuid.UUID, page: PageRequest
) -> Page[KeyMessage]:
    strategy = get_strategy(uow=uow, strategy_id=strategy_id)
    stmt = select(KeyMessage).options(*WITH_LINKS).where(KeyMessage.strategy_id == strategy.id)
    return paginate(uow.session, stmt, KeyMessage.id, page)


def clean_phrases(phrases: list[str]) -> list[str]:
    """The phrases trimmed, each once, in order; 422 for one without words, or none at all."""
    cleaned = list(dict.fromkeys(p.strip() for p in phrases))
    empty = [p for p in cleaned if not words(p)]
    if empty:
        raise RuleViolation(
            "a phrase without words",
            errors={"phrases": [f"{p!r} has no words to match." for p in empty]},
        )
    if not cleaned:
        raise RuleViolation("no phrases", errors={"phrases": ["Give at least one phrase."]})
    if len(cleaned) > MAX_PHRASES:
        raise RuleViolation(
            "too many phrases", errors={"phrases": [f"At most {MAX_PHRASES} phrases."]}
        )
    return cleaned


def _split(fields: KeyMessageChanges) -> tuple[dict, dict[str, list[uuid.UUID]]]:
    given = fields.given()
    if "phrases" in given:
        given["phrases"] = clean_phrases(given["phrases"])
    return given, {field: given.pop(field) for field in LINKS if field in given}


def _check_links(
    uow: UnitOfWork, strategy_id: uuid.UUID, links: Mapping[str, list[uuid.UUID]]
) -> None:
    """Every linked id is the organisation's (else 404); objectives are the strategy's."""
    for field, (_, _, model, noun) in LINKS.items():
        wanted = set(links.get(field, ()))
        if not wanted:
            continue
        owner = model.strategy_id if model is Objective else model.id
        found = dict(uow.session.execute(select(model.id, owner).where(model.id.in_(wanted))).all())
        missing = sorted(wanted - found.keys(), key=str)
        if missing:
            raise NotFound(f"{noun} {missing[0]} not found")
        if model is Objective:
            foreign = sorted((ref for ref, sid in found.items() if sid != strategy_id), key=str)
            if foreign:
                raise RuleViolation(
                    "objective of another strategy",
                    errors={
                        "objective_ids": [
                            f"Objective {ref} is not of this message's strategy." for ref in foreign
                        ]
                    },
                )


def _write_links(
    uow: UnitOfWork, message: KeyMessage, links: Mapping[str, list[uuid.UUID]], *, new: bool
) -> dict:
    """Replace the links of the kinds in ``links``; the changes, for the audit trail."""
    changed = {}
    for field, (link, column, _, _) in LINKS.items():
        if field not in links:
            continue
        before = [] if new else getattr(message, field)
        after = sorted(dict.fromkeys(links[field]))
        if before == after:
            continue
        if not new:
            uow.session.execute(delete(link).where(link.key_message_id == message.id))
        uow.session.add_all(link(key_message_id=message.id, **{column: ref}) for ref in after)
        changed[field] = {"before": before, "after": after}
    return changed


def create_message(
    *, uow: UnitOfWork, strategy_id: uuid.UUID, draft: KeyMessageDraft
) -> KeyMessage:
    strategy = editable_strategy(uow=uow, strategy_id=strategy_id)
    fields, links = _split(draft)
    _check_links(uow, strategy.id, links)
    message = KeyMessage(strategy_id=strategy.id, **fields)
    uow.session.add(message)
    uow.flush()
    audit.note(uow.session, message, _write_links(uow, message, links, new=True))
    matching.request_rematch(uow=uow, message=message)  # what was said before it existed
    uow.commit()
    return get_message(uow=uow, key_message_id=message.id, fresh=True)


def update_message(
    *,
    uow: UnitOfWork,
    key_message_id: uuid.UUID,
    changes: KeyMessageChanges,
    expected_version: int | None,
) -> KeyMessage:
    message = get_message(uow=uow, key_message_id=key_message_id)
    check_version(message, expected_version)
    editable_strategy(uow=uow, strategy_id=message.strategy_id)
    fields, links = _split(changes)
    _check_links(uow, message.strategy_id, links)
    rephrased = "phrases" in fields and fields["phrases"] != message.phrases
    # Links first: their DELETE flushes the session, and the row changes once, below.
    linked = _write_links(uow, message, links, new=False)
    apply_changes(message, fields, ("name", "phrases"))
    if linked:
        # Links live in their own tables; the message is still a new version.
        message.updated_at = utcnow()
        audit.note(uow.session, message, linked)
    if rephrased:
        matching.request_rematch(uow=uow, message=message)
    uow.commit()
    return get_message(uow=uow, key_message_id=message.id, fresh=True)


def delete_message(*, uow: UnitOfWork, key_message_id: uuid.UUID) -> None:
    """Delete a message; its links to objectives, audiences, mentions and posts go with it."""
    message = get_message(uow=uow, key_message_id=key_message_id)
    editable_strategy(uow=uow, strategy_id=message.strategy_id)
    uow.session.delete(message)
    uow.commit()

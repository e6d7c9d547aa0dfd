"""Competitors: their name, their handles on the networks, and the keywords that name them.

Mentions of the competitor topic are matched to a competitor on arrival
(``matching``). A new competitor, one whose handles or keywords change, and one that
goes can each change which competitor older mentions are about: a tracked job (kind
``rematch``) matches them again after the commit (``matching.rematch``), never touching
a competitor the caller gave.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from api.domain import tenancy
from api.domain.base import check_version
from api.domain.competitors import matching
from api.domain.competitors.models import Competitor
from api.domain.editing import apply_changes, refuse
from api.domain.errors import Conflict
from api.domain.inputs import UNSET, Changes, Draft, Unset
from api.domain.jobs import rematches
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.phrases import EmptyPhrase, PhraseMatcher
from api.domain.uow import UnitOfWork

FIELDS = ("name", "handles", "keywords")
MATCHED_BY = ("handles", "keywords")


@dataclass(frozen=True, kw_only=True)
class CompetitorChanges(Changes):
    name: str | Unset = UNSET
    handles: list[str] | Unset = UNSET
    keywords: list[str] | Unset = UNSET


@dataclass(frozen=True, kw_only=True)
class CompetitorDraft(CompetitorChanges, Draft):
    name: str


def _unique(values: list[str]) -> list[str]:
    """Trimmed, without repeats, in the order given."""
    return list(dict.fromkeys(value.strip() for value in values))


def _checked(fields: CompetitorChanges) -> dict:
    """The fields sent, checked (422 otherwise) and normalised."""
    given = fields.given()
    errors: dict[str, list[str]] = {}
    if "name" in given:
        given["name"] = given["name"].strip()
        if not given["name"]:
            errors["name"] = ["A name must not be blank."]
    if "handles" in given:
        given["handles"] = _unique(given["handles"])
        if any(not matching.handle_key(handle) for handle in given["handles"]):
            errors["handles"] = ["A handle must not be blank."]
    if "keywords" in given:
        given["keywords"] = _unique(given["keywords"])
        try:
            PhraseMatcher.build({"keywords": given["keywords"]})
        except EmptyPhrase as empty:
            errors["keywords"] = [f"{empty.phrase!r} has no words to match."]
    refuse(errors, "invalid competitor")
    return given


def _refuse_taken(uow: UnitOfWork, name: str, competitor_id: uuid.UUID | None = None) -> None:
    stmt = select(Competitor).where(Competitor.name == name)
    if competitor_id is not None:
        stmt = stmt.where(Competitor.id != competitor_id)
    if tenancy.any_row(uow.session, stmt):
        raise Conflict(f"a competitor named {name!r} exists", errors={"name": ["Taken."]})


def _rematch_after_commit(uow: UnitOfWork) -> None:
    rematches.request_rematch(uow=uow, of=rematches.COMPETITORS)


def create_competitor(*, uow: UnitOfWork, draft: CompetitorDraft) -> Competitor:
    values = _checked(draft)
    _refuse_taken(uow, values["name"])
    competitor = Competitor(**{"handles": [], "keywords": [], **values})
    uow.session.add(competitor)
    if competitor.handles or competitor.keywords:
        _rematch_after_commit(uow)
    uow.commit()
    return competitor


def list_competitors(*, uow: UnitOfWork, page: PageRequest) -> Page[Competitor]:
    return paginate(uow.session, select(Competitor), Competitor.id, page)


def get_competitor(*, uow: UnitOfWork, competitor_id: uuid.UUID) -> Competitor:
    return tenancy.get(uow.session, Competitor, competitor_id, what="competitor")


def update_competitor(
    *,
    uow: UnitOfWork,
    competitor_id: uuid.UUID,
    changes: CompetitorChanges,
    expected_version: int | None,
) -> Competitor:
    competitor = get_competitor(uow=uow, competitor_id=competitor_id)
    check_version(competitor, expected_version)
    values = _checked(changes)
    if "name" in values:
        _refuse_taken(uow, values["name"], competitor.id)
    before = {name: list(getattr(competitor, name)) for name in MATCHED_BY}
    apply_changes(competitor, values, FIELDS)
    if any(getattr(competitor, name) != before[name] for name in MATCHED_BY):
        _rematch_after_commit(uow)
    uow.commit()
    return competitor


def delete_competitor(*, uow: UnitOfWork, competitor_id: uuid.UUID) -> None:
    """Its mentions name no competitor any more; those it made ambiguous may now match."""
    competitor = get_competitor(uow=uow, competitor_id=competitor_id)
    matching.forget(uow.session, competitor.id)
    uow.session.delete(competitor)
    _rematch_after_commit(uow)
    uow.commit()


def rematch_mentions(*, uow: UnitOfWork) -> int:
    """Match the organisation's competitor mentions again; returns how many changed."""
    changed = matching.rematch(uow.session)
    uow.commit()
    return changed

"""Names in imported rows (a channel's handle, a campaign's UTM code), resolved to ids.

The names of a chunk of rows are looked up together, one query per kind of name,
and each row gets the id its name matches; a name that matches nothing (in this
organisation) or more than one thing makes its row invalid. A ``Lookup`` says how
one kind of name compares; the content import (``api.domain.content_items.imports``)
resolves its channels, campaigns and owners the same way.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from sqlalchemy import or_, select

from api.domain.campaigns.models import Campaign
from api.domain.channels.models import HANDLE_KEY, Channel, handle_key
from api.domain.imports.csv_file import shown
from api.domain.metrics.import_csv import ColumnMapping, Row
from api.domain.uow import UnitOfWork


@dataclass(frozen=True)
class Lookup:
    """How one kind of name finds its thing: ``compare`` makes a name into what
    ``columns`` (SQL expressions) are compared with; ``by_id`` lets an id name it too."""

    noun: str
    id_column: object
    columns: tuple
    compare: Callable[[str], str] = str
    by_id: bool = False

    def matches(self, uow: UnitOfWork, names: Iterable[str]) -> dict[str, list[uuid.UUID]]:
        """Each of ``names`` → the ids of everything it matches, in one query."""
        names = set(names)
        ids = {name: as_id(name) for name in names} if self.by_id else {}
        keys = {self.compare(name) for name in names if ids.get(name) is None}
        found: dict[str, list[uuid.UUID]] = {name: [] for name in names}
        wanted = [column.in_(keys) for column in self.columns if keys]
        if self.by_id and any(ids.values()):
            wanted.append(self.id_column.in_({id_ for id_ in ids.values() if id_}))
        if not wanted:
            return found
        stmt = select(self.id_column, *self.columns).where(or_(*wanted))
        by_key: dict[str, set[uuid.UUID]] = defaultdict(set)
        by_id = set()
        for id_, *values in uow.session.execute(stmt):
            by_id.add(id_)
            for value in values:
                by_key[value].add(id_)
        for name in names:
            id_ = ids.get(name)
            if id_ is not None:
                found[name] = [id_] if id_ in by_id else []
            else:
                found[name] = sorted(by_key.get(self.compare(name), ()))
        return found

    def problem(self, column: str, name: str, matches: list[uuid.UUID]) -> str | None:
        """Why ``name`` in ``column`` names no single thing; None when it does."""
        if len(matches) == 1:
            return None
        what = f"no {self.noun}" if not matches else f"{len(matches)} {self.noun}s"
        return f"{column}: {shown(name)} matches {what}"


def as_id(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


# Dimension → how a metric import's rows name it.
LOOKUPS = {
    "channel_id": Lookup("channel", Channel.id, (HANDLE_KEY,), compare=handle_key),
    "campaign_id": Lookup("campaign", Campaign.id, (Campaign.utm_campaign,)),
}


def resolve_names(
    *, uow: UnitOfWork, mapping: ColumnMapping, rows: list[Row]
) -> tuple[list[Row], list[tuple[int, str]]]:
    """The rows with their names replaced by ids, and (line, why) for the rows refused."""
    if not mapping.name_columns:
        return rows, []
    found = {
        name: LOOKUPS[name].matches(
            uow, (raw for row in rows if (raw := (row.names or {}).get(name)))
        )
        for name in mapping.name_columns
    }
    resolved, refused = [], []
    for row in rows:
        ids, problems = {}, []
        for name, raw in (row.names or {}).items():
            matches = found[name][raw]
            problem = LOOKUPS[name].problem(mapping.name_columns[name], raw, matches)
            if problem:
                problems.append(problem)
            else:
                ids[name] = matches[0]
        if problems:
            refused.append((row.line, "; ".join(problems)))
        else:
            resolved.append(replace(row, point={**row.point, **ids}, names=None))
    return resolved, refused

"""Rows of a metric import that name channels by handle and campaigns by UTM code.

The names of a chunk of rows are looked up together, one query per kind of name,
and each row gets the id its name matches; a name that matches nothing (in this
organisation) or more than one thing makes its row invalid.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import replace

from sqlalchemy import select

from api.domain.campaigns.models import Campaign
from api.domain.channels.models import HANDLE_KEY, Channel, handle_key
from api.domain.metrics.import_csv import ColumnMapping, Row, shown
from api.domain.uow import UnitOfWork

# Dimension → (how a name compares, the column it compares with, the id, the noun).
LOOKUPS = {
    "channel_id": (handle_key, HANDLE_KEY, Channel.id, "channel"),
    "campaign_id": (str, Campaign.utm_campaign, Campaign.id, "campaign"),
}


def resolve_names(
    *, uow: UnitOfWork, mapping: ColumnMapping, rows: list[Row]
) -> tuple[list[Row], list[tuple[int, str]]]:
    """The rows with their names replaced by ids, and (line, why) for the rows refused."""
    if not mapping.name_columns:
        return rows, []
    found = {name: _ids_by_key(uow, name, rows) for name in mapping.name_columns}
    resolved, refused = [], []
    for row in rows:
        ids, problems = {}, []
        for name, raw in (row.names or {}).items():
            key, noun = LOOKUPS[name][0](raw), LOOKUPS[name][3]
            matches = found[name].get(key, ())
            if len(matches) == 1:
                ids[name] = matches[0]
            else:
                what = f"no {noun}" if not matches else f"{len(matches)} {noun}s"
                problems.append(f"{mapping.name_columns[name]}: {shown(raw)} matches {what}")
        if problems:
            refused.append((row.line, "; ".join(problems)))
        else:
            resolved.append(replace(row, point={**row.point, **ids}, names=None))
    return resolved, refused


def _ids_by_key(uow: UnitOfWork, name: str, rows: list[Row]) -> dict[str, list[uuid.UUID]]:
    """Each name of the rows (as it compares) → the ids of everything it matches."""
    compare, column, id_column, _ = LOOKUPS[name]
    keys = {compare(raw) for row in rows if (raw := (row.names or {}).get(name))}
    ids: dict[str, list[uuid.UUID]] = defaultdict(list)
    if keys:
        for key, id_ in uow.session.execute(select(column, id_column).where(column.in_(keys))):
            ids[key].append(id_)
    return ids

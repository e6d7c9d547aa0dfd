"""CSV imports of planned posts: a file of content items, created by a job.

``start_import`` checks the header row (``import_rows``), stores the upload and queues
``import_content_items`` after commit; the job reads the file by the rule of every CSV
import (``api.domain.imports.runs``). Each row names its channel by id, handle or name,
its campaign by id or UTM code and its owner (a resource) by id or name, resolved per
chunk with one query per kind of name; a name that matches nothing in the organisation
or more than one thing is that row's error, naming the column. Each row then meets the
rules of a single create (``batches.item_errors``: the channel is one of the campaign's,
the due date within its dates; a completed or cancelled campaign takes no new content).

All or nothing: with ``on_error=fail`` (the default) a file with any invalid row
creates no item, and the job lists every invalid row; only a file without one is
written. The writing pass is one transaction (``atomic``): items are created, not
upserted, so a chunk written twice would be two items, and a run that stops leaves
nothing half written. With ``on_error=skip`` the valid rows are created and the
others listed and counted as skipped.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import func, select

from api.domain.base import utcnow
from api.domain.campaigns.models import Campaign, CampaignChannel
from api.domain.channels.models import HANDLE_KEY, Channel, handle_key
from api.domain.content_items import import_rows, rules
from api.domain.content_items.batches import item_errors
from api.domain.content_items.models import ContentItem, ContentStatusChange
from api.domain.content_items.service import ContentItemDraft, stored
from api.domain.imports import runs
from api.domain.imports.csv_file import Header, Lines
from api.domain.jobs.models import Job
from api.domain.metrics.import_names import Lookup
from api.domain.resources.models import Resource
from api.domain.uow import UnitOfWork

IMPORT_JOB = "workers.jobs.import_content_items"
OF = "content_items"  # the job's ``of``: what the import creates


def _name_key(text: str) -> str:
    return text.strip().lower()


# CSV column → how its names find their thing.
LOOKUPS = {
    "channel": Lookup(
        "channel",
        Channel.id,
        (HANDLE_KEY, func.lower(func.ltrim(Channel.name, "@"))),
        compare=handle_key,
        by_id=True,
    ),
    "campaign": Lookup("campaign", Campaign.id, (Campaign.utm_campaign,), by_id=True),
    "owner": Lookup(
        "resource", Resource.id, (func.lower(Resource.name),), compare=_name_key, by_id=True
    ),
}
# A single create's field → the CSV column that gives it.
COLUMN_OF = {"channel_id": "channel", "owner_id": "owner", "due_date": "due_date"}


class ContentItemRows:
    """Rows of planned posts, created as content items (each with its history)."""

    job = IMPORT_JOB
    atomic = True
    changed_meanwhile = (
        "a channel, campaign or resource named in the file was removed or changed meanwhile"
    )
    rerun_advice = "check the items created and upload the rows still missing"

    def __init__(self, *, actor_user_id: str | None, actor_api_key_id: str | None) -> None:
        self.actor_user_id = uuid.UUID(actor_user_id) if actor_user_id else None
        self.actor_api_key_id = uuid.UUID(actor_api_key_id) if actor_api_key_id else None

    def header(self, raw: BinaryIO) -> Header:
        return import_rows.read_header(raw)

    def rows(self, lines: Lines, header: Header) -> Iterator[import_rows.PostRow]:
        return import_rows.rows(lines, header)

    def check(self, uow: UnitOfWork, pending: list) -> list[tuple[int, str]]:
        return _checked(uow, pending)[1]

    def write(self, uow: UnitOfWork, pending: list) -> runs.Written:
        valid, refused = _checked(uow, pending)
        items = []
        for row, campaign_id, draft in valid:
            item = ContentItem(
                campaign_id=campaign_id,
                status=row.status,
                plan_date=rules.plan_date(
                    draft.or_("scheduled_at", None), draft.or_("due_date", None)
                ),
                **stored(draft),
            )
            items.append(item)
        uow.session.add_all(items)
        uow.flush()
        # As a create in that status: the history starts there, naming the uploader.
        uow.session.add_all(
            ContentStatusChange(
                content_item_id=item.id,
                from_status=None,
                to_status=item.status,
                actor_user_id=self.actor_user_id,
                actor_api_key_id=self.actor_api_key_id,
                comment="imported",
            )
            for item in items
        )
        uow.flush()
        return runs.Written(inserted=len(items), refused=tuple(refused))


def _checked(uow: UnitOfWork, pending: list[import_rows.PostRow]):
    """The rows that make items, as (row, campaign id, draft), and (line, why) for the others."""
    found = {
        column: lookup.matches(uow, (row.names[column] for row in pending if column in row.names))
        for column, lookup in LOOKUPS.items()
    }
    resolved, refused = [], []
    for row in pending:
        problems, ids = [], {}
        for column, name in row.names.items():
            matches = found[column][name]
            problem = LOOKUPS[column].problem(column, name, matches)
            if problem:
                problems.append(problem)
            else:
                ids[column] = matches[0]
        if problems:
            refused.append((row.line, "; ".join(problems)))
        else:
            resolved.append((row, ids))
    campaign_ids = {ids["campaign"] for _, ids in resolved}
    campaigns = {
        c.id: c for c in uow.session.scalars(select(Campaign).where(Campaign.id.in_(campaign_ids)))
    }
    links: dict[uuid.UUID, set[uuid.UUID]] = {id_: set() for id_ in campaign_ids}
    for campaign_id, channel_id in uow.session.execute(
        select(CampaignChannel.campaign_id, CampaignChannel.channel_id).where(
            CampaignChannel.campaign_id.in_(campaign_ids)
        )
    ):
        links[campaign_id].add(channel_id)
    channels = {ids["channel"] for _, ids in resolved}
    owners = {ids["owner"] for _, ids in resolved if "owner" in ids}
    now, valid = utcnow(), []
    for row, ids in resolved:
        campaign = campaigns.get(ids["campaign"])
        if campaign is None:  # removed between the lookup and here
            refused.append((row.line, "campaign: matches no campaign"))
            continue
        if campaign.status in ("completed", "cancelled"):
            refused.append(
                (row.line, f"campaign: the campaign is {campaign.status}; it takes no new content")
            )
            continue
        draft = ContentItemDraft(channel_id=ids["channel"], owner_id=ids.get("owner"), **row.fields)
        errors = item_errors(
            draft,
            campaign=campaign,
            channels=channels,
            linked=links[campaign.id],
            owners=owners,
            media=set(),
            now=now,
        )
        if errors:
            refused.append(
                (
                    row.line,
                    "; ".join(
                        f"{COLUMN_OF.get(field, field)}: {' '.join(messages)}"
                        for field, messages in errors.items()
                    ),
                )
            )
        else:
            valid.append((row, campaign.id, draft))
    return valid, refused


def _rows_of(job: Job) -> ContentItemRows:
    return ContentItemRows(
        actor_user_id=job.params.get("actor_user_id"),
        actor_api_key_id=job.params.get("actor_api_key_id"),
    )


def start_import(
    *,
    uow: UnitOfWork,
    upload: BinaryIO,
    filename: str | None,
    upload_dir: str | Path,
    on_error: str = "fail",
) -> Job:
    """Store an uploaded CSV of posts and queue its import; a header row without the
    required columns is refused at once (RuleViolation, nothing stored or queued).

    The items' history names the uploader (the job runs as Clover itself)."""
    principal = uow.tenant.principal
    actor = {
        "actor_user_id": _text(principal.user_id),
        "actor_api_key_id": _text(principal.api_key_id),
    }
    return runs.store_upload(
        uow=uow,
        kind=ContentItemRows(**actor),
        upload=upload,
        filename=filename,
        upload_dir=upload_dir,
        on_error=on_error,
        params={"of": OF, **actor},
    )


def _text(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None


def run_import(*, uow: UnitOfWork, job_id: uuid.UUID) -> Job:
    """Import the job's file of posts (the unit of work is scoped to the job's organisation)."""
    return runs.run(uow=uow, job_id=job_id, kind_of=_rows_of)


def fail_import(*, uow: UnitOfWork, job_id: uuid.UUID, error: str) -> Job:
    """Give up on an import that stopped unexpectedly (its last retry, or in-process)."""
    return runs.fail(uow=uow, job_id=job_id, error=error, kind_of=_rows_of)

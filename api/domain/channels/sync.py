"""Connecting a channel to its network, and the steps of a sync the worker runs.

Credentials are encrypted with the cipher the caller passes (``api.crypto``) and
never leave this module in clear text except to the worker that uses them.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from api.domain import tenancy
from api.domain.base import check_version, utcnow
from api.domain.channels.connections import Connection
from api.domain.channels.models import SOCIAL_KINDS, Channel
from api.domain.errors import Conflict, NotFound, RuleViolation
from api.domain.inputs import UNSET, Draft, Unset
from api.domain.jobs.models import Job
from api.domain.jobs.service import create_job
from api.domain.mentions import service as mentions
from api.domain.metrics import points
from api.domain.outbound import UrlPolicy, url_problems
from api.domain.uow import UnitOfWork
from api.domain.webhooks import events

SYNC_JOB = "workers.sync.sync_channel"
NETWORK_OF = {"mastodon": "mastodon", "bluesky": "bluesky"}  # provider → channel kind


def sync_job_id(channel_id: uuid.UUID | str) -> str:
    """One queued sync per channel at a time."""
    return f"sync-{channel_id}"


@dataclass(frozen=True, kw_only=True)
class ConnectionCredentials(Draft):
    """The network's tokens as sent: stored only encrypted."""

    access_token: str
    refresh_token: str | Unset = UNSET
    expires_at: datetime | Unset | None = UNSET


@dataclass(frozen=True, kw_only=True)
class ConnectionDraft(Draft):
    """A channel's connection, as a PUT makes or replaces it."""

    provider: str
    account: str
    credentials: ConnectionCredentials
    base_url: str | Unset | None = UNSET


def _channel(uow: UnitOfWork, channel_id: uuid.UUID) -> Channel:
    return tenancy.get(uow.session, Channel, channel_id, what="channel")


def get_connection(*, uow: UnitOfWork, channel_id: uuid.UUID) -> Connection:
    channel = _channel(uow, channel_id)
    connection = uow.session.scalar(select(Connection).where(Connection.channel_id == channel.id))
    if connection is None:
        raise NotFound(f"channel {channel.id} is not connected")
    return connection


def connect(
    *,
    uow: UnitOfWork,
    channel_id: uuid.UUID,
    draft: ConnectionDraft,
    cipher,
    policy: UrlPolicy,
    expected_version: int | None = None,
) -> Connection:
    """Create or replace the channel's connection (PUT).

    ``policy`` says where a network's base URL may point: the worker sends the
    channel's token there, so the API's own ports or Redis must not be reachable.
    """
    channel = _channel(uow, channel_id)
    provider, base_url = draft.provider, draft.or_("base_url", None)
    if channel.kind not in SOCIAL_KINDS:
        raise RuleViolation(
            "not a social channel",
            errors={"provider": [f"A {channel.kind} channel does not sync."]},
        )
    if provider in NETWORK_OF and NETWORK_OF[provider] != channel.kind:
        raise RuleViolation(
            "provider does not fit the channel",
            errors={"provider": [f"A {channel.kind} channel cannot use {provider}."]},
        )
    if provider != "sandbox" and not base_url:
        raise RuleViolation("base URL needed", errors={"base_url": [f"{provider} needs one."]})
    if provider != "sandbox" and (problems := url_problems(base_url, policy)):
        raise RuleViolation("base URL not allowed", errors={"base_url": problems})
    secret = cipher.encrypt(json.dumps(_plain(draft.credentials)).encode()).decode()
    connection = uow.session.scalar(select(Connection).where(Connection.channel_id == channel.id))
    if connection is None:
        connection = Connection(channel_id=channel.id)
        uow.session.add(connection)
    else:
        check_version(connection, expected_version)
        if (connection.provider, connection.account) != (provider, draft.account):
            connection.cursor = None  # another account: start its history afresh
    connection.provider = provider
    connection.account = draft.account
    connection.base_url = base_url
    connection.credentials = secret
    connection.status = "connected"
    connection.last_error = None
    uow.commit()
    return connection


def _plain(credentials: ConnectionCredentials) -> dict:
    expires = credentials.or_("expires_at", None)
    return {**credentials.given(), "expires_at": expires.isoformat() if expires else None}


def disconnect(*, uow: UnitOfWork, channel_id: uuid.UUID) -> None:
    """Forget the connection and its credentials; the data already synced stays."""
    uow.session.delete(get_connection(uow=uow, channel_id=channel_id))
    uow.commit()


def request_sync(*, uow: UnitOfWork, channel_id: uuid.UUID) -> Job:
    connection = get_connection(uow=uow, channel_id=channel_id)
    if connection.status == "needs_reauth":
        raise Conflict("the network refused the credentials; reconnect the channel first")
    job = create_job(uow=uow, kind="sync", params={"channel_id": str(channel_id)})
    uow.after_commit(
        "sync",
        SYNC_JOB,
        str(uow.tenant.organisation_id),
        str(channel_id),
        str(job.id),
        job_id=sync_job_id(channel_id),
    )
    uow.commit()
    return job


def due_connections(*, uow: UnitOfWork) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(organisation, channel) of every connection that syncs on its own (all tenants)."""
    return list(
        uow.session.execute(
            tenancy.across_organisations(
                select(Connection.organisation_id, Connection.channel_id)
                .where(Connection.status != "needs_reauth")
                .order_by(Connection.channel_id)
            )
        ).all()
    )


# The steps of a sync, each in the worker's own unit of work


@dataclass(frozen=True)
class SyncTarget:
    provider: str
    account: str
    base_url: str | None
    credentials: dict
    cursor: dict | None
    status: str


def sync_target(*, uow: UnitOfWork, channel_id, cipher) -> SyncTarget:
    connection = get_connection(uow=uow, channel_id=channel_id)
    credentials = json.loads(cipher.decrypt(connection.credentials.encode()))
    if credentials.get("expires_at"):
        credentials["expires_at"] = datetime.fromisoformat(credentials["expires_at"])
    return SyncTarget(
        connection.provider,
        connection.account,
        connection.base_url,
        credentials,
        connection.cursor,
        connection.status,
    )


def write_page(
    *,
    uow: UnitOfWork,
    channel_id: uuid.UUID,
    metrics: list[tuple[str, date, float]],
    mentions_in: list[mentions.MentionBatchItem],
) -> tuple[int, int]:
    """Upsert a page's metric points and mentions (a page written twice changes nothing)."""
    written = 0
    if metrics:
        result = points.ingest_points(
            uow=uow,
            points=[
                points.PointDraft(
                    metric_key=k, day=d, value=v, channel_id=channel_id, source="sync"
                )
                for k, d, v in metrics
            ],
            atomic=True,
        )
        written = result.inserted + result.updated
    noted = 0
    if mentions_in:
        batch = mentions.create_batch(uow=uow, items=mentions_in, channel_id=channel_id)
        noted = len(batch.accepted)
    return written, noted


def store_credentials(
    *, uow: UnitOfWork, channel_id, credentials: ConnectionCredentials, cipher
) -> None:
    """Keep credentials the adapter refreshed (encrypted, at once: a refresh token may be
    single-use, so the old one is dead already)."""
    connection = get_connection(uow=uow, channel_id=channel_id)
    connection.credentials = cipher.encrypt(json.dumps(_plain(credentials)).encode()).decode()
    uow.commit()


def save_cursor(*, uow: UnitOfWork, channel_id, cursor: dict) -> None:
    """Called only after the page's data is committed: a crash before it re-reads the page."""
    connection = get_connection(uow=uow, channel_id=channel_id)
    connection.cursor = cursor
    uow.commit()


def mark(
    *,
    uow: UnitOfWork,
    channel_id,
    status: str,
    error: str | None,
    next_sync_at: datetime | None = None,
) -> None:
    connection = get_connection(uow=uow, channel_id=channel_id)
    connection.status = status
    connection.last_error = error
    connection.next_sync_at = next_sync_at if status != "needs_reauth" else None
    if error is None:
        connection.last_sync_at = utcnow()
    if status != "connected" or error is None:  # a rate-limited pause is neither
        kind = "sync.completed" if status == "connected" else "sync.failed"
        events.emit(
            uow=uow, type=kind, payload={"channel_id": channel_id, "status": status, "error": error}
        )
    uow.commit()

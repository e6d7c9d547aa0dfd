"""A connected channel as an adapter needs it, with refreshed credentials stored at once.

Bluesky's session tokens rotate: each refresh revokes the refresh token before it, so
the adapter hands new credentials to ``Account.on_refresh`` and they are stored,
encrypted, in a unit of work of their own before the call goes on.
"""

from __future__ import annotations

import uuid

from api.domain.channels import sync as connections
from api.domain.inputs import UNSET
from workers import runtime
from workers.providers.base import Account, Credentials


def account_for(
    organisation: uuid.UUID, channel: uuid.UUID, target: connections.SyncTarget, cipher
) -> Account:
    def store(refreshed: Credentials) -> None:
        with runtime.unit_of_work(organisation) as uow:
            connections.store_credentials(
                uow=uow,
                channel_id=channel,
                credentials=connections.ConnectionCredentials(
                    access_token=refreshed.access_token,
                    refresh_token=refreshed.refresh_token or UNSET,
                    expires_at=refreshed.expires_at,
                ),
                cipher=cipher,
            )

    return Account(
        provider=target.provider,
        account=target.account,
        base_url=target.base_url,
        credentials=Credentials(
            target.credentials["access_token"],
            target.credentials.get("refresh_token"),
            target.credentials.get("expires_at"),
        ),
        channel_id=str(channel),
        on_refresh=store,
    )

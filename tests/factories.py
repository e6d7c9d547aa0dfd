"""Factories: build organisations, members and keys through the domain services."""

from __future__ import annotations

import itertools
import secrets
import uuid
from dataclasses import dataclass
from datetime import date

from api.db import Database
from api.domain.access import ALL_SCOPES, ROLE_SCOPES, Grant, Principal, Tenant, system_tenant
from api.domain.identity import service as identity
from api.domain.inputs import UNSET
from api.domain.metrics.models import MetricPoint, dimensions_of
from api.domain.oauth.models import OAuthClient
from api.domain.oauth.tokens import hash_secret, new_secret
from api.domain.organisations.models import Membership
from api.domain.signup import SignupDraft, signup
from api.domain.uow import UnitOfWork

_seq = itertools.count(1)


def unique_email(stem: str = "user") -> str:
    return f"{stem}-{next(_seq)}-{uuid.uuid4().hex[:8]}@example.test"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Org:
    id: uuid.UUID
    token: str  # an owner API key
    owner_id: uuid.UUID
    name: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)

    def url(self, path: str = "") -> str:
        return f"/v1/organisations/{self.id}{path}"


class Factory:
    def __init__(self, database: Database) -> None:
        self.database = database

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.database.session())

    def organisation(self, name: str = "Acme Marketing") -> Org:
        with self.uow() as uow:
            result = signup(
                uow=uow,
                draft=SignupDraft(
                    email=unique_email("owner"),
                    name="Olive Owner",
                    password=None,
                    organisation_name=name,
                ),
            )
            return Org(result.organisation.id, result.issued.token, result.user.id, name)

    def user(
        self, name: str = "Mia Member", email: str | None = None, password: str | None = None
    ) -> tuple[uuid.UUID, str]:
        with self.uow() as uow:
            email = email or unique_email()
            user = identity.create_user(uow=uow, email=email, name=name, password=password)
            uow.commit()
            return user.id, user.email

    def membership(self, org: Org, user_id: uuid.UUID, role: str) -> None:
        with self.uow() as uow:
            uow.open_for(system_tenant(org.id))
            uow.session.add(Membership(user_id=user_id, role=role))
            uow.commit()

    def stored_metric_point(self, org: Org, metric_key: str, day: date, value: float) -> None:
        """A metric point as a past version stored it, before its checks refused such values."""
        with self.uow() as uow:
            uow.open_for(system_tenant(org.id))
            uow.session.add(
                MetricPoint(
                    metric_key=metric_key,
                    day=day,
                    value=value,
                    source="import",
                    dimensions=dimensions_of(None, None, None),
                )
            )
            uow.commit()

    def oauth_client(
        self,
        org: Org,
        *,
        public: bool = False,
        redirect_uris: list[str] | None = None,
        scopes: list[str] | None = None,
        grant_types: list[str] | None = None,
        name: str = "Agency Dashboard",
    ) -> tuple[str, str | None]:
        """An OAuth client owned by ``org``: (client_id, client secret or None if public)."""
        client_id = "clvc_" + secrets.token_urlsafe(16)
        secret = None if public else new_secret("clvcs_")
        with self.uow() as uow:
            uow.open_for(system_tenant(org.id))
            uow.session.add(
                OAuthClient(
                    client_id=client_id,
                    secret_hash=hash_secret(secret) if secret else None,
                    name=name,
                    client_type="public" if public else "confidential",
                    redirect_uris=redirect_uris or ["http://127.0.0.1:9/callback"],
                    allowed_scopes=scopes or sorted(ALL_SCOPES),
                    grant_types=grant_types
                    or ["authorization_code", "refresh_token", "client_credentials"],
                )
            )
            uow.commit()
        return client_id, secret

    def member(self, org: Org, role: str, *, scopes: list[str] | None = None) -> str:
        """A new user with ``role`` in ``org``; returns an API key acting with that role."""
        user_id, _ = self.user()
        with self.uow() as uow:
            grant = Grant(org.id, role, ROLE_SCOPES[role])
            uow.open_for(Tenant(org.id, Principal("api_key", {org.id: grant}, user_id), grant))
            uow.session.add(Membership(user_id=user_id, role=role))
            uow.flush()
            draft = identity.ApiKeyDraft(
                name=f"{role} key", scopes=UNSET if scopes is None else scopes
            )
            return identity.create_api_key(uow=uow, draft=draft).token

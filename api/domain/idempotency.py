"""Idempotency keys on create requests (Stripe semantics, scoped to the caller).

Same key + same request replays the stored response; same key + another
request is refused; same key while the first is still running is a conflict.
Each step commits on its own session so other requests see it at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import JSON, String, Text, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from api.domain.base import Base, IdMixin, utcnow
from api.domain.errors import IdempotencyConflict, IdempotencyMismatch

RUNNING, DONE = "running", "done"


class IdempotencyRecord(IdMixin, Base):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("caller", "key"),)

    caller: Mapped[str] = mapped_column(String(120))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(10))
    status_code: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(Text)
    response_headers: Mapped[dict[str, str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


@dataclass(frozen=True)
class Started:
    record_id: uuid.UUID


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: str
    headers: dict[str, str]


def begin(
    session: Session, *, caller: str, key: str, fingerprint: str, ttl: timedelta
) -> Started | Replay:
    for _ in range(2):  # a second pass only after losing an insert race
        record = session.scalar(
            select(IdempotencyRecord).where(
                IdempotencyRecord.caller == caller, IdempotencyRecord.key == key
            )
        )
        if record is not None and record.created_at < utcnow() - ttl:
            session.delete(record)
            session.commit()
            record = None
        if record is None:
            record = IdempotencyRecord(
                caller=caller, key=key, fingerprint=fingerprint, state=RUNNING
            )
            session.add(record)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                continue
            return Started(record.id)
        if record.fingerprint != fingerprint:
            raise IdempotencyMismatch(
                "this Idempotency-Key was used with a different request; use a new key"
            )
        if record.state == RUNNING:
            raise IdempotencyConflict(
                "a request with this Idempotency-Key is still being processed"
            )
        return Replay(
            record.status_code or 200, record.response_body or "", record.response_headers or {}
        )
    raise IdempotencyConflict("a request with this Idempotency-Key is still being processed")


def finish(
    session: Session, record_id: uuid.UUID, *, status_code: int, body: str, headers: dict[str, str]
) -> None:
    record = session.get(IdempotencyRecord, record_id)
    if record is not None:
        record.state = DONE
        record.status_code = status_code
        record.response_body = body
        record.response_headers = headers
        session.commit()


def abandon(session: Session, record_id: uuid.UUID) -> None:
    """Forget a key whose request failed unexpectedly, so a retry can run."""
    session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
    session.commit()


def purge_expired(session: Session, *, ttl: timedelta) -> int:
    result = session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - ttl)
    )
    session.commit()
    return result.rowcount or 0

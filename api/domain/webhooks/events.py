"""``emit``: the one way a use case announces an event to webhook subscribers.

The event row is added to the use case's own transaction (the outbox), so it
exists exactly when the change does; a dispatch job is queued after the commit,
and the periodic sweep fans out any event whose job was lost.
"""

from __future__ import annotations

from api.domain import audit, tenancy
from api.domain.uow import UnitOfWork
from api.domain.webhooks.models import EVENT_TYPES, WebhookEvent

DISPATCH_JOB = "workers.webhooks.dispatch_events"
QUEUED = "clover.webhook_dispatch_queued"


def dispatch_job_id(organisation_id) -> str:
    # Waiting dispatch jobs of one organisation are one job: a burst of events is one fan-out.
    return f"webhooks-dispatch-{organisation_id}"


def emit(*, uow: UnitOfWork, type: str, payload: dict, organisation_id=None) -> WebhookEvent:
    """Record ``type`` with ``payload`` (plain JSON values) in this unit of work's transaction."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {type!r}")
    organisation_id = organisation_id or tenancy.scoped_organisation(uow.session)
    event = WebhookEvent(organisation_id=organisation_id, type=type, payload=audit._plain(payload))
    uow.session.add(event)
    # One dispatch per transaction and organisation, however many events it emits.
    transaction = uow.session.get_transaction()
    queued = uow.session.info.get(QUEUED)
    if queued is None or queued[0] is not transaction or organisation_id not in queued[1]:
        if queued is None or queued[0] is not transaction:
            queued = uow.session.info[QUEUED] = (transaction, set())
        queued[1].add(organisation_id)
        uow.after_commit(
            "webhooks", DISPATCH_JOB, str(organisation_id), job_id=dispatch_job_id(organisation_id)
        )
    return event

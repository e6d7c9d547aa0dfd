"""Pure rules of content items: the status flow and what each step needs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

# status → the statuses a person may move it to. Clover's publisher alone moves an item
# scheduled → publishing → published or publish_failed (api.domain.publishing).
FLOW = {
    "idea": ("drafting", "cancelled"),
    "drafting": ("in_review", "idea", "cancelled"),
    "in_review": ("approved", "drafting", "cancelled"),
    "approved": ("scheduled", "published", "in_review", "cancelled"),
    "scheduled": ("published", "approved", "cancelled"),
    "publishing": (),
    "published": (),
    # A failed publication is rescheduled, sent back to approved, or dropped.
    "publish_failed": ("scheduled", "approved", "cancelled"),
    "cancelled": ("idea",),
}
# The statuses an item may be created in: work planned ahead may start as drafts or
# ready for review; approval and later steps always go through their transition's rules.
INITIAL_STATUSES = ("idea", "drafting", "in_review")
INITIAL_STATUS_MESSAGE = "Must be one of: idea, drafting, in_review."
# A client's clock may run a little ahead of ours: a publication this far ahead is "now".
CLOCK_SKEW = timedelta(minutes=5)
# Changing these after approval needs a new approval: what goes out is what was approved.
REVIEWED_FIELDS = ("title", "brief", "text", "as_thread", "media_ids")


def may_move(current: str, target: str) -> bool:
    return target in FLOW[current]


def initial_status_errors(status: str) -> dict[str, list[str]]:
    return {} if status in INITIAL_STATUSES else {"status": [INITIAL_STATUS_MESSAGE]}


def needs_approval_again(
    status: str, changes: Mapping[str, object], current: Mapping[str, object]
) -> bool:
    return status in ("approved", "scheduled", "publish_failed") and any(
        field in changes and changes[field] != current[field] for field in REVIEWED_FIELDS
    )


def missing_for(target: str, *, scheduled_at, published_at) -> dict[str, list[str]]:
    if target == "scheduled" and scheduled_at is None:
        return {"scheduled_at": ["Scheduling needs a scheduled time."]}
    if target == "published" and published_at is None:
        return {"published_at": ["Publishing needs a published time."]}
    return {}


def plan_date(scheduled_at: datetime | None, due_date: date | None) -> date | None:
    """The day an item sits on in the plan: its scheduled day (UTC), else its due date."""
    if scheduled_at is not None:
        return scheduled_at.astimezone(UTC).date()
    return due_date


def dating_errors(
    *,
    due_date: date | None,
    published_at: datetime | None,
    campaign_start: date,
    campaign_end: date,
    now: datetime,
) -> dict[str, list[str]]:
    """An item is due within its campaign's dates and cannot have been published later than now."""
    errors: dict[str, list[str]] = {}
    if due_date is not None and not campaign_start <= due_date <= campaign_end:
        errors["due_date"] = [
            f"Must lie within the campaign's dates, {campaign_start.isoformat()} "
            f"to {campaign_end.isoformat()}."
        ]
    if published_at is not None and published_at > now + CLOCK_SKEW:
        errors["published_at"] = ["Must not be in the future."]
    return errors

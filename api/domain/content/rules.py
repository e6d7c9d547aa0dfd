"""Pure rules of content items: the status flow and what each step needs."""

from __future__ import annotations

from datetime import UTC, date, datetime

# status → the statuses it may move to
FLOW = {
    "idea": ("drafting", "cancelled"),
    "drafting": ("in_review", "idea", "cancelled"),
    "in_review": ("approved", "drafting", "cancelled"),
    "approved": ("scheduled", "published", "in_review", "cancelled"),
    "scheduled": ("published", "approved", "cancelled"),
    "published": (),
    "cancelled": ("idea",),
}
# Changing these after approval needs a new approval.
REVIEWED_FIELDS = ("title", "brief")


def may_move(current: str, target: str) -> bool:
    return target in FLOW[current]


def needs_approval_again(status: str, changes: dict, current: dict) -> bool:
    return status in ("approved", "scheduled") and any(
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

"""The plan as iCalendar (RFC 5545), for the calendar apps people already use.

Pure: rows of the plan in, the bytes of a VCALENDAR out, built with ``icalendar``
(which escapes commas, semicolons and newlines and folds long lines). One VEVENT
per content item, its UID stable so a calendar app updates the event in place
rather than adding another; DTSTAMP, LAST-MODIFIED and SEQUENCE follow the item's
own revisions, so the same plan always gives the same bytes (and ETag).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from icalendar import Calendar, Event, vDuration

PRODID = "-//Clover//Content plan//EN"
# How often a calendar app should read the feed again (Apple's and Outlook's hints).
REFRESH = timedelta(hours=1)
# Ideas and drafts may still move; from approval on the item is settled.
EVENT_STATUS = {
    "idea": "TENTATIVE",
    "drafting": "TENTATIVE",
    "in_review": "TENTATIVE",
    "approved": "CONFIRMED",
    "scheduled": "CONFIRMED",
    "publishing": "CONFIRMED",
    "published": "CONFIRMED",
    "publish_failed": "CONFIRMED",
    "cancelled": "CANCELLED",
}


def uid(item_id: uuid.UUID) -> str:
    return f"{item_id}@clover"


def _description(item: Mapping[str, Any], url: str | None) -> str:
    lines = [
        f"Channel: {item['channel_name']}",
        f"Owner: {item['owner_name'] or 'nobody yet'}",
        f"Status: {item['status'].replace('_', ' ')}",
        f"Campaign: {item['campaign_name']}",
        f"Format: {item['format'].replace('_', ' ')}",
    ]
    if url:
        lines.append(url)
    return "\n".join(lines)


def item_event(item: Mapping[str, Any], url: str | None = None) -> Event:
    """One content item as a VEVENT: at its scheduled time, else all day on its due date."""
    event = Event()
    event.add("uid", uid(item["id"]))
    event.add("dtstamp", item["updated_at"])
    event.add("last-modified", item["updated_at"])
    event.add("sequence", max(int(item["version"]) - 1, 0))
    if item["scheduled_at"] is not None:
        event.add("dtstart", item["scheduled_at"])
    else:
        day: date = item["due_date"]
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("transp", "TRANSPARENT")  # a deadline, not a busy day
    event.add("summary", item["title"])
    event.add("description", _description(item, url))
    event.add("categories", [item["status"]])
    event.add("status", EVENT_STATUS.get(item["status"], "CONFIRMED"))
    if url:
        event.add("url", url)
    return event


def plan_calendar(
    *,
    name: str,
    timezone: str,
    items: Iterable[Mapping[str, Any]],
    item_url: Callable[[uuid.UUID], str] | None = None,
) -> bytes:
    """The VCALENDAR of these plan rows (``build_plan``'s items), named ``name``.

    Times are written in UTC; ``timezone`` (the organisation's) tells calendar apps
    which zone the plan is made in.
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", timezone)
    calendar.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    for item in items:
        calendar.add_component(item_event(item, item_url(item["id"]) if item_url else None))
    return calendar.to_ical()

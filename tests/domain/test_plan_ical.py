"""The plan as iCalendar: read back with icalendar, as a calendar app would."""

import uuid
from datetime import UTC, date, datetime

from icalendar import Calendar

from api.domain.plan.ical import plan_calendar

EDITED = datetime(2027, 2, 1, 9, 30, tzinfo=UTC)


def row(**fields) -> dict:
    return {
        "id": uuid.uuid4(),
        "title": "Case study: Van Dijk Tools",
        "status": "drafting",
        "format": "article",
        "due_date": date(2027, 3, 20),
        "scheduled_at": None,
        "plan_date": date(2027, 3, 20),
        "campaign_name": "Spring reseller push",
        "channel_name": "Company page",
        "owner_name": "Writer",
        "version": 1,
        "updated_at": EDITED,
        **fields,
    }


def events_of(*rows, **kwargs) -> list:
    body = plan_calendar(
        name=kwargs.get("name", "Acme: Team"), timezone="Europe/Amsterdam", items=rows
    )
    return Calendar.from_ical(body).walk("VEVENT")


def test_the_calendar_is_named_for_the_organisation_and_its_timezone():
    body = plan_calendar(name="Acme: Team", timezone="Europe/Amsterdam", items=[])

    calendar = Calendar.from_ical(body)

    assert str(calendar["X-WR-CALNAME"]) == "Acme: Team"
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Amsterdam"
    assert str(calendar["VERSION"]) == "2.0"
    assert calendar.walk("VEVENT") == []


def test_an_item_without_a_time_is_an_all_day_event_on_its_due_date():
    item = row()

    (event,) = events_of(item)

    assert event.decoded("DTSTART") == date(2027, 3, 20)
    assert event.decoded("DTEND") == date(2027, 3, 21)
    assert str(event["UID"]) == f"{item['id']}@clover"


def test_a_scheduled_item_is_an_event_at_its_time():
    at = datetime(2027, 4, 3, 8, 0, tzinfo=UTC)

    (event,) = events_of(row(scheduled_at=at, status="scheduled"))

    assert event.decoded("DTSTART") == at
    assert "DTEND" not in event
    assert str(event["STATUS"]) == "CONFIRMED"


def test_commas_semicolons_and_newlines_in_a_title_survive():
    title = "Launch, part 1; the sequel\nsecond line \\ backslash"

    (event,) = events_of(row(title=title))

    assert str(event["SUMMARY"]) == title


def test_the_description_names_channel_owner_status_and_campaign():
    (event,) = events_of(row(owner_name=None, status="in_review"))

    lines = str(event["DESCRIPTION"]).splitlines()

    assert lines[:4] == [
        "Channel: Company page",
        "Owner: nobody yet",
        "Status: in review",
        "Campaign: Spring reseller push",
    ]


def test_the_item_url_is_in_the_description_and_the_url():
    item = row()
    body = plan_calendar(
        name="Acme",
        timezone="UTC",
        items=[item],
        item_url=lambda item_id: f"https://api.example/items/{item_id}",
    )

    (event,) = Calendar.from_ical(body).walk("VEVENT")

    assert str(event["URL"]) == f"https://api.example/items/{item['id']}"
    assert str(event["DESCRIPTION"]).endswith(str(event["URL"]))


def test_a_cancelled_item_is_a_cancelled_event_and_its_status_a_category():
    (event,) = events_of(row(status="cancelled"))

    assert str(event["STATUS"]) == "CANCELLED"
    assert [str(c) for c in event["CATEGORIES"].cats] == ["cancelled"]


def test_an_idea_is_tentative():
    (event,) = events_of(row(status="idea"))

    assert str(event["STATUS"]) == "TENTATIVE"


def test_revisions_of_an_item_raise_its_sequence_and_last_modified():
    item = row(version=4)

    (event,) = events_of(item)

    assert event.decoded("SEQUENCE") == 3
    assert event.decoded("LAST-MODIFIED") == EDITED
    assert event.decoded("DTSTAMP") == EDITED


def test_the_same_plan_gives_the_same_bytes():
    item = row()

    first = plan_calendar(name="Acme", timezone="UTC", items=[item])
    again = plan_calendar(name="Acme", timezone="UTC", items=[item])

    assert first == again

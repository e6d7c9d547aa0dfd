"""Pure rules of content series: reading an RRULE and expanding it in a time zone.

The rule is parsed and expanded by ``dateutil.rrule`` (RFC 5545), never by hand. It is
expanded from ``starts_at``, a wall-clock time in the organisation's zone, so 10:00
stays 10:00 local across a change of daylight saving time; each occurrence is then
the UTC instant of that local time. As RFC 5545 says, a day a month does not have
(the 31st of April) gives no occurrence that month; BYMONTHDAY=-1 is the last day.
"""

from __future__ import annotations

import re
import warnings
from datetime import UTC, date, datetime, time
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, rrule, rrulestr

from api.domain.errors import RuleViolation

MAX_OCCURRENCES = 500
# However its rule reads, a series ends within this many years of its start: an
# expansion never walks to the year 9999 looking for a day that does not come.
MAX_YEARS = 10
DATE_PLACEHOLDER = "{date}"
_UTC_UNTIL = re.compile(r"UNTIL=\d{8}T\d{6}Z", re.IGNORECASE)
_DATE_UNTIL = re.compile(r"UNTIL=\d{8}(;|$)", re.IGNORECASE)


def _refuse(message: str) -> RuleViolation:
    return RuleViolation(f"the series' rule cannot be used: {message}", errors={"rule": [message]})


def _normalised(text: str) -> str:
    """One RRULE line's value; a DTSTART or a second line is refused (``starts_at`` is it)."""
    value = text.strip()
    if value.upper().startswith("RRULE:"):
        value = value[len("RRULE:") :]
    if not value or any(c in value for c in ":\r\n"):
        raise _refuse("Must be one RRULE, e.g. FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20271231.")
    return value.upper()


def parse(text: str, *, starts_at: datetime, zone: str) -> rrule:
    """The rule of ``text`` from ``starts_at`` (local, naive) in ``zone``, or a 422 saying why.

    UNTIL may be a UTC instant (``…T090000Z``, as RFC 5545 asks beside a zoned DTSTART), a
    local date-time, or a date: a local value is read in ``zone``, a date as its whole day.
    """
    value = _normalised(text)
    tz = ZoneInfo(zone)
    aware = starts_at.replace(tzinfo=tz)
    utc_until = _UTC_UNTIL.search(value) is not None
    try:
        with warnings.catch_warnings():
            # dateutil only warns about COUNT with UNTIL; RFC 5545 forbids it.
            warnings.simplefilter("error")
            rule = rrulestr(value, dtstart=aware if utc_until else starts_at)
            if not utc_until and rule._until is not None:
                until = rule._until
                if _DATE_UNTIL.search(value):
                    until = datetime.combine(until.date(), time.max)
                rule = rule.replace(dtstart=aware, until=until.replace(tzinfo=tz))
            elif not utc_until:
                rule = rule.replace(dtstart=aware)
    except DeprecationWarning as error:
        raise _refuse("Give COUNT or UNTIL, not both (RFC 5545).") from error
    except (ValueError, TypeError, OverflowError) as error:
        raise _refuse(f"Not a valid RRULE ({error}).") from error
    # dateutil keeps what it read in private attributes; it offers no public reading.
    if rule._freq > DAILY:
        raise _refuse("A series repeats at most daily (FREQ=DAILY, WEEKLY, MONTHLY or YEARLY).")
    if rule._interval < 1:
        raise _refuse("INTERVAL must be 1 or more.")
    if rule._count is not None and rule._count < 1:
        raise _refuse("COUNT must be 1 or more.")
    return rule


def occurrences(
    text: str, *, starts_at: datetime, zone: str, ends_on: date | None = None
) -> list[datetime]:
    """The UTC instants of the series' occurrences, in order, or a 422 saying why not.

    The rule must end (COUNT or UNTIL, or the series' ``ends_on``) and give from 1 to
    ``MAX_OCCURRENCES`` occurrences.
    """
    rule = parse(text, starts_at=starts_at, zone=zone)
    count = rule._count
    if count is None and rule._until is None and ends_on is None:
        raise _refuse("The rule must end: give it a COUNT or an UNTIL (or the series an ends_on).")
    tz = ZoneInfo(zone)
    horizon = datetime.combine(
        date(min(starts_at.year + MAX_YEARS, 9998), starts_at.month, 1), time.min, tzinfo=tz
    )
    if ends_on is not None:
        horizon = min(horizon, datetime.combine(ends_on, time.max, tzinfo=tz))
    if rule._until is not None:
        horizon = min(horizon, rule._until)
    # COUNT counts from the start, so the first COUNT occurrences before the horizon are
    # the rule's; without COUNT, the horizon is its end.
    bounded = rule.replace(count=None, until=horizon)
    limit = MAX_OCCURRENCES + 1 if count is None else min(count, MAX_OCCURRENCES + 1)
    found = list(islice(bounded, limit))
    if len(found) > MAX_OCCURRENCES:
        raise _refuse(
            f"The rule gives more than {MAX_OCCURRENCES} occurrences, the most a series may have."
        )
    if not found:
        raise _refuse("The rule gives no occurrence.")
    return [moment.astimezone(UTC) for moment in found]


def title_for(template: str, occurrence: datetime, zone: str) -> str:
    """The item's title: ``{date}`` becomes the occurrence's local date."""
    local_day = occurrence.astimezone(ZoneInfo(zone)).date().isoformat()
    return template.replace(DATE_PLACEHOLDER, local_day)


def untouched(*, detached: bool, status: str, initial_status: str) -> bool:
    """An item the series still owns: nobody edited it, and it has not moved on."""
    return not detached and status == initial_status

"""The date window every report takes, checked the same way everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from api.domain.errors import RuleViolation

MAX_DAYS = 5 * 366


@dataclass(frozen=True)
class Window:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def before(self) -> Window:
        """The window of the same length just before this one."""
        return Window(self.start - timedelta(days=self.days), self.start - timedelta(days=1))


def window(start: date, end: date, *, names: tuple[str, str] = ("from", "to")) -> Window:
    if end < start:
        raise RuleViolation(
            "inverted date range", errors={names[1]: [f"Must not be before {names[0]}."]}
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise RuleViolation("window too long", errors={names[1]: ["At most 5 years after from."]})
    return Window(start, end)

"""The date window every report takes, checked the same way everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from api.domain.bounds import DAYS, MIN_DAY, day_in_range
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
    for name, day in zip(names, (start, end), strict=True):
        if not day_in_range(day):
            raise RuleViolation("day out of range", errors={name: [f"Must be a date from {DAYS}."]})
    if end < start:
        raise RuleViolation(
            "inverted date range", errors={names[1]: [f"Must not be before {names[0]}."]}
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise RuleViolation("window too long", errors={names[1]: ["At most 5 years after from."]})
    return Window(start, end)


def baseline_before(current: Window, *, name: str = "from") -> Window:
    """The window of the same length just before ``current``, if it starts in range."""
    baseline = current.before()
    if baseline.start < MIN_DAY:
        raise RuleViolation(
            "the default baseline starts before the first day",
            errors={
                name: [
                    f"The baseline (the {current.days} days before) would start before "
                    f"{MIN_DAY.isoformat()}; give baseline_from and baseline_to."
                ]
            },
        )
    return baseline

"""Pure rules of campaigns: status transitions, the PDCA cycle, dates, UTM codes."""

from __future__ import annotations

import re
from datetime import date

from api.domain.campaigns.models import PDCA_PHASES

# Action → (states it may start from, state it leads to)
TRANSITIONS = {
    "start": (("planned",), "active"),
    "complete": (("active",), "completed"),
    "cancel": (("planned", "active"), "cancelled"),
}


def transition(current: str, action: str) -> str | None:
    """The status ``action`` leads to from ``current``, or None when it is not allowed."""
    sources, target = TRANSITIONS[action]
    return target if current in sources else None


def next_phase(cycle: int, phase: str) -> tuple[int, str]:
    """One step of plan → do → check → act; leaving act starts the next cycle."""
    index = PDCA_PHASES.index(phase)
    if index == len(PDCA_PHASES) - 1:
        return cycle + 1, PDCA_PHASES[0]
    return cycle, PDCA_PHASES[index + 1]


def check_dates(
    start: date, end: date, period_start: date, period_end: date
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if end < start:
        errors["end_date"] = ["Must not be before start_date."]
    if not period_start <= start <= period_end:
        errors["start_date"] = [f"Must lie in the strategy period {period_start} to {period_end}."]
    if not period_start <= end <= period_end:
        errors["end_date"] = [f"Must lie in the strategy period {period_start} to {period_end}."]
    return errors


def utm_code(name: str) -> str:
    """A UTM campaign code from a name: lower case, words joined by underscores."""
    code = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return code[:80] or "campaign"

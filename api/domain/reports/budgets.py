"""How much of a campaign's budget a report charges to its window: one rule for every report.

A budget is spread evenly over the campaign's days (start and end inclusive) and a
window is charged for the days it shares with the campaign:

    budget × days of the campaign in the window / days of the campaign

A window holding the whole campaign is charged the whole budget, one outside it
nothing, and windows that split a campaign add up to its budget, so the ROI, channel
and alignment reports agree on any window. Cost metric points are already dated:
reports sum the points in the window instead and never pro-rate them.

A campaign without an end date has no length to spread its budget over. Charging it
in full to any window would count it again in every window; guessing an end would
invent a figure. Its budget in a window is therefore unknown, with that reason (today
every campaign has an end date, so this only keeps the rule total).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from api.domain import money
from api.domain.reports.figures import Figure
from api.domain.reports.window import Window

RULE = (
    "a campaign's budget is spread evenly over its days and a window is charged "
    "for the days it shares with the campaign: budget × days in the window / "
    "days of the campaign"
)
NO_END = "the campaign has no end date: its budget cannot be spread over its days"


def budget_in_window(
    *, budget: Decimal | float, start: date, end: date | None, window: Window
) -> Figure:
    """The part of ``budget`` spent in ``window`` (see the module's rule), a ``Decimal``.

    Exact, not rounded to the cent: the parts of a split campaign add up to its
    budget; a report rounds once, when it writes the figure.
    """
    if end is None:
        return Figure.missing(NO_END)
    overlap = (min(end, window.end) - max(start, window.start)).days + 1
    if overlap <= 0:
        return Figure(Decimal(0))
    return Figure(money.amount(budget) * overlap / ((end - start).days + 1))

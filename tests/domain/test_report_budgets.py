"""Charging a campaign's budget to a report's window: the one rule every report uses."""

from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.domain.reports.budgets import NO_END, budget_in_window
from api.domain.reports.figures import Figure
from api.domain.reports.window import Window

MARCH_TO_MAY = {"start": date(2027, 3, 1), "end": date(2027, 5, 31)}  # 92 days


def test_a_month_of_a_three_month_campaign_is_charged_its_days():
    charged = budget_in_window(
        budget=3000, **MARCH_TO_MAY, window=Window(date(2027, 4, 1), date(2027, 4, 30))
    )

    assert charged.value == pytest.approx(Decimal(3000) * 30 / 92)  # 978.26


def test_a_window_holding_the_whole_campaign_is_charged_the_whole_budget():
    charged = budget_in_window(
        budget=3000, **MARCH_TO_MAY, window=Window(date(2027, 1, 1), date(2027, 12, 31))
    )

    assert charged == Figure(3000.0)


def test_a_window_overlapping_one_end_is_charged_the_shared_days_only():
    charged = budget_in_window(
        budget=920, **MARCH_TO_MAY, window=Window(date(2027, 5, 22), date(2027, 6, 30))
    )

    assert charged.value == pytest.approx(100)  # 10 of 92 days


def test_a_window_outside_the_campaign_is_charged_nothing():
    charged = budget_in_window(
        budget=3000, **MARCH_TO_MAY, window=Window(date(2027, 6, 1), date(2027, 6, 30))
    )

    assert charged == Figure(0.0)


def test_a_one_day_campaign_is_charged_to_the_window_holding_its_day():
    day = date(2027, 3, 5)

    assert budget_in_window(budget=50, start=day, end=day, window=Window(day, day)) == Figure(50.0)


def test_a_campaign_without_an_end_date_has_no_budget_in_any_window():
    charged = budget_in_window(
        budget=3000,
        start=date(2027, 3, 1),
        end=None,
        window=Window(date(2027, 3, 1), date(2027, 3, 31)),
    )

    assert charged == Figure.missing(NO_END)


@given(
    start=st.dates(date(2020, 1, 1), date(2030, 1, 1)),
    length=st.integers(1, 800),
    cuts=st.lists(st.integers(-100, 900), max_size=6),
)
def test_windows_that_split_a_campaign_add_up_to_its_budget(start, length, cuts):
    end = start + timedelta(days=length - 1)
    # Consecutive windows from before the campaign to after it, cut at arbitrary days.
    edges = sorted({start - timedelta(days=200), end + timedelta(days=200)})
    edges += [start + timedelta(days=c) for c in cuts]
    edges = sorted(set(edges))
    windows = [
        Window(edges[0], edges[1]),
        *(Window(a + timedelta(days=1), b) for a, b in pairwise(edges[1:])),
    ]

    charged = [budget_in_window(budget=1000, start=start, end=end, window=w).value for w in windows]

    assert sum(charged) == pytest.approx(1000)

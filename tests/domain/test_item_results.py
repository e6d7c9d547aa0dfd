"""An item's figures from its days: flows add up, levels take their latest, ratios average."""

from datetime import date

from api.domain.results.service import DayFigure, ResultDay, summarise

MON, TUE = date(2025, 3, 10), date(2025, 3, 11)


def test_a_flow_sums_its_days_and_each_day_shows_what_it_gained():
    totals, series = summarise(
        [DayFigure(TUE, "engagements", 4, 1), DayFigure(MON, "engagements", 6, 1)],
        {"engagements": "flow"},
    )

    assert totals == {"engagements": 10}
    assert series == [ResultDay(MON, {"engagements": 6}), ResultDay(TUE, {"engagements": 4})]


def test_a_level_takes_its_latest_day():
    totals, _ = summarise(
        [DayFigure(MON, "followers", 50, 1), DayFigure(TUE, "followers", 40, 1)],
        {"followers": "level"},
    )

    assert totals == {"followers": 40}


def test_a_ratio_is_the_mean_of_all_its_points_not_of_its_days():
    totals, series = summarise(
        [DayFigure(MON, "rate", 0.3, 2), DayFigure(TUE, "rate", 0.6, 1)], {"rate": None}
    )

    assert totals == {"rate": 0.3}
    assert [day.values["rate"] for day in series] == [0.15, 0.6]


def test_a_key_the_catalogue_does_not_know_counts_as_a_flow():
    totals, _ = summarise([DayFigure(MON, "gone", 2, 1), DayFigure(TUE, "gone", 3, 1)], {})

    assert totals == {"gone": 5}
